# One entry point for people and CI. Every target installs what it needs, so a fresh clone works.
PYTHON ?= python3.11
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run stack test lint fmt venv assets system-deps migrate admin clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	touch $@

venv: $(VENV)/.synced

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed

system-deps:
	scripts/install-system-deps.sh

migrate: venv
	$(BIN)/vertex-ar db upgrade

admin: migrate
	$(BIN)/vertex-ar admin ensure

run: venv assets migrate admin
	$(BIN)/vertex-ar serve

# The compose topology natively on loopback, in the foreground (Ctrl-C stops it and deletes its
# data); needs PostgreSQL and Redis running locally and nginx. Options: STACK_ARGS="--help".
stack: venv assets
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
