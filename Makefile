# The README's commands are thin wrappers over these targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# `make test` honours: PGROLE (the PostgreSQL role, password and database it creates and uses),
# DATABASE_URL, TEST_DATABASE_NAME, REDIS_URL, PYTHON, CHROMIUM_PATH and PYTEST_ARGS.
export PGROLE ?= switchboard
export DATABASE_URL ?= postgres://$(PGROLE):$(PGROLE)@127.0.0.1:5432/$(PGROLE)
export REDIS_URL ?= redis://127.0.0.1:6379/9
export DJANGO_SETTINGS_MODULE ?= switchboard.settings
export DJANGO_SECRET_KEY ?= test-only-secret-key-not-for-production

.PHONY: help venv requirements services browser test test-fast lint typecheck demo bench clean

help:
	@echo "make demo   - run the whole system locally on emulated FreeSWITCH nodes"
	@echo "make test   - install what is missing, start PostgreSQL and Redis, run every test"
	@echo "make bench  - run the benchmarks under bench/"
	@echo "make lint   - ruff and mypy"
	@echo "make requirements - recompile requirements*.txt (with hashes) from requirements*.in"

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "== installing python3"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-dev >/dev/null; }
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { echo "== installing python3-venv"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --require-hashes -r requirements.txt -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP)

# requirements*.in name the direct dependencies; the .txt files pin every package with its
# hashes (pip installs them with --require-hashes). Edit an .in file, then run this.
# PIP_COMPILE_ARGS="--upgrade-package NAME" moves a pinned package.
PIP_COMPILE := $(VENV)/bin/pip-compile -q --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links --no-emit-trusted-host $(PIP_COMPILE_ARGS)
requirements: venv
	$(PIP_COMPILE) -o requirements.txt requirements.in
	$(PIP_COMPILE) -o requirements-dev.txt requirements-dev.in

services:
	@bash scripts/ensure_services.sh

browser:
	@bash scripts/ensure_browser.sh

test: venv services browser
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-fast: venv
	$(PY) -m pytest -q -m "not integration and not browser" $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# The demo keeps its own SQLite database and a private Redis; the DATABASE_URL default above is
# the tests' PostgreSQL, so it is passed on only when the caller set it (env or command line).
# Options: make demo DEMO_ARGS="--duration 60 --web-port 9000" (see scripts/demo.py --help).
demo: venv
	$(if $(filter environment command,$(origin DATABASE_URL)),,env -u DATABASE_URL) $(PY) scripts/demo.py $(DEMO_ARGS)

bench: venv services
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) var
