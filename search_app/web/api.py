"""JSON routes: search, articles, completions, health and the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from search_app import export
from search_app.query.contract import validate
from search_app.query.suggest import completions
from search_app.web.downloads import export_response
from search_app.web.errors import error_response
from search_app.web.openapi import openapi_document
from search_app.web.origin import public_root
from search_app.web.page import article_url, build_page
from search_app.web.params import parse_search_args
from search_app.web.telemetry import note_search
from search_app.web.views import backend

bp = Blueprint("api", __name__)


@bp.get("/api/search")
def api_search() -> Response:
    """The search page's data as JSON."""
    req = parse_search_args(request.args)
    page = build_page(backend(), req)
    note_search(page["query"], page["total"])
    return jsonify(page)


@bp.get("/api/export")
def api_export() -> Response:
    """Every article the search finds (up to export.LIMIT) as CSV or JSON Lines, streamed as a download."""
    fmt = export.check_format(request.args.get("format") or "csv")
    req, _notices = validate(parse_search_args(request.args))
    root = public_root()
    return export_response(backend(), req, fmt, lambda article_id: root + article_url(article_id, req),
                           current_app.config["SETTINGS"].send_timeout)


@bp.get("/api/articles/<path:article_id>")
def api_article(article_id: str) -> Response:
    """One article's fields, highlighted paragraphs and related articles."""
    article = backend().get_article(article_id, request.args.get("q", ""))
    for other in article["related"]:
        other["url"] = article_url(other["id"])
    return jsonify(article)


@bp.get("/api/suggest")
def api_suggest() -> Response:
    """Completions for the search box (suggest.completions), each title with its article's URL."""
    data = completions(backend(), request.args.get("q") or "")
    for title in data["titles"]:
        title["url"] = article_url(title["id"])
    return jsonify(data)


@bp.get("/healthz")
def healthz() -> Response:
    """ok, the backend, the number of articles and the live generation (503 when there is no index or no cluster)."""
    health = backend().health()
    if health.get("status") != "ok":
        if health.get("detail"):
            current_app.logger.warning("/healthz: %s", health["detail"])  # the addresses, for the operator only
        return error_response(503, str(health.get("message") or "The search backend is unavailable."))
    data = {key: health.get(key) for key in ("status", "backend", "articles", "generation", "built_at")}
    if "nodes" in health:
        data["nodes"] = health["nodes"]
    return jsonify(data)


@bp.get("/api/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document of this API."""
    return jsonify(openapi_document())


