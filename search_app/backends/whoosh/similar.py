"""Related articles: an article's key words (Amati's Bo1 weights), searched for with the same BM25F ranking.

Bo1 (Amati, 2003; the query-expansion model of the divergence-from-randomness family) weighs a
word of the article by how much more often it occurs there than its frequency across the archive
would lead one to expect: a word used throughout the archive says little of what the article is
about, a word rare elsewhere and repeated here says much. The title is counted twice.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from whoosh import query as wq

from search_app.backends.whoosh.flat import Lexicon
from search_app.backends.whoosh.ranking import Scored
from search_app.query.analysis import analyse
from search_app.query.bm25 import TEXT_FIELDS

KEY_WORDS = 25  # words of the article searched for


def key_words(lexicon: Lexicon, doc_count: int, title: str, body: str, count: int = KEY_WORDS) -> list[tuple[str, float]]:
    """The article's `count` most telling words with their Bo1 weights, scaled so the first weighs 1."""
    found = Counter(analyse(f"{title}\n{title}\n{body}"))
    weights = {}
    for word, here in found.items():
        expected = lexicon.occurrences("body", word) / (doc_count or 1)
        if expected <= 0:  # only in the title: as rare as a word can be
            expected = 1 / (doc_count or 1)
        weights[word] = here * math.log2((1 + expected) / expected) + math.log2(1 + expected)
    best = sorted(weights.items(), key=lambda item: (-item[1], item[0]))[:count]
    top = best[0][1] if best else 1.0
    return [(word, weight / top) for word, weight in best]


def similar_terms(words: list[tuple[str, float]]) -> tuple[wq.Query, list[Scored]]:
    """The query for the key words in title and body (any of them), and its terms for ranking."""
    terms = [wq.Term(name, word, boost=weight) for word, weight in words for name in TEXT_FIELDS]
    return wq.Or(terms), [(term, ()) for term in terms]


def exclude(matched: np.ndarray, docnum: int) -> np.ndarray:
    """The matches without the article itself."""
    out = matched.copy()
    out[docnum] = False
    return out

