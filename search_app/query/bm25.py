"""BM25F's constants and formulas, shared by both engines so that they weigh a word alike.

The Whoosh core scores with them at query time (backends/whoosh/ranking.py); the Typesense
backend, whose server has no BM25, files each word of an article under its BM25F weight at
indexing time and orders the best candidates with them at query time (backends/typesense).
"""

from __future__ import annotations

import math
from collections import Counter

# BM25's constants as Anserini sets them by default for the TREC news collections it reproduces
# (K1 0.9, B 0.4: a word's repeats saturate early, long articles are penalised mildly), not fitted
# here; on CACM the textbook 1.2 / 0.75 differs by -0.005 nDCG@10 and +0.002 MAP@100 (README, Ranking).
# The title counts twice, as in the peers the relevance benchmark compares with (FTS5's
# bm25(2.0, 1.0), bm25s with the title repeated).
K1 = 0.9
FIELD_WEIGHT = {"title": 2.0, "body": 1.0}
FIELD_B = {"title": 0.4, "body": 0.4}
TEXT_FIELDS = tuple(FIELD_WEIGHT)


def idf(doc_count: int, doc_freq: int) -> float:
    """BM25's IDF, kept positive for words in most articles (the "+1" of Lucene's form)."""
    return math.log(1 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))


def word_weights(terms: dict[str, list[str]], average: dict[str, float]) -> dict[str, float]:
    """Per distinct term of one article, BM25F's saturated weight tf / (tf + K1), in [0, 1).

    `terms` holds each text field's analysed terms (title, body); `average` each field's mean
    length over the collection. A term's counts are normalised by their field's length, weighted
    and summed before the one saturation, as the Whoosh core does (ranking.rank): multiplied by
    (K1 + 1) and the term's IDF this is the term's share of the article's score.
    """
    frequency: dict[str, float] = {}
    for name, words in terms.items():
        b = FIELD_B[name]
        norm = 1 - b + b * len(words) / (average.get(name) or 1.0)
        for word, count in Counter(words).items():
            frequency[word] = frequency.get(word, 0.0) + FIELD_WEIGHT[name] * count / norm
    return {word: tf / (tf + K1) for word, tf in frequency.items()}
