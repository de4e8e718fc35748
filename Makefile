# bancheng — two commands: `make run` and `make test`. Everything else is bootstrapped.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
# uv from PATH, or bootstrapped into .tools/ with pip when missing.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
BANCHENG := $(UV) run --frozen bancheng
TEST_PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# The suite runs on as many processes as there are cores (at most 4); each test file stays
# on one process, and every process has databases of its own. PYTEST_WORKERS=0: serially.
PYTEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; echo $$n)
PYTEST_PARALLEL := $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile)
WEB_SOURCES := $(shell find web/src web/index.html web/package.json web/vite.config.ts web/openapi.json -type f 2>/dev/null)

.PHONY: help run test venv web fonts lint pytest-sqlite pytest-postgres e2e-deps bench clean

help:
	@echo "make run   — set up everything and serve on http://127.0.0.1:8000"
	@echo "make test  — set up what the tests need and run the whole suite"

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

venv: .venv/.synced

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run build

web:
	@if [ -f web/package.json ]; then $(MAKE) --no-print-directory web/dist/index.html; fi

# A CJK font for the PDFs (receipts, posters, reports); installed with apt when missing.
fonts:
	@if [ ! -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]; then \
		echo "installing fonts-noto-cjk (Chinese text in PDFs)"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-noto-cjk >/dev/null) \
		|| echo "WARNING: could not install fonts-noto-cjk; PDF endpoints answer print.font_missing" >&2; \
	fi

run: venv web fonts
	$(BANCHENG) db upgrade
	$(BANCHENG) demo load --if-empty
	$(BANCHENG) serve

lint: venv
	$(UV) run --frozen ruff check src tests bench
	$(UV) run --frozen ruff format --check src tests bench
	$(UV) run --frozen mypy
	$(UV) run --frozen lint-imports

# Debian's Chromium (no browser download) and a CJK font for the browser tests'
# screenshots; nginx, curl and openssl for the deployment guide's test
# (tests/ops/test_deployment.py); installed with apt when missing.
e2e-deps:
	@if [ ! -x /usr/bin/chromium ] || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then \
		echo "installing Debian chromium and fonts-noto-cjk for browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi
	@if [ ! -x /usr/sbin/nginx ] || ! command -v curl >/dev/null || ! command -v openssl >/dev/null; then \
		echo "installing nginx-light, curl and openssl for the deployment test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light curl openssl >/dev/null; \
	fi

pytest-sqlite: venv web e2e-deps
	$(UV) run --frozen pytest $(PYTEST_PARALLEL)

pytest-postgres: venv
	@if $(UV) run --frozen python -c "import psycopg,sys; psycopg.connect('$(subst +psycopg,,$(TEST_PG_URL))', connect_timeout=3).close()" 2>/dev/null; then \
		BANCHENG_TEST_DATABASE_URL='$(TEST_PG_URL)' $(UV) run --frozen pytest $(PYTEST_PARALLEL) -m "not e2e"; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL at $(TEST_PG_URL) is unreachable: CI requires it" >&2; exit 1; \
	else \
		echo "WARNING: PostgreSQL at $(TEST_PG_URL) unreachable; PostgreSQL suite skipped (CI fails here)" >&2; \
	fi

test: lint web
	@if [ -f web/package.json ]; then cd web && npm test --silent; fi
	$(MAKE) --no-print-directory pytest-sqlite
	$(MAKE) --no-print-directory pytest-postgres

bench: venv
	$(UV) run --frozen python bench/intake.py

clean:
	rm -rf .venv .tools web/node_modules web/dist test-output
