"""The one plain dict behind the search page and /api/search: the core response plus links."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote, urlencode

from ..gazetteer import canonical_city
from ..models import SearchRequest
from ..backends import SearchBackend
from ..sources import normalise_source
from .params import echo, has_filters, toggled, url
from .timeline import build_timeline

PAGE_WINDOW = 2  # page links shown either side of the current one


def article_url(article_id: str, q: str = "") -> str:
    """Link to an article page, carrying the query so its words are highlighted."""
    path = "/article/" + quote(article_id, safe="/")
    return f"{path}?{urlencode({'q': q})}" if q.strip() else path


def _without(values: tuple[str, ...], value: str, canonical: Any) -> tuple[str, ...]:
    # A ticked value may have been typed differently ('太原' for Taiyuan): compare canonical forms.
    return tuple(v for v in values if (canonical(v) or v) != value)


def _toggle_url(req: SearchRequest, facet: str, item: dict[str, Any]) -> str:
    value = item["value"]
    if facet == "city":
        cities = _without(req.cities, value, canonical_city) if item["selected"] else req.cities + (value,)
        return url("/", req, cities=cities)
    if facet == "source":
        sources = _without(req.sources, value, normalise_source) if item["selected"] else req.sources + (value,)
        return url("/", req, sources=sources)
    return url("/", req, years=toggled(req.years, int(value)))


def _pagination(req: SearchRequest, pages: int) -> dict[str, Any]:
    numbers = sorted({1, pages, *range(max(1, req.page - PAGE_WINDOW), min(pages, req.page + PAGE_WINDOW) + 1)})
    return {
        "prev": url("/", req, page=req.page - 1) if req.page > 1 else None,
        "next": url("/", req, page=req.page + 1) if req.page < pages else None,
        "pages": [{"number": n, "url": url("/", req, page=n), "current": n == req.page} for n in numbers],
    }


def build_page(backend: SearchBackend, req: SearchRequest) -> dict[str, Any]:
    """Run the search and add what a page needs: toggle links, page links, timeline, fallbacks."""

    def run(r: SearchRequest) -> dict[str, Any]:
        return backend.search(r)

    data = run(req)
    for facet, values in data["facets"].items():
        for item in values:
            item["toggle_url"] = _toggle_url(req, facet, item)
    for hit in data["results"]:
        hit["url"] = article_url(hit["id"], req.q)
    if data["suggestion"]:
        data["suggestion"]["url"] = url("/", req, q=data["suggestion"]["query"])
    without = None
    if data["total"] == 0 and has_filters(req):
        # Say what the words alone would find rather than leave a blank page.
        bare = replace(req, cities=(), sources=(), years=(), date_from=None, date_to=None, page=1)
        loose = run(replace(bare, per_page=1, facets=False, suggest=False))
        without = {"total": loose["total"], "url": url("/", bare)}
    data["without_filters"] = without
    data["pagination"] = _pagination(req, data["pages"])
    data["timeline"] = build_timeline(data, req, run)
    data["params"] = echo(req)
    data["filtered"] = has_filters(req)
    data["feed_url"] = url("/feed.atom", req)
    data["api_url"] = url("/api/search", req, page=req.page)
    return data
