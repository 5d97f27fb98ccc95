# add_install_consumer_test(<name> CONSUMER <source dir> [EXPECTED_TESTS <test>...] [LABELS <label>...])
#
# A test that installs this build into a scratch prefix and configures, builds
# and tests a separate project (the consumer) against it through
# find_package(shimpool), with this build's generator and compilers. Needs the
# whole project built first (cmake --install does not build). EXPECTED_TESTS
# names consumer tests that must have run and passed.
function(add_install_consumer_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "CONSUMER" "EXPECTED_TESTS;LABELS")
  add_test(NAME ${name}
    COMMAND ${CMAKE_COMMAND}
      -DBUILD_DIR=${PROJECT_BINARY_DIR}
      -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
      -DCONSUMER_SOURCE_DIR=${arg_CONSUMER}
      -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/${name}-work
      -DCONFIG=$<CONFIG>
      -DGENERATOR=${CMAKE_GENERATOR}
      -DGENERATOR_PLATFORM=${CMAKE_GENERATOR_PLATFORM}
      -DGENERATOR_TOOLSET=${CMAKE_GENERATOR_TOOLSET}
      -DMAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}
      -DC_COMPILER=${CMAKE_C_COMPILER}
      -DCXX_COMPILER=${CMAKE_CXX_COMPILER}
      -DC_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER}
      -DCXX_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER}
      -DCTEST_COMMAND=${CMAKE_CTEST_COMMAND}
      -DBINDIR=${CMAKE_INSTALL_BINDIR}
      -DLIBDIR=${CMAKE_INSTALL_LIBDIR}
      -DINCLUDEDIR=${CMAKE_INSTALL_INCLUDEDIR}
      -DSHIMPOOL_EXE=$<TARGET_FILE_NAME:shimpool>
      -DRUNTIME_ARCHIVE=$<TARGET_FILE_NAME:shimpool_runtime>
      -DEXPECTED_VERSION=${PROJECT_VERSION}
      "-DEXPECTED_CONSUMER_TESTS=${arg_EXPECTED_TESTS}"
      -P ${PROJECT_SOURCE_DIR}/tests/install/InstallConsumerTest.cmake)
  # Installs into the build tree's prefix: one such test at a time.
  set_tests_properties(${name} PROPERTIES LABELS "${arg_LABELS}" TIMEOUT 600 RUN_SERIAL ON)
endfunction()
