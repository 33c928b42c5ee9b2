# check.cmake -- compiles SOURCE with -D${CASE} and requires that it fails with
# exactly one error, matching EXPECT.  Run as
#   cmake -DCXX=<compiler> -DINCLUDE=<dir> -DSOURCE=<file> -DCASE=<macro> -DEXPECT=<regex> -P check.cmake
execute_process(COMMAND ${CXX} -std=c++20 -fsyntax-only -I${INCLUDE} -D${CASE} ${SOURCE}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0)
  message(FATAL_ERROR "${CASE}: compiled, but must not")
endif()
string(REGEX MATCHALL "error:" errors "${out}")
list(LENGTH errors n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "${CASE}: ${n} errors, expected exactly one:\n${out}")
endif()
if(NOT out MATCHES "${EXPECT}")
  message(FATAL_ERROR "${CASE}: the error does not match '${EXPECT}':\n${out}")
endif()
message(STATUS "${CASE}: one error, as expected")
