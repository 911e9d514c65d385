# test/outside/outside.mk - projects outside the tree use the installed
# artifacts with their own tools alone; included by the top Makefile.
#   make check-outside   `make install PREFIX=` twice (another prefix first, so a
#                        stale .pc would show), then test/outside/c.sh (pkg-config,
#                        dynamic and --static) and cmake.sh (find_package, g++ and
#                        clang++) and go.sh (a Go module using a `git archive` copy of
#                        bindings/go through pkg-config) and python.sh (the sdist and wheel
#                        of `python -m build`, each in a fresh venv) and rust.sh (the packaged
#                        crates, bundled and through pkg-config) and java.sh (mvn install into a
#                        fresh local repository, an outside Maven project on the jar) against
#                        the second install;
#                        each project exchanges messages with the installed CLI.

.PHONY: check-outside

# Fresh temporary prefixes each run, so a .pc left from an earlier one cannot match.
check-outside: all
	@PATH="$(GO_PATH)" sh tools/deps.sh check --for check-outside pkg-config cmake gcc g++ \
	    clang clang++ go git python3-venv python3-dev cargo \
	    javac mvn
	@first=$$(mktemp -d) && prefix=$$(mktemp -d) || exit 1; \
	$(MAKE) -s --no-print-directory install B=$(B) PREFIX=$$first >/dev/null && \
	$(MAKE) -s --no-print-directory install B=$(B) PREFIX=$$prefix >/dev/null || exit 1; \
	fail=0; \
	sh test/outside/c.sh $$prefix || fail=1; \
	sh test/outside/cmake.sh $$prefix || fail=1; \
	PATH="$(GO_PATH)" sh test/outside/go.sh $$prefix || fail=1; \
	sh test/outside/python.sh $$prefix || fail=1; \
	sh test/outside/rust.sh $$prefix || fail=1; \
	B=$(B) sh test/outside/java.sh $$prefix || fail=1; \
	rm -rf $$first $$prefix; exit $$fail
