"""The OpenAPI 3.1 document of the JSON API, written to match what api.py returns."""

from __future__ import annotations

from typing import Any

from search_app.models import DEFAULT_PER_PAGE, MAX_PER_PAGE, ORDERS, SORTS
from search_app.query.contract import (
    MAX_PAGE,
    ArticleView,
    FacetValue,
    Related,
    Result,
    SearchResponse,
    Suggestion,
)

# What web/page.py adds to the engine's SearchResponse for a page (links, panels, the echoed request).
PAGE_KEYS = ("without_filters", "pagination", "timeline", "params", "filtered", "active_filters", "clear_filters_url",
             "feed_url", "api_url")

NULLABLE_STRING = {"type": ["string", "null"]}
DATE_OR_NULL = {"type": ["string", "null"], "format": "date"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required}


def _shaped(shape: Any, properties: dict[str, Any], page_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """The schema of one of the contract's TypedDicts (plus page_keys the web layer adds); every key required.

    Written by hand for the descriptions, checked against the TypedDict so the two cannot drift.
    """
    keys = set(shape.__required_keys__ | shape.__optional_keys__) | set(page_keys)
    if set(properties) != keys:
        raise RuntimeError(f"OpenAPI schema for {shape.__name__} drifted from search_app.query.contract: "
                           f"missing {sorted(keys - set(properties))}, extra {sorted(set(properties) - keys)}")
    return _obj(properties)


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def _schemas() -> dict[str, Any]:
    string_list = _array({"type": "string"})
    return {
        "Error": _obj({"error": _obj({"status": {"type": "integer"}, "message": {"type": "string"}})}),
        "FacetValue": _shaped(FacetValue, {
            "value": {"type": "string"},
            "label": {"type": "string", "description": "Display label; cities carry the Chinese name."},
            "count": {"type": "integer", "minimum": 0}, "selected": {"type": "boolean"},
            "toggle_url": {"type": "string", "description": "Search page URL with this value ticked or unticked."},
        }),
        "Result": _shaped(Result, {
            "id": {"type": "string"}, "title": {"type": "string"},
            "title_html": {"type": "string", "description": "Escaped title; matches wrapped in <mark>."},
            "date": DATE_OR_NULL, "source": NULLABLE_STRING, "author": NULLABLE_STRING,
            "cities": string_list, "score": {"type": ["number", "null"]},
            "snippet": {"type": "string", "description": "Escaped text; matches wrapped in <mark>."},
            "url": {"type": "string", "description": "The article page, highlighting the query and carrying the "
                                                      "whole search for its way back to these results."},
        }),
        "ActiveFilter": _obj({
            "facet": {"enum": ["city", "source", "year", "date"]}, "value": {"type": "string"},
            "label": {"type": "string"},
            "remove_url": {"type": "string", "description": "Search page URL without this filter."},
        }),
        "Suggestion": _shaped(Suggestion, {"query": {"type": "string"}, "total": {"type": "integer"},
                                           "url": {"type": "string"}}),
        "PageLink": _obj({"number": {"type": "integer"}, "url": {"type": "string"}, "current": {"type": "boolean"}}),
        "Bar": _obj({
            "key": {"type": "string"}, "label": {"type": "string"}, "count": {"type": "integer"},
            "url": {"type": "string"}, "title": {"type": "string"},
            **{k: {"type": "number"} for k in ("x", "y", "width", "height", "label_x", "label_y", "count_y")},
        }),
        "Timeline": _obj({
            "unit": {"enum": ["year", "month"]}, "width": {"type": "integer"}, "height": {"type": "integer"},
            "bars": _array(_ref("Bar")), "dated": {"type": "integer"}, "undated": {"type": "integer"},
            "caption": {"type": "string"},
        }),
        "Params": _obj({
            "q": {"type": "string"}, "city": string_list, "source": string_list, "year": string_list,
            "from": DATE_OR_NULL, "to": DATE_OR_NULL, "sort": {"enum": list(SORTS)},
            "page": {"type": "integer"}, "per_page": {"type": "integer"},
        }),
        "SearchPage": _shaped(SearchResponse, {
            "query": {"type": "string"},
            "total": {"type": "integer", "minimum": 0, "description": (
                "Every article listed: for keywords of two or more words, those with every word, then those with some "
                "(the facets count those with every word, or all when none has every word).")},
            "some_words_from": {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "null"}], "description": (
                "The rank (0-based, over all pages) of the first article with only some of the words (the articles "
                "with every word come first); null when every article listed has every word, or for a description, "
                "whose topic words are ranked rather than required.")},
            "page": {"type": "integer", "minimum": 1}, "per_page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 1},
            "sort": {"enum": list(SORTS), "description": "The sort used (newest for an empty query)."},
            "order": {"enum": list(ORDERS), "description": ("The order of the results: the sort, or city when a search for "
                                                             "a city alone (太原, city:Taiyuan) is ordered by how central the "
                                                             "city is to each article (named in the headline, then how often "
                                                             "the text names it; the score), then newest.")},
            "results": _array(_ref("Result")),
            "facets": _obj({k: _array(_ref("FacetValue")) for k in ("city", "source", "year")}),
            "suggestion": {"oneOf": [_ref("Suggestion"), {"type": "null"}]},
            "relaxed": {"type": "boolean"}, "timed_out": {"type": "boolean"},
            "notices": string_list, "generation": {"type": "string"}, "took_ms": {"type": "number"},
            "without_filters": {"oneOf": [_obj({"total": {"type": "integer"}, "url": {"type": "string"}}), {"type": "null"}],
                                "description": "When nothing matches with filters: the count without them."},
            "pagination": _obj({"prev": NULLABLE_STRING, "next": NULLABLE_STRING, "pages": _array(_ref("PageLink"))}),
            "timeline": {"oneOf": [_ref("Timeline"), {"type": "null"}]},
            "params": _ref("Params"), "filtered": {"type": "boolean"},
            "active_filters": _array(_ref("ActiveFilter")),
            "clear_filters_url": {"type": "string", "description": "Search page URL with the query and no filters."},
            "feed_url": {"type": "string"}, "api_url": {"type": "string"},
        }, PAGE_KEYS),
        "Related": _shaped(Related, {"id": {"type": "string"}, "title": {"type": "string"}, "date": DATE_OR_NULL,
                         "source": NULLABLE_STRING, "cities": string_list, "url": {"type": "string"}}),
        "Article": _shaped(ArticleView, {
            "id": {"type": "string"},
            "path": {"type": "string", "description": "The original file, relative to the seeds folder."},
            "title": {"type": "string"}, "body": {"type": "string"}, "date": DATE_OR_NULL,
            "source": NULLABLE_STRING, "author": NULLABLE_STRING, "cities": string_list,
            "dated_by": {"type": ["string", "null"], "description": "The rule that dated the article (the date's source)."},
            "title_html": {"type": "string"}, "paragraphs_html": string_list, "city_labels": string_list,
            "related": _array(_ref("Related")), "generation": {"type": "string"},
        }),
        "Suggest": _obj({"query": {"type": "string"}, "words": string_list,
                         "titles": _array(_obj({"id": {"type": "string"}, "title": {"type": "string"},
                                                "url": {"type": "string"}}))}),
        "Health": _obj({"status": {"const": "ok"}, "backend": {"enum": ["whoosh", "typesense"]},
                        "articles": {"type": "integer"}, "generation": {"type": "string"}, "built_at": NULLABLE_STRING,
                        "nodes": _obj({"healthy": {"type": "integer"}, "total": {"type": "integer"}})},
                       required=["status", "backend", "articles", "generation", "built_at"]),
    }


