"""Timing the query log through a backend's search function, the same way for every engine.

Each query of the log is sent once a round (after warm-up queries that are not in the log),
its time and its answer recorded; "did you mean" is timed apart, on misspelled words, with
and without the suggestion.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from bench.fts5 import percentiles

MISSPELLED = ["wheet", "inflasion", "bundesbnk", "copperr", "Taiyaun", "dividned", "unemploymnt", "soybeens"]


def request(q: dict[str, Any], **extra: Any) -> Any:
    """The SearchRequest of one logged query."""
    from search_app.models import SearchRequest

    return SearchRequest(q=q["q"], cities=tuple(q["cities"]), sources=tuple(q.get("sources", ())), sort=q["sort"],
                         date_from=dt.date.fromisoformat(q["date_from"]) if q["date_from"] else None,
                         date_to=dt.date.fromisoformat(q["date_to"]) if q["date_to"] else None, **extra)


def answer(response: Any) -> dict[str, Any]:
    """What is compared between engines: total, top ids, city counts."""
    return {"total": response["total"], "top_ids": [x["id"] for x in response["results"]],
            "cities_counts": {v["value"]: v["count"] for v in response["facets"]["city"] if v["count"]}}


def time_queries(search: Callable[[Any], Any], log: Sequence[dict[str, Any]], warmup: Sequence[dict[str, Any]],
                 rounds: int) -> dict[str, Any]:
    """Warm up, then every logged query once per round: latency samples and the first round's answers."""
    for q in warmup:
        search(request(q))
    samples: list[float] = []
    per_query: list[list[float]] = [[] for _ in log]
    answers: list[dict[str, Any]] = []
    for round_number in range(rounds):
        for i, q in enumerate(log):
            started = time.perf_counter()
            response = search(request(q))
            ms = (time.perf_counter() - started) * 1000
            samples.append(ms)
            per_query[i].append(ms)
            if round_number == 0:
                answers.append(answer(response))
    for a, times in zip(answers, per_query):
        a["median_ms"] = round(sorted(times)[len(times) // 2], 3)
    return {"samples": samples, "answers": answers}


def suggest_cost(search: Callable[[Any], Any], rounds: int) -> dict[str, Any]:
    """The cost of "did you mean": the same misspelled word searched with and without it."""
    blank = {"cities": [], "sources": [], "sort": "relevance", "date_from": None, "date_to": None}
    with_s, without_s, found = [], [], 0
    for word in MISSPELLED:
        q = {"q": word, **blank}
        found += bool(search(request(q))["suggestion"])
        for _ in range(rounds):
            started = time.perf_counter()
            search(request(q))
            with_s.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            search(request(q, suggest=False))
            without_s.append((time.perf_counter() - started) * 1000)
    extra = [w - wo for w, wo in zip(with_s, without_s)]
    return {**percentiles(with_s), "extra_p50_ms": percentiles(extra)["p50_ms"], "found": found, "of": len(MISSPELLED)}


def query_string(q: dict[str, Any]) -> str:
    """The /api/search address of one logged query."""
    pairs: list[tuple[str, str]] = [("q", q["q"]), ("sort", q["sort"])]
    pairs += [("city", c) for c in q["cities"]]
    pairs += [("source", s) for s in q.get("sources", ())]
    if q["date_from"]:
        pairs.append(("from", q["date_from"]))
    if q["date_to"]:
        pairs.append(("to", q["date_to"]))
    return "/api/search?" + urlencode(pairs)


def by_kind(log: Sequence[dict[str, Any]], answers: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Median latency per kind of query (words, phrase, misspelled, or, not, prefix)."""
    kinds: dict[str, list[float]] = {}
    for q, a in zip(log, answers):
        kinds.setdefault(q["kind"], []).append(a["median_ms"])
    return {kind: {"queries": len(ms), "p50_ms": percentiles(ms)["p50_ms"], "p95_ms": percentiles(ms)["p95_ms"]}
            for kind, ms in sorted(kinds.items())}
