# The two commands a newcomer needs: `make demo` and `make test`. Everything else is a step they run.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
HOST   ?= 127.0.0.1

.PHONY: install install-test widget demo serve test lint typecheck unit e2e bench system-deps bench-deps clean

# Two stamps: `make demo` installs easel and what it runs on; the test tools come with `make test`.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $(VENV)/.installed

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $(VENV)/.installed-test

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# The widget: ES modules in widget_assets/src bundled and minified by esbuild (pinned by package-lock.json)
# into widget_assets/dist, which easel serves and the wheel ships; rebuilt whenever a source is newer.
# (build.mjs writes widget.js, widget.js.map and widget.css together; widget.js stands for the three.)
WIDGET_SOURCES := $(wildcard widget_assets/src/*.js) widget_assets/widget.css widget_assets/build.mjs

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

widget_assets/dist/widget.js: $(WIDGET_SOURCES) node_modules/.package-lock.json
	npm run --silent build

widget: widget_assets/dist/widget.js

demo: install widget
	$(BIN)/easel demo --host $(HOST) --port $(PORT)

# Debian packages the tests need: chromium (browser tests) and php-cli (signatures checked against PHP).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v php >/dev/null 2>&1 || missing="$$missing php-cli"; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  echo "installing Debian packages:$$missing"; \
	  $$sudo apt-get update -q >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends $$missing >/dev/null; \
	fi

lint: install-test
	$(BIN)/ruff check server tests $(wildcard e2e)

typecheck: install-test
	$(BIN)/mypy

unit: install-test widget
	$(BIN)/pytest tests

# axe-core for the accessibility checks of the browser tests, from npm, pinned by e2e/package-lock.json.
e2e/node_modules/.installed: e2e/package.json e2e/package-lock.json
	cd e2e && npm ci --no-audit --no-fund --silent
	touch $@

e2e: install-test system-deps widget e2e/node_modules/.installed
	$(BIN)/pytest e2e

test: install-test system-deps widget e2e/node_modules/.installed lint typecheck
	$(BIN)/pytest

# The benchmarks' HTTP load generator: Debian's wrk (the benches fall back to a slower Python loop without it).
bench-deps:
	@if ! command -v wrk >/dev/null 2>&1; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  echo "installing Debian package: wrk"; \
	  $$sudo apt-get update -q >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends wrk >/dev/null; \
	fi

bench: install-test system-deps bench-deps widget
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) var build dist node_modules widget_assets/dist
