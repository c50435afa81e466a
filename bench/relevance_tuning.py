"""The ranking's constants and decisions checked on every collection: ablations, sweeps, split halves, leave-one-out.

Each collection is built once at the current constants. A constant read at query time (K1, the
title's weight, the pair weight, the description threshold) is set, the queries asked again, and
set back. B is read when the index is built (each field's length norms are computed then and stored
with the generation, docvalues.npz): for each value of B every collection is built again, so a B
row measures that B.

A constant is chosen on the mean nDCG@10 over the collections (each counting once; ADI, a smoke
test by its README, never chooses) and checked leave-one-collection-out: the value the other
collections prefer, scored on the one left out beside the current value.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.relevance_collections import SMOKE_TESTS, Collection  # noqa: E402
from bench.relevance_systems import ap_at, ask_search_app, build_index, judged_order, ndcg_at, per_query  # noqa: E402
from search_app.backends.whoosh import feedback, ranking  # noqa: E402
from search_app.backends.whoosh.backend import WhooshBackend  # noqa: E402
from search_app.query import bm25, plan  # noqa: E402

Scores = tuple[list[float], list[float]]  # per judged query (judged_order): nDCG@10, AP@100
Sweep = dict[float, dict[str, Scores]]  # value -> collection -> scores


@dataclass(frozen=True)
class Constant:
    """A ranking constant, the values the checks try (the current one first), and how to set it."""

    label: str
    values: list[float]
    set: Callable[[float], None]
    at_build: bool = False  # read when the index is built: each value needs a build of its own


CONSTANTS: dict[str, Constant] = {
    "K1": Constant("K1", [ranking.K1, 0.6, 0.9, 1.2, 1.5, 2.0], lambda v: setattr(ranking, "K1", v)),
    "B": Constant("B (title and body)", [bm25.FIELD_B["body"], 0.2, 0.3, 0.5, 0.6, 0.75, 0.9],
                  lambda v: bm25.FIELD_B.update(title=v, body=v), at_build=True),
    "TITLE_WEIGHT": Constant("title weight", [bm25.FIELD_WEIGHT["title"], 1.0, 1.5, 3.0, 4.0],
                             lambda v: bm25.FIELD_WEIGHT.update(title=v)),
    "PAIR_WEIGHT": Constant("PAIR_WEIGHT", [ranking.PAIR_WEIGHT, 0.0, 0.1, 0.3, 0.5],
                            lambda v: setattr(ranking, "PAIR_WEIGHT", v)),
    "DESCRIPTION_WORDS": Constant("DESCRIPTION_WORDS", [plan.DESCRIPTION_WORDS, 3, 4, 6, 8, 100],
                                  lambda v: setattr(plan, "DESCRIPTION_WORDS", int(v))),
}


def constant(name: str) -> Constant:
    """A constant by its name in CONSTANTS, in any case."""
    found = {key.lower(): value for key, value in CONSTANTS.items()}.get(name.lower())
    if found is None:
        raise SystemExit(f"No constant {name!r}: choose from {', '.join(CONSTANTS)}.")
    return found


def _once_each(group: Callable[..., Any]) -> Callable[..., Any]:
    def grouped(terms: Any) -> Any:
        words, others = group(terms)
        for word in words:
            word.weights = {name: min(weight, 1.0) for name, weight in word.weights.items()}
        return words, others
    return grouped


_GROUP, _REQUEST_WORDS, _DESCRIPTION_WORDS = ranking._group, plan.REQUEST_WORDS, plan.DESCRIPTION_WORDS
_PAIR_WEIGHT, _K1, _FIELD_B = ranking.PAIR_WEIGHT, ranking.K1, dict(bm25.FIELD_B)


def _textbook(on: bool) -> None:
    ranking.K1 = 1.2 if on else _K1
    bm25.FIELD_B.update(dict.fromkeys(_FIELD_B, 0.75) if on else _FIELD_B)


# Each ranking decision undone alone: (what, undo, redo, read at build time).
ABLATIONS: list[tuple[str, Callable[[], None], Callable[[], None], bool]] = [
    ("a repeated word counted once", lambda: setattr(ranking, "_group", _once_each(_GROUP)),
     lambda: setattr(ranking, "_group", _GROUP), False),
    ("request words kept in descriptions", lambda: setattr(plan, "REQUEST_WORDS", frozenset()),
     lambda: setattr(plan, "REQUEST_WORDS", _REQUEST_WORDS), False),
    ("no descriptions: every query first with all its words", lambda: setattr(plan, "DESCRIPTION_WORDS", 10**6),
     lambda: setattr(plan, "DESCRIPTION_WORDS", _DESCRIPTION_WORDS), False),
    ("no neighbouring pairs", lambda: setattr(ranking, "PAIR_WEIGHT", 0.0),
     lambda: setattr(ranking, "PAIR_WEIGHT", _PAIR_WEIGHT), False),
    ("no pseudo-relevance feedback (descriptions)", lambda: setattr(feedback, "ENABLED", False),
     lambda: setattr(feedback, "ENABLED", True), False),
    ("textbook K1 1.2, B 0.75", lambda: _textbook(True), lambda: _textbook(False), True),
]


@dataclass
class Built:
    """A collection, its article files and an index of them built at the current constants."""

    coll: Collection
    seeds: Path
    backend: WhooshBackend


def scores(coll: Collection, backend: WhooshBackend) -> Scores:
    """Every judged query's nDCG@10 and AP@100 through backend.search."""
    runs, _took = ask_search_app(coll, backend)
    return per_query(runs, coll.qrels, ndcg_at), per_query(runs, coll.qrels, ap_at)


