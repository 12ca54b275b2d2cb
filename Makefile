# A thin wrapper over meson.  `make test` is what CI runs: it installs what
# is missing, builds a normal and a sanitizer (ASan+UBSan) tree, and runs
# every test in both.
BUILD ?= build
SAN ?= build-san
MESON ?= meson

.PHONY: all deps test test-normal test-san bench clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@sh scripts/deps.sh

$(BUILD)/build.ninja: | deps
	$(MESON) setup $(BUILD) --buildtype=debugoptimized

$(SAN)/build.ninja: | deps
	$(MESON) setup $(SAN) --buildtype=debug -Db_sanitize=address,undefined \
	    -Db_lundef=false -Dc_args=-fno-sanitize-recover=all -Dbench=false

test: test-normal test-san

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
