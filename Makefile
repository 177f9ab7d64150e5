# dd-harness build. Non-recursive; every output goes to an out-of-tree
# folder ($(BUILD), default build/). Targets:
#   make            build everything          make check     build and run every test
#   make programs   only ddmock, ddconform, ddref, ddsign (and their packages)
#   make san        ASan+UBSan build + tests  make valgrind  unit tests under valgrind
#   make fuzz       libFuzzer targets, each for FUZZ_SECONDS (default 60)
#   make lint       clang-format check and banned functions
#   make bench      benchmarks                make clean
#   make install    programs, scenarios, docs into $(DESTDIR)$(PREFIX)
#                   (PREFIX default /usr/local)   make uninstall
# WERROR=1 turns warnings into errors. Every building target first runs
# scripts/deps.sh, which installs what is missing on Debian/Ubuntu.

BUILD ?= build
CC ?= cc
WERROR ?= 0
SAN ?= 0
FUZZ_SECONDS ?= 60
PKG_CONFIG ?= pkg-config
PYTHON ?= python3

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wformat=2 -Wvla
ifeq ($(WERROR),1)
WARN += -Werror
endif
OPT ?= -O2
CFLAGS_ALL := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) -g \
              $(WARN) $(CFLAGS)
LDFLAGS_ALL := $(LDFLAGS)
ifeq ($(SAN),1)
CFLAGS_ALL += -fsanitize=address,undefined -fno-sanitize-recover=all \
              -fno-omit-frame-pointer
LDFLAGS_ALL += -fsanitize=address,undefined
endif
# FUZZ=1 (make fuzz, clang): every object instrumented for libFuzzer and
# the sanitizers, so the libraries are built once and each target only
# links its own file against them.
ifeq ($(FUZZ),1)
CFLAGS_ALL += -fsanitize=fuzzer-no-link,address,undefined \
              -fno-sanitize-recover=all
endif

# Library flags are computed lazily: on a fresh machine pkg-config itself may
# only exist once scripts/deps.sh has run.
pc = $(shell $(PKG_CONFIG) $(1) $(2) 2>/dev/null)
SSL_LIBS = $(call pc,--libs,libssl libcrypto)
CHECK_CFLAGS = $(call pc,--cflags,check)
CHECK_LIBS = $(call pc,--libs,check)
MHD_LIBS = $(call pc,--libs,libmicrohttpd)
CURL_LIBS = $(call pc,--libs,libcurl)
SQLITE_LIBS = $(call pc,--libs,sqlite3)

