"""The Whoosh schema (fields, the index format) and the mapping between Article records and documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from search_app.ingest.sources import UNKNOWN_SOURCE, known_source
from search_app.models import Article
from search_app.query.analysis import word_analyzer
from search_app.query.contract import date_sort_keys

# Bumped whenever analysis or fields change: an index of another format must be rebuilt, not updated.
INDEX_FORMAT = 8  # 2: Han characters indexed one by one; 3: with a gap where punctuation or a space parts them;
# 4: English words stemmed by Porter2 (the Snowball English stemmer) instead of the original Porter;
# 5: articles without a source filed under UNKNOWN_SOURCE, and the rule that dated each article;
# 6: how central each city is to each article (the centrality field);
# 7: the analyser's classes moved to search_app.query.analysis (the schema pickles their import path);
# 8: title and body indexed in the flat files only (flat.py), Whoosh storing their text; date and sort
# keys no longer indexed as terms


def _column() -> NUMERIC:
    """A per-document number kept as a column only (docvalues.py reads it whole): no terms to index."""
    field = NUMERIC(bits=32, sortable=True, signed=False)
    field.indexed = False
    return field


def build_schema() -> Schema:
    """The index schema: text fields, facet fields, sort keys and stored metadata."""
    return Schema(
        id=ID(unique=True, stored=True),
        # Stored only: their words are indexed in each segment's flat file (flatwrite.py), not by Whoosh.
        title=STORED(),
        body=STORED(),
        city=KEYWORD(stored=True, commas=True, lowercase=False, scorable=False),
        # Each city again, as often as it is central to the article (gazetteer.locate_cities): the
        # posting's frequency orders a search for the city alone. Never searched by text.
        centrality=KEYWORD(commas=True, lowercase=False, scorable=True),
        source=ID(stored=True),
        year=ID(stored=True),
        date=STORED(),  # filtered and sorted by the sort columns (docvalues.py), never by Whoosh
        sort_newest=_column(),
        sort_oldest=_column(),
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
