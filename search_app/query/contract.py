"""What both engines, the web pages and the CLI agree on: the limits and checks of a search request,
the date sort keys, the typed shapes of a search response and an article view, and the one set
of builders every engine answers with. Engine-neutral: no Whoosh, no Typesense, no Flask.

The web layer adds links to these shapes (the keys marked NotRequired); the OpenAPI document is
checked against the same TypedDicts (web/openapi.py)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace
from typing import NotRequired, TypedDict

from search_app.errors import BadRequest
from search_app.ingest.gazetteer import canonical_city, city_label, city_names
from search_app.ingest.sources import UNKNOWN_SOURCE
from search_app.models import MAX_PER_PAGE, SORTS, Article, SearchRequest

SUGGEST_BELOW = 3  # a query with fewer results than this gets a spelling check
MAX_PAGE = 1000
RELATED = 5
# Dates beyond these sort keys never occur; undated articles sort after every dated one.
UNDATED_KEY = 10**7
EPOCH = dt.date(1, 1, 1)
# How each order of results (SearchResponse.order) is told to a reader, by the page and the CLI
# alike: what comes first, and the rule behind it when it is not obvious.
ORDER_TEXT: dict[str, tuple[str, str]] = {
    "relevance": ("", ""),
    "newest": ("newest first", ""),
    "oldest": ("oldest first", ""),
    "city": ("most about the city first", "named in the headline, then most often in the text, then newest"),
}


class Result(TypedDict):
    """One hit of a results page."""

    id: str
    title: str
    title_html: str  # escaped, matches in <mark>
    date: str | None
    source: str | None
    author: str | None
    cities: list[str]
    score: float | None
    snippet: str  # escaped, matches in <mark>
    url: NotRequired[str]  # the web layer's link to the article page


class FacetValue(TypedDict):
    """One value of a facet, as the filter panel lists it."""

    value: str
    label: str
    count: int
    selected: bool
    toggle_url: NotRequired[str]  # the web layer's link with this value ticked or unticked


class Suggestion(TypedDict):
    """A "did you mean" with its own count."""

    query: str
    total: int
    url: NotRequired[str]


class Related(TypedDict):
    """An article like the one being read."""

    id: str
    title: str
    date: str | None
    source: str | None
    cities: list[str]
    url: NotRequired[str]


class SearchResponse(TypedDict):
    """One results page, as every engine answers SearchBackend.search."""

    query: str
    total: int
    # Keywords of two or more words list the articles with every word first, then those with some of them:
    # the rank (0-based, over all pages) of the first with only some; None when every article listed has them all.
    some_words_from: int | None
    page: int
    per_page: int
    pages: int
    sort: str
    order: str  # models.ORDERS: the sort, or "city" for a city searched alone
    results: list[Result]
    facets: dict[str, list[FacetValue]]  # city, source, year; {} when not asked for
    suggestion: Suggestion | None
    relaxed: bool
    timed_out: bool
    notices: list[str]
    generation: str
    took_ms: float


class ArticleView(TypedDict):
    """One article with its highlighted text and related articles (SearchBackend.get_article)."""

    id: str
    path: str
    title: str
    body: str
    date: str | None
    source: str | None
    author: str | None
    cities: list[str]
    dated_by: str | None  # the rule that dated the article (see ingest.dates)
    title_html: str
    paragraphs_html: list[str]
    city_labels: list[str]
    related: list[Related]
    generation: str



def validate(req: SearchRequest) -> tuple[SearchRequest, list[str]]:
    """Refuse requests no page could answer; clean up the rest, with a notice for each thing changed or unknown."""
    if req.sort not in SORTS:
        raise BadRequest(f"Unknown sort {req.sort!r}: use one of {', '.join(SORTS)}.")
    if not 1 <= req.per_page <= MAX_PER_PAGE:
        raise BadRequest(f"per_page must be between 1 and {MAX_PER_PAGE}.")
    if not 1 <= req.page <= MAX_PAGE:
        raise BadRequest(f"page must be between 1 and {MAX_PAGE}.")
    notices = []
    first, last = req.date_from, req.date_to
    if first and last and first > last:
        # Dates typed the wrong way round: search the range the reader meant, and say so.
        req = replace(req, date_from=last, date_to=first)
        notices.append(f"The dates were the wrong way round: searched from {last.isoformat()} to {first.isoformat()}.")
    for value in req.cities:
        if canonical_city(value) is None:
            notices.append(f"Unknown city '{value}': try a Shanxi city such as Taiyuan or 太原.")
    return req, notices


def date_sort_keys(date: dt.date | None) -> dict[str, int]:
    """Ascending sort keys for newest-first and oldest-first; an undated article sorts last in both."""
    if date is None:
        return {"sort_newest": UNDATED_KEY + 1, "sort_oldest": UNDATED_KEY + 1}
    days = (date - EPOCH).days
    return {"sort_newest": UNDATED_KEY - days, "sort_oldest": days}


def result(article: Article, *, title_html: str, score: float | None, snippet: str) -> Result:
    """One hit as every engine answers it: the article's fields, its marked headline, score and snippet."""
    return Result(id=article.id, title=article.title, title_html=title_html, date=_iso(article), source=article.source,
                  author=article.author, cities=list(article.cities),
                  score=round(float(score), 4) if score is not None else None, snippet=snippet)


