# gitdial build. ./build.sh drives this; `make` alone builds build/bin/.
# SAN=1 builds an ASan+UBSan tree in build-san/ for the test suite.

CC      ?= cc
PKGS    := libgit2 libcjson libcurl libarchive libcrypto zlib
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wvla
CFLAGS  ?= -O2 -g
# Each object's header dependencies, as the compiler saw them (.d beside
# the .o); -MP keeps a deleted header from breaking the build.
DEPFLAGS = -MMD -MP
ifeq ($(SAN),1)
B       := build-san
CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
           -fno-sanitize-recover=undefined
LDSAN   := -fsanitize=address,undefined
else
B       := build
endif
CPPFLAGS += -D_GNU_SOURCE -Irunner/core -Ifunctions/common \
            $(shell pkg-config --cflags $(PKGS))
LDLIBS  := -Wl,--as-needed $(shell pkg-config --libs $(PKGS)) -lcsv -lz -lpthread
# libfcgi (FastCGI, functions/common/web.c) for what links libfn.a: the
# function binaries, and the tests that pull web.o in; never the runner.
FN_LIBS := -lfcgi

CORE_SRC := $(wildcard runner/core/*.c)
CMD_SRC  := runner/main.c $(wildcard runner/cmd/*.c)
FNC_SRC  := $(wildcard functions/common/*.c)
FN_DIRS  := $(filter-out common,$(notdir $(patsubst %/,%,$(wildcard functions/*/))))
UNIT_SRC := $(wildcard tests/unit/*.c)
FUZZ_SRC := $(wildcard tests/fuzz/*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

DATA     := gd_data_phone_zones=schemas/data/phone-zones.txt \
            gd_data_phone_lengths=schemas/data/phone-lengths.txt \
            gd_data_phone_types=schemas/data/phone-types.txt \
            gd_data_nanp_regions=schemas/data/nanp-regions.txt \
            gd_data_rules=schemas/rules/rules.json \
            gd_data_template=$(B)/gen/template.tar
TEMPLATE := $(shell find campaigns -type f 2>/dev/null)
CORE_OBJ := $(call obj,$(CORE_SRC)) $(B)/obj/gen/data.o
FNC_OBJ  := $(call obj,$(FNC_SRC))
BINS     := $(B)/bin/gitdial $(patsubst %,$(B)/bin/gitdial-%,$(FN_DIRS))
UNITS    := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
FUZZ_REPLAY := $(patsubst tests/fuzz/%.c,$(B)/tests/replay-%,$(FUZZ_SRC))

# `make install`: the binaries (the data they need is built into them),
# the JSON schemas for editors and CI, the documentation.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/gitdial
DOCDIR  ?= $(PREFIX)/share/doc/gitdial
# VERSION, or VERSION+git<N>.<hash> between releases (tools/version.sh).
GD_VERSION := $(shell sh tools/version.sh)

all: $(BINS) $(UNITS) $(FUZZ_REPLAY)

# An object without its .d yet (a tree built before -MMD) is rebuilt once.
$(B)/obj/%.o: %.c $(B)/obj/%.d
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

ALL_SRC  := $(wildcard runner/*.c runner/*/*.c functions/*/*.c tests/*.c \
              tests/unit/*.c tests/fuzz/*.c)
DEPFILES := $(patsubst %.c,$(B)/obj/%.d,$(ALL_SRC))
$(DEPFILES):
include $(wildcard $(DEPFILES))

$(B)/gen/template.tar: $(TEMPLATE)
	@mkdir -p $(dir $@)
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
	    -cf $@ -C campaigns .

$(B)/gen/data.c: tools/embed.sh $(foreach d,$(DATA),$(word 2,$(subst =, ,$(d))))
	@mkdir -p $(dir $@)
	sh tools/embed.sh $@ $(DATA)

$(B)/obj/gen/data.o: $(B)/gen/data.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/libgitdial.a: $(CORE_OBJ)
	@rm -f $@; ar rcs $@ $^

$(B)/libfn.a: $(FNC_OBJ)
	@rm -f $@; ar rcs $@ $^

# Rewritten only when the version changes, so builds stay incremental.
$(B)/gen/version.c: FORCE
	@mkdir -p $(dir $@)
	@printf 'const char gd_version[] = "%s";\n' '$(GD_VERSION)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(B)/obj/gen/version.o: $(B)/gen/version.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/bin/gitdial: $(call obj,$(CMD_SRC)) $(B)/obj/gen/version.o $(B)/libgitdial.a
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS)

# libre (SIP) only for what needs it: gitdial-sip and its unit test.
# The defines are the ones libre itself is built with (/usr/share/re/re.mk).
RE_CPPFLAGS := -DHAVE_INTTYPES_H -DHAVE_STDBOOL_H -DHAVE_INET6 \
               $(shell pkg-config --cflags libre)
RE_LIBS     := $(shell pkg-config --libs libre)
$(B)/obj/functions/sip/%.o $(B)/obj/tests/unit/test_sip.o $(B)/obj/tests/fuzz/sip.o: CPPFLAGS += $(RE_CPPFLAGS)
$(B)/obj/tests/unit/test_sip.o $(B)/obj/tests/fuzz/sip.o: CPPFLAGS += -Ifunctions/sip
$(B)/bin/gitdial-sip: LDLIBS += $(RE_LIBS) -lssl

$(B)/tests/test_sip: $(B)/obj/tests/unit/test_sip.o $(B)/obj/functions/sip/sip_logic.o $(B)/libfn.a $(B)/libgitdial.a
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS) $(FN_LIBS) $(RE_LIBS)
$(B)/tests/replay-sip: $(B)/obj/tests/fuzz/sip.o $(B)/obj/tests/fuzz_replay_main.o $(B)/obj/functions/sip/sip_logic.o $(B)/libfn.a $(B)/libgitdial.a
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS) $(FN_LIBS) $(RE_LIBS)

.SECONDEXPANSION:
$(B)/bin/gitdial-%: $$(call obj,$$(wildcard functions/%/*.c)) $(B)/libfn.a $(B)/libgitdial.a
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS) $(FN_LIBS)

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(B)/libfn.a $(B)/libgitdial.a
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS) $(FN_LIBS)

# The WhatsApp unit test holds the function's pure mappings to providers.md.
$(B)/obj/tests/unit/test_whatsapp.o: CPPFLAGS += -Ifunctions/whatsapp
$(B)/tests/test_whatsapp: $(B)/obj/tests/unit/test_whatsapp.o \
		$(B)/obj/functions/whatsapp/wa_map.o $(B)/libfn.a $(B)/libgitdial.a
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS) $(FN_LIBS)

$(B)/obj/tests/fuzz/whatsapp.o: CPPFLAGS += -Ifunctions/whatsapp
$(B)/tests/replay-whatsapp: $(B)/obj/tests/fuzz/whatsapp.o \
		$(B)/obj/tests/fuzz_replay_main.o $(B)/obj/functions/whatsapp/wa_map.o \
		$(B)/libfn.a $(B)/libgitdial.a
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS) $(FN_LIBS)

# Each fuzz target is also linked with a replay main that runs its corpus.
$(B)/tests/replay-%: $(B)/obj/tests/fuzz/%.o $(B)/obj/tests/fuzz_replay_main.o $(B)/libfn.a $(B)/libgitdial.a
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS) $(FN_LIBS)

$(B)/obj/tests/fuzz_replay_main.o: tests/fuzz_replay_main.c $(B)/obj/tests/fuzz_replay_main.d
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

# `make check`: what to run before sending a change. Builds both trees,
# runs every unit test under ASan+UBSan, the include-circle check and
# the check that runner/cmd/ reaches git only through core; the
# end-to-end suite is ./build.sh test.
check:
	$(MAKE) -s all
	$(MAKE) -s SAN=1 all
	@sh tests/tools/check-units.sh build-san/tests
	@python3 tests/tools/include-cycles.py
	@python3 tests/tools/cmd-no-git.py

# `make style`: clang-format on the lines changed since STYLE_BASE (as
# git's `make style`, through git clang-format), never on whole files.
# Shows the diff it would make; `make style STYLE_FIX=1` applies it.
STYLE_BASE ?= HEAD
style:
	@git clang-format --style file $(if $(STYLE_FIX),,--diff) $(STYLE_BASE) \
		-- '*.c' '*.h'

install: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/schemas $(DESTDIR)$(DOCDIR)
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -m 644 schemas/*.json $(DESTDIR)$(DATADIR)/schemas/
	install -m 644 README.md $(wildcard docs/*.md) $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(patsubst $(B)/bin/%,$(DESTDIR)$(BINDIR)/%,$(BINS))
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)

version:
	@echo $(GD_VERSION)

clean:
	rm -rf build build-san

FORCE:
.PHONY: all check clean install uninstall style version FORCE
# Objects and generated files stay after a build (not the .d files: a
# missing one must make its object again).
.SECONDARY: $(patsubst %.c,$(B)/obj/%.o,$(ALL_SRC)) $(B)/gen/data.c \
	    $(B)/gen/version.c $(B)/gen/template.tar $(B)/obj/gen/data.o \
	    $(B)/obj/gen/version.o
