"""The reference engine: SQLite FTS5 over the same article files and the same queries.

One FTS5 table (title, body; porter + unicode61 tokenizer; bm25 weights title 3.0, body 1.0),
an articles table (id, date, source) and a cities table (one row per article and city). A query
returns what a results page needs: the total, the top 10 (by bm25 or by date) with snippet(),
and city counts by GROUP BY over the matching rows. City counts use the query and the date
filter but not the city filter, as the search core's facets do (a facet ignores its own filter).
Every function returns plain dicts so that bench/run.py can put them beside the Whoosh figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import resource
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.make_corpus import DEFAULT_SEED  # noqa: E402
from bench.queries import LOG_SIZE, Query, ensure_log  # noqa: E402
from search_app.ingest.records import ingest  # noqa: E402
from search_app.models import Article  # noqa: E402

TITLE_WEIGHT, BODY_WEIGHT = 3.0, 1.0
TOP = 10
SNIPPET_TOKENS = 24
BATCH = 2000
SCHEMA = (
    "CREATE TABLE articles(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, date TEXT, source TEXT)",
    "CREATE INDEX articles_date ON articles(date)",
    "CREATE TABLE cities(city TEXT NOT NULL, rowid INTEGER NOT NULL, PRIMARY KEY(city, rowid)) WITHOUT ROWID",
    "CREATE INDEX cities_rowid ON cities(rowid)",
    "CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize='porter unicode61')",
    f"INSERT INTO fts(fts, rank) VALUES('rank', 'bm25({TITLE_WEIGHT}, {BODY_WEIGHT})')",
)
_PARTS = re.compile(r'"[^"]*"?|\S+')
_WORD = re.compile(r"\w+")


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (VmHWM, else ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and mean of latencies in ms (nearest-rank)."""
    ordered = sorted(samples_ms)

    def rank(p: float) -> float:
        return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]

    return {"p50_ms": round(rank(50), 3), "p95_ms": round(rank(95), 3), "p99_ms": round(rank(99), 3),
            "mean_ms": round(statistics.fmean(ordered), 3), "samples": len(ordered)}


def _fts_term(token: str) -> str | None:
    """One typed word, phrase or prefix as an FTS5 string ("a b" for a phrase, "pre" * for a prefix)."""
    quoted = token.startswith('"')
    prefix = token.endswith("*") and not quoted
    words = _WORD.findall(token.strip('"'))
    if not words:
        return None
    return '"' + " ".join(words) + '"' + (" *" if prefix else "")


def fts_match(q: str) -> str:
    """An FTS5 MATCH expression for the app's query syntax: words and "phrases" ANDed, `a OR b`, `-word`, `prefix*`.

    FTS5's NOT is binary and binds before AND, so the excluded words go last as `... NOT x`; an OR
    pair is bracketed. A query with nothing to require gives "" (no match)."""
    required: list[str] = []
    excluded: list[str] = []
    tokens = [m.group(0) for m in _PARTS.finditer(q)]
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "OR":
            i += 1
            continue
        negated = token.startswith("-") and len(token) > 1
        term = _fts_term(token[1:] if negated else token)
        i += 1
        if term is None:
            continue
        if negated:
            excluded.append(term)
            continue
        alternatives = [term]
        while i + 1 < len(tokens) and tokens[i] == "OR":
            other = _fts_term(tokens[i + 1])
            i += 2
            if other is not None:
                alternatives.append(other)
        required.append(term if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")")
    if not required:
        return ""
    return " ".join(required) + "".join(f" NOT {term}" for term in excluded)


def load_articles(seeds: Path) -> tuple[list[Article], float, int]:
    """The articles under seeds as the app's ingester parses them, the time taken and the skip count."""
    started = time.perf_counter()
    result = ingest(seeds)
    return result.articles, time.perf_counter() - started, len(result.skipped)


