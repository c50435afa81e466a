"""the search core on the seed index: ranking, query language, facets, snippets, suggestions."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from seed_facts import A0, A1, A2, A3, A4, KEYS, RESULT_KEYS
from seed_facts import CITIES as CITY_COUNTS
from seed_facts import IDS as ALL

from search_app.backends.whoosh.indexer import build
from search_app.backends.whoosh.reader import IndexHandle
from search_app.backends.whoosh.search import get_article, search
from search_app.errors import BadRequest, NotFound
from search_app.models import SearchRequest
from search_app.query.parser import Group, Word, parse


def run(handle: IndexHandle, q: str = "", **kw: Any) -> dict[str, Any]:
    """search() with a request built from keyword arguments."""
    return search(handle, SearchRequest(q=q, **kw))


def ids(response: dict[str, Any]) -> list[str]:
    """The result ids in order."""
    return [r["id"] for r in response["results"]]


def facet(response: dict[str, Any], name: str) -> dict[str, tuple[int, bool]]:
    """value -> (count, selected) of one facet, leaving out zero-count unselected values."""
    return {v["value"]: (v["count"], v["selected"]) for v in response["facets"][name] if v["count"] or v["selected"]}


def check_shape(response: dict[str, Any]) -> None:
    """The full response shape every caller relies on."""
    assert list(response) == KEYS
    assert isinstance(response["total"], int) and response["total"] >= 0
    assert isinstance(response["relaxed"], bool) and isinstance(response["timed_out"], bool)
    assert isinstance(response["took_ms"], float)
    assert isinstance(response["notices"], list)
    assert list(response["facets"]) == ["city", "source", "year"]
    for values in response["facets"].values():
        for value in values:
            assert list(value) == ["value", "label", "count", "selected"]
    for result in response["results"]:
        assert list(result) == RESULT_KEYS
    assert response["suggestion"] is None or list(response["suggestion"]) == ["query", "total"]


# ---------------------------------------------------------------- ranking and stemming


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("transfers", [A1, A0]),  # the title match first; 000 says "transfer"
        ("transfer", [A1, A0]),
        ("Transfers", [A1, A0]),
        ("metropolises", [A0]),
        ("launch ceremony", [A2, A3]),  # 003 has "launch" only: after the one with both
        ("kyrgyzstan", [A3]),
    ],
)
def test_ranked_ids(handle: IndexHandle, q: str, expected: list[str]) -> None:
    response = run(handle, q)
    check_shape(response)
    assert (ids(response), response["total"], response["relaxed"]) == (expected, len(expected), False)


def test_stemming_industries_finds_industry(handle: IndexHandle) -> None:
    response = run(handle, "industries")
    assert sorted(ids(response)) == ALL
    a0 = next(r for r in response["results"] if r["id"] == A0)
    assert "<mark>industry</mark>" in a0["snippet"]


def test_title_weighs_more_than_body(handle: IndexHandle) -> None:
    response = run(handle, "jincheng")
    assert ids(response) == [A4, A1]  # 004 has Jincheng in its title


def test_all_words_first(handle: IndexHandle) -> None:
    response = run(handle, "logistics airport")
    assert (sorted(ids(response)[:2]), ids(response)[2:], response["some_words_from"], response["relaxed"]) == (
        [A3, A4], [A0], 2, False)  # 000 has logistics only
    assert run(handle, "logistics")["total"] == 3


def test_relaxed_when_no_article_has_every_word(handle: IndexHandle) -> None:
    response = run(handle, "taiyuan airport kyrgyzstan nonexistentword")
    check_shape(response)
    assert response["relaxed"] is True
    assert response["total"] == 4
    assert ids(response)[0] == A3  # three of the four words
    assert ids(response)[1] == A4  # two of them
    assert sorted(ids(response)) == [A0, A2, A3, A4]


def test_single_unknown_word_is_not_relaxed(handle: IndexHandle) -> None:
    response = run(handle, "nonexistentword")
    assert (response["total"], response["results"], response["relaxed"]) == (0, [], False)


# ---------------------------------------------------------------- query syntax


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('"freight train"', [A0, A3]),
        ('"industrial transfers"', [A1]),
        ('"transfers industrial"', []),
        ("kyrgyzstan OR optical", [A3, A4]),
        ("kyrgyzstan | optical", [A3, A4]),
        ("shanxi NOT taiyuan", [A1]),
        ("shanxi -jincheng", [A0, A2, A3]),
        ("-jincheng", [A0, A2, A3]),
        ("airport -kyrgyzstan", [A4]),
        ("title:jincheng", [A4]),
        ("title:industrial", [A1, A2]),
        ("TITLE:industrial", [A1, A2]),
        ("title:(kyrgyzstan OR metropolises)", [A0]),
        ("city:taiyuan", [A0, A2, A3, A4]),
        ("city:Datong", [A0]),
        ("city:datong OR city:jinzhong", [A0, A2]),
        ("city:太原", [A0, A2, A3, A4]),
        ("city:xiaodian", [A0, A2, A3, A4]),
        ('city:"Taiyuan City"', [A0, A2, A3, A4]),
        ('source:"China Daily"', [A2, A4]),
        ("source:shanxi", [A3]),
        ("year:2021", [A3]),
        ("logis*", [A0, A3, A4]),
        ("kyrgyz*", [A3]),
        ("太原", [A0, A2, A3, A4]),
        ("晋城", [A1, A4]),
        ("Jincheng", [A1, A4]),
        ("Lvliang", []),
        ("Lüliang", []),
        ("city:Lvliang", []),
    ],
)
def test_query_syntax(handle: IndexHandle, q: str, expected: list[str]) -> None:
    response = run(handle, q, per_page=100)
    check_shape(response)
    assert (sorted(ids(response)), response["total"]) == (expected, len(expected))


@pytest.mark.parametrize(
    ("q", "words"),
    [
        ("EFFECT OF HEAT OR COLD ON STEEL", ["EFFECT", "OF", "HEAT", "or", "COLD", "ON", "STEEL"]),
        ("IRON AND STEEL NOT COAL MINES", ["IRON", "and", "STEEL", "not", "COAL", "MINES"]),
        ("COAL OR STEEL", None),  # a short query in capitals keeps its operator
        ("Heat OR cold effects on steel", None),
    ],
)
def test_operator_words_in_a_query_all_in_capitals_are_words(q: str, words: list[str] | None) -> None:
    tree = parse(q).tree
    if words is None:  # OR stays an operator: the query holds an OR group
        assert any(isinstance(c, Group) and c.op == "or" for c in tree.children)
    else:
        assert [c.text for c in tree.children if isinstance(c, Word)] == words


@pytest.mark.parametrize("q", ["Lvliang", "Lüliang", "LULIANG", "city:Lvliang", "city:吕梁"])
def test_city_variants_are_recognised(handle: IndexHandle, q: str) -> None:
    response = run(handle, q)
    assert (response["total"], response["suggestion"], response["notices"]) == (0, None, [])


def test_unknown_city_is_a_notice(handle: IndexHandle) -> None:
    response = run(handle, "city:atlantis")
    assert (response["total"], response["notices"]) == (
        0, ["Unknown city 'atlantis': try a Shanxi city such as Taiyuan or 太原."])


# ---------------------------------------------------------------- did you mean


@pytest.mark.parametrize(
    ("q", "suggestion"),
    [
        ("logistcs", {"query": "logistics", "total": 3}),
        ("Taiyaun", {"query": "Taiyuan", "total": 4}),
        ("kyrgystan", {"query": "kyrgyzstan", "total": 1}),
        ("taiyaun logistcs", {"query": "taiyuan logistics", "total": 3}),
        ("datong logistcs", {"query": "datong logistics", "total": 1}),  # relaxed: 000 has datong only
        ("logistics", None),
        ("taiyuan", None),
        ("nonexistentword", None),
    ],
)
def test_did_you_mean(handle: IndexHandle, q: str, suggestion: dict[str, Any] | None) -> None:
    response = run(handle, q)
    assert response["suggestion"] == suggestion
    if suggestion:
        assert response["total"] == 0 or response["relaxed"]
        corrected = run(handle, suggestion["query"])  # the suggestion counts the articles with every word
        assert (corrected["some_words_from"] if corrected["some_words_from"] is not None else corrected["total"]) == \
            suggestion["total"]


# ---------------------------------------------------------------- facets and filters



def test_facets_without_filters(handle: IndexHandle) -> None:
    response = run(handle)
    assert response["total"] == 5
    assert facet(response, "city") == {c: (n, False) for c, n in CITY_COUNTS.items()}
    # The articles that name no source are counted too, so the counts add up to the total, and listed last.
    assert facet(response, "source") == {"China Daily": (2, False), "Shanxi Daily": (1, False), "Unknown source": (2, False)}
    assert [v["value"] for v in response["facets"]["source"]] == ["China Daily", "Shanxi Daily", "Unknown source"]
    assert response["facets"]["year"] == [
        {"value": "2022", "label": "2022", "count": 2, "selected": False},
        {"value": "2021", "label": "2021", "count": 1, "selected": False},
        {"value": "2019", "label": "2019", "count": 1, "selected": False},
    ]
    assert response["facets"]["city"][0] == {"value": "Taiyuan", "label": "Taiyuan 太原", "count": 4, "selected": False}
    assert [v["value"] for v in response["facets"]["city"]][-4:] == ["Lüliang", "Shuozhou", "Xinzhou", "Yuncheng"]


def test_city_facet_ignores_its_own_filter(handle: IndexHandle) -> None:
    response = run(handle, cities=("Taiyuan",))
    assert (sorted(ids(response)), response["total"]) == ([A0, A2, A3, A4], 4)
    assert facet(response, "city") == {**{c: (n, False) for c, n in CITY_COUNTS.items()}, "Taiyuan": (4, True)}
    assert facet(response, "source") == {"China Daily": (2, False), "Shanxi Daily": (1, False), "Unknown source": (1, False)}
    assert facet(response, "year") == {"2022": (1, False), "2021": (1, False), "2019": (1, False)}


def test_or_within_a_facet_and_across_facets(handle: IndexHandle) -> None:
    response = run(handle, cities=("Datong", "Jinzhong"))
    assert sorted(ids(response)) == [A0, A2]
    response = run(handle, cities=("datong", "晋中"), sources=("China Daily",))
    assert ids(response) == [A2]
    assert facet(response, "city") == {"Taiyuan": (2, False), "Jincheng": (1, False), "Jinzhong": (1, True),
                                       "Datong": (0, True)}
    assert facet(response, "source") == {"China Daily": (1, True), "Unknown source": (1, False)}
    assert facet(response, "year") == {}


def test_facets_follow_the_query(handle: IndexHandle) -> None:
    response = run(handle, "logistics", sources=("China Daily",))
    assert ids(response) == [A4]
    assert facet(response, "source") == {"China Daily": (1, True), "Shanxi Daily": (1, False), "Unknown source": (1, False)}
    assert facet(response, "city") == {"Jincheng": (1, False), "Taiyuan": (1, False)}


def test_year_filter(handle: IndexHandle) -> None:
    response = run(handle, years=(2022, 2019))
    assert sorted(ids(response)) == [A0, A1, A4]
    assert facet(response, "year") == {"2022": (2, True), "2021": (1, False), "2019": (1, True)}


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        (dt.date(2021, 1, 1), None, [A0, A1, A3]),
        (None, dt.date(2021, 12, 31), [A3, A4]),
        (dt.date(2021, 11, 5), dt.date(2021, 11, 5), [A3]),
        (dt.date(1900, 1, 1), dt.date(2100, 1, 1), [A0, A1, A3, A4]),  # the undated 002 is left out
        (dt.date(2023, 1, 1), None, []),
    ],
)
def test_date_range(handle: IndexHandle, date_from: dt.date | None, date_to: dt.date | None, expected: list[str]) -> None:
    response = run(handle, date_from=date_from, date_to=date_to)
    assert sorted(ids(response)) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("newest", [A0, A1, A3, A4, A2]), ("oldest", [A4, A3, A1, A0, A2])],
)
@pytest.mark.parametrize("q", ["", "shanxi"])
def test_sort_by_date_undated_last(handle: IndexHandle, q: str, sort: str, expected: list[str]) -> None:
    response = run(handle, q, sort=sort)
    assert (ids(response), response["sort"]) == (expected, sort)


def test_empty_query_lists_newest_first(handle: IndexHandle) -> None:
    response = run(handle)
    assert (ids(response), response["sort"]) == ([A0, A1, A3, A4, A2], "newest")


@pytest.mark.parametrize(
    ("page", "per_page", "expected", "pages"),
    [(1, 2, [A0, A1], 3), (2, 2, [A3, A4], 3), (3, 2, [A2], 3), (4, 2, [], 3), (1, 5, [A0, A1, A3, A4, A2], 1),
     (2, 3, [A4, A2], 2), (1, 1, [A0], 5)],
)
def test_pagination(handle: IndexHandle, page: int, per_page: int, expected: list[str], pages: int) -> None:
    response = run(handle, sort="newest", page=page, per_page=per_page)
    assert (ids(response), response["total"], response["pages"], response["page"], response["per_page"]) == (
        expected, 5, pages, page, per_page)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"sort": "best"}, "Unknown sort 'best': use one of relevance, newest, oldest."),
        ({"page": 0}, "page must be between 1 and 1000."),
        ({"page": 1001}, "page must be between 1 and 1000."),
        ({"per_page": 0}, "per_page must be between 1 and 100."),
        ({"per_page": 101}, "per_page must be between 1 and 100."),
    ],
)
def test_bad_requests(handle: IndexHandle, kw: dict[str, Any], message: str) -> None:
    with pytest.raises(BadRequest) as info:
        run(handle, "coal", **kw)
    assert info.value.message == message


def test_dates_the_wrong_way_round_are_swapped_with_a_notice(handle: IndexHandle) -> None:
    swapped = run(handle, "", date_from=dt.date(2022, 12, 31), date_to=dt.date(2021, 1, 1), per_page=100)
    expected = run(handle, "", date_from=dt.date(2021, 1, 1), date_to=dt.date(2022, 12, 31), per_page=100)
    assert ids(swapped) == ids(expected) != []
    assert swapped["notices"] == ["The dates were the wrong way round: searched from 2021-01-01 to 2022-12-31."]


def test_unknown_city_filter_is_a_notice(handle: IndexHandle) -> None:
    response = run(handle, "coal", cities=("Atlantis",))
    assert (response["total"], response["notices"]) == (
        0, ["Unknown city 'Atlantis': try a Shanxi city such as Taiyuan or 太原."])


NOTHING = "single letters, very common words such as 'the' and punctuation are not indexed. Try other words."


@pytest.mark.parametrize("q", ["the", "x", "*", "OR", "-", "'", "of the", "AND"])
def test_typed_text_with_nothing_searchable_finds_nothing_and_says_why(handle: IndexHandle, q: str) -> None:
    response = run(handle, q)
    assert (response["total"], response["results"], response["notices"]) == (
        0, [], [f"Nothing to search for in “{q}”: {NOTHING}"])


@pytest.mark.parametrize(("q", "expected"), [
    ("Shenggao", ["003_b8c9e442042d1bdf"]),
    ("Yuan Shenggao", ["003_b8c9e442042d1bdf"]),
    ('"Yuan Shenggao"', ["003_b8c9e442042d1bdf"]),
    ("shenggao coal", ["003_b8c9e442042d1bdf"]),
])
def test_reporters_are_found_by_name(handle: IndexHandle, q: str, expected: list[str]) -> None:
    response = run(handle, q)
    every = response["some_words_from"]  # the articles with only "yuan" or "coal" follow
    assert (ids(response)[:every], response["relaxed"]) == (expected, False)


# ---------------------------------------------------------------- snippets


def test_snippet_marks_original_words(handle: IndexHandle) -> None:
    response = run(handle, "transfers")
    a1, a0 = response["results"]
    assert a1["title_html"] == "Province calls for industrial <mark>transfers</mark>"
    assert a1["snippet"].count("<mark>transfers</mark>") == 2
    assert "<mark>Transfer</mark> Demonstration" in a1["snippet"]
    assert "China&#x27;s Shanxi" in a1["snippet"]
    assert a1["snippet"].startswith("…") and a1["snippet"].endswith("…")
    assert a0["snippet"] == (
        "…commercial and trade logistics resources, and undertake the <mark>transfer</mark> of commercial "
        "and trade logistics in the central plains urban agglomeration."
    )
    assert a0["title_html"] == "Shanxi metropolises listed as modern circulation cities"


def test_snippet_fragments_are_separated(handle: IndexHandle) -> None:
    snippet = run(handle, "transfers")["results"][0]["snippet"]
    text = html.unescape(snippet.replace("<mark>", "").replace("</mark>", ""))
    assert 150 < len(text) < 600
    # two fragments cut from different places are told apart, not glued into one word
    assert "support … construction" in text
    assert "…" not in text.replace(" … ", "").strip("…")


def test_snippet_is_the_opening_when_only_the_title_matches(handle: IndexHandle) -> None:
    (result,) = run(handle, "metropolises")["results"]
    assert result["title_html"] == "Shanxi <mark>metropolises</mark> listed as modern circulation cities"
    assert result["snippet"] == (
        "North China&#x27;s Shanxi province will adopt the local cities of Taiyuan, Datong, Changzhi and Linfen "
        "as modern circulation fulcrum cities to build a modern circulation network, the Shanxi Development and "
        "Reform Commission announced…"
    )


def test_snippet_is_the_opening_for_metadata_matches(handle: IndexHandle) -> None:
    (result,) = run(handle, "year:2021")["results"]
    assert "<mark>" not in result["snippet"]
    assert result["snippet"].startswith("High-quality development, economic transformation")
    assert result["snippet"].endswith("…")


@pytest.fixture(scope="module")
def html_handle(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An index of one article full of characters that must be escaped."""
    seeds = tmp_path_factory.mktemp("htmlseeds")
    body = ('Engineers in Taiyuan said <script>alert("coal")</script> & "coal" prices rose. '
            + "Filler words about the weather. " * 20
            + "At the end, coal again.")
    (seeds / "esc.txt").write_text(f"Coal & <b>steel</b> in Taiyuan\n\nUpdated: 2020-02-02\n\n{body}\n", "utf-8")
    index_dir = tmp_path_factory.mktemp("htmlindex")
    build(seeds, index_dir)
    handle = IndexHandle(index_dir)
    yield handle
    handle.close()


