# bindings/go/go.mk - the Go binding; -included by the top Makefile.
#   make go-binding    generate the SWIG layer (if stale) and build the packages
#   make check-go      deps, the committed SWIG output matches SWIG's, generate,
#                      go vet, go test, go test -race, and
#                      go test with GOEXPERIMENT=cgocheck2 when the Go has it
#   make go-demo       deps, then $(B)/go/indexbus-demo-sub, the Go consumer of `make demo`
#   make go-bench      deps, then $(B)/go/indexbus-bench, the Go side of `make bench`
# Both honour B (the library build dir). Go keeps its caches in their
# default places.

GO_DIR      := bindings/go
GO_SWIG_DIR := $(GO_DIR)/internal/swig
GO_SWIG_GEN := $(GO_SWIG_DIR)/indexbus.go $(GO_SWIG_DIR)/indexbus_wrap.c
GO_SWIG_IN  := bindings/swig/indexbus.i bindings/swig/go.i \
               abi/include/indexbus/indexbus.h abi/include/indexbus/layout.h
GO_SWIG_TMP := $(B)/go-swig

# The official Go tarball lives in /usr/local/go/bin, often not on PATH; a go
# already on PATH wins.
GO_PATH     := $(PATH):/usr/local/go/bin
GO          := PATH="$(GO_PATH)" go
# The package finds libindexbus through `#cgo pkg-config: indexbus`. In the
# tree that is an uninstalled indexbus.pc naming abi/include and $(B) (its
# rpath included), so the library in $(B) is the one linked and found at run time.
GO_PC_DIR   := $(abspath $(B))/pkgconfig
GO_PC       := $(GO_PC_DIR)/indexbus.pc
GO_ENV      := CGO_ENABLED=1 PKG_CONFIG_PATH=$(GO_PC_DIR)

.PHONY: go-deps go-generate go-binding check-go go-vet go-test go-demo go-bench check-go-generated

go-deps:
	@PATH="$(GO_PATH)" sh tools/deps.sh check --for check-go swig go

# Generate into $(B) first, from the top directory with relative paths so
# the output does not depend on where the tree lives, gofmt it, then replace
# the files in the source tree only when their content changed: generating
# again never changes a file.
$(GO_SWIG_GEN) &: $(GO_SWIG_IN) $(GO_DIR)/go.mk
	@mkdir -p $(GO_SWIG_TMP) $(GO_SWIG_DIR)
	$(call say,SWIG,bindings/swig/indexbus.i)swig -go -cgo -intgosize 64 -package swig \
	    -Ibindings/swig -Iabi/include -o $(GO_SWIG_TMP)/indexbus_wrap.c -outdir $(GO_SWIG_TMP) \
	    bindings/swig/indexbus.i
	$(Q)PATH="$(GO_PATH)" gofmt -w $(GO_SWIG_TMP)/indexbus.go
	$(Q)for f in indexbus.go indexbus_wrap.c; do \
	    if cmp -s $(GO_SWIG_TMP)/$$f $(GO_SWIG_DIR)/$$f; then touch $(GO_SWIG_DIR)/$$f; \
	    else cp $(GO_SWIG_TMP)/$$f $(GO_SWIG_DIR)/$$f; fi; done

go-generate: $(GO_SWIG_GEN)

$(GO_PC): pkgconfig/indexbus.pc.in
	@mkdir -p $(@D)
	$(call say,GEN,$@)sed -e 's|@PREFIX@|$(abspath .)|g' -e 's|@LIBDIR@|$(abspath $(B))|g' \
	    -e 's|@INCLUDEDIR@|$(abspath abi/include)|g' -e 's|@VERSION@|$(VERSION)|g' $< > $@

# The SWIG output is committed, so `go get` of the module needs no generator:
# regenerate it into $(B) and fail on any difference from the files in the tree.
check-go-generated: go-deps
	@rm -rf $(GO_SWIG_TMP)-check && mkdir -p $(GO_SWIG_TMP)-check
	@swig -go -cgo -intgosize 64 -package swig -Ibindings/swig -Iabi/include \
	    -o $(GO_SWIG_TMP)-check/indexbus_wrap.c -outdir $(GO_SWIG_TMP)-check bindings/swig/indexbus.i
	@PATH="$(GO_PATH)" gofmt -w $(GO_SWIG_TMP)-check/indexbus.go
	@fail=0; for f in indexbus.go indexbus_wrap.c; do \
	    if cmp -s $(GO_SWIG_TMP)-check/$$f $(GO_SWIG_DIR)/$$f; then echo "PASS $(GO_SWIG_DIR)/$$f is SWIG's output"; \
	    else echo "FAIL $(GO_SWIG_DIR)/$$f differs from SWIG's output (make go-generate, then commit)"; \
	        diff -u $(GO_SWIG_DIR)/$$f $(GO_SWIG_TMP)-check/$$f | head -n 20; fail=1; fi; \
	done; exit $$fail

go-binding: lib go-generate $(GO_PC)
	$(call say,GO,build ./...)cd $(GO_DIR) && $(GO_ENV) $(GO) build ./...

go-vet: go-binding
	$(call say,GOFMT,-l $(GO_DIR))cd $(GO_DIR) && unformatted=$$(PATH="$(GO_PATH)" gofmt -l .) && \
	    { [ -z "$$unformatted" ] || { echo "gofmt needed: $$unformatted"; exit 1; }; }
	$(call say,GO,vet ./...)cd $(GO_DIR) && $(GO_ENV) $(GO) vet ./...

go-test: go-vet
	$(call say,GO,test ./...)cd $(GO_DIR) && $(GO_ENV) $(GO) test -count=1 ./...
	$(call say,GO,test -race ./...)cd $(GO_DIR) && $(GO_ENV) $(GO) test -count=1 -race ./...
	$(Q)cd $(GO_DIR) && if $(GO_ENV) GOEXPERIMENT=cgocheck2 $(GO) env GOEXPERIMENT >/dev/null 2>&1; then \
	    echo "  GO GOEXPERIMENT=cgocheck2 test ./..."; \
	    $(GO_ENV) GOEXPERIMENT=cgocheck2 $(GO) test -count=1 ./...; \
	else echo "  GO this Go has no GOEXPERIMENT=cgocheck2: that run is skipped"; fi

check-go: go-deps
	$(MAKE) check-go-generated
	$(MAKE) go-test

# The Go consumer of `make demo` (cmd/indexbus-demo-sub). Like check-go: the
# tools first, then the build in a sub-make that sees them; lib is built here
# so the sub-make finds it up to date even under -j.
go-demo: go-deps lib
	$(Q)$(MAKE) --no-print-directory go-binding
	@mkdir -p $(B)/go
	$(call say,GO,build $(B)/go/indexbus-demo-sub)cd $(GO_DIR) && $(GO_ENV) $(GO) build \
	    -o $(abspath $(B))/go/indexbus-demo-sub ./cmd/indexbus-demo-sub

# The Go binding bench of `make bench` (cmd/indexbus-bench), built like go-demo.
go-bench: go-deps lib
	$(Q)$(MAKE) --no-print-directory go-binding
	@mkdir -p $(B)/go
	$(call say,GO,build $(B)/go/indexbus-bench)cd $(GO_DIR) && $(GO_ENV) $(GO) build \
	    -o $(abspath $(B))/go/indexbus-bench ./cmd/indexbus-bench
