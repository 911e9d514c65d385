# bindings/java/java.mk - the Java binding; included by the top Makefile.
#   make java-binding   SWIG JNI layer + libindexbus_jni.so (libindexbus linked in) + the jar
#   make check-java     the same, then the JUnit suite (Maven Surefire)
# Everything generated lands in bindings/java/target (git-ignored) and $(B)/java:
#   target/generated-sources/swig/io/indexbus/internal/*.java   SWIG's Java classes
#   target/swig/indexbus_wrap.c                                  SWIG's JNI C code
#   $(B)/java/libindexbus_jni.so                                 the JNI library
#   target/native-resources/native/linux-<arch>/libindexbus_jni.so   bundled in the jar

.PHONY: java-deps java-native java-binding check-java

JAVA_DIR      := bindings/java
JAVA_JAR      := $(JAVA_DIR)/target/indexbus-$(VERSION).jar
JAVA_GEN_DIR  := $(JAVA_DIR)/target/generated-sources/swig
JAVA_PKG      := io.indexbus.internal
JAVA_PKG_DIR  := $(JAVA_GEN_DIR)/io/indexbus/internal
JAVA_WRAP     := $(JAVA_DIR)/target/swig/indexbus_wrap.c
JAVA_JNI      := $(B)/java/libindexbus_jni.so
# The architecture the library is built for, as the jar names it (NativeLibrary.platform():
# x86_64, aarch64): the compiler's target, so that a cross CC (say
# CC=aarch64-linux-gnu-gcc) lands in linux-aarch64 and not in the build machine's folder.
JAVA_ARCH     ?= $(firstword $(subst -, ,$(shell $(CC) -dumpmachine 2>/dev/null || uname -m)))
JAVA_RES      := $(JAVA_DIR)/target/native-resources/native/linux-$(JAVA_ARCH)/libindexbus_jni.so
JAVA_SWIG_IN  := bindings/swig/indexbus.i bindings/swig/java.i $(wildcard abi/include/indexbus/*.h)
JAVA_LOG      := $(abspath $(B))/java/mvn.log
MVN           ?= mvn
MVN_FLAGS     ?= -B -ntp -Dindexbus.build=$(B)
# The POM's version is ${revision}; make's $(VERSION) is the one source of it, written to
# .mvn/maven.config so that a plain `mvn` in bindings/java builds the same version. The
# file is committed (Maven reads it before any plugin could write it: a fresh clone's
# `mvn install` needs it), and check-java fails if it disagrees with $(VERSION).
JAVA_MVN_CONFIG := $(JAVA_DIR)/.mvn/maven.config

# The JDK whose jni.h to compile against: $JAVA_HOME if it has one, else the JDK that
# the javac on PATH belongs to (javac is usually a chain of symlinks into it).
JAVA_JDK = $(shell h='$(JAVA_HOME)'; [ -f "$$h/include/jni.h" ] || \
    h=$$(dirname "$$(dirname "$$(readlink -f "$$(command -v javac)")")"); echo "$$h")
# SWIG's wrapper code type-puns pointers through jlong, hence -fno-strict-aliasing.
JAVA_JNI_CFLAGS = -std=c11 -D_GNU_SOURCE -fPIC -O2 -g -fno-strict-aliasing -Wall \
    -Wno-unused-function -I'$(JAVA_JDK)/include' -I'$(JAVA_JDK)/include/linux' -Iabi/include

# swig, a JDK and Maven (`make deps` installs them).
java-deps:
	@sh tools/deps.sh check --for check-java swig javac mvn

# One SWIG run writes both the Java classes and the C wrapper.
$(JAVA_WRAP) $(JAVA_PKG_DIR)/indexbusJNI.java &: $(JAVA_SWIG_IN) | java-deps
	@rm -rf $(JAVA_PKG_DIR)
	@mkdir -p $(JAVA_PKG_DIR) $(dir $(JAVA_WRAP))
	$(call say,SWIG,$(JAVA_PKG))swig -java -package $(JAVA_PKG) -Iabi/include \
	    -outdir $(JAVA_PKG_DIR) -o $(JAVA_WRAP) bindings/swig/indexbus.i

# Self-contained: libindexbus.a is linked in (its symbols kept private, so a libindexbus.so
# loaded by someone else in the same process cannot interpose), needing only libc. The
# library may export nothing but SWIG's Java_* entry points; readelf (not nm) checks it,
# as it reads any architecture's ELF.
$(JAVA_JNI): $(JAVA_WRAP) $(ALIB) $(JAVA_DIR)/java.mk | java-deps
	@mkdir -p $(@D)
	@[ -f '$(JAVA_JDK)/include/jni.h' ] || { echo "java: no jni.h under '$(JAVA_JDK)'; set JAVA_HOME to a JDK" >&2; exit 1; }
	$(call say,CC,$@)$(CC) $(JAVA_JNI_CFLAGS) -shared -Wl,-z,defs -Wl,--exclude-libs,ALL -o $@.tmp $(JAVA_WRAP) $(ALIB) $(LDLIBS)
	@bad=$$(readelf --dyn-syms -W $@.tmp | awk '$$1 ~ /^[0-9]+:$$/ && $$7 != "UND" && $$5 != "LOCAL" && $$8 !~ /^Java_/ {print $$8}'); \
	    [ -z "$$bad" ] || { echo "java: $@ exports more than Java_* symbols: $$bad" >&2; rm -f $@.tmp; exit 1; }
	$(Q)mv $@.tmp $@

$(JAVA_RES): $(JAVA_JNI)
	@mkdir -p $(@D)
	$(Q)cp $< $@

$(JAVA_MVN_CONFIG): Makefile
	@mkdir -p $(@D)
	$(Q)echo "-Drevision=$(VERSION)" > $@

java-native: $(JAVA_PKG_DIR)/indexbusJNI.java $(JAVA_RES) $(JAVA_MVN_CONFIG)

java-binding: java-native
	@mkdir -p $(B)/java
	@cd $(JAVA_DIR) && $(MVN) $(MVN_FLAGS) -DskipTests -Dmaven.javadoc.skip=true \
	    -Dmaven.source.skip=true package > $(JAVA_LOG) 2>&1 || \
	    { tail -n 60 $(JAVA_LOG); echo "java: mvn package failed (log: $(JAVA_LOG))"; exit 1; }
	@echo "  JAR   $(JAVA_JAR)"

# Maven's output goes to $(JAVA_LOG); the summary lines (Surefire's "Tests run: ...")
# are printed, and the log tail too if anything failed.
check-java: java-native
	@[ "$$(cat $(JAVA_MVN_CONFIG))" = "-Drevision=$(VERSION)" ] || { echo "java: \
	    $(JAVA_MVN_CONFIG) does not say -Drevision=$(VERSION): commit the regenerated file" >&2; exit 1; }
	@mkdir -p $(B)/java
	@echo "  MVN   test ($(JAVA_DIR))"
	@cd $(JAVA_DIR) && { $(MVN) $(MVN_FLAGS) test > $(JAVA_LOG) 2>&1; st=$$?; \
	    grep -E '^\[(INFO|WARNING|ERROR)\] (Tests run:|Tests in error|Failures:|FAIL|BUILD)' $(JAVA_LOG) \
	        | grep -v ' -- in '; \
	    if [ $$st -ne 0 ]; then tail -n 80 $(JAVA_LOG); echo "java: mvn test failed (log: $(JAVA_LOG))"; fi; \
	    exit $$st; }