def test_snippet_escapes_html(html_handle: IndexHandle) -> None:
    (result,) = run(html_handle, "coal")["results"]
    assert result["title_html"] == "<mark>Coal</mark> &amp; &lt;b&gt;steel&lt;/b&gt; in Taiyuan"
    assert result["snippet"].startswith(
        "Engineers in Taiyuan said &lt;script&gt;alert(&quot;<mark>coal</mark>&quot;)&lt;/script&gt; &amp; "
        "&quot;<mark>coal</mark>&quot; prices rose."
    )
    assert result["snippet"].endswith("At the end, <mark>coal</mark> again.")
    assert "<script" not in result["snippet"] and "<b>" not in result["title_html"]
    assert result["snippet"].replace("<mark>", "").replace("</mark>", "").count("<") == 0


# ---------------------------------------------------------------- article page and related


def test_get_article_highlights(handle: IndexHandle) -> None:
    article = get_article(handle, A1, q="transfers")
    assert article["id"] == A1
    assert article["title_html"] == "Province calls for industrial <mark>transfers</mark>"
    assert article["paragraphs_html"][0].count("<mark>transfers</mark>") == 1
    assert "China&#x27;s" in article["paragraphs_html"][0]
    assert article["city_labels"] == ["Changzhi 长治", "Jincheng 晋城"]
    assert "content_hash" not in article
    plain = get_article(handle, A1)
    assert "<mark>" not in "".join(plain["paragraphs_html"]) + plain["title_html"]