def _param(name: str, schema: dict[str, Any], description: str, repeated: bool = False) -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": "query", "required": False, "description": description}
    if repeated:
        param.update(schema=_array(schema), style="form", explode=True)
    else:
        param["schema"] = schema
    return param


SEARCH_PARAMS = [
    _param("q", {"type": "string"},
           "Query text: words, \"phrases\", OR, NOT or -word, field:value, prefix*. Empty lists the newest articles."),
    _param("city", {"type": "string"}, "Only articles about these cities (pinyin or Chinese; OR within the facet).", True),
    _param("source", {"type": "string"}, "Only articles from these sources (OR within the facet).", True),
    _param("year", {"type": "string", "pattern": "^[0-9]{4}$"}, "Only articles from these years.", True),
    _param("from", {"type": "string", "format": "date"}, "Earliest date, YYYY-MM-DD (undated articles are left out)."),
    _param("to", {"type": "string", "format": "date"}, "Latest date, YYYY-MM-DD."),
    _param("sort", {"enum": list(SORTS), "default": "relevance"}, "Order of the results."),
    _param("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}, "Page number."),
    _param("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
           "Results per page."),
]


def _json(schema_name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema_name)}}}


ERROR_400 = _json("Error", "A parameter is malformed or out of range.")
ERROR_404 = _json("Error", "No article with this id.")
ERROR_503 = _json("Error", "The index is missing or cannot be read.")


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "search_app: Shanxi news search", "version": "0.1.0",
                 "description": "Read-only full-text search over English news articles about the cities of Shanxi. "
                                "Every endpoint answers GET (and HEAD) only; errors are {\"error\": {\"status\", \"message\"}}."},
        "paths": {
            "/api/search": {"get": {
                "operationId": "search", "summary": "Search articles (the search page's data)",
                "parameters": SEARCH_PARAMS,
                "responses": {"200": _json("SearchPage", "One page of results with facets, suggestion and links."),
                              "400": ERROR_400, "503": ERROR_503},
            }},
            "/api/export": {"get": {
                "operationId": "export",
                "summary": "Every article a search finds, as CSV or JSON Lines (a download, streamed)",
                "parameters": [p for p in SEARCH_PARAMS if p["name"] not in ("page", "per_page")] + [
                    _param("format", {"type": "string", "enum": ["csv", "jsonl"], "default": "csv"},
                           "csv: UTF-8 with a byte-order mark, a header row, cities joined by '; ', a cell that "
                           "would start a spreadsheet formula (=, +, -, @) prefixed with an apostrophe; "
                           "jsonl: one JSON object per line."),
                ],
                "responses": {"200": {"description": ("Up to 10,000 articles in the search's order, each with id, title, date, "
                                                      "source, author, cities, url, score and the snippet as plain text, all "
                                                      "read from the index as it was when the download began. A client "
                                                      "that takes no block of rows within the send timeout (30 s) is cut "
                                                      "off; a search too slow to export in full ends the download early "
                                                      "(no closing chunk): narrow it."),
                                      "content": {"text/csv": {"schema": {"type": "string"}},
                                                  "application/x-ndjson": {"schema": {"type": "string"}}}},
                              "400": ERROR_400,
                              "503": {**ERROR_503, "description": (
                                  "The index is missing or cannot be read, or this worker is already preparing its most "
                                  "downloads at once (2 by default): try again after Retry-After seconds."),
                                  "headers": {"Retry-After": {"schema": {"type": "integer"},
                                                              "description": "Seconds to wait (when busy)."}}}},
            }},
            "/api/articles/{id}": {"get": {
                "operationId": "getArticle", "summary": "One article, with related articles",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
                     "description": "The article id; it may contain '/', which is sent as is."},
                    _param("q", {"type": "string"}, "Words to highlight in title_html and paragraphs_html."),
                ],
                "responses": {"200": _json("Article", "The article."), "404": ERROR_404, "503": ERROR_503},
            }},
            "/api/suggest": {"get": {
                "operationId": "suggest", "summary": "Completions for the search box",
                "parameters": [_param("q", {"type": "string"}, "What has been typed so far; its last word is completed.")],
                "responses": {"200": _json("Suggest", (
                    "Index words starting with the last typed word (very common words left out; a city first, words as "
                    "the articles write them); after title:, body: or author: that field's own words; after city:, "
                    "source: or year: whole values; nothing after OR, AND or NOT. Titles: articles with a headline word "
                    "starting with the word, then articles the typed text finds.")),
                              "503": ERROR_503},
            }},
            "/healthz": {"get": {
                "operationId": "health", "summary": "Service health",
                "responses": {"200": _json("Health", "The index is readable."), "503": ERROR_503},
            }},
            "/feed.atom": {"get": {
                "operationId": "feed", "summary": "Atom feed of a search, newest first",
                "parameters": SEARCH_PARAMS,
                "responses": {"200": {"description": "An Atom feed.",
                                      "content": {"application/atom+xml": {"schema": {"type": "string"}}}},
                              "400": {"description": "A malformed parameter (an HTML page)."}},
            }},
        },
        "components": {"schemas": _schemas()},
    }
