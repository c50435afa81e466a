"""Posting lists read a block at a time, and BM25F ranking computed from them.

Whoosh walks postings one document at a time through layers of Python matcher objects;
for the common queries (words, OR, NOT, city terms, prefixes) reading each term's blocks
straight into lists and summing the same BM25F formula over them gives the same scores
several times faster. Queries with phrases or relaxed scoring still use Whoosh's matchers.
"""

from __future__ import annotations

import heapq
import time
from typing import Any, Callable

from whoosh import query as wq
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound

Postings = tuple[list[int], list[float]]


def read_postings(reader: Any, fieldname: str, text: Any) -> Postings:
    """(doc ids, weights) of a term across every segment, deleted documents included."""
    ids: list[int] = []
    weights: list[float] = []
    for segment, offset in reader.leaf_readers():
        try:
            matcher = segment.postings(fieldname, text)
        except (TermNotFound, KeyError, ValueError):  # not in this segment
            continue
        if isinstance(matcher, FilterMatcher):  # the deletion filter: callers drop deleted ids themselves
            matcher = matcher.child
        if not hasattr(matcher, "_read_ids"):  # not Whoosh's block format: the slow, general way
            for docnum, weight in matcher.items_as("weight"):
                ids.append(offset + docnum)
                weights.append(weight)
            continue
        # Whoosh 3 codec internals (pinned version): one block of ids and weights at a time.
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.extend(offset + d for d in matcher._ids)
            weights.extend(matcher._weights)
            matcher._next_block()
    return ids, weights


def scorable_terms(q: wq.Query, inside_or: bool = False) -> list[wq.Term] | None:
    """The terms whose matches add to a document's score, or None when the query needs Whoosh's matchers.

    Every term found in a matching document counts, which equals Whoosh's sum only while no AND sits
    under an OR (there, "rail" in a document without "prices" must not count for "steel OR (rail prices)").
    """
    if isinstance(q, wq.Term):
        return [q]
    if isinstance(q, wq.Or):
        if q.scale:  # the relaxed query's coordination bonus
            return None
        return _all_scorable(q.subqueries, inside_or=True)
    if isinstance(q, wq.And):
        return None if inside_or else _all_scorable(q.subqueries, inside_or=False)
    if isinstance(q, wq.AndNot):
        return None if inside_or or scorable_terms(q.b) is None else scorable_terms(q.a)
    if isinstance(q, wq.Not):
        return [] if scorable_terms(q.query) is not None else None
    if isinstance(q, wq.Every) or q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
        return []
    return None


def _all_scorable(children: list[wq.Query], inside_or: bool) -> list[wq.Term] | None:
    terms: list[wq.Term] = []
    for child in children:
        found = scorable_terms(child, inside_or)
        if found is None:
            return None
        terms.extend(found)
    return terms


def rank(
    searcher: Any,
    terms: list[wq.Term],
    matched: frozenset[int],
    wanted: int,
    postings: Callable[[str, Any], Postings],
    lengths: Callable[[str], list[int]],
    deadline: float = float("inf"),
) -> tuple[list[tuple[int, float]], bool]:
    """The best `wanted` of the matched documents with Whoosh's BM25F scores, in Whoosh's order; timed out?

    Past the deadline the remaining terms are not scored: the answer is partial and says so."""
    scores = dict.fromkeys(matched, 0.0)
    weighting = searcher.weighting
    timed_out = False
    for term in terms:
        if time.perf_counter() > deadline:
            timed_out = True
            break
        ids, weights = postings(term.fieldname, term.text)
        if not ids:
            continue
        scorer = weighting.scorer(searcher, term.fieldname, term.text)
        boost = term.boost
        if hasattr(scorer, "_score"):  # BM25F: depends on the weight and the field's length
            score_of, field_len = scorer._score, lengths(term.fieldname)
            for docnum, weight in zip(ids, weights):
                if docnum in scores:
                    scores[docnum] += score_of(weight, field_len[docnum]) * boost
        else:  # an unscored field (city): the posting's weight, as Whoosh's WeightScorer gives
            for docnum, weight in zip(ids, weights):
                if docnum in scores:
                    scores[docnum] += weight * boost
    candidates = scores.items() if not timed_out else [(d, s) for d, s in scores.items() if s > 0]
    # As Whoosh's top collector: higher scores first, and the lower doc id first among equal scores.
    best = heapq.nlargest(wanted, candidates, key=lambda item: (item[1], -item[0]))
    return best, timed_out
