"""Sources named by any site tag, and articles with no source kept selectable as one facet value."""

from __future__ import annotations

from typing import Any

import pytest

from search_app.ingest.extract import extract
from search_app.ingest.sources import UNKNOWN_SOURCE, known_outlet, normalise_source
from search_app.models import SearchRequest


@pytest.mark.parametrize(
    ("tag", "source"),
    [
        ("(reuters.com)", "Reuters"),
        ("(sxdaily.com.cn)", "Shanxi Daily"),
        ("(chinadaily.com.cn)", "China Daily"),
        ("[www.globaltimes.cn]", "Global Times"),
        ("（xinhuanet.com）", "Xinhua"),
        ("(english.news.cn)", "Xinhua"),
        ("(en.people.cn)", "People's Daily"),
        ("(sx.chinadaily.com.cn)", "China Daily"),
        ("(www.sxgov.cn)", "Shanxi News Network"),
        ("(news.cgtn.com)", "CGTN"),
        ("(www.shanxi.gov.cn)", "Shanxi Provincial Government"),
        ("(chinanews.com.cn)", "ECNS"),
        ("(taiyuan-evening.example.org)", "taiyuan-evening.example.org"),  # unknown: the domain itself
        ("sxdaily.com.cn", "Shanxi Daily"),  # a bare domain line
        ("Source: www.chinanews.com.cn", "ECNS"),
        ("来源：中国日报网", "China Daily"),
        ("来源：新华网", "Xinhua"),
        ("(Xinhua)", "Xinhua"),
    ],
)
def test_a_site_tag_names_the_source_and_leaves_the_body(tag: str, source: str) -> None:
    found = extract(f"Taiyuan opens a library\n\n{tag}\n\nThe city of Taiyuan opened a library on Monday.\n")
    assert (found.title, found.body, found.source) == ("Taiyuan opens a library", "The city of Taiyuan opened a library on Monday.", source)


@pytest.mark.parametrize(
    "line",
    ["(Photo by Li Wei)", "(3.14)", "(more in Datong)", "Visit chinadaily.com.cn for more."],
    ids=["credit", "number", "words", "sentence"],
)
def test_brackets_that_are_no_site_tag_name_no_source(line: str) -> None:
    assert extract(f"Taiyuan opens a library\n\n{line}\n\nThe city opened a library.\n").source is None


@pytest.mark.parametrize(
    ("text", "label"),
    [("chinadaily.com.cn", "China Daily"), ("global.chinadaily.com.cn", "China Daily"), ("people.com.cn", "People's Daily"),
     ("example.com", None), ("chinadaily.com.cn.example.com", None)],
)
def test_known_outlet_by_domain_and_parent_domain(text: str, label: str | None) -> None:
    assert known_outlet(text) == label


@pytest.mark.parametrize("text", ["unknown", "Unknown source", "N/A", "none"])
def test_a_source_that_says_it_is_unknown_is_none(text: str) -> None:
    assert normalise_source(text) is None


def source_facet(response: dict[str, Any]) -> list[tuple[str, int, bool]]:
    return [(v["value"], v["count"], v["selected"]) for v in response["facets"]["source"]]


def test_articles_without_a_source_are_one_selectable_facet_value(whoosh_backend: Any) -> None:
    everything = whoosh_backend.search(SearchRequest())
    # Two seeds name no outlet; listed last, so the counts add up to the total.
    assert source_facet(everything) == [("China Daily", 2, False), ("Shanxi Daily", 1, False), (UNKNOWN_SOURCE, 2, False)]
    assert sum(count for _, count, _ in source_facet(everything)) == everything["total"] == 5
    unknown = whoosh_backend.search(SearchRequest(sources=(UNKNOWN_SOURCE,)))
    assert sorted(r["id"] for r in unknown["results"]) == ["000_5ca391961da276a5", "001_0b108123ccd7e2b3"]
    assert {r["source"] for r in unknown["results"]} == {None}
