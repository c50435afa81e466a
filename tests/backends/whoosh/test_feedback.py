"""Pseudo-relevance feedback: a description finds what its best articles share, within everything the query requires."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import built_handle

from search_app.backends.whoosh import feedback
from search_app.backends.whoosh.reader import IndexHandle
from search_app.backends.whoosh.search import search
from search_app.models import SearchRequest

# Four articles about Taiyuan's blast furnaces all mention slag; the description below never does.
ARTICLES = {
    "r1": ("Steel plant raises blast furnace output",
           "The Taiyuan steel plant said blast furnace output rose as slag sales grew; slag is sold for cement.", 1),
    "r2": ("Blast furnace output record at steel plant",
           "The Taiyuan plant's blast furnace output hit a record and slag piled up beside the steel works.", 2),
    "r3": ("Steel output and slag",
           "Taiyuan steel makers said output from each blast furnace rose while slag recycling expanded at the plant.", 3),
    "r4": ("Plant blast furnace upgrade",
           "A new blast furnace lifted steel output at the Taiyuan plant, with slag used for road building.", 4),
    "power": ("Power plant opens", "A gas power plant opened in Taiyuan on Monday, officials said.", 5),
    # Slag and none of the description's words: found only through feedback.
    "heaps": ("Slag heaps near Datong", "Datong residents complained about waste dumped by the river.", 6),
    "river": ("River cleanup in Datong", "Datong residents complained about slag dumped by the river.", 7),
    # The same article twice but for slag/lawn, the lawn one newer: tied without feedback, slag first with it.
    "slag-closure": ("Plant closure in Linfen", "A chemical plant in Linfen closed; slag cleanup begins.", 8),
    "lawn-closure": ("Plant closure in Linfen", "A chemical plant in Linfen closed; lawn cleanup begins.", 9),
    # "blast" and "furnace" apart, nothing else of the steel articles: never a phrase match.
    "quarry": ("Quarry noise", "A quarry blast in Xinzhou shook a bakery furnace.", 10),
    "theatre": ("Theatre season", "The Yuncheng theatre announced its spring season of opera.", 11),
    "water": ("Water plant expands", "The Jincheng water plant expanded its output of clean water.", 12),
    "annual": ("Annual report", "The Changzhi mining group published its annual report.", 13),
}
ROOT = Path(__file__).resolve().parents[3]
DESCRIPTION = "reports on steel furnace output at the plant"  # five topic words: a description


@pytest.fixture(scope="module")
def handle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexHandle]:
    """The articles above built into an index."""
    files = {f"{name}.txt": f"{title}\n\nUpdated: 2022-03-{day:02d}\n\n{body}\n" for name, (title, body, day) in ARTICLES.items()}
    with built_handle(tmp_path_factory.mktemp("feedback"), files) as handle:
        yield handle


@pytest.fixture()
def without_feedback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Feedback switched off by its module constant."""
    monkeypatch.setattr(feedback, "ENABLED", False)


def answer(handle: IndexHandle, q: str, **kw: Any) -> tuple[int, list[tuple[str, float | None]]]:
    """The total and the (id, score) of every result."""
    response = search(handle, SearchRequest(q=q, per_page=100, **kw))
    return response["total"], [(r["id"], r["score"]) for r in response["results"]]


def found(handle: IndexHandle, q: str, **kw: Any) -> list[str]:
    """Result ids, best first."""
    return [rid for rid, _score in answer(handle, q, **kw)[1]]


def test_without_feedback_no_article_without_the_typed_words_is_found(handle: IndexHandle, without_feedback: None) -> None:
    assert set(found(handle, DESCRIPTION)) == {"r1", "r2", "r3", "r4", "quarry", "slag-closure", "lawn-closure", "power",
                                               "water", "annual"}
    assert found(handle, DESCRIPTION).index("lawn-closure") < found(handle, DESCRIPTION).index("slag-closure")


def test_feedback_finds_articles_with_the_word_the_best_articles_share(handle: IndexHandle) -> None:
    ids = found(handle, DESCRIPTION)
    assert set(ids) == {"r1", "r2", "r3", "r4", "quarry", "slag-closure", "lawn-closure", "power", "water", "annual",
                        "heaps", "river"}  # and the two with slag and none of the typed words
    assert ids.index("slag-closure") < ids.index("lawn-closure")  # raised above its twin by slag


