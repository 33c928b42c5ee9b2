# FindGccBacktrace.cmake -- GCC's libbacktrace, which gort uses to symbolize the
# backtraces of unrecovered panics.
#
# libbacktrace ships with GCC itself (Debian: package libgcc-12-dev, installed with
# g++): libbacktrace.a in the compiler's library directory and backtrace.h in its
# include/ subdirectory.  The compiler in use is asked where it is
# (-print-file-name), which works for g++, clang++ (it uses GCC's library
# directory) and cross compilers alike.
#
# Result: GccBacktrace_FOUND and the imported target GccBacktrace::GccBacktrace.
if(NOT TARGET GccBacktrace::GccBacktrace)
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libbacktrace.a
                  OUTPUT_VARIABLE _gort_bt_lib OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(IS_ABSOLUTE "${_gort_bt_lib}" AND EXISTS "${_gort_bt_lib}")
    get_filename_component(_gort_bt_lib "${_gort_bt_lib}" REALPATH)
    get_filename_component(_gort_bt_dir "${_gort_bt_lib}" DIRECTORY)
    set(GccBacktrace_LIBRARY "${_gort_bt_lib}" CACHE FILEPATH "GCC's libbacktrace.a")
    find_path(GccBacktrace_INCLUDE_DIR backtrace.h HINTS "${_gort_bt_dir}/include" NO_DEFAULT_PATH)
  endif()
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(GccBacktrace REQUIRED_VARS GccBacktrace_LIBRARY GccBacktrace_INCLUDE_DIR)

if(GccBacktrace_FOUND AND NOT TARGET GccBacktrace::GccBacktrace)
  add_library(GccBacktrace::GccBacktrace STATIC IMPORTED)
  set_target_properties(GccBacktrace::GccBacktrace PROPERTIES
    IMPORTED_LOCATION "${GccBacktrace_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${GccBacktrace_INCLUDE_DIR}")
endif()
