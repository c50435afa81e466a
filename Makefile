# Two commands matter: `make run` serves the archive, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUN_STAMP  := $(VENV)/.run-stamp
TEST_STAMP := $(VENV)/.test-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
N      ?= 100000
BACKEND ?= whoosh
# The judged collections `make relevance` runs (every one it finds); COLLECTION=path/to/one runs one alone.
CORPORA ?= ../shared/corpora
PAGES  ?= ../shared/corpora/news-pages
# The folder of article files to serve: `make run SEEDS=~/news` (or SEARCH_APP_SEEDS=~/news).
SEEDS  ?= $(or $(SEARCH_APP_SEEDS),seeds)

.PHONY: run test test-fast lint bench relevance extraction install clean

# Reinstall only when pyproject.toml changed since the last install. `make run` installs only
# what the service needs; the test tools (Playwright, schemathesis, Hypothesis, the Typesense
# server) come with `make test`.
$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,typesense]'
	touch $@

install: $(TEST_STAMP)

run: $(RUN_STAMP)
	$(BIN)/search-app --seeds $(SEEDS) build --if-stale
	$(BIN)/search-app --seeds $(SEEDS) serve --host $(HOST) --port $(PORT)

test: $(TEST_STAMP)
	$(BIN)/python -m pytest

# The edit loop: no browser, no Typesense cluster, no kill -9 and load tests (`make test` runs all).
test-fast: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not cluster" --ignore=tests/browser

# Lint (ruff), types (mypy) and the layer contracts (import-linter), configured in pyproject.toml.
lint: $(VENV)/.dev-stamp
	$(BIN)/ruff check search_app tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

$(VENV)/.dev-stamp: $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

bench: $(TEST_STAMP)
	$(BIN)/python bench/run.py --size $(N) --backend $(BACKEND)

# Ranking quality on every judged test collection (SMART, LISA, TIME layouts), beside SQLite FTS5 and bm25s: one table.
relevance: $(VENV)/.bench-stamp
	$(BIN)/python bench/relevance.py $(or $(COLLECTION),$(CORPORA)) $(ARGS)

# Extraction of saved web pages against hand-checked snippets, beside trafilatura's defaults.
extraction: $(TEST_STAMP)
	$(BIN)/python bench/extraction.py $(PAGES) $(ARGS)

$(VENV)/.bench-stamp: $(TEST_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,typesense,bench]'
	touch $@

clean:
	rm -rf $(VENV) build dist *.egg-info