def test_feedback_words_include_the_shared_word_and_no_stop_or_request_word(handle: IndexHandle) -> None:
    model = feedback.relevance_model([f"{t}\n{b}" for t, b, _day in (ARTICLES[r] for r in ("r1", "r2", "r3", "r4"))],
                                     [4.0, 3.0, 2.0, 1.0])
    assert "slag" in feedback.expansion(model, banned=set())
    assert {"the", "at", "report"}.isdisjoint(model)  # stop words are never terms
    assert feedback.expansion({"articl": 0.5, "describ": 0.4, "slag": 0.1}, set()) == {"slag": 1.0}


@pytest.mark.parametrize(("exclusion", "expected"), [
    # The best articles left (the Linfen closure with a lawn among them) share every word but slag with its twin:
    # the twin stays out.
    ("-slag", {"quarry", "lawn-closure", "power", "water", "annual"}),
    # The best articles have slag in the body: it still never comes back as a word of their own.
    ("-title:slag", {"r1", "r2", "r4", "quarry", "slag-closure", "lawn-closure", "power", "water", "annual"}),
    ('-"slag heaps"', {"r1", "r2", "r3", "r4", "quarry", "slag-closure", "lawn-closure", "power", "water", "annual"}),
])
def test_an_excluded_word_never_comes_back(handle: IndexHandle, exclusion: str, expected: set[str]) -> None:
    assert set(found(handle, f"{DESCRIPTION} {exclusion}")) == expected


@pytest.mark.parametrize(("suffix", "kw"), [("", {"cities": ("Taiyuan",)}), (" city:Taiyuan", {})])
def test_a_city_filter_holds(handle: IndexHandle, suffix: str, kw: dict[str, Any]) -> None:
    response = search(handle, SearchRequest(q=DESCRIPTION + suffix, per_page=100, **kw))
    assert sorted(r["id"] for r in response["results"]) == ["power", "r1", "r2", "r3", "r4"]  # not Datong's slag
    assert all("Taiyuan" in r["cities"] for r in response["results"])


def test_phrase_words_count_only_as_the_phrase(handle: IndexHandle) -> None:
    # The best articles all have "blast furnace": neither word is added alone, so the quarry's blast and furnace
    # (apart) find nothing, while the same words typed plainly do.
    assert "quarry" not in found(handle, 'reports on steel output at the plant, "blast furnace" slag')
    assert "quarry" in found(handle, "reports on steel output at the plant, blast furnace slag")


@pytest.mark.parametrize(("q", "kw"), [
    ("plant output", {}),  # keywords: every word required, no feedback (five matches)
    ('"blast furnace"', {}),  # a phrase alone
    ("Taiyuan", {}),  # a city alone: ordered by how central it is
    (DESCRIPTION, {"sort": "newest"}),
    (DESCRIPTION, {"cities": ("Linfen",)}),  # two matches: too few to learn from
])
def test_feedback_changes_nothing_where_it_does_not_apply(handle: IndexHandle, monkeypatch: pytest.MonkeyPatch, q: str,
                                                          kw: dict[str, Any]) -> None:
    on = answer(handle, q, **kw)
    monkeypatch.setattr(feedback, "ENABLED", False)
    assert answer(handle, q, **kw) == on


_ANSWER = """
import sys
from search_app.backends.whoosh.reader import IndexHandle
from search_app.backends.whoosh.search import search
from search_app.models import SearchRequest
handle = IndexHandle(__import__("pathlib").Path(sys.argv[1]))
print([(r["id"], r["score"]) for r in search(handle, SearchRequest(q=sys.argv[2], per_page=100))["results"]])
handle.close()
"""


def test_feedback_is_deterministic(handle: IndexHandle) -> None:
    # In other processes too, whose string hashes (and so set orders) differ.
    here = str(answer(handle, DESCRIPTION)[1])
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        out = subprocess.run([sys.executable, "-c", _ANSWER, str(handle.index_dir), DESCRIPTION], env=env,
                             capture_output=True, text=True, check=True)
        assert out.stdout.strip() == here
