"""The search behaviour, specified once through the backend interface and run on Whoosh and on Typesense.

Every case runs on both backends (the `backend` fixture). Where Typesense cannot behave as
Whoosh does, the case is listed in DIFFERENCES with each backend's answer and the reason: the
difference is asserted, never skipped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from seed_facts import A0, A1, A2, A3, A4, KEYS, RESULT_KEYS
from seed_facts import CITIES as CITY_COUNTS

from search_app.errors import BadRequest, NotFound
from search_app.models import SearchRequest
from search_app.query.suggest import completions

# case id -> the request; the answer compared is (ids in order, total, relaxed).
CASES: dict[str, SearchRequest] = {
    "one word": SearchRequest(q="airport"),
    "ranked, title words weigh more": SearchRequest(q="jincheng"),
    "plural in the title": SearchRequest(q="transfers"),
    "singular": SearchRequest(q="transfer"),
    "stemming": SearchRequest(q="industries", per_page=100),
    "two words": SearchRequest(q="launch ceremony"),
    "all words first": SearchRequest(q="logistics airport"),
    "relaxed": SearchRequest(q="taiyuan airport kyrgyzstan nonexistentword"),
    "unknown word": SearchRequest(q="nonexistentword"),
    "phrase": SearchRequest(q='"industrial transfers"'),
    "phrase, plural in the text": SearchRequest(q='"freight train"'),
    "excluded word": SearchRequest(q="airport -kyrgyzstan"),
    "title field": SearchRequest(q="title:jincheng"),
    "city field": SearchRequest(q="city:taiyuan", sort="newest"),
    "city in Chinese": SearchRequest(q="city:太原", sort="newest"),
    "county maps to its city": SearchRequest(q="city:xiaodian", sort="newest"),
    "OR of cities": SearchRequest(q="city:datong OR city:jinzhong"),
    "city alone, most about it first": SearchRequest(q="city:taiyuan"),
    "Chinese city name alone": SearchRequest(q="太原"),
    "city name alone": SearchRequest(q="Taiyuan"),
    "OR of words": SearchRequest(q="kyrgyzstan OR optical"),
    "OR of three words, newest first": SearchRequest(q="kyrgyzstan OR optical OR jincheng", sort="newest"),
    "OR in brackets beside a word": SearchRequest(q="(kyrgyzstan OR transfers) shanxi"),
    "OR of a phrase and a word": SearchRequest(q='"freight train" OR jincheng'),
    "OR of words, stemmed": SearchRequest(q="industries OR airports"),
    "source field": SearchRequest(q='source:"China Daily"', sort="oldest"),
    "year field": SearchRequest(q="year:2021"),
    "excluded city": SearchRequest(q="shanxi -city:jincheng", sort="newest"),
    "prefix": SearchRequest(q="logis*", sort="newest"),
    "Chinese city name as a word": SearchRequest(q="太原", sort="newest"),
    "city without articles": SearchRequest(q="Lvliang"),
    "misspelled word": SearchRequest(q="logistcs"),
    "misspelled city": SearchRequest(q="Taiyaun"),
    "nothing searchable": SearchRequest(q="the", sort="newest"),
    "reporter by name": SearchRequest(q="Shenggao"),
    "everything, newest first": SearchRequest(),
    "oldest first, undated last": SearchRequest(sort="oldest"),
    "words, newest first": SearchRequest(q="shanxi", sort="newest"),
    "second page": SearchRequest(sort="newest", page=2, per_page=2),
    "city filter": SearchRequest(cities=("Taiyuan",)),
    "city filter in Chinese": SearchRequest(cities=("太原",)),
    "OR within a facet, AND across": SearchRequest(cities=("datong", "晋中"), sources=("China Daily",)),
    "year filter": SearchRequest(years=(2022,)),
    "date from": SearchRequest(date_from=dt.date(2021, 1, 1)),
    "date to": SearchRequest(date_to=dt.date(2021, 12, 31)),
    "one day": SearchRequest(date_from=dt.date(2021, 11, 5), date_to=dt.date(2021, 11, 5)),
    "words and a filter": SearchRequest(q="logistics", cities=("Taiyuan",)),
}

SAME: dict[str, tuple[list[str], int, bool]] = {
    "reporter by name": ([A3], 1, False),
    "one word": ([A3, A4], 2, False),
    "ranked, title words weigh more": ([A4, A1], 2, False),
    "unknown word": ([], 0, False),
    "plural in the title": ([A1, A0], 2, False),
    "singular": ([A1, A0], 2, False),
    "stemming": ([A2, A1, A4, A3, A0], 5, False),
    "relaxed": ([A3, A4, A2, A0], 4, True),
    "OR of words": ([A4, A3], 2, False),
    "OR of three words, newest first": ([A1, A3, A4], 3, False),
    "OR of words, stemmed": ([A3, A4, A2, A1, A0], 5, False),
    "nothing searchable": ([], 0, False),
    "phrase": ([A1], 1, False),
    "excluded word": ([A4], 1, False),
    "title field": ([A4], 1, False),
    "city field": ([A0, A3, A4, A2], 4, False),
    "city in Chinese": ([A0, A3, A4, A2], 4, False),
    "county maps to its city": ([A0, A3, A4, A2], 4, False),
    "OR of cities": ([A0, A2], 2, False),  # A0 names Datong twice, A2 Jinzhong once
    # How central Taiyuan is: A2 names it (or its districts) 7 times, A3 5, A0 2, A4 once.
    "city alone, most about it first": ([A2, A3, A0, A4], 4, False),
    "Chinese city name alone": ([A2, A3, A0, A4], 4, False),
    "city name alone": ([A2, A3, A0, A4], 4, False),
    "source field": ([A4, A2], 2, False),
    "year field": ([A3], 1, False),
    "excluded city": ([A0, A3, A2], 3, False),
    "prefix": ([A0, A3, A4], 3, False),
    "Chinese city name as a word": ([A0, A3, A4, A2], 4, False),
    "city without articles": ([], 0, False),
    "everything, newest first": ([A0, A1, A3, A4, A2], 5, False),
    "oldest first, undated last": ([A4, A3, A1, A0, A2], 5, False),
    "words, newest first": ([A0, A1, A3, A4, A2], 5, False),
    "second page": ([A3, A4], 5, False),
    "city filter": ([A0, A3, A4, A2], 4, False),
    "city filter in Chinese": ([A0, A3, A4, A2], 4, False),
    "OR within a facet, AND across": ([A2], 1, False),
    "year filter": ([A0, A1], 2, False),
    "date from": ([A0, A1, A3], 3, False),
    "date to": ([A3, A4], 2, False),
    "one day": ([A3], 1, False),
    "words and a filter": ([A0, A3, A4], 3, False),
}

# case id -> (Whoosh's answer, Typesense's answer, why they differ). See README "Backends".
DIFFERENCES: dict[str, tuple[tuple[list[str], int, bool], tuple[list[str], int, bool], str]] = {
    "two words": (([A2, A3], 2, False), ([A2], 1, False),
                  "the articles with some of the words follow on Whoosh only (Typesense lists those with every word)"),
    "all words first": (([A3, A4, A0], 3, False), ([A3, A4], 2, False),
                        "the articles with some of the words follow on Whoosh only (Typesense lists those with every word)"),
    "OR in brackets beside a word": (([A1, A3, A0, A2, A4], 5, False), ([A1, A3, A0], 3, False),
                                     "the articles with some of the words follow on Whoosh only"),
    "phrase, plural in the text": (([A3, A0], 2, False), ([A3], 1, False),
                                   "a phrase is matched as written on Typesense: 000 says 'freight trains'"),
    "OR of a phrase and a word": (([A4, A3, A1, A0], 4, False), ([A4, A3, A1], 3, False),
                                  "a phrase is matched as written on Typesense: 000 says 'freight trains'"),
    "misspelled word": (([], 0, False), ([A0, A3, A4], 3, False),
                        "typo tolerance: Typesense answers with the corrected word's results at once"),
    "misspelled city": (([], 0, False), ([A3, A2, A0, A4], 4, False),
                        "typo tolerance: Typesense answers with the corrected word's results at once"),
}


def answer(response: dict[str, Any]) -> tuple[list[str], int, bool]:
    """(ids in order, total, relaxed) of a response."""
    return [r["id"] for r in response["results"]], response["total"], response["relaxed"]


def facets(response: dict[str, Any]) -> dict[str, dict[str, tuple[int, bool]]]:
    """Per facet: value -> (count, selected), leaving out zero-count unselected values."""
    return {name: {v["value"]: (v["count"], v["selected"]) for v in values if v["count"] or v["selected"]}
            for name, values in response["facets"].items()}


def test_every_case_is_either_the_same_or_a_documented_difference() -> None:
    assert set(SAME) | set(DIFFERENCES) == set(CASES) and not set(SAME) & set(DIFFERENCES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_case(backend: Any, case: str) -> None:
    response = backend.search(CASES[case])
    assert list(response) == KEYS and all(list(r) == RESULT_KEYS for r in response["results"])
    if case in SAME:
        assert answer(response) == SAME[case]
    else:
        whoosh, typesense, _why = DIFFERENCES[case]
        assert answer(response) == (whoosh if backend.name == "whoosh" else typesense)


FACET_CASES = ["everything, newest first", "city filter", "OR within a facet, AND across", "year filter", "date from",
               "words and a filter", "one word", "excluded city"]


@pytest.mark.parametrize("case", FACET_CASES)
def test_facets_suggestions_notices_are_the_same(whoosh_backend: Any, ts_backend: Any, case: str) -> None:
    """Facet counts (each ignoring its own filter), suggestion and notices agree between the backends."""
    a, b = whoosh_backend.search(CASES[case]), ts_backend.search(CASES[case])
    assert facets(a) == facets(b)
    assert (a["suggestion"], a["notices"], a["pages"], a["sort"]) == (b["suggestion"], b["notices"], b["pages"], b["sort"])


@pytest.mark.parametrize(("q", "suggestion"), [("logistcs", {"query": "logistics", "total": 3}),
                                               ("Taiyaun", {"query": "Taiyuan", "total": 4}),
                                               ("logistics", None)])
def test_did_you_mean(backend: Any, q: str, suggestion: dict[str, Any] | None) -> None:
    assert backend.search(SearchRequest(q=q))["suggestion"] == suggestion


def test_an_or_counts_every_facet_value_once(backend: Any) -> None:
    """The facets of an OR add up each article once, on Typesense by inclusion and exclusion of exact counts."""
    facets = backend.search(CASES["OR in brackets beside a word"])["facets"]
    every_word = {  # the three articles with (kyrgyzstan OR transfers) and shanxi
        "city": {"Changzhi": 2, "Linfen": 2, "Taiyuan": 2, "Datong": 1, "Jincheng": 1, "Yangquan": 1},
        "source": {"Shanxi Daily": 1, "Unknown source": 2},
        "year": {"2022": 2, "2021": 1},
    }
    assert {name: {v["value"]: v["count"] for v in values if v["count"]} for name, values in facets.items()} == every_word


def test_an_or_of_many_alternatives_is_the_documented_difference(backend: Any) -> None:
    """Up to three alternatives are exact on both engines; Typesense searches more as all the words together."""
    assert [n for n in backend.search(CASES["OR of words"])["notices"] if "OR" in n] == []
    many = backend.search(SearchRequest(q="kyrgyzstan OR optical OR jincheng OR transfers"))
    assert bool([n for n in many["notices"] if "more than three alternatives" in n]) == (backend.name == "typesense")


def test_snippets_mark_and_escape(backend: Any) -> None:
    hit = backend.search(SearchRequest(q='"industrial transfers"'))["results"][0]
    assert hit["title_html"] == "Province calls for <mark>industrial</mark> <mark>transfers</mark>"
    assert "<mark>transfers</mark>" in hit["snippet"] and "China&#x27;s Shanxi" in hit["snippet"]
    assert hit["snippet"].replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_article_related_and_not_found(backend: Any) -> None:
    article = backend.get_article(A1, q="transfers")
    assert (article["id"], article["title"]) == (A1, "Province calls for industrial transfers")
    assert any("<mark>transfers</mark>" in p for p in article["paragraphs_html"])
    related = backend.related(A1)
    assert related and A1 not in {r["id"] for r in related} and set(related[0]) == {"id", "title", "date", "source", "cities"}
    with pytest.raises(NotFound):
        backend.get_article("no/such/article")


def test_bad_request(backend: Any) -> None:
    with pytest.raises(BadRequest):
        backend.search(SearchRequest(q="coal", sort="best"))


def test_completions(backend: Any) -> None:
    assert backend.complete("airp") == ["airport", "airports"]
    assert backend.complete("") == []


def test_stats_and_health(backend: Any) -> None:
    stats = backend.stats()
    expected = {"articles": 5, "undated": 1, "date_min": "2019-09-02", "date_max": "2022-09-29",
                "sources": {"China Daily": 2, "Shanxi Daily": 1, "Unknown source": 2}}  # the two that name none
    assert {k: stats[k] for k in expected} == expected and stats["cities"]["Taiyuan"] == 4
    health = backend.health()
    assert (health["status"], health["backend"], health["articles"]) == ("ok", backend.name, 5)
    assert health["generation"] == stats["generation"] and health["built_at"]


@pytest.mark.parametrize(("field", "prefix", "whoosh", "typesense"), [
    ("title", "tra", ["transfer", "transfers"], ["transfers"]),  # Whoosh also offers the word its stem came from
    ("author", "yu", ["Yuan"], ["Yuan"]),
])
def test_field_word_completions(backend: Any, field: str, prefix: str, whoosh: list[str], typesense: list[str]) -> None:
    assert sorted(backend.complete_words(field, prefix)) == (whoosh if backend.name == "whoosh" else typesense)


@pytest.mark.parametrize(("typed", "words"), [
    ("sha", ["Shanxi", "Shaanxi", "Shang"]),  # as the articles write them
    ("ji", ["Jincheng", "Jinzhong", "Jiankun", "Jiaozuo", "Jingang", "Jinou"]),  # the cities first
    ("太", ["太原", "太谷区"]),
    ("coal -Jin", ["coal -Jincheng", "coal -Jingang", "coal -Jinou", "coal -Jinzhong"]),
])
def test_search_box_words(backend: Any, typed: str, words: list[str]) -> None:
    assert completions(backend, typed)["words"] == words


def test_facets_without_filters(backend: Any) -> None:
    response = backend.search(SearchRequest())
    assert facets(response)["city"] == {c: (n, False) for c, n in CITY_COUNTS.items()}
    # The articles that name no source are counted too, and listed last whatever their count.
    assert [(v["value"], v["count"]) for v in response["facets"]["source"]] == [
        ("China Daily", 2), ("Shanxi Daily", 1), ("Unknown source", 2)]
    assert response["facets"]["year"] == [
        {"value": "2022", "label": "2022", "count": 2, "selected": False},
        {"value": "2021", "label": "2021", "count": 1, "selected": False},
        {"value": "2019", "label": "2019", "count": 1, "selected": False},
    ]
    assert response["facets"]["city"][0] == {"value": "Taiyuan", "label": "Taiyuan 太原", "count": 4, "selected": False}


@pytest.mark.parametrize("city", ["Taiyuan", "太原"])
def test_a_city_facet_ignores_its_own_filter(backend: Any, city: str) -> None:
    response = backend.search(SearchRequest(cities=(city,)))
    assert facets(response)["city"] == {**{c: (n, False) for c, n in CITY_COUNTS.items()}, "Taiyuan": (4, True)}
    assert facets(response)["year"] == {"2022": (1, False), "2021": (1, False), "2019": (1, False)}


def test_unknown_city_is_a_notice(backend: Any) -> None:
    response = backend.search(SearchRequest(q="city:atlantis"))
    assert (response["total"], response["notices"]) == (0, ["Unknown city 'atlantis': try a Shanxi city such as Taiyuan or 太原."])


def test_a_snippet_without_a_match_opens_the_article(backend: Any) -> None:
    hit = backend.search(SearchRequest(q="metropolises"))["results"][0]
    assert "<mark>" not in hit["snippet"] and "<mark>metropolises</mark>" in hit["title_html"]


@pytest.mark.parametrize(("q", "expected"), [
    ("city:datong OR city:jinzhong", [A0, A2]),
    ("晋城", [A1, A4]),
    ("Jincheng", [A1, A4]),
    ("city:Lvliang", []),
    ("kyrgyzstan", [A3]),
    ("metropolises", [A0]),
])
def test_found_on_both_engines(backend: Any, q: str, expected: list[str]) -> None:
    response = backend.search(SearchRequest(q=q, per_page=100))
    assert (sorted(r["id"] for r in response["results"]), response["total"]) == (expected, len(expected))


def test_without_highlighting_titles_are_plain_and_snippets_empty(backend: Any) -> None:
    marked = backend.search(SearchRequest(q="transfers"))["results"][0]
    plain = backend.search(SearchRequest(q="transfers", highlight=False))["results"][0]
    assert (plain["title_html"], plain["snippet"]) == ("Province calls for industrial transfers", "")
    assert {k: v for k, v in plain.items() if k not in ("title_html", "snippet")} == {
        k: v for k, v in marked.items() if k not in ("title_html", "snippet")}


@pytest.mark.parametrize(("q", "expected"), [
    ("commerce", [A0]),  # "e-commerce"
    ("electro", [A4]),  # "optical-electro-mechanical"
    ("mechanical", [A4]),
    ("europe", [A0, A3]),  # "China-Europe"
    ("quality", [A2, A3]),  # "high-quality"
    ("people", [A1]),  # "People's"
    ('"high quality"', [A2, A3]),  # "high-quality" is the phrase
    ("high-quality", [A2, A3]),
])
def test_words_joined_by_punctuation_are_found_on_both_engines(backend: Any, q: str, expected: list[str]) -> None:
    response = backend.search(SearchRequest(q=q, per_page=100))
    every = response["some_words_from"]  # on Whoosh a compound's parts alone follow (README, Backends)
    assert sorted(r["id"] for r in response["results"][:every]) == expected
    assert response["total"] == len(expected) if every is None else every == len(expected)


@pytest.mark.parametrize("q", ["coal", "airport OR railway", ""])
def test_a_snapshot_answers_as_the_live_index(backend: Any, q: str) -> None:
    req = SearchRequest(q=q, per_page=3, page=2 if not q else 1)
    live = backend.search(req)
    with backend.snapshot() as held:
        pages = [held.search(req), held.search(req)]
    assert [{**p, "took_ms": 0} for p in pages] == [{**live, "took_ms": 0}] * 2
