# The two commands a newcomer needs: `make run` and `make test`. Everything else is what they call.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT ?= 5000
PYTHON ?= python3

.PHONY: run test setup install translations extract-messages db chromium node-tools lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/.installed

# Compiled catalogs are built, never committed.
translations: install
	$(BIN)/pybabel compile -d dxtraining/translations

extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o dxtraining/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i dxtraining/translations/messages.pot -d dxtraining/translations --no-fuzzy-matching

setup: translations

db: setup
	$(FLASK) db upgrade
	$(FLASK) seed --demo

run: db
	@trap 'kill $$worker 2>/dev/null' EXIT; \
	$(FLASK) jobs worker --interval 5 & worker=$$!; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Debian's Chromium for the browser tests (Playwright's own download does not work here).
chromium:
	@if ! command -v chromium >/dev/null; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "chromium is missing: install Debian's chromium package" >&2; exit 1; fi; \
	fi

# Independent parsers the tests run under node (ical.js); installed from the npm registry.
node-tools: tests/js/node_modules/.installed
tests/js/node_modules/.installed: tests/js/package.json
	cd tests/js && npm install --no-audit --no-fund --loglevel=error
	touch $@

lint: install
	$(BIN)/ruff check .

# The whole suite on SQLite; with TEST_DATABASE_URL set, again on that PostgreSQL (browser tests
# serve their own SQLite file, so they run once).
test: setup chromium node-tools lint
	$(BIN)/pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL: $$TEST_DATABASE_URL"; \
	  DXT_TEST_BACKEND=postgresql $(BIN)/pytest -m "not browser"; \
	fi

# Benchmarks print ratios against a baseline measured in the same run (set DATABASE_URL for PostgreSQL).
bench: setup
	$(BIN)/python bench/rush.py
	$(BIN)/python bench/survey_results.py
	$(BIN)/python bench/feed.py

clean:
	rm -rf $(VENV) instance dxtraining/translations/*/LC_MESSAGES/*.mo
