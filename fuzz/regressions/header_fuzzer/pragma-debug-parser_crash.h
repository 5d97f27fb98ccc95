#pragma clang __debug parser_crash
int dbg_parser_crash(int);
