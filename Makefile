# Every target works from a fresh clone on a machine that has only python3 and make.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.bench-stamp

.PHONY: install lint check test sweep record serve demo bench docs clean unasync

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(VENV)/bin/ruff check kinto_query tests examples bench tools
	$(VENV)/bin/mypy --strict kinto_query

# The sync I/O code (kinto_query/*/_blocking) is generated from its async source
# (kinto_query/*/_async): run after editing the source; tests/test_generated.py fails when stale.
unasync: install
	$(PY) tools/generate_sync.py

# Test workers (pytest-xdist): one per core by default; each starts its own Kinto servers.
JOBS ?= auto

# The loop after every change (under a minute): lint, types, and the tests that need no
# live server: pure tests and cassette replays.
check: lint
	$(VENV)/bin/pytest -q -n $(JOBS) -m "pure or cassette"

# Everything: pure tests, cassette replays and live tests (the suite starts its own Kinto
# servers and PostgreSQL, per worker), then the ten slowest tests.
test: lint
	$(VENV)/bin/pytest -n $(JOBS) --durations=10

# Every write path, single and bulk, on memory and PostgreSQL, through a loopback fault proxy
# (faults on ~15% of requests): a table of items misreported, which must be 0 everywhere.
# SWEEP_RUNS=N runs per path (5 by default: under two minutes).
sweep: install
	$(VENV)/bin/pytest tests/sweep_writes.py -q -s -p no:cacheprovider

# Re-record every cassette from a fresh live Kinto (started by the suite).
record: install
	rm -rf cassettes
	$(VENV)/bin/pytest -m cassette --kinto-record-mode=all

# A local Kinto on 127.0.0.1:8888 (memory backend, any user:password), in the foreground.
serve: install
	$(PY) -m kinto_query.testing --port 8888

demo: install
	$(PY) examples/demo.py
	$(PY) examples/cli_demo.py

# The documentation site: quickstart, guides, API reference from the docstrings, changelog. Every warning
# (a broken reference included: nitpicky) fails the build.
docs: install
	rm -rf docs/_build
	$(VENV)/bin/sphinx-build -W --keep-going -n -q -b html docs docs/_build/html

# The benchmark harness (bench/): starts and seeds its own servers, prints every work and
# writes bench/results.json and bench/chart.png (10-15 minutes). QUICK=1: small N, under a
# minute, written to bench/quick/ (CI runs it; numbers are never asserted).
$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install -q -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) -m bench $(if $(filter-out 0,$(QUICK)),--quick)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache bench/quick docs/_build build dist
