"""JSON routes: search, articles, completions, health and the OpenAPI document."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, jsonify, request

from ..models import SearchRequest
from .openapi import openapi_document
from .app import error_response
from .page import article_url, build_page
from .params import parse_search_args
from .views import backend

bp = Blueprint("api", __name__)
MAX_COMPLETIONS = 8
MAX_TITLES = 5
_LAST_WORD = re.compile(r"(\w+)$")


@bp.get("/api/search")
def api_search() -> Response:
    """The search page's data as JSON."""
    req = parse_search_args(request.args)
    return jsonify(build_page(backend(), req))


@bp.get("/api/articles/<path:article_id>")
def api_article(article_id: str) -> Response:
    """One article's fields, highlighted paragraphs and related articles."""
    article = backend().get_article(article_id, request.args.get("q", ""))
    for other in article["related"]:
        other["url"] = article_url(other["id"])
    return jsonify(article)


def _word_completions(head: str, prefix: str) -> list[str]:
    words = backend().complete(prefix, MAX_COMPLETIONS)
    return [head + word for word in words]


def _title_completions(prefix: str) -> list[dict[str, str]]:
    # The core's own prefix syntax on the title field, so titles follow the index's analysis.
    req = SearchRequest(q=f"title:{prefix}*", per_page=MAX_TITLES, facets=False, suggest=False)
    hits = backend().search(req)["results"]
    return [{"id": h["id"], "title": h["title"], "url": article_url(h["id"])} for h in hits]


@bp.get("/api/suggest")
def api_suggest() -> Response:
    """Completions for the search box: index words and titles starting with the last typed word."""
    q = (request.args.get("q") or "")[:200]
    match = _LAST_WORD.search(q)
    data: dict[str, Any] = {"query": q, "words": [], "titles": []}
    if match:
        prefix = match.group(1)
        data["words"] = _word_completions(q[: match.start()], prefix)
        data["titles"] = _title_completions(prefix)
    return jsonify(data)


@bp.get("/healthz")
def healthz() -> Response:
    """ok, the backend, the number of articles and the live generation (503 when there is no index or no cluster)."""
    health = backend().health()
    if health.get("status") != "ok":
        return error_response(503, str(health.get("message") or "The search backend is unavailable."))
    data = {key: health.get(key) for key in ("status", "backend", "articles", "generation", "built_at")}
    if "nodes" in health:
        data["nodes"] = health["nodes"]
    return jsonify(data)


@bp.get("/api/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document of this API."""
    return jsonify(openapi_document())


