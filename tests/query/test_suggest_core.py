"""Search box completions in the core (search_app.query.suggest), without Flask: how the typed text is read,
what each field completes from, which searches fill the titles; the Whoosh backend's field words and
the Typesense implementation of them over a canned answer; the spelling vocabulary's completions.

Seeds facts used here: "air" starts airport, aircraft and airports, in no headline; the only
headline word starting with "tra" is "transfers"; the one byline is Yuan Shenggao's (article 003);
the sources are China Daily (2 articles) and Shanxi Daily (1); the years are 2022, 2021 and 2019.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from seed_facts import A0, A1, A2, A3, A4
from whoosh.analysis import STOP_WORDS

from search_app.backends.typesense import completions as typesense_completions
from search_app.backends.whoosh.backend import WhooshBackend
from search_app.backends.whoosh.indexer import build
from search_app.models import SearchRequest
from search_app.query.analysis import chained_analyzer, text_analyzer
from search_app.query.engine import SearchBackend
from search_app.query.suggest import (
    COMMON_WORDS,
    NOT_COMPLETED,
    LastWord,
    Vocabulary,
    cased_forms,
    city_completions,
    completions,
    display_forms,
    last_word,
)

TITLES = {
    A0: "Shanxi metropolises listed as modern circulation cities",
    A1: "Province calls for industrial transfers",
    A2: "Demo zone, district to co-develop industrial parks in Shanxi",
    A3: "Work report reveals Shanxi remains on task",
    A4: "Jincheng pursues socioeconomic development, opening up",
}


def titles(*ids: str) -> list[dict[str, str]]:
    return [{"id": i, "title": TITLES[i]} for i in ids]


@pytest.fixture()
def whoosh(built_index: Path) -> Iterator[WhooshBackend]:
    backend = WhooshBackend(built_index)
    yield backend
    backend.close()


class FakeBackend:
    """Fixed words and facets; records every call, so a test sees which searches a completion ran."""

    name = "fake"
    WORDS: ClassVar[list[str]] = ["airport", "aircraft", "about", "airports", "coal"]

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def complete(self, prefix: str, limit: int = 8) -> list[str]:
        self.calls.append(("complete", prefix))
        return [w for w in self.WORDS if w.startswith(prefix)][:limit]

    def complete_words(self, field: str, prefix: str, limit: int = 8) -> list[str]:
        self.calls.append(("complete_words", field, prefix))
        return [f"{prefix}-in-{field}"]

    def search(self, req: SearchRequest) -> dict[str, Any]:
        self.calls.append(("search", req.q))
        facets = {"source": [{"value": "China Daily", "count": 2}, {"value": "Xinhua", "count": 1}],
                  "year": [{"value": "2022", "count": 3}, {"value": "2019", "count": 0}]}
        results = [{"id": f"id of {req.q}", "title": f"title of {req.q}"}] if req.q else []
        return {"results": results, "relaxed": False, "facets": facets}


# ---------------------------------------------------------------- reading the typed text

@pytest.mark.parametrize("typed, expected", [
    ("coal", LastWord(head="", prefix="coal", field=None, negated=False, phrase=False)),
    ("coal or", LastWord(head="coal ", prefix="or", field=None, negated=False, phrase=False)),  # "order" perhaps
    ("coal OR st", LastWord(head="coal OR ", prefix="st", field=None, negated=False, phrase=False)),
    ("(coal OR st", LastWord(head="(coal OR ", prefix="st", field=None, negated=False, phrase=False)),
    ("coal-mi", LastWord(head="coal-", prefix="mi", field=None, negated=False, phrase=False)),
    ("coal -air", LastWord(head="coal -", prefix="air", field=None, negated=True, phrase=False)),
    ("coal NOT air", LastWord(head="coal NOT ", prefix="air", field=None, negated=True, phrase=False)),
    ("NOT -air", LastWord(head="NOT -", prefix="air", field=None, negated=False, phrase=False)),
    ('"freight tr', LastWord(head='"freight ', prefix="tr", field=None, negated=False, phrase=True)),
    ('title:"freight tr', LastWord(head='title:"freight ', prefix="tr", field="title", negated=False, phrase=True)),
    ("title:(coal OR st", LastWord(head="title:(coal OR ", prefix="st", field="title", negated=False, phrase=False)),
    ("body:air", LastWord(head="body:", prefix="air", field="body", negated=False, phrase=False)),
    ("author:yu", LastWord(head="author:", prefix="yu", field="author", negated=False, phrase=False)),
    ("city:ta", LastWord(head="city:", prefix="ta", field="city", negated=False, phrase=False)),
    ("coal -city:ta", LastWord(head="coal -city:", prefix="ta", field="city", negated=True, phrase=False)),
    ("city:太", LastWord(head="city:", prefix="太", field="city", negated=False, phrase=False)),
    ('source:"china d', LastWord(head="source:", prefix="china d", field="source", negated=False, phrase=True)),
    ("source:“china d", LastWord(head="source:", prefix="china d", field="source", negated=False, phrase=True)),
    ("year:20", LastWord(head="year:", prefix="20", field="year", negated=False, phrase=False)),
])
def test_last_word_reads_the_end_as_the_parser_does(typed: str, expected: LastWord) -> None:
    assert last_word(typed) == expected


@pytest.mark.parametrize("typed", [
    "", "coal ", "coal OR", "coal AND", "coal NOT", "NOT", "coal -", "air*", '"freight train"', "city:", "title:OR",
])
def test_last_word_is_none_after_a_space_an_operator_or_punctuation(typed: str) -> None:
    assert last_word(typed) is None


# ---------------------------------------------------------------- what each place completes from

def test_stop_words_are_the_analysers_own_and_never_offered(whoosh: WhooshBackend) -> None:
    stop_filters = [f for f in chained_analyzer().items if type(f).__name__ == "StopFilter"]
    assert [f.stops for f in stop_filters] == [frozenset(STOP_WORDS)]
    assert [t.text for t in text_analyzer()(" ".join(sorted(STOP_WORDS)))] == []  # the fused analyser drops them too
    assert COMMON_WORDS & frozenset(STOP_WORDS) == frozenset()  # no copy of the analyser's list
    # The seeds hold "more", "most", "which", "been", "also", "about": none is offered.
    offered = {w.lower() for p in ("mo", "wh", "be", "al", "ab", "th") for w in completions(whoosh, p)["words"]}
    assert offered and offered & NOT_COMPLETED == set(), offered & NOT_COMPLETED


def test_city_completions_come_from_the_gazetteer() -> None:
    assert city_completions("ta") == ["Taiyuan", "Datong", "Taigu"]  # Datong by its spelling "Tatung"
    assert city_completions("LV") == ["Lüliang"]
    assert city_completions("lü") == ["Lüliang", "Lucheng", "Luzhou"]  # accents folded, as city: reads them
    assert city_completions("太") == ["太原", "太谷区"]
    assert city_completions("xiaod") == ["Xiaodian"]  # a district of Taiyuan
    assert city_completions("jin") == ["Jincheng", "Jinzhong", "Jingle", "Jinyuan"]
    assert city_completions("zebra") == []
    assert city_completions("") == []


def test_an_operator_at_the_end_asks_nothing() -> None:
    backend = FakeBackend()
    for typed in ("coal OR", "coal AND", "coal NOT", "coal "):
        assert completions(backend, typed) == {"query": typed, "words": [], "titles": []}
    assert backend.calls == []


def test_a_searched_word_fills_titles_from_headlines_then_the_typed_text() -> None:
    backend = FakeBackend()
    assert completions(backend, "coal ai") == {
        "query": "coal ai", "words": ["coal airport", "coal aircraft", "coal airports"],  # "about" is too common
        "titles": [{"id": "id of title:(ai* OR ai)", "title": "title of title:(ai* OR ai)"}],
    }
    assert backend.calls == [("complete", "ai"), ("search", "title:(ai* OR ai)")]  # under 3 letters: headlines only
    backend.calls.clear()
    assert completions(backend, "coal air")["titles"] == [
        {"id": "id of title:(air* OR air)", "title": "title of title:(air* OR air)"},
        {"id": "id of coal (air* OR air)", "title": "title of coal (air* OR air)"},
    ]
    assert backend.calls == [("complete", "air"), ("search", "title:(air* OR air)"), ("search", "coal (air* OR air)")]


def test_title_and_body_words_come_from_their_own_field() -> None:
    backend = FakeBackend()
    assert completions(backend, "title:air") == {
        "query": "title:air", "words": ["title:air-in-title"],
        "titles": [{"id": "id of title:(air* OR air)", "title": "title of title:(air* OR air)"}],
    }
    assert backend.calls == [("complete_words", "title", "air"), ("search", "title:(air* OR air)")]
    backend.calls.clear()
    completions(backend, "body:air")
    # The body is not the headline: no headline search, only what the typed text finds.
    assert backend.calls == [("complete_words", "body", "air"), ("search", "body:(air* OR air)")]
    backend.calls.clear()
    assert completions(backend, "author:yu")["words"] == ["author:yu-in-author"]
    assert backend.calls == [("complete_words", "author", "yu"), ("search", "author:yu-in-author")]


def test_an_excluded_word_is_completed_but_never_fills_titles() -> None:
    backend = FakeBackend()
    assert completions(backend, "coal -air") == {
        "query": "coal -air", "words": ["coal -airport", "coal -aircraft", "coal -airports"],
        "titles": [{"id": "id of coal -airport", "title": "title of coal -airport"}],
    }
    # No search for headlines with the excluded word: only what the first completion would find.
    assert backend.calls == [("complete", "air"), ("search", "coal -airport")]
    backend.calls.clear()
    assert completions(backend, "-air") == {"query": "-air", "words": ["-airport", "-aircraft", "-airports"], "titles": []}
    assert backend.calls == [("complete", "air")]  # nothing but an exclusion: no titles to show


def test_field_values_complete_whole_and_quoted() -> None:
    backend = FakeBackend()
    assert completions(backend, "coal city:ta") == {
        "query": "coal city:ta", "words": ["coal city:Taiyuan", "coal city:Datong", "coal city:Taigu"],
        "titles": [{"id": "id of coal city:Taiyuan", "title": "title of coal city:Taiyuan"}],
    }
    assert backend.calls == [("search", "coal city:Taiyuan")]
    backend.calls.clear()
    assert completions(backend, 'source:"chi')["words"] == ['source:"China Daily"']
    assert completions(backend, "source:x")["words"] == ["source:Xinhua"]
    assert completions(backend, "year:20")["words"] == ["year:2022"]  # a year without articles is not offered
    assert completions(backend, "-city:ta") == {"query": "-city:ta", "words": ["-city:Taiyuan", "-city:Datong", "-city:Taigu"],
                                                "titles": []}


def test_typed_text_is_cut_to_200_characters() -> None:
    data = completions(FakeBackend(), "x" * 195 + " coal mine")
    assert (data["query"], data["words"]) == ("x" * 195 + " coal", ["x" * 195 + " coal"])


# ---------------------------------------------------------------- on the seed index

def test_whoosh_backend_implements_the_interface(whoosh: WhooshBackend) -> None:
    assert isinstance(whoosh, SearchBackend)


def test_whoosh_field_words(whoosh: WhooshBackend) -> None:
    assert whoosh.complete_words("title", "TRA") == ["transfer", "transfers"]  # headline stems only
    assert whoosh.complete("tra", 3) == ["transformation", "transportation", "trade"]
    assert whoosh.complete_words("body", "air") == ["airport", "airports", "aircraft"]
    assert whoosh.complete_words("title", "air") == []
    assert whoosh.complete_words("title", "the") == []  # a stop word is never indexed
    assert whoosh.complete_words("author", "yu") == ["Yuan"]  # as the byline writes it
    assert whoosh.complete_words("city", "ta") == []
    assert whoosh.complete_words("title", "") == []


def test_completions_on_the_seed_index(whoosh: WhooshBackend) -> None:
    assert completions(whoosh, "coal OR") == {"query": "coal OR", "words": [], "titles": []}
    assert completions(whoosh, "city:ta") == {"query": "city:ta", "words": ["city:Taiyuan", "city:Datong", "city:Taigu"],
                                              "titles": titles(A2, A3, A0, A4)}  # the articles most about Taiyuan first
    assert completions(whoosh, "source:da") == {"query": "source:da",
                                                "words": ['source:"China Daily"', 'source:"Shanxi Daily"'],
                                                "titles": titles(A4, A2)}
    assert completions(whoosh, "year:20") == {"query": "year:20", "words": ["year:2022", "year:2021", "year:2019"],
                                              "titles": titles(A0, A1)}
    assert completions(whoosh, "author:yu") == {"query": "author:yu", "words": ["author:Yuan"], "titles": titles(A3)}
    assert completions(whoosh, "title:tra") == {"query": "title:tra", "words": ["title:transfer", "title:transfers"],
                                                "titles": titles(A1)}
    # The Jincheng headline starts with "jin", but "jin" is being excluded.
    assert completions(whoosh, "coal -jin") == {
        "query": "coal -jin", "words": ["coal -Jincheng", "coal -Jingang", "coal -Jinou", "coal -Jinzhong"],
        "titles": titles(A0, A3)}


def test_the_core_needs_neither_flask_nor_click() -> None:
    code = ("import sys, search_app.query.suggest, search_app.backends.whoosh.backend, search_app.backends.typesense.completions; "
            "print(sorted(m for m in ('flask', 'click') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "[]\n"


# ---------------------------------------------------------------- Typesense, over a canned answer

class FakeTypesense:
    """TypesenseBackend's _multi answering every search with the same documents."""

    def __init__(self, documents: list[dict[str, Any]]) -> None:
        self.documents = documents
        self.asked: list[list[dict[str, Any]]] = []

    def _multi(self, searches: list[dict[str, Any]], collection: str | None = None) -> list[dict[str, Any]]:
        self.asked.append(searches)
        return [{"hits": [{"document": d} for d in self.documents]}]


