"""The best candidates of a Typesense search put in BM25F order, from the weights their documents spell out.

Typesense 0.24 ranks by how many words match and the heaviest field they match in, not by how
often an article uses them. Each article's terms are filed under a weight field by their BM25F
weight (schema.weight_fields); a search ordered by the heaviest field (`max_weight`) brings the
articles where some word weighs most to the front, and this module scores the first WINDOW of
them as the Whoosh core scores: per query term, IDF (from one count per term, asked in the same
multi-search) times (K1 + 1) times the term's weight in the article, summed; a city named in the
query adds what the embedded engine's city tag adds. Past the window, Typesense's order stands
(as a rescoring window does in Elasticsearch).
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

from search_app.backends.typesense.schema import TIER_FIELDS, WEIGHTS_FIELD, tier_weight
from search_app.query.analysis import analyse
from search_app.query.bm25 import K1, idf
from search_app.query.suggest import distance

# The same pairs recur across the window's articles and across searches: a query term absent from the
# collection is compared with every term of each candidate.
_distance = lru_cache(maxsize=1 << 16)(distance)
WINDOW = 100  # candidates scored per search: the top 10 of BM25F lie within them for most queries
CITY_WEIGHT = 1.0  # what the Whoosh index's unscored city tag adds to an article naming the city


def window(page: int, per_page: int) -> int | None:
    """How many candidates to fetch and score for this page, or None when the page lies past the window."""
    pages = max(1, -(-WINDOW // per_page))
    return pages * per_page if page <= pages else None


def count_searches(terms: list[str]) -> list[dict[str, Any]]:
    """One count per distinct term (its document frequency) and one of the whole collection, for the IDFs."""
    fields = ",".join(TIER_FIELDS)
    counts = [{"q": term, "query_by": fields, "num_typos": 0, "prefix": "false", "drop_tokens_threshold": 0,
               "per_page": 0} for term in dict.fromkeys(terms)]
    return [*counts, {"q": "*", "per_page": 0}]


def known_terms(terms: list[str], counts: list[dict[str, Any]]) -> frozenset[str]:
    """The query terms some article holds as they are (their count searches found any): Typesense took no
    typo for them, so an article lacking one lacks it, and no edit distance need be computed for it."""
    return frozenset(term for term, answer in zip(dict.fromkeys(terms), counts) if int(answer.get("found") or 0) > 0)


def document_terms(doc: dict[str, Any]) -> dict[str, float]:
    """Each term of a document with its BM25F weight (the stored thousandths, else its tier's middle)."""
    pairs = str(doc.get(WEIGHTS_FIELD) or "").split()
    if pairs:
        return {term: int(weight) / 1000 for term, weight in zip(pairs[::2], pairs[1::2])}
    return {term: tier_weight(tier) for tier, name in enumerate(TIER_FIELDS) for term in str(doc.get(name) or "").split()}


def matched_terms(held: dict[str, float], terms: list[str], prefix: str | None, typos: bool = True,
                  exact: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """Per query term, the document's terms that matched it: itself, or the nearest one Typesense's typo
    tolerance took for it (not for the `exact` ones, e.g. a city found by its tag); a prefix, every term it starts."""
    out: dict[str, list[str]] = {}
    for term in terms:
        if term in held:
            out[term] = [term]
            continue
        if not typos or term in exact or len(term) < 4:
            continue
        near = sorted((_distance(term, t), t) for t in held if abs(len(t) - len(term)) <= 2)
        if near and near[0][0] <= 2:
            out[term] = [near[0][1]]
    if prefix:
        started = [t for t in held if t.startswith(prefix)]
        if started:
            out[prefix + "*"] = started
    return out


def reranked(hits: list[dict[str, Any]], terms: list[str], prefix: str | None, counts: list[dict[str, Any]],
             cities: tuple[str, ...], typos: bool = True) -> list[dict[str, Any]]:
    """The hits in BM25F order (equal scores in ingestion order, as on Whoosh); each gets `_score`.

    With typos, a query term an article lacks counts as the nearest of its terms (the search was
    typo-tolerant); without (the merged alternatives of an OR), only the terms it holds count."""
    if not hits or not counts:
        return hits
    total = int(counts[-1].get("found") or 0)
    frequency = {term: int(answer.get("found") or 0) for term, answer in zip(dict.fromkeys(terms), counts)}
    repeats = Counter(terms)
    exact = frozenset(t for city in cities for t in analyse(city)) | known_terms(terms, counts)
    scored = []
    for position, hit in enumerate(hits):
        doc = hit["document"]
        held = document_terms(doc)
        score = 0.0
        matched = matched_terms(held, list(repeats), prefix, typos, exact)
        hit["_terms"] = frozenset(t for found in matched.values() for t in found)  # marked in its snippet
        for term, found in matched.items():
            # A prefix's or a corrected word's terms weigh as often as the articles that have the typed form allow.
            freq = frequency.get(term) or total
            score += repeats.get(term, 1) * idf(total, min(freq, total)) * (K1 + 1) * sum(held[t] for t in found)
        score += CITY_WEIGHT * len(set(cities) & set(doc.get("cities") or ()))
        hit["_score"] = score
        scored.append((-score, int(doc.get("seq") or 0), position, hit))
    return [item[-1] for item in sorted(scored, key=lambda item: item[:3])]  # equal scores: ingestion order
