# Shared part of the MinGW-w64 toolchain files: set SHIMPOOL_MINGW_ARCH
# (x86_64 or i686) and include this. Cross-builds the runtime, the examples and
# their shims for Windows with Debian's mingw-w64; the generator is a build
# tool and runs on the build machine (SHIMPOOL_GENERATOR, see docs/windows.md).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR ${SHIMPOOL_MINGW_ARCH})
set(SHIMPOOL_TARGET_TRIPLE ${SHIMPOOL_MINGW_ARCH}-w64-mingw32)

# The posix thread model: std::thread and std::mutex need it with GCC 12.
set(CMAKE_C_COMPILER ${SHIMPOOL_TARGET_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${SHIMPOOL_TARGET_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${SHIMPOOL_TARGET_TRIPLE}-windres)

set(CMAKE_FIND_ROOT_PATH /usr/${SHIMPOOL_TARGET_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# libgcc, libstdc++ and winpthread linked in: programs and DLLs run without
# MinGW's own DLLs on PATH, as a shim shipped next to a vendor DLL must.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static")
