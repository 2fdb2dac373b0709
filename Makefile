# plmscope: run ./configure first. Files are discovered, not listed:
#   libcore/*/*.c formats/*.c -> libplmscope.so  tools/*.c        -> bin/<tool>
#   plugins/*.c              -> plugins/<p>.so   tests/unit/test_*.c -> tests/<test>
#   tests/fuzz/fuzz_*.c      -> fuzz/<target>    (clang + libFuzzer)
# BUILD=dir puts every output under dir; SANITIZE=1 builds with ASan + UBSan into build-san.

ifeq ($(wildcard config.mk),)
$(error run ./configure first)
endif
include config.mk

SHARED   ?= ../shared
SANITIZE ?= 0
ifeq ($(SANITIZE),1)
BUILD    ?= build-san
SAN      = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
else
BUILD    ?= build
SAN      =
endif
CFLAGS   ?= -O2 -g
# libcore's layers, each including only those before it: base (errors, tensors, records, the
# stream), backend (compute), model (the language models), analysis, app (what tools share).
# Headers are included by name (-I each folder) and installed flat into include/plmscope.
CORE_DIRS = libcore/base libcore/backend libcore/model libcore/analysis libcore/app libcore
INCLUDES = -I. $(addprefix -I,$(CORE_DIRS)) -Iformats
XCFLAGS  = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -fPIC $(INCLUDES) \
           $(DEP_CFLAGS) $(SAN) $(CFLAGS)
RPATH    = -Wl,-rpath,'$$ORIGIN/../lib'

LIB_SRC  = $(wildcard $(addsuffix /*.c,$(CORE_DIRS)) formats/*.c)
LIB_OBJ  = $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRC))
LIB      = $(BUILD)/lib/libplmscope.so
TOOLS    = $(patsubst tools/%.c,$(BUILD)/bin/%,$(wildcard tools/*.c))
PLUGINS  = $(patsubst plugins/%.c,$(BUILD)/lib/plmscope/plugins/%.so,$(wildcard plugins/*.c))
UNITS    = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
FUZZERS  = $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
MANPAGES = $(wildcard man/man1/*.1 man/man5/*.5 man/man7/*.7)
HEADERS  = $(wildcard $(addsuffix /*.h,$(CORE_DIRS)) formats/*.h) config.h

.PHONY: all check fuzz bench demo install uninstall clean man ngl deb
all: $(LIB) $(TOOLS) $(PLUGINS) $(UNITS) man ngl

# attnview inlines NGL (MIT) into its pages; npm installs it into the build tree,
# never into the repository. Without npm, attnview needs --ngl and its tests say SKIP.
NGL = $(BUILD)/npm/node_modules/ngl/dist/ngl.js
ngl: $(NGL)
$(NGL):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --silent --no-audit --no-fund --prefix $(BUILD)/npm ngl@2.5.0 playwright-core@1.65.1 \
	  || echo "warning: npm could not install NGL: attnview will need --ngl"; \
	else echo "note: npm not found: attnview will need --ngl PATH to ngl.js"; fi

$(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared $(SAN) -o $@ $(LIB_OBJ) $(DEP_LIBS)

$(BUILD)/bin/%: tools/%.c $(LIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) $< -o $@ -L$(BUILD)/lib -lplmscope $(RPATH) $(DEP_LIBS)

$(BUILD)/lib/plmscope/plugins/%.so: plugins/%.c $(LIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -shared $< -o $@ -L$(BUILD)/lib -lplmscope -Wl,-rpath,'$$ORIGIN/../..' $(DEP_LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/test.h tests/golden.h $(LIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -Itests $< -o $@ -L$(BUILD)/lib -lplmscope -Wl,-rpath,'$$ORIGIN/../lib' $(DEP_LIBS)

# fuzz targets link the library sources compiled once with libFuzzer + ASan + UBSan
FUZZ_FLAGS = -g -O1 -std=c11 -D_GNU_SOURCE $(INCLUDES) $(DEP_CFLAGS)
FUZZ_OBJ   = $(patsubst %.c,$(BUILD)/fuzzobj/%.o,$(LIB_SRC))
$(BUILD)/fuzzobj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

.SECONDARY: $(FUZZ_OBJ)
$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/structure_fuzz.h $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined $< $(FUZZ_OBJ) -o $@ $(DEP_LIBS)

# man pages are checked by tests/pipeline/manpages.sh (groff warnings, one page per tool)
man: $(MANPAGES)

fuzz: $(FUZZERS)

check: all $(if $(FUZZ_CC),fuzz)
	@BUILD=$(BUILD) SHARED=$(SHARED) PYTHON=$(PYTHON) FUZZ=$(if $(FUZZ_CC),1,0) SANITIZE=$(SANITIZE) sh tests/run.sh

bench: all
	@BUILD=$(BUILD) SHARED=$(SHARED) PYTHON=$(PYTHON) sh bench/run.sh

demo: all
	@BUILD=$(BUILD) SHARED=$(SHARED) sh examples/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/plmscope/plugins $(DESTDIR)$(PREFIX)/include/plmscope \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
	install -m 755 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	$(if $(PLUGINS),install -m 755 $(PLUGINS) $(DESTDIR)$(PREFIX)/lib/plmscope/plugins/)
	install -m 644 $(HEADERS) $(DESTDIR)$(PREFIX)/include/plmscope/
	for s in 1 5 7; do for m in man/man$$s/*.$$s; do [ -f "$$m" ] && install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; done; done; true
	if [ -f $(NGL) ]; then install -d $(DESTDIR)$(PREFIX)/share/plmscope && install -m 644 $(NGL) $(DESTDIR)$(PREFIX)/share/plmscope/; fi
	sed -e 's|@PREFIX@|$(PREFIX)|' -e "s|@VERSION@|$$(cat VERSION)|" plmscope.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/plmscope.pc

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(notdir $(TOOLS))) $(DESTDIR)$(PREFIX)/lib/libplmscope.so \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/plmscope.pc
	rm -rf $(DESTDIR)$(PREFIX)/lib/plmscope $(DESTDIR)$(PREFIX)/include/plmscope $(DESTDIR)$(PREFIX)/share/plmscope
	for s in 1 5 7; do for m in man/man$$s/*.$$s; do rm -f $(DESTDIR)$(PREFIX)/share/man/man$$s/$$(basename $$m); done; done; true

# a Debian package for cluster nodes (debian/): build/deb/plmscope_VERSION_ARCH.deb
deb:
	dpkg-buildpackage -b -us -uc
	mkdir -p $(BUILD)/deb
	mv ../plmscope_$$(cat VERSION)_* ../plmscope-dbgsym_$$(cat VERSION)_* $(BUILD)/deb/ 2>/dev/null; ls $(BUILD)/deb/*.deb

clean:
	rm -rf build build-san build-deb
