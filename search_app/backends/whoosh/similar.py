"""Related articles: an article's key words (Amati's Bo1 weights) searched for in the other articles' bodies.

Bo1 (Amati, 2003; the query-expansion model of the divergence-from-randomness family) weighs a
word of the article by how much more often it occurs there than its frequency across the
archive's bodies would lead one to expect: a word used throughout the archive says little of
what the article is about, a word rare elsewhere and repeated here says much. The title is
counted twice. The other articles are then scored by classic BM25 over their bodies (K1 1.2,
B 0.75, IDF log(N / (df + 1)) + 1), each word weighted by its Bo1 weight: this is what Whoosh's
`more_like` computed when Whoosh indexed the body, kept because it found related articles better
than the search ranking's BM25F does here (`bench/related.py`: a steeper IDF on top of the Bo1
weights over-rewards the rarest key words).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

import numpy as np

from search_app.backends.whoosh.columns import top_k
from search_app.backends.whoosh.docvalues import rounded
from search_app.backends.whoosh.flat import Lexicon
from search_app.backends.whoosh.ranking import length_norms
from search_app.query.analysis import analyse

KEY_WORDS = 25  # words of the article searched for
K1, B = 1.2, 0.75  # Robertson's classic constants, as Whoosh's BM25F defaults have them

Postings = Callable[[str], tuple[np.ndarray, np.ndarray]]  # a body word's doc ids and counts


def key_words(lexicon: Lexicon, doc_count: int, title: str, body: str, count: int = KEY_WORDS) -> list[tuple[str, float]]:
    """The article's `count` most telling words with their Bo1 weights, scaled so the first weighs 1.

    A word no article's body holds is left out: it could not be found in any."""
    weights = {}
    for word, here in Counter(analyse(f"{title}\n{title}\n{body}")).items():
        expected = lexicon.occurrences("body", word) / (doc_count or 1)
        if expected > 0:
            weights[word] = here * math.log2((1 + expected) / expected) + math.log2(1 + expected)
    best = sorted(weights.items(), key=lambda item: (-item[1], item[0]))[:count]
    top = best[0][1] if best else 1.0
    return [(word, weight / top) for word, weight in best]


def body_norms(lengths: np.ndarray) -> np.ndarray:
    """Each document's BM25 length divisor in the body with B = 0.75, from its exact lengths (rounded as the
    ranking rounds them; the average over every document written, as docvalues takes it)."""
    return length_norms(rounded(lengths), float(lengths.sum()) / (len(lengths) or 1), B)


def most_like(words: list[tuple[str, float]], postings: Postings, norms: np.ndarray, allowed: np.ndarray,
              top: int) -> list[int]:
    """The `top` allowed documents scoring highest for the weighted key words (ties by doc id)."""
    size = len(norms)
    scores = np.zeros(size)
    for word, weight in words:
        ids, counts = postings(word)
        if not len(ids):
            continue
        idf = math.log(size / (len(ids) + 1)) + 1
        tf = counts.astype(np.float64)
        scores[ids] += weight * idf * tf * (K1 + 1) / (tf + K1 * norms[ids])
    candidates = np.flatnonzero(allowed & (scores > 0))
    return [int(d) for d in top_k(candidates, top, -scores[candidates])]