@pytest.mark.parametrize("article_id", ALL)
def test_related_articles(handle: IndexHandle, article_id: str) -> None:
    related = get_article(handle, article_id)["related"]
    assert sorted(r["id"] for r in related) == sorted(set(ALL) - {article_id})
    assert all(list(r) == ["id", "title", "date", "source", "cities"] for r in related)


def test_get_article_unknown(handle: IndexHandle) -> None:
    with pytest.raises(NotFound, match="No article with id 'nope'"):
        get_article(handle, "nope")


# ---------------------------------------------------------------- time limit


@pytest.mark.parametrize("q", ["c*", "logis* OR tran* OR ind*", "t*"])
def test_time_limit_cuts_off(handle: IndexHandle, q: str) -> None:
    response = search(handle, SearchRequest(q=q), time_limit=0)
    check_shape(response)
    assert response["timed_out"] is True
    assert response["results"] == []
    assert response["notices"][-1].startswith("The search took too long and was cut short")


def test_no_time_limit_hit_normally(handle: IndexHandle) -> None:
    response = search(handle, SearchRequest(q="c*"))
    assert response["timed_out"] is False
    assert response["total"] == 5


# ---------------------------------------------------------------- hostile queries

HOSTILE = [
    '"', '""', '"""', '"unbalanced', 'unbalanced"', '"freight train', "(", ")", "((", "))", "(coal", "coal)",
    "((((((((((((((((((((coal", "(" * 500 + "coal" + ")" * 500, ")(", "()", "( )", "AND", "OR", "NOT", "-", "--", "- -",
    "coal AND", "OR coal", "coal OR", "NOT NOT NOT", "AND OR NOT", "-(", "+", "&&", "||", "|", "!", "?", ".", "...",
    "!@#$%^&*", ",;:'", "*", "**", "a*", "*coal", "c*o*a*l", "co*al*", "title:", "city:", "source:", "year:", "title:(",
    "city:()", "title::coal", ":coal", "coal:", "year:abc", "year:9999999999999999999", "x" * 5000,
    "coal " * 3000, "a" * 300, "transfers" + "s" * 2000, "\x00", "coal\x00steel", "\x01\x02\x03\x1b[31m",
    "\u202etaiyuan\u202c", "\u200b\u200b\u200b", "taiyu\u200ban", "\ufeffcoal", "🚂🚂🚂", "coal 🚂 train", "太原🚂",
    "'; DROP TABLE articles; --", "1 OR 1=1", "' OR ''='", "<script>alert(1)</script>", "<b>coal</b>", "&amp;",
    "%s%s%s%n", "{{7*7}}", "${jndi:ldap://x}", "../../etc/passwd", "\\", "\\\\\\", "\t\n\r", "   ", "",
    "ＴＡＩＹＵＡＮ", "“freight train”", "«coal»", "（coal）", "title：coal", "city:太原 OR city:", "-coal -steel -shanxi",
    "NOT shanxi", "-shanxi", "\udcff", "الطاقة", "עברית", "ǅemal", "İstanbul", "ß", "ﬁnance",
]


