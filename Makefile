# Two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-sqlite lint bench mutate clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/zhenggai demo --dir zhenggai-demo --serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The suite on SQLite files, then the database tiers again on the local PostgreSQL
# (127.0.0.1:5432, trust auth, database `test`; override with ZHENGGAI_TEST_PG).
# In WORKERS processes (pytest-xdist), a test file to one process: a file's module fixtures (a web
# server, a browser, a loaded database) are made once, and each process has its own PostgreSQL
# database. Not `-n auto`: every process holds PostgreSQL connections and the load tests many more.
WORKERS ?= 2
PYTEST := $(BIN)/pytest -q -n $(WORKERS) --dist loadfile

test: $(STAMP) lint
	$(PYTEST)
	ZHENGGAI_TEST_BACKEND=postgresql $(PYTEST) tests/integration tests/e2e tests/load

test-sqlite: $(STAMP)
	$(PYTEST)

# Fails on a MISS: each bench exits 1 when a figure misses its target (bench_core --lenient does not).
bench: $(STAMP)
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

# Mutation testing of the core rules (tests/mutate.py; scores and survivors in docs/mutation.md).
# Not part of `make test`. One target: make mutate TARGETS=states
mutate: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,mutate]'
	$(BIN)/python tests/mutate.py $(TARGETS)

clean:
	rm -rf $(VENV) .mutate zhenggai-demo .pytest_cache .mypy_cache .ruff_cache
