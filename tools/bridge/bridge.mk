# ---- indexbus-bridge: regions over NATS JetStream (docs/BRIDGE.md) -----------------
# Built with the default target when libnats (Debian libnats-dev) is there;
# libindexbus itself never links it.
BRIDGE      := $(B)/indexbus-bridge
BRIDGE_SRC  := $(wildcard tools/bridge/*.c)
BRIDGE_OBJ  := $(BRIDGE_SRC:%.c=$(B)/%.o)
HAVE_NATS   := $(shell pkg-config --exists libnats 2>/dev/null && echo 1)
NATS_CFLAGS := $(shell pkg-config --cflags libnats 2>/dev/null)
NATS_LIBS   := $(shell pkg-config --libs libnats 2>/dev/null)

.PHONY: bridge install-bridge uninstall-bridge
all: bridge

ifeq ($(HAVE_NATS),1)
bridge: $(BRIDGE)
else
bridge:
	@echo "  note: libnats not found (pkg-config libnats): indexbus-bridge not built (libnats-dev; make deps)"
endif

$(B)/tools/bridge/%.o: tools/bridge/%.c tools/bridge/bridge.h $(wildcard abi/include/indexbus/*.h)
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) $(NATS_CFLAGS) -c $< -o $@

$(BRIDGE): $(BRIDGE_OBJ) $(B)/libindexbus.so
	$(call say,LD,$@)$(CC) $(SAN) -o $@ $(BRIDGE_OBJ) -L$(B) -lindexbus $(NATS_LIBS) \
	    -Wl,-rpath,'$$ORIGIN:$$ORIGIN/../lib' $(LDLIBS)

# `make install` puts it beside the CLI (which runs it for `indexbus bridge`).
install: install-bridge
install-bridge: bridge
	@if [ -f $(BRIDGE) ]; then install -d $(DESTDIR)$(BINDIR) && \
	    echo "install -m 0755 $(BRIDGE) $(DESTDIR)$(BINDIR)/" && \
	    install -m 0755 $(BRIDGE) $(DESTDIR)$(BINDIR)/; fi

uninstall: uninstall-bridge
uninstall-bridge:
	rm -f $(DESTDIR)$(BINDIR)/indexbus-bridge
