# One task runner, used the same way on a laptop and in CI.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

# Debian's Chromium, where tests/web/webkit.py looks for it
CHROMIUM := /usr/bin/chromium
DEV    := $(VENV)/.dev-tools

.PHONY: serve test lint typecheck pytest bench clean chromium

# What serving needs, nothing more: shotlog and its runtime dependencies.
$(BIN)/shotlog: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

# The development tools (pytest, ruff, mypy, Playwright, moto, ...), added for the tests only.
$(DEV): $(BIN)/shotlog pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

## Run shotlog serve on the embedded SQLite database ./shotlog.db
serve: $(BIN)/shotlog
	$(BIN)/shotlog serve

## Lint, type-check and run the whole test suite (SHOTLOG_TEST_DATABASE_URL=postgresql://... for PostgreSQL)
test: lint typecheck pytest

lint: $(DEV)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(DEV)
	$(BIN)/mypy

pytest: $(DEV) chromium
	$(BIN)/python -m pytest

# The web UI's browser tests drive Debian's Chromium through Playwright (never `playwright install`).
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if ! command -v apt-get >/dev/null; then \
	    echo "The browser tests need Chromium at $(CHROMIUM) (Debian's chromium package): install it, then run make test again"; exit 1; \
	  fi; \
	  echo "Installing Debian's chromium for the browser tests (apt-get)"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; \
	fi

bench: $(DEV)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
