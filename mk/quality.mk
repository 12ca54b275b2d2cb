# mk/quality.mk -- ABI baseline, fuzzing, coverage, static analysis and
# reference documentation (issue 10).  Included by the top Makefile, which
# provides BUILD, SAN, MESON and `deps`.
#
#   make abi-update   regenerate the ABI baseline and symbol list (release)
#   make abi-symbols  rewrite tests/abi/symbols.txt from the current build
#   make fuzz         run every libFuzzer target FUZZ_SECONDS (60) each
#   make coverage     line and branch coverage of src/ (gcovr)
#   make lint         clang-tidy, cppcheck, and a -Wconversion build
#   make docs         Doxygen reference of include/funnelcore.h
#
# `make test` also runs test-fuzz-short: each fuzz target for
# FUZZ_SHORT_SECONDS (3).  The ABI checks are meson tests (suite 'abi'),
# so they already run in both trees of `make test`.

ABI_BUILD ?= build-abi
FUZZ_BUILD ?= build-fuzz
COV_BUILD ?= build-cov
LINT_BUILD ?= build-lint
DOCS_BUILD ?= build-docs
FUZZ_SECONDS ?= 60
FUZZ_SHORT_SECONDS ?= 3
FUZZ_CC ?= clang

# Every tests/fuzz/fuzz_<name>.c is a target (and listed in
# tests/fuzz/meson.build).
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

# The ABI test needs libabigail; `make deps` (run before the first setup)
# installs it with the rest.
FNL_EXTRA_PACKAGES += abigail-tools
export FNL_EXTRA_PACKAGES

# Install Debian packages a target needs, only when missing.
qa_need = FNL_EXTRA_PACKAGES="$(1)" sh scripts/deps.sh

EXTRA_TESTS += test-fuzz-short

.PHONY: abi-update abi-symbols fuzz test-fuzz-short fuzz-build coverage \
        lint docs

# ---- ABI -----------------------------------------------------------------

# A release-type build with debug info: what abidw reads.
$(ABI_BUILD)/build.ninja: | deps
	$(MESON) setup $(ABI_BUILD) --buildtype=release -Ddebug=true \
	    -Dtests=false -Dbench=false

abi-update: $(ABI_BUILD)/build.ninja
	@$(call qa_need,abigail-tools)
	ninja -C $(ABI_BUILD)
	sh tests/abi/abi_check.sh dump $(ABI_BUILD)/src/libfunnelcore.so . \
	    tests/abi/funnelcore.abi
	@$(MAKE) --no-print-directory abi-symbols
	@echo "abi-update: baseline rewritten.  Commit tests/abi/funnelcore.abi"
	@echo "  and tests/abi/symbols.txt with a CHANGELOG note (docs/abi.md)."

abi-symbols: $(ABI_BUILD)/build.ninja
	ninja -C $(ABI_BUILD)
	@{ sed -n '/^#/p' tests/abi/symbols.txt; \
	   sh tests/abi/symbols_check.sh --print $(ABI_BUILD)/src/libfunnelcore.so; \
	 } > tests/abi/symbols.txt.new
	@mv tests/abi/symbols.txt.new tests/abi/symbols.txt
	@git diff --stat -- tests/abi/symbols.txt 2>/dev/null || true

# ---- Fuzzing -------------------------------------------------------------

$(FUZZ_BUILD)/build.ninja: | deps
	CC=$(FUZZ_CC) $(MESON) setup $(FUZZ_BUILD) --buildtype=debugoptimized \
	    -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
	    -Dc_args=-fno-sanitize-recover=all -Dbench=false

fuzz-build: $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD) $(addprefix tests/fuzz/fuzz_,$(FUZZ_TARGETS))

# fuzz_run SECONDS: every target for SECONDS, new inputs kept in
# $(FUZZ_BUILD)/corpus/<target> (the committed seeds are read, never
# written), crashes saved in $(FUZZ_BUILD)/artifacts/.
define fuzz_run
	@mkdir -p $(FUZZ_BUILD)/artifacts
	@set -e; for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
	    echo "fuzz: $$t for $(1) s"; \
	    if ! ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 \
	         UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	         $(FUZZ_BUILD)/tests/fuzz/fuzz_$$t -max_total_time=$(1) \
	            -timeout=20 -rss_limit_mb=2048 -print_final_stats=0 \
	            -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t- \
	            $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t \
	            > $(FUZZ_BUILD)/fuzz-$$t.log 2>&1; then \
	        tail -n 60 $(FUZZ_BUILD)/fuzz-$$t.log; \
	        echo "fuzz: $$t FAILED; the input is in $(FUZZ_BUILD)/artifacts/$$t-*."; \
	        echo "  Fix the bug, then copy the input to tests/fuzz/corpus/$$t/crash-<what>"; \
	        echo "  so that the fuzz_replay_$$t test replays it in every build."; \
	        exit 1; \
	    fi; \
	    grep -E '^#[0-9]+[[:space:]]+DONE' $(FUZZ_BUILD)/fuzz-$$t.log | tail -n 1 || true; \
	done
endef

fuzz: fuzz-build
	$(call fuzz_run,$(FUZZ_SECONDS))

test-fuzz-short: fuzz-build
	$(call fuzz_run,$(FUZZ_SHORT_SECONDS))

# ---- Coverage ------------------------------------------------------------

$(COV_BUILD)/build.ninja: | deps
	$(MESON) setup $(COV_BUILD) --buildtype=debug -Db_coverage=true \
	    -Dbench=false

