"""Shared fixtures: the seeds folder, copies of it, a CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The project's committed seeds folder (read-only use)."""
    return SEEDS


@pytest.fixture()
def seeds_copy(tmp_path: Path) -> Path:
    """A private, writable copy of the seeds folder."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture()
def runner() -> CliRunner:
    """A click runner for the search-app command line."""
    return CliRunner()


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds built once into a temporary index folder (treat as read-only)."""
    from search_app.indexer import build

    index_dir = tmp_path_factory.mktemp("index")
    build(SEEDS, index_dir)
    return index_dir


@pytest.fixture()
def handle(built_index: Path):
    """An IndexHandle on the shared seed index, closed after the test."""
    from search_app.reader import IndexHandle

    h = IndexHandle(built_index)
    yield h
    h.close()


@pytest.fixture()
def fresh_index(tmp_path: Path, seeds_copy: Path) -> Path:
    """A private index built from a private copy of the seeds (safe to modify both)."""
    from search_app.indexer import build

    index_dir = tmp_path / "index"
    build(seeds_copy, index_dir)
    return index_dir


@pytest.fixture()
def app(built_index: Path):
    """The Flask app over the shared seed index."""
    from search_app.config import Settings
    from search_app.web.app import create_app

    application = create_app({"SETTINGS": Settings(seeds=SEEDS, index=built_index), "TESTING": True})
    yield application
    application.extensions["search_app"].close()


@pytest.fixture()
def client(app):
    """A Flask test client."""
    return app.test_client()