def connect(db_path: Path) -> sqlite3.Connection:
    """A connection tuned for a single local reader/writer."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA cache_size=-65536")
    return conn


def _rows(articles: Iterable[Article], start: int) -> Iterable[tuple[int, Article]]:
    return enumerate(articles, start=start)


def insert(conn: sqlite3.Connection, articles: Sequence[Article], start: int = 1) -> None:
    """Insert articles (rowids from start) into the three tables, in batches."""
    for i in range(0, len(articles), BATCH):
        chunk = list(_rows(articles[i:i + BATCH], start + i))
        conn.executemany("INSERT INTO articles(rowid, id, date, source) VALUES (?, ?, ?, ?)",
                         [(r, a.id, a.date.isoformat() if a.date else None, a.source) for r, a in chunk])
        conn.executemany("INSERT INTO fts(rowid, title, body) VALUES (?, ?, ?)", [(r, a.title, a.body) for r, a in chunk])
        conn.executemany("INSERT INTO cities(city, rowid) VALUES (?, ?)", [(c, r) for r, a in chunk for c in a.cities])


def build(articles: Sequence[Article], db_path: Path) -> dict[str, Any]:
    """Create the database from scratch; return its build time and size."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    conn = connect(db_path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    for statement in SCHEMA:
        conn.execute(statement)
    insert(conn, articles)
    conn.execute("COMMIT")
    inserted = time.perf_counter()
    conn.execute("INSERT INTO fts(fts) VALUES('optimize')")
    conn.close()
    done = time.perf_counter()
    return {"index_s": round(done - started, 3), "insert_s": round(inserted - started, 3),
            "optimize_s": round(done - inserted, 3), "index_bytes": db_path.stat().st_size}


def _filters(query: Query, with_cities: bool) -> tuple[str, list[Any], bool]:
    """SQL conditions for the date and (optionally) city filters, their parameters, and whether they need `articles`."""
    conditions: list[str] = []
    params: list[Any] = []
    if query["date_from"]:
        conditions.append("a.date >= ?")
        params.append(query["date_from"])
    if query["date_to"]:
        conditions.append("a.date <= ?")
        params.append(query["date_to"])
    if query["sources"]:
        conditions.append(f"a.source IN ({', '.join('?' * len(query['sources']))})")
        params.extend(query["sources"])
    if with_cities and query["cities"]:
        marks = ", ".join("?" * len(query["cities"]))
        # EXISTS, not `rowid IN (subquery)`: the latter makes FTS5 re-run the MATCH per listed rowid (100x slower).
        conditions.append(f"EXISTS (SELECT 1 FROM cities c WHERE c.rowid = fts.rowid AND c.city IN ({marks}))")
        params.extend(query["cities"])
    sql = "".join(f" AND {c}" for c in conditions)
    return sql, params, bool(query["date_from"] or query["date_to"] or query["sources"])


def _order(sort: str) -> str:
    if sort == "newest":
        return "a.date IS NULL, a.date DESC, fts.rank"
    if sort == "oldest":
        return "a.date IS NULL, a.date ASC, fts.rank"
    return "fts.rank"


def top_ids(conn: sqlite3.Connection, match: str, query: Query) -> list[tuple[int, float]]:
    """Rowids and bm25 scores of the first TOP results in the query's order."""
    where, params, _ = _filters(query, with_cities=True)
    sql = (f"SELECT fts.rowid, fts.rank FROM fts JOIN articles a ON a.rowid = fts.rowid "
           f"WHERE fts MATCH ?{where} ORDER BY {_order(query['sort'])} LIMIT {TOP}")
    return conn.execute(sql, [match, *params]).fetchall()


def snippets(conn: sqlite3.Connection, match: str, rowids: Sequence[int]) -> dict[int, tuple[str, str, str | None, str]]:
    """(id, title, date, snippet) of the given rows, snippets from the body around the matches."""
    if not rowids:
        return {}
    marks = ", ".join("?" * len(rowids))
    sql = (f"SELECT fts.rowid, a.id, fts.title, a.date, snippet(fts, 1, '<mark>', '</mark>', '…', {SNIPPET_TOKENS}) "
           f"FROM fts JOIN articles a ON a.rowid = fts.rowid WHERE fts MATCH ? AND fts.rowid IN ({marks})")
    return {row[0]: row[1:] for row in conn.execute(sql, [match, *rowids])}


def total(conn: sqlite3.Connection, match: str, query: Query) -> int:
    """How many articles match the query with all its filters."""
    where, params, dated = _filters(query, with_cities=True)
    join = " JOIN articles a ON a.rowid = fts.rowid" if dated else ""
    return conn.execute(f"SELECT count(*) FROM fts{join} WHERE fts MATCH ?{where}", [match, *params]).fetchone()[0]


def city_counts(conn: sqlite3.Connection, match: str, query: Query) -> dict[str, int]:
    """Articles per city among the matches (date filter applied, the city filter not)."""
    where, params, dated = _filters(query, with_cities=False)
    join = " JOIN articles a ON a.rowid = fts.rowid" if dated else ""
    sql = (f"SELECT c.city, count(*) FROM fts{join} JOIN cities c ON c.rowid = fts.rowid "
           f"WHERE fts MATCH ?{where} GROUP BY c.city ORDER BY count(*) DESC, c.city")
    return dict(conn.execute(sql, [match, *params]).fetchall())


