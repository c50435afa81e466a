"""Pseudo-relevance feedback for descriptions: the words the first pass's best articles share, added to the query (RM3).

A written request names its topic in its own words; the articles about it often use others
("sickle cell" beside "haemoglobin S"). Relevance model 3 (Lavrenko and Croft, 2001; RM3 as
Anserini runs it) reads the best articles of a first ranking, estimates which words a relevant
article uses, P(w|R) = sum over the articles d of P(w|d) P(d|q) (RM1: P(w|d) the word's share of
the article's analysed title and body, P(d|q) the article's BM25F score over the scores of the
articles read), keeps the TERMS likeliest words and mixes them with the typed ones:
ORIGINAL_WEIGHT P(w|q) + (1 - ORIGINAL_WEIGHT) P(w|R). The typed words keep their weights, so
each added word counts in the BM25F sum at (1 - ORIGINAL_WEIGHT) / ORIGINAL_WEIGHT * |q| * P(w|R)
in title and body (|q| the typed topic words), and a typed word the model also picks counts that
much more. A second pass ranks with them.

Only within what the query requires: the added words may bring in articles, but only those that
meet every restriction of the query (city:, source:, year:, author:, -word) and every filter; an
excluded word, a word typed only inside a phrase or an exclusion, and the words that shape a
request ("articles", "describe") are never added. Only descriptions (plan.is_description) ranked
by relevance with at least MIN_MATCHES matches: not keywords, a phrase alone, a city alone, a
search sorted by date.

The constants were chosen together on the mean over CACM, MED, LISA and TIME of the change in
nDCG@10 and MAP@100 against no feedback (ADI left out: a smoke test), among the settings that
lower neither measure on any of the four by more than 0.003, from a grid of 414 settings (N 2-20,
M 5-100, lambda 0.3-0.9, P(d|q) proportional, softmax or uniform, typed words kept or not):

- DOCS 3, TERMS 40, ORIGINAL_WEIGHT 0.75, P(d|q) proportional to the score: nDCG@10 +0.001
  CACM, +0.047 MED, +0.007 LISA, +0.009 TIME (ADI +0.010); MAP@100 -0.001, +0.037, +0.009,
  +0.014 (ADI +0.024). Neighbours differ by under 0.005 on the mean (lambda 0.7-0.8, M 20-60,
  N 2-4, P(d|q) uniform); N 5-20 gives +0.006 to +0.010; lambda 0.9 +0.006; lambda 0.5 lowers
  CACM (-0.020 at N 3); Anserini's defaults (N 10, M 10, lambda 0.5) lower CACM, LISA and ADI by
  0.032, 0.036 and 0.035 for +0.034 on MED (mean -0.008): what an earlier try here saw.
- Softmax P(d|q) (exp of the score over the articles read): mean nDCG@10 +0.013 against +0.016.
- RM3 keeps the typed words in the model; adding only new words (RM1 alone on top of the query)
  gave at best +0.007 mean nDCG@10 and lowered CACM and LISA.
- Left out by feedback's figures: words in more than 5% or 20% of the articles barred (no mean
  gain); keyword queries re-ranked (17 judged keyword queries over CACM, MED and TIME: -0.01 to
  +0.015 nDCG@10 by collection and setting, TIME -0.10 at lambda 0.5: no case for it).
- Left-one-collection-out (chosen on three by the same rule, measured on the fourth): nDCG@10 / MAP@100
  CACM -0.014 / -0.010, MED +0.024 / +0.038, LISA -0.004 / +0.001, TIME +0.009 / +0.014.
"""

from __future__ import annotations

from collections import Counter

from whoosh import query as wq

from search_app.backends.whoosh.compile import Compiler
from search_app.backends.whoosh.ranking import Scored
from search_app.query.analysis import analyse
from search_app.query.bm25 import TEXT_FIELDS
from search_app.query.parser import Group, is_restriction
from search_app.query.plan import REQUEST_WORDS

ENABLED = True  # the switch (bench/relevance.py's ablation turns it off)
DOCS = 3  # N: the first pass's best articles read
TERMS = 40  # M: the relevance model's likeliest words kept
ORIGINAL_WEIGHT = 0.75  # lambda: the typed words' share of the interpolated model
MIN_MATCHES = 5  # a handful: with fewer first-pass matches there is nothing to learn from (not tuned)

_REQUEST_TERMS = frozenset(term for word in REQUEST_WORDS for term in analyse(word))


def applies(described: bool, sort: str, by_city: object, matches: int) -> bool:
    """True for a description ranked by relevance (not by date, not a city alone) with at least MIN_MATCHES matches."""
    return ENABLED and described and sort == "relevance" and not by_city and matches >= MIN_MATCHES


def relevance_model(texts: list[str], scores: list[float]) -> dict[str, float]:
    """RM1 over the first pass's best articles: P(w|R) = sum of P(w|d) P(d|q), P(d|q) each score's share."""
    total = sum(max(s, 0.0) for s in scores) or 1.0
    model: dict[str, float] = {}
    for text, score in zip(texts, scores):
        terms = analyse(text)  # the index's own analysis: stems, stop words out
        if not terms:
            continue
        weight = max(score, 0.0) / total
        for word, count in Counter(terms).items():
            model[word] = model.get(word, 0.0) + weight * count / len(terms)
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
