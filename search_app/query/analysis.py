"""Text analysis shared by every engine: words, Han characters one by one, stop words, Porter2 stems.

The Whoosh index is built with these analysers; the query parser, the snippets, the completions
and the Typesense backend analyse text with the same ones, so that what is searched, marked and
suggested is what was indexed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from whoosh.analysis import STOP_WORDS, Analyzer, Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.analysis.acore import Token
from whoosh.lang.porter2 import stem

__all__ = ["HAN_CHARACTER", "TOKEN_PATTERN", "HanCharacters", "TextAnalyzer", "analyse", "chained_analyzer", "index_terms",
           "index_words", "stem", "text_analyzer", "word_analyzer"]

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


_TOKENS = re.compile(TOKEN_PATTERN)
_stem = lru_cache(maxsize=1 << 18)(stem)  # words recur: most of an archive's tokens are a few thousand words


def index_terms(value: str, start_pos: int = 0) -> Iterator[tuple[str, int, int, int]]:
    """(term, position, start char, end char) of each index term of a text, in order.

    The whole chain of `chained_analyzer()` (words, lower case, stop words out with positions
    renumbered, Han characters one by one, Porter2 stems) in one loop: a build spends a third of its
    time analysing, and a Python generator per filter per token was most of that. The output is
    the chain's, token for token (tests/query/test_analysis.py checks it on every seed and page).
    """
    stops = STOP_WORDS
    kept = None  # the stop filter's renumbered position of the token
    pos = None  # the Han filter's renumbered position of the piece
    last_han = False
    for i, match in enumerate(_TOKENS.finditer(value)):
        text = match.group(0).lower()
        if text in stops:
            continue
        kept = start_pos + i if kept is None else kept + 1
        start = match.start()
        if HAN_CHARACTER.search(text) is None:
            if len(text) < 2:
                continue
            pos = kept if pos is None else pos + 1
            last_han = False
            yield _stem(text), pos, start, match.end()
            continue
        first = True
        for piece in _HAN_OR_OTHER.finditer(text):
            word = piece.group()
            han = HAN_CHARACTER.match(word) is not None
            if len(word) < 2 and not han:
                continue
            step = 2 if first and han and last_han else 1
            pos = kept if pos is None else pos + step
            first, last_han = False, han
            yield _stem(word), pos, start + piece.start(), start + piece.end()


def index_words(value: str) -> tuple[list[str], Sequence[int]]:
    """index_terms' terms and positions (from 0) as two sequences, without the character offsets.

    Text without Han characters (most articles) takes list operations instead of a generator step
    per token: there the kept words' positions simply follow one another from the first.
    """
    if HAN_CHARACTER.search(value) is not None:
        found = [(term, pos) for term, pos, _start, _end in index_terms(value)]
        return [term for term, _pos in found], [pos for _term, pos in found]
    terms = list(map(_token_term, _TOKENS.findall(value)))
    first = next((i for i, term in enumerate(terms) if term is not None), len(terms))
    kept = [term for term in terms[first:] if term is not None]  # at positions first, first + 1, ...
    opening = next((i for i, term in enumerate(kept) if term), len(kept))
    words = [term for term in kept[opening:] if term]  # one-letter words leave no gap
    return words, range(first + opening, first + opening + len(words))


@lru_cache(maxsize=1 << 18)
def _token_term(token: str) -> str | None:
    """A token's index term: None for a stop word, "" for a one-letter word (no term, as index_terms drops it)."""
    text = token.lower()
    if text in STOP_WORDS:
        return None
    return _stem(text) if len(text) > 1 else ""


class TextAnalyzer(Analyzer):
    """Whoosh's analyser interface over index_terms (the title and body fields of the index)."""

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs: Any) -> Iterator[Token]:
        """Tokens as the filter chain gives them (stop words are always removed: this field never keeps them)."""
        if not tokenize:
            yield from chained_analyzer()(value, positions=positions, chars=chars, keeporiginal=keeporiginal,
                                          removestops=removestops, start_pos=start_pos, start_char=start_char,
                                          tokenize=False, mode=mode, **kwargs)
            return
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for text, pos, startchar, endchar in index_terms(value, start_pos):
            t.text = text
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = value[startchar:endchar]  # type: ignore[attr-defined]
            if positions:
                t.pos = pos
            if chars:
                t.startchar, t.endchar = start_char + startchar, start_char + endchar
            yield t

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))


def chained_analyzer() -> Analyzer:
    """The title and body analysis as Whoosh filters: words, lower case, stop words out, Han characters one by one,
    Porter2 stems (the reference that TextAnalyzer reproduces in one loop)."""
    # Porter2 (Snowball English) over the original Porter: fewer wrong merges and misses ("generalized"
    # -> "general", "operating" -> "oper" as "operation"); +0.014 nDCG@10 on CACM (README, Ranking).
    # Snippets stem with the same function (snippets._stem), so what is marked is what was found.
    # The stop filter keeps one-letter tokens (a Han character may stand alone); HanCharacters drops the rest.
    return (RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | StopFilter(minsize=1) | HanCharacters()
            | StemFilter(stemfn=stem, cachesize=50000))


def text_analyzer() -> Analyzer:
    """Analysis for title and body: words, lower case, stop words out, Han characters one by one, Porter2 stems."""
    return TextAnalyzer()


def word_analyzer() -> Analyzer:
    """Unstemmed lower-case words, for spelling suggestions."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter()


TEXT = text_analyzer()  # built once: the stem cache lives in the analyser
WORDS = word_analyzer()


def analyse(text: str, analyzer: Any = TEXT) -> list[str]:
    """The index terms a piece of text becomes (stems for title/body)."""
    return [t.text for t in analyzer(text, mode="query")]
