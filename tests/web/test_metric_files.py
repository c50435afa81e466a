"""The service's metric files: its own folder, only its own files deleted, dead processes' counts kept in archives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import clean_env, run_cli
from prometheus_client.multiprocess import MultiProcessCollector

from search_app.config import Settings
from search_app.web.metric_files import CompactingCollector, compact
from search_app.web.server import prepare_metrics
from search_app.web.telemetry import MULTIPROC_ENV

# One process's counts, as prometheus_client's multiprocess mode writes them (the values add up exactly in binary).
WRITER = """
import os
import sys
from prometheus_client import Counter, Histogram, Summary

requests = Counter("t_requests", "Requests", ["route"], registry=None)
seconds = Histogram("t_seconds", "Time", ["route"], buckets=(0.25, 1.0), registry=None)
sizes = Summary("t_sizes", "Sizes", registry=None)
for value in map(float, sys.argv[1:]):
    requests.labels("/").inc()
    requests.labels("/api").inc(2)
    seconds.labels("/").observe(value)
    sizes.observe(value)
print(os.getpid())
"""


def _write(folder: Path, *values: float) -> int:
    """Run a process that counts values into folder; return its (now dead) pid."""
    process = subprocess.run([sys.executable, "-c", WRITER, *map(str, values)], env={**clean_env(), MULTIPROC_ENV: str(folder)},
                             capture_output=True, text=True, timeout=30)
    assert process.returncode == 0, process.stderr
    return int(process.stdout)


def _samples(collector: object) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for family in collector.collect()  # type: ignore[attr-defined]
            for s in family.samples}


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture()
def no_multiproc_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """prepare_metrics sets prometheus_client's folder for the process: restored after the test."""
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)


@pytest.mark.usefixtures("no_multiproc_env")
def test_serve_deletes_only_the_metric_files_it_wrote(tmp_path: Path) -> None:
    (tmp_path / "users.db").write_bytes(b"the operator's")
    own = tmp_path / "search-app"
    own.mkdir()
    for name in ("counter_123.db", "histogram_123.db", "summary_7.db", "gauge_livesum_9.db", "gauge_all_9.db",
                 "counter_archive.db", "histogram_archive.db.new", "notes.db", "counter_x.db"):
        (own / name).write_bytes(b"")
    folder = prepare_metrics(Settings(metrics_bind="127.0.0.1:9108", metrics_dir=tmp_path))
    assert (_names(tmp_path), _names(own)) == (["search-app", "users.db"], ["counter_x.db", "notes.db"])
    assert (tmp_path / "users.db").read_bytes() == b"the operator's"
    assert folder == own


def test_build_counts_into_the_folder_the_service_reads(tmp_path: Path, seeds_dir: Path) -> None:
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "users.db").write_bytes(b"the operator's")
    built = run_cli(seeds_dir, tmp_path / "index", "build", env={"SEARCH_APP_METRICS_DIR": str(tmp_path / "metrics")})
    assert built.returncode == 0, built.stderr
    files = _names(tmp_path / "metrics" / "search-app")
    assert len(files) == 1 and files[0].startswith("counter_")
    assert _samples(MultiProcessCollector(None, str(tmp_path / "metrics" / "search-app"))) == {
        ("search_app_index_writes_total", (("action", "build"), ("outcome", "ok"))): 1.0}
    assert _names(tmp_path / "metrics") == ["search-app", "users.db"]


def test_compaction_keeps_every_count_in_fewer_files(tmp_path: Path) -> None:
    first, second = _write(tmp_path, 0.5, 2.0), _write(tmp_path, 0.125)
    counted = _samples(MultiProcessCollector(None, str(tmp_path)))
    assert counted[("t_requests_total", (("route", "/api"),))] == 6.0
    compact(tmp_path, [first])
    assert _samples(MultiProcessCollector(None, str(tmp_path))) == counted
    assert _names(tmp_path) == sorted(f"{kind}_{which}.db" for kind in ("counter", "histogram", "summary")
                                      for which in ("archive", second))
    compact(tmp_path, [second, 999_999_999])  # a process that wrote nothing has nothing to merge
    assert _samples(MultiProcessCollector(None, str(tmp_path))) == counted
    assert _names(tmp_path) == ["counter_archive.db", "histogram_archive.db", "summary_archive.db"]
    _write(tmp_path, 4.0)  # counting goes on beside the archive
    after = _samples(MultiProcessCollector(None, str(tmp_path)))
    assert {key: after[key] - counted.get(key, 0.0) for key in after if after[key] != counted.get(key)} == {
        ("t_requests_total", (("route", "/"),)): 1.0, ("t_requests_total", (("route", "/api"),)): 2.0,
        ("t_seconds_bucket", (("le", "+Inf"), ("route", "/"))): 1.0, ("t_seconds_count", (("route", "/"),)): 1.0,
        ("t_seconds_sum", (("route", "/"),)): 4.0, ("t_sizes_count", ()): 1.0, ("t_sizes_sum", ()): 4.0}


def test_a_scrape_merges_the_files_of_ended_processes_and_counts_them_once(tmp_path: Path) -> None:
    _write(tmp_path, 0.5)
    _write(tmp_path, 0.25, 0.25)
    expected = _samples(MultiProcessCollector(None, str(tmp_path)))
    (tmp_path / "users.db").write_bytes(b"")  # not a metric file: read by nobody, kept
    collector = CompactingCollector(tmp_path)
    assert _samples(collector) == expected
    assert _names(tmp_path) == ["counter_archive.db", "histogram_archive.db", "summary_archive.db", "users.db"]
    assert _samples(collector) == expected
