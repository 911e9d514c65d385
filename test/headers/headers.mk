# test/headers/headers.mk - the public headers in every language mode; included
# by the top Makefile.
#   make check-headers   compile test/headers/tu.c as C11 and C17 (gcc, clang)
#                        and tu.cpp as C++11/14/17/20 (g++, clang++), each with
#                        -Wall -Wextra -pedantic -Werror; tu.cpp also includes
#                        indexbus.hpp from C++17 on. Objects go to $(B)/headers.

HDR_CCS   := gcc clang
HDR_CXXS  := g++ clang++
HDR_CSTDS := c11 c17
HDR_XSTDS := c++11 c++14 c++17 c++20
HDR_FLAGS := -Wall -Wextra -pedantic -Werror -Iabi/include
HDR_DEPS  := $(wildcard abi/include/indexbus/*.h abi/include/indexbus/*.hpp) test/headers/tu.c

.PHONY: check-headers

check-headers:
	@sh tools/deps.sh check --for check-headers $(HDR_CCS) $(HDR_CXXS)
	@mkdir -p $(B)/headers; fail=0; n=0; \
	for cc in $(HDR_CCS); do for std in $(HDR_CSTDS); do n=$$((n + 1)); \
	    if $$cc -std=$$std $(HDR_FLAGS) -c test/headers/tu.c -o $(B)/headers/$$cc-$$std.o; \
	    then echo "PASS $$cc -std=$$std"; else echo "FAIL $$cc -std=$$std"; fail=$$((fail + 1)); fi; \
	done; done; \
	for cc in $(HDR_CXXS); do for std in $(HDR_XSTDS); do n=$$((n + 1)); \
	    if $$cc -std=$$std $(HDR_FLAGS) -c test/headers/tu.cpp -o $(B)/headers/$$cc-$$std.o; \
	    then echo "PASS $$cc -std=$$std"; else echo "FAIL $$cc -std=$$std"; fail=$$((fail + 1)); fi; \
	done; done; \
	echo "headers: $$((n - fail)) passed, $$fail failed"; [ $$fail -eq 0 ]
