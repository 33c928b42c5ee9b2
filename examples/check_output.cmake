# check_output.cmake -- runs PROGRAM and requires exit status 0 and a standard output
# equal to the file EXPECTED.
#   cmake -DPROGRAM=<exe> -DEXPECTED=<file> -P check_output.cmake
execute_process(COMMAND ${PROGRAM} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
file(READ ${EXPECTED} expected)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} exited with ${rc}\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(NOT out STREQUAL expected)
  message(FATAL_ERROR "${PROGRAM}: unexpected output\n--- expected:\n${expected}--- got:\n${out}")
endif()
