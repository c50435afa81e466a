"""Run the benchmark: make (or reuse) the corpus and the query log, measure the backend and SQLite FTS5.

    .venv/bin/python bench/run.py --size 100000 --backend whoosh --out bench/results

Writes OUT/latest-BACKEND-SIZE.json (every figure, the machine, the log's make-up, how often the
engines agree) and OUT/latest-BACKEND-SIZE.md (a Markdown table: metric, backend, FTS5, ratio
backend/FTS5), so that no run overwrites another size's results; each query's answers go to
bench/work/. Each engine runs in its own process so that its peak memory is its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import make_corpus, plot  # noqa: E402
from bench.queries import LOG_SIZE, as_dicts, ensure_log, summary  # noqa: E402
from bench.typesense_bench import measure_typesense  # noqa: E402
from bench.whoosh_bench import measure_whoosh  # noqa: E402

WORK = REPO / "bench" / "work"
RESULTS = REPO / "bench" / "results"
MB = 1024 * 1024


# ---------------------------------------------------------------------------------------------
# Hooks for the engines under test. Filled in when the search core is integrated.
#
# Each returns a plain dict. Use these keys (any may be missing; the table shows "—"):
#   articles, build_s, articles_per_s            full build with one process
#   build_parallel_s, articles_per_s_parallel    full build using every core
#   build_peak_rss_mb, index_bytes               peak memory of the build process, size on disk
#   update_articles, update_s                    `update` after changing 10 articles (work on a
#                                                copy of the corpus: never edit bench/data files)
#   latency: {p50_ms, p95_ms, p99_ms, ...}       core search function, facets + snippets on
#   http: {latency: {p50_ms, p95_ms, p99_ms}, rps_8, server_rss_mb}
#   suggest: {p50_ms, ...}                       "did you mean" when it runs
#   queries: [{total, top_ids, cities_counts, median_ms}, ...] in the log's order
# `percentiles()` in bench/fts5.py turns a list of ms into the latency dict.
# ---------------------------------------------------------------------------------------------

Log = Sequence[dict[str, Any]]
BACKENDS: dict[str, Callable[[Path, Path, Log, Log, int], dict[str, Any]]] = {
    "whoosh": measure_whoosh,
    "typesense": measure_typesense,
}

# (label, key path in the backend's dict, key path in the FTS5 dict, scale divisor)
METRICS: tuple[tuple[str, str, str | None, float], ...] = (
    ("Articles indexed", "articles", "articles", 1),
    ("Full build, 1 process (s)", "build_s", "build_s", 1),
    ("Build rate, 1 process (articles/s)", "articles_per_s", "articles_per_s", 1),
    ("Full build, all cores (s)", "build_parallel_s", None, 1),
    ("Build rate, all cores (articles/s)", "articles_per_s_parallel", None, 1),
    ("Build peak memory (MB)", "build_peak_rss_mb", "peak_rss_mb", 1),
    ("Index size (MB)", "index_bytes", "index_bytes", MB),
    ("Update of 10 changed articles (s)", "update_s", "update_s", 1),
    ("Search p50, core (ms)", "latency.p50_ms", "latency.p50_ms", 1),
    ("Search p95, core (ms)", "latency.p95_ms", "latency.p95_ms", 1),
    ("Search p99, core (ms)", "latency.p99_ms", "latency.p99_ms", 1),
    ("Search p50, HTTP 1 client (ms)", "http.latency.p50_ms", None, 1),
    ("Search p95, HTTP 1 client (ms)", "http.latency.p95_ms", None, 1),
    ("Search p99, HTTP 1 client (ms)", "http.latency.p99_ms", None, 1),
    ("Requests/s, HTTP 8 clients", "http.rps_8", None, 1),
    ("Server memory (MB)", "http.server_rss_mb", None, 1),
    ('"Did you mean" p50 when it runs (ms)', "suggest.p50_ms", None, 1),
)


def machine() -> dict[str, Any]:
    """CPU count and model, RAM, OS, Python and SQLite versions of this machine."""
    model = platform.processor() or platform.machine()
    ram_mb: int | None = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_mb = int(line.split()[1]) // 1024
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "cpu_model": model, "ram_mb": ram_mb, "os": platform.platform(), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version}


def run_fts5(seeds: Path, work: Path, rounds: int, seed: int) -> dict[str, Any]:
    """The FTS5 reference in a child process (so its peak memory is its own), on the same query log."""
    out = work / "fts5.json"
    out.unlink(missing_ok=True)
    command = [sys.executable, str(REPO / "bench" / "fts5.py"), "--seeds", str(seeds), "--work", str(work),
               "--rounds", str(rounds), "--seed", str(seed), "--json-out", str(out)]
    subprocess.run(command, check=True)
    return json.loads(out.read_text("utf-8"))


def run_backend(name: str, seeds: Path, work: Path, log: Log, warmup: Log, rounds: int) -> dict[str, Any]:
    """The engine under test; a hook that is not integrated yet gives a marked empty result."""
    try:
        return BACKENDS[name](seeds, work, log, warmup, rounds)
    except NotImplementedError as exc:
        print(f"bench: {name} is not measured: {exc}", file=sys.stderr)
        return {"status": f"not measured: {exc}"}


def agreement(log: Log, mine: Sequence[dict[str, Any]], fts5: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """How often the two engines found the same number of articles, per kind of query (a sanity check:
    stemmers, relaxed matching and "did you mean" make some differ by design)."""
    kinds: dict[str, list[int]] = {}
    for q, a, b in zip(log, mine, fts5):
        counts = kinds.setdefault(q["kind"], [0, 0])
        counts[0] += a["total"] == b["total"]
        counts[1] += 1
    return {kind: {"same_total": same, "queries": n} for kind, (same, n) in sorted(kinds.items())}


def lookup(data: dict[str, Any], path: str | None) -> float | None:
    """The number at a dotted key path, or None."""
    if path is None:
        return None
    value: Any = data
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def fmt(value: float | None) -> str:
    """A figure for the table: — when missing, fewer decimals as numbers grow."""
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if abs(value) >= 0.1 else f"{value:.3f}"


def table_rows(backend: dict[str, Any], fts5: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per metric: label, backend value, FTS5 value, ratio backend/FTS5."""
    rows = []
    for label, key, ref_key, scale in METRICS:
        mine, ref = lookup(backend, key), lookup(fts5, ref_key)
        mine = mine / scale if mine is not None else None
        ref = ref / scale if ref is not None else None
        ratio = mine / ref if mine is not None and ref else None
        rows.append({"metric": label, "backend": mine, "fts5": ref, "ratio": ratio})
    return rows


