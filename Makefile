# SalesLedger: `make run` starts the embedded service, `make test` runs the whole suite.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install lock test unit lint services services-down bench clean

run: install
	$(BIN)/salesledger demo-users
	$(BIN)/salesledger serve --host $(HOST) --port $(PORT)

install: $(VENV)/.installed

# Exactly the versions of requirements.lock, the ones CI tested; `make lock` refreshes it.
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[test]"
	touch $@

# Resolves pyproject.toml's ranges afresh (pip-tools, in a venv of its own) into requirements.lock.
lock:
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet pip-tools
	.lock-venv/bin/pip-compile --quiet --upgrade --extra test --strip-extras --no-emit-index-url \
		--no-emit-find-links -o requirements.lock pyproject.toml
	rm -rf .lock-venv

# The whole suite: the layer contracts and lint first, then unit, local, e2e, and integration
# tests against the real PostgreSQL and Kafka that `make services` starts (or reuses).
test: install lint services
	. .services/env && $(BIN)/python -m pytest -q

services:
	scripts/services.sh up

services-down:
	scripts/services.sh down

unit: install
	$(BIN)/python -m pytest -q tests/unit

# Every benchmark (bench/), then the summary table. BENCH_SIZE=quick (about a minute) or full
# (about a million events for rebuild, relay, projectors and memory: tens of minutes the first
# time, while the seeded activity log is generated and kept in bench/results/logs/).
BENCH_SIZE ?= quick
bench: install services
	. .services/env && $(BIN)/python -m bench --size $(BENCH_SIZE)

# ruff, and the import-linter contracts of pyproject.toml (dependencies point inward).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) data .pytest_cache