def test_typesense_field_words() -> None:
    fake = FakeTypesense([{"author": "Yuan Shenggao"}, {"author": "Yu Lei and Yuan Ye"}, {"author": "Lüliang Yuki"}])
    assert typesense_completions.complete_words(fake, "author", "Yu") == ["Yuan", "Yu", "Yuki"]  # type: ignore[arg-type]
    assert fake.asked == [[{"q": "yu", "query_by": "author", "prefix": "true", "num_typos": 0, "per_page": 50,
                            "include_fields": "title,body,author", "highlight_fields": "none"}]]
    assert typesense_completions.complete_words(fake, "author", "lu") == ["Lüliang"]  # type: ignore[arg-type]
    fake.asked.clear()
    assert typesense_completions.complete_words(fake, "city", "yu") == []  # type: ignore[arg-type]
    assert typesense_completions.complete_words(fake, "title", "") == []  # type: ignore[arg-type]
    assert typesense_completions.complete_words(fake, "title", "a b") == []  # type: ignore[arg-type]
    assert fake.asked == []


# ---------------------------------------------------------------- the spelling vocabulary

def test_vocabulary_completes_most_frequent_first() -> None:
    vocabulary = Vocabulary({"airport": 3, "aircraft": 1, "airports": 1, "coal": 5})
    assert vocabulary.complete("AIR") == ["airport", "aircraft", "airports"]
    assert vocabulary.complete("air", 1) == ["airport"]
    assert vocabulary.complete("") == []
    assert vocabulary.complete("zebra") == []


