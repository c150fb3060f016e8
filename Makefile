# tenderd build. GNU make; dependencies through pkg-config (see `make deps`).
#
#   make            build everything into build/
#   make test       unit + end-to-end tests, make demo, then the tests under ASan+UBSan, a fuzz
#                   smoke run and the store and metrics under ThreadSanitizer; one summary
#   make run        build and start tenderd on its embedded defaults, with --http 127.0.0.1:8080
#   make test-ha    the high-availability tests: a PostgreSQL primary and synchronous standby
#                   (tests/ha/pgpair), failover; not part of make test (docs/SCALING.md)
#   make demo       the whole story of one tender, narrated, on a throwaway server
#   make screenshots  the portal's browser test, its screenshots copied to docs/img/
#   make fuzz       build the libFuzzer targets into build/fuzz/
#   make deps       install missing Debian packages (as root) or print the command
#   make install    install programs, libtender (static and shared), headers, pkg-config file,
#                   man pages, bash completion and the systemd unit (PREFIX, DESTDIR: mk/install.mk)
#   make uninstall  remove what make install wrote
#   make bench      load benchmarks beside the gRPC C++ peer (bench-full: longer; bench-peer
#                   builds the peer, deps-bench installs its packages); docs/BENCHMARKS.md
#   make clean

BUILD   ?= build
SAN     ?=
CC      ?= cc
PKGS    := libuv msgpack lmdb libssl libcrypto libsodium

DEB_PKGS := pkg-config gcc make libuv1-dev libmsgpack-dev liblmdb-dev libssl-dev libjansson-dev \
            libinih-dev libcmocka-dev clang libclang-rt-14-dev python3 python3-jsonschema scdoc \
            groff-base libmicrohttpd-dev python3-prometheus-client chromium chromium-driver \
            python3-selenium fonts-nanum \
            libcurl4-openssl-dev postgresql-15 libpq-dev libsodium-dev

CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
               -Wmissing-prototypes -g -Iinclude -I$(BUILD)/gen -Icommon
ifeq ($(SAN),1)
  OPT := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
else
  OPT := -O2
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS   += $(CFLAGS_BASE) $(OPT) $(PKG_CFLAGS) -MMD -MP
LDFLAGS  += $(OPT)
LDLIBS   += $(PKG_LIBS) -lpthread
# Libraries only tenderd (libtenderd) uses: its config file reader,
# libmicrohttpd for the --metrics and --http listeners, libcurl for the
# witnesses' add-checkpoint requests, libpq for the replicated mode (--store
# postgresql://).
SERVER_PKGS := inih libmicrohttpd jansson libcurl libpq
SERVER_LIBS  = $(shell pkg-config --libs $(SERVER_PKGS) 2>/dev/null)
CFLAGS   += $(shell pkg-config --cflags $(SERVER_PKGS) 2>/dev/null)
# tenderctl --json and tenderd's HTTP API write JSON (jansson) through one
# converter, common/json/, and the OCDS release builder, common/ocds/ (both
# kept out of libtender, which does not need jansson).
CTL_PKGS := jansson
CTL_LIBS  = $(shell pkg-config --libs $(CTL_PKGS) 2>/dev/null)
CFLAGS   += $(shell pkg-config --cflags $(CTL_PKGS) 2>/dev/null)

