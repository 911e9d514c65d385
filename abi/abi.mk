# ---- ABI gate (included by the top Makefile; see abi/README.md) ---------------
#   make abi-check       compare $(B)'s library with abi/baseline/ (fails on any drift),
#                        and abi/LAYOUT.md's struct tables with layout.h
#   make abi-baseline    rewrite abi/baseline/ for a deliberate, reviewed change
#   make check-abi-gate  prove the gate catches breaks, in a scratch copy of the tree
.PHONY: abi-deps abi-check abi-baseline check-abi-gate

# abidw/abidiff (Debian: abigail-tools), binutils, python3; `make deps` installs them.
abi-deps:
	@sh tools/deps.sh check --for abi-check abidw abidiff nm readelf python3

abi-check: abi-deps lib
	@CC="$(CC)" sh abi/abi.sh check $(B) $(SOLIB)

abi-baseline: abi-deps lib
	@CC="$(CC)" sh abi/abi.sh baseline $(B) $(SOLIB)

check-abi-gate: abi-deps
	@CC="$(CC)" sh test/abi_gate_test.sh
