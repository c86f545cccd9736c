# Newsroom: `make run` to serve it, `make test` to test it. Both set everything up first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1:8000

.PHONY: install install-dev run test lint bench bench-deps browser-deps clean

# The venv is rebuilt only when pyproject.toml changes; the stamp records the last install.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: install
	$(MANAGE) migrate --no-input
	$(MANAGE) import_seeds
	$(MANAGE) runserver $(HOST)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/pytest

bench: install-dev bench-deps
	$(BIN)/python -m bench

# A consistent copy of the database, taken while the site runs (SQLite's online backup
# API, or pg_dump for PostgreSQL): var/backups/newsroom-<UTC time>.sqlite3 (or .dump).
# KEEP=N then deletes all but the N newest.
.PHONY: backup restore
backup: install
	$(MANAGE) backup_db $(if $(KEEP),--keep=$(KEEP))

# Replaces the whole database with a backup; asks first if the database holds data.
restore:
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/newsroom-<time>.sqlite3 (or .dump)" >&2; exit 2; }
	@$(MAKE) --no-print-directory install
	$(MANAGE) restore_db "$(FILE)"

# Debian's wrk, the HTTP benchmark's load generator. Needs root, as in CI; without it the
# HTTP benchmark reports that wrk is missing and the import benchmark still runs.
bench-deps:
	@command -v wrk >/dev/null 2>&1 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } || \
	  echo "bench-deps: could not install wrk; the HTTP benchmark will say so" >&2

# Debian's Chromium for the browser tests; Playwright drives it by path (its own browser
# download cannot work here). Needs root, as in CI; without it the browser tests skip.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
