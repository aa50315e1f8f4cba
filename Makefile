# One command each: `make demo` runs the demo, `make test` runs the whole suite.
# Both install exactly what requirements/lock.txt pins (versions and sha256 hashes), so a fresh
# machine gets what CI tested; `make lock` refreshes the lock from setup.cfg's ranges.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements/lock.txt
RUNTIME_LOCK := requirements/runtime.txt
SPA_BUNDLE := tests/browser/spa/dist/app.js
COMPILE := $(BIN)/uv pip compile --universal --python-version 3.10 --generate-hashes --quiet

.PHONY: demo cluster-demo test lint format bench clean i18n lock dist screenshots spa

$(STAMP): $(LOCK) setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes -r $(LOCK)
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

# `make lock` keeps every pin that still satisfies setup.cfg; `make lock UPGRADE=babel` moves one
# package to its newest allowed release; `make lock UPGRADE=--all` moves them all. The runtime
# lock (what a deployment installs beside the wheel) is the same pins without the dev tools.
lock: $(STAMP)
	$(COMPILE) setup.cfg requirements/build.in --extra dev -o $(LOCK) \
	  $(if $(UPGRADE),$(if $(filter --all,$(UPGRADE)),--upgrade,--upgrade-package $(UPGRADE)))
	$(COMPILE) setup.cfg -c $(LOCK) -o $(RUNTIME_LOCK)

i18n: $(STAMP)
	$(BIN)/python -m selfcare_widget.catalog

demo: $(STAMP)
	$(BIN)/selfcare-widget demo

# The widget as several processes on loopback: instances behind HAProxy, Redis with Sentinels,
# EDR workers (needs the Debian packages redis-server and haproxy).
cluster-demo: $(STAMP)
	$(BIN)/selfcare-widget cluster-demo

test: $(STAMP) $(SPA_BUNDLE)
	$(BIN)/python -m pytest

# The React 19 StrictMode SPA the browser tests host the widget in: React and esbuild exactly as
# tests/browser/spa/package-lock.json pins them (npm registry), bundled to its dist/app.js. Built
# before `make test` when npm is there (else that one test is skipped locally; CI installs npm).
spa:
	cd tests/browser/spa && npm ci --no-audit --no-fund && npm run build

$(SPA_BUNDLE): tests/browser/spa/package-lock.json tests/browser/spa/src/app.jsx
	@if command -v npm >/dev/null; then $(MAKE) spa; else echo "npm not found: the React SPA browser test will be skipped"; fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The README's pictures: every widget view at 1280 and 375 px in both themes, from a fresh demo
# driven by Debian's /usr/bin/chromium (headless), into docs/screenshots/; fails on any error.
screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py --out docs/screenshots

bench: $(STAMP)
	$(BIN)/python -m bench

dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --no-isolation --outdir dist .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
