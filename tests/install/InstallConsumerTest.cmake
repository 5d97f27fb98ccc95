# InstallConsumerTest.cmake - proves the installed shimpool package works from a
# separate CMake project. Run by ctest (see CMakeLists.txt here) as
#   cmake -DBUILD_DIR=... -DCONSUMER_SOURCE_DIR=... -DWORK_DIR=... [options] -P InstallConsumerTest.cmake
#
# Steps: (1) cmake --install BUILD_DIR into a fresh prefix under WORK_DIR,
# (2) check the installed tree, (3) run the installed generator, (4) configure
# the consumer project against the prefix, (5) build it, (6) run its ctest.
# WORK_DIR (the prefix and the consumer's build tree) is removed at the end, on
# failure too, unless the environment sets SHIMPOOL_KEEP_INSTALL_TEST=1.
#
# Required:
#   BUILD_DIR            shimpool's build tree (already built)
#   CONSUMER_SOURCE_DIR  tests/install/consumer
#   WORK_DIR             scratch directory (inside the build tree); recreated
# Optional (same toolchain as shimpool's build):
#   CONFIG               build configuration ($<CONFIG>)
#   GENERATOR, GENERATOR_PLATFORM, GENERATOR_TOOLSET, MAKE_PROGRAM
#   C_COMPILER, CXX_COMPILER, C_LAUNCHER, CXX_LAUNCHER (ccache is used if unset and found)
#   CTEST_COMMAND        ctest to run the consumer's tests (default: next to cmake)
#   BINDIR, LIBDIR, INCLUDEDIR   install directories relative to the prefix
#   SHIMPOOL_EXE, RUNTIME_ARCHIVE  installed file names of the generator and runtime
#   EXPECTED_VERSION     what `shimpool --version` must print
#   SOURCE_DIR           shimpool's source tree (installed CMake files must not name it)
#   EXPECTED_CONSUMER_TESTS  names of the consumer's tests that must each be run and
#                        pass (by default any non-empty set of passing tests will do)
cmake_minimum_required(VERSION 3.25)

foreach(required IN ITEMS BUILD_DIR CONSUMER_SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${required} OR "${${required}}" STREQUAL "")
    message(FATAL_ERROR "InstallConsumerTest: -D${required}=... is required")
  endif()
endforeach()
foreach(dir_variable IN ITEMS BINDIR LIBDIR INCLUDEDIR)
  string(TOLOWER "${dir_variable}" default)
  if(NOT ${dir_variable})
    set(${dir_variable} "${default}")
  endif()
endforeach()
if(NOT SHIMPOOL_EXE)
  set(SHIMPOOL_EXE shimpool)
endif()
if(NOT RUNTIME_ARCHIVE)
  set(RUNTIME_ARCHIVE libshimpool_runtime.a)
endif()
if(NOT CTEST_COMMAND)
  cmake_path(GET CMAKE_COMMAND PARENT_PATH cmake_bin_dir)
  set(CTEST_COMMAND "${cmake_bin_dir}/ctest")
endif()

set(prefix "${WORK_DIR}/prefix")
set(consumer_build "${WORK_DIR}/consumer-build")

function(cleanup)
  if("$ENV{SHIMPOOL_KEEP_INSTALL_TEST}")
    message(STATUS "SHIMPOOL_KEEP_INSTALL_TEST is set: keeping ${WORK_DIR}")
    return()
  endif()
  file(REMOVE_RECURSE "${WORK_DIR}")
endfunction()

# Prints what failed with its output, cleans up, and stops the script. The
# output goes out verbatim (message(NOTICE)): FATAL_ERROR would rewrap it.
function(fail what output)
  message(NOTICE "InstallConsumerTest: FAILED: ${what}\n"
                 "---- output ----\n${output}\n---- end of output ----")
  cleanup()
  message(FATAL_ERROR "InstallConsumerTest: FAILED: ${what}")
endfunction()

# Runs one step; fails with the command and its output unless it exits 0.
# Leaves the merged stdout/stderr in step_output in the caller's scope.
function(run_step name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "WORKING_DIRECTORY;TIMEOUT" "COMMAND")
  if(NOT arg_WORKING_DIRECTORY)
    set(arg_WORKING_DIRECTORY "${WORK_DIR}")
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 300)
  endif()
  string(TIMESTAMP started "%s")
  execute_process(COMMAND ${arg_COMMAND}
    WORKING_DIRECTORY "${arg_WORKING_DIRECTORY}"
    TIMEOUT ${arg_TIMEOUT}
    RESULT_VARIABLE result
    OUTPUT_VARIABLE output
    ERROR_VARIABLE output)
  string(TIMESTAMP finished "%s")
  math(EXPR seconds "${finished} - ${started}")
  list(JOIN arg_COMMAND " " command_text)
  if(NOT result STREQUAL "0")
    fail("${name} (exit status: ${result}, after ${seconds} s)\ncommand: ${command_text}" "${output}")
  endif()
  message(STATUS "${name}: ok (${seconds} s)")
  set(step_output "${output}" PARENT_SCOPE)
endfunction()

# A fresh scratch area; an earlier failed run may have left one behind.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
# DESTDIR would send the install somewhere else than the prefix.
unset(ENV{DESTDIR})

set(config_args "")
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()

# (1) Install.
run_step("install into ${prefix}"
  COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}" ${config_args})

