"""The service as an operator runs it (`search-app serve`): slow and idle clients, /metrics, the JSON
access log, `kill -HUP` under load, and `search-app queries` on the logs of a real run."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import children, free_port, run_cli, running_server
from prometheus_client.parser import text_string_to_metric_families

from bench.slow_clients import QUERIES, SlowClients, percentile, searchers
from search_app.cli import main
from search_app.web.server import HEAD_TIMEOUT

pytestmark = pytest.mark.slow
def test_slow_and_idle_clients_cannot_starve_searches(seeds_dir: Path, built_index: Path) -> None:
    with running_server(seeds_dir, built_index, "--workers", "2") as server:
        searchers(server.base, 4, 10)  # warm up: the first searches read the posting files
        calm, calm_failures = searchers(server.base, 4, 60)
        slow = SlowClients(server.port, trickling=64, idle=64)
        try:
            time.sleep(0.5)
            busy, busy_failures = searchers(server.base, 4, 60)
            slow.wait_closed(HEAD_TIMEOUT + 5)
        finally:
            slow.stop()
    assert (calm_failures, busy_failures) == ([], [])
    assert percentile(busy, 0.95) <= 2 * percentile(calm, 0.95), (percentile(calm, 0.95), percentile(busy, 0.95))
    assert len(slow.closed) == len(slow.opened) == 128
    assert slow.longest_open() <= HEAD_TIMEOUT + 2, f"a slow connection stayed open {slow.longest_open():.1f} s"


def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics: (name, sorted labels) -> value."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode("utf-8")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def _delta(before: dict[Any, float], after: dict[Any, float], name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def _get(base: str, path: str) -> int:
    try:
        with urllib.request.urlopen(base + path, timeout=10) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_metrics_count_a_known_sequence_exactly(tmp_path: Path, seeds_copy: Path) -> None:
    index = tmp_path / "index"
    env = {"SEARCH_APP_METRICS_DIR": str(tmp_path / "metrics")}
    assert run_cli(seeds_copy, index, "build").returncode == 0
    port = free_port()
    with running_server(seeds_copy, index, "--workers", "2", "--metrics", f"127.0.0.1:{port}", env=env) as server:
        before = _scrape(port)
        statuses = [_get(server.base, path) for path in
                    ["/api/search?q=airport"] * 3 + ["/?q=nonexistentword"] * 2 + ["/article/no-such-article",
                                                                                   "/api/search?sort=bogus"]]
        assert statuses == [200, 200, 200, 200, 200, 404, 400]
        after = _scrape(port)
        _status, health = server.get_json("/healthz")
        assert run_cli(seeds_copy, index, "build", env=env).returncode == 0  # counted by the running service
        assert run_cli(seeds_copy, index, "update", env=env).returncode == 0
        assert run_cli(tmp_path / "elsewhere", index, "update", env=env).returncode != 0  # no such folder: refused early
        (tmp_path / "empty").mkdir()
        assert run_cli(tmp_path / "empty", index, "update", env=env).returncode != 0  # another folder: refused
        written = _scrape(port)
    counted = {
        ("/api/search", "200"): _delta(before, after, "search_app_requests_total", route="/api/search", status="200"),
        ("/", "200"): _delta(before, after, "search_app_requests_total", route="/", status="200"),
        ("article", "404"): _delta(before, after, "search_app_requests_total", route="/article/<path:article_id>",
                                   status="404"),
        ("/api/search", "400"): _delta(before, after, "search_app_requests_total", route="/api/search", status="400"),
    }
    assert counted == {("/api/search", "200"): 3, ("/", "200"): 2, ("article", "404"): 1, ("/api/search", "400"): 1}
    assert _delta(before, after, "search_app_request_duration_seconds_count", route="/api/search") == 4
    assert _delta(before, after, "search_app_searches_zero_results_total") == 2
    assert after[("search_app_index_up", ())] == 1
    assert after[("search_app_index_articles", ())] == 5
    assert after[("search_app_index_generation_info", (("backend", "whoosh"), ("generation", health["generation"])))] == 1
    assert after[("search_app_index_built_timestamp_seconds", ())] > time.time() - 3600
    writes = {(labels[0][1], labels[1][1]): value for (name, labels), value in written.items()
              if name == "search_app_index_writes_total"}
    assert writes == {("build", "ok"): 1, ("update", "ok"): 1, ("update", "refused"): 1}


def test_access_log_has_one_whole_line_per_request_under_load(tmp_path: Path, seeds_dir: Path, built_index: Path) -> None:
    log = tmp_path / "access.log"
    with running_server(seeds_dir, built_index, "--workers", "2", "--access-log", str(log)) as server:
        before = log.read_text(encoding="utf-8").count("\n") if log.exists() else 0
        latencies, failures = searchers(server.base, 8, 25)
        lines = log.read_text(encoding="utf-8").splitlines()[before:]
    assert failures == [] and len(latencies) == 200
    records = [json.loads(line) for line in lines]
    assert len(records) == 200
    assert {(r["route"], r["status"]) for r in records} == {("/api/search", 200)}
    assert all(set(r) == {"time", "route", "status", "ms", "q", "results"} for r in records)
    assert sorted({r["q"] for r in records}) == sorted(QUERIES)
    assert {r["results"] for r in records if r["q"] == "airport"} == {2}


def test_hup_replaces_the_workers_under_load_without_a_failed_request(seeds_dir: Path, built_index: Path) -> None:
    with running_server(seeds_dir, built_index, "--workers", "2") as server:
        old = set(children(server.process.pid))
        assert len(old) == 2
        results: list[tuple[list[float], list[str]]] = []
        load = threading.Thread(target=lambda: results.append(searchers(server.base, 4, 150)))
        load.start()
        time.sleep(0.5)
        os.kill(server.process.pid, signal.SIGHUP)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (set(children(server.process.pid)) & old or
                                               len(children(server.process.pid)) != 2):
            time.sleep(0.1)
        new = set(children(server.process.pid))
        load.join(timeout=120)
        status, _ = server.get("/healthz")
    latencies, failures = results[0]
    assert failures == [] and len(latencies) == 600
    assert len(new) == 2 and not new & old
    assert status == 200


def _follow_suggestion(base: str, typed: str) -> None:
    with urllib.request.urlopen(f"{base}/api/search?q={typed}", timeout=10) as response:
        suggestion = json.loads(response.read())["suggestion"]
    assert _get(base, suggestion["url"]) == 200


def _gzip_lines(path: Path, lines: list[str]) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("".join(line + "\n" for line in lines))


def test_queries_reads_the_logs_of_a_real_run_rotated_and_damaged(tmp_path: Path, seeds_dir: Path,
                                                                   built_index: Path) -> None:
    log = tmp_path / "logs" / "access.log"
    log.parent.mkdir()
    with running_server(seeds_dir, built_index, "--access-log", str(log)) as server:
        for path in ["/?q=airport", "/api/search?q=airport", "/?q=Airport", "/?q=nonexistentword", "/?q=nonexistentword",
                     "/api/articles/no-such-article", "/healthz"]:
            _get(server.base, path)
        _follow_suggestion(server.base, "airprot")
        shutil.move(log, log.with_name("access.log.1"))  # rotated while serving: the next record opens a new file
        assert _get(server.base, "/?q=kyrgyzstan") == 200
    _gzip_lines(log.with_name("access.log.2.gz"), [
        json.dumps({"time": "2026-01-01T00:00:00.000Z", "route": "/", "status": 200, "ms": 3.1, "q": "coal", "results": 0}),
        "{damaged",
    ])
    with log.open("a", encoding="utf-8") as handle:
        handle.write("not json at all\n" + json.dumps({"time": "yesterday", "q": "x"}) + "\n")
    result = CliRunner().invoke(main, ["queries", "--log", str(log), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert {k: summary[k] for k in ("searches", "malformed_lines")} == {"searches": 9, "malformed_lines": 3}
    assert summary["top_queries"][:2] == [{"q": "airport", "count": 4}, {"q": "nonexistentword", "count": 2}]  # any case
    assert sorted((r["q"], r["count"]) for r in summary["top_queries"]) == [
        ("airport", 4), ("airprot", 1), ("coal", 1), ("kyrgyzstan", 1), ("nonexistentword", 2)]
    assert summary["top_zero_results"] == [{"q": "nonexistentword", "count": 2}, {"q": "airprot", "count": 1},
                                           {"q": "coal", "count": 1}]
    assert summary["followed_suggestions"] == [{"q": "airprot", "suggestion": "airport", "count": 1}]
    recent = json.loads(CliRunner().invoke(main, ["queries", "--log", str(log), "--json", "--days", "7"]).output)
    assert recent["searches"] == 8  # the January record is older than a week
    text = CliRunner().invoke(main, ["queries", "--log", str(log)])
    assert text.exit_code == 0 and "airprot -> airport" in text.output and "3 malformed line(s) skipped" in text.output


def test_an_unwritable_access_log_never_fails_a_request(tmp_path: Path, built_index: Path) -> None:
    from search_app.config import Settings
    from search_app.web.app import create_app

    app = create_app({"SETTINGS": Settings(index=built_index, access_log=tmp_path / "gone" / "access.log")})
    try:
        response = app.test_client().get("/api/search?q=airport")
        assert (response.status_code, response.get_json()["total"]) == (200, 2)
    finally:
        app.extensions["search_app"].close()  # its searchers hold the shared index's files


def _metric_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _requests_total(port: int) -> float:
    return sum(value for (name, _labels), value in _scrape(port).items() if name == "search_app_requests_total")


def _hup_and_wait(server: Any) -> set[int]:
    """Send SIGHUP; return the new workers once every old one has gone."""
    old = set(children(server.process.pid))
    os.kill(server.process.pid, signal.SIGHUP)
    deadline = time.monotonic() + 20
    while set(children(server.process.pid)) & old or len(children(server.process.pid)) != 2:
        assert time.monotonic() < deadline, "the workers were not replaced within 20 s"
        time.sleep(0.1)
    return set(children(server.process.pid))


def test_reloads_keep_the_metric_files_few_and_the_counts_whole(tmp_path: Path, seeds_dir: Path,
                                                                 built_index: Path) -> None:
    port = free_port()
    env = {"SEARCH_APP_METRICS_DIR": str(tmp_path / "metrics")}
    folder = tmp_path / "metrics" / "search-app"
    with running_server(seeds_dir, built_index, "--workers", "2", "--metrics", f"127.0.0.1:{port}", env=env) as server:
        counted = [_requests_total(port)]
        listings = []
        for _reload in range(3):
            for _ in range(6):
                assert _get(server.base, "/api/search?q=airport") == 200
            counted.append(_requests_total(port))
            workers = _hup_and_wait(server)
            for _ in range(6):
                assert _get(server.base, "/api/search?q=coal") == 200
            allowed = {"counter_archive.db", "histogram_archive.db"} | {f"{kind}_{pid}.db" for pid in workers
                                                                         for kind in ("counter", "histogram")}
            # The master merges an old worker's files once it has reaped it, which may be a moment after the
            # worker has left the process table.
            deadline = time.monotonic() + 10
            while not set(_metric_files(folder)) <= allowed and time.monotonic() < deadline:
                time.sleep(0.1)
            counted.append(_requests_total(port))
            listings.append(_metric_files(folder))
            assert set(listings[-1]) <= allowed, listings
    assert [n - counted[0] for n in counted] == [0, 6, 12, 18, 24, 30, 36]
    assert all(len(names) <= 6 for names in listings), listings
