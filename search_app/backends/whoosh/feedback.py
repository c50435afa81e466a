"""Pseudo-relevance feedback for descriptions: the words the first pass's best articles share, added to the query (RM3).

A written request names its topic in its own words; the articles about it often use others.
Relevance model 3 (Lavrenko and Croft, 2001; RM3 as Anserini runs it) reads the best articles of
a first ranking and estimates which words a relevant article uses, P(w|R) = sum over the articles
d of P(w|d) P(d|q) (RM1: P(w|d) the word's share of the article's analysed title and body, P(d|q)
the softmax of the articles' BM25F scores), keeps the TERMS likeliest words and mixes them with the
typed ones: ORIGINAL_WEIGHT P(w|q) + (1 - ORIGINAL_WEIGHT) P(w|R). The typed words keep their
weights, so an added word counts in the BM25F sum (title and body) at
(1 - ORIGINAL_WEIGHT) / ORIGINAL_WEIGHT * |q| * P(w|R), |q| the typed topic words, and a typed word
the model also picks counts that much more. A second pass ranks with them.

Only within what the query requires: the added words may bring in articles, but only those that
meet every restriction of the query (city:, source:, year:, author:, -word) and every filter; an
excluded word, a word typed only inside a phrase or an exclusion, and the words that shape a
request ("articles", "describe") are never added. Only descriptions (plan.is_description) ranked
by relevance with at least MIN_MATCHES matches: not keywords, a phrase alone, a city alone, a
search sorted by date.

How the constants were chosen (bench/relevance.py's collections, read by bench/relevance_collections.py;
each setting's nDCG@10 and MAP@100 against feedback off, all queries as typed through `search`;
figures at this branch's merge of main 629e035). 300 settings: P(d|q) proportional to the score,
uniform or softmax; N 2, 3, 5, 10; M 10, 20, 40, 60; lambda 0.5-0.9; and 12 without the typed words
in the model. Rule: the largest mean over CACM, MED, LISA and TIME of (change in nDCG@10 + change in
MAP@100) / 2, averaged over the setting's neighbours in the grid (a lucky peak does not win), among
the settings that lower neither measure on any of the four by more than 0.003. ADI, a smoke test,
never chooses.

- Chosen: softmax, DOCS 2, TERMS 40, ORIGINAL_WEIGHT 0.7. nDCG@10 / MAP@100: CACM +0.005 / +0.004,
  MED +0.021 / +0.030, LISA -0.000 / -0.002, TIME +0.014 / +0.030 (ADI +0.007 / +0.015).
- Softmax over proportional: proportional P(d|q) peaks as high (N 3, M 40, lambda 0.7-0.75) but
  drops at N 2 or 5 and lowers CACM's nDCG@10 at all 48 settings with lambda below 0.75; softmax
  weighs the best article most, so N matters less (M 40, lambda 0.7, N 2-10: mean nDCG@10 +0.007
  to +0.010, MAP@100 +0.013 to +0.015).
- lambda (softmax, N 2, M 40): mean nDCG@10 +0.003, +0.009, +0.010, +0.009, +0.007, +0.003 at 0.5,
  0.6, 0.7, 0.75, 0.8, 0.9; at 0.5 CACM and LISA lose 0.010 and 0.015 (and more than 0.01 at 40
  and 41 of the 48 settings with lambda 0.5).
  Anserini's defaults (N 10, M 10, lambda 0.5, proportional): CACM -0.037, LISA -0.025, ADI -0.054
  nDCG@10 for MED +0.009 (what an earlier try here saw).
- RM3 keeps the typed words in the model: without them (new words only) the best mean is +0.005
  nDCG@10, and CACM falls at every setting.
- Keyword queries re-ranked (their every-word matches, never widened): 17 judged keyword queries in
  CACM, MED and TIME, nDCG@10 0.589 -> 0.586 at these constants (p 0.50): left off.
- Leave-one-collection-out (the same rule on three, measured on the fourth): nDCG@10 / MAP@100
  CACM -0.005 / +0.001, MED +0.019 / +0.025, LISA -0.010 / -0.014, TIME +0.007 / +0.020; mean
  +0.003 / +0.008. The gain is MED's and TIME's; on CACM and LISA feedback is about neutral.
"""

from __future__ import annotations

import math
from collections import Counter

from whoosh import query as wq