@pytest.mark.parametrize("q", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_never_raise(handle: IndexHandle, q: str) -> None:
    for sort in ("relevance", "newest"):
        response = run(handle, q, sort=sort)
        check_shape(response)
        assert response["total"] == len(response["results"]) <= 5  # one page holds them all
        assert len(response["query"]) <= 1000


@pytest.mark.parametrize("q", ["x" * 5000, "coal " * 3000])
def test_long_queries_are_cut_with_a_notice(handle: IndexHandle, q: str) -> None:
    response = run(handle, q)
    assert response["notices"][0] == "The query was cut to its first 1000 characters."


def test_deep_nesting_still_finds(handle: IndexHandle) -> None:
    response = run(handle, "(" * 50 + "kyrgyzstan" + ")" * 50)
    assert ids(response) == [A3]


def test_hostile_query_on_article_page(handle: IndexHandle) -> None:
    for q in HOSTILE:
        article = get_article(handle, A3, q=q)
        assert article["id"] == A3


def test_suggestion_keeps_a_field_prefix(handle: IndexHandle) -> None:
    response = search(handle, SearchRequest(q="title:logistcs"))
    assert (response["total"], response["suggestion"]) == (0, None)  # no headline says logistics
    response = search(handle, SearchRequest(q="title:transfrs"))
    assert response["suggestion"] == {"query": "title:transfers", "total": 1}


@pytest.mark.parametrize("query", ["industries transfers", "cry flies hoping", "U.S. airport", "太原 logistics", "Party secretary's"])
def test_fast_snippet_matching_equals_the_analyzer(seeds_dir: Path, query: str) -> None:
    """find_matches skips words that cannot stem to a term; it must find exactly what full analysis finds."""
    from search_app.query.analysis import analyse
    from search_app.query.snippets import _ANALYZER, Match, find_matches

    text = "\n".join(p.read_text("utf-8") for p in sorted(seeds_dir.glob("*.txt")))
    text += "\nHe cries; the cry flies, flies hoped, hoping. The U.S. airports. 太原市"
    terms = frozenset(t for word in query.split() for t in analyse(word))
    expected = [Match(t.startchar, t.endchar, t.text) for t in _ANALYZER(text, chars=True, mode="index") if t.text in terms]
    assert find_matches(text, terms) == expected and expected


@pytest.mark.parametrize("q", ["晋城", "city:jincheng", "Jincheng"])
def test_city_queries_mark_the_city_in_snippets(handle: IndexHandle, q: str) -> None:
    response = search(handle, SearchRequest(q=q))
    snippets = {r["id"]: r["snippet"] for r in response["results"]}
    assert "<mark>Jincheng</mark>" in snippets["001_0b108123ccd7e2b3"]


def _handle_of(factory: pytest.TempPathFactory, files: dict[str, str]) -> Iterator[IndexHandle]:
    """An index built from the given article files, open for one module's tests."""
    seeds = factory.mktemp("seeds")
    for name, text in files.items():
        (seeds / name).write_text(text, "utf-8")
    index_dir = factory.mktemp("index")
    build(seeds, index_dir)
    handle = IndexHandle(index_dir)
    yield handle
    handle.close()


@pytest.fixture(scope="module")
def chinese_handle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexHandle]:
    """An English article and one with Chinese in its title and body."""
    yield from _handle_of(tmp_path_factory, {
        "zh.txt": "太原煤炭新闻 Taiyuan coal news\n\nUpdated: 2022-05-01\n\n山西省太原市举办煤炭博览会。Visitors came from Datong.\n",
        "en.txt": "Datong coal output rises\n\nUpdated: 2022-05-02\n\nCoal output in Datong rose.\n",
    })


