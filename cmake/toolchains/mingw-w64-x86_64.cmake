# 64-bit Windows with MinGW-w64; tests run under Wine (wine64).
set(SHIMPOOL_MINGW_ARCH x86_64)
include(${CMAKE_CURRENT_LIST_DIR}/mingw-w64.cmake)

# Debian installs the wine64 launcher outside PATH.
find_program(SHIMPOOL_WINE64 NAMES wine64 PATHS /usr/lib/wine /usr/lib64/wine NO_CMAKE_FIND_ROOT_PATH)
if(SHIMPOOL_WINE64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${SHIMPOOL_WINE64})
endif()
