"""Posting lists and positions, read from the flat side files or Whoosh's blocks, and BM25F ranking on them.

Whoosh walks postings one document at a time through layers of Python matcher objects;
for the common queries (words, OR, NOT, city terms, prefixes, exact phrases) reading each
word's postings whole (from its segment's flat side file, see flat.py, else Whoosh's blocks a
block at a time) and summing the same BM25F formula over them gives the same scores several
times faster. Sloppy phrases and relaxed scoring still use Whoosh's matchers.
"""

from __future__ import annotations

import heapq
import time
from typing import Any, Callable, Iterator, Mapping, Sequence

from whoosh import query as wq

from .blocks import blocks, leaf_postings
from .flat import FIELDS as FLAT_FIELDS
from .flat import FlatPostings

Postings = tuple[list[int], list[float]]


def segment_blocks(segment: Any, fieldname: str, text: Any) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """(segment-local ids, weights) of a word, one Whoosh block at a time; nothing if the word is absent."""
    matcher = leaf_postings(segment, fieldname, text)
    if matcher is not None:
        for block in blocks(matcher):
            yield block.ids, block.weights


def read_postings(reader: Any, fieldname: str, text: Any, flat: Mapping[str, FlatPostings] | None = None) -> Postings:
    """(doc ids, weights) of a term across every segment, deleted documents included.

    A segment with flat postings (see flat.py) is read from them; others from Whoosh's blocks."""
    ids: list[int] = []
    weights: list[float] = []
    for segment, offset in reader.leaf_readers():
        side = flat.get(segment.segment().segment_id()) if flat and fieldname in FLAT_FIELDS else None
        if side is not None:
            found = side.get(fieldname, text)
            if found is not None:
                ids.extend(map(offset.__add__, found[0]) if offset else found[0])
                weights.extend(found[1])
            continue
        for block_ids, block_weights in segment_blocks(segment, fieldname, text):
            ids.extend(map(offset.__add__, block_ids) if offset else block_ids)
            weights.extend(block_weights)
    return ids, weights


def read_positions(reader: Any, fieldname: str, text: Any, wanted: frozenset[int],
                   flat: Mapping[str, FlatPostings] | None = None) -> dict[int, Sequence[int]]:
    """Word positions of a term in the wanted documents only (position lists are decoded for those alone)."""
    found: dict[int, Sequence[int]] = {}
    for segment, offset in reader.leaf_readers():
        side = flat.get(segment.segment().segment_id()) if flat and fieldname in FLAT_FIELDS else None
        if side is not None:
            end = offset + segment.doc_count_all()
            local = [d - offset for d in wanted if offset <= d < end]
            for docnum, positions in side.positions(fieldname, text, local).items():
                found[offset + docnum] = positions
            continue
        found.update(segment_positions(segment, offset, fieldname, text, wanted))
    return found


def segment_positions(segment: Any, offset: int, fieldname: str, text: Any, wanted: frozenset[int]) -> dict[int, list[int]]:
    """Positions of a word in the wanted documents of one segment, from Whoosh's blocks (those holding them only)."""
    found: dict[int, list[int]] = {}
    matcher = leaf_postings(segment, fieldname, text)
    if matcher is None:
        return found
    for block in blocks(matcher):
        for i, docnum in enumerate(block.ids):
            if offset + docnum in wanted:
                found[offset + docnum] = list(block.positions(i))
    return found


def phrase_docs(reader: Any, q: wq.Phrase, candidates: frozenset[int],
                flat: Mapping[str, FlatPostings] | None = None) -> frozenset[int]:
    """The candidates (documents holding every word) in which the words stand next to each other, in order."""
    if not candidates or not q.words:
        return frozenset()
    if q.slop != 1:  # only exact phrases here; others go through Whoosh
        raise ValueError("sloppy phrase")
    positions = [read_positions(reader, q.fieldname, word, candidates, flat) for word in q.words]
    hits = []
    for docnum in candidates:
        lists = [p.get(docnum) or () for p in positions]
        if not all(lists):
            continue
        later = [set(p) for p in lists[1:]]
        if any(all(start + k + 1 in later[k] for k in range(len(later))) for start in lists[0]):
            hits.append(docnum)
    return frozenset(hits)


Scored = tuple[wq.Term, "wq.Phrase | None"]  # a term that adds to the score, and the phrase it must stand in


def scorable_terms(q: wq.Query, inside_or: bool = False) -> list[Scored] | None:
    """The terms whose matches add to a document's score, or None when the query needs Whoosh's matchers.

    Every term found in a matching document counts, which equals Whoosh's sum only while no AND sits
    under an OR (there, "rail" in a document without "prices" must not count for "steel OR (rail prices)").
    A phrase's words count only in the documents where they form the phrase.
    """
    if isinstance(q, wq.Term):
        return [(q, None)]
    if isinstance(q, wq.Phrase):
        # Whoosh scores a phrase match as the sum of its words' scores in that field.
        return [(wq.Term(q.fieldname, w, boost=q.boost), q) for w in q.words] if q.slop == 1 else None
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


def _all_scorable(children: Sequence[wq.Query], inside_or: bool) -> list[Scored] | None:
    terms: list[Scored] = []
    for child in children:
        found = scorable_terms(child, inside_or)
        if found is None:
            return None
        terms.extend(found)
    return terms


def rank(
    searcher: Any,
    terms: list[Scored],
    matched: frozenset[int],
    wanted: int,
    postings: Callable[[str, Any], Postings],
    lengths: Callable[[str], list[int]],
    deadline: float = float("inf"),
    gate: Callable[[wq.Phrase], frozenset[int]] | None = None,
) -> tuple[list[tuple[int, float]], bool]:
    """The best `wanted` of the matched documents with Whoosh's BM25F scores, in Whoosh's order; timed out?

    Past the deadline the remaining terms are not scored: the answer is partial and says so."""
    scores = dict.fromkeys(matched, 0.0)
    weighting = searcher.weighting
    timed_out = False
    for term, phrase in terms:
        if time.perf_counter() > deadline:
            timed_out = True
            break
        ids, weights = postings(term.fieldname, term.text)
        if not ids:
            continue
        # A phrase's words score only where the phrase stands; elsewhere they are plain text.
        allowed = scores if phrase is None or gate is None else {d: 0.0 for d in gate(phrase) if d in scores}
        scorer = weighting.scorer(searcher, term.fieldname, term.text)
        boost = term.boost
        if hasattr(scorer, "_score"):  # BM25F: depends on the weight and the field's length
            score_of, field_len = scorer._score, lengths(term.fieldname)
            for docnum, weight in zip(ids, weights):
                if docnum in allowed:
                    scores[docnum] += score_of(weight, field_len[docnum]) * boost
        else:  # an unscored field (city): the posting's weight, as Whoosh's WeightScorer gives
            for docnum, weight in zip(ids, weights):
                if docnum in allowed:
                    scores[docnum] += weight * boost
    candidates = scores.items() if not timed_out else [(d, s) for d, s in scores.items() if s > 0]
    # As Whoosh's top collector: higher scores first, and the lower doc id first among equal scores.
    best = heapq.nlargest(wanted, candidates, key=lambda item: (item[1], -item[0]))
    return best, timed_out
