# The README's commands are thin wrappers over these targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# `make test` honours: PGROLE (the PostgreSQL role, password and database it creates and uses),
# DATABASE_URL, TEST_DATABASE_NAME, REDIS_URL, PYTHON, CHROMIUM_PATH, PYTEST_WORKERS and
# PYTEST_ARGS.
export PGROLE ?= switchboard
export DATABASE_URL ?= postgres://$(PGROLE):$(PGROLE)@127.0.0.1:5432/$(PGROLE)
export REDIS_URL ?= redis://127.0.0.1:6379/9
export DJANGO_SETTINGS_MODULE ?= switchboard.settings
export DJANGO_SECRET_KEY ?= test-only-secret-key-not-for-production
# pytest-xdist workers: each has its own test database, Redis key prefix and broker keys
# (tests/xdist_world.py). Most of the suite's time is processes waiting on timers, so three
# workers pay on two cores. PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 3

.PHONY: help venv requirements services browser test test-fast lint typecheck demo bench bench-quick clean

help:
	@echo "make demo   - run the whole system locally on emulated FreeSWITCH nodes"
	@echo "make test   - install what is missing, start PostgreSQL and Redis, lint, run every test"
	@echo "make test-fast - the tests that need no service (tier unit), with no service running"
	@echo "make bench  - run the benchmarks under bench/: one table of figures and goals"
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
	@bash scripts/ensure_sip_edge.sh

browser:
	@bash scripts/ensure_browser.sh

# Lint first: the layer rules (telephony/ and emulator/ import no Django) are ruff rules.
test: venv lint services browser
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# Tier `unit` (tests/conftest.py derives it from the fixtures a test uses): no PostgreSQL, no
# Redis, nothing started; the service URLs point nowhere so a test that reaches one fails.
test-fast: venv
	DATABASE_URL=postgres://nobody:nothing@127.0.0.1:9/none REDIS_URL=redis://127.0.0.1:9/0 \
		$(PY) -m pytest -q -m unit $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# The demo runs on the tests' PostgreSQL server (scripts/demo.py runs ensure_services.sh when it
# does not answer) in a database of its own, switchboard_demo, and on a private Redis. The
# DATABASE_URL default above names the tests' database, so it is passed on only when the caller
# set it (env or command line).
# Options: make demo DEMO_ARGS="--duration 60 --web-port 9000" (see scripts/demo.py --help).
demo: venv
	$(if $(filter environment command,$(origin DATABASE_URL)),,env -u DATABASE_URL) $(PY) scripts/demo.py $(DEMO_ARGS)

# One table of every figure with its goal (bench/figures.toml), also written to
# var/bench/latest.json (the run before it kept as previous.json). BENCH_ARGS="--only floor".
bench: venv services
	$(PY) bench/run.py $(BENCH_ARGS)

bench-quick: venv services
	$(PY) bench/run.py --quick $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