coverage: $(COV_BUILD)/build.ninja
	@$(call qa_need,gcovr)
	ninja -C $(COV_BUILD)
	find $(COV_BUILD) -name '*.gcda' -delete
	@mkdir -p $(COV_BUILD)/coverage
	@# The report is written even when a test fails; the target fails then.
	@# funnelcore-fault compiles the CLI sources a second time (with fault
	@# injection): it is excluded, or gcovr meets session.c twice and stops.
	@status=0; \
	$(MESON) test -C $(COV_BUILD) --print-errorlogs --num-processes 2 \
	    > $(COV_BUILD)/coverage/tests.log 2>&1 || status=$$?; \
	grep -E '^(Ok|Fail|Skipped|Timeout): ' $(COV_BUILD)/coverage/tests.log; \
	gcovr --root . --filter 'src/' --exclude-unreachable-branches \
	    --exclude-throw-branches \
	    --exclude-directories '.*funnelcore-fault\.p' \
	    --txt $(COV_BUILD)/coverage/lines.txt \
	    --html-details $(COV_BUILD)/coverage/index.html \
	    --print-summary $(COV_BUILD) | tail -n 3; \
	if [ $$status -ne 0 ]; then \
	    echo "coverage: some tests FAILED (see $(COV_BUILD)/coverage/tests.log)"; \
	    exit $$status; fi
	@echo "coverage: per-file table in $(COV_BUILD)/coverage/lines.txt," \
	     "annotated source in $(COV_BUILD)/coverage/index.html"

# ---- Static analysis -----------------------------------------------------

LINT_WARNINGS := -Wall -Wextra -Wshadow -Wconversion

$(LINT_BUILD)/build.ninja: | deps
	$(MESON) setup $(LINT_BUILD) --buildtype=debug -Dbench=false \
	    -Dtests=false -Dc_args="$(LINT_WARNINGS)"

# Findings are listed and counted; the target fails only when a tool
# cannot run.  docs/lint.md says what is accepted and why.
lint: $(LINT_BUILD)/build.ninja
	@$(call qa_need,clang-tidy cppcheck)
	@ninja -C $(LINT_BUILD) -t clean >/dev/null
	@ninja -C $(LINT_BUILD) > $(LINT_BUILD)/warnings.log 2>&1 || \
	    { cat $(LINT_BUILD)/warnings.log; exit 1; }
	@echo "== compiler ($(LINT_WARNINGS)): warnings per file"
	@grep -oE '^\.\./src/[a-z_0-9]+\.[ch]:[0-9]+:[0-9]+: warning: .*\[-W[a-z-]+' \
	    $(LINT_BUILD)/warnings.log | sort -u > $(LINT_BUILD)/warnings.txt || true
	@sed -E 's/^\.\.\/(src\/[^:]*):.*\[(-W[a-z-]+)$$/\1 \2/' \
	    $(LINT_BUILD)/warnings.txt | sort | uniq -c | sort -rn || true
	@echo "   total: $$(wc -l < $(LINT_BUILD)/warnings.txt) (list: $(LINT_BUILD)/warnings.txt)"
	@echo "== clang-tidy (.clang-tidy), every src/ file the build compiles"
	@run-clang-tidy -quiet -j 2 -p $(LINT_BUILD) '/src/[^/]*[.]c$$' \
	    > $(LINT_BUILD)/clang-tidy.log 2>&1 || true
	@sed 's/\x1b\[[0-9;]*m//g' $(LINT_BUILD)/clang-tidy.log | \
	    grep -E '^[^ ].*: (warning|error): ' | \
	    sed -E 's#^($(CURDIR)/)?($(LINT_BUILD)/)?(\.\./)?##' | \
	    sort -u > $(LINT_BUILD)/clang-tidy.txt || true
	@sed -E 's/.*\[([^]]+)\]$$/\1/' $(LINT_BUILD)/clang-tidy.txt | sort | uniq -c | sort -rn
	@echo "   total: $$(wc -l < $(LINT_BUILD)/clang-tidy.txt) (list: $(LINT_BUILD)/clang-tidy.txt)"
	@echo "== cppcheck (tests/lint/cppcheck.args, tests/lint/cppcheck.supp)"
	@cppcheck $$(grep -v '^#' tests/lint/cppcheck.args) \
	    --suppressions-list=tests/lint/cppcheck.supp \
	    --template='{file}:{line}: {severity}: {message} [{id}]' \
	    -I include -I src -I $(LINT_BUILD) src \
	    2> $(LINT_BUILD)/cppcheck.txt >/dev/null || \
	    { cat $(LINT_BUILD)/cppcheck.txt; exit 1; }
	@cat $(LINT_BUILD)/cppcheck.txt
	@echo "   total: $$(grep -c . $(LINT_BUILD)/cppcheck.txt || true)"

# ---- Reference documentation ---------------------------------------------

docs:
	@$(call qa_need,doxygen)
	@mkdir -p $(DOCS_BUILD)
	doxygen Doxyfile > $(DOCS_BUILD)/doxygen.log
	@echo "docs: $(DOCS_BUILD)/html/index.html"
	@w=$(DOCS_BUILD)/warnings.log; \
	    f=$$(grep -c '(function) .*not documented' $$w || true); \
	    m=$$(grep -c '(variable) .*not documented' $$w || true); \
	    o=$$(grep 'warning:' $$w | grep -vc 'not documented' || true); \
	    echo "docs: $$f undocumented public functions:"; \
	    grep '(function) .*not documented' $$w | sed "s|^$(CURDIR)/||; s/^/    /"; \
	    echo "docs: $$m undocumented struct members, $$o other warnings (all in $$w)"
