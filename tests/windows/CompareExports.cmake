# cmake -DSHIMPOOL=... -DHEADER=... -DORIGINAL=... -DSHIM=... -DNAME=... -DTARGET=... -P CompareExports.cmake
#
# A drop-in DLL must export what the original exports, by the same names
# (decorated or not) and the same ordinals: programs import by either. Reads
# both export tables with `shimpool check-exports --json` and fails, naming the
# export, on any difference. The shim may add only its own functions
# (shimpool_<NAME>_*) and the handle-form session entry points (*_session).
foreach(variable SHIMPOOL HEADER ORIGINAL SHIM NAME TARGET)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "CompareExports.cmake: -D${variable}=... is required")
  endif()
endforeach()

function(read_exports binary out_names out_ordinals)
  execute_process(
    COMMAND ${SHIMPOOL} check-exports ${HEADER} --binary ${binary} --json -- --target=${TARGET}
    OUTPUT_VARIABLE json ERROR_VARIABLE diagnostics RESULT_VARIABLE status)
  if(json STREQUAL "")
    message(FATAL_ERROR "check-exports printed nothing for ${binary} (exit ${status}):\n${diagnostics}")
  endif()
  string(JSON count LENGTH "${json}" exports)
  set(names "")
  set(ordinals "")
  math(EXPR last "${count} - 1")
  foreach(index RANGE ${last})
    string(JSON name ERROR_VARIABLE no_name GET "${json}" exports ${index} name)
    string(JSON ordinal GET "${json}" exports ${index} ordinal)
    if(no_name)
      set(name "#${ordinal}")  # exported by ordinal only
    endif()
    list(APPEND names "${name}")
    list(APPEND ordinals "${ordinal}")
  endforeach()
  set(${out_names} "${names}" PARENT_SCOPE)
  set(${out_ordinals} "${ordinals}" PARENT_SCOPE)
endfunction()

read_exports(${ORIGINAL} original_names original_ordinals)
read_exports(${SHIM} shim_names shim_ordinals)

set(problems "")
foreach(name ordinal IN ZIP_LISTS original_names original_ordinals)
  list(FIND shim_names "${name}" at)
  if(at EQUAL -1)
    string(APPEND problems "  '${name}' (ordinal ${ordinal}) is exported by the original, not by the shim\n")
    continue()
  endif()
  list(GET shim_ordinals ${at} shim_ordinal)
  if(NOT shim_ordinal EQUAL ordinal)
    string(APPEND problems "  '${name}' has ordinal ${ordinal} in the original, ${shim_ordinal} in the shim\n")
  endif()
endforeach()
foreach(name IN LISTS shim_names)
  list(FIND original_names "${name}" at)
  if(at EQUAL -1 AND NOT name MATCHES "^shimpool_${NAME}_|_session$")
    string(APPEND problems "  '${name}' is exported by the shim only\n")
  endif()
endforeach()

list(LENGTH original_names original_count)
if(problems)
  message(FATAL_ERROR "${SHIM} does not export what ${ORIGINAL} does:\n${problems}")
endif()
message(STATUS "${SHIM}: all ${original_count} exports of ${ORIGINAL} with the same names and ordinals")
