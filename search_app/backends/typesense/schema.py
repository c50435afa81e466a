"""The Typesense collection: its fields, and the mapping between Article records and its documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from search_app.ingest.gazetteer import cities, city_names, fold
from search_app.ingest.sources import UNKNOWN_SOURCE, known_source
from search_app.models import Article
from search_app.query.analysis import analyse
from search_app.query.bm25 import word_weights
from search_app.query.contract import EPOCH, date_sort_keys

# Characters that part two words, as the embedded engine's analyser parts them (analysis.TOKEN_PATTERN
# keeps runs of letters and digits): without them Typesense deletes the character and glues the
# words ("coal-fired" -> "coalfired", "province's" -> "provinces"), so "coal" misses the article.
# Left out: the dot ("U.S." stays one word in both engines), the comma and brackets (Typesense's own
# query syntax reads them), the double quote (phrases). Typesense 0.24 takes one-byte characters
# only: curly apostrophes and Unicode dashes are turned into these in the indexed text (to_document).
TOKEN_SEPARATORS = ["-", "/", "'", "_", "+", "&", "@", "#", "~", "|", "\\", ":", ";", "=", "%", "$", "!", "?"]


def collection_schema(name: str) -> dict[str, Any]:
    """The collection's definition: fields, the ingestion order as default sort, word separators."""
    return {"name": name, "fields": collection_fields(), "default_sorting_field": "seq", "token_separators": TOKEN_SEPARATORS}


# Typesense 0.24 neither stems nor weighs a word by how often an article uses it. Each article's
# analysed terms (the Whoosh index's stems) are filed instead under one of TIERS "weight" fields
# by their BM25F weight in the article (bm25.word_weights, from LOWEST up in equal steps), every
# term once: a search of the stems over those fields finds what the embedded engine finds, a
# field's rank says how much the word weighs, and the client orders the best candidates by the
# weights the fields spell out (backend._reranked). The tiers part the terms, so together they
# index each term of an article once.
TIERS = 12
LOWEST = 0.25  # tf / (tf + K1) of one occurrence in a body four times the average length, about
STEP = (1.0 - LOWEST) / TIERS
TIER_FIELDS = tuple(f"weight_{i}" for i in range(TIERS))
WEIGHTS_FIELD = "term_weights"
LENGTH_FIELDS = {"title": "title_terms", "body": "body_terms"}  # how many terms each text field has


def tier_of(weight: float) -> int:
    """The weight field (0 .. TIERS - 1) a term of this BM25F weight is filed under."""
    return min(TIERS - 1, max(0, int((weight - LOWEST) / STEP)))


def tier_weight(tier: int) -> float:
    """The weight a tier stands for: the middle of its step."""
    return LOWEST + STEP * (tier + 0.5)


def collection_fields() -> list[dict[str, Any]]:
    """The collection schema: text fields, facets, sort keys, stored metadata."""
    return [
        {"name": "title", "type": "string"},
        {"name": "body", "type": "string"},
        *({"name": name, "type": "string"} for name in TIER_FIELDS),
        {"name": WEIGHTS_FIELD, "type": "string", "index": False, "optional": True},
        # Facets for their statistics: the mean lengths that normalise an updated article's weights.
        *({"name": name, "type": "int32", "facet": True} for name in LENGTH_FIELDS.values()),
        {"name": "cities", "type": "string[]", "facet": True},
        {"name": "source", "type": "string", "facet": True, "optional": True},
        {"name": "year", "type": "int32", "facet": True, "optional": True},
        {"name": "date", "type": "int64", "optional": True},  # days since 0001-01-01
        {"name": "sort_newest", "type": "int64"},  # undated articles after every dated one
        {"name": "sort_oldest", "type": "int64"},
        {"name": "seq", "type": "int64"},  # ingestion order: ties break as in the Whoosh index
        {"name": "author", "type": "string", "optional": True},
        {"name": "path", "type": "string", "index": False, "optional": True},
        {"name": "content_hash", "type": "string", "index": False, "optional": True},
        # How central each city is to the article (0 when not named): orders a search for a city alone.
        *({"name": centrality_field(name), "type": "int32"} for name in city_names()),
    ]


def centrality_field(city: str) -> str:
    """The sort field holding how central a city is to each article ("centrality_taiyuan")."""
    return "centrality_" + "".join(ch for ch in fold(city) if ch.isalnum())


