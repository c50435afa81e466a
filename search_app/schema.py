"""The Whoosh schema, its analyzers, and the mapping between Article records and documents."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from typing import Any

from whoosh.analysis import Analyzer, Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.analysis.acore import Token
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.lang.porter2 import stem

from .contract import date_sort_keys
from .models import Article
from .sources import UNKNOWN_SOURCE, known_source

TITLE_BOOST = 3.0
# Bumped whenever analysis or fields change: an index of another format must be rebuilt, not updated.
INDEX_FORMAT = 6  # 2: Han characters indexed one by one; 3: with a gap where punctuation or a space parts them;
# 4: English words stemmed by Porter2 (the Snowball English stemmer) instead of the original Porter;
# 5: articles without a source filed under UNKNOWN_SOURCE, and the rule that dated each article;
# 6: how central each city is to each article (the centrality field)
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


def build_schema() -> Schema:
    """The index schema: text fields, facet fields, sort keys and stored metadata."""
    return Schema(
        id=ID(unique=True, stored=True),
        title=TEXT(analyzer=text_analyzer(), stored=True, field_boost=TITLE_BOOST),
        body=TEXT(analyzer=text_analyzer(), stored=True),
        city=KEYWORD(stored=True, commas=True, lowercase=False, scorable=False),
        # Each city again, as often as it is central to the article (gazetteer.locate_cities): the
        # posting's frequency orders a search for the city alone. Never searched by text.
        centrality=KEYWORD(commas=True, lowercase=False, scorable=True),
        source=ID(stored=True),
        year=ID(stored=True),
        date=DATETIME(stored=True),
        sort_newest=NUMERIC(bits=32, sortable=True, signed=False),
        sort_oldest=NUMERIC(bits=32, sortable=True, signed=False),
        author=TEXT(stored=True, analyzer=word_analyzer(), phrase=True),
        dated_by=ID(stored=True),
        path=STORED(),
        content_hash=STORED(),
    )


def to_document(article: Article) -> dict[str, Any]:
    """The Whoosh document for an article."""
    doc: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "path": article.path,
        "content_hash": article.content_hash,
    }
    if article.cities:
        doc["city"] = ",".join(article.cities)
        doc["centrality"] = ",".join(c for c, weight in article.city_weights().items() for _ in range(weight))
    # Filed under one "Unknown source" value, so the source facet's counts add up to the total.
    doc["source"] = article.source or UNKNOWN_SOURCE
    if article.author:
        doc["author"] = article.author
    if article.dated_by:
        doc["dated_by"] = article.dated_by
    doc.update(date_sort_keys(article.date))
    if article.date:
        doc["date"] = dt.datetime(article.date.year, article.date.month, article.date.day)
        doc["year"] = str(article.date.year)
    return doc


def from_stored(fields: dict[str, Any]) -> Article:
    """Rebuild the Article record from a document's stored fields."""
    when = fields.get("date")
    cities = fields.get("city") or ""
    return Article(
        id=fields["id"],
        path=fields.get("path", ""),
        title=fields.get("title", ""),
        body=fields.get("body", ""),
        date=when.date() if isinstance(when, dt.datetime) else None,
        source=known_source(fields.get("source")),
        author=fields.get("author"),
        cities=tuple(c for c in cities.split(",") if c),
        content_hash=fields.get("content_hash", ""),
        dated_by=fields.get("dated_by"),
    )
