# The two commands a newcomer needs: `make demo` and `make test`. Everything else is a step they run.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
HOST   ?= 127.0.0.1

.PHONY: install install-test demo serve test lint typecheck unit e2e bench system-deps clean

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

demo: install
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

unit: install-test
	$(BIN)/pytest tests

e2e: install-test system-deps
	$(BIN)/pytest e2e

test: install-test system-deps lint typecheck
	$(BIN)/pytest

bench: install-test system-deps
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) var build dist
