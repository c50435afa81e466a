"""Ranking quality on a judged test collection: search_app beside SQLite FTS5 and bm25s, in one run.

A collection in the SMART format (records `.I N` with `.T` title and `.W` text, queries in the
same format, one judgment per line) is written out as article files (the title line, a blank
line, the text), built with the project's own ingest and index code, and every query is sent as
typed through the backend's `search`, the function that serves `/api/search`: no evaluation
path, no per-collection switch. The two peers index the same title and text:

- SQLite FTS5: `porter unicode61`, `bm25(fts, 2.0, 1.0)` over title and body, the query an OR
  of its words (repeated words kept);
- bm25s: English stop words, the Snowball English stemmer, Lucene's BM25, the title counted twice.

Printed: nDCG@10 (binary gains) and MAP@100 for each system, and for each peer the paired
per-query difference to search_app with a two-sided randomisation test (signs of the per-query
differences flipped at random, 20,000 rounds), since a few dozen queries are few.

    .venv/bin/python bench/relevance.py ../shared/corpora/cacm
    .venv/bin/python bench/relevance.py DIR --docs cran.all.1400 --queries cran.qry --qrels cranqrel
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from search_app.backends.whoosh import feedback, ranking  # noqa: E402
from search_app.backends.whoosh.backend import WhooshBackend  # noqa: E402
from search_app.models import SearchRequest  # noqa: E402
from search_app.query import bm25, plan  # noqa: E402

DEPTH = 100  # results asked of every system (MAP@100; the largest page the API serves)
ROUNDS = 20_000
_MARKER = re.compile(r"^\.([A-Z])(?:\s+(.*))?$")
_WORD = re.compile(r"\w+")

Ranking = list[str]  # document ids, best first


@dataclass(frozen=True)
class Collection:
    """Documents (id -> (title, text)), queries (id -> text) and judgments (query id -> relevant ids)."""

    name: str
    docs: dict[str, tuple[str, str]]
    queries: dict[str, str]
    qrels: dict[str, set[str]]


def read_smart(path: Path) -> dict[str, dict[str, str]]:
    """Records of a SMART file: id -> {field letter: text}."""
    records: dict[str, dict[str, str]] = {}
    current: dict[str, list[str]] | None = None
    field = ""
    for line in path.read_text(encoding="latin-1").splitlines():
        marker = _MARKER.match(line)
        if marker and marker.group(1) == "I":
            current = {}
            records[(marker.group(2) or "").strip()] = current  # type: ignore[assignment]
            field = ""
        elif marker and current is not None and not (marker.group(2) or "").strip():
            field = marker.group(1)
            current.setdefault(field, [])
        elif current is not None and field:
            current[field].append(line)
    return {rid: {f: "\n".join(lines).strip() for f, lines in fields.items()}  # type: ignore[union-attr]
            for rid, fields in records.items()}


def read_qrels(path: Path) -> dict[str, set[str]]:
    """Judgments in any of the usual layouts: `Q D 0 0` (CACM, CISI), `Q 0 D R` (TREC), `Q D R` (Cranfield).

    A grade above zero is relevant (Cranfield's -1 marks a reference of no interest)."""
    qrels: dict[str, set[str]] = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[1] == "0" and parts[3].lstrip("-").isdigit() and parts[2] != "0":
            query, doc, relevant = parts[0], parts[2], int(parts[3]) > 0
        elif len(parts) >= 3 and len(parts) != 4:
            query, doc, relevant = parts[0], parts[1], int(float(parts[2])) > 0
        elif len(parts) == 4:
            query, doc, relevant = parts[0], parts[1], True
        else:
            continue
        if relevant:
            qrels.setdefault(query.lstrip("0") or "0", set()).add(doc.lstrip("0") or "0")
    return qrels


def _find(folder: Path, given: str | None, patterns: Iterable[str]) -> Path:
    if given:
        return folder / given
    for pattern in patterns:
        found = sorted(p for p in folder.iterdir() if re.search(pattern, p.name, re.I) and p.is_file())
        if found:
            return found[0]
    raise SystemExit(f"No file like {'/'.join(patterns)} in {folder}: name it with --docs/--queries/--qrels.")


def load_collection(folder: Path, docs: str | None, queries: str | None, qrels: str | None,
                    renumber_queries: bool) -> Collection:
    """Read a SMART collection from a folder (file names found by the usual patterns unless given)."""
    records = read_smart(_find(folder, docs, [r"\.all", r"docs?\b"]))
    topics = read_smart(_find(folder, queries, [r"^query", r"\.qry", r"quer"]))
    judged = read_qrels(_find(folder, qrels, [r"^qrels", r"\.rel", r"qrel", r"rel"]))
    # A title may wrap onto several lines in the file: it is one line of the article.
    documents = {rid.lstrip("0") or "0": (" ".join(f.get("T", "").split()), f.get("W", "")) for rid, f in records.items()}
    texts = [(rid, " ".join(f.get("W", "").split())) for rid, f in topics.items()]
    if renumber_queries:  # Cranfield numbers its judgments 1..N while its queries skip numbers
        texts = [(str(n), text) for n, (_rid, text) in enumerate(texts, 1)]
    asked = {rid.lstrip("0") or "0": text for rid, text in texts if text}
    judged = {q: rel for q, rel in judged.items() if q in asked}
    return Collection(folder.name, documents, asked, judged)


# ------------------------------------------------------------------ the three systems

def write_articles(coll: Collection, seeds: Path) -> None:
    """Each record as an article file: the title line, a blank line, then the text."""
    if seeds.exists():
        shutil.rmtree(seeds)
    seeds.mkdir(parents=True)
    for rid, (title, text) in coll.docs.items():
        (seeds / f"{rid}.txt").write_text(f"{title.strip()}\n\n{text.strip()}\n", encoding="utf-8")


def build_search_app(coll: Collection, work: Path) -> tuple[WhooshBackend, float]:
    """The collection written as article files and built with the project's own ingest and index code."""
    seeds, index = work / "seeds", work / "index"
    write_articles(coll, seeds)
    if index.exists():
        shutil.rmtree(index)
    backend = WhooshBackend(index)
    started = time.perf_counter()
    report = backend.build(seeds, procs=os.cpu_count() or 1)
    built = time.perf_counter() - started
    missing = len(coll.docs) - report.indexed
    if missing:
        print(f"note: {missing} record(s) were not indexed: "
              + "; ".join(f"{s.path}: {s.reason}" for s in report.skipped[:5]), file=sys.stderr)
    return backend, built


def ask_search_app(coll: Collection, backend: WhooshBackend) -> tuple[dict[str, Ranking], list[float]]:
    """Every query as typed through backend.search (what /api/search calls), the top DEPTH ids and the time taken."""
    runs: dict[str, Ranking] = {}
    took: list[float] = []
    for qid, text in coll.queries.items():
        started = time.perf_counter()
        answer = backend.search(SearchRequest(q=text, per_page=DEPTH))
        took.append((time.perf_counter() - started) * 1000)
        runs[qid] = [r["id"] for r in answer["results"]]
    return runs, took


def run_fts5(coll: Collection) -> dict[str, Ranking]:
    """SQLite FTS5 (porter unicode61, bm25 2.0/1.0), each query an OR of its words."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE d USING fts5(title, body, tokenize='porter unicode61')")
    ids = list(coll.docs)
    db.executemany("INSERT INTO d(rowid, title, body) VALUES (?, ?, ?)",
                   [(n, title, text) for n, (title, text) in enumerate(coll.docs.values())])
    runs: dict[str, Ranking] = {}
    for qid, text in coll.queries.items():
        words = [w.replace('"', '""') for w in _WORD.findall(text)]
        if not words:
            runs[qid] = []
            continue
        match = " OR ".join(f'"{w}"' for w in words)
        rows = db.execute("SELECT rowid FROM d WHERE d MATCH ? ORDER BY bm25(d, 2.0, 1.0) LIMIT ?", (match, DEPTH))
        runs[qid] = [ids[row[0]] for row in rows]
    return runs


def run_bm25s(coll: Collection) -> dict[str, Ranking] | None:
    """bm25s (English stop words, Snowball stemmer, Lucene BM25) with the title counted twice; None if absent."""
    try:
        import bm25s
        import Stemmer
    except ImportError:
        return None
    stemmer = Stemmer.Stemmer("english")
    ids = list(coll.docs)
    corpus = [f"{t}\n{t}\n{w}" for t, w in coll.docs.values()]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(corpus, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
    runs: dict[str, Ranking] = {}
    for qid, text in coll.queries.items():
        tokens = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False)
        if not tokens.vocab:
            runs[qid] = []
            continue
        found, scores = retriever.retrieve(tokens, k=min(DEPTH, len(ids)), show_progress=False)
        runs[qid] = [ids[i] for i, s in zip(found[0], scores[0]) if s > 0]
    return runs


# ------------------------------------------------------------------ measures

def ndcg_at(ranking: Ranking, relevant: set[str], k: int = 10) -> float:
    """nDCG@k with binary gains."""
    gain = sum(1 / math.log2(i + 2) for i, doc in enumerate(ranking[:k]) if doc in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return gain / ideal if ideal else 0.0


def ap_at(ranking: Ranking, relevant: set[str], k: int = DEPTH) -> float:
    """Average precision over the first k results, divided by all relevant documents (as trec_eval's map_cut)."""
    hits, total = 0, 0.0
    for i, doc in enumerate(ranking[:k]):
        if doc in relevant:
            hits += 1
            total += hits / (i + 1)
    return total / len(relevant) if relevant else 0.0


def per_query(runs: dict[str, Ranking], qrels: dict[str, set[str]], measure: Callable[[Ranking, set[str]], float]) -> list[float]:
    """The measure for every judged query, in a fixed order."""
    return [measure(runs.get(q, []), qrels[q]) for q in sorted(qrels, key=lambda q: (len(q), q))]


def randomisation_p(ours: list[float], theirs: list[float], rounds: int = ROUNDS, seed: int = 12) -> float:
    """Two-sided paired randomisation test: how often random sign flips give a mean difference as large."""
    diffs = [a - b for a, b in zip(ours, theirs)]
    observed = abs(sum(diffs))
    rng = random.Random(seed)
    extreme = sum(1 for _ in range(rounds) if abs(sum(d if rng.random() < 0.5 else -d for d in diffs)) >= observed - 1e-12)
    return (extreme + 1) / (rounds + 1)


# The ranking's constants and the values the split-half check tries for each (the chosen value first).
CONSTANTS: dict[str, tuple[list[float], Callable[[float], None]]] = {
    "K1": ([ranking.K1, 0.6, 0.9, 1.2, 1.5, 2.0], lambda v: setattr(ranking, "K1", v)),
    "B (title and body)": ([bm25.FIELD_B["body"], 0.2, 0.3, 0.5, 0.6, 0.75, 0.9],
                           lambda v: bm25.FIELD_B.update(title=v, body=v)),
    "title weight": ([bm25.FIELD_WEIGHT["title"], 1.0, 1.5, 3.0, 4.0], lambda v: bm25.FIELD_WEIGHT.update(title=v)),
    "PAIR_WEIGHT": ([ranking.PAIR_WEIGHT, 0.0, 0.1, 0.3, 0.5], lambda v: setattr(ranking, "PAIR_WEIGHT", v)),
    "DESCRIPTION_WORDS": ([plan.DESCRIPTION_WORDS, 3, 4, 6, 8, 100], lambda v: setattr(plan, "DESCRIPTION_WORDS", int(v))),
}


def _once_each(group: Callable[..., Any]) -> Callable[..., Any]:
    def grouped(terms: Any) -> Any:
        words, others = group(terms)
        for word in words:
            word.weights = {name: min(weight, 1.0) for name, weight in word.weights.items()}
        return words, others
    return grouped


# Each ranking decision undone alone: (what, undo, redo).
ABLATIONS: list[tuple[str, Callable[[], None], Callable[[], None]]] = [
    ("a repeated word counted once", lambda: setattr(ranking, "_group", _once_each(_GROUP)),
     lambda: setattr(ranking, "_group", _GROUP)),
    ("request words kept in descriptions", lambda: setattr(plan, "REQUEST_WORDS", frozenset()),
     lambda: setattr(plan, "REQUEST_WORDS", _REQUEST_WORDS)),
    ("no descriptions: every query first with all its words", lambda: setattr(plan, "DESCRIPTION_WORDS", 10**6),
     lambda: setattr(plan, "DESCRIPTION_WORDS", _DESCRIPTION_WORDS)),
    ("no neighbouring pairs", lambda: setattr(ranking, "PAIR_WEIGHT", 0.0),
     lambda: setattr(ranking, "PAIR_WEIGHT", _PAIR_WEIGHT)),
    ("no pseudo-relevance feedback (descriptions)", lambda: setattr(feedback, "ENABLED", False),
     lambda: setattr(feedback, "ENABLED", True)),
    ("textbook K1 1.2, B 0.75", lambda: (setattr(ranking, "K1", 1.2), bm25.FIELD_B.update(title=0.75, body=0.75)),
     lambda: (setattr(ranking, "K1", _K1), bm25.FIELD_B.update(_FIELD_B))),
]
_GROUP, _REQUEST_WORDS, _DESCRIPTION_WORDS = ranking._group, plan.REQUEST_WORDS, plan.DESCRIPTION_WORDS
_PAIR_WEIGHT, _K1, _FIELD_B = ranking.PAIR_WEIGHT, ranking.K1, dict(bm25.FIELD_B)


def check_ablations(coll: Collection, backend: WhooshBackend) -> str:
    """nDCG@10 and MAP@100 with each ranking decision undone alone, beside the full system."""
    def measured() -> tuple[float, float]:
        runs, _took = ask_search_app(coll, backend)
        return (statistics.fmean(per_query(runs, coll.qrels, ndcg_at)), statistics.fmean(per_query(runs, coll.qrels, ap_at)))

    full = measured()
    lines = ["| ranking without | nDCG@10 | MAP@100 |", "|---|---:|---:|",
             f"| (nothing: the full system) | {full[0]:.3f} | {full[1]:.3f} |"]
    for label, undo, redo in ABLATIONS:
        undo()
        try:
            ndcg, ap = measured()
        finally:
            redo()
        lines.append(f"| {label} | {ndcg:.3f} ({ndcg - full[0]:+.3f}) | {ap:.3f} ({ap - full[1]:+.3f}) |")
    return "\n".join(lines)


def check_constants(coll: Collection, backend: WhooshBackend) -> str:
    """Split-half check of each constant: the best value on one half of the queries, scored on the other half.

    A constant fitted to the collection would win on the half it was chosen on and lose on the other;
    the table shows, per half, the value that half prefers and what it gives on the other half beside
    the chosen value's figure there.
    """
    order = sorted(coll.qrels, key=lambda q: (len(q), q))
    halves = (order[0::2], order[1::2])
    lines = ["| constant | chosen | best on half A → nDCG@10 on B (chosen: B) | best on half B → nDCG@10 on A (chosen: A) |",
             "|---|---:|---:|---:|"]
    for name, (values, set_value) in CONSTANTS.items():
        chosen = values[0]
        per_value: dict[float, dict[str, float]] = {}
        for value in dict.fromkeys(values):
            set_value(value)
            runs, _took = ask_search_app(coll, backend)
            per_value[value] = {q: ndcg_at(runs.get(q, []), coll.qrels[q]) for q in order}
        set_value(chosen)
        cells = []
        for fit, test in (halves, halves[::-1]):
            best = max(per_value, key=lambda v: (statistics.fmean(per_value[v][q] for q in fit), v == chosen))
            on_test = statistics.fmean(per_value[best][q] for q in test)
            cells.append(f"{best:g} → {on_test:.3f} ({statistics.fmean(per_value[chosen][q] for q in test):.3f})")
        lines.append(f"| {name} | {chosen:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                             capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def report(coll: Collection, systems: dict[str, dict[str, Ranking]], timing: dict[str, float]) -> tuple[str, dict[str, object]]:
    """The results table (markdown) and the same figures as data."""
    measures = {"nDCG@10": ndcg_at, "MAP@100": ap_at}
    scores = {name: {m: per_query(runs, coll.qrels, f) for m, f in measures.items()} for name, runs in systems.items()}
    ours = scores["search_app"]
    lines = [f"Collection `{coll.name}`: {len(coll.docs):,} documents, {len(coll.qrels)} judged queries; "
             f"search_app at {_commit()}, {dt.date.today().isoformat()}.", "",
             "| system | nDCG@10 | MAP@100 | search_app − system, nDCG@10 (p) | MAP@100 (p) | queries better / worse (nDCG@10) |",
             "|---|---:|---:|---:|---:|---:|"]
    data: dict[str, object] = {"collection": coll.name, "documents": len(coll.docs), "queries": len(coll.qrels),
                               "commit": _commit(), "timing": timing, "systems": {}}
    for name, by_measure in scores.items():
        means = {m: statistics.fmean(v) for m, v in by_measure.items()}
        entry: dict[str, object] = {"mean": means}
        cells = ["", "", ""]
        if name != "search_app":
            diffs = {}
            for m in measures:
                delta = statistics.fmean(ours[m]) - means[m]
                diffs[m] = {"delta": delta, "p": randomisation_p(ours[m], by_measure[m])}
            better = sum(a > b for a, b in zip(ours["nDCG@10"], by_measure["nDCG@10"]))
            worse = sum(a < b for a, b in zip(ours["nDCG@10"], by_measure["nDCG@10"]))
            cells = [f"{diffs['nDCG@10']['delta']:+.3f} ({diffs['nDCG@10']['p']:.3f})",
                     f"{diffs['MAP@100']['delta']:+.3f} ({diffs['MAP@100']['p']:.3f})", f"{better} / {worse}"]
            entry["vs_search_app"] = diffs
        lines.append(f"| {name} | {means['nDCG@10']:.3f} | {means['MAP@100']:.3f} | " + " | ".join(cells) + " |")
        data["systems"][name] = entry  # type: ignore[index]
    lines += ["", f"search_app: build {timing['build_s']:.1f} s, query p50 {timing['p50_ms']:.1f} ms, "
              f"slowest {timing['max_ms']:.1f} ms (top {DEPTH}, facets and suggestions as the API computes them)."]
    return "\n".join(lines), data


def main(argv: list[str] | None = None) -> int:
    """Run the three systems on one collection and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("collection", type=Path, help="folder of a SMART-format test collection")
    parser.add_argument("--docs", help="documents file inside the folder (default: *.all)")
    parser.add_argument("--queries", help="queries file (default: query*, *.qry)")
    parser.add_argument("--qrels", help="judgments file (default: qrels*, *.rel)")
    parser.add_argument("--renumber-queries", action="store_true", help="number the queries 1..N in file order (Cranfield)")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "work" / "relevance", help="where the index is built")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results", help="where relevance-<name>.md/.json go")
    parser.add_argument("--dump", type=Path, help="also write every system's per-query figures as JSON here")
    parser.add_argument("--check-constants", action="store_true",
                        help="also undo each ranking decision alone and split-half check the constants (a few minutes)")
    args = parser.parse_args(argv)
    if not args.collection.is_dir():
        raise SystemExit(f"{args.collection} is not a folder: give the folder of a test collection, e.g. ../shared/corpora/cacm.")
    coll = load_collection(args.collection, args.docs, args.queries, args.qrels, args.renumber_queries)
    print(f"{coll.name}: {len(coll.docs)} documents, {len(coll.queries)} queries, {len(coll.qrels)} judged", file=sys.stderr)
    backend, built = build_search_app(coll, args.work / coll.name)
    try:
        ours, took = ask_search_app(coll, backend)
        constants = (check_ablations(coll, backend) + "\n\nSplit-half check of the ranking's constants (queries "
                     "alternately in halves A and B):\n\n" + check_constants(coll, backend)) if args.check_constants else ""
    finally:
        backend.close()
    timing = {"build_s": built, "p50_ms": statistics.median(took), "max_ms": max(took)}
    systems: dict[str, dict[str, Ranking]] = {"search_app": ours, "SQLite FTS5": run_fts5(coll)}
    peer = run_bm25s(coll)
    if peer is None:
        print("note: bm25s is not installed (pip install bm25s PyStemmer): left out", file=sys.stderr)
    else:
        systems["bm25s"] = peer
    table, data = report(coll, systems, timing)
    if constants:
        table += "\n\nEach ranking decision undone alone:\n\n" + constants
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"relevance-{coll.name}.md").write_text(table + "\n", encoding="utf-8")
    (args.out / f"relevance-{coll.name}.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    if args.dump:
        measures = {"nDCG@10": ndcg_at, "MAP@100": ap_at}
        dump = {name: {m: dict(zip(sorted(coll.qrels, key=lambda q: (len(q), q)), per_query(runs, coll.qrels, f)))
                       for m, f in measures.items()} for name, runs in systems.items()}
        args.dump.write_text(json.dumps(dump, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
