# 32-bit Windows with MinGW-w64 (stdcall/fastcall name decoration). Built and
# checked, not run: Debian's wine64 package runs 64-bit programs only.
set(SHIMPOOL_MINGW_ARCH i686)
include(${CMAKE_CURRENT_LIST_DIR}/mingw-w64.cmake)