def search(conn: sqlite3.Connection, query: Query) -> dict[str, Any]:
    """Everything a results page needs for one query: total, top 10 with snippets, city counts."""
    match = fts_match(query["q"])
    if not match:
        return {"total": 0, "results": [], "cities": {}}
    ranked = top_ids(conn, match, query)
    rows = snippets(conn, match, [r for r, _ in ranked])
    results = [{"id": rows[r][0], "title": rows[r][1], "date": rows[r][2], "score": round(-score, 4), "snippet": rows[r][3]}
               for r, score in ranked]
    return {"total": total(conn, match, query), "results": results, "cities": city_counts(conn, match, query)}


def measure_queries(conn: sqlite3.Connection, queries: Sequence[Query], warmup: Sequence[Query] = (),
                    rounds: int = 1) -> dict[str, Any]:
    """Latency percentiles over `rounds` passes of the log (after the warm-up queries), and each query's answer.

    Every query of the log is sent once a round, so nothing answered before is asked again
    within a round; the answers kept are those of the first round."""
    for q in warmup:
        search(conn, q)
    samples: list[float] = []
    per_query: list[list[float]] = [[] for _ in queries]
    answers: list[dict[str, Any]] = []
    for round_number in range(rounds):
        for i, q in enumerate(queries):
            started = time.perf_counter()
            answer = search(conn, q)
            elapsed = (time.perf_counter() - started) * 1000
            samples.append(elapsed)
            per_query[i].append(elapsed)
            if round_number == 0:
                answers.append(answer)
    details = [{"total": a["total"], "top_ids": [r["id"] for r in a["results"]], "cities_counts": a["cities"],
                "median_ms": round(statistics.median(t), 3)} for a, t in zip(answers, per_query)]
    return {"latency": percentiles(samples), "queries": details}


def measure_update(db_path: Path, articles: Sequence[Article], count: int = 10) -> dict[str, Any]:
    """Time to replace `count` changed articles (new body text, same ids) and commit."""
    step = max(1, len(articles) // count)
    picked = [(i + 1, articles[i]) for i in range(0, len(articles), step)][:count]
    changed = [(r, dataclasses.replace(a, body=a.body + "\n\nThe figures were revised on Tuesday.")) for r, a in picked]
    conn = connect(db_path)
    started = time.perf_counter()
    conn.execute("BEGIN")
    for rowid, article in changed:
        conn.execute("DELETE FROM fts WHERE rowid = ?", (rowid,))
        conn.execute("DELETE FROM cities WHERE rowid = ?", (rowid,))
        conn.execute("UPDATE articles SET date = ?, source = ? WHERE rowid = ?",
                     (article.date.isoformat() if article.date else None, article.source, rowid))
        conn.execute("INSERT INTO fts(rowid, title, body) VALUES (?, ?, ?)", (rowid, article.title, article.body))
        conn.executemany("INSERT INTO cities(city, rowid) VALUES (?, ?)", [(c, rowid) for c in article.cities])
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return {"update_articles": len(changed), "update_s": round(elapsed, 4)}


def run(seeds: Path, work: Path, queries: Sequence[Query], warmup: Sequence[Query] = (),
        rounds: int = 1) -> dict[str, Any]:
    """The whole FTS5 reference on one corpus: build, queries, update, memory."""
    articles, parse_s, skipped = load_articles(seeds)
    db_path = work / "fts5.sqlite"
    built = build(articles, db_path)
    build_s = parse_s + built["index_s"]
    conn = connect(db_path)
    measured = measure_queries(conn, queries, warmup, rounds)
    conn.close()
    update = measure_update(db_path, articles)
    return {
        "engine": f"SQLite {sqlite3.sqlite_version} FTS5", "seeds": str(seeds), "articles": len(articles),
        "skipped": skipped, "parse_s": round(parse_s, 3), **built, "build_s": round(build_s, 3),
        "articles_per_s": round(len(articles) / build_s, 1), "index_articles_per_s": round(len(articles) / built["index_s"], 1),
        **update, "latency": measured["latency"], "queries": measured["queries"], "peak_rss_mb": peak_rss_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: run the reference on a seeds folder and write/print the JSON."""
    parser = argparse.ArgumentParser(description="SQLite FTS5 reference for the search benchmark")
    parser.add_argument("--seeds", type=Path, required=True, help="folder of article files")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "work", help="where the database goes")
    parser.add_argument("--rounds", type=int, default=1, help="timed passes over the query log")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the query log (default 2026)")
    parser.add_argument("--json-out", type=Path, help="write the result here instead of stdout")
    args = parser.parse_args(argv)
    log, warmup = ensure_log(LOG_SIZE, args.seed)
    result = run(args.seeds, args.work, log, warmup, args.rounds)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(text + "\n", "utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