def markdown(report: dict[str, Any]) -> str:
    """The results table with the machine and the corpus it ran on."""
    m, backend = report["machine"], report["backend"]
    lines = [
        f"## Benchmark: {report['size']:,} articles ({report['started'][:10]})",
        "",
        f"Machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['ram_mb']:,} MB RAM, {m['os']}, "
        f"Python {m['python']}, SQLite {m['sqlite']}.",
        f"Corpus: {report['corpus']['usable_stories']:,} Reuters stories replicated to {report['size']:,} articles "
        f"(seed {report['seed']}); a log of {report['queries']:,} distinct queries, each sent once a round, "
        f"{report['rounds']} timed round(s) after {report['warmup']} warm-up queries not in the log.",
        "",
        f"| Metric | {backend.capitalize()} | SQLite FTS5 | Ratio |",
        "|---|---:|---:|---:|",
    ]
    for row in report["table"]:
        ratio = f"{row['ratio']:.2f}x" if row["ratio"] is not None else "—"
        lines.append(f"| {row['metric']} | {fmt(row['backend'])} | {fmt(row['fts5'])} | {ratio} |")
    status = report["results"][backend].get("status")
    notes = ["FTS5 build time includes parsing the files with `search_app.ingest.records` "
             f"({fmt(lookup(report['results']['fts5'], 'parse_s'))} s of it); its peak memory is that of the whole "
             "reference process (build and queries). Ratio = backend / FTS5.",
             "Data: Reuters-21578, Distribution 1.0 (research use only), see bench/README.md."]
    if status:
        notes.insert(0, f"**{backend}: {status}.**")
    return "\n".join(lines) + "\n\n" + "\n\n".join(notes) + "\n"


def write_report(report: dict[str, Any], out: Path) -> Path:
    """Write latest-BACKEND-SIZE.json and .md into out (each size and backend keeps its own); returns the .md."""
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"latest-{report['backend']}-{report['size']}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    stem.with_suffix(".md").write_text(markdown(report), "utf-8")
    return stem.with_suffix(".md")


def _without_answers(result: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in result.items() if key != "queries"}


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description="Search benchmark against SQLite FTS5")
    parser.add_argument("--size", type=int, default=make_corpus.DEFAULT_SIZE, help="articles (default 100000)")
    parser.add_argument("--backend", choices=sorted(BACKENDS), default="whoosh")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the results go")
    parser.add_argument("--seed", type=int, default=make_corpus.DEFAULT_SEED, help="corpus seed")
    parser.add_argument("--rounds", type=int, default=1, help="timed passes over the query log (each query once a pass)")
    args = parser.parse_args(argv)
    if args.size < 1 or args.rounds < 1:
        parser.error("--size and --rounds must be positive")
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    seeds, corpus = make_corpus.ensure_corpus(args.size, args.seed)
    print(f"bench: corpus {seeds} ({corpus.get('size')} articles)", file=sys.stderr)
    log, warmup = ensure_log(LOG_SIZE, args.seed)
    logged, warming = as_dicts(log), as_dicts(warmup)
    work = WORK / f"size-{args.size}-seed-{args.seed}"
    work.mkdir(parents=True, exist_ok=True)
    results = {args.backend: run_backend(args.backend, seeds, work / args.backend, logged, warming, args.rounds),
               "fts5": run_fts5(seeds, work / "fts5", args.rounds, args.seed)}
    answers = {name: result.get("queries", []) for name, result in results.items()}
    (work / f"answers-{args.backend}.json").write_text(json.dumps({"log": logged, **answers}, ensure_ascii=False), "utf-8")
    report = {
        "started": started.isoformat(timespec="seconds"), "elapsed_s": round(time.perf_counter() - t0, 1),
        "size": args.size, "seed": args.seed, "rounds": args.rounds, "queries": len(log), "warmup": len(warmup),
        "backend": args.backend, "machine": machine(), "corpus": corpus, "query_log": summary(log),
        "agreement": agreement(logged, answers[args.backend], answers["fts5"]) if answers[args.backend] else {},
        "results": {name: _without_answers(result) for name, result in results.items()},
        "table": table_rows(results[args.backend], results["fts5"]),
    }
    written = write_report(report, args.out)
    print(written.read_text("utf-8"))
    if args.out == RESULTS:  # the cost curve of every size measured so far, redrawn with this one
        plot.main(["--backend", args.backend, "--out", str(RESULTS / f"cost-curve-{args.backend}.svg")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
