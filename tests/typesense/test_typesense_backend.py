"""Issue 8: the search core's behaviours on a real three-node Typesense cluster (seed data).

Differences from the Whoosh backend that the engine imposes are asserted as such (see the
module docstring of search_app/backends/typesense/backend.py), never skipped silently.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from seed_facts import A0, A1, A2, A3, A4, KEYS, RESULT_KEYS
from seed_facts import CITIES as CITY_COUNTS

from search_app.errors import BadRequest, NotFound, SearchAppError
from search_app.models import SearchRequest


def run(backend: Any, q: str = "", **kw: Any) -> dict[str, Any]:
    return backend.search(SearchRequest(q=q, **kw))


def ids(response: dict[str, Any]) -> list[str]:
    return [r["id"] for r in response["results"]]


def facet(response: dict[str, Any], name: str) -> dict[str, tuple[int, bool]]:
    return {v["value"]: (v["count"], v["selected"]) for v in response["facets"][name] if v["count"] or v["selected"]}


def test_cluster_has_one_leader_and_two_followers(ts_cluster: Any) -> None:
    states = sorted(ts_cluster.state(i) for i in range(3))
    assert states == [1, 4, 4]
    assert ts_cluster.version() == "0.24.1"


def test_response_shape(ts_backend: Any) -> None:
    response = run(ts_backend, "airport")
    assert list(response) == KEYS
    assert all(list(r) == RESULT_KEYS for r in response["results"])
    assert list(response["facets"]) == ["city", "source", "year"]
    assert response["generation"].startswith("articles_")


def test_airport(ts_backend: Any) -> None:
    response = run(ts_backend, "airport")
    assert (sorted(ids(response)), response["total"], response["relaxed"]) == ([A3, A4], 2, False)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("transfers", [A1]),  # difference: no stemming, 000 says "transfer" (Whoosh: [A1, A0])
        ("metropolises", [A0]),
        ("launch ceremony", [A2]),
        ("kyrgyzstan", [A3]),
    ],
)
def test_ranked_ids(ts_backend: Any, q: str, expected: list[str]) -> None:
    response = run(ts_backend, q)
    assert (ids(response), response["total"], response["relaxed"]) == (expected, len(expected), False)


def test_difference_no_stemming(ts_backend: Any) -> None:
    """Documented difference: Whoosh finds all five for 'industries' (stem 'industri'); Typesense only the exact word."""
    response = run(ts_backend, "industries", per_page=100)
    assert sorted(ids(response)) == [A1, A2, A3]


def test_difference_transfer_without_stemming(ts_backend: Any) -> None:
    """Whoosh ranks 001 first ("transfers" in its title stems to "transfer"); Typesense matches the exact word only."""
    response = run(ts_backend, "transfer")
    assert (sorted(ids(response)), response["total"]) == ([A0, A1], 2)


def test_title_weighs_more_than_body(ts_backend: Any) -> None:
    assert ids(run(ts_backend, "jincheng"))[0] == A4  # 004 has Jincheng in its title


def test_relaxed_when_no_article_has_every_word(ts_backend: Any) -> None:
    response = run(ts_backend, "taiyuan airport kyrgyzstan nonexistentword")
    assert response["relaxed"] is True
    assert ids(response)[:2] == [A3, A4]
    assert sorted(ids(response)) == [A0, A2, A3, A4]


def test_all_words_first_not_relaxed(ts_backend: Any) -> None:
    response = run(ts_backend, "logistics airport")
    assert (sorted(ids(response)), response["relaxed"]) == ([A3, A4], False)


def test_single_unknown_word(ts_backend: Any) -> None:
    response = run(ts_backend, "nonexistentword")
    assert (response["total"], response["relaxed"]) == (0, False)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('"freight train"', [A3]),  # difference: no stemming, 000 says "freight trains" (Whoosh: [A0, A3])
        ('"industrial transfers"', [A1]),
        ("airport -kyrgyzstan", [A4]),
        ("title:jincheng", [A4]),
        ("city:taiyuan", [A0, A2, A3, A4]),
        ("city:太原", [A0, A2, A3, A4]),
        ("city:xiaodian", [A0, A2, A3, A4]),
        ("city:datong OR city:jinzhong", [A0, A2]),
        ('source:"China Daily"', [A2, A4]),
        ("year:2021", [A3]),
        ("shanxi -city:jincheng", [A0, A2, A3]),
        ("logis*", [A0, A3, A4]),
        ("太原", [A0, A2, A3, A4]),
        ("晋城", [A1, A4]),
        ("Jincheng", [A1, A4]),
        ("Lvliang", []),
        ("city:Lvliang", []),
    ],
)
def test_query_syntax(ts_backend: Any, q: str, expected: list[str]) -> None:
    response = run(ts_backend, q, per_page=100)
    assert (sorted(ids(response)), response["total"]) == (expected, len(expected))


def test_difference_or_is_relaxation(ts_backend: Any) -> None:
    """Documented difference: OR is searched as relaxed words, with a notice."""
    response = run(ts_backend, "kyrgyzstan OR optical")
    assert (sorted(ids(response)), response["relaxed"]) == ([A3, A4], True)
    assert any("OR is not supported" in n for n in response["notices"])


def test_unknown_city_is_a_notice(ts_backend: Any) -> None:
    response = run(ts_backend, "city:atlantis")
    assert (response["total"], response["notices"]) == (0, ["Unknown city 'atlantis': try a Shanxi city such as Taiyuan or 太原."])


@pytest.mark.parametrize(
    ("q", "suggestion"),
    [
        ("logistcs", {"query": "logistics", "total": 3}),
        ("Taiyaun", {"query": "Taiyuan", "total": 4}),
        ("kyrgystan", {"query": "kyrgyzstan", "total": 1}),
        ("logistics", None),
        ("taiyuan", None),
        ("nonexistentword", None),
    ],
)
def test_typo_tolerance_and_suggestion(ts_backend: Any, q: str, suggestion: dict[str, Any] | None) -> None:
    """Difference: Typesense answers the misspelling with the corrected results and names the correction."""
    response = run(ts_backend, q)
    assert response["suggestion"] == suggestion
    if suggestion:
        assert response["total"] == suggestion["total"]


def test_facets_without_filters(ts_backend: Any) -> None:
    response = run(ts_backend)
    assert response["total"] == 5
    assert facet(response, "city") == {c: (n, False) for c, n in CITY_COUNTS.items()}
    # As on Whoosh: the articles that name no source are counted too, and listed last whatever their count.
    assert facet(response, "source") == {"China Daily": (2, False), "Shanxi Daily": (1, False), "Unknown source": (2, False)}
    assert [v["value"] for v in response["facets"]["source"]] == ["China Daily", "Shanxi Daily", "Unknown source"]
    assert response["facets"]["year"] == [
        {"value": "2022", "label": "2022", "count": 2, "selected": False},
        {"value": "2021", "label": "2021", "count": 1, "selected": False},
        {"value": "2019", "label": "2019", "count": 1, "selected": False},
    ]
    assert response["facets"]["city"][0] == {"value": "Taiyuan", "label": "Taiyuan 太原", "count": 4, "selected": False}


def test_city_filter_and_facet_ignores_its_own_filter(ts_backend: Any) -> None:
    for city in ("Taiyuan", "太原"):
        response = run(ts_backend, cities=(city,))
        assert (sorted(ids(response)), response["total"]) == ([A0, A2, A3, A4], 4)
        assert facet(response, "city") == {**{c: (n, False) for c, n in CITY_COUNTS.items()}, "Taiyuan": (4, True)}
        assert facet(response, "year") == {"2022": (1, False), "2021": (1, False), "2019": (1, False)}


def test_or_within_a_facet_and_across_facets(ts_backend: Any) -> None:
    response = run(ts_backend, cities=("datong", "晋中"), sources=("China Daily",))
    assert ids(response) == [A2]
    assert facet(response, "city") == {"Taiyuan": (2, False), "Jincheng": (1, False), "Jinzhong": (1, True), "Datong": (0, True)}
    assert facet(response, "source") == {"China Daily": (1, True), "Unknown source": (1, False)}
    assert facet(response, "year") == {}


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        (dt.date(2021, 1, 1), None, [A0, A1, A3]),
        (None, dt.date(2021, 12, 31), [A3, A4]),
        (dt.date(2021, 11, 5), dt.date(2021, 11, 5), [A3]),
        (dt.date(1900, 1, 1), dt.date(2100, 1, 1), [A0, A1, A3, A4]),
        (dt.date(2023, 1, 1), None, []),
    ],
)
def test_date_range(ts_backend: Any, date_from: Any, date_to: Any, expected: list[str]) -> None:
    assert sorted(ids(run(ts_backend, date_from=date_from, date_to=date_to))) == expected


@pytest.mark.parametrize(("sort", "expected"), [("newest", [A0, A1, A3, A4, A2]), ("oldest", [A4, A3, A1, A0, A2])])
@pytest.mark.parametrize("q", ["", "shanxi"])
def test_sort_by_date_undated_last(ts_backend: Any, q: str, sort: str, expected: list[str]) -> None:
    response = run(ts_backend, q, sort=sort)
    assert (ids(response), response["sort"]) == (expected, sort)


def test_pagination(ts_backend: Any) -> None:
    response = run(ts_backend, sort="newest", page=2, per_page=2)
    assert (ids(response), response["total"], response["pages"]) == ([A3, A4], 5, 3)


def test_bad_request_uses_core_validation(ts_backend: Any) -> None:
    with pytest.raises(BadRequest):
        run(ts_backend, "coal", sort="best")


def test_snippets_mark_and_escape(ts_backend: Any) -> None:
    a1 = run(ts_backend, "transfers")["results"][0]
    assert a1["title_html"] == "Province calls for industrial <mark>transfers</mark>"
    assert "<mark>transfers</mark>" in a1["snippet"]
    assert "China&#x27;s Shanxi" in a1["snippet"]
    assert a1["snippet"].startswith("…") and a1["snippet"].endswith("…")
    assert a1["snippet"].replace("<mark>", "").replace("</mark>", "").count("<") == 0
    opening = run(ts_backend, "metropolises")["results"][0]
    assert "<mark>" not in opening["snippet"] and "<mark>metropolises</mark>" in opening["title_html"]


def test_get_article_and_related(ts_backend: Any) -> None:
    article = ts_backend.get_article(A1, q="transfers")
    assert article["id"] == A1 and any("<mark>transfers</mark>" in p for p in article["paragraphs_html"])
    assert article["related"] and all(r["id"] != A1 for r in article["related"])
    with pytest.raises(NotFound):
        ts_backend.get_article("nope")


def test_stats_and_health(ts_backend: Any) -> None:
    stats = ts_backend.stats()
    assert (stats["articles"], stats["cities"]["Taiyuan"], stats["sources"]["China Daily"]) == (5, 4, 2)
    assert (stats["date_min"], stats["date_max"], stats["undated"]) == ("2019-09-02", "2022-09-29", 1)
    assert stats["generation"].startswith("articles_") and stats["built_at"]
    health = ts_backend.health()
    assert health["ok"] and all(n["ok"] for n in health["nodes"])


def test_unreachable_cluster_is_a_clear_error() -> None:
    from bench.typesense_cluster import free_ports
    from search_app.backends.typesense.backend import TypesenseBackend, TypesenseUnavailable

    backend = TypesenseBackend([f"http://127.0.0.1:{p}" for p in free_ports(2)], "k", num_retries=1,
                               retry_interval_seconds=0.05, connection_timeout_seconds=0.5)
    with backend, pytest.raises(TypesenseUnavailable) as info:
        run(backend, "airport")
    assert isinstance(info.value, SearchAppError) and "cannot be reached" in info.value.message
    assert backend.health()["ok"] is False
