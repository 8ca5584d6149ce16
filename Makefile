# Gatehouse build.
#
#   make              release build (build/)
#   make SAN=1        ASan+UBSan build (build-san/), what the tests run
#   make check        every test (installs what it needs; see README)
#   make test-unit    unit tests only, under ASan+UBSan
#   make fuzz         libFuzzer targets (build-fuzz/), short runs over the committed corpora
#   make demo         the getting-started tutorial end to end
#   make bench        benchmarks under bench/
#
# Layout: every src/<module>/*.c goes into one static library; src/bin/<prog>.c is a program;
# tests/unit/test_*.c is a unit test; fuzz/fuzz_*.c is a fuzz target. New files are picked up
# without touching this file.

CC ?= cc
SAN ?= 0
V ?= 0

ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT = -O1 -g
else
BUILD ?= build
SANFLAGS =
OPT = -O2 -g
endif

PKGS = openssl sqlite3 libmicrohttpd json-c libnftables
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lssl -lcrypto -lsqlite3 -lmicrohttpd -ljson-c -lnftables)

CFLAGS_BASE = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-missing-field-initializers -Isrc $(PKG_CFLAGS)
CFLAGS ?= $(OPT)
ALL_CFLAGS = $(CFLAGS_BASE) $(CFLAGS) $(SANFLAGS) -MMD -MP
LDLIBS = $(PKG_LIBS) -lpthread -lm
LDFLAGS += $(SANFLAGS)

# MODULES restricts the library to some folders (e.g. MODULES="lib crypto ike"), so work on one
# module is not broken by unfinished work in another; TESTS_ONLY likewise picks unit tests.
MODULES ?= $(filter-out bin,$(notdir $(wildcard src/*)))
LIB_SRCS := $(foreach m,$(MODULES),$(wildcard src/$(m)/*.c))
BIN_SRCS := $(wildcard src/bin/*.c)
TESTS_ONLY ?= *
TEST_SRCS := $(wildcard $(foreach t,$(TESTS_ONLY),tests/unit/test_$(t).c))
FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
# Tools follow the same glob as the tests (TESTS_ONLY="ike*" builds tests/tools/ike*.c).
TOOL_SRCS := $(wildcard $(foreach t,$(TESTS_ONLY),tests/tools/$(t).c))
TOOLS := $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tools/%)

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libgatehouse.a
BINS := $(BIN_SRCS:src/bin/%.c=$(BUILD)/%)
TESTS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

ifeq ($(V),1)
Q =
else
Q = @
endif

.SECONDARY:
.PHONY: all check test-unit fuzz fuzz-build demo demo-stop bench deps clean format tests
all: $(LIB) $(BINS)

tests: $(TESTS) $(TOOLS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC  $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/%: $(BUILD)/src/bin/%.o $(LIB)
	@[ "$(V)" = 1 ] || echo "  LD  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  LD  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/tests/unit/%.o: ALL_CFLAGS += -Itests/unit

# Test-only programs (peers' helpers, traffic tools): tests/tools/<name>.c -> $(BUILD)/tools/<name>
$(BUILD)/tools/%: $(BUILD)/tests/tools/%.o $(LIB)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  LD  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# Benchmarks: bench/<name>.c -> $(BUILD)/bench/<name> (build with the default -O2, not SAN=1).
BENCH_SRCS := $(wildcard bench/*.c)
BENCHES := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
.PHONY: bench-crypto
bench-crypto: $(BENCHES)
-include $(BENCHES:=.d)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  LD  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# Unit tests always run under ASan+UBSan; a leak fails them.
test-unit:
	$(Q)$(MAKE) --no-print-directory SAN=1 tests
	$(Q)tests/run-unit.sh build-san/tests

check: deps
	$(Q)tests/run-all.sh

deps:
	$(Q)scripts/deps.sh

# libFuzzer: the library is rebuilt with clang and coverage instrumentation.
FUZZ_BUILD = build-fuzz
FUZZ_CFLAGS = $(CFLAGS_BASE) -O1 -g -fsanitize=fuzzer-no-link,address,undefined -DGH_FUZZING
fuzz-build:
	$(Q)$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang \
		CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -DGH_FUZZING" $(FUZZ_BUILD)/libgatehouse.a
	$(Q)for f in $(FUZZ_SRCS); do n=$$(basename $$f .c); \
		echo "  FUZZ $$n"; \
		clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $$f $(FUZZ_BUILD)/libgatehouse.a $(LDLIBS) -o $(FUZZ_BUILD)/$$n || exit 1; \
	done

fuzz: fuzz-build
	$(Q)tests/run-fuzz.sh $(FUZZ_BUILD)

demo: deps all
	$(Q)scripts/demo.sh

bench: all
	$(Q)bench/run.sh

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'fuzz/*.c')

clean:
	rm -rf build build-san build-fuzz

-include $(LIB_OBJS:.o=.d) $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tests/tools/%.d) $(BIN_SRCS:src/bin/%.c=$(BUILD)/src/bin/%.d) $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%.d)
