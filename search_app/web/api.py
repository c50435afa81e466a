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
MIN_FILL_PREFIX = 3  # shorter last words start too many words to search the bodies for
_LAST_WORD = re.compile(r"(\w+)$")
# Words never offered as completions: the analyser's stop words (not indexed, so a query of them
# finds nothing) and other very common function words that say nothing about an article.
NOT_COMPLETED = frozenset("""
    a an and are as at be by can for from have if in is it may not of on or tbd that the this to us we when
    will with yet you your
    about above after again against all almost along already also although am among amongst another any
    anyway because been before being below besides between both but could did do does doing done down
    during each either else etc ever every few further furthermore had has having he hence her here hers
    herself him himself his how however i into its itself just last least less many me meanwhile might
    mine more moreover most mostly much must my myself neither nevertheless no nonetheless nor now off
    often once one only onto other others otherwise our ours ourselves out over own per perhaps rather
    said same she should since so some still such than their theirs them themselves then there thereby
    therefore these they those though through throughout thus too toward towards under until unto upon
    very via was were what whatever whereas whether which while who whom whose why within without would
""".split())


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
    # Ask for enough that dropping every listed word still leaves a full list (the vocabulary sorts
    # all the prefix's words either way, so the larger limit costs nothing).
    words = backend().complete(prefix, MAX_COMPLETIONS + len(NOT_COMPLETED))
    return [head + word for word in words if word not in NOT_COMPLETED][:MAX_COMPLETIONS]


def _hits(q: str) -> list[dict[str, Any]]:
    req = SearchRequest(q=q, per_page=MAX_TITLES, highlight=False, facets=False, suggest=False)
    data = backend().search(req)
    # A relaxed answer matches only some of the words: not what the typed text asks for.
    return [] if data.get("relaxed") else list(data["results"])


def _title_completions(head: str, prefix: str) -> list[dict[str, str]]:
    # The core's own prefix syntax on the title field, so titles follow the index's analysis; the
    # word itself too, as a whole word is indexed by its stem ("industrial*" alone misses "industri").
    hits = _hits(f"title:({prefix}* OR {prefix})")
    if len(hits) < MAX_TITLES and len(prefix) >= MIN_FILL_PREFIX:
        # Room left: the articles the typed text itself finds, its last word as a prefix
        # ("air" lists the airport articles even when no headline has a word starting with it).
        seen = {h["id"] for h in hits}
        hits += [h for h in _hits(f"{head}({prefix}* OR {prefix})") if h["id"] not in seen]
    return [{"id": h["id"], "title": h["title"], "url": article_url(h["id"])} for h in hits[:MAX_TITLES]]


@bp.get("/api/suggest")
def api_suggest() -> Response:
    """Completions for the search box: index words starting with the last typed word (very common
    words left out), and titles: first those with a word starting with it, then (for a last word
    of 3 letters or more) other articles the typed text finds with its last word as a prefix."""
    q = (request.args.get("q") or "")[:200]
    match = _LAST_WORD.search(q)
    data: dict[str, Any] = {"query": q, "words": [], "titles": []}
    if match:
        prefix = match.group(1)
        data["words"] = _word_completions(q[: match.start()], prefix)
        data["titles"] = _title_completions(q[: match.start()], prefix)
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


