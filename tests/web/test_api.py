"""The JSON API through Flask's test client: every route, parameter and error, against the seed index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate as validate_spec

from search_app.backends.whoosh.indexer import build
from search_app.config import Settings
from search_app.web.app import create_app

AIRPORT = ["003_b8c9e442042d1bdf", "004_860ced496ef7d71d"]
NEWEST = ["000_5ca391961da276a5", "001_0b108123ccd7e2b3", "003_b8c9e442042d1bdf",
          "004_860ced496ef7d71d", "002_d26b102950b0f93f"]
TAIYUAN = ["000_5ca391961da276a5", "003_b8c9e442042d1bdf", "004_860ced496ef7d71d", "002_d26b102950b0f93f"]


def ids(data: dict[str, Any]) -> list[str]:
    return [r["id"] for r in data["results"]]


def schema_for(client: Any, name: str) -> dict[str, Any]:
    """A component schema of the served OpenAPI document, with the components alongside for $ref."""
    doc = client.get("/api/openapi.json").get_json()
    return {**doc["components"]["schemas"][name], "components": doc["components"]}


def check(client: Any, name: str, data: Any) -> None:
    jsonschema.Draft202012Validator(schema_for(client, name), format_checker=jsonschema.FormatChecker()).validate(data)


def error(status: int, message: str) -> dict[str, Any]:
    return {"error": {"status": status, "message": message}}


# ---------------------------------------------------------------- /api/search

def test_search_airport_finds_exactly_the_two_airport_articles(client):
    response = client.get("/api/search?q=airport")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    data = response.get_json()
    assert ids(data) == AIRPORT
    assert (data["total"], data["page"], data["pages"], data["per_page"], data["sort"]) == (2, 1, 1, 10, "relevance")
    assert data["results"][0]["url"] == "/article/003_b8c9e442042d1bdf?q=airport"
    assert "<mark>Airport</mark>" in data["results"][0]["snippet"]
    assert (data["suggestion"], data["relaxed"], data["timed_out"], data["notices"]) == (None, False, False, [])
    assert data["params"] == {"q": "airport", "city": [], "source": [], "year": [], "from": None, "to": None,
                              "sort": "relevance", "page": 1, "per_page": 10}
    assert data["feed_url"] == "/feed.atom?q=airport"
    assert data["api_url"] == "/api/search?q=airport"
    check(client, "SearchPage", data)


def test_empty_query_lists_newest_first_with_undated_last(client):
    data = client.get("/api/search").get_json()
    assert ids(data) == NEWEST
    assert data["sort"] == "newest"
    assert [(v["value"], v["count"]) for v in data["facets"]["year"]] == [("2022", 2), ("2021", 1), ("2019", 1)]
    # The two articles that name no source are counted under "Unknown source", listed last whatever its count.
    assert [(v["value"], v["count"]) for v in data["facets"]["source"]] == [("China Daily", 2), ("Shanxi Daily", 1),
                                                                          ("Unknown source", 2)]
    check(client, "SearchPage", data)


def test_city_filter_by_pinyin_and_by_chinese_name(client):
    for value in ("Taiyuan", "太原"):
        data = client.get("/api/search", query_string={"city": value}).get_json()
        assert ids(data) == TAIYUAN
        assert data["total"] == 4
        taiyuan = data["facets"]["city"][0]
        assert (taiyuan["value"], taiyuan["label"], taiyuan["count"], taiyuan["selected"]) == ("Taiyuan", "Taiyuan 太原", 4, True)
        # Unticking goes back to no city whichever spelling ticked it.
        assert taiyuan["toggle_url"] == "/"
        check(client, "SearchPage", data)


def test_source_filter_and_repeated_values(client):
    data = client.get("/api/search?source=China+Daily").get_json()
    assert ids(data) == ["004_860ced496ef7d71d", "002_d26b102950b0f93f"]
    both = client.get("/api/search?source=China+Daily&source=Shanxi+Daily").get_json()
    assert both["total"] == 3
    cities = client.get("/api/search?city=Datong&city=Jincheng").get_json()
    assert ids(cities) == ["000_5ca391961da276a5", "001_0b108123ccd7e2b3", "004_860ced496ef7d71d"]


def test_facet_toggle_urls_add_and_remove_values(client):
    data = client.get("/api/search?q=airport&city=Taiyuan").get_json()
    toggles = {(f, v["value"]): v["toggle_url"] for f, vs in data["facets"].items() for v in vs}
    assert toggles[("city", "Taiyuan")] == "/?q=airport"
    assert toggles[("city", "Jincheng")] == "/?q=airport&city=Taiyuan&city=Jincheng"
    assert toggles[("source", "China Daily")] == "/?q=airport&city=Taiyuan&source=China+Daily"
    assert toggles[("year", "2021")] == "/?q=airport&city=Taiyuan&year=2021"
    ticked = client.get("/api/search?year=2021&year=2019").get_json()
    years = {v["value"]: (v["selected"], v["toggle_url"]) for v in ticked["facets"]["year"]}
    assert years == {"2022": (False, "/?year=2021&year=2019&year=2022"), "2021": (True, "/?year=2019"),
                     "2019": (True, "/?year=2021")}


def test_year_and_date_range_filters(client):
    assert ids(client.get("/api/search?year=2022").get_json()) == NEWEST[:2]
    ranged = client.get("/api/search?from=2021-01-01&to=2022-06-30").get_json()
    assert ids(ranged) == ["001_0b108123ccd7e2b3", "003_b8c9e442042d1bdf"]
    assert ranged["params"]["from"] == "2021-01-01" and ranged["params"]["to"] == "2022-06-30"
    open_end = client.get("/api/search?from=2022-01-01").get_json()
    assert ids(open_end) == NEWEST[:2]


def test_sort_orders(client):
    assert ids(client.get("/api/search?sort=newest").get_json()) == NEWEST
    assert ids(client.get("/api/search?sort=oldest").get_json()) == [
        "004_860ced496ef7d71d", "003_b8c9e442042d1bdf", "001_0b108123ccd7e2b3", "000_5ca391961da276a5",
        "002_d26b102950b0f93f"]
    assert ids(client.get("/api/search?q=airport&sort=oldest").get_json()) == list(reversed(AIRPORT))


def test_pagination_links(client):
    data = client.get("/api/search?per_page=2&page=2").get_json()
    assert ids(data) == NEWEST[2:4]
    assert (data["page"], data["pages"]) == (2, 3)
    assert data["pagination"] == {
        "prev": "/?per_page=2", "next": "/?page=3&per_page=2",
        "pages": [{"number": 1, "url": "/?per_page=2", "current": False},
                  {"number": 2, "url": "/?page=2&per_page=2", "current": True},
                  {"number": 3, "url": "/?page=3&per_page=2", "current": False}]}
    last = client.get("/api/search?per_page=2&page=3").get_json()
    assert ids(last) == NEWEST[4:] and last["pagination"]["next"] is None
    beyond = client.get("/api/search?per_page=2&page=9").get_json()
    assert (beyond["total"], beyond["results"]) == (5, [])


def test_timeline_per_year_then_per_month(client):
    data = client.get("/api/search").get_json()
    timeline = data["timeline"]
    assert timeline["unit"] == "year"
    assert [(b["key"], b["count"], b["url"]) for b in timeline["bars"]] == [
        ("2019", 1, "/?from=2019-01-01&to=2019-12-31"), ("2020", 0, "/?from=2020-01-01&to=2020-12-31"),
        ("2021", 1, "/?from=2021-01-01&to=2021-12-31"), ("2022", 2, "/?from=2022-01-01&to=2022-12-31")]
    assert (timeline["dated"], timeline["undated"]) == (4, 1)
    narrow = client.get("/api/search?from=2022-01-01&to=2022-12-31").get_json()["timeline"]
    assert narrow["unit"] == "month"
    assert [(b["key"], b["count"]) for b in narrow["bars"] if b["count"]] == [("2022-03", 1), ("2022-09", 1)]
    assert narrow["bars"][8]["url"] == "/?from=2022-09-01&to=2022-09-30"
    assert client.get("/api/search?q=airport&city=Datong").get_json()["timeline"] is None


def test_suggestion_and_no_results_fallback(client):
    data = client.get("/api/search?q=airprot").get_json()
    assert data["total"] == 0
    assert data["suggestion"] == {"query": "airport", "total": 2, "url": "/?q=airport&corrected_from=airprot"}
    assert data["without_filters"] is None  # no filters to drop
    filtered = client.get("/api/search?q=airport&city=Datong").get_json()
    assert filtered["total"] == 0
    assert filtered["without_filters"] == {"total": 2, "url": "/?q=airport"}
    check(client, "SearchPage", data)
    check(client, "SearchPage", filtered)


def test_relaxed_query_is_flagged(client):
    data = client.get("/api/search?q=airport+zebra").get_json()
    assert data["relaxed"] is True
    assert ids(data) == AIRPORT
    check(client, "SearchPage", data)


@pytest.mark.parametrize(("query", "message"), [
    ("page=-1", "page must be between 1 and 1000."),
    ("page=0", "page must be between 1 and 1000."),
    ("page=abc", "page must be a whole number between 1 and 1000, not 'abc'."),
    ("page=1.5", "page must be a whole number between 1 and 1000, not '1.5'."),
    ("per_page=100000", "per_page must be between 1 and 100."),
    ("per_page=0", "per_page must be between 1 and 100."),
    ("from=yesterday-ish", "'from' must be a date written YYYY-MM-DD, not 'yesterday-ish'."),
    ("to=2022-02-30", "'to' is not a real date: '2022-02-30'."),
    ("sort=bogus", "Unknown sort 'bogus': use one of relevance, newest, oldest."),
    ("year=20x1", "year must be a four-digit year, not '20x1'."),
    ("&".join(f"city=c{i}" for i in range(51)), "Too many 'city' values: at most 50."),
])
def test_bad_parameters_answer_400_json(client, query, message):
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 400
    assert response.get_json() == error(400, message)
    check(client, "Error", response.get_json())


def test_hostile_queries_never_500(client):
    hostile = ['"', "((", "))", "OR", "NOT", "-", "*", "title:", "city:", "AND OR NOT", "a" * 5000,
               '"unbalanced', "\x00", "%", "<script>", "☃" * 50, "city:太原 OR", "year:abc", "-*", "?*?"]
    for q in hostile:
        response = client.get("/api/search", query_string={"q": q})
        assert response.status_code in (200, 400), q
        if response.status_code == 200:
            check(client, "SearchPage", response.get_json())


# ---------------------------------------------------------------- /api/articles

def test_article_json_with_highlight_and_related(client):
    response = client.get("/api/articles/003_b8c9e442042d1bdf?q=airport")
    assert response.status_code == 200
    data = response.get_json()
    assert (data["id"], data["path"], data["title"], data["date"], data["source"], data["author"]) == (
        "003_b8c9e442042d1bdf", "003_b8c9e442042d1bdf.txt", "Work report reveals Shanxi remains on task",
        "2021-11-05", "Shanxi Daily", "Yuan Shenggao")
    assert data["cities"] == ["Linfen", "Taiyuan", "Yangquan"]
    assert data["city_labels"] == ["Linfen 临汾", "Taiyuan 太原", "Yangquan 阳泉"]
    assert any("<mark>airport</mark>" in p for p in data["paragraphs_html"])
    assert [r["id"] for r in data["related"]] == ["001_0b108123ccd7e2b3", "002_d26b102950b0f93f",
                                                   "000_5ca391961da276a5", "004_860ced496ef7d71d"]
    assert data["related"][0]["url"] == "/article/001_0b108123ccd7e2b3"
    check(client, "Article", data)


def test_unknown_article_is_404_json(client):
    response = client.get("/api/articles/no/such/article")
    assert response.status_code == 404
    assert response.get_json() == error(404, "No article with id 'no/such/article'. Search for it from the home page.")


def test_unknown_api_route_is_404_json(client):
    response = client.get("/api/nothing")
    assert response.status_code == 404
    assert response.get_json() == error(404, "There is no page at this address. Try a search from the home page.")


# ---------------------------------------------------------------- /api/suggest

def test_suggest_completes_words_and_titles(client):
    data = client.get("/api/suggest?q=the+Jin").get_json()
    assert data["query"] == "the Jin"
    assert data["words"] == ["the Jincheng", "the Jinzhong", "the Jingang", "the Jinou"]
    # The headline with a word starting with "jin" first, then other articles "the jin*" finds.
    assert data["titles"][0] == {"id": "004_860ced496ef7d71d",
                                 "title": "Jincheng pursues socioeconomic development, opening up",
                                 "url": "/article/004_860ced496ef7d71d"}
    assert [t["id"] for t in data["titles"][1:]] == ["002_d26b102950b0f93f", "003_b8c9e442042d1bdf", "001_0b108123ccd7e2b3"]
    check(client, "Suggest", data)
    assert client.get("/api/suggest?q=airp").get_json()["words"] == ["airport", "airports"]
    assert client.get("/api/suggest").get_json() == {"query": "", "words": [], "titles": []}
    assert client.get("/api/suggest?q=%22(").get_json() == {"query": '"(', "words": [], "titles": []}


def test_suggest_titles_of_articles_the_typed_text_finds(client):
    # No headline has a word starting with "air": the articles air* finds stand in.
    data = client.get("/api/suggest?q=air").get_json()
    assert data["words"] == ["airport", "aircraft", "airports"]
    assert [t["id"] for t in data["titles"]] == AIRPORT
    # A last word of two letters asks the headlines only.
    assert client.get("/api/suggest?q=ai").get_json()["titles"] == []
    # A whole word still finds its headlines, though the index holds its stem ("industri").
    titles = client.get("/api/suggest?q=industrial").get_json()["titles"]
    assert [t["id"] for t in titles[:2]] == ["001_0b108123ccd7e2b3", "002_d26b102950b0f93f"]
    assert len(titles) == 5
    # Typed text no article fully matches offers no articles (not a relaxed guess).
    assert client.get("/api/suggest?q=zebra+air").get_json()["titles"] == []
    check(client, "Suggest", data)


def test_suggest_leaves_out_very_common_words(client):
    # "moreover" and "more" are in the index, "the" and "that" are stop words it never holds.
    assert client.get("/api/suggest?q=mo").get_json()["words"] == [
        "modern", "modernization", "Mongolia", "motion", "Mountains", "move"]  # as the articles write them
    assert client.get("/api/suggest?q=th").get_json()["words"] == ["three", "thing", "third", "thrive"]
    assert client.get("/api/suggest?q=coal+wi").get_json() == {"query": "coal wi", "words": [], "titles": []}


def suggest(client: Any, q: str) -> dict[str, Any]:
    response = client.get("/api/suggest", query_string={"q": q})
    assert response.status_code == 200, q
    data = response.get_json()
    check(client, "Suggest", data)
    return data


def title(article_id: str, text: str) -> dict[str, str]:
    return {"id": article_id, "title": text, "url": f"/article/{article_id}"}


def test_suggest_completes_nothing_after_an_operator(client):
    for q in ("coal OR", "coal AND", "coal NOT", "NOT", "(coal OR"):
        assert suggest(client, q) == {"query": q, "words": [], "titles": []}
    # Lower-case "or" is no operator: it may be the start of "order".
    assert suggest(client, "coal or")["words"] == ["coal order", "coal ore", "coal organizations"]
    # The word after an operator is completed once typed.
    assert suggest(client, "coal OR airp")["words"] == ["coal OR airport", "coal OR airports"]


def test_suggest_completes_field_values_from_their_own_lists(client):
    assert suggest(client, "city:ta") == {
        "query": "city:ta", "words": ["city:Taiyuan", "city:Datong", "city:Taigu"],  # Datong spelt Tatung
        # A city alone: the articles most about it first.
        "titles": [title("002_d26b102950b0f93f", "Demo zone, district to co-develop industrial parks in Shanxi"),
                   title("003_b8c9e442042d1bdf", "Work report reveals Shanxi remains on task"),
                   title("000_5ca391961da276a5", "Shanxi metropolises listed as modern circulation cities"),
                   title("004_860ced496ef7d71d", "Jincheng pursues socioeconomic development, opening up")],
    }
    assert suggest(client, "city:太")["words"] == ["city:太原", "city:太谷区"]
    assert suggest(client, "coal city:xiaod")["words"] == ["coal city:Xiaodian"]
    assert suggest(client, "source:da")["words"] == ['source:"China Daily"', 'source:"Shanxi Daily"']
    assert suggest(client, 'source:"china d')["words"] == ['source:"China Daily"']
    assert suggest(client, "year:20")["words"] == ["year:2022", "year:2021", "year:2019"]
    assert suggest(client, "author:yu") == {
        "query": "author:yu", "words": ["author:Yuan"],
        "titles": [title("003_b8c9e442042d1bdf", "Work report reveals Shanxi remains on task")],
    }
    # Headline words only (the bodies have transformation, trade, train...).
    assert suggest(client, "title:tra")["words"] == ["title:transfer", "title:transfers"]
    assert suggest(client, "title:the") == {"query": "title:the", "words": [], "titles": []}


def test_suggest_excluded_word_is_completed_but_fills_no_titles_with_it(client):
    # The Jincheng headline starts with "jin": listing it would offer what is being excluded.
    expected = {
        "query": "coal -jin", "words": ["coal -Jincheng", "coal -Jingang", "coal -Jinou", "coal -Jinzhong"],
        "titles": [title("000_5ca391961da276a5", "Shanxi metropolises listed as modern circulation cities"),
                   title("003_b8c9e442042d1bdf", "Work report reveals Shanxi remains on task")],
    }
    assert suggest(client, "coal -jin") == expected
    assert [t["id"] for t in expected["titles"]] == ids(client.get("/api/search?q=coal+-jincheng").get_json())
    assert suggest(client, "coal NOT jin")["titles"] == expected["titles"]
    # Nothing but an exclusion: no articles to show.
    assert suggest(client, "-air") == {"query": "-air", "words": ["-airport", "-aircraft", "-airports"], "titles": []}


# ---------------------------------------------------------------- /healthz and the index lifecycle

def test_healthz(client, handle):
    response = client.get("/healthz")
    assert response.status_code == 200
    data = response.get_json()
    assert data["status"] == "ok" and data["articles"] == 5
    assert data["generation"] == handle.generation().name
    check(client, "Health", data)


def test_missing_index_answers_503_everywhere(tmp_path: Path):
    app = create_app({"SETTINGS": Settings(seeds=tmp_path, index=tmp_path / "none"), "TESTING": True})
    client = app.test_client()
    message = f"No index in {str(tmp_path / 'none')!r}: run `search-app build` first."
    try:
        for path in ("/healthz", "/api/search?q=coal", "/api/articles/x", "/api/suggest?q=co"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert response.get_json() == error(503, message)
        page = client.get("/")
        assert page.status_code == 503
        assert "The archive is not available right now" in page.get_data(as_text=True)
    finally:
        app.extensions["search_app"].close()


def test_running_app_follows_a_rebuild(fresh_index: Path, seeds_copy: Path):
    app = create_app({"SETTINGS": Settings(seeds=seeds_copy, index=fresh_index), "TESTING": True})
    client = app.test_client()
    try:
        before = client.get("/healthz").get_json()
        assert before["articles"] == 5
        assert client.get("/api/search?q=zeppelin").get_json()["total"] == 0
        (seeds_copy / "900_new.txt").write_text(
            "Zeppelin lands in Datong\n\nUpdated: 2023-05-06\n\nA zeppelin landed in Datong on Friday.\n", "utf-8")
        build(seeds_copy, fresh_index)
        after = client.get("/healthz").get_json()
        assert after["articles"] == 6
        assert after["generation"] != before["generation"]
        assert ids(client.get("/api/search?q=zeppelin").get_json()) == ["900_new"]
    finally:
        app.extensions["search_app"].close()


# ---------------------------------------------------------------- OpenAPI, methods, headers

def test_openapi_document_is_valid_and_lists_every_route(client):
    doc = client.get("/api/openapi.json").get_json()
    validate_spec(doc)
    assert doc["openapi"] == "3.1.0"
    assert sorted(doc["paths"]) == ["/api/articles/{id}", "/api/export", "/api/search", "/api/suggest", "/feed.atom", "/healthz"]
    names = [p["name"] for p in doc["paths"]["/api/search"]["get"]["parameters"]]
    assert names == ["q", "city", "source", "year", "from", "to", "sort", "page", "per_page"]
    export = [p["name"] for p in doc["paths"]["/api/export"]["get"]["parameters"]]
    assert export == ["q", "city", "source", "year", "from", "to", "sort", "format"]


def test_every_search_response_matches_the_schema(client):
    for query in ("", "q=airport", "city=Taiyuan", "q=airprot", "q=airport&city=Datong", "year=2022",
                  "per_page=1&page=5", "from=2019-01-01&to=2019-12-31", "q=airport+zebra", "source=China+Daily&sort=oldest"):
        response = client.get(f"/api/search?{query}")
        assert response.status_code == 200, query
        check(client, "SearchPage", response.get_json())


def test_only_get_and_head_are_allowed(client):
    for method in ("post", "put", "delete", "patch", "options"):
        response = getattr(client, method)("/api/search")
        assert response.status_code == 405, method
        assert response.headers["Allow"] == "GET, HEAD"
        assert response.get_json() == error(405, "This address only answers GET requests: nothing can be changed over the web.")
    assert client.head("/api/search?q=airport").status_code == 200


def test_security_headers_on_api_and_errors(client):
    for path in ("/api/search", "/api/search?page=abc", "/healthz", "/api/openapi.json"):
        headers = client.get(path).headers
        assert headers["Content-Security-Policy"] == (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
            "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"


def test_settings_come_from_the_environment_when_not_given(monkeypatch, built_index: Path):
    monkeypatch.setenv("SEARCH_APP_INDEX", str(built_index))
    app = create_app()
    try:
        assert app.config["SETTINGS"].index == built_index
        assert app.test_client().get("/healthz").get_json()["articles"] == 5
    finally:
        app.extensions["search_app"].close()


def test_unexpected_errors_are_a_generic_500(app, client, monkeypatch):
    def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(app.extensions["search_app"], "search", boom)  # the backend the routes call
    response = client.get("/api/search?q=coal")
    assert response.status_code == 500
    assert response.get_json() == error(500, "Something went wrong on our side. Please try again in a moment.")
    page = client.get("/?q=coal")
    assert page.status_code == 500
    assert "secret" not in page.get_data(as_text=True) and "Traceback" not in page.get_data(as_text=True)




def test_dates_the_wrong_way_round_are_swapped_not_refused(client) -> None:
    data = client.get("/api/search?from=2022-12-31&to=2021-01-01").get_json()
    expected = client.get("/api/search?from=2021-01-01&to=2022-12-31").get_json()
    assert [r["id"] for r in data["results"]] == [r["id"] for r in expected["results"]] != []
    assert data["notices"] == ["The dates were the wrong way round: searched from 2021-01-01 to 2022-12-31."]


def test_the_openapi_schemas_follow_the_contract_typeddicts() -> None:
    from search_app.query.contract import Related
    from search_app.web.openapi import _shaped

    assert set(_shaped(Related, {k: {} for k in Related.__annotations__})["required"]) == set(Related.__annotations__)
    with pytest.raises(RuntimeError, match=r"Related drifted .* missing \['url'\], extra \['link'\]"):
        _shaped(Related, {**{k: {} for k in Related.__annotations__ if k != "url"}, "link": {}})


def test_json_answers_read_as_flasks_own_writer_writes_them(app: Any) -> None:
    import datetime as dt
    import json
    from dataclasses import dataclass

    import numpy as np
    from flask.json.provider import DefaultJSONProvider

    @dataclass
    class Point:
        x: int

    data = {"when": dt.date(2021, 9, 20), "at": dt.datetime(2021, 9, 20, 9, 12), "n": 1.5, 2: "two",
            "text": "太原 <b>&", "point": Point(3), "items": [{"a": None, "b": True}], "big": 2**70,
            "score": np.float64(2.25)}
    flasks = DefaultJSONProvider(app)
    flasks.sort_keys = False  # as the app had it before (mixed keys cannot be sorted)
    fast, plain = app.json.dumps(data), flasks.dumps(data)
    assert json.loads(fast) == json.loads(plain)
    assert list(json.loads(fast)) == ["when", "at", "n", "2", "text", "point", "items", "big", "score"]  # as given
    assert "太原" in fast  # UTF-8, not \\u escapes
    with app.test_request_context():
        response = app.json.response(data)
    assert (response.mimetype, response.get_data(as_text=True)) == ("application/json", fast + "\n")
