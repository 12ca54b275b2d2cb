# Python and Node bindings (bindings/python, bindings/node): tests, wheel,
# ingest benchmarks.  Included by the top Makefile, which defines BUILD,
# MESON and deps.  Every target builds the library first and points the
# bindings at $(BUILD)/src/libfunnelcore.so through FUNNELCORE_LIB.
#
#   make test-python     pytest over bindings/python/tests (and the examples)
#   make test-node       node --test over bindings/node/test (and the example)
#   make wheel           a wheel bundling libfunnelcore.so.0, in bindings/python/dist
#   make bench-bindings  touches/s from Python and Node, batch and per row

PYTHON ?= /usr/bin/python3
NODE ?= node
NPM ?= npm
BIND_LIB = $(abspath $(BUILD))/src/libfunnelcore.so
BIND_SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

EXTRA_TESTS += test-python test-node

.PHONY: test-python test-node wheel bench-bindings bindings-lib \
        bindings-python-deps bindings-node-deps

bindings-lib: $(BUILD)/build.ninja
	ninja -C $(BUILD)

# apt-get only when a module is missing (Debian's python3-pytest, and
# python3-dask + python3-distributed for the distributed attribution
# example; python3-build for wheels; the python3 first on PATH may not see
# them: use $(PYTHON)).  If Dask cannot be installed its test is skipped.
BIND_APT = DEBIAN_FRONTEND=noninteractive $(BIND_SUDO) apt-get install -y \
    -qq --no-install-recommends
bindings-python-deps:
	@$(PYTHON) -c 'import pytest' 2>/dev/null || { \
	    echo "bindings: installing python3-pytest" >&2; \
	    $(BIND_APT) python3-pytest >/dev/null || { \
	    $(BIND_SUDO) apt-get update -qq >/dev/null && \
	    $(BIND_APT) python3-pytest >/dev/null; }; }
	@$(PYTHON) -c 'import dask, distributed' 2>/dev/null || { \
	    echo "bindings: installing python3-dask python3-distributed" >&2; \
	    $(BIND_APT) python3-dask python3-distributed >/dev/null || { \
	    $(BIND_SUDO) apt-get update -qq >/dev/null && \
	    $(BIND_APT) python3-dask python3-distributed >/dev/null; } || \
	    echo "bindings: no Dask: the distributed example's test is skipped" >&2; }

bindings-node-deps:
	@command -v $(NODE) >/dev/null || { echo "bindings: node is not installed" >&2; exit 1; }
	@[ -d bindings/node/node_modules/koffi ] || { \
	    cd bindings/node && { $(NPM) ci --no-audit --no-fund || \
	                          $(NPM) install --no-audit --no-fund; }; }

# pytest exits 5 when it collects no test: that is a failure too (any
# non-zero status fails the make).
test-python: bindings-lib bindings-python-deps
	cd bindings/python && FUNNELCORE_LIB=$(BIND_LIB) \
	    $(PYTHON) -m pytest -q -p no:cacheprovider tests

test-node: bindings-lib bindings-node-deps
	cd bindings/node && FUNNELCORE_LIB=$(BIND_LIB) $(NODE) --test test/

wheel: bindings-lib
	@$(PYTHON) -c 'import build, setuptools, wheel' 2>/dev/null || { \
	    echo "bindings: installing python3-build" >&2; \
	    $(BIND_SUDO) apt-get update -qq >/dev/null; \
	    DEBIAN_FRONTEND=noninteractive $(BIND_SUDO) apt-get install -y -qq \
	        --no-install-recommends python3-build python3-setuptools \
	        python3-wheel >/dev/null; }
	cp $(BUILD)/src/libfunnelcore.so.0 bindings/python/funnelcore/
	cd bindings/python && rm -rf build *.egg-info && \
	    $(PYTHON) -m build --wheel --no-isolation --outdir dist .
	rm -f bindings/python/funnelcore/libfunnelcore.so.0
	rm -rf bindings/python/build bindings/python/*.egg-info
	@ls -1 bindings/python/dist/*.whl

bench-bindings: bindings-lib bindings-node-deps
	FUNNELCORE_LIB=$(BIND_LIB) $(PYTHON) bindings/python/bench_ingest.py
	FUNNELCORE_LIB=$(BIND_LIB) $(NODE) bindings/node/bench_ingest.js
