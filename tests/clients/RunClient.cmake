# RunClient.cmake - runs one client example and asserts its outcome: the exit
# status and every expected line of its output. Run by ctest (see
# CMakeLists.txt here) as
#   cmake -DEXPECT_EXIT=<n> -DEXPECT_OUTPUT=<regex;...> [-DREQUIRE=<path;...>]
#         -P RunClient.cmake -- <program> [args...]
#
#   EXPECT_EXIT    the exit status the program must return (0: it saw correct
#                  behaviour; 1: it reported the failure it describes)
#   EXPECT_OUTPUT  regular expressions that must each match the program's output
#   REQUIRE        paths (or find_program results) the program needs; when one
#                  is missing the test prints "client test skipped: ..." and
#                  ctest reports it as skipped (SKIP_REGULAR_EXPRESSION)
#   REQUIRE_HINT   what to do about a missing requirement
#   TIMEOUT        seconds before the program is killed (default 120)
cmake_minimum_required(VERSION 3.25)

foreach(required IN ITEMS EXPECT_EXIT EXPECT_OUTPUT)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "RunClient: -D${required}=... is required")
  endif()
endforeach()
if(NOT TIMEOUT)
  set(TIMEOUT 120)
endif()

# The program and its arguments: everything after "--".
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
if(NOT command)
  message(FATAL_ERROR "RunClient: no program given after --")
endif()

foreach(path IN LISTS REQUIRE)
  if(NOT path OR path MATCHES "-NOTFOUND$" OR NOT EXISTS "${path}")
    message(STATUS "client test skipped: ${path} is missing. ${REQUIRE_HINT}")
    return()
  endif()
endforeach()

list(JOIN command " " command_text)
message(STATUS "running: ${command_text}")
execute_process(COMMAND ${command}
  TIMEOUT ${TIMEOUT}
  RESULT_VARIABLE status
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
message(STATUS "exit status: ${status}\n---- output ----\n${output}---- end of output ----")

set(failures "")
if(NOT status STREQUAL "${EXPECT_EXIT}")
  list(APPEND failures "exit status ${status}, expected ${EXPECT_EXIT}")
endif()
foreach(pattern IN LISTS EXPECT_OUTPUT)
  if(NOT output MATCHES "${pattern}")
    list(APPEND failures "no output line matches '${pattern}'")
  endif()
endforeach()
if(failures)
  list(JOIN failures "\n  " failure_text)
  message(FATAL_ERROR "RunClient: FAILED:\n  ${failure_text}")
endif()
message(STATUS "RunClient: PASSED")
