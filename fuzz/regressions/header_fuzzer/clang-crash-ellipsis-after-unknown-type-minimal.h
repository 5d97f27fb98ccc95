void clang_crash(x(y) ...);
