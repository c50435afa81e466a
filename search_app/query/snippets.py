"""Highlighted text: escaped fragments with the matched words (as written) wrapped in <mark>."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from whoosh import query as wq
from whoosh.analysis import STOP_WORDS

from search_app.ingest.gazetteer import by_name
from search_app.query.analysis import HAN_CHARACTER, TOKEN_PATTERN, stem, text_analyzer

FRAGMENT_CHARS = 220
MAX_FRAGMENTS = 2
SNIPPET_MATCHES = 64  # matches a snippet is chosen from (the work per result stays bounded)
ELLIPSIS = "…"
_ANALYZER = text_analyzer()


@dataclass(frozen=True)
class Match:
    """Character span of a matched word in the original text."""

    start: int
    end: int
    term: str


def query_terms(q: wq.Query | None, fieldnames: Iterable[str] = ("title", "body")) -> frozenset[str]:
    """The index terms of a query in the given fields (negated parts excluded)."""
    if q is None:
        return frozenset()
    wanted = set(fieldnames)
    terms: set[str] = set()

    def walk(node: wq.Query) -> None:
        if isinstance(node, wq.Not):
            return
        if isinstance(node, wq.AndNot):
            walk(node.a)
            return
        if isinstance(node, wq.Phrase) and node.fieldname in wanted:
            terms.update(_joined_han(node.words))  # "煤炭" is marked as a whole, not every 煤 and 炭
            return
        if isinstance(node, (wq.Term, wq.Phrase)):
            for fieldname, text in node.iter_all_terms():
                raw: Any = text  # typed str, but a term of a bytes field comes back as bytes
                word = raw.decode("utf-8") if isinstance(raw, bytes) else raw
                if fieldname in wanted:
                    terms.add(word)
                elif fieldname == "city":  # 太原 or city:taiyuan: mark the city's names in the text too
                    terms.update(city_terms(word))
            return
        for child in node.children():
            walk(child)

    walk(q)
    return frozenset(terms)


_WORD = re.compile(TOKEN_PATTERN)
_STOP = STOP_WORDS


def _joined_han(words: Iterable[str]) -> list[str]:
    """A phrase's words with each run of single Han characters joined back into the string typed."""
    out: list[str] = []
    run = ""
    for word in words:
        if len(word) == 1 and HAN_CHARACTER.match(word):
            run += word
            continue
        out += [run, word] if run else [word]
        run = ""
    return out + [run] if run else out


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    return str(stem(word))  # the index's stemmer (analysis.text_analyzer)


@lru_cache(maxsize=64)
def city_terms(city: str) -> frozenset[str]:
    """Index terms of a city's spellings and Chinese name."""
    found = by_name(city)
    if found is None:
        return frozenset()
    return frozenset(t.text for name in found.variants for t in _ANALYZER(name, mode="query")) | {found.zh}


def find_matches(text: str, terms: frozenset[str], limit: int | None = None) -> list[Match]:
    """Spans of the words in text whose analysed form (as the index's analyzer makes it) is one of the terms
    (the first `limit` of them, when given).

    Stemming only changes a word's end, so a stem minus its last letter starts the word: words that
    start otherwise are skipped without stemming, which makes snippets several times cheaper.
    """
    if not terms or not text:
        return []
    prefixes = tuple({t[: max(1, min(4, len(t) - 1))] for t in terms})
    han = [t for t in terms if HAN_CHARACTER.match(t)]
    found = []
    for m in _WORD.finditer(text):
        word = m.group(0).lower()
        if han and HAN_CHARACTER.search(word):  # Chinese: the typed string wherever it stands inside a run
            found.extend(_han_matches(word, m.start(), han))
            continue
        if len(word) < 2 or not word.startswith(prefixes) or word in _STOP:
            continue
        stemmed = _stem(word)
        if stemmed in terms:
            found.append(Match(m.start(), m.end(), stemmed))
            if limit is not None and len(found) >= limit:
                break
    return found


