"""Ranking quality on every judged collection: search_app beside SQLite FTS5 and bm25s, in one run, one table.

Given a folder of collections (default `../shared/corpora`), every subfolder in a known layout
(SMART: CACM, ADI, MED; LISA; TIME: see relevance_collections.py) is read, written out as article
files, built with the project's own ingest and index code, and every query is sent as typed
through the backend's `search`, the function that serves `/api/search` (no evaluation path, no
per-collection switch); the two peers index the same titles and texts (relevance_systems.py).
Folders of other data (saved pages, Reuters) are passed over; a collection that cannot be read is
reported and the others still run.

Printed: one table of nDCG@10 (binary gains: no collection has graded judgments) and MAP@100 per
collection and system, with for each peer the p of a paired two-sided randomisation test of
search_app against it on that collection's queries (signs of the per-query differences flipped at
random, 20,000 rounds; a few dozen queries are few), and the mean over collections: over all, and
over those that may choose constants (ADI is a smoke test by its README). Written to
`bench/results/relevance-all.{md,json}`. Given one collection's folder instead, it prints that
collection's table and writes `relevance-<name>.{md,json}`, as before.

`--check-constants [NAME ...]` adds each ranking decision undone alone, and for each constant its
figures at every value on every collection with a split-half check per collection;
`--choose NAME ...` the leave-one-collection-out check (relevance_tuning.py).

    .venv/bin/python bench/relevance.py                      # every collection in ../shared/corpora
    .venv/bin/python bench/relevance.py ../shared/corpora/cacm
    .venv/bin/python bench/relevance.py --check-constants B --choose B K1
    .venv/bin/python bench/relevance.py DIR --docs cran.all.1400 --queries cran.qry --qrels cranqrel --renumber-queries
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import relevance_tuning as tuning  # noqa: E402
from bench.relevance_collections import (  # noqa: E402
    SMOKE_TESTS,
    Collection,
    Unreadable,
    discover,
    layout_of,
    load,
    load_smart,
)
from bench.relevance_systems import (  # noqa: E402
    DEPTH,
    MEASURES,
    Ranking,
    ask_search_app,
    build_search_app,
    judged_order,
    per_query,
    randomisation_p,
    run_bm25s,
    run_fts5,
)
from search_app.backends.whoosh.backend import WhooshBackend  # noqa: E402

PEERS = ("SQLite FTS5", "bm25s")


@dataclass
class Result:
    """One collection's runs, their figures and how long it all took."""

    coll: Collection
    systems: dict[str, dict[str, Ranking]]
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)  # system -> mean, and vs search_app
    timing: dict[str, float] = field(default_factory=dict)


def figures(coll: Collection, systems: dict[str, dict[str, Ranking]]) -> dict[str, dict[str, Any]]:
    """Per system the mean of each measure; per peer also search_app's difference to it, its p, queries better/worse."""
    scores = {name: {m: per_query(runs, coll.qrels, f) for m, f in MEASURES.items()} for name, runs in systems.items()}
    ours = scores["search_app"]
    out: dict[str, dict[str, Any]] = {}
    for name, by_measure in scores.items():
        entry: dict[str, Any] = {"mean": {m: statistics.fmean(v) for m, v in by_measure.items()}}
        if name != "search_app":
            entry["vs_search_app"] = {m: {"delta": statistics.fmean(ours[m]) - entry["mean"][m],
                                          "p": randomisation_p(ours[m], by_measure[m])} for m in MEASURES}
            pairs = list(zip(ours["nDCG@10"], by_measure["nDCG@10"]))
            entry["better_worse"] = [sum(a > b for a, b in pairs), sum(a < b for a, b in pairs)]
        out[name] = entry
    return out


def run_collection(coll: Collection, work: Path) -> tuple[Result, WhooshBackend]:
    """The three systems on one collection, its figures, and search_app's backend (left open for the checks)."""
    started = time.perf_counter()
    backend, built = build_search_app(coll, work)
    try:
        ours, took = ask_search_app(coll, backend)
        systems: dict[str, dict[str, Ranking]] = {"search_app": ours, "SQLite FTS5": run_fts5(coll)}
        peer = run_bm25s(coll)
        if peer is None:
            print("note: bm25s is not installed (pip install bm25s PyStemmer): left out", file=sys.stderr)
        else:
            systems["bm25s"] = peer
        result = Result(coll, systems, figures(coll, systems))
    except BaseException:
        backend.close()
        raise
    result.timing = {"build_s": built, "p50_ms": statistics.median(took), "max_ms": max(took),
                     "seconds": time.perf_counter() - started}
    return result, backend


