"""Request arguments to a SearchRequest and back to a query string; shared by HTML and JSON."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from werkzeug.datastructures import MultiDict

from search_app.errors import BadRequest
from search_app.models import DEFAULT_PER_PAGE, MAX_PER_PAGE, SORTS, SearchRequest
from search_app.query.contract import MAX_PAGE

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR = re.compile(r"\d{4}")
MAX_VALUES = 50  # repeated filter values per facet; more is not a real request
SEARCH_KEYS = ("q", "city", "source", "year", "from", "to", "sort", "page", "per_page")  # to_args' order


def _text(args: MultiDict[str, str], name: str) -> str:
    return (args.get(name) or "").strip()


def _values(args: MultiDict[str, str], name: str) -> tuple[str, ...]:
    values = [v.strip() for v in args.getlist(name) if v.strip()]
    if len(values) > MAX_VALUES:
        raise BadRequest(f"Too many '{name}' values: at most {MAX_VALUES}.")
    return tuple(dict.fromkeys(values))  # keep order, drop repeats


def _int(args: MultiDict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = _text(args, name)
    if not raw:
        return default
    if not raw.isascii() or not raw.lstrip("-").isdigit():
        raise BadRequest(f"{name} must be a whole number between {low} and {high}, not {raw[:40]!r}.")
    digits = raw.lstrip("-").lstrip("0")
    if len(digits) > len(str(high)):  # out of range whatever it is; int() refuses >4300 digits anyway
        raise BadRequest(f"{name} must be between {low} and {high}.")
    value = int(raw)
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}.")
    return value


def _date(args: MultiDict[str, str], name: str) -> dt.date | None:
    raw = _text(args, name)
    if not raw:
        return None
    if not _DATE.fullmatch(raw):
        raise BadRequest(f"'{name}' must be a date written YYYY-MM-DD, not {raw[:40]!r}.")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"'{name}' is not a real date: {raw!r}.") from None


def _years(args: MultiDict[str, str]) -> tuple[int, ...]:
    years = []
    for raw in _values(args, "year"):
        if not _YEAR.fullmatch(raw):
            raise BadRequest(f"year must be a four-digit year, not {raw[:40]!r}.")
        years.append(int(raw))
    return tuple(years)


def parse_search_args(args: MultiDict[str, str]) -> SearchRequest:
    """Turn query-string arguments into a SearchRequest; anything malformed is a BadRequest."""
    sort = _text(args, "sort") or "relevance"
    if sort not in SORTS:
        raise BadRequest(f"Unknown sort {sort[:40]!r}: use one of {', '.join(SORTS)}.")
    req = SearchRequest(
        q=args.get("q") or "",
        cities=_values(args, "city"),
        sources=_values(args, "source"),
        years=_years(args),
        date_from=_date(args, "from"),
        date_to=_date(args, "to"),
        sort=sort,
        page=_int(args, "page", 1, 1, MAX_PAGE),
        per_page=_int(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE),
    )
    return req  # dates the wrong way round are swapped by the core, with a notice


def parse_search_state(args: MultiDict[str, str]) -> SearchRequest:
    """The search an article page was opened from, for its way back to the results.

    Unlike parse_search_args it refuses nothing: the article itself is fine, so a malformed
    part of the search (page=abc, an impossible date) is dropped and the rest kept.
    """
    kept: MultiDict[str, str] = MultiDict()
    for key in SEARCH_KEYS:
        alone: MultiDict[str, str] = MultiDict([(key, value) for value in args.getlist(key)])
        try:
            parse_search_args(alone)
        except BadRequest:
            continue
        for value in alone.getlist(key):
            kept.add(key, value)
    return parse_search_args(kept)


def has_filters(req: SearchRequest) -> bool:
    """True when any facet or date filter is set."""
    return bool(req.cities or req.sources or req.years or req.date_from or req.date_to)


def to_args(req: SearchRequest) -> list[tuple[str, str]]:
    """The query-string pairs that reproduce req, defaults left out so URLs stay short."""
    return [pair for name in _FIELDS for pair in _field_pairs(name, getattr(req, name))]


_FIELDS = ("q", "cities", "sources", "years", "date_from", "date_to", "sort", "page", "per_page")  # in URL order


def _field_pairs(name: str, value: Any) -> list[tuple[str, str]]:
    """The query-string pairs of one field of a request (none for its default)."""
    if name == "q":
        return [("q", value)] if value.strip() else []
    if name in ("cities", "sources", "years"):
        key = {"cities": "city", "sources": "source", "years": "year"}[name]
        return [(key, str(v)) for v in value]
    if name in ("date_from", "date_to"):
        return [("from" if name == "date_from" else "to", value.isoformat())] if value else []
    default = {"sort": "relevance", "page": 1, "per_page": DEFAULT_PER_PAGE}[name]
    return [(name, str(value))] if value != default else []


@lru_cache(maxsize=4096)
def _segment(name: str, value: Any) -> str:
    """One field's part of a query string, quoted; the same values recur in every link of a page."""
    return "&".join(f"{key}={quote_plus(text)}" for key, text in _field_pairs(name, value))


_PLACE = {name: i for i, name in enumerate(_FIELDS)}


@lru_cache(maxsize=64)
def _segments(req: SearchRequest) -> tuple[str, ...]:
    """Every field's part of req's query string (computed once per request, then shared by its links)."""
    return tuple(_segment(name, getattr(req, name)) for name in _FIELDS)


def url(path: str, req: SearchRequest, **changes: Any) -> str:
    """path plus the query string of req with some fields changed (page resets unless given).

    As urlencode(to_args(replace(req, **changes))) gives it, without building a request per link:
    a results page has some eighty links (facets, years, pages) that differ from it in a field or two."""
    changes.setdefault("page", 1)
    parts = list(_segments(req))
    for name, value in changes.items():
        parts[_PLACE[name]] = _segment(name, tuple(value) if isinstance(value, list) else value)  # cached: hashable
    query = "&".join(part for part in parts if part)
    return f"{path}?{query}" if query else path


def toggled(values: Iterable[Any], value: Any) -> tuple[Any, ...]:
    """values with value added, or removed when already there."""
    current = tuple(values)
    return tuple(v for v in current if v != value) if value in current else current + (value,)


def echo(req: SearchRequest) -> dict[str, Any]:
    """The request as plain data, for filling in the form and for API clients."""
    return {
        "q": req.q,
        "city": list(req.cities),
        "source": list(req.sources),
        "year": [str(y) for y in req.years],
        "from": req.date_from.isoformat() if req.date_from else None,
        "to": req.date_to.isoformat() if req.date_to else None,
        "sort": req.sort,
        "page": req.page,
        "per_page": req.per_page,
    }
