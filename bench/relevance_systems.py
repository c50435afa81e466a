"""The three systems the relevance benchmark compares, and its measures.

- search_app: each record written as an article file and built with the project's own ingest and
  index code (`WhooshBackend.build`), every query sent as typed through `WhooshBackend.search`,
  the function that serves `/api/search`: no evaluation path, no per-collection switch;
- SQLite FTS5: `porter unicode61`, `bm25(fts, 2.0, 1.0)` over title and body, the query an OR of
  its words (repeated words kept);
- bm25s: English stop words, the Snowball English stemmer, Lucene's BM25, the title counted twice.

Measures: nDCG@10 with binary gains (no collection has graded judgments) and MAP@100, and a paired
two-sided randomisation test of the per-query differences.
"""

from __future__ import annotations

import math
import random
import re
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.relevance_collections import Collection  # noqa: E402
from search_app.backends.whoosh.backend import WhooshBackend  # noqa: E402
from search_app.models import SearchRequest  # noqa: E402

DEPTH = 100  # results asked of every system (MAP@100; the largest page the API serves)
ROUNDS = 20_000
_WORD = re.compile(r"\w+")
_CLOSING_STOPS = re.compile(r"\s*\.+$")

Ranking = list[str]  # document ids, best first


# ------------------------------------------------------------------ search_app

def article_text(title: str, text: str) -> str:
    """A record as an article file: its title line, a blank line, its text; without a title, the text alone.

    A catalogue title's closing full stop (LISA's titles all end in one) is dropped: ingest reads a
    first line ending in a full stop as the article's first sentence, not as its headline. A record
    without a title (MED, TIME) is written as a user's article without a headline is: the text alone,
    whose headline ingest makes from the opening sentence."""
    title = _CLOSING_STOPS.sub("", title.strip())
    return f"{title}\n\n{text.strip()}\n" if title else f"{text.strip()}\n"


def write_articles(coll: Collection, seeds: Path) -> None:
    """Each record as an article file named by its id."""
    if seeds.exists():
        shutil.rmtree(seeds)
    seeds.mkdir(parents=True)
    for rid, (title, text) in coll.docs.items():
        (seeds / f"{rid}.txt").write_text(article_text(title, text), encoding="utf-8")


def build_index(seeds: Path, index: Path, expected: int) -> tuple[WhooshBackend, float]:
    """The article files built into a fresh index with the project's own code, and the seconds it took."""
    if index.exists():
        shutil.rmtree(index)
    backend = WhooshBackend(index)
    started = time.perf_counter()
    # One process: the documents' order, which breaks equal scores, is then the same in every run.
    report = backend.build(seeds, procs=1)
    built = time.perf_counter() - started
    if expected - report.indexed:
        print(f"note: {expected - report.indexed} record(s) of {seeds.parent.name} were not indexed: "
              + "; ".join(f"{s.path}: {s.reason}" for s in report.skipped[:5]), file=sys.stderr)
    return backend, built


def build_search_app(coll: Collection, work: Path) -> tuple[WhooshBackend, float]:
    """The collection written as article files under work/seeds and built into work/index."""
    write_articles(coll, work / "seeds")
    return build_index(work / "seeds", work / "index", len(coll.docs))


def ask_search_app(coll: Collection, backend: WhooshBackend) -> tuple[dict[str, Ranking], list[float]]:
    """Every query as typed through backend.search (what /api/search calls), the top DEPTH ids and the ms taken."""
    runs: dict[str, Ranking] = {}
    took: list[float] = []
    for qid, text in coll.queries.items():
        started = time.perf_counter()
        answer = backend.search(SearchRequest(q=text, per_page=DEPTH))
        took.append((time.perf_counter() - started) * 1000)
        runs[qid] = [r["id"] for r in answer["results"]]
    return runs, took


# ------------------------------------------------------------------ the peers

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


MEASURES: dict[str, Callable[[Ranking, set[str]], float]] = {"nDCG@10": ndcg_at, "MAP@100": ap_at}


def judged_order(qrels: dict[str, set[str]]) -> list[str]:
    """The judged query ids in a fixed order (numeric ids by number)."""
    return sorted(qrels, key=lambda q: (len(q), q))


def per_query(runs: dict[str, Ranking], qrels: dict[str, set[str]], measure: Callable[[Ranking, set[str]], float]) -> list[float]:
    """The measure for every judged query, in a fixed order."""
    return [measure(runs.get(q, []), qrels[q]) for q in judged_order(qrels)]


def randomisation_p(ours: list[float], theirs: list[float], rounds: int = ROUNDS, seed: int = 12) -> float:
    """Two-sided paired randomisation test: how often random sign flips give a mean difference as large."""
    diffs = [a - b for a, b in zip(ours, theirs)]
    observed = abs(sum(diffs))
    rng = random.Random(seed)
    extreme = sum(1 for _ in range(rounds) if abs(sum(d if rng.random() < 0.5 else -d for d in diffs)) >= observed - 1e-12)
    return (extreme + 1) / (rounds + 1)
