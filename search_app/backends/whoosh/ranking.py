"""Relevance: which query terms add to a document's score, and BM25F over their posting lists.

BM25F here is the form of Robertson, Zaragoza and Taylor ("Simple BM25 extension to multiple
weighted fields", 2004): a word's occurrences in the title and the body are each normalised by
that field's own length, weighted, summed into one frequency, saturated once with K1 and
multiplied by one IDF taken over whole articles. A word in the title therefore counts like a
couple of extra occurrences of it, not as a second, independently saturated match with an IDF
of its own (which is what Whoosh's per-field scores add up to: a three-line table with the word
in its headline outscored articles about the topic).

A word typed twice counts twice, as in Lucene and most BM25 engines. Other scored fields (the
byline) add Whoosh's per-field BM25; unscored ones (a city tag) add their posting weight.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from whoosh import query as wq

from search_app.backends.whoosh.columns import DocMask, top_k
from search_app.query.bm25 import FIELD_WEIGHT, K1, TEXT_FIELDS, idf

# Neighbouring words of a description that stand together in an article count again at this weight:
# the proportion of the sequential dependence model's standard weights (Metzler and Croft, 2005:
# 0.85 for single words, 0.15 for pairs of neighbours).
PAIR_WEIGHT = 0.2

Postings = tuple[np.ndarray, np.ndarray]  # doc ids (ascending) and weights
Scored = tuple[wq.Term, "wq.Phrase | None"]  # a term that adds to the score, and the phrase it must stand in


def scorable_terms(q: wq.Query, inside_or: bool = False) -> list[Scored] | None:
    """The terms whose matches add to a document's score, or None when the query needs Whoosh's matchers.

    Every term found in a matching document counts, which equals Whoosh's sum only while no AND sits
    under an OR (there, "rail" in a document without "prices" must not count for "steel OR (rail prices)").
    A phrase's words count only in the documents where they form the phrase. A term listed twice
    (a repeated query word) is returned twice.
    """
    if isinstance(q, wq.Term):
        return [(q, None)]
    if isinstance(q, wq.Phrase):
        return [(wq.Term(q.fieldname, w, boost=q.boost), q) for w in q.words] if q.slop == 1 else None
    if isinstance(q, wq.Or):
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


def pair_terms(pairs: list[list[str]]) -> list[Scored]:
    """Scored terms that add PAIR_WEIGHT of each pair's words where they stand together (title or body)."""
    out: list[Scored] = []
    for words in pairs:
        if len(words) < 2:
            continue
        for name in TEXT_FIELDS:
            phrase = wq.Phrase(name, words)
            out.extend((wq.Term(name, word, boost=PAIR_WEIGHT), phrase) for word in words)
    return out


@dataclass
class _Word:
    """One analysed query word, plain or as a word of a phrase, and the text fields it is looked for in."""

    text: str
    weights: dict[str, float] = field(default_factory=dict)  # field -> summed boosts of its terms there
    phrases: dict[str, wq.Phrase] = field(default_factory=dict)  # field -> the phrase it must stand in there

    @property
    def weight(self) -> float:
        """The word's weight in the query: a word typed twice counts twice (boosts add up)."""
        return max(self.weights.values())


def _group(terms: list[Scored]) -> tuple[list[_Word], list[tuple[wq.Term, wq.Phrase | None, float]]]:
    """Title/body terms grouped into words (by text, and by phrase words for a phrase); other terms with summed boosts."""
    words: dict[tuple[Any, Any], _Word] = {}
    others: dict[tuple[Any, ...], tuple[wq.Term, wq.Phrase | None, float]] = {}
    for term, phrase in terms:
        if term.fieldname in FIELD_WEIGHT:
            key = (term.text, tuple(phrase.words) if phrase is not None else None)
            word = words.setdefault(key, _Word(term.text))
            word.weights[term.fieldname] = word.weights.get(term.fieldname, 0.0) + term.boost
            if phrase is not None:
                word.phrases[term.fieldname] = phrase
        else:
            other = (term.fieldname, term.text, (phrase.fieldname, tuple(phrase.words)) if phrase is not None else None)
            previous = others.get(other)
            others[other] = (term, phrase, (previous[2] if previous else 0.0) + term.boost)
    return list(words.values()), list(others.values())