@pytest.mark.parametrize(("q", "title_html", "snippet"), [
    ("煤炭", "太原<mark>煤炭</mark>新闻 Taiyuan coal news", "山西省太原市举办<mark>煤炭</mark>博览会。Visitors came from Datong."),
    ("煤", "太原<mark>煤</mark>炭新闻 Taiyuan coal news", "山西省太原市举办<mark>煤</mark>炭博览会。Visitors came from Datong."),
    ("博览会", "太原煤炭新闻 Taiyuan coal news", "山西省太原市举办煤炭<mark>博览会</mark>。Visitors came from Datong."),
    ('"太原煤炭" news', "<mark>太原煤炭</mark>新闻 Taiyuan coal <mark>news</mark>",
     "山西省太原市举办煤炭博览会。Visitors came from Datong."),
])
def test_chinese_words_are_found_inside_runs_of_characters(chinese_handle: IndexHandle, q: str, title_html: str,
                                                           snippet: str) -> None:
    response = run(chinese_handle, q)
    assert [(r["id"], r["title_html"], r["snippet"]) for r in response["results"]] == [("zh", title_html, snippet)]
    assert response["notices"] == []


@pytest.mark.parametrize(("q", "expected"), [("煤炭博览", ["zh"]), ("煤博", []), ("炭煤", []), ("新闻 coal", ["zh"])])
def test_chinese_phrases_need_their_characters_in_order(chinese_handle: IndexHandle, q: str, expected: list[str]) -> None:
    response = run(chinese_handle, q)
    assert ids(response)[:response["some_words_from"]] == expected  # after them, the articles with "coal" alone


