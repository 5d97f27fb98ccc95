# Export checks, run on the build machine with the generator: the shims built
# for Windows export exactly what their originals do (names and ordinals).
function(windows_export_check test_name header original shim name)
  add_test(NAME ${test_name}
    COMMAND ${CMAKE_COMMAND}
      -DSHIMPOOL=$<TARGET_FILE:shimpool::shimpool> -DHEADER=${header}
      -DORIGINAL=$<TARGET_FILE:${original}> -DSHIM=$<TARGET_FILE:${shim}>
      -DNAME=${name} -DTARGET=${SHIMPOOL_TARGET_TRIPLE}
      -P ${CMAKE_CURRENT_SOURCE_DIR}/CompareExports.cmake)
  set_tests_properties(${test_name} PROPERTIES LABELS "windows;exports")
endfunction()

windows_export_check(windows.exports.toto ${PROJECT_SOURCE_DIR}/examples/toto/toto.h toto toto_shim toto)
windows_export_check(windows.exports.toto_embedded ${PROJECT_SOURCE_DIR}/examples/toto/toto.h
  toto toto_embedded_shim toto)

# A stdcall/fastcall API whose DLL exports some names decorated (mixed_sub@8,
# @mixed_fast@8, _mixed_msvc@4), some not (mixed_add), one both ways, with
# ordinals and a gap: only i686 decorates.
if(CMAKE_SIZEOF_VOID_P EQUAL 4)
  set(fixtures ${PROJECT_SOURCE_DIR}/tests/generator/windows)
  add_library(mixed_dll SHARED ${fixtures}/mixed_dll.c ${fixtures}/mixed_dll.def)
  set_target_properties(mixed_dll PROPERTIES PREFIX ""
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/mixed
    ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/mixed)
  shimpool_add_shim(mixed_shim
    HEADERS ${fixtures}/mixed_dll.h
    NAME mixed
    OUTPUT_NAME mixed_dll
    REAL_LIBRARY mixed_dll.real.dll
    EXPORTS_FROM mixed_dll)
  set_target_properties(mixed_shim PROPERTIES PREFIX ""
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/mixed-shim
    ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/mixed-shim)
  windows_export_check(windows.exports.stdcall_decorations ${fixtures}/mixed_dll.h mixed_dll mixed_shim mixed)
endif()

# The check itself catches what --exports-from prevents: the same header shimmed
# without it exports undecorated names with ordinals of its own.
if(CMAKE_SIZEOF_VOID_P EQUAL 4)
  shimpool_add_shim(mixed_undecorated_shim
    HEADERS ${fixtures}/mixed_dll.h
    NAME mixed
    OUTPUT_NAME mixed_dll
    REAL_LIBRARY mixed_dll.real.dll)
  set_target_properties(mixed_undecorated_shim PROPERTIES PREFIX ""
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/mixed-undecorated
    ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/mixed-undecorated)
  windows_export_check(windows.exports.mismatch_is_reported ${fixtures}/mixed_dll.h
    mixed_dll mixed_undecorated_shim mixed)
  set_tests_properties(windows.exports.mismatch_is_reported PROPERTIES
    PASS_REGULAR_EXPRESSION "'mixed_sub@8' \\(ordinal 10\\) is exported by the original, not by the shim")
endif()
