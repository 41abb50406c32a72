# The two commands a newcomer needs: `make demo` and `make test`. Everything else is a step they run.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
HOST   ?= 127.0.0.1

.PHONY: install demo serve test lint typecheck unit e2e bench system-deps clean

$(BIN)/easel $(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(VENV)/.installed

install: $(VENV)/.installed

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

lint: install
	$(BIN)/ruff check server tests $(wildcard e2e)

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest tests

e2e: install system-deps
	$(BIN)/pytest e2e

test: install system-deps lint typecheck
	$(BIN)/pytest

bench: install system-deps
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) var build dist