# ---------------------------------------------------------------- words shown as the articles write them

@pytest.mark.parametrize(("body", "byline", "forms"), [
    ("Officials in Datong and GDP figures.", "", {"Datong", "GDP"}),
    ("Datong opened a mine. Officials said so.", "", set()),  # a capital after a full stop may only open a sentence
    ("the Shanxi-Shaanxi rail line, McDonald said", "", {"Shanxi", "Shaanxi", "McDonald"}),
    ("Datong Coal Group mines coal.", "", {"Group"}),  # Coal: written in lower case too
    ("a visit to Lüliang. Über the hills", "", {"Lüliang"}),
    ("", "By Yu Lei and Yuan Shenggao", {"By", "Yu", "Lei", "Yuan", "Shenggao"}),
])
def test_cased_forms(body: str, byline: str, forms: set[str]) -> None:
    assert cased_forms(body, byline) == forms


def test_display_forms_need_more_than_half_of_the_articles() -> None:
    frequencies = {"datong": 4, "coal": 10, "gdp": 3, "group": 6}
    cased = {"Datong": 4, "Coal": 2, "GDP": 2, "Gdp": 1, "Group": 3}
    assert display_forms(frequencies, cased) == {"datong": "Datong", "gdp": "GDP"}


@pytest.fixture(scope="module")
def common_words(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WhooshBackend]:
    """Articles where date, data and database are commoner than Datong, and coal is written both ways."""
    seeds = tmp_path_factory.mktemp("seeds")
    for n in range(4):
        (seeds / f"data{n}.txt").write_text(
            f"Data day {n}\n\nUpdated: 2022-01-0{n + 1}\n\nThe date of the data release and the database "
            "of coal output, said the GDP office; Datong Coal Group agreed.\n", "utf-8")
    (seeds / "datong.txt").write_text("A museum\n\nUpdated: 2022-02-01\n\nThe new museum in Datong opened.\n", "utf-8")
    index_dir = tmp_path_factory.mktemp("index")
    build(seeds, index_dir)
    backend = WhooshBackend(index_dir)
    yield backend
    backend.close()


@pytest.mark.parametrize(("typed", "words"), [
    ("Dat", ["Datong", "data", "database", "date"]),  # the city first, though the others are commoner
    ("dat", ["Datong", "data", "database", "date"]),
    ("coal da", ["coal Datong", "coal data", "coal database", "coal date", "coal day"]),
    ("太", ["太原", "太谷区"]),  # a Chinese prefix: the city (then its district) in Chinese
    ("gd", ["GDP"]),  # written in capitals in every article
    ("co", ["coal"]),  # "Coal Group" in every article, but "coal" too
    ("-dat", ["-Datong", "-data", "-database", "-date"]),  # an exclusion: by frequency, cities not put first
    ("title:da", ["title:data", "title:day"]),  # Title Case in headlines is not how a word is written
])
def test_completions_show_cities_first_and_words_as_written(common_words: WhooshBackend, typed: str,
                                                            words: list[str]) -> None:
    assert completions(common_words, typed)["words"] == words
