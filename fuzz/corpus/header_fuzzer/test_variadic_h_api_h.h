API_EXPORT int api_g(int);
