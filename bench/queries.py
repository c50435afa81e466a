"""The fixed benchmark query list: Reuters vocabulary, phrases, city and date filters, both sorts.

Each entry is a plain dict: q (query text; words are ANDed, "quoted" parts are phrases),
cities (OR-ed city filter, canonical names), date_from / date_to (ISO dates or None, inclusive)
and sort ("relevance", "newest" or "oldest").
"""

from __future__ import annotations

from typing import Any, TypedDict


class Query(TypedDict):
    """One benchmark query."""

    q: str
    cities: tuple[str, ...]
    date_from: str | None
    date_to: str | None
    sort: str


def _q(q: str, cities: tuple[str, ...] = (), date_from: str | None = None, date_to: str | None = None,
       sort: str = "relevance") -> Query:
    return Query(q=q, cities=cities, date_from=date_from, date_to=date_to, sort=sort)


QUERIES: tuple[Query, ...] = (
    # One word, relevance.
    _q("wheat"), _q("oil"), _q("coffee"), _q("gold"), _q("copper"), _q("dividend"), _q("inflation"),
    _q("bundesbank"), _q("opec"), _q("soybeans"), _q("takeover"), _q("unemployment"),
    # Two or three words, relevance.
    _q("oil prices"), _q("bank rate"), _q("interest rates"), _q("grain exports"), _q("money supply"),
    _q("crude oil production"), _q("sugar imports"), _q("stock split"), _q("tender offer"),
    _q("net profit"), _q("steel output"), _q("rubber price"), _q("cocoa buffer stock"),
    _q("federal reserve"), _q("dollar yen"), _q("natural gas"),
    # Phrases.
    _q('"trade deficit"'), _q('"money market"'), _q('"current account"'), _q('"balance of payments"'),
    _q('"west germany"'), _q('"tender offer"'), _q('"crude oil" prices'), _q('"federal reserve" rates'),
    # City filters (articles that name a Shanxi city, by the city or one of its counties).
    _q("coal", cities=("Taiyuan",)), _q("traders", cities=("Datong",)), _q("oil prices", cities=("Taiyuan",)),
    _q("wheat", cities=("Changzhi", "Jincheng")), _q('"trade deficit"', cities=("Linfen",)),
    _q("shipments", cities=("Lüliang",)), _q("bank", cities=("Jinzhong", "Yangquan", "Xinzhou")),
    _q("dollar", cities=("Yuncheng",)),
    # Date ranges.
    _q("oil", date_from="2000-01-01", date_to="2009-12-31"),
    _q("interest rates", date_from="2020-01-01"),
    _q("wheat", date_to="1995-12-31"),
    _q('"trade deficit"', date_from="2010-03-01", date_to="2010-09-30"),
    _q("merger", date_from="2024-01-01", date_to="2024-12-31"),
    # Sorted by date.
    _q("oil", sort="newest"), _q("wheat", sort="newest"), _q("bank rate", sort="newest"),
    _q("coffee prices", sort="oldest"), _q('"money supply"', sort="newest"), _q("gold", sort="oldest"),
    # Filters and date sort together.
    _q("coal", cities=("Taiyuan",), sort="newest"),
    _q("oil", cities=("Datong",), date_from="2005-01-01", sort="newest"),
    _q("grain", date_from="1990-01-01", date_to="1999-12-31", sort="oldest"),
    _q("prices", cities=("Taiyuan", "Datong"), date_from="2015-01-01", date_to="2026-12-31"),
    _q("shares", cities=("Changzhi",), sort="newest"),
)


def as_dicts() -> list[dict[str, Any]]:
    """The queries as JSON-ready dicts (cities as lists)."""
    return [{**q, "cities": list(q["cities"])} for q in QUERIES]