def facet(name: str, counts: dict[str, int], selected: list[str]) -> list[FacetValue]:
    """One facet's values as the page lists them: each value with articles, each selected one, and every
    city (so a reader sees where the archive is thin); years newest first, others most articles first,
    the articles that name no source last whatever their count."""
    values = {value: n for value, n in counts.items() if n or value in selected}
    for value in selected:
        values.setdefault(value, 0)
    if name == "city":
        for city in city_names():
            values.setdefault(city, 0)
    out = [FacetValue(value=v, label=city_label(v) if name == "city" else v, count=n, selected=v in selected)
           for v, n in values.items()]
    if name == "year":
        return sorted(out, key=lambda v: v["value"], reverse=True)
    return sorted(out, key=lambda v: (v["value"] == UNKNOWN_SOURCE, -v["count"], v["value"]))


def related(article: Article) -> Related:
    """An article listed as related to another."""
    return Related(id=article.id, title=article.title, date=_iso(article), source=article.source, cities=list(article.cities))


def nothing_to_search(text: str) -> str:
    """The notice for typed text of which nothing is indexed ("the", "x", "*"): it finds nothing."""
    return (f"Nothing to search for in “{text}”: single letters, very common words such as "
            "'the' and punctuation are not indexed. Try other words.")


def suggestion(query: str, total: int) -> Suggestion:
    """A corrected query and how many articles it finds."""
    return Suggestion(query=query, total=total)


def response(req: SearchRequest, *, query: str, total: int, sort: str, by_city: bool, results: list[Result],
             facets: dict[str, list[FacetValue]], suggested: Suggestion | None, relaxed: bool, timed_out: bool,
             notices: list[str], generation: str, started: float, some_words_from: int | None = None) -> SearchResponse:
    """The envelope of a results page; started is the time.perf_counter() the search began at."""
    return SearchResponse(
        query=query, total=total, some_words_from=some_words_from, page=req.page, per_page=req.per_page,
        pages=max(1, -(-total // req.per_page)),
        sort=sort, order="city" if by_city else sort, results=results, facets=facets, suggestion=suggested,
        relaxed=relaxed, timed_out=timed_out, notices=list(dict.fromkeys(notices)), generation=generation,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
    )


def article_view(article: Article, *, title_html: str, paragraphs_html: list[str], related: list[Related],
                 generation: str) -> ArticleView:
    """One article as the article page and /api/articles/<id> show it."""
    return ArticleView(
        id=article.id, path=article.path, title=article.title, body=article.body, date=_iso(article),
        source=article.source, author=article.author, cities=list(article.cities), dated_by=article.dated_by,
        title_html=title_html, paragraphs_html=paragraphs_html, city_labels=[city_label(c) for c in article.cities],
        related=related, generation=generation,
    )


def _iso(article: Article) -> str | None:
    return article.date.isoformat() if article.date else None
