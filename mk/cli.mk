# The funnelcore command-line tool (src/cli): the demo and the Chromium
# check of its HTML report.  Included by the top Makefile, which defines
# BUILD, MESON and deps.
#
#   make demo            build, run the tool on examples/data/sample, print
#                        lifecycle stages (the built-in stage machine) +
#                        deals + funnel + velocity + cohorts + time to
#                        convert + attribution + ROI + top-scored contacts,
#                        write an HTML report (seven SVG charts)
#   make test-cli-html   render that report in headless Chromium (installed
#                        through apt-get when missing) and check the page
#
# The other CLI tests are the meson test `cli` (tests/cli/test_cli.py),
# run by `make test` in the normal and the sanitizer tree.

CLI_PYTHON ?= /usr/bin/python3
CLI_EXE = $(BUILD)/src/cli/funnelcore
CLI_SAMPLE = examples/data/sample
DEMO_DIR ?= $(BUILD)/demo
# The sample's year is 2025; a fixed clock keeps the demo reproducible.
DEMO_NOW ?= 2026-01-01

EXTRA_TESTS += test-cli-html

.PHONY: demo test-cli-html

demo: $(BUILD)/build.ninja
	ninja -C $(BUILD)
	@mkdir -p $(DEMO_DIR)
	$(CLI_EXE) report --title "funnelcore demo: sample B2B funnel" \
	    --accounts $(CLI_SAMPLE)/accounts.csv \
	    --contacts $(CLI_SAMPLE)/contacts.csv \
	    --touches $(CLI_SAMPLE)/touches.csv \
	    --deals $(CLI_SAMPLE)/deals.csv \
	    --costs $(CLI_SAMPLE)/costs.csv \
	    --models first,last,linear,markov,shapley --roi-model linear \
	    --group-by product,region --now $(DEMO_NOW) \
	    --html $(DEMO_DIR)/report.html
	@echo
	@echo "HTML report: $(abspath $(DEMO_DIR))/report.html"

test-cli-html: $(BUILD)/build.ninja
	ninja -C $(BUILD)
	@command -v chromium >/dev/null 2>&1 || \
	    FNL_EXTRA_PACKAGES=chromium sh scripts/deps.sh || \
	    echo "test-cli-html: chromium could not be installed" >&2
	$(CLI_PYTHON) tests/cli/test_html.py $(CLI_EXE) $(CLI_SAMPLE)
