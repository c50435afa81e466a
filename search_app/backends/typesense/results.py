"""Typesense hits shaped as the contract's results and facets: marks found from the matched tokens, snippets."""

from __future__ import annotations

from typing import Any

from search_app.backends.typesense.plan import TOKEN
from search_app.backends.typesense.schema import from_document
from search_app.ingest.gazetteer import fold
from search_app.query.contract import FacetValue, Result, facet, result
from search_app.query.snippets import Match, mark, snippet_of_matches


def matched_tokens(hit: dict[str, Any]) -> list[str]:
    """The words Typesense says it matched in a hit (typo-corrected and prefix forms included)."""
    out: list[str] = []
    for h in hit.get("highlights", []):
        for t in h.get("matched_tokens", []):
            out.extend(t if isinstance(t, list) else [t])
    return out


def find_words(text: str, words: frozenset[str]) -> list[Match]:
    """Spans of the words of text that are (case-insensitively) one of `words`."""
    if not words or not text:
        return []
    folded = {fold(w) for w in words}
    return [Match(m.start(), m.end(), m.group(0).lower()) for m in TOKEN.finditer(text) if fold(m.group(0)) in folded]


def hit_result(hit: dict[str, Any], words: frozenset[str], scored: bool, highlight: bool) -> Result:
    """One hit as the contract's result: the query's words and the matched tokens marked (none without highlight)."""
    article = from_document(hit["document"])
    info = hit.get("text_match_info") or {}
    score = info.get("score", hit.get("text_match"))
    score = float(score) if scored and score is not None else None
    if not highlight:
        return result(article, title_html=mark(article.title, []), score=score, snippet="")
    marked = words | {t.lower() for t in matched_tokens(hit)}
    return result(article, title_html=mark(article.title, find_words(article.title, marked)), score=score,
                  snippet=snippet_of_matches(article.body, find_words(article.body, marked)))


def facet_values(name: str, answer: dict[str, Any], selected: list[str]) -> list[FacetValue]:
    """One facet's values (contract.facet) from a faceted search's counts."""
    counts = {str(c["value"]): int(c["count"]) for f in answer.get("facet_counts", []) for c in f["counts"]}
    return facet(name, counts, selected)
