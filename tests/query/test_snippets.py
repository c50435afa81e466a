"""Snippets (query/snippets.py): bounded work on long articles, the same windows as before on short ones."""

from __future__ import annotations

from search_app.query.snippets import SNIPPET_MATCHES, find_matches, snippet

FILLER = "Officials said the mine had reopened. "


def test_find_matches_stops_at_the_limit() -> None:
    text = "Coal prices rose. " * 200
    assert [m.start for m in find_matches(text, frozenset({"coal"}), limit=3)] == [0, 18, 36]
    assert len(find_matches(text, frozenset({"coal"}))) == 200


def test_a_long_article_full_of_the_word_gives_a_snippet_from_its_first_matches() -> None:
    text = FILLER * 3 + "Coal output grew in Datong. " * 5000 + "Steel and coal together at the end."
    got = snippet(text, frozenset({"coal", "steel"}))
    # Chosen among the first SNIPPET_MATCHES matches: the pair at the very end is never reached.
    assert got.startswith("…") and got.count("<mark>Coal</mark>") >= 2 and "Steel" not in got
    assert SNIPPET_MATCHES < 5000


def test_the_densest_window_wins_among_few_matches() -> None:
    text = FILLER * 10 + "Coal. " + FILLER * 10 + "Coal and steel output rose. " + FILLER * 10
    got = snippet(text, frozenset({"coal", "steel"}), fragments=1)
    assert "<mark>Coal</mark> and <mark>steel</mark> output rose." in got
