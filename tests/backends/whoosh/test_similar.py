"""Related articles: an article's key words, searched for in the other bodies, find the articles on its topic first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import built_handle

from search_app.backends.whoosh.indexer import build
from search_app.backends.whoosh.reader import IndexHandle
from search_app.backends.whoosh.search import get_article
from search_app.backends.whoosh.similar import key_words

FILLER = "Officials in the province said on Monday that the work would continue this year. "
TOPICS = {
    "coal": ["Coal mine output rises in Datong", "Datong coal miners dig deeper seams",
             "Coal mine safety checks in Datong"],
    "air": ["Taiyuan airport adds flights", "More flights from Taiyuan airport terminal", "Airport runway opens to flights"],
    "tea": ["Tea growers in Yuncheng", "Yuncheng tea harvest"],
}
WORDS = {"coal": "coal mine seam miners shaft colliery", "air": "airport flights runway terminal passengers airline",
         "tea": "tea leaves growers harvest orchard"}


@pytest.fixture(scope="module")
def topical(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexHandle]:
    """Eight articles on three topics, each body its topic's words among words every article shares."""
    files = {f"{topic}{n}.txt": f"{title}\n\n{FILLER * 2}{WORDS[topic]} {WORDS[topic]}.\n"
             for topic, titles in TOPICS.items() for n, title in enumerate(titles)}
    with built_handle(tmp_path_factory.mktemp("similar"), files) as handle:
        yield handle


@pytest.mark.parametrize(("article", "first"), [("coal0", {"coal1", "coal2"}), ("air1", {"air0", "air2"}),
                                                ("tea0", {"tea1"})])
def test_related_articles_share_the_topic_first(topical: IndexHandle, article: str, first: set[str]) -> None:
    related = [r["id"] for r in get_article(topical, article)["related"]]
    assert article not in related
    assert set(related[:len(first)]) == first


def test_key_words_are_the_telling_ones(topical: IndexHandle) -> None:
    gen = topical.generation()
    with gen.searcher() as searcher:
        fields = searcher.stored_fields(searcher.document_number(id="coal0"))
    words = key_words(gen.lexicon, gen.size, fields["title"], fields["body"], count=6)
    assert words[0][1] == 1.0 and [w for w, _ in words] == sorted((w for w, _ in words), key=dict(words).get, reverse=True)
    assert {"coal", "mine"} <= {w for w, _ in words}
    assert not {"said", "offici", "provinc", "year"} & {w for w, _ in words}  # in every article
    assert "datong" not in {w for w, _ in words}  # in headlines only: no body to find it in


def test_an_article_without_words_has_no_related(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text("Coal news\n\nCoal.\n", "utf-8")
    build(seeds, tmp_path / "index")
    handle = IndexHandle(tmp_path / "index")
    try:
        assert get_article(handle, "a")["related"] == []  # the only article: nothing else to show
    finally:
        handle.close()
