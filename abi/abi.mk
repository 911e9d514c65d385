# ---- ABI gate (included by the top Makefile; see abi/README.md) ---------------
#   make abi-check       compare $(B)'s library with abi/baseline/ (fails on any drift),
#                        and abi/LAYOUT.md's struct tables with layout.h
#   make abi-baseline    rewrite abi/baseline/ for a deliberate, reviewed change
#   make check-abi-gate  prove the gate catches breaks, in a scratch copy of the tree
.PHONY: abi-deps abi-check abi-baseline check-abi-gate

# abidw/abidiff come from Debian's abigail-tools (tools/deps.sh does not map
# them, so this is the same install step written out).
abi-deps:
	@if command -v abidw >/dev/null 2>&1 && command -v abidiff >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    { echo "deps: installing abigail-tools" >&2; \
	      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq abigail-tools) >&2; }; then :; \
	else echo "deps: missing abidw/abidiff; install the Debian package: abigail-tools" >&2; exit 1; fi
	@sh tools/deps.sh nm readelf python3

abi-check: abi-deps lib
	@CC="$(CC)" sh abi/abi.sh check $(B) $(SOLIB)

abi-baseline: abi-deps lib
	@CC="$(CC)" sh abi/abi.sh baseline $(B) $(SOLIB)

check-abi-gate: abi-deps
	@CC="$(CC)" sh test/abi_gate_test.sh
