"""The fused text analysis (query/analysis.py) gives exactly what Whoosh's filter chain gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from search_app.query.analysis import TextAnalyzer, chained_analyzer, index_terms, index_words

REPO = Path(__file__).resolve().parents[2]
TRICKY = [
    "",
    "the a an",  # nothing but stop words
    "x 太原",  # a one-letter word dropped before Chinese
    "太原，煤炭 and 太原煤炭新闻",  # punctuation parts Chinese: a gap of one position
    "China's U.S. coal-fired 2024年 A. B. c",
    "the 太 x 原 of 山西省",
    "Lüliang CAFÉ café naïve ﬁnance",
    "operating generalized industries industrial",
    "I a x coal the b mine",  # one-letter words before the first term move it, later ones leave no gap
    "THE Coal",
]
TEXTS = TRICKY + [p.read_text("utf-8", "replace") for p in sorted((REPO / "seeds").rglob("*")) if p.is_file()]


def _tokens(analyzer: object, text: str, **kwargs: object) -> list[tuple[str, int, int, int]]:
    return [(t.text, t.pos, t.startchar, t.endchar) for t in analyzer(text, positions=True, chars=True, **kwargs)]  # type: ignore[operator]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("mode", ["index", "query"])
def test_same_tokens_as_the_filter_chain(text: str, mode: str) -> None:
    assert _tokens(TextAnalyzer(), text, mode=mode) == _tokens(chained_analyzer(), text, mode=mode)


# "İstanbul" lower-cases to nine characters: Whoosh's chain then ends the token a character late.
@pytest.mark.parametrize("text", [*TEXTS, "THE Coal İstanbul"])
def test_index_words_are_index_terms_without_offsets(text: str) -> None:
    terms, positions = index_words(text)
    assert list(zip(terms, positions, strict=True)) == [(t, p) for t, p, _s, _e in index_terms(text)]


def test_positions_start_where_asked() -> None:
    assert [(t, p) for t, p, _s, _e in index_terms("the coal 煤炭", start_pos=5)] == [("coal", 6), ("煤", 7), ("炭", 8)]
    assert [(t.text, t.pos) for t in TextAnalyzer()("the coal", positions=True, start_pos=5)] == [("coal", 6)]


def test_untokenized_value_is_one_token_as_the_chain_makes_it() -> None:
    assert [t.text for t in TextAnalyzer()("Coal Mines", tokenize=False)] == ["coal min"]
