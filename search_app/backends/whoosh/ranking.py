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
from collections.abc import Callable
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
Gates = tuple[wq.Query, ...]  # the parts of a query a term's document must match for the term to count there
Scored = tuple[wq.Term, Gates]  # a term that adds to the score, and its gates


def scorable_terms(q: wq.Query, gates: Gates = (), inside_or: bool = False) -> list[Scored]:
    """The terms whose matches add to a document's score, each with the parts of the query it counts within.

    A matching document's score sums its terms, but a term under an AND (or an exclusion) that sits
    inside an OR counts only where that whole AND matches: "rail" in a document without "prices"
    adds nothing for "steel OR (rail prices)". Likewise a phrase's words count only in the documents
    where they form the phrase. A term listed twice (a repeated query word) is returned twice.
    """
    if isinstance(q, wq.Term):
        return [(q, gates)]
    if isinstance(q, wq.Phrase):
        return [(wq.Term(q.fieldname, w, boost=q.boost), (*gates, q)) for w in q.words]
    if isinstance(q, wq.Or):
        return [scored for child in q.subqueries for scored in scorable_terms(child, gates, inside_or=True)]
    if isinstance(q, wq.And):
        inner = (*gates, q) if inside_or else gates
        return [scored for child in q.subqueries for scored in scorable_terms(child, inner)]
    if isinstance(q, wq.AndNot):  # the excluded part's words score nothing
        return scorable_terms(q.a, (*gates, q) if inside_or else gates)
    return []  # NOT, every document, nothing: no word to score


def pair_terms(pairs: list[list[str]]) -> list[Scored]:
    """Scored terms that add PAIR_WEIGHT of each pair's words where they stand together (title or body)."""
    out: list[Scored] = []
    for words in pairs:
        if len(words) < 2:
            continue
        for name in TEXT_FIELDS:
            phrase = wq.Phrase(name, words)
            out.extend((wq.Term(name, word, boost=PAIR_WEIGHT), (phrase,)) for word in words)
    return out


def _shape(gates: Gates) -> tuple[Any, ...]:
    """Gates with each phrase by its words alone: a word's title and body matches in one phrase are one word."""
    return tuple(("phrase", tuple(g.words)) if isinstance(g, wq.Phrase) else g for g in gates)


@dataclass
class _Word:
    """One analysed query word within its gates, and the text fields it is looked for in."""

    text: str
    weights: dict[str, float] = field(default_factory=dict)  # field -> summed boosts of its terms there
    gates: dict[str, Gates] = field(default_factory=dict)  # field -> what must match for it to count there

    @property
    def weight(self) -> float:
        """The word's weight in the query: a word typed twice counts twice (boosts add up)."""
        return max(self.weights.values())


def _group(terms: list[Scored]) -> tuple[list[_Word], list[tuple[wq.Term, Gates, float]]]:
    """Title/body terms grouped into words (by text and gates); other terms with summed boosts."""
    words: dict[tuple[Any, Any], _Word] = {}
    others: dict[tuple[Any, ...], tuple[wq.Term, Gates, float]] = {}
    for term, gates in terms:
        if term.fieldname in FIELD_WEIGHT:
            word = words.setdefault((term.text, _shape(gates)), _Word(term.text))
            word.weights[term.fieldname] = word.weights.get(term.fieldname, 0.0) + term.boost
            word.gates[term.fieldname] = gates
        else:
            other = (term.fieldname, term.text, gates)
            previous = others.get(other)
            others[other] = (term, gates, (previous[2] if previous else 0.0) + term.boost)
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
    gate: Callable[[wq.Query], DocMask] | None = None,
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
            # A word under a phrase or an AND within an OR counts only where those match (in that field).
            allowed = _within(matched, word.gates.get(name, ()), gate)
            keep = allowed[ids]
            ids = ids[keep]
            # The flat files' weights are the word's counts.
            frequency[ids] += FIELD_WEIGHT[name] * weights[keep].astype(np.float64) / norms(name)[ids]
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


def _within(matched: DocMask, gates: Gates, gate: Callable[[wq.Query], DocMask] | None) -> DocMask:
    """The matched documents that also match each gate."""
    if not gates or gate is None:
        return matched
    allowed = matched
    for part in gates:
        allowed = allowed & gate(part)
    return allowed


def _score_others(searcher: Any, others: list[tuple[wq.Term, Gates, float]], scores: np.ndarray,
                  matched: DocMask, postings: Callable[[str, Any], Postings],
                  gate: Callable[[wq.Query], DocMask] | None) -> None:
    """Add the byline's per-field BM25 and the city tag's weight, as Whoosh scores those fields."""
    weighting, reader = searcher.weighting, searcher.reader()
    for term, gates, boost in others:
        ids, weights = postings(term.fieldname, term.text)
        if not len(ids):
            continue
        keep = _within(matched, gates, gate)[ids]
        ids, weights = ids[keep], weights[keep]
        scorer = weighting.scorer(searcher, term.fieldname, term.text)
        if hasattr(scorer, "_score"):  # a scored field: depends on the weight and the field's length
            score_of, length_of, name = scorer._score, reader.doc_field_length, term.fieldname
            for docnum, weight in zip(ids.tolist(), weights.tolist()):
                scores[docnum] += score_of(weight, length_of(docnum, name, 1)) * boost
        else:  # an unscored field (city): the posting's weight, as Whoosh's WeightScorer gives
            scores[ids] += weights.astype(np.float64) * boost