# Typographic apostrophes and dashes, read as their one-byte forms (which TOKEN_SEPARATORS part words at).
_TYPOGRAPHIC = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2010": "-", "\u2011": "-", "\u2012": "-",
                              "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-"})
AS_WRITTEN = "_as_written"  # suffix of a stored, unindexed copy of a text field whose indexed form was changed


def indexed_text(text: str) -> str:
    """Text as Typesense indexes it: typographic apostrophes and dashes as ASCII, so they part words too."""
    return text.translate(_TYPOGRAPHIC)


def article_terms(article: Article) -> dict[str, list[str]]:
    """The analysed terms of an article's title and body, as the Whoosh index has them."""
    return {"title": analyse(article.title), "body": analyse(article.body)}


def average_lengths(articles: list[Article]) -> dict[str, float]:
    """The mean number of terms of each text field over some articles."""
    terms = [article_terms(a) for a in articles]
    return {name: sum(len(t[name]) for t in terms) / max(1, len(terms)) for name in LENGTH_FIELDS}


def weight_fields(terms: dict[str, list[str]], average: dict[str, float]) -> dict[str, str]:
    """The weight fields of an article: its distinct terms, each under its BM25F weight's tier."""
    tiers: list[list[str]] = [[] for _ in range(TIERS)]
    weights = word_weights(terms, average)
    for term, weight in weights.items():
        tiers[tier_of(weight)].append(term)
    out = {name: " ".join(sorted(words)) for name, words in zip(TIER_FIELDS, tiers)}
    # The exact weights too (stored, not indexed; thousandths), so equal tiers still order as on Whoosh.
    out[WEIGHTS_FIELD] = " ".join(f"{term} {round(weight * 1000)}" for term, weight in sorted(weights.items()))
    return out


def to_document(article: Article, seq: int = 0, average: dict[str, float] | None = None) -> dict[str, Any]:
    """The Typesense document for an article (text fields as indexed_text makes them; the original kept beside)."""
    terms = article_terms(article)
    doc: dict[str, Any] = {
        "id": article.id,
        "title": indexed_text(article.title),
        "body": indexed_text(article.body),
        **weight_fields(terms, average or {name: float(len(words) or 1) for name, words in terms.items()}),
        **{LENGTH_FIELDS[name]: len(words) for name, words in terms.items()},
        "cities": list(article.cities),
        "seq": seq,
        "path": article.path,
        "content_hash": article.content_hash,
    }
    # Filed under one "Unknown source" value, as on Whoosh, so the source facet adds up to the total.
    doc["source"] = article.source or UNKNOWN_SOURCE
    if article.author:
        doc["author"] = article.author
    doc.update(date_sort_keys(article.date))
    if article.date:
        doc.update(date=(article.date - EPOCH).days, year=article.date.year)
    weights = article.city_weights()
    doc.update({centrality_field(name): weights.get(name, 0) for name in city_names()})
    for name, text in (("title", article.title), ("body", article.body)):
        if doc[name] != text:  # not in the schema: stored on disk as written, never indexed
            doc[name + AS_WRITTEN] = text
    return doc


def from_document(doc: dict[str, Any]) -> Article:
    """The Article record of a stored document."""
    days = doc.get("date")
    return Article(
        id=doc["id"],
        path=doc.get("path", ""),
        title=doc.get("title" + AS_WRITTEN) or doc.get("title", ""),
        body=doc.get("body" + AS_WRITTEN) or doc.get("body", ""),
        date=EPOCH + dt.timedelta(days=int(days)) if days is not None else None,
        source=known_source(doc.get("source")),
        author=doc.get("author"),
        cities=tuple(doc.get("cities") or ()),
        content_hash=doc.get("content_hash", ""),
        centrality=tuple(int(doc.get(centrality_field(c)) or 1) for c in doc.get("cities") or ()),
    )


def synonym_sets() -> dict[str, list[str]]:
    """Multi-way synonyms per city: its name, its Chinese name and its spellings."""
    out: dict[str, list[str]] = {}
    for city in cities():
        words = {fold(city.name), city.zh, *(fold(v) for v in city.variants if " " not in v)}
        out["city-" + fold(city.name).replace(" ", "-")] = sorted(w for w in words if w)
    return out
