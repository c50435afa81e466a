"""The one plain dict behind the search page and /api/search: the core response plus links."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote, urlencode

from search_app.backends import SearchBackend
from search_app.export import FORMATS
from search_app.export import LIMIT as EXPORT_LIMIT
from search_app.ingest.gazetteer import canonical_city, city_label
from search_app.ingest.sources import normalise_source
from search_app.models import DEFAULT_PER_PAGE, SearchRequest
from search_app.query.contract import validate
from search_app.web.params import echo, has_filters, to_args, toggled, url
from search_app.web.timeline import build_timeline

PAGE_WINDOW = 2  # page links shown either side of the current one


def article_url(article_id: str, search: SearchRequest | str = "") -> str:
    """Link to an article page carrying the search it was found by (a SearchRequest, or just a
    query): the article highlights the query and its back link returns to the same results page."""
    req = SearchRequest(q=search) if isinstance(search, str) else search
    return url("/article/" + quote(article_id, safe="/"), req, page=req.page)


def results_url(req: SearchRequest) -> str:
    """The results page of req itself, page included: the same URL the page's own links use."""
    return url("/", req, page=req.page)


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


def _facet_label(facets: dict[str, Any], facet: str, value: str) -> str | None:
    return next((item["label"] for item in facets.get(facet, []) if item["value"] == value), None)


def _date_label(req: SearchRequest) -> str:
    if req.date_from and req.date_to:
        return f"dates from {req.date_from.isoformat()} to {req.date_to.isoformat()}"
    if req.date_from:
        return f"dates from {req.date_from.isoformat()}"
    return f"dates until {req.date_to.isoformat()}" if req.date_to else ""


def _active_filters(req: SearchRequest, facets: dict[str, Any]) -> list[dict[str, str]]:
    """Every filter in force, each with a link that removes it (also values no facet lists)."""
    chips: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(facet: str, value: str, label: str, remove_url: str) -> None:
        if (facet, value) not in seen:
            seen.add((facet, value))
            chips.append({"facet": facet, "value": value, "label": label, "remove_url": remove_url})

    for raw in req.cities:
        value = canonical_city(raw) or raw
        label = _facet_label(facets, "city", value) or city_label(value)
        add("city", value, label, url("/", req, cities=_without(req.cities, value, canonical_city)))
    for raw in req.sources:
        value = normalise_source(raw) or raw
        label = _facet_label(facets, "source", value) or value
        add("source", value, label, url("/", req, sources=_without(req.sources, value, normalise_source)))
    for year in req.years:
        add("year", str(year), str(year), url("/", req, years=toggled(req.years, year)))
    if req.date_from or req.date_to:
        span = f"{req.date_from.isoformat() if req.date_from else ''}/{req.date_to.isoformat() if req.date_to else ''}"
        add("date", span, _date_label(req), url("/", req, date_from=None, date_to=None))
    return chips


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
        return dict(backend.search(r))  # the page adds its links and panels to the engine's response

    # The request as the core reads it (dates the wrong way round swapped), so the form, chips
    # and links show what was searched; the core's notices say what it changed.
    req, changed = validate(req)
    data = run(req)
    data["notices"] = changed + [n for n in data["notices"] if n not in changed]
    for facet, values in data["facets"].items():
        for item in values:
            item["toggle_url"] = _toggle_url(req, facet, item)
    for hit in data["results"]:
        hit["url"] = article_url(hit["id"], req)
    if data["suggestion"]:  # the link says what was typed, so the access log can count suggestions followed
        fixed = url("/", req, q=data["suggestion"]["query"])
        data["suggestion"]["url"] = fixed + "&" + urlencode({"corrected_from": req.q})
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
    data["active_filters"] = _active_filters(req, data["facets"])
    data["clear_filters_url"] = url("/", req, cities=(), sources=(), years=(), date_from=None, date_to=None)
    data["feed_url"] = url("/feed.atom", req)
    data["api_url"] = url("/api/search", req, page=req.page)
    whole = to_args(replace(req, page=1, per_page=DEFAULT_PER_PAGE))  # an export is every page
    data["export_limit"] = EXPORT_LIMIT
    data["export_urls"] = {fmt: "/api/export?" + urlencode(whole + [("format", fmt)]) for fmt in FORMATS}
    return data
