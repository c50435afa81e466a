"""Query-string links (web/params.py): the short form of a request, with some fields changed."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from werkzeug.datastructures import MultiDict

from search_app.models import SearchRequest
from search_app.web.params import parse_search_args, url

REQUESTS = [
    SearchRequest(),
    SearchRequest(q="coal"),
    SearchRequest(q="太原 煤 & x=y", cities=("Taiyuan", "太原"), sources=("A&B News",), years=(2020, 1999),
                  date_from=dt.date(2020, 1, 2), date_to=dt.date(2021, 3, 4), sort="newest", page=3, per_page=20),
    SearchRequest(q=" spaced  words ", sources=("China Daily",), page=2),
]
CHANGES: list[dict[str, Any]] = [{}, {"page": 2}, {"cities": ("Linfen",)}, {"sources": ()}, {"years": (2001,)},
                                 {"sort": "oldest", "date_from": None}, {"q": "a+b/c?d"}, {"cities": ["Linfen", "Datong"]}]


@pytest.mark.parametrize("req", REQUESTS)
@pytest.mark.parametrize("changes", CHANGES)
def test_a_link_is_the_changed_request_urlencoded(req: SearchRequest, changes: dict[str, Any]) -> None:
    changed = replace(req, **{"page": 1, **changes})
    pairs = [("q", changed.q)] if changed.q.strip() else []
    pairs += [("city", c) for c in changed.cities] + [("source", s) for s in changed.sources]
    pairs += [("year", str(y)) for y in changed.years]
    pairs += [(k, d.isoformat()) for k, d in (("from", changed.date_from), ("to", changed.date_to)) if d]
    pairs += [("sort", changed.sort)] if changed.sort != "relevance" else []
    pairs += [("page", str(changed.page))] if changed.page != 1 else []
    pairs += [("per_page", str(changed.per_page))] if changed.per_page != 10 else []
    expected = "/?" + urlencode(pairs) if pairs else "/"
    assert url("/", req, **changes) == expected


@pytest.mark.parametrize("req", REQUESTS[1:])
def test_a_link_reads_back_as_the_same_request(req: SearchRequest) -> None:
    link = url("/", req, page=req.page)
    assert parse_search_args(MultiDict(parse_qsl(link.split("?", 1)[1]))) == req
