"""Text analysis shared by every engine: words, Han characters one by one, stop words, Porter2 stems.

The Whoosh index is built with these analysers; the query parser, the snippets, the completions
and the Typesense backend analyse text with the same ones, so that what is searched, marked and
suggested is what was indexed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from whoosh.analysis import Analyzer, Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.analysis.acore import Token
from whoosh.lang.porter2 import stem

__all__ = ["HAN_CHARACTER", "TOKEN_PATTERN", "HanCharacters", "analyse", "stem", "text_analyzer", "word_analyzer"]

# Words are runs of letters and digits; "U.S." stays one token, "China's" gives "china" (+ "s", dropped).
TOKEN_PATTERN = r"\w+(?:\.?\w+)*"


# Han characters (CJK ideographs and their extensions in the Basic Multilingual Plane).
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_OR_OTHER = re.compile(f"[{HAN}]|[^{HAN}]+")
HAN_CHARACTER = re.compile(f"[{HAN}]")  # one Han character (the snippets and completions use it too)


class HanCharacters(Filter):
    """Each Han character becomes a token of its own; other words under two letters are dropped.

    Chinese has no spaces between words, so the tokenizer sees "太原煤炭新闻" as one word that only
    an identical query would match. One character per position lets "煤" and the phrase "煤炭" match
    anywhere, the way the English words around them do. Positions are renumbered so that
    characters of a run stay consecutive, with a gap where punctuation or a space parts Chinese
    text ("太原，煤炭" holds no "原煤").
    """

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        pos = None
        last_han = False
        for t in tokens:
            text = t.text
            han_text = HAN_CHARACTER.search(text) is not None
            pieces = [(m.start(), m.group()) for m in _HAN_OR_OTHER.finditer(text)] if han_text else [(0, text)]
            start = t.startchar if t.chars else 0
            first = True  # the first piece of a token follows a break in the text
            for offset, piece in pieces:
                if len(piece) < 2 and not HAN_CHARACTER.match(piece):  # "x", or the "s" of "China's"
                    continue
                han = HAN_CHARACTER.match(piece) is not None
                t.text = piece
                if t.positions:
                    step = 2 if first and han and last_han else 1  # Chinese on both sides of a break
                    pos = t.pos if pos is None else pos + step
                    t.pos = pos
                first, last_han = False, han
                if t.chars:
                    t.startchar, t.endchar = start + offset, start + offset + len(piece)
                yield t


def text_analyzer() -> Analyzer:
    """Analysis for title and body: words, lower case, stop words out, Han characters one by one, Porter2 stems."""
    # Porter2 (Snowball English) over the original Porter: fewer wrong merges and misses ("generalized"
    # -> "general", "operating" -> "oper" as "operation"); +0.014 nDCG@10 on CACM (README, Ranking).
    # Snippets stem with the same function (snippets._stem), so what is marked is what was found.
    # The stop filter keeps one-letter tokens (a Han character may stand alone); HanCharacters drops the rest.
    return (RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | StopFilter(minsize=1) | HanCharacters()
            | StemFilter(stemfn=stem, cachesize=50000))


def word_analyzer() -> Analyzer:
    """Unstemmed lower-case words, for spelling suggestions."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter()


TEXT = text_analyzer()  # built once: the stem cache lives in the analyser
WORDS = word_analyzer()


def analyse(text: str, analyzer: Any = TEXT) -> list[str]:
    """The index terms a piece of text becomes (stems for title/body)."""
    return [t.text for t in analyzer(text, mode="query")]