@pytest.mark.parametrize(("q", "expected", "relaxed"), [
    ("coal city:Linfen", ["000_5ca391961da276a5", "003_b8c9e442042d1bdf"], False),
    ("coal zebra city:Taiyuan", ["004_860ced496ef7d71d", "000_5ca391961da276a5", "003_b8c9e442042d1bdf"], True),
    ("coal zebra city:Jincheng", ["004_860ced496ef7d71d", "001_0b108123ccd7e2b3"], True),
    ("zebra city:Linfen", [], False),  # one searched word: nothing to relax
])
def test_relaxing_keeps_city_source_and_author_restrictions(handle: IndexHandle, q: str, expected: list[str],
                                                           relaxed: bool) -> None:
    response = run(handle, q)
    assert (ids(response), response["relaxed"]) == (expected, relaxed)
    city = q.split("city:")[1]
    assert all(city in r["cities"] for r in response["results"])


@pytest.fixture(scope="module")
def punctuated_handle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexHandle]:
    """Chinese text with punctuation and spaces between its words."""
    yield from _handle_of(tmp_path_factory, {
        "p.txt": "Coal news from Taiyuan\n\nUpdated: 2022-05-01\n\n今日新闻。太原，煤炭产量 上升 coal 太原\n",
    })


@pytest.mark.parametrize(("q", "total"), [
    ("闻太原", 0), ("原煤炭产", 0), ("产量上升", 0),  # across 。 ， and a space: not one word
    ("煤炭产量", 1), ("新闻", 1), ('"上升 coal 太原"', 1),
])
def test_chinese_words_do_not_run_across_punctuation(punctuated_handle: IndexHandle, q: str, total: int) -> None:
    assert run(punctuated_handle, q)["total"] == total


