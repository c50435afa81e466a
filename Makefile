# Two commands matter: `make run` serves the archive, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
N      ?= 100000
BACKEND ?= whoosh

.PHONY: run test bench install clean

# Reinstall only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,typesense]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/search-app build --if-stale
	$(BIN)/search-app serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py --size $(N) --backend $(BACKEND)

clean:
	rm -rf $(VENV) build dist *.egg-info
