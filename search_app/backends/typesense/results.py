"""Typesense hits shaped as the contract's results and facets: marks found from the matched tokens, snippets."""

from __future__ import annotations

from typing import Any

from search_app.backends.typesense.plan import FACET_FIELDS, TOKEN, Plan, Selection, sort_by
from search_app.backends.typesense.rerank import document_terms, matched_terms
from search_app.backends.typesense.schema import centrality_field, from_document
from search_app.ingest.gazetteer import fold
from search_app.query.contract import FacetValue, Result, facet, result
from search_app.query.snippets import Match, city_terms, find_matches, mark, snippet_of_matches


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


def stemmed_terms(hit: dict[str, Any], plan: Plan, known: frozenset[str] = frozenset()) -> frozenset[str]:
    """The index terms to mark in a document found by a stemmed search: the query's, those Typesense took for a
    misspelled or prefix word (as reranking found them, else looked up; `known` terms took no typo), and the
    spellings of a city named in the query."""
    terms = plan.scoring
    matched = hit.get("_terms")
    if matched is None:
        found = matched_terms(document_terms(hit["document"]), terms, plan.prefix, exact=known)
        matched = frozenset(t for held in found.values() for t in held)
    cities = frozenset(t for city in plan.named_cities for t in city_terms(city))
    return frozenset(terms) | matched | cities


def stemmed_result(hit: dict[str, Any], plan: Plan, highlight: bool, known: frozenset[str] = frozenset()) -> Result:
    """One hit of a stemmed search as the contract's result: the words whose terms matched marked."""
    article = from_document(hit["document"])
    score = hit.get("_score", hit.get("text_match"))
    score = float(score) if score is not None else None
    if not highlight:
        return result(article, title_html=mark(article.title, []), score=score, snippet="")
    terms = stemmed_terms(hit, plan, known)
    return result(article, title_html=mark(article.title, find_matches(article.title, terms)), score=score,
                  snippet=snippet_of_matches(article.body, find_matches(article.body, terms)))


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
    field = FACET_FIELDS[name]
    counts = {str(c["value"]): int(c["count"]) for f in answer.get("facet_counts", []) if f.get("field_name") == field
              for c in f["counts"]}
    return facet(name, counts, selected)


def page_search(plan: Plan, selection: Selection, sort: str, by_city: tuple[str, ...] | None, relax: bool) -> dict[str, Any]:
    """The parameters of the search for a page of hits (page and per_page left to the caller)."""
    out = {**plan.params(relax), "filter_by": selection.filter_by(plan), "sort_by": sort_by(sort, by_city)}
    if plan.stemmed:
        out["highlight_fields"] = "none"  # the marks come from the weight fields (stemmed_terms)
    else:
        out.update(highlight_fields="title,body", highlight_start_tag="<mark>", highlight_end_tag="</mark>")
    return out


def unselected_facets(selection: Selection) -> dict[str, Any]:
    """Facet parameters for the page's own search: the facets nothing is selected in, counted with its filters.

    A facet ignores its own selection; one without a selection is counted under exactly the page's
    filters, so the page's search counts it and only the selected facets need searches of their own
    (with no filter chosen, one search instead of four)."""
    chosen = selection.filtered_facets
    fields = [field for name, field in FACET_FIELDS.items() if name not in chosen]
    return {"facet_by": ",".join(fields), "max_facet_values": 1000} if fields else {}


def facet_searches(plan: Plan, selection: Selection, relax: bool) -> list[dict[str, Any]]:
    """One count-only search per selected facet, with the other facets' selections (a facet ignores its own)."""
    return [{**plan.params(relax), "filter_by": selection.filter_by(plan, skip=name), "facet_by": FACET_FIELDS[name],
             "max_facet_values": 1000, "per_page": 0} for name in selection.filtered_facets]


def facet_answers(selection: Selection, main: dict[str, Any], answers: list[dict[str, Any]]) -> dict[str, list[FacetValue]]:
    """The facets of a response: a selected facet from its own search's answer, the others from the page's."""
    own = dict(zip(selection.filtered_facets, answers))
    return {name: facet_values(name, own.get(name, main), values) for name, values in selection.selected().items()}


def shaped_results(hits: list[dict[str, Any]], plan: Plan, highlight: bool, by_city: tuple[str, ...] | None,
                   known: frozenset[str] = frozenset()) -> list[Result]:
    """The page's hits as the contract's results (for a city searched alone, the score is its centrality)."""
    if plan.stemmed:
        out = [stemmed_result(hit, plan, highlight, known) for hit in hits]
    else:
        out = [hit_result(hit, plan.highlight_words(), plan.q != "*", highlight) for hit in hits]
    if by_city:  # the score shown is what ordered them
        for shaped, hit in zip(out, hits):
            shaped["score"] = float(sum(int(hit["document"].get(centrality_field(c)) or 0) for c in by_city))
    return out