@pytest.mark.parametrize("value", ["平遥", "平遥县", "Pingyao", "pingyao county"])
def test_county_names_as_typed_map_to_their_city(value: str) -> None:
    from search_app.ingest.gazetteer import canonical_city

    assert canonical_city(value) == "Jinzhong"


def test_a_chinese_county_name_filters_by_its_city(handle: IndexHandle) -> None:
    assert (run(handle, "city:平遥")["notices"], run(handle, "city:平遥")["total"]) == ([], 1)


@pytest.mark.parametrize(("q", "suggestion"), [
    ("Shengao", {"query": "Shenggao", "total": 1}),  # a reporter's name, misspelled
    ("source:xinhau", None),  # a source is a filter: an unknown one is a notice, not a spelling question
])
def test_did_you_mean_knows_reporters(handle: IndexHandle, q: str, suggestion: dict[str, Any] | None) -> None:
    assert run(handle, q)["suggestion"] == suggestion


@pytest.fixture(scope="module")
def cities_handle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexHandle]:
    """Articles naming Taiyuan in the headline, three times in the text, once (newer and older), and not at all."""
    yield from _handle_of(tmp_path_factory, {
        "headline.txt": "Taiyuan opens a museum\n\nUpdated: 2020-01-01\n\nThe museum opened on Monday.\n",
        "three.txt": "A museum opens\n\nUpdated: 2020-02-01\n\nTaiyuan opened it; Xiaodian district of Taiyuan helped. "
                     "Datong sent a choir.\n",
        "once_new.txt": "A rail line opens\n\nUpdated: 2022-06-01\n\nThe line reaches Taiyuan.\n",
        "once_old.txt": "A rail line is planned\n\nUpdated: 2019-06-01\n\nThe line will reach Taiyuan.\n",
        "datong.txt": "Datong builds a rail line\n\nUpdated: 2023-01-01\n\nThe line serves Datong.\n",
    })


