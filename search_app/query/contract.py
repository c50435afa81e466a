"""What both engines, the web pages and the CLI agree on: the limits and checks of a search request,
the date sort keys, and the shapes of a result and a facet. Engine-neutral: no Whoosh, no
Typesense, no Flask."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

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


def result(article: Article, *, title_html: str, score: float | None, snippet: str) -> dict[str, Any]:
    """One hit as every engine answers it: the article's fields, its marked headline, score and snippet."""
    return {
        "id": article.id,
        "title": article.title,
        "title_html": title_html,
        "date": article.date.isoformat() if article.date else None,
        "source": article.source,
        "author": article.author,
        "cities": list(article.cities),
        "score": round(float(score), 4) if score is not None else None,
        "snippet": snippet,
    }


def facet(name: str, counts: dict[str, int], selected: list[str]) -> list[dict[str, Any]]:
    """One facet's values as the page lists them: each value with articles, each selected one, and every
    city (so a reader sees where the archive is thin); years newest first, others most articles first,
    the articles that name no source last whatever their count."""
    values = {value: n for value, n in counts.items() if n or value in selected}
    for value in selected:
        values.setdefault(value, 0)
    if name == "city":
        for city in city_names():
            values.setdefault(city, 0)
    out = [{"value": v, "label": city_label(v) if name == "city" else v, "count": n, "selected": v in selected}
           for v, n in values.items()]
    if name == "year":
        return sorted(out, key=lambda v: v["value"], reverse=True)
    return sorted(out, key=lambda v: (v["value"] == UNKNOWN_SOURCE, -v["count"], v["value"]))
