# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast bench lint system-deps clean help

help:
	@echo "make demo   - set up, ingest the bundled sample, build its assessment PDF"
	@echo "make test   - set up, run the whole test suite"
	@echo "make test-fast - the everyday loop: every test but the slow tier (flows, subprocesses, servers)"
	@echo "make bench  - set up, run the benchmarks"
	@echo "make lint   - ruff over the code"

# WeasyPrint needs Pango and fonts from the system (and HarfBuzz-subset for fast, supported
# font subsetting); the tests read PDFs as pictures with poppler. Installed where we can.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils
system-deps:
	@if ! ldconfig -p 2>/dev/null | grep -q libpango-1.0 || ! ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing $(SYSTEM_PACKAGES) (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	  else \
	    echo "WeasyPrint needs Pango and HarfBuzz: run 'sudo apt-get install $(SYSTEM_PACKAGES)' (Debian/Ubuntu) and retry." >&2; exit 1; \
	  fi; \
	fi

$(STAMP): pyproject.toml | system-deps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/efc demo

# One worker per core (pytest-xdist); a test file stays on one worker with its fixtures. On 2
# cores the suite took 684 s in one process and 432 s in two.
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile --durations=15

# The everyday loop: leaves out the tests marked slow (those that run a whole flow, a subprocess
# or a server; tests/test_tiers.py fails if one is unmarked).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -n auto --dist loadfile --durations=10

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var .pytest_cache
