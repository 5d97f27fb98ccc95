#ifndef API_ON
#error API_ON undefined
#endif
API_EXPORT int api_f(int);
