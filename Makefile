# A thin wrapper over meson.  `make test` is what CI runs: it installs what
# is missing, builds a normal and a sanitizer (ASan+UBSan) tree, and runs
# every test in both.
BUILD ?= build
SAN ?= build-san
MESON ?= meson

.PHONY: all deps test test-normal test-san bench clean

# Areas add their own targets in mk/*.mk and append test targets to
# EXTRA_TESTS (bindings, quality checks), so `make test` runs them all.
.DEFAULT_GOAL := all
EXTRA_TESTS :=
-include mk/*.mk

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@sh scripts/deps.sh

$(BUILD)/build.ninja: | deps
	$(MESON) setup $(BUILD) --buildtype=debugoptimized

$(SAN)/build.ninja: | deps
	$(MESON) setup $(SAN) --buildtype=debug -Db_sanitize=address,undefined \
	    -Db_lundef=false -Dc_args=-fno-sanitize-recover=all -Dbench=false

test: test-normal test-san $(EXTRA_TESTS)
	@echo "make test: all suites passed"

test-normal: $(BUILD)/build.ninja
	ninja -C $(BUILD)
	$(MESON) test -C $(BUILD) --print-errorlogs --num-processes 2

test-san: $(SAN)/build.ninja
	ninja -C $(SAN)
	$(MESON) test -C $(SAN) --print-errorlogs --num-processes 2

bench: $(BUILD)/build.ninja
	ninja -C $(BUILD)
	$(BUILD)/tests/bench/bench_ingest

clean:
	rm -rf $(BUILD) $(SAN)
