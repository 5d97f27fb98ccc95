# shimpool_add_shim(<target>
#   HEADERS <header>...                 headers whose functions the shim exports
#   [REAL_LIBRARY <path|file name|target>] the original library (default: lib<NAME>.real.so, or
#                                       <NAME>.real.dll for Windows, next to the shim);
#                                       generator expressions allowed
#   [EMBED]                              carry the original's bytes inside the shim (one file
#                                       to ship); REAL_LIBRARY must then name a file or target
#   [PIN_SHA256 [<hex>]]                 refuse to load any real library without this SHA-256;
#                                       alone: the digest of the REAL_LIBRARY target (or EMBED
#                                       file) as built, or of the REAL_LIBRARY file at configure time
#   [EXPORTS_FROM <dll|target>]          Windows: reproduce this DLL's export names and
#                                       ordinals exactly (default: REAL_LIBRARY, if a target)
#   [NAME <name>]                        shim name (default: <target>); SHIMPOOL_<NAME>_* variables
#   [OUTPUT_NAME <name>]                 file name of the shim, e.g. "toto" for libtoto.so
#   [MAX_INSTANCES <n>]                  default upper bound of the pool
#   [POLICY_FILE <file.toml>]            [pool] defaults and per-function [policies]
#   [POLICIES <name=policy>...]          per-function policies; beat the file
#   [LANGUAGE C|CXX]                     language of the headers (default: from their extension)
#   [INCLUDE_DIRECTORIES <dir>...]       include directories the headers need (parse and compile)
#   [CLANG_ARGS <arg>...])               further arguments for parsing (-D..., --target ...)
#
# Creates <target>, an ordinary SHARED library: generated wrappers + the shimpool runtime.
# Consumers linking <target> get <NAME>_shimpool.h (statistics) on their include path.
function(shimpool_add_shim target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "EMBED"
    "REAL_LIBRARY;NAME;OUTPUT_NAME;MAX_INSTANCES;LANGUAGE;POLICY_FILE;EXPORTS_FROM;PIN_SHA256"
    "HEADERS;INCLUDE_DIRECTORIES;CLANG_ARGS;POLICIES")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "shimpool_add_shim(${target}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET shimpool::shimpool)
    message(FATAL_ERROR "shimpool_add_shim(${target}): this shimpool was built without its generator "
                        "(SHIMPOOL_BUILD_TOOLS=OFF); rebuild it with the generator to create shims")
  endif()
  if(NOT arg_HEADERS)
    message(FATAL_ERROR "shimpool_add_shim(${target}): HEADERS is required (the vendor headers to wrap)")
  endif()
  if(NOT arg_NAME)
    set(arg_NAME ${target})
  endif()

  set(headers "")
  set(header_dirs "")
  foreach(header IN LISTS arg_HEADERS)
    cmake_path(ABSOLUTE_PATH header BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} NORMALIZE)
    list(APPEND headers ${header})
    cmake_path(GET header PARENT_PATH dir)
    list(APPEND header_dirs ${dir})
  endforeach()
  set(include_dirs "")
  foreach(dir IN LISTS arg_INCLUDE_DIRECTORIES)
    cmake_path(ABSOLUTE_PATH dir BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} NORMALIZE)
    list(APPEND include_dirs ${dir})
  endforeach()
  list(REMOVE_DUPLICATES header_dirs)

  # The same rule as the generator: C++ when told so, or when the header says so.
  set(language C)
  list(GET headers -1 main_header)
  cmake_path(GET main_header EXTENSION LAST_ONLY main_extension)
  if(arg_LANGUAGE STREQUAL "CXX" OR main_extension MATCHES "^\\.(hpp|hh|hxx|H)$"
     OR "-xc++" IN_LIST arg_CLANG_ARGS OR "c++" IN_LIST arg_CLANG_ARGS)
    set(language CXX)
  endif()
  set(parse_args ${arg_CLANG_ARGS})
  # Cross builds parse for the target (the toolchain files set the triple), so
  # types, calling conventions and export decorations are the target's.
  if(SHIMPOOL_TARGET_TRIPLE AND NOT parse_args MATCHES "(^|;)(--target|-target)")
    list(PREPEND parse_args --target=${SHIMPOOL_TARGET_TRIPLE})
  endif()
  if(arg_LANGUAGE STREQUAL "CXX" AND NOT "c++" IN_LIST parse_args)
    list(APPEND parse_args -x c++)
  endif()
  foreach(dir IN LISTS include_dirs)
    list(APPEND parse_args -I${dir})
  endforeach()

  set(real_library_option "")
  set(real_library_file "")
  if(arg_REAL_LIBRARY)
    if(TARGET ${arg_REAL_LIBRARY})
      set(real_library_file $<TARGET_FILE:${arg_REAL_LIBRARY}>)
    else()
      set(real_library_file ${arg_REAL_LIBRARY})
    endif()
    set(real_library_option --real-library ${real_library_file})
  endif()
  set(embed_option "")
  set(generation_inputs "")  # library files the generator reads
  if(arg_EMBED)
    if(NOT arg_REAL_LIBRARY)
      message(FATAL_ERROR "shimpool_add_shim(${target}): EMBED needs REAL_LIBRARY, the file or "
                          "target whose bytes the shim carries")
    endif()
    if(NOT TARGET ${arg_REAL_LIBRARY})
      cmake_path(ABSOLUTE_PATH real_library_file BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} NORMALIZE)
    endif()
    # Instances are written from the embedded bytes; the shim names them by file name.
    set(embed_option --embed ${real_library_file} --real-library $<PATH:GET_FILENAME,${real_library_file}>)
    set(real_library_option "")
    # The wrapper .incbin's it: a new library regenerates, so recompiles, the wrapper.
    list(APPEND generation_inputs ${real_library_file})
  endif()
  # Integrity pinning: the digest given, or the one of the library being shimmed.
  set(pin_option "")
  if("PIN_SHA256" IN_LIST arg_KEYWORDS_MISSING_VALUES)
    if(arg_EMBED OR (arg_REAL_LIBRARY AND TARGET ${arg_REAL_LIBRARY}))
      # The generator hashes the file it names or embeds; a rebuilt library regenerates the shim.
      set(pin_option --pin-sha256)
      list(APPEND generation_inputs ${real_library_file})
    else()
      set(pinned_file "${arg_REAL_LIBRARY}")
      if(pinned_file)
        cmake_path(ABSOLUTE_PATH pinned_file BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} NORMALIZE)
      endif()
      if(NOT pinned_file OR NOT EXISTS "${pinned_file}" OR IS_DIRECTORY "${pinned_file}")
        message(FATAL_ERROR "shimpool_add_shim(${target}): PIN_SHA256 without a digest hashes "
                            "REAL_LIBRARY, which must then name a target or an existing file "
                            "('${arg_REAL_LIBRARY}' is neither); give the digest: PIN_SHA256 <hex>")
      endif()
      file(SHA256 "${pinned_file}" pinned_digest)
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${pinned_file}")
      set(pin_option --pin-sha256=${pinned_digest})
    endif()
  elseif(DEFINED arg_PIN_SHA256)
    string(LENGTH "${arg_PIN_SHA256}" pin_length)
    if(NOT arg_PIN_SHA256 MATCHES "^[0-9a-fA-F]+$" OR NOT pin_length EQUAL 64)
      message(FATAL_ERROR "shimpool_add_shim(${target}): PIN_SHA256 '${arg_PIN_SHA256}' is not a "
                          "SHA-256 digest (64 hexadecimal digits, as sha256sum prints it)")
    endif()
    set(pin_option --pin-sha256=${arg_PIN_SHA256})
  endif()
  # The DLL whose export names and ordinals the .def reproduces.
  set(exports_file "")
  if(arg_EXPORTS_FROM AND TARGET ${arg_EXPORTS_FROM})
    set(exports_file $<TARGET_FILE:${arg_EXPORTS_FROM}>)
  elseif(arg_EXPORTS_FROM)
    cmake_path(ABSOLUTE_PATH arg_EXPORTS_FROM BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} NORMALIZE
               OUTPUT_VARIABLE exports_file)
  elseif(WIN32 AND arg_REAL_LIBRARY AND TARGET ${arg_REAL_LIBRARY})
    set(exports_file $<TARGET_FILE:${arg_REAL_LIBRARY}>)
  endif()
  set(exports_option "")
  if(exports_file)
    set(exports_option --exports-from ${exports_file})
    list(APPEND generation_inputs ${exports_file})
  endif()
  set(max_option "")
  if(arg_MAX_INSTANCES)
    set(max_option --max-instances ${arg_MAX_INSTANCES})
  endif()

  set(policy_options "")
  set(policy_dependencies "")
  if(arg_POLICY_FILE)
    cmake_path(ABSOLUTE_PATH arg_POLICY_FILE BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} NORMALIZE)
    list(APPEND policy_options --policy-file ${arg_POLICY_FILE})
    list(APPEND policy_dependencies ${arg_POLICY_FILE})
  endif()
  foreach(policy IN LISTS arg_POLICIES)
    list(APPEND policy_options --policy ${policy})
  endforeach()

  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/shimpool/${target})
  if(language STREQUAL "CXX")
    set(wrapper ${out_dir}/${arg_NAME}_shim.cpp)
  else()
    set(wrapper ${out_dir}/${arg_NAME}_shim.c)
  endif()
  set(version_script ${out_dir}/${arg_NAME}_shim.map)
  set(def_file ${out_dir}/${arg_NAME}_shim.def)
  set(api_header ${out_dir}/${arg_NAME}_shimpool.h)

  add_custom_command(
    OUTPUT ${wrapper} ${version_script} ${def_file} ${api_header}
    COMMAND $<TARGET_FILE:shimpool::shimpool> generate ${headers}
            --name ${arg_NAME} --out ${out_dir} ${real_library_option} ${max_option}
            ${embed_option} ${exports_option} ${pin_option} ${policy_options} -- ${parse_args}
    DEPENDS ${headers} ${policy_dependencies} ${generation_inputs} shimpool::shimpool
    COMMENT "Generating shimpool shim ${arg_NAME} from ${arg_HEADERS}"
    COMMAND_EXPAND_LISTS
    VERBATIM)

  add_library(${target} SHARED ${wrapper} ${api_header})
  target_link_libraries(${target} PRIVATE shimpool::runtime)
  # The generated <NAME>_shimpool.h includes the vendor headers: hosts get both.
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${out_dir}> "$<BUILD_INTERFACE:${header_dirs};${include_dirs}>")
  set_target_properties(${target} PROPERTIES
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    LINK_DEPENDS ${version_script})
  if(arg_OUTPUT_NAME)
    set_target_properties(${target} PROPERTIES OUTPUT_NAME ${arg_OUTPUT_NAME})
  endif()
  if(WIN32)
    # The .def lists every export with its exact name (and ordinal).
    target_sources(${target} PRIVATE ${def_file})
  else()
    # --no-undefined: a shim missing part of its runtime fails here, not in the host.
    # -z nodelete: the runtime's context and upkeep thread outlive any dlclose.
    target_link_options(${target} PRIVATE
      "LINKER:--version-script=${version_script}" "LINKER:--no-undefined" "LINKER:-z,nodelete")
  endif()
  foreach(library IN ITEMS ${arg_REAL_LIBRARY} ${arg_EXPORTS_FROM})
    if(TARGET ${library})
      add_dependencies(${target} ${library})
    endif()
  endforeach()
endfunction()
