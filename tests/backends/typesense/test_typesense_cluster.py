"""the three-node cluster under failure and under a rebuild.

Runs after test_typesense_backend.py (same session cluster); every test leaves the cluster as it
found it: three healthy nodes, the five seeds behind the alias.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

from helpers import drop_alias

from search_app.models import SearchRequest

AIRPORT = ["003_b8c9e442042d1bdf", "004_860ced496ef7d71d"]
SEARCH_BOUND_S = 10.0  # one search may take this long while a node is down (client retries included)


def airport_ids(backend: Any) -> list[str]:
    return sorted(r["id"] for r in backend.search(SearchRequest(q="airport")).get("results", []))


def test_leader_lost_searches_keep_answering_and_writes_resume(ts_cluster: Any, ts_backend: Any, seed_articles: list[Any]) -> None:
    from search_app.backends.typesense.backend import TypesenseBackend

    backend = TypesenseBackend(ts_cluster.client_nodes(), ts_cluster.api_key, num_retries=6,
                               retry_interval_seconds=0.5, connection_timeout_seconds=1.0)
    with backend:
        assert backend.stats()["articles"] == 5
        old_leader = ts_cluster.leader()
        assert old_leader is not None
        ts_cluster.kill_node(old_leader)  # SIGKILL: a lost machine, no leadership hand-over
        lost_at = time.monotonic()

        # Searches keep answering from the two survivors, each within a bounded time.
        slowest = 0.0
        for _ in range(20):
            started = time.monotonic()
            assert airport_ids(backend) == AIRPORT
            slowest = max(slowest, time.monotonic() - started)
        assert slowest < SEARCH_BOUND_S

        # A new leader is elected (the engine says so on /debug), then writes resume.
        new_leader = ts_cluster.wait_leader(timeout=60, exclude=old_leader)
        elected_s = time.monotonic() - lost_at
        extra = dataclasses.replace(seed_articles[0], id="failover_extra", title="Failover zeppelin article")
        deadline = time.monotonic() + 30
        while True:
            try:
                backend.index_batch([extra], start_seq=99)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        backend.wait_replicated(backend.collection_name(), 6, timeout=30)  # the two running nodes
        assert [r["id"] for r in backend.search(SearchRequest(q="zeppelin"))["results"]] == ["failover_extra"]
        assert backend.stats()["articles"] == 6  # nothing indexed before was lost

        # The lost node comes back and catches up from the log.
        ts_cluster.start_node(old_leader)
        ts_cluster.wait_healthy(timeout=90)
        backend.wait_replicated(backend.collection_name(), 6, timeout=60)
        assert ts_cluster.state(old_leader) in (1, 4) and new_leader != old_leader
        assert backend.delete(["failover_extra"]) == 1
        backend.wait_replicated(backend.collection_name(), 5, timeout=30)
        print(f"new leader elected {elected_s:.1f} s after the kill; slowest search {slowest:.2f} s")


def test_rebuild_under_load_never_fails_or_comes_back_empty(ts_backend: Any, seed_articles: list[Any]) -> None:
    stop = threading.Event()
    failures: list[str] = []
    counts = {"searches": 0}
    generations: set[str] = set()
    lock = threading.Lock()

    def searcher() -> None:
        while not stop.is_set():
            try:
                everything = ts_backend.search(SearchRequest())
                airport = ts_backend.search(SearchRequest(q="airport"))
                got = (everything["total"], sorted(r["id"] for r in airport["results"]))
                if got != (5, AIRPORT):
                    failures.append(f"wrong answer {got} from {airport['generation']}")
                with lock:
                    counts["searches"] += 2
                    generations.add(airport["generation"])
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=searcher, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        before = ts_backend.collection_name()
        names = [ts_backend.build_records(seed_articles)["collection"] for _ in range(3)]
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert failures == []
    assert counts["searches"] > 20
    assert ts_backend.collection_name() == names[-1] != before
    assert len(generations) >= 2  # the searches really ran across alias switches


def test_an_update_started_as_the_leader_dies_finishes_soon_after_the_election(ts_cluster: Any, ts_backend: Any,
                                                                                 seeds_dir: Any, tmp_path: Any) -> None:
    import shutil

    from search_app.backends.typesense.backend import TypesenseBackend

    seeds = tmp_path / "seeds"
    shutil.copytree(seeds_dir, seeds)
    (seeds / "zz_failover.txt").write_text("Failover zeppelin report\nSource: Shanxi Daily\nTime: 2021-06-01\n"
                                           "A zeppelin flew over Taiyuan during the election.\n", encoding="utf-8")
    # Its own alias: the cleanup drops what it built, instead of waiting for the node that rejoins to
    # catch up on the shared collection (under CI's load that wait once took longer than a minute).
    backend = TypesenseBackend(ts_cluster.client_nodes(), ts_cluster.api_key, alias="failover", num_retries=3,
                               retry_interval_seconds=0.3, connection_timeout_seconds=1.0)
    backend.build(seeds_dir)
    outcome: dict[str, Any] = {}

    def run_update() -> None:
        try:
            outcome["report"] = backend.update(seeds)
        except Exception as exc:  # reported by the assertion below
            outcome["error"] = exc
        outcome["done"] = time.monotonic()

    old_leader = None
    try:
        old_leader = ts_cluster.leader()
        assert old_leader is not None
        ts_cluster.kill_node(old_leader)
        writer = threading.Thread(target=run_update)
        writer.start()  # the moment the leader is lost
        ts_cluster.wait_leader(timeout=60, exclude=old_leader)
        elected = time.monotonic()
        writer.join(timeout=180)
        assert "error" not in outcome, outcome.get("error")
        report = outcome["report"]
        assert (report.added, report.unchanged, report.total) == (1, 5, 6)
        late = outcome["done"] - elected
        assert late <= 10, f"the update finished {late:.1f} s after the new leader's election"
        print(f"update done {late:.1f} s after the election")
    finally:
        if old_leader is not None and old_leader not in ts_cluster.running():
            ts_cluster.start_node(old_leader)  # leave the cluster as it was found, whatever failed
            ts_cluster.wait_healthy(timeout=90)
        drop_alias(backend)