# ---------------------------------------------------------------- sources
PROTO_SRC := $(wildcard proto/*.c)
PROTO_OBJ := $(PROTO_SRC:%.c=$(BUILD)/%.o)
PROTO_LIB := $(BUILD)/libddproto.a

# mock/: everything but main.c goes into libddmock.a (tests link it too).
MOCK_SRC := $(filter-out mock/main.c,$(wildcard mock/*.c))
MOCK_OBJ := $(MOCK_SRC:%.c=$(BUILD)/%.o)
MOCK_LIB := $(BUILD)/libddmock.a
DDMOCK := $(BUILD)/ddmock

# conformance/: the judge, the ERP driver and ddconform;
# it may embed the mock (harness.md "Boundaries"), never client/.
# Everything but main.c goes into libddconf.a.
CONF_SRC := $(filter-out conformance/main.c,$(wildcard conformance/*.c))
CONF_OBJ := $(CONF_SRC:%.c=$(BUILD)/%.o)
CONF_LIB := $(BUILD)/libddconf.a
DDCONFORM := $(BUILD)/ddconform

# client/: the C client library (libcurl, libmicrohttpd for pushes); it
# talks to the mock only over the wire and includes nothing of mock/.
CLIENT_SRC := $(wildcard client/*.c)
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(BUILD)/%.o)
CLIENT_LIB := $(BUILD)/libddclient.a

# client/ddref/: ddref, the reference ERP (SQLite state, README.md there);
# everything but ref_main.c goes into libddref.a (the tests link it too).
REF_SRC := $(filter-out client/ddref/ref_main.c,$(wildcard client/ddref/*.c))
REF_OBJ := $(REF_SRC:%.c=$(BUILD)/%.o)
REF_LIB := $(BUILD)/libddref.a
DDREF := $(BUILD)/ddref

TEST_SRC := $(wildcard tests/check_*.c) tests/mock_util.c
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(BUILD)/tests/check_all

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)

BENCH_SRC := $(wildcard tests/bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
FIXED_SERVER := $(BUILD)/bench/fixed_server

DDSIGN := $(BUILD)/ddsign

BINS := $(DDSIGN) $(DDMOCK) $(DDCONFORM) $(DDREF)

.PHONY: all programs deps check unit cli external proofs demo san valgrind fuzz fuzz-build lint bench clean \
        install uninstall
.DEFAULT_GOAL := all

all: deps $(BINS) $(TEST_BIN) $(BENCH_BIN) $(FIXED_SERVER)

# Only the four programs, installing only what they need to build (a
# vendor's CI that runs ddconform against its ERP; docs/ci.md).
programs: DEPS_SET = programs
programs: deps $(BINS)

deps:
	@sh scripts/deps.sh $(DEPS_SET)

# ---------------------------------------------------------------- rules
# Each part sees only the headers it may use (harness.md "Boundaries"): the
# protocol library nothing else, the mock the protocol library, conformance/
# the mock too, client/ only the protocol library. Tests and benchmarks see
# everything.
ALL_INCLUDES := -Iproto -Imock -Iconformance -Iclient
INCLUDES = $(ALL_INCLUDES)
$(BUILD)/proto/%.o: INCLUDES = -Iproto
$(BUILD)/tools/%.o: INCLUDES = -Iproto
$(BUILD)/mock/%.o: INCLUDES = -Iproto -Imock
$(BUILD)/conformance/%.o: INCLUDES = -Iproto -Imock -Iconformance
$(BUILD)/client/%.o: INCLUDES = -Iproto -Iclient
$(BUILD)/client/ddref/%.o: INCLUDES = -Iproto -Iclient -Iclient/ddref

$(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(INCLUDES) $(EXTRA_CFLAGS) -MMD -MP -c $< -o $@

$(PROTO_LIB): $(PROTO_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(DDSIGN): $(BUILD)/tools/ddsign.o $(PROTO_LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(SSL_LIBS)

$(MOCK_LIB): $(MOCK_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(CONF_LIB): $(CONF_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(CLIENT_LIB): $(CLIENT_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(REF_LIB): $(REF_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(DDREF): $(BUILD)/client/ddref/ref_main.o $(REF_LIB) $(CLIENT_LIB) $(PROTO_LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(SQLITE_LIBS) $(CURL_LIBS) $(MHD_LIBS) \
	    $(SSL_LIBS) -lpthread

$(DDMOCK): $(BUILD)/mock/main.o $(MOCK_LIB) $(PROTO_LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(MHD_LIBS) $(CURL_LIBS) $(SSL_LIBS)

$(DDCONFORM): $(BUILD)/conformance/main.o $(CONF_LIB) $(MOCK_LIB) $(PROTO_LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(MHD_LIBS) $(CURL_LIBS) $(SSL_LIBS) \
	    -lpthread -lm

$(BUILD)/tests/%.o: EXTRA_CFLAGS = $(CHECK_CFLAGS)
$(TEST_BIN): $(TEST_OBJ) $(CONF_LIB) $(MOCK_LIB) $(REF_LIB) $(CLIENT_LIB) \
    $(PROTO_LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CHECK_LIBS) $(MHD_LIBS) $(CURL_LIBS) \
	    $(SSL_LIBS) $(SQLITE_LIBS) -lpthread

$(BUILD)/bench/%: $(BUILD)/tests/bench/%.o $(MOCK_LIB) $(PROTO_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(MHD_LIBS) $(CURL_LIBS) $(SSL_LIBS) \
	    -lpthread

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---------------------------------------------------------------- tests
# `make check` is the README's test command: unit tests (Check), then the
# command-line tests.
check: all
	$(MAKE) --no-print-directory unit cli external proofs

unit: $(TEST_BIN)
	DD_TEST_DATA=tests/data $(TEST_BIN)

# DDCONFORM_STRETCH stretches ddconform's real-time budgets (3 under the
# sanitizers); a value in the environment wins.
CONF_STRETCH := $(if $(filter 1,$(SAN)),3,1)
# Then ddconform for CI (selection, sharding, the ratchet, every exit
# status, --mock-url), its reports (also rendered in headless Chromium,
# which says it skipped where Chromium is missing), and, outside the
# sanitizer build, the python3 example ERP on the happy-path scenarios and
# `make install` into a temporary prefix.
cli: $(DDSIGN) $(DDCONFORM) $(DDMOCK)
	$(PYTHON) tests/cli/test_ddsign.py $(DDSIGN)
	DDCONFORM_STRETCH=$${DDCONFORM_STRETCH:-$(CONF_STRETCH)} \
	    $(PYTHON) tests/cli/test_ddconform.py $(DDCONFORM)
	DDCONFORM_STRETCH=$${DDCONFORM_STRETCH:-$(CONF_STRETCH)} \
	    $(PYTHON) tests/cli/test_ddconform_ci.py $(DDCONFORM)
	$(PYTHON) tests/cli/test_reports.py $(DDCONFORM)
	$(PYTHON) tests/cli/test_html_chromium.py $(DDCONFORM) \
	    tests/data/reports/basic
	$(if $(filter 1,$(SAN)),,$(PYTHON) tests/cli/test_examples.py $(DDCONFORM))
	$(if $(filter 1,$(SAN)),,MAKE='$(MAKE)' BUILD=$(BUILD) sh tests/cli/test_install.sh)

# An independent python3 client that signs as the official Java and Go SDKs.
external: $(DDMOCK)
	$(PYTHON) tests/external/test_external_client.py $(DDMOCK)

# Every standard scenario proven both ways (tests/suite/proofs-*.tsv): run
# against a right scripted ERP it passes, against a wrong one it gives the
# verdict it exists for; then ddref killed with SIGKILL at 20 random
# instants of a run loses nothing and writes nothing back twice
# (tests/suite/kill_test.py). Under the sanitizers only the smoke rows.
PROOF_ARGS := $(if $(filter 1,$(SAN)),--smoke,)
proofs: $(DDCONFORM) $(DDREF)
	DDCONFORM_STRETCH=$${DDCONFORM_STRETCH:-$(CONF_STRETCH)} DDREF=$(DDREF) \
	    $(PYTHON) tests/suite/run_proofs.py --build $(BUILD) --jobs 4 $(PROOF_ARGS)
	$(if $(filter 1,$(SAN)),,$(PYTHON) tests/suite/kill_test.py --build $(BUILD) --seed 1)

# The main job: the standard suite against the reference ERP (ddref,
# client/ddref/), with pushes and poll-only; per mode a report folder with
# the HTML report (report.html), JUnit and JSON in build/demo-report/.
DEMO_ERP ?= $(DDREF)
DEMO_HOOK ?= $(DDREF) hook
demo: all
	@rc=0; for mode in push no-push; do \
	    dir=$(BUILD)/demo-report/$$mode; \
	    echo "== ddconform --$$mode: the standard suite"; \
	    $(DDCONFORM) --erp '$(DEMO_ERP)' --erp-hook '$(DEMO_HOOK)' \
	        --$$mode -j 2 --report-dir $$dir --html $$dir/report.html \
	        --junit $$dir/junit.xml --json $$dir/report.json || rc=$$?; \
	done; exit $$rc

san:
	$(MAKE) --no-print-directory BUILD=build-san SAN=1 OPT=-O1 CC=clang check

# The unit tests, then ddconform itself (embedded mock, replay, driver,
# judge) on two smoke scenarios, with its real-time budgets stretched.
VALGRIND := valgrind -q --error-exitcode=1 --leak-check=full \
            --errors-for-leak-kinds=definite,indirect
valgrind: $(TEST_BIN) $(DDCONFORM)
	CK_FORK=no DD_TEST_DATA=tests/data $(VALGRIND) $(TEST_BIN)
	DDCONFORM_STRETCH=8 $(VALGRIND) $(DDCONFORM) \
	    --erp '$(PYTHON) tests/erp_double/erp.py' \
	    --erp-hook '$(PYTHON) tests/erp_double/erp.py hook' -j 2 \
	    --report-dir $(BUILD)/valgrind-report \
	    scenarios/0001-*.json scenarios/0003-*.json

# Fuzz targets are built by clang into build-fuzz/ and each run for
# FUZZ_SECONDS on a copy of its seed corpus (tests/fuzz/corpus/NAME/).
fuzz:
	$(MAKE) --no-print-directory -j2 BUILD=build-fuzz CC=clang FUZZ=1 fuzz-build
	@set -e; for f in $(FUZZ_SRC:tests/fuzz/%.c=%); do \
	    mkdir -p build-fuzz/corpus/$$f; \
	    cp -r tests/fuzz/corpus/$$f/. build-fuzz/corpus/$$f/ 2>/dev/null || true; \
	    echo "fuzz: $$f for $(FUZZ_SECONDS)s"; \
	    build-fuzz/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 \
	        -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	        -artifact_prefix=build-fuzz/$$f- build-fuzz/corpus/$$f \
	        2>build-fuzz/$$f.log || { tail -n 40 build-fuzz/$$f.log; exit 1; }; \
	    grep -E '^#[0-9]+[[:space:]]+DONE' build-fuzz/$$f.log | tail -n 1; \
	done

fuzz-build: deps $(FUZZ_BIN)
$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/%.o $(CONF_LIB) $(MOCK_LIB) \
    $(CLIENT_LIB) $(PROTO_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -fsanitize=fuzzer,address,undefined -o $@ $^ \
	    $(MHD_LIBS) $(CURL_LIBS) $(SSL_LIBS)

$(FIXED_SERVER): $(BUILD)/tests/bench/fixed_server.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(MHD_LIBS)

# The C micro-benchmarks, then the gateway under wrk (bench_mock.py), then
# push delivery (bench_push.py).
bench: $(BENCH_BIN) $(FIXED_SERVER) $(DDMOCK) $(DDCONFORM) $(DDREF)
	@for b in $(BENCH_BIN); do echo "== $$b"; $$b || exit 1; done
	$(PYTHON) tests/bench/bench_mock.py --build $(BUILD)
	$(PYTHON) tests/bench/bench_push.py --build $(BUILD)
	$(PYTHON) tests/bench/bench_suite.py --build $(BUILD)

# ---------------------------------------------------------------- install
# `make install PREFIX=/usr/local DESTDIR=`: the four programs into bin/;
# the standard scenarios, their format and examples into
# share/dd-harness/scenarios/ (where an installed ddconform looks, next to
# its bin/ folder); the documentation and examples/ into
# share/doc/dd-harness/, each file at its path in this repository so that
# the links between them still work. `make uninstall` removes them again.
PREFIX ?= /usr/local
INSTALL ?= install
INST_BIN = $(DESTDIR)$(PREFIX)/bin
INST_SHARE = $(DESTDIR)$(PREFIX)/share/dd-harness
INST_DOC = $(DESTDIR)$(PREFIX)/share/doc/dd-harness
INST_SCENARIOS = $(wildcard scenarios/[0-9][0-9][0-9][0-9]-*.json) \
                 scenarios/FORMAT.md scenarios/schema.json
INST_DOCS = README.md $(wildcard docs/*.md) conformance/README.md \
            $(wildcard conformance/REPORTS.md) scenarios/FORMAT.md \
            mock/README.md mock/WORLD.md client/README.md \
            client/ddref/README.md \
            $(shell find examples -type f ! -path '*/__pycache__/*' 2>/dev/null)

install: $(BINS)
	$(INSTALL) -d $(INST_BIN) $(INST_SHARE)/scenarios/examples
	$(INSTALL) -m 755 $(BINS) $(INST_BIN)/
	$(INSTALL) -m 644 $(INST_SCENARIOS) $(INST_SHARE)/scenarios/
	$(INSTALL) -m 644 $(wildcard scenarios/examples/*.json) \
	    $(INST_SHARE)/scenarios/examples/
	@set -e; for f in $(INST_DOCS); do \
	    $(INSTALL) -d "$(INST_DOC)/$$(dirname "$$f")"; \
	    $(INSTALL) -m 644 "$$f" "$(INST_DOC)/$$f"; \
	done
	@echo "installed into $(DESTDIR)$(PREFIX)"

uninstall:
	rm -f $(addprefix $(INST_BIN)/,$(notdir $(BINS)))
	rm -rf $(INST_SHARE) $(INST_DOC)

# ---------------------------------------------------------------- lint
LINT_FILES = $(shell git ls-files -co --exclude-standard '*.c' '*.h')
BANNED := \b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gets)[[:space:]]*\(
lint: deps
	@clang-format --dry-run --Werror $(LINT_FILES)
	@if grep -nE '$(BANNED)' $(LINT_FILES); then \
	    echo "lint: banned function used (see house style)"; exit 1; fi
	@echo "lint: ok ($(words $(LINT_FILES)) files)"

clean:
	rm -rf build build-san build-fuzz
