# ExpectRun.cmake - runs a program and checks its exit status and output, so a
# test can assert a failure that the program reports (exit 1 plus what went
# wrong) as precisely as a success:
#   cmake -DEXPECT_EXIT=<n> -DEXPECT_OUTPUT=<regex;...> -P ExpectRun.cmake -- <program> [args...]
cmake_minimum_required(VERSION 3.25)

set(command "")
set(after_separator FALSE)
math(EXPR last_arg "${CMAKE_ARGC} - 1")
foreach(i RANGE ${last_arg})
  if(after_separator)
    list(APPEND command "${CMAKE_ARGV${i}}")
  elseif(CMAKE_ARGV${i} STREQUAL "--")
    set(after_separator TRUE)
  endif()
endforeach()

execute_process(COMMAND ${command} TIMEOUT 120
  RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
message(STATUS "exit status: ${status}\n${output}")

set(failures "")
if(NOT status STREQUAL "${EXPECT_EXIT}")
  list(APPEND failures "exit status ${status}, expected ${EXPECT_EXIT}")
endif()
foreach(pattern IN LISTS EXPECT_OUTPUT)
  if(NOT output MATCHES "${pattern}")
    list(APPEND failures "no output matches '${pattern}'")
  endif()
endforeach()
if(failures)
  list(JOIN failures "; " failure_text)
  message(FATAL_ERROR "ExpectRun: ${failure_text}")
endif()