from search_app.backends.whoosh.compile import Compiler
from search_app.backends.whoosh.ranking import Scored
from search_app.query.analysis import analyse
from search_app.query.bm25 import TEXT_FIELDS
from search_app.query.parser import Group, is_restriction
from search_app.query.plan import REQUEST_WORDS

ENABLED = True  # the switch (bench/relevance.py's ablation turns it off)
DOCS = 2  # N: the first pass's best articles read
TERMS = 40  # M: the relevance model's likeliest words kept
ORIGINAL_WEIGHT = 0.7  # lambda: the typed words' share of the interpolated model
MIN_MATCHES = 5  # a handful: with fewer first-pass matches there is nothing to learn from (not tuned)

_REQUEST_TERMS = frozenset(term for word in REQUEST_WORDS for term in analyse(word))


def applies(described: bool, sort: str, by_city: object, matches: int) -> bool:
    """True for a description ranked by relevance (not by date, not a city alone) with at least MIN_MATCHES matches."""
    return ENABLED and described and sort == "relevance" and not by_city and matches >= MIN_MATCHES


def relevance_model(texts: list[str], scores: list[float]) -> dict[str, float]:
    """RM1 over the first pass's best articles: P(w|R) = sum of P(w|d) P(d|q), P(d|q) the softmax of the scores."""
    top = max(scores, default=0.0)
    weights = [math.exp(score - top) for score in scores]  # the best article weighs 1, one a point below 1/e
    total = sum(weights) or 1.0
    model: dict[str, float] = {}
    for text, weight in zip(texts, weights):
        terms = analyse(text)  # the index's own analysis: stems, stop words out
        if not terms:
            continue
        for word, count in Counter(terms).items():
            model[word] = model.get(word, 0.0) + weight / total * count / len(terms)
    return model


def never_added(q: wq.Query, scored: list[Scored]) -> set[str]:
    """The query's words that feedback must not add: excluded words, and words typed only inside a phrase or
    an AND within an OR (added alone they would count where the phrase or the AND does not match)."""
    plain = {term.text for term, gates in scored if term.fieldname in TEXT_FIELDS and not gates}
    typed: set[str] = set()
    excluded: set[str] = set()
    _collect(q, typed, excluded, negated=False)
    return excluded | (typed - plain)


def _collect(q: wq.Query, typed: set[str], excluded: set[str], negated: bool) -> None:
    """Every title/body word of the query, into `excluded` under an odd number of NOTs, else into `typed`."""
    if isinstance(q, wq.Term):
        if q.fieldname in TEXT_FIELDS:
            (excluded if negated else typed).add(q.text)
    elif isinstance(q, wq.Phrase):
        (excluded if negated else typed).update(q.words)
    elif isinstance(q, wq.AndNot):
        _collect(q.a, typed, excluded, negated)
        _collect(q.b, typed, excluded, not negated)
    elif isinstance(q, wq.Not):
        _collect(q.query, typed, excluded, not negated)
    elif isinstance(q, wq.CompoundQuery):
        for child in q.subqueries:
            _collect(child, typed, excluded, negated)


def expansion(model: dict[str, float], banned: set[str]) -> dict[str, float]:
    """The model's TERMS likeliest words (no banned word, no request word), renormalised to sum to 1."""
    allowed = [(w, p) for w, p in model.items() if w not in banned and w not in _REQUEST_TERMS]
    best = sorted(allowed, key=lambda item: (-item[1], item[0]))[:TERMS]  # ties by word: deterministic
    total = sum(p for _w, p in best) or 1.0
    return {w: p / total for w, p in best}


def feedback_terms(words: dict[str, float], query_mass: int) -> list[Scored]:
    """The expansion as scored title and body terms: the interpolated model scaled so a typed word keeps weight 1."""
    scale = query_mass * (1 - ORIGINAL_WEIGHT) / ORIGINAL_WEIGHT
    return [(wq.Term(name, word, boost=scale * p), ()) for word, p in words.items() for name in TEXT_FIELDS]


def matching(words: dict[str, float]) -> wq.Query:
    """Any of the words in title or body."""
    return wq.Or([wq.Term(name, word) for word in words for name in TEXT_FIELDS])


def required(tree: Group, compiler: Compiler) -> wq.Query | None:
    """What every match of a description (its searched tree) must meet, as compile(relaxed=True) keeps it: its
    restrictions (city:, source:, year:, author:, -word); None when it has none."""
    return compiler.compile(Group("and", [c for c in tree.children if is_restriction(c)]))