def _han_matches(word: str, offset: int, terms: list[str]) -> list[Match]:
    spans: list[Match] = []
    for term in sorted(terms, key=len, reverse=True):  # longest first: "太原市" before "太原"
        at = word.find(term)
        while at != -1:
            if all(at >= s.end - offset or at + len(term) <= s.start - offset for s in spans):
                spans.append(Match(offset + at, offset + at + len(term), term))
            at = word.find(term, at + len(term))
    return sorted(spans, key=lambda s: s.start)


def mark(text: str, matches: list[Match], start: int = 0, end: int | None = None) -> str:
    """HTML of text[start:end], escaped, with the matches inside it wrapped in <mark>."""
    end = len(text) if end is None else end
    out: list[str] = []
    pos = start
    for m in matches:
        if m.start < start or m.end > end:
            continue
        out.append(html.escape(text[pos:m.start]))
        out.append("<mark>" + html.escape(text[m.start:m.end]) + "</mark>")
        pos = m.end
    out.append(html.escape(text[pos:end]))
    return "".join(out)


def _word_start(text: str, pos: int) -> int:
    if pos <= 0:
        return 0
    space = text.rfind(" ", 0, pos)
    return 0 if space == -1 else space + 1


def _word_end(text: str, pos: int) -> int:
    if pos >= len(text):
        return len(text)
    space = text.find(" ", pos)
    return len(text) if space == -1 else space


def _windows(text: str, matches: list[Match], size: int) -> list[tuple[int, int, int]]:
    """Candidate windows (score, start, end), one starting a little before each match."""
    candidates = []
    for i, first in enumerate(matches):
        start = _word_start(text, max(0, first.start - size // 4))
        end = _word_end(text, min(len(text), start + size))
        inside = []
        for m in matches[i:]:  # in text order: the first one past the window ends it
            if m.end > end:
                break
            inside.append(m)
        score = len({m.term for m in inside}) * 10 + len(inside)
        candidates.append((score, start, end))
    return candidates


def _clean(fragment: str) -> str:
    return " ".join(fragment.split())


def snippet(text: str, terms: frozenset[str], size: int = FRAGMENT_CHARS, fragments: int = MAX_FRAGMENTS) -> str:
    """Up to `fragments` windows of text around the densest matches of terms; the opening when none match."""
    # The windows come from the first SNIPPET_MATCHES matches: a long article full of the word costs no more.
    return snippet_of_matches(text, find_matches(text, terms, SNIPPET_MATCHES), size, fragments)


def snippet_of_matches(text: str, matches: list[Match], size: int = FRAGMENT_CHARS, fragments: int = MAX_FRAGMENTS) -> str:
    """Escaped windows around the densest of the given matches, <mark>ed, with ellipses; the opening when none."""
    if not matches:
        end = _word_end(text, size) if len(text) > size else len(text)
        return html.escape(_clean(text[:end])) + (ELLIPSIS if end < len(text) else "")
    chosen: list[tuple[int, int]] = []
    for _score, start, end in sorted(_windows(text, matches, size), key=lambda w: (-w[0], w[1])):
        if all(end <= s or start >= e for s, e in chosen):
            chosen.append((start, end))
        if len(chosen) == fragments:
            break
    chosen.sort()
    out = ELLIPSIS if chosen[0][0] > 0 else ""
    for number, (start, end) in enumerate(chosen):
        if number:  # text left out between two fragments shows as a spaced ellipsis
            gap = text[chosen[number - 1][1]:start]
            out += " " if not gap.strip() else f" {ELLIPSIS} "
        out += " ".join(mark(text, matches, start, end).split())
    return out + (ELLIPSIS if chosen[-1][1] < len(text) else "")


def highlight_all(text: str, terms: frozenset[str]) -> str:
    """The whole text, escaped, every match wrapped in <mark>."""
    return mark(text, find_matches(text, terms))