# (2) The installed tree.
set(missing "")
foreach(file IN ITEMS
    "${BINDIR}/${SHIMPOOL_EXE}"
    "${LIBDIR}/${RUNTIME_ARCHIVE}"
    "${INCLUDEDIR}/shimpool/shim_runtime.h"
    "${INCLUDEDIR}/shimpool/types.h"
    "${LIBDIR}/cmake/shimpool/shimpoolConfig.cmake"
    "${LIBDIR}/cmake/shimpool/shimpoolConfigVersion.cmake"
    "${LIBDIR}/cmake/shimpool/shimpoolTargets.cmake"
    "${LIBDIR}/cmake/shimpool/ShimpoolAddShim.cmake")
  if(NOT EXISTS "${prefix}/${file}" OR IS_DIRECTORY "${prefix}/${file}")
    list(APPEND missing "${file}")
  endif()
endforeach()
file(GLOB_RECURSE installed LIST_DIRECTORIES false RELATIVE "${prefix}" "${prefix}/*")
list(SORT installed)
list(JOIN installed "\n" installed_text)
if(missing)
  list(JOIN missing ", " missing_text)
  fail("the installed tree lacks: ${missing_text}" "installed files:\n${installed_text}")
endif()
# Relocatable: no installed CMake file may point back into the build or source tree.
file(GLOB package_files "${prefix}/${LIBDIR}/cmake/shimpool/*.cmake")
foreach(file IN LISTS package_files)
  file(READ "${file}" content)
  foreach(tree IN ITEMS BUILD_DIR SOURCE_DIR)
    if(${tree})
      string(FIND "${content}" "${${tree}}" at)
      if(NOT at EQUAL -1)
        fail("${file} names ${tree} ${${tree}}: the package is not relocatable" "${content}")
      endif()
    endif()
  endforeach()
endforeach()
message(STATUS "installed tree: ok (${installed_text})")

# (3) The installed generator runs from the prefix.
run_step("${prefix}/${BINDIR}/${SHIMPOOL_EXE} --version"
  COMMAND "${prefix}/${BINDIR}/${SHIMPOOL_EXE}" --version TIMEOUT 60)
string(STRIP "${step_output}" version_text)
if(EXPECTED_VERSION AND NOT version_text STREQUAL "shimpool ${EXPECTED_VERSION}")
  fail("the installed shimpool --version printed '${version_text}', expected 'shimpool ${EXPECTED_VERSION}'"
       "${step_output}")
endif()
message(STATUS "installed generator: ${version_text}")

# (4) Configure the consumer with the same toolchain, finding shimpool in the prefix only.
set(configure_args
  -S "${CONSUMER_SOURCE_DIR}" -B "${consumer_build}"
  "-DCMAKE_PREFIX_PATH=${prefix}"
  "-DSHIMPOOL_EXPECTED_PREFIX=${prefix}"
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
if(GENERATOR)
  list(APPEND configure_args -G "${GENERATOR}")
endif()
if(GENERATOR_PLATFORM)
  list(APPEND configure_args -A "${GENERATOR_PLATFORM}")
endif()
if(GENERATOR_TOOLSET)
  list(APPEND configure_args -T "${GENERATOR_TOOLSET}")
endif()
if(MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(C_COMPILER)
  list(APPEND configure_args "-DCMAKE_C_COMPILER=${C_COMPILER}")
endif()
if(CXX_COMPILER)
  list(APPEND configure_args "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
endif()
if(NOT C_LAUNCHER OR NOT CXX_LAUNCHER)
  find_program(ccache_program ccache)
  if(ccache_program)
    if(NOT C_LAUNCHER)
      set(C_LAUNCHER "${ccache_program}")
    endif()
    if(NOT CXX_LAUNCHER)
      set(CXX_LAUNCHER "${ccache_program}")
    endif()
  endif()
endif()
if(C_LAUNCHER)
  list(APPEND configure_args "-DCMAKE_C_COMPILER_LAUNCHER=${C_LAUNCHER}")
endif()
if(CXX_LAUNCHER)
  list(APPEND configure_args "-DCMAKE_CXX_COMPILER_LAUNCHER=${CXX_LAUNCHER}")
endif()
if(CONFIG)
  list(APPEND configure_args "-DCMAKE_BUILD_TYPE=${CONFIG}")
endif()
run_step("configure the consumer" COMMAND "${CMAKE_COMMAND}" ${configure_args})

# (5) Build it (runs the installed generator through shimpool_add_shim).
run_step("build the consumer" COMMAND "${CMAKE_COMMAND}" --build "${consumer_build}" ${config_args})

# (6) Its own tests: the host through the shim, and against the original.
set(ctest_config "")
if(CONFIG)
  set(ctest_config -C "${CONFIG}")
endif()
run_step("ctest of the consumer"
  COMMAND "${CTEST_COMMAND}" --output-on-failure --no-tests=error ${ctest_config}
  WORKING_DIRECTORY "${consumer_build}")
message(STATUS "consumer tests:\n${step_output}")
foreach(test_name IN LISTS EXPECTED_CONSUMER_TESTS)
  string(REPLACE "." "[.]" test_pattern "${test_name}")
  if(NOT step_output MATCHES "Test +#[0-9]+: ${test_pattern} [.]+ +Passed")
    fail("the consumer's test ${test_name} did not run and pass" "${step_output}")
  endif()
endforeach()

cleanup()
message(STATUS "InstallConsumerTest: PASSED")