def _commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                             capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def report(result: Result) -> tuple[str, dict[str, object]]:
    """One collection's table (markdown), a row per system, and the same figures as data."""
    coll, timing = result.coll, result.timing
    lines = [f"Collection `{coll.name}`: {len(coll.docs):,} documents, {len(coll.qrels)} judged queries; "
             f"search_app at {_commit()}, {dt.date.today().isoformat()}.", "",
             "| system | nDCG@10 | MAP@100 | search_app − system, nDCG@10 (p) | MAP@100 (p) | queries better / worse (nDCG@10) |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, entry in result.figures.items():
        mean, cells = entry["mean"], ["", "", ""]
        if "vs_search_app" in entry:
            vs = entry["vs_search_app"]
            cells = [f"{vs[m]['delta']:+.3f} ({vs[m]['p']:.3f})" for m in MEASURES] + ["{} / {}".format(*entry["better_worse"])]
        lines.append(f"| {name} | {mean['nDCG@10']:.3f} | {mean['MAP@100']:.3f} | " + " | ".join(cells) + " |")
    lines += ["", f"search_app: build {timing['build_s']:.1f} s, query p50 {timing['p50_ms']:.1f} ms, "
              f"slowest {timing['max_ms']:.1f} ms (top {DEPTH}, facets and suggestions as the API computes them)."]
    lines += [f"Note: {note}." for note in coll.notes]
    return "\n".join(lines), as_data(result)


def as_data(result: Result) -> dict[str, object]:
    """One collection's figures as the JSON results hold them."""
    coll = result.coll
    return {"collection": coll.name, "documents": len(coll.docs), "queries": len(coll.qrels), "commit": _commit(),
            "timing": result.timing, "notes": list(coll.notes), "systems": result.figures}


def _mean_figures(results: list[Result]) -> dict[str, dict[str, float]]:
    """Per system and measure, the mean over the collections of their means (each collection counting once)."""
    systems = [s for s in results[0].figures if all(s in r.figures for r in results)]
    return {s: {m: statistics.fmean(r.figures[s]["mean"][m] for r in results) for m in MEASURES} for s in systems}


def summary(results: list[Result], passed_over: list[str], unreadable: dict[str, str], root: Path) -> tuple[str, dict[str, Any]]:
    """The one table over every collection (markdown) and the same figures as data."""
    peers = [p for p in PEERS if all(p in r.figures for r in results)]
    head = ["collection", "documents", "judged queries", "search_app nDCG@10", "search_app MAP@100"]
    head += [f"{p} {m} (p)" for p in peers for m in MEASURES] + ["seconds"]
    lines = [f"Ranking on every judged collection in `{root}`: search_app at {_commit()}, {dt.date.today().isoformat()}. "
             f"p: paired two-sided randomisation test of search_app against that system on the collection's queries.", "",
             "| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for r in results:
        f = r.figures
        cells = [r.coll.name + (" (smoke test)" if r.coll.name in SMOKE_TESTS else ""), f"{len(r.coll.docs):,}",
                 str(len(r.coll.qrels))] + [f"{f['search_app']['mean'][m]:.3f}" for m in MEASURES]
        cells += [f"{f[p]['mean'][m]:.3f} ({f[p]['vs_search_app'][m]['p']:.3f})" for p in peers for m in MEASURES]
        lines.append("| " + " | ".join(cells + [f"{r.timing['seconds']:.0f}"]) + " |")
    choosing = [r for r in results if r.coll.name not in SMOKE_TESTS]
    means = {"all": _mean_figures(results)} if results else {}
    if choosing and len(choosing) < len(results):
        means["without smoke tests"] = _mean_figures(choosing)
    for label, group in (("all", results), ("without smoke tests", choosing)):
        if label in means:
            m = means[label]
            name = f"mean of {len(group)}" + (f" (no {', '.join(sorted(SMOKE_TESTS))})" if label != "all" else "")
            cells = [name, "", str(sum(len(r.coll.qrels) for r in group))] + [f"{m['search_app'][x]:.3f}" for x in MEASURES]
            cells += [f"{m[p][x]:.3f}" for p in peers for x in MEASURES]
            lines.append("| " + " | ".join(cells + [f"{sum(r.timing['seconds'] for r in group):.0f} in all"]) + " |")
    lines.append("")
    lines += [f"- {r.coll.name}: {note}." for r in results for note in r.coll.notes]
    lines += [f"- {name}: not read ({reason})." for name, reason in unreadable.items()]
    if passed_over:
        lines.append(f"- Passed over (no ranking collection): {', '.join(passed_over)}.")
    data = {"commit": _commit(), "date": dt.date.today().isoformat(), "corpora": str(root),
            "collections": {r.coll.name: as_data(r) for r in results}, "means": means,
            "passed_over": passed_over, "unreadable": unreadable}
    return "\n".join(lines), data


def collections_in(path: Path, args: argparse.Namespace) -> tuple[list[Collection], list[str], dict[str, str]]:
    """The collection in path, or every collection under it; the folders passed over; those that could not be read."""
    layout = layout_of(path)
    if layout is not None:
        try:
            if layout == "SMART":
                return [load_smart(path, args.docs, args.queries, args.qrels, args.renumber_queries)], [], {}
            return [load(path)], [], {}
        except Unreadable as error:
            raise SystemExit(f"{error} (a SMART collection's files can be named with --docs, --queries, --qrels)") from None
    found, passed_over, unreadable = [], [], {}
    for folder, kind in discover(path):
        if kind is None:
            passed_over.append(folder.name)
            continue
        try:
            found.append(load(folder))
        except Unreadable as error:
            unreadable[folder.name] = str(error)
            print(f"note: {folder.name} is not read: {error}", file=sys.stderr)
    if not found:
        raise SystemExit(f"No ranking collection in {path} (passed over: {', '.join(passed_over) or 'none'}).")
    return found, passed_over, unreadable


def checks(built: list[tuning.Built], args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The ablations and constant checks asked for, as markdown, and each constant's figures as data."""
    names = list(tuning.CONSTANTS) if args.check_constants == [] else list(args.check_constants or [])
    chosen = list(args.choose or [])
    sweeps = {name: tuning.sweep(built, tuning.constant(name)) for name in dict.fromkeys([*names, *chosen])}
    parts = []
    if args.check_constants is not None:
        parts.append("Each ranking decision undone alone (nDCG@10 / MAP@100; the difference to the full system):\n\n"
                     + tuning.ablation_table(built))
    for name in names:
        const = tuning.constant(name)
        parts.append(f"{const.label} at each value (nDCG@10 / MAP@100):\n\n" + tuning.sweep_table(const, sweeps[name])
                     + "\n\nSplit-half check (queries alternately in halves A and B):\n\n"
                     + tuning.split_half_table(const, sweeps[name], [b.coll for b in built]))
    for name in chosen:
        const = tuning.constant(name)
        parts.append(f"{const.label}, leave one collection out (chosen on the mean nDCG@10 of the others; "
                     f"{', '.join(sorted(SMOKE_TESTS))} never chooses):\n\n" + tuning.leave_one_out_table(const, sweeps[name]))
    data = {name: {f"{value:g}": {coll: [statistics.fmean(s[0]), statistics.fmean(s[1])] for coll, s in by_coll.items()}
                   for value, by_coll in sweep.items()} for name, sweep in sweeps.items()}
    return "\n\n".join(parts), data


def dump(results: list[Result]) -> dict[str, Any]:
    """Every system's per-query figures, per collection."""
    return {r.coll.name: {name: {m: dict(zip(judged_order(r.coll.qrels), per_query(runs, r.coll.qrels, f)))
                                 for m, f in MEASURES.items()} for name, runs in r.systems.items()} for r in results}


def main(argv: list[str] | None = None) -> int:
    """Run the three systems on every collection (or one) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path, nargs="?", default=REPO.parent / "shared" / "corpora",
                        help="a folder of collections (default ../shared/corpora), or one collection's folder")
    parser.add_argument("--docs", help="one SMART collection: its documents file (default: *.all)")
    parser.add_argument("--queries", help="one SMART collection: its queries file (default: query*, *.qry)")
    parser.add_argument("--qrels", help="one SMART collection: its judgments file (default: qrels*, *.rel)")
    parser.add_argument("--renumber-queries", action="store_true", help="number the queries 1..N in file order (Cranfield)")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "work" / "relevance", help="where the indexes are built")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results", help="where the results go")
    parser.add_argument("--dump", type=Path, help="also write every system's per-query figures as JSON here")
    parser.add_argument("--check-constants", nargs="*", metavar="NAME",
                        help=f"also undo each ranking decision alone and check each constant ({', '.join(tuning.CONSTANTS)}; "
                             "default all) on every collection: a few minutes per constant")
    parser.add_argument("--choose", nargs="+", metavar="NAME",
                        help="leave-one-collection-out check of these constants: each chosen on the others, "
                             "scored on the one left out")
    args = parser.parse_args(argv)
    if not args.path.is_dir():
        raise SystemExit(f"{args.path} is not a folder: give a folder of test collections, e.g. ../shared/corpora.")
    for name in [*(args.check_constants or []), *(args.choose or [])]:
        tuning.constant(name)  # an unknown name stops the run before the builds
    colls, passed_over, unreadable = collections_in(args.path, args)
    results: list[Result] = []
    backends: list[WhooshBackend] = []
    extra, extra_data = "", dict[str, Any]()
    try:
        for coll in colls:
            print(f"{coll.name}: {len(coll.docs)} documents, {len(coll.queries)} queries, {len(coll.qrels)} judged",
                  file=sys.stderr)
            result, backend = run_collection(coll, args.work / coll.name)
            results.append(result)
            print(f"{coll.name}: {result.timing['seconds']:.0f} s", file=sys.stderr)
            if args.check_constants is None and not args.choose:
                backend.close()  # no check asks it again
            else:
                backends.append(backend)
        if args.check_constants is not None or args.choose:
            built = [tuning.Built(r.coll, args.work / r.coll.name / "seeds", b) for r, b in zip(results, backends)]
            extra, extra_data = checks(built, args)
    finally:
        for backend in backends:
            backend.close()
    one = layout_of(args.path) is not None
    table, data = report(results[0]) if one else summary(results, passed_over, unreadable, args.path)
    if extra:
        table += "\n\n" + extra
        data["constants"] = extra_data
    print(table)
    stem = f"relevance-{results[0].coll.name}" if one else "relevance-all"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{stem}.md").write_text(table + "\n", encoding="utf-8")
    (args.out / f"{stem}.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    if args.dump:
        args.dump.write_text(json.dumps(dump(results), indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
