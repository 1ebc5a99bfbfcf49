# The two commands a newcomer needs: `make up` (Compound with demo data) and `make test`.
# Both start with `make install`, which does nothing when .venv is already current.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TYPECHECK_TREE := build/typecheck/compound
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install up test lint typecheck imports pytest eval bench clean-venv

install: $(STAMP)

$(STAMP): pyproject.toml setup.py Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first and pinned: the CPU build lies on this machine's disk; an unpinned
	# torch would pull several GB of CUDA.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@missing="$$(command -v chromium >/dev/null 2>&1 || echo chromium)"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then $(MAKE) --no-print-directory debian-packages PACKAGES="$$missing"; fi
	$(MAKE) --no-print-directory htmx
	touch $(STAMP)

# htmx for the web UI, from the npm registry (not committed). Without it every page still
# works with plain links and forms, so a failure here is reported, not fatal.
HTMX_VERSION := 2.0.7
HTMX := web/static/vendor/htmx.min.js
.PHONY: htmx
htmx: $(HTMX)
$(HTMX):
	@mkdir -p build/npm web/static/vendor
	@if command -v npm >/dev/null 2>&1 && npm install --silent --no-audit --no-fund \
		--prefix build/npm htmx.org@$(HTMX_VERSION) >/dev/null 2>&1; then \
		cp build/npm/node_modules/htmx.org/dist/htmx.min.js $(HTMX); \
	else \
		echo "htmx $(HTMX_VERSION) could not be installed from npm: the web UI works without it"; \
	fi

# From Debian, in one apt-get call: Chromium for the browser tests (Playwright never
# downloads a browser here) and redis-server for the Redis broker's tests.
.PHONY: chromium redis debian-packages
chromium:
	@$(MAKE) --no-print-directory debian-packages PACKAGES=chromium
redis:
	@$(MAKE) --no-print-directory debian-packages PACKAGES=redis-server
debian-packages:
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PACKAGES) >/dev/null; \
	else \
		echo "Missing $(PACKAGES): run 'sudo apt-get install -y $(PACKAGES)' (browser and Redis broker tests)"; \
	fi

up: install
	$(BIN)/compound up

# Drift checks first (fast), then the suite on the embedded Postgres.
test: install lint typecheck imports pytest eval

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

# mypy and import-linter read the code through a tree of symlinks that gives the
# top-level folders their import names (compound.platform, …) without shadowing the
# standard library's `platform`.
$(TYPECHECK_TREE):
	mkdir -p $(TYPECHECK_TREE)
	for layer in platform agents web modules; do ln -sfn ../../../$$layer $(TYPECHECK_TREE)/$$layer; done

typecheck: install $(TYPECHECK_TREE)
	cd build/typecheck && ../../$(BIN)/mypy --config-file ../../pyproject.toml -p compound.platform -p compound.agents -p compound.web -p compound.modules

imports: install $(TYPECHECK_TREE)
	cd build/typecheck && PYTHONPATH=. ../../$(BIN)/lint-imports --config ../../pyproject.toml

# Two processes (CI has two cores), a test file to each: the suite spends much of its time
# waiting on servers, browsers and Postgres. Each process starts its own embedded Postgres.
pytest: install
	$(BIN)/python -m pytest -n 2 --dist loadfile

# Each agent's golden cases on its offline engine; fails below an agent's floor.
eval: install
	$(BIN)/compound eval --engine offline

bench: install
	$(BIN)/python bench/graphql_read.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/job_queue.py
	$(BIN)/python bench/agent_runs.py
	$(BIN)/python bench/triage.py
	$(BIN)/python bench/extraction.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/leads_resolution.py
	$(BIN)/python bench/leads.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/graphql_cost.py

clean-venv:
	rm -rf $(VENV) build

# Rewrite schema.graphql from the code (the tests fail when it drifts).
.PHONY: schema
schema: install
	$(BIN)/python -c "from compound.platform.config import Settings; from compound.web.graphql import build_schema; print(str(build_schema(Settings(_env_file=None))).strip())" > schema.graphql
