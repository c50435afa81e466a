"""How a query is matched: keywords (every word) or a description (its topic words), and its word pairs."""

from __future__ import annotations

import pytest

from search_app.query.parser import Word, parse
from search_app.query.plan import is_description, searched_cities, topic_tree, topic_words, word_pairs


@pytest.mark.parametrize(
    ("q", "described"),
    [
        ("coal", False),
        ("new york", False),
        ("the who", False),
        ("Taiyuan coal mine safety", False),  # four topic words: keywords
        ("What is coal bed methane?", False),  # a short question: keywords first, relaxed if nothing has them all
        ("Taiyuan coal mine safety inspections", True),
        ("parallel languages; languages for parallel computation", True),  # a repeated word counts again
        ("I am interested in articles about coal and steel", False),  # request words are not topic words
        ("I am interested in articles about coal prices, steel output and rail freight", True),
        ("coal OR steel OR rail OR freight OR airport", False),  # an OR query is never a description
        ("city:taiyuan source:xinhua year:2021 author:yuan coal", False),  # restrictions are not topic words
    ],
)
def test_descriptions_and_keywords(q: str, described: bool) -> None:
    assert is_description(parse(q)) is described


def test_topic_words_leave_out_request_words() -> None:
    parsed = parse("What articles describe the coal mines (and coal prices) of Shanxi? I am interested")
    assert topic_words(parsed) == ["coal", "mine", "coal", "price", "shanxi"]
    tree = topic_tree(parsed)
    assert [c.text for c in tree.children if isinstance(c, Word)] == [
        "the", "coal", "mines", "and", "coal", "prices", "of", "Shanxi?"]


def test_a_query_of_request_words_only_keeps_them() -> None:
    parsed = parse("describe articles please")
    assert [c.text for c in topic_tree(parsed).children] == ["describe", "articles", "please"]


@pytest.mark.parametrize(
    ("q", "pairs"),
    [
        ("safety inspections of coal mines in Shanxi", [("safety", "inspections"), ("inspections", "coal"),
                                                        ("coal", "mines"), ("mines", "Shanxi")]),
        ("coal mines, steel mills", [("coal", "mines,"), ("steel", "mills")]),  # a clause ends at the comma
        ("coal articles mines", []),  # a request word parts them
        ('coal "steel mills" prices', []),  # so does a phrase
        ("coal title:mines prices", []),  # and a field
    ],
)
def test_neighbouring_words_pair_within_a_clause(q: str, pairs: list[tuple[str, str]]) -> None:
    assert word_pairs(parse(q)) == pairs


@pytest.mark.parametrize(
    ("q", "cities"),
    [
        ("太原", ("Taiyuan",)),
        ("city:Taiyuan", ("Taiyuan",)),
        ("Taiyuan", ("Taiyuan",)),
        ("TATUNG", ("Datong",)),  # an old spelling
        ("city:xiaodian", ("Taiyuan",)),  # a district, in the city field
        ('"Taiyuan"', ("Taiyuan",)),
        ("Datong OR 太原", ("Datong", "Taiyuan")),
        ("city:datong city:jinzhong", ("Datong", "Jinzhong")),
        ("Taiyuan -coal", ("Taiyuan",)),  # an exclusion narrows, it asks for nothing
        ("Taiyuan coal", None),
        ("Xiaodian", None),  # a bare district name is a word, as the compiler reads it
        ("Taiyuan OR coal", None),
        ("Tai*", None),
        ("title:Taiyuan", None),
        ("-Taiyuan", None),
        ("", None),
    ],
)
def test_searched_cities(q: str, cities: tuple[str, ...] | None) -> None:
    assert searched_cities(parse(q)) == cities
