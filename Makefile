# One task runner, used the same way on a laptop and in CI.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: serve test lint typecheck pytest bench clean

$(BIN)/shotlog: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

## Run shotlog serve on the embedded SQLite database ./shotlog.db
serve: $(BIN)/shotlog
	$(BIN)/shotlog serve

## Lint, type-check and run the whole test suite (SHOTLOG_TEST_DATABASE_URL=postgresql://... for PostgreSQL)
test: lint typecheck pytest

lint: $(BIN)/shotlog
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(BIN)/shotlog
	$(BIN)/mypy

pytest: $(BIN)/shotlog
	$(BIN)/python -m pytest

bench: $(BIN)/shotlog
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
