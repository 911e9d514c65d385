# test/cxx/cxx.mk - the C++ API (abi/include/indexbus/indexbus.hpp); included
# by the top Makefile.
#   make check-cxx   build every test/cxx/*.cpp (one program per feature: errors,
#                    raii, claim, borrow, blocking, batch, router, interop; byte
#                    logs: log, claim_batch, space, blocking_producer; 1.1
#                    byte streams: stream; request/response: rpc) and
#                    docs/examples/hello.cpp twice - g++ -std=c++17 (the
#                    pointer + size span) and clang++ -std=c++20 (std::span) -
#                    under ASan + UBSan, linked against $(B)/libindexbus.so,
#                    and run each; prints "cxx: N passed, M failed".
# Programs and logs go to $(B)/cxx/<g++|clang++>/. The interop test execs the
# C side, the indexbus CLI, as $(CLI).

CXX_TESTS := $(basename $(notdir $(wildcard test/cxx/*.cpp)))
CXX_HDRS  := $(wildcard abi/include/indexbus/*.h abi/include/indexbus/*.hpp test/cxx/*.hpp)
CXX_SAN   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
CXX_FLAGS := -Wall -Wextra -Wshadow -pedantic -Werror -O1 -g -D_GNU_SOURCE -Iabi/include -Itest/cxx
CXX_LINK   = -L$(B) -lindexbus -Wl,-rpath,$(abspath $(B)) -pthread
CXX_BINS  := $(foreach c,g++ clang++,$(addprefix $(B)/cxx/$(c)/,$(CXX_TESTS) example-hello))

.PHONY: check-cxx cxx-build

$(B)/cxx/g++/%: test/cxx/%.cpp $(CXX_HDRS) $(B)/libindexbus.so
	@mkdir -p $(@D)
	$(call say,CXX,$@)g++ -std=c++17 $(CXX_FLAGS) $(CXX_SAN) -o $@ $< $(CXX_LINK)
$(B)/cxx/clang++/%: test/cxx/%.cpp $(CXX_HDRS) $(B)/libindexbus.so
	@mkdir -p $(@D)
	$(call say,CXX,$@)clang++ -std=c++20 $(CXX_FLAGS) $(CXX_SAN) -o $@ $< $(CXX_LINK)
# The README's C++ example, built the same way.
$(B)/cxx/g++/example-hello: docs/examples/hello.cpp $(CXX_HDRS) $(B)/libindexbus.so
	@mkdir -p $(@D)
	$(call say,CXX,$@)g++ -std=c++17 $(CXX_FLAGS) $(CXX_SAN) -o $@ $< $(CXX_LINK)
$(B)/cxx/clang++/example-hello: docs/examples/hello.cpp $(CXX_HDRS) $(B)/libindexbus.so
	@mkdir -p $(@D)
	$(call say,CXX,$@)clang++ -std=c++20 $(CXX_FLAGS) $(CXX_SAN) -o $@ $< $(CXX_LINK)

cxx-build: $(CXX_BINS)

check-cxx: all
	@sh tools/deps.sh check --for check-cxx g++ clang++
	@$(MAKE) --no-print-directory cxx-build
	@pass=0; fail=0; for t in $(CXX_BINS); do \
	    if IB_CLI=$(abspath $(CLI)) timeout 120 $$t >$$t.log 2>&1; then \
	        pass=$$((pass + 1)); echo "PASS $${t#$(B)/cxx/}"; \
	    else fail=$$((fail + 1)); echo "FAIL $${t#$(B)/cxx/} (log: $$t.log)"; sed 's/^/    /' $$t.log | tail -n 30; fi; \
	done; echo "cxx: $$pass passed, $$fail failed"; [ $$fail -eq 0 ]
