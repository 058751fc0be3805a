# One entry point for people and CI. Every target installs what it needs, so a fresh clone works.
PYTHON ?= python3.11
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run stack test lint fmt venv runtime assets system-deps migrate admin clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

# Running needs the runtime dependencies only (a 465 MB venv; 906 MB with the dev group, which
# tests and linters add). The runtime sync is inexact, so `make run` never strips the tools
# `make test` installed, and only a dev sync writes the dev stamp.
$(VENV)/.synced-runtime: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --no-dev --inexact --quiet
	touch $@

$(VENV)/.synced-dev: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --group dev --quiet
	touch $@ $(VENV)/.synced-runtime

runtime: $(VENV)/.synced-runtime

venv: $(VENV)/.synced-dev

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The npm packages, then brotli and gzip copies of what the viewer page loads (the app serves
# them by Accept-Encoding; nothing is compressed per request). Up-to-date copies are kept.
assets: node_modules/.installed runtime
	$(BIN)/vertex-ar assets precompress > /dev/null

system-deps:
	scripts/install-system-deps.sh

migrate: runtime
	$(BIN)/vertex-ar db upgrade

admin: migrate
	$(BIN)/vertex-ar admin ensure

# `make run PORT=8100`; PUBLIC_BASE_URL follows the port unless set.
run: runtime assets migrate admin
	$(BIN)/vertex-ar serve --port $(PORT)

# The compose topology natively on loopback, in the foreground (Ctrl-C stops it and deletes its
# data); needs PostgreSQL and Redis running locally and nginx. Options: STACK_ARGS="--help".
stack: runtime assets
	$(BIN)/python deploy/stack.py $(STACK_ARGS)

test: venv assets system-deps lint
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check src tests benchmarks deploy
	$(BIN)/ruff format --check src tests benchmarks deploy
	$(BIN)/mypy

fmt: venv
	$(BIN)/ruff format src tests benchmarks deploy
	$(BIN)/ruff check --fix src tests benchmarks deploy

clean:
	rm -rf $(VENV) $(TOOLS) node_modules var
