# Every target works from a fresh clone on a machine that has only python3 and make.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: install lint test record serve demo bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(VENV)/bin/ruff check kinto_query tests examples bench
	$(VENV)/bin/mypy --strict kinto_query

# Pure tests, cassette replay and live tests (the suite starts its own Kinto servers).
test: lint
	$(VENV)/bin/pytest

# Re-record every cassette from a fresh live Kinto (started by the suite).
record: install
	rm -f cassettes/*.json
	KINTO_QUERY_RECORD_MODE=all $(VENV)/bin/pytest -m cassette

# A local Kinto on 127.0.0.1:8888 (memory backend, any user:password), in the foreground.
serve: install
	$(PY) -m kinto_query.testing --port 8888

demo: install
	$(PY) examples/demo.py
	$(PY) examples/cli_demo.py

bench: install
	$(PY) bench/paging.py
	$(PY) bench/canned.py
	$(PY) bench/prefetch.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
