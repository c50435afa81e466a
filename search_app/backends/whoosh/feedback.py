"""Pseudo-relevance feedback for descriptions: RM3 (draft; constants being chosen)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from whoosh import query as wq

from search_app.backends.whoosh.compile import Compiler
from search_app.backends.whoosh.ranking import Scored
from search_app.query.analysis import analyse
from search_app.query.bm25 import TEXT_FIELDS
from search_app.query.parser import Group, ParsedQuery, is_restriction
from search_app.query.plan import REQUEST_WORDS, topic_tree

ENABLED = True
DOCS = 10  # N: the first pass's best articles read
TERMS = 20  # M: the relevance model's words kept
ORIGINAL_WEIGHT = 0.5  # lambda: the typed query's share of the interpolated model
DOC_WEIGHT = "score"  # P(d|q): "score" (proportional to BM25F), "exp" (softmax), "uniform"
KEEP_QUERY_WORDS = True  # the typed words re-weighted by the model too (RM3) or only new words added
MIN_MATCHES = 5  # fewer first-pass matches than this: no feedback
MAX_DF = 1.0  # words in more than this share of the articles are not added

_REQUEST_TERMS = frozenset(term for word in REQUEST_WORDS for term in analyse(word))


def applies(described: bool, sort: str, by_city: object, matches: int) -> bool:
    """True when a search is one that feedback serves: a description ranked by relevance with enough matches."""
    return ENABLED and described and sort == "relevance" and not by_city and matches >= MIN_MATCHES


def doc_weights(scores: list[float]) -> list[float]:
    """P(d|q) of the first pass's best articles from their scores, summing to 1."""
    if DOC_WEIGHT == "exp":
        top = max(scores)
        raw = [math.exp(s - top) for s in scores]
    elif DOC_WEIGHT == "uniform":
        raw = [1.0] * len(scores)
    else:
        raw = [max(s, 0.0) for s in scores]
    total = sum(raw) or 1.0
    return [r / total for r in raw]


def relevance_model(texts: list[str], scores: list[float]) -> dict[str, float]:
    """RM1: P(w|R) = sum over the articles of P(w|d) P(d|q), P(w|d) the word's share of the article's terms."""
    model: dict[str, float] = {}
    for text, weight in zip(texts, doc_weights(scores)):
        terms = analyse(text)
        if not terms:
            continue
        for word, count in Counter(terms).items():
            model[word] = model.get(word, 0.0) + weight * count / len(terms)
    return model


def query_words(q: wq.Query, scored: list[Scored]) -> tuple[set[str], set[str]]:
    """The typed words scored anywhere in title or body without a gate, and those never to be added back
    (excluded words, words only inside a phrase or a group)."""
    plain = {term.text for term, gates in scored if term.fieldname in TEXT_FIELDS and not gates}
    excluded: set[str] = set()
    everywhere: set[str] = set()
    _collect(q, everywhere, excluded, negated=False)
    return plain - excluded, excluded | (everywhere - plain)


def _collect(q: wq.Query, found: set[str], excluded: set[str], negated: bool) -> None:
    if isinstance(q, wq.Term):
        if q.fieldname in TEXT_FIELDS:
            (excluded if negated else found).add(q.text)
    elif isinstance(q, wq.Phrase):
        (excluded if negated else found).update(q.words)
    elif isinstance(q, wq.AndNot):
        _collect(q.a, found, excluded, negated)
        _collect(q.b, found, excluded, not negated)
    elif isinstance(q, wq.Not):
        _collect(q.query, found, excluded, not negated)
    elif isinstance(q, wq.CompoundQuery):
        for child in q.subqueries:
            _collect(child, found, excluded, negated)


def expansion(model: dict[str, float], plain: set[str], banned: set[str], df: dict[str, int] | None = None,
              doc_count: int = 0) -> dict[str, float]:
    """The model's TERMS best words (never a banned one), their probabilities renormalised to sum to 1."""
    allowed = [(w, p) for w, p in model.items() if w not in banned and w not in _REQUEST_TERMS and (KEEP_QUERY_WORDS or w not in plain)]
    if df is not None and MAX_DF < 1.0:
        allowed = [(w, p) for w, p in allowed if df.get(w, 0) <= MAX_DF * doc_count]
    best = sorted(allowed, key=lambda item: (-item[1], item[0]))[:TERMS]
    total = sum(p for _w, p in best) or 1.0
    return {w: p / total for w, p in best}


def feedback_terms(words: dict[str, float], query_mass: float) -> list[Scored]:
    """The expansion as scored title and body terms, weighted so the typed words keep their weight:
    lambda P(w|q) + (1 - lambda) P(w|R), divided by lambda / |q|."""
    scale = query_mass * (1 - ORIGINAL_WEIGHT) / ORIGINAL_WEIGHT
    return [(wq.Term(name, word, boost=scale * p), ()) for word, p in words.items() for name in TEXT_FIELDS]


def matching(words: Iterable[str]) -> wq.Query:
    """Any of the words in title or body."""
    return wq.Or([wq.Term(name, word) for word in words for name in TEXT_FIELDS])


def required(parsed: ParsedQuery, compiler: Compiler) -> wq.Query | None:
    """What every match of the description must meet: its restrictions (city:, source:, year:, author:, -word)."""
    tree = topic_tree(parsed)
    return compiler.compile(Group("and", [c for c in tree.children if is_restriction(c)]))