# ---- sources -----------------------------------------------------------------
SCHEMAC_SRC := $(wildcard tools/schemac/*.c)
COMMON_SRC  := $(wildcard common/*.c)
JSON_SRC    := $(wildcard common/json/*.c)
OCDS_SRC    := $(wildcard common/ocds/*.c)
CLIENT_SRC  := $(wildcard client/*.c)
CTL_SRC     := $(wildcard client/ctl/*.c client/ctl/*/*.c client/ctl/*/*/*.c)
SERVER_SRC  := $(filter-out server/main.c,$(wildcard server/*.c server/*/*.c))
WITNESS_SRC := $(wildcard witness/*.c)
TEST_SRC    := $(wildcard tests/test_*.c)
SUPPORT_SRC := $(wildcard tests/support/*.c)
SCHEMA      := $(sort $(wildcard schema/*.schema))
TEST_SCHEMA := $(sort $(wildcard tests/schema/*.schema))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
# tenderctl's includes across its folders name the folder: "cli/ctl.h" (client/ctl/README.md).
$(call obj,$(CTL_SRC)): CFLAGS += -Iclient/ctl

GEN_H   := $(BUILD)/gen/tender_schema.h
GEN_C   := $(BUILD)/gen/tender_schema.c
TGEN_H  := $(BUILD)/gen/test_schema.h
TGEN_C  := $(BUILD)/gen/test_schema.c

SCHEMAC     := $(BUILD)/bin/schemac
LIBCOMMON   := $(BUILD)/lib/libtnd_common.a
LIBTENDER   := $(BUILD)/lib/libtender.a
LIBSERVER   := $(BUILD)/lib/libtenderd.a
LIBJSON     := $(BUILD)/lib/libtnd_json.a
LIBOCDS     := $(BUILD)/lib/libtnd_ocds.a
PORTALGEN   := $(BUILD)/bin/portalgen
PORTAL_C    := $(BUILD)/gen/portal_files.c
WEB_FILES   := $(sort $(shell find web -type f 2>/dev/null))
TENDERD     := $(BUILD)/bin/tenderd
TENDERCTL   := $(BUILD)/bin/tenderctl
TENDERWITNESS := $(BUILD)/bin/tenderwitness
TESTS       := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))

BINS := $(SCHEMAC) $(if $(wildcard server/main.c),$(TENDERD)) $(if $(CTL_SRC),$(TENDERCTL)) \
        $(if $(WITNESS_SRC),$(TENDERWITNESS))

.PHONY: all test test-ha check run demo fuzz fuzz-smoke deps deps-check clean tsan screenshots
.SECONDARY:
all: $(BINS)

# ---- the schema compiler and generated code ----------------------------------
$(SCHEMAC): $(call obj,$(SCHEMAC_SRC))
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^

$(GEN_C) $(GEN_H) &: $(SCHEMA) $(SCHEMAC)
	@mkdir -p $(@D)
	$(SCHEMAC) --name tnd_schema --out $(BUILD)/gen/tender_schema $(SCHEMA)

$(TGEN_C) $(TGEN_H) &: $(TEST_SCHEMA) $(SCHEMAC)
	@mkdir -p $(@D)
	$(SCHEMAC) --name test_schema --out $(BUILD)/gen/test_schema $(TEST_SCHEMA)

# Every object may include generated headers: build them first.
$(BUILD)/obj/%.o: %.c | $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# The build's version for tenderd_build_info; rewritten only when it changes.
$(BUILD)/gen/version.h: FORCE
	@mkdir -p $(@D)
	@v=$$(git describe --always --dirty 2>/dev/null || echo unknown); \
	 echo "#define TND_BUILD_VERSION \"$$v\"" > $@.tmp; \
	 cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(BUILD)/obj/server/ops/metrics.o: $(BUILD)/gen/version.h
# Server files include each other by folder ("store/store.h"): server/README.md.
$(BUILD)/obj/server/%.o: CFLAGS += -Iserver
.PHONY: FORCE
FORCE:

$(BUILD)/obj/tools/schemac/%.o: tools/schemac/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# The web portal (web/) embedded into tenderd: tools/portalgen.c writes the
# files and the schema's descriptors (for the browser's verifier) as C.
$(PORTALGEN): $(BUILD)/obj/tools/portalgen.o $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(PORTAL_C): $(PORTALGEN) $(WEB_FILES)
	@mkdir -p $(@D)
	$(PORTALGEN) $@ web $(WEB_FILES)

$(BUILD)/obj/gen/portal_files.o: $(PORTAL_C)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iserver/http -c -o $@ $<

# ---- libraries and programs --------------------------------------------------
$(LIBCOMMON): $(call obj,$(COMMON_SRC)) $(BUILD)/obj/gen/tender_schema.o
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(LIBTENDER): $(call obj,$(CLIENT_SRC)) $(call obj,$(COMMON_SRC)) $(BUILD)/obj/gen/tender_schema.o
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(LIBSERVER): $(call obj,$(SERVER_SRC)) $(BUILD)/obj/gen/portal_files.o
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(LIBJSON): $(call obj,$(JSON_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(LIBOCDS): $(call obj,$(OCDS_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(TENDERD): $(BUILD)/obj/server/main.o $(LIBSERVER) $(LIBOCDS) $(LIBJSON) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(SERVER_LIBS) $(LDLIBS)

$(TENDERCTL): $(call obj,$(CTL_SRC)) $(LIBOCDS) $(LIBJSON) $(LIBTENDER)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CTL_LIBS) $(LDLIBS)

# The witness (witness/witness.h, docs/WITNESS.md): libtender's common code, tenderd's logfmt
# logger, and libmicrohttpd for its HTTP listener.
$(call obj,$(WITNESS_SRC)): CFLAGS += -Iserver
$(TENDERWITNESS): $(call obj,$(WITNESS_SRC)) $(BUILD)/obj/server/ops/logging.o \
                  $(BUILD)/obj/server/ops/clock.o $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $$(pkg-config --libs libmicrohttpd) $(LDLIBS)

# ---- tests -------------------------------------------------------------------
TEST_CFLAGS = -Iserver -Itests/support
TEST_DEPS   = $(BUILD)/obj/gen/test_schema.o $(call obj,$(SUPPORT_SRC)) $(LIBSERVER) $(LIBOCDS) $(LIBJSON) \
              $(LIBTENDER)

# A test may name more objects it links (a line `$(BUILD)/tests/test_x: OBJ` below).
$(BUILD)/tests/%: tests/%.c $(TEST_DEPS) | $(TGEN_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -MF $@.d -o $@ $< $(filter %.o,$^) $(filter %.a,$^) $(SERVER_LIBS) $(LDLIBS) $$(pkg-config --libs cmocka)

# The witness is tested as the program it is.
$(BUILD)/tests/test_witness_server: | $(TENDERWITNESS)
$(BUILD)/tests/test_witness_collect: | $(TENDERWITNESS)

# tenderctl's value parsers, tested without a server.
$(BUILD)/tests/test_ctl_parse: $(BUILD)/obj/client/ctl/cli/parse.o

$(BUILD)/obj/tests/support/%.o: tests/support/%.c | $(GEN_H) $(TGEN_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -c -o $@ $<

$(BUILD)/obj/gen/test_schema.o: $(TGEN_C) $(TGEN_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# Build and run one flavour of the suite; tests/run.sh appends its counts to $(BUILD)/results.
# The portal's browser test (headless Chromium) runs in the plain build only: it tests the
# pages, which the sanitizers do not change.
BROWSER_TESTS := $(if $(SAN),,tests/browser/test_portal.py)
check: all $(TESTS)
	@BUILD=$(BUILD) tests/run.sh $(TESTS) $(BROWSER_TESTS)

# The portal's screenshots, taken by its browser test into build/screenshots/, for the README.
screenshots: all
	@BUILD=build tests/browser/test_portal.py >build/screenshots.log 2>&1 || { tail -n 40 build/screenshots.log; exit 1; }
	@mkdir -p docs/img && cp build/screenshots/*.png docs/img/
	@ls docs/img/*.png

# Each part builds with one job per CPU (TEST_BUILD_JOBS); its tests then run as tests/run.sh says.
TEST_BUILD_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
test: deps-check
	@rm -f build/results build/asan/results build/fuzz/results build/tsan/results build/demo/results
	@$(MAKE) --no-print-directory -j$(TEST_BUILD_JOBS) check BUILD=build || true
	@$(MAKE) --no-print-directory demo DEMO_ARGS="--results build/demo/results" || true
	@$(MAKE) --no-print-directory -j$(TEST_BUILD_JOBS) check BUILD=build/asan SAN=1 || true
	@$(MAKE) --no-print-directory -j$(TEST_BUILD_JOBS) fuzz-smoke || true
	@$(MAKE) --no-print-directory -j$(TEST_BUILD_JOBS) tsan || true
	@tests/summary.sh build/results build/asan/results build/fuzz/results build/tsan/results \
	    build/demo/results

# The high-availability tests (docs/SCALING.md), each a script that starts what it needs in a
# temporary folder (tests/ha/pgpair: PostgreSQL 15, primary and synchronous standby on 127.0.0.1)
# and removes it on any exit. Every one runs; the target fails when any failed.
HA_TESTS := $(sort $(wildcard tests/ha/test_*.sh tests/ha/test_*.py))
test-ha: deps-check
	@$(MAKE) --no-print-directory all $(SURGE)
	@failed=0; for t in $(HA_TESTS); do echo "== $$t"; $$t || { echo "FAILED: $$t"; failed=$$((failed + 1)); }; done; \
	    echo "test-ha: $(words $(HA_TESTS)) run, $$failed failed"; [ $$failed -eq 0 ]

# ---- fuzzing (clang libFuzzer) -----------------------------------------------
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
# -fno-sanitize-recover=all: a UBSan report aborts the target, so the run fails on it.
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
              -fno-sanitize-recover=all -Iinclude \
              -Ibuild/fuzz/gen -Icommon $(PKG_CFLAGS)

fuzz: deps-check $(FUZZ_BIN)

build/fuzz/gen/tender_schema.c build/fuzz/gen/test_schema.c &: $(SCHEMA) $(TEST_SCHEMA) $(SCHEMAC)
	@mkdir -p $(@D)
	$(SCHEMAC) --name tnd_schema --out build/fuzz/gen/tender_schema $(SCHEMA)
	$(SCHEMAC) --name test_schema --out build/fuzz/gen/test_schema $(TEST_SCHEMA)

# The sources every target links are compiled once, instrumented the same way but without
# libFuzzer's main (fuzzer-no-link); each target adds its own file and links. Makefile too: a
# change of FUZZ_FLAGS rebuilds them.
FUZZ_OBJ_FLAGS := $(subst -fsanitize=fuzzer,-fsanitize=fuzzer-no-link,$(FUZZ_FLAGS)) -Iserver
fuzz_obj = $(patsubst %.c,build/fuzz/obj/%.o,$(1))
FUZZ_LIB_OBJ := $(call fuzz_obj,$(COMMON_SRC) build/fuzz/gen/tender_schema.c \
                                build/fuzz/gen/test_schema.c)
build/fuzz/obj/%.o: %.c build/fuzz/gen/tender_schema.c Makefile
	@mkdir -p $(@D)
	clang $(FUZZ_OBJ_FLAGS) -MMD -MP -c -o $@ $<
-include $(shell find build/fuzz/obj -name '*.d' 2>/dev/null)

# A target of a libtender module links libtender's sources too (FUZZ_EXTRA).
build/fuzz/fuzz_custody build/fuzz/fuzz_bundle: FUZZ_EXTRA = $(call fuzz_obj,$(CLIENT_SRC))
build/fuzz/fuzz_custody build/fuzz/fuzz_bundle: $(call fuzz_obj,$(CLIENT_SRC))
build/fuzz/fuzz_changeset: FUZZ_EXTRA = $(call fuzz_obj,server/store/changeset.c server/store/derived.c server/store/keys.c)
build/fuzz/fuzz_changeset: $(call fuzz_obj,server/store/changeset.c server/store/derived.c server/store/keys.c)
build/fuzz/fuzz_changeset: FUZZ_FLAGS += -Iserver
build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_OBJ) Makefile
	@mkdir -p $(@D)
	clang $(FUZZ_FLAGS) -o $@ $< $(FUZZ_LIB_OBJ) $(FUZZ_EXTRA) $(PKG_LIBS)

fuzz-smoke: fuzz
	@tests/fuzz_smoke.sh $(FUZZ_BIN)

# ---- running -----------------------------------------------------------------
run: deps-check
	@$(MAKE) --no-print-directory all
	@mkdir -p var && chmod 700 var
	@test -f var/pki/ca.key || $(TENDERCTL) pki init var/pki
	@echo "tenderd: talk to it with, for example:"
	@echo "  export TENDER_SERVER=127.0.0.1:7443 TENDER_CA=$(CURDIR)/var/pki/ca.crt"
	@echo "  export TENDER_CERT=$(CURDIR)/var/pki/officer.crt TENDER_KEY=$(CURDIR)/var/pki/officer.key"
	@echo "  $(CURDIR)/$(TENDERCTL) health"
	@echo "the portal: http://127.0.0.1:8080/ (public data: /api/v1/tenders, the log: /log/checkpoint)"
	$(TENDERD) --http 127.0.0.1:8080 $(RUN_ARGS)

# The story of one tender told with tenderctl on a throwaway tenderd (tools/demo.sh).
# make test runs it with DEMO_ARGS="--results build/demo/results": one counted result.
demo: all
	@BUILD=$(BUILD) tools/demo.sh $(DEMO_ARGS)

# ---- dependencies ------------------------------------------------------------
deps:
	@tools/deps.sh install $(DEB_PKGS)

deps-check:
	@tools/deps.sh check $(DEB_PKGS)

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(BUILD)/pic $(BUILD)/tests -name '*.d' 2>/dev/null)

include mk/install.mk

# ---- ThreadSanitizer: the store's writer thread and its hand-off to the loop, the metrics ----
# The sources the TSan tests link, compiled once (build/tsan/obj), then one link per test.
TSAN_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=thread -Iinclude -Ibuild/gen -Icommon \
              -Iserver $(PKG_CFLAGS)
tsan_obj = $(patsubst %.c,build/tsan/obj/%.o,$(1))
TSAN_LIB_OBJ := $(call tsan_obj,$(wildcard server/store/*.c) server/ops/logging.c \
                                server/ops/metrics.c server/ops/clock.c $(COMMON_SRC) $(GEN_C))
build/tsan/obj/%.o: %.c $(GEN_C) build/gen/version.h Makefile
	@mkdir -p $(@D)
	clang $(TSAN_FLAGS) -MMD -MP -c -o $@ $<
-include $(shell find build/tsan/obj -name '*.d' 2>/dev/null)
TSAN_LIBS = $(PKG_LIBS) $$(pkg-config --libs cmocka) -lpthread

build/tsan/test_store: $(call tsan_obj,tests/test_store.c) $(TSAN_LIB_OBJ)
	clang $(TSAN_FLAGS) -o $@ $^ $(TSAN_LIBS)

# The metrics counters, updated from two threads while a third renders them.
build/tsan/test_metrics: $(call tsan_obj,tests/test_metrics.c server/ops/metrics.c common/status.c)
	clang $(TSAN_FLAGS) -o $@ $^ $(TSAN_LIBS)

# The replication seams: change sets applied from another thread.
build/tsan/test_store_gate: $(call tsan_obj,tests/test_store_gate.c) $(TSAN_LIB_OBJ)
	clang $(TSAN_FLAGS) -o $@ $^ $(TSAN_LIBS)

tsan: build/tsan/test_store build/tsan/test_metrics build/tsan/test_store_gate
	@mkdir -p build/tsan/tests && rm -f build/tsan/results
	@BUILD=build/tsan TSAN_OPTIONS=halt_on_error=1 tests/run.sh build/tsan/test_store \
	    build/tsan/test_metrics build/tsan/test_store_gate

# ---- benchmarks: the load generator and `make bench` (docs/BENCHMARKS.md) ----
# Programs of their own: the bid-deadline surge (surge*.c), the in-process
# seeder, the read and connection benchmarks. Every other file is loadgen's.
SURGE_SRC  := $(wildcard tools/bench/surge*.c)
BENCH_OWN  := $(SURGE_SRC) tools/bench/seed.c tools/bench/readbench.c tools/bench/connbench.c \
              tools/bench/httpbench.c tools/bench/rttfloor.c
BENCH_SRC  := $(filter-out $(BENCH_OWN),$(wildcard tools/bench/*.c))
BENCH_UTIL := $(call obj,tools/bench/hist.c tools/bench/proc.c tools/bench/scrape.c tools/bench/servers.c)
LOADGEN    := $(BUILD)/bin/loadgen
SURGE      := $(BUILD)/bin/surge
BENCHSEED  := $(BUILD)/bin/benchseed
READBENCH  := $(BUILD)/bin/readbench
CONNBENCH  := $(BUILD)/bin/connbench
HTTPBENCH  := $(BUILD)/bin/httpbench
RTTFLOOR   := $(BUILD)/bin/rttfloor
BENCH_BINS := $(LOADGEN) $(SURGE) $(BENCHSEED) $(READBENCH) $(CONNBENCH) $(HTTPBENCH) $(RTTFLOOR)

$(LOADGEN): $(call obj,$(BENCH_SRC)) $(LIBTENDER) | $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(SURGE): $(call obj,$(SURGE_SRC)) $(BENCH_UTIL) $(LIBTENDER) | $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(READBENCH) $(CONNBENCH): $(BUILD)/bin/%: $(BUILD)/obj/tools/bench/%.o $(BENCH_UTIL) $(LIBTENDER)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Plain sockets: no libtender.
$(HTTPBENCH): $(BUILD)/obj/tools/bench/httpbench.o $(BENCH_UTIL)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^

# The machine's loopback round trip, nothing on top: two processes, plain sockets.
$(RTTFLOOR): $(BUILD)/obj/tools/bench/rttfloor.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^

# The seeder writes through the server's own store and write functions.
$(BUILD)/obj/tools/bench/seed.o: CFLAGS += -Iserver
$(BENCHSEED): $(BUILD)/obj/tools/bench/seed.o $(LIBSERVER) $(LIBOCDS) $(LIBJSON) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(SERVER_LIBS) $(LDLIBS)

# The gRPC C++ peer (tools/bench/grpc/): a server and a load generator for side-by-side runs.
# Its packages are not in DEB_PKGS: only `make bench-peer` / `make deps-bench` need them, and
# `make bench` measures tenderd alone when they are missing.
BENCH_DEB_PKGS := g++ libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
GRPC_GEN     := $(BUILD)/gen/grpc
GRPC_PROTO   := tools/bench/grpc/health.proto tools/bench/grpc/log.proto
GRPC_GEN_CC  := $(patsubst tools/bench/grpc/%.proto,$(GRPC_GEN)/%.pb.cc,$(GRPC_PROTO)) \
                $(patsubst tools/bench/grpc/%.proto,$(GRPC_GEN)/%.grpc.pb.cc,$(GRPC_PROTO))
GRPC_GEN_O   := $(patsubst $(GRPC_GEN)/%.cc,$(BUILD)/obj/grpc/%.o,$(GRPC_GEN_CC))
GRPC_PEER    := $(BUILD)/bin/grpc_peer
GRPC_LOADGEN := $(BUILD)/bin/grpc_loadgen
GRPC_CXXFLAGS = -std=c++17 -O2 -g -Wall -Wextra -Werror -Wshadow -I$(GRPC_GEN) -Itools/bench \
                $(shell pkg-config --cflags grpc++ protobuf 2>/dev/null) -MMD -MP
GRPC_LIBS     = $(shell pkg-config --libs grpc++ protobuf 2>/dev/null) -lpthread

$(GRPC_GEN_CC) $(GRPC_GEN_CC:.cc=.h) &: $(GRPC_PROTO)
	@mkdir -p $(GRPC_GEN)
	protoc -Itools/bench/grpc --cpp_out=$(GRPC_GEN) --grpc_out=$(GRPC_GEN) \
	    --plugin=protoc-gen-grpc=$$(command -v grpc_cpp_plugin) $(GRPC_PROTO)

$(BUILD)/obj/grpc/%.o: $(GRPC_GEN)/%.cc | $(GRPC_GEN_CC)
	@mkdir -p $(@D)
	$(CXX) $(GRPC_CXXFLAGS) -c -o $@ $<

$(BUILD)/obj/grpc/%.o: tools/bench/grpc/%.cc | $(GRPC_GEN_CC)
	@mkdir -p $(@D)
	$(CXX) $(GRPC_CXXFLAGS) -c -o $@ $<

$(GRPC_PEER): $(BUILD)/obj/grpc/grpc_peer.o $(GRPC_GEN_O)
	@mkdir -p $(@D)
	$(CXX) -O2 -o $@ $^ $(GRPC_LIBS)

$(GRPC_LOADGEN): $(BUILD)/obj/grpc/grpc_loadgen.o $(GRPC_GEN_O) \
                 $(call obj,tools/bench/hist.c tools/bench/proc.c)
	@mkdir -p $(@D)
	$(CXX) -O2 -o $@ $^ $(GRPC_LIBS)

.PHONY: bench bench-full bench-peer deps-bench bench-peer-try
deps-bench:
	@tools/deps.sh install $(BENCH_DEB_PKGS)

bench-peer:
	@tools/deps.sh check $(BENCH_DEB_PKGS)
	@$(MAKE) --no-print-directory $(GRPC_PEER) $(GRPC_LOADGEN)

# Build the peer when its packages are there; never fail `make bench` over it (run.sh then
# says that it measures tenderd alone).
bench-peer-try:
	@if tools/deps.sh have $(BENCH_DEB_PKGS); then \
	    $(MAKE) --no-print-directory $(GRPC_PEER) $(GRPC_LOADGEN) || { \
	        rm -f $(GRPC_PEER) $(GRPC_LOADGEN); \
	        echo "bench: the gRPC peer did not build; measuring tenderd alone" >&2; }; \
	else \
	    rm -f $(GRPC_PEER) $(GRPC_LOADGEN); \
	    echo "bench: no gRPC C++ packages (make deps-bench installs them); measuring tenderd alone" >&2; \
	fi

bench: all $(BENCH_BINS)
	@$(MAKE) --no-print-directory bench-peer-try
	@BUILD=$(BUILD) tools/bench/run.sh
	@BUILD=$(BUILD) tools/bench/run_store.sh

bench-full: all $(BENCH_BINS)
	@$(MAKE) --no-print-directory bench-peer-try
	@BUILD=$(BUILD) tools/bench/run.sh --full
	@BUILD=$(BUILD) tools/bench/run_store.sh --full
