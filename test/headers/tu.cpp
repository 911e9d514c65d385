// tu.cpp - the public C headers as C++ (make check-headers: C++11, 14, 17
// and 20 with g++ and clang++); the C++ API header too, where it applies (C++17).
#include "tu.c"

#if __cplusplus >= 201703L
#include <indexbus/indexbus.hpp>
#endif