@pytest.mark.parametrize("q", ["Taiyuan", "太原", "city:Taiyuan", "city:太原", "city:xiaodian", "TAIYUAN -nothing"])
def test_a_city_alone_is_ordered_by_how_central_it_is_then_newest(cities_handle: IndexHandle, q: str) -> None:
    response = run(cities_handle, q)
    assert ([(r["id"], r["score"]) for r in response["results"]], response["order"], response["sort"]) == (
        [("headline", 10.0), ("three", 3.0), ("once_new", 1.0), ("once_old", 1.0)], "city", "relevance")


def test_cities_alone_add_up(cities_handle: IndexHandle) -> None:
    response = run(cities_handle, "Taiyuan OR Datong")
    assert [(r["id"], r["score"]) for r in response["results"]] == [
        ("datong", 11.0), ("headline", 10.0), ("three", 4.0), ("once_new", 1.0), ("once_old", 1.0)]


@pytest.mark.parametrize(("q", "sort", "order"), [
    ("Taiyuan museum", "relevance", "relevance"),  # words to weigh: BM25F
    ("Taiyuan", "newest", "newest"),  # a sort the reader chose wins
    ("", "relevance", "newest"),  # no query: newest first
])
def test_other_searches_keep_their_order(cities_handle: IndexHandle, q: str, sort: str, order: str) -> None:
    response = run(cities_handle, q, sort=sort)
    assert (response["order"], all(r["score"] is None for r in response["results"])) == (order, order == "newest")


@pytest.mark.parametrize(("q", "expected"), [
    ('author:"Yuan Shenggao"', ["003_b8c9e442042d1bdf"]),
    ('author:"Shenggao Yuan"', []),  # a byline phrase keeps its word order (positions from Whoosh's blocks)
    ("author:shenggao", ["003_b8c9e442042d1bdf"]),
])
def test_byline_phrases_need_the_names_in_order(handle: IndexHandle, q: str, expected: list[str]) -> None:
    assert ids(run(handle, q)) == expected