@contextmanager
def _switched(switch: Callable[[], None], back: Callable[[], None]) -> Iterator[None]:
    switch()
    try:
        yield
    finally:
        back()


def _scores_now(built: Built, rebuild: bool) -> Scores:
    """Scores with the constants as now set; first a build of its own when one of them is read at build time."""
    if not rebuild:
        return scores(built.coll, built.backend)
    backend, _seconds = build_index(built.seeds, built.seeds.parent / "index-rebuilt", len(built.coll.docs))
    try:
        return scores(built.coll, backend)
    finally:
        backend.close()


def sweep(collections: list[Built], const: Constant) -> Sweep:
    """Every collection's scores at each of the constant's values (set back to the current one after each)."""
    current = const.values[0]
    found: Sweep = {}
    for value in dict.fromkeys(const.values):
        const.set(value)
        try:
            found[value] = {b.coll.name: _scores_now(b, const.at_build and value != current) for b in collections}
        finally:
            const.set(current)
        print(f"  {const.label} = {value:g}: done", file=sys.stderr)
    return found


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def choosers(names: list[str]) -> list[str]:
    """The collections that may choose a constant: all but the smoke tests."""
    return [n for n in names if n not in SMOKE_TESTS]


def ablation_table(collections: list[Built]) -> str:
    """nDCG@10 / MAP@100 per collection with each ranking decision undone alone, beside the full system."""
    names = [b.coll.name for b in collections]
    full = {b.coll.name: scores(b.coll, b.backend) for b in collections}
    rows = [("(nothing: the full system)", full)]
    for label, undo, redo, at_build in ABLATIONS:
        with _switched(undo, redo):
            rows.append((label, {b.coll.name: _scores_now(b, at_build) for b in collections}))
    pool = choosers(names)
    head = f"mean of {len(pool)}" + (f" (no {', '.join(sorted(set(names) - set(pool)))})" if len(pool) < len(names) else "")
    lines = ["| ranking without | " + " | ".join(names) + f" | {head} |", "|---|" + "---:|" * (len(names) + 1)]
    base = _means(full, pool)
    for label, by_name in rows:
        cells = [_pair(by_name[n], full[n], by_name is full) for n in names]
        ndcg, ap = _means(by_name, pool)
        cells.append(f"{ndcg:.3f} / {ap:.3f}" + ("" if by_name is full else f" ({ndcg - base[0]:+.3f} / {ap - base[1]:+.3f})"))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _pair(these: Scores, full: Scores, is_full: bool) -> str:
    ndcg, ap = _mean(these[0]), _mean(these[1])
    if is_full:
        return f"{ndcg:.3f} / {ap:.3f}"
    return f"{ndcg - _mean(full[0]):+.3f} / {ap - _mean(full[1]):+.3f}"