def length_norms(lengths: np.ndarray, average: float, b: float) -> np.ndarray:
    """Per document, 1 - b + b * length / average: BM25's divisor of a field's term frequency."""
    average = average or 1.0
    return 1 - b + b * np.asarray(lengths, np.float64) / average


def rank(
    searcher: Any,
    terms: list[Scored],
    matched: DocMask,
    wanted: int,
    postings: Callable[[str, Any], Postings],
    norms: Callable[[str], np.ndarray],
    deadline: float = float("inf"),
    gate: Callable[[wq.Phrase], DocMask] | None = None,
    tiebreak: np.ndarray | None = None,
) -> tuple[list[tuple[int, float]], bool]:
    """The best `wanted` of the matched documents by BM25F, best first; timed out?

    Scores are summed in an array with an entry per document, a word at a time: each field's
    posting list adds its length-normalised counts into the word's frequency array, which is
    saturated and added for the documents that hold it (the same operations, in the same order,
    as a sum taken document by document). Equal scores go by `tiebreak` (ascending, e.g. newest
    first), then doc id. Past the deadline the remaining words are not scored: the answer is
    partial and says so."""
    size = len(matched)
    scores = np.zeros(size)
    words, others = _group(terms)
    doc_count = searcher.doc_count_all()
    schema = searcher.schema
    timed_out = False
    for word in words:
        if time.perf_counter() > deadline:
            timed_out = True
            break
        found = {name: postings(name, word.text) for name in word.weights}
        present = [ids for ids, _w in found.values() if len(ids)]
        if not present:
            continue
        # Articles with the word: the most of any field, as Lucene's combined-field query counts them
        # (the exact union costs a pass over both lists per word and differs by the odd headline-only item).
        doc_freq = max(len(ids) for ids in present)
        frequency = np.zeros(size)
        holders = np.zeros(size, bool)
        for name, (ids, weights) in found.items():
            # A phrase's words score only where the phrase stands (in that field); elsewhere they are plain text.
            phrase = word.phrases.get(name)
            allowed = matched if phrase is None or gate is None else matched & gate(phrase)
            keep = allowed[ids]
            ids = ids[keep]
            # Postings carry Whoosh's field boost in their weights: divide it out to get the count.
            scale = FIELD_WEIGHT[name] / (schema[name].format.field_boost or 1.0)
            frequency[ids] += scale * weights[keep].astype(np.float64) / norms(name)[ids]
            holders[ids] = True
        factor = word.weight * idf(doc_count, doc_freq) * (K1 + 1)
        held = np.flatnonzero(holders)
        tf = frequency[held]
        scores[held] += factor * tf / (tf + K1)
    if not timed_out:
        _score_others(searcher, others, scores, matched, postings, gate)
    candidates = np.flatnonzero(matched if not timed_out else matched & (scores > 0))
    keys = [-scores[candidates]] + ([tiebreak[candidates]] if tiebreak is not None else [])
    best = top_k(candidates, wanted, *keys)
    return [(int(d), float(scores[d])) for d in best], timed_out


def _score_others(searcher: Any, others: list[tuple[wq.Term, wq.Phrase | None, float]], scores: np.ndarray,
                  matched: DocMask, postings: Callable[[str, Any], Postings],
                  gate: Callable[[wq.Phrase], DocMask] | None) -> None:
    """Add the byline's per-field BM25 and the city tag's weight, as Whoosh scores those fields."""
    weighting, reader = searcher.weighting, searcher.reader()
    for term, phrase, boost in others:
        ids, weights = postings(term.fieldname, term.text)
        if not len(ids):
            continue
        allowed = matched if phrase is None or gate is None else matched & gate(phrase)
        keep = allowed[ids]
        ids, weights = ids[keep], weights[keep]
        scorer = weighting.scorer(searcher, term.fieldname, term.text)
        if hasattr(scorer, "_score"):  # a scored field: depends on the weight and the field's length
            score_of, length_of, name = scorer._score, reader.doc_field_length, term.fieldname
            for docnum, weight in zip(ids.tolist(), weights.tolist()):
                scores[docnum] += score_of(weight, length_of(docnum, name, 1)) * boost
        else:  # an unscored field (city): the posting's weight, as Whoosh's WeightScorer gives
            scores[ids] += weights.astype(np.float64) * boost
