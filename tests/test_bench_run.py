"""The benchmark's report files (bench/run.py) and cost curve (bench/plot.py), on made-up figures."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import plot, run


def _report(size: int, p50: float) -> dict[str, Any]:
    machine = {"cpus": 2, "cpu_model": "test", "ram_mb": 1024, "os": "Linux", "python": "3.11", "sqlite": "3.40"}
    whoosh = {"articles": size, "latency": {"p50_ms": p50, "p95_ms": 2 * p50}, "http": {"server_rss_mb": 300.0},
              "index_bytes": size * 3000}
    fts5 = {"articles": size, "latency": {"p50_ms": p50 / 2, "p95_ms": p50}, "index_bytes": size * 2000}
    return {"started": "2026-12-02T10:00:00+00:00", "size": size, "seed": 2026, "rounds": 1, "queries": 2000,
            "warmup": 50, "backend": "whoosh", "machine": machine, "corpus": {"usable_stories": 19043},
            "results": {"whoosh": whoosh, "fts5": fts5}, "table": run.table_rows(whoosh, fts5)}


def test_each_size_keeps_its_own_results(tmp_path: Path) -> None:
    for size, p50 in ((5000, 2.0), (100000, 20.0)):
        run.write_report(_report(size, p50), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "latest-whoosh-100000.json", "latest-whoosh-100000.md", "latest-whoosh-5000.json", "latest-whoosh-5000.md"]
    assert json.loads((tmp_path / "latest-whoosh-5000.json").read_text())["size"] == 5000
    table = (tmp_path / "latest-whoosh-100000.md").read_text()
    assert "| Search p50, core (ms) | 20.0 | 10.0 | 2.00x |" in table
    assert "a log of 2,000 distinct queries, each sent once a round" in table


def test_agreement_counts_equal_totals_per_kind() -> None:
    log = [{"kind": "words"}, {"kind": "words"}, {"kind": "phrase"}]
    mine = [{"total": 3}, {"total": 5}, {"total": 0}]
    theirs = [{"total": 3}, {"total": 4}, {"total": 0}]
    assert run.agreement(log, mine, theirs) == {"phrase": {"same_total": 1, "queries": 1},
                                                "words": {"same_total": 1, "queries": 2}}


def test_cost_curve_draws_every_size(tmp_path: Path) -> None:
    for size, p50 in ((5000, 2.0), (20000, 5.0), (100000, 20.0)):
        run.write_report(_report(size, p50), tmp_path)
    reports = plot.load("whoosh", tmp_path)
    assert [r["size"] for r in reports] == [5000, 20000, 100000]
    lines = plot.series(reports, "whoosh")
    assert dict(lines["Search latency (ms)"])["Whoosh core p50"] == [(5000.0, 2.0), (20000.0, 5.0), (100000.0, 20.0)]
    drawn = plot.svg(reports, "whoosh")
    assert drawn.startswith("<svg") and drawn.count("<polyline") == 7 and ">100k</text>" in drawn


def test_cost_curve_of_one_size_alone_spans_a_decade(tmp_path: Path) -> None:
    run.write_report(_report(100000, 10.0), tmp_path)  # a fresh results folder after one `make bench`
    drawn = plot.svg(plot.load("whoosh", tmp_path), "whoosh")
    assert drawn.startswith("<svg") and ">100k</text>" in drawn and ">1M</text>" in drawn
