# Pulse: `make run` starts it, `make test` runs every test. Both install what is missing first
# and skip what is already installed.

SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
VENV := .venv
PY := $(VENV)/bin/python
PYSTAMP := $(VENV)/.installed
RUNSTAMP := $(VENV)/.installed-run
WEB_SRC := $(shell find web/src web/index.html web/vite.config.ts web/package.json -type f 2>/dev/null)
WEBSTAMP := web/node_modules/.installed
WEBRUNSTAMP := web/node_modules/.installed-run
UI := src/pulse/web/dist/index.html
HAVE_WEB := $(wildcard web/package.json)

.PHONY: run run-deps web-run-deps test deps ui lint bench chromium wrk postgres api-types clean

# Ctrl-C stops Pulse gracefully (its runs are recorded); the trap keeps make from calling that an
# error.
run: run-deps $(if $(HAVE_WEB),web-run-deps $(UI))
	@trap 'exit 0' INT; $(VENV)/bin/pulse serve --demo

# What running needs, without the test and benchmark tools (unless those are installed already).
run-deps:
	@if [ ! $(PYSTAMP) -nt uv.lock ] || [ ! $(PYSTAMP) -nt pyproject.toml ]; then \
		$(MAKE) -s --no-print-directory $(RUNSTAMP); fi

$(RUNSTAMP): pyproject.toml uv.lock
	@command -v uv >/dev/null || python3 -m pip install --quiet uv
	uv sync --frozen --quiet --no-dev --inexact
	@touch $@

deps: $(PYSTAMP)

$(PYSTAMP): pyproject.toml uv.lock
	@command -v uv >/dev/null || python3 -m pip install --quiet uv
	uv sync --frozen --quiet
	@touch $@

$(WEBSTAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The UI's build tools only (its "dependencies"), unless everything is installed already.
web-run-deps:
	@if [ ! $(WEBSTAMP) -nt web/package-lock.json ] || [ ! $(WEBSTAMP) -nt web/package.json ]; then \
		$(MAKE) -s --no-print-directory $(WEBRUNSTAMP); fi

$(WEBRUNSTAMP): web/package.json web/package-lock.json
	cd web && npm ci --omit=dev --no-audit --no-fund --loglevel=error
	@touch $@

$(UI): $(WEB_SRC) web/package-lock.json | web-run-deps
	cd web && npm run build --silent
	@test -f $@ && touch $@

ui: $(if $(HAVE_WEB),$(UI))

# The UI's wire types are generated from the server's OpenAPI document; fail if they are stale.
api-types: $(PYSTAMP)
ifneq ($(HAVE_WEB),)
	$(PY) -m pulse.api.openapi > web/openapi.json
	cd web && npm run --silent check:api
endif

# Browser tests drive Debian's Chromium.
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The serving benchmarks (bench/serving.py) load the server with Debian's wrk.
wrk:
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

# PostgreSQL tests need the local server running.
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; echo "PostgreSQL is not up" >&2; exit 1

lint: $(PYSTAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

test: deps $(if $(HAVE_WEB),$(WEBSTAMP) $(UI)) chromium postgres lint api-types
ifneq ($(HAVE_WEB),)
	cd web && npm run --silent typecheck && npm test --silent
endif
	$(VENV)/bin/pytest

# Benchmarks (docs/benchmarks.md): SQLite beside APScheduler, PostgreSQL nodes beside
# Procrastinate, the UI in Chromium, and the API's serving speed under wrk.
bench: deps postgres chromium wrk $(if $(HAVE_WEB),$(UI))
	$(PY) bench/run.py
	$(PY) bench/pg_nodes.py
	$(PY) bench/outage.py
	$(PY) bench/ui_bench.py --no-build
	$(PY) bench/retention_bench.py
	$(PY) bench/sqlite_delete_cost.py
	$(PY) bench/stats_bench.py
	$(PY) bench/serving.py

clean:
	rm -rf $(VENV) web/node_modules src/pulse/web/dist