def _means(by_name: dict[str, Scores], names: list[str]) -> tuple[float, float]:
    """Mean over the collections (each counting once) of each one's mean nDCG@10 and MAP@100."""
    return _mean([_mean(by_name[n][0]) for n in names]), _mean([_mean(by_name[n][1]) for n in names])


def sweep_table(const: Constant, found: Sweep) -> str:
    """nDCG@10 / MAP@100 per collection at each value, and their mean over the choosing collections."""
    names = list(next(iter(found.values())))
    pool = choosers(names)
    lines = [f"| {const.label} | " + " | ".join(names) + f" | mean of {len(pool)} |", "|---:|" + "---:|" * (len(names) + 1)]
    for value, by_name in found.items():
        cells = [f"{_mean(by_name[n][0]):.3f} / {_mean(by_name[n][1]):.3f}" for n in names]
        ndcg, ap = _means(by_name, pool)
        mark = " (current)" if value == const.values[0] else ""
        lines.append(f"| {value:g}{mark} | " + " | ".join(cells) + f" | {ndcg:.3f} / {ap:.3f} |")
    return "\n".join(lines)


def split_half_table(const: Constant, found: Sweep, collections: list[Collection]) -> str:
    """Per collection: the value each half of its queries prefers, its nDCG@10 on the other half (the current value's)."""
    current = const.values[0]
    lines = [f"| {const.label}: collection | best on half A → nDCG@10 on B (current: B) | "
             "best on half B → nDCG@10 on A (current: A) |", "|---|---:|---:|"]
    for coll in collections:
        count = len(judged_order(coll.qrels))
        halves = (list(range(0, count, 2)), list(range(1, count, 2)))  # queries alternately in halves A and B
        on = {v: [_mean([by_name[coll.name][0][i] for i in half]) for half in halves] for v, by_name in found.items()}
        cells = []
        for fit, test in ((0, 1), (1, 0)):
            best = max(on, key=lambda v: (on[v][fit], v == current))
            cells.append(f"{best:g} → {on[best][test]:.3f} ({on[current][test]:.3f})")
        lines.append(f"| {coll.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def choose(found: Sweep, pool: list[str], current: float) -> float:
    """The value with the best mean nDCG@10 over the pool's collections (each counting once); ties keep the current one."""
    return max(found, key=lambda v: (_mean([_mean(found[v][n][0]) for n in pool]), v == current))


def leave_one_out_table(const: Constant, found: Sweep) -> str:
    """For each collection left out: the value the others choose, and its nDCG@10 and MAP@100 there beside the current value's."""
    current = const.values[0]
    names = list(next(iter(found.values())))
    lines = [f"| {const.label}: held out | chosen on | value chosen | nDCG@10 with it (current {current:g}) | "
             "MAP@100 with it (current) |", "|---|---|---:|---:|---:|"]
    for held in names:
        pool = [n for n in choosers(names) if n != held]
        value = choose(found, pool, current)
        got, now = found[value][held], found[current][held]
        lines.append(f"| {held} | {', '.join(pool)} | {value:g} | {_mean(got[0]):.3f} ({_mean(now[0]):.3f}) | "
                     f"{_mean(got[1]):.3f} ({_mean(now[1]):.3f}) |")
    everyone = choosers(names)
    lines.append(f"| (none: chosen on all {len(everyone)}) | {', '.join(everyone)} | {choose(found, everyone, current):g} | | |")
    return "\n".join(lines)
