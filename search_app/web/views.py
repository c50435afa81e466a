"""HTML routes: the search page, article pages and the Atom feed."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request

from search_app.backends import SearchBackend
from search_app.models import DEFAULT_PER_PAGE, SearchRequest
from search_app.printable import visible
from search_app.web.apidocs import build_docs, head
from search_app.web.origin import public_root
from search_app.web.page import article_url, build_page, results_url
from search_app.web.params import parse_search_args, parse_search_state, url
from search_app.web.telemetry import note_search

bp = Blueprint("views", __name__)
FEED_ENTRIES = 20


def backend() -> SearchBackend:
    """The app's search backend (Whoosh follows rebuilds by itself, Typesense through its alias)."""
    return current_app.extensions["search_app"]  # type: ignore[no-any-return]


@bp.get("/")
def search_page() -> str:
    """The search page: results, facets, timeline; an empty query lists the newest articles."""
    req = parse_search_args(request.args)
    page = build_page(backend(), req)
    note_search(page["query"], page["total"])
    return render_template("search.html", page=page)


@bp.get("/api-docs")
def api_docs() -> str:
    """The JSON API as a readable page: endpoints, parameters, and each one's example run live."""
    client = current_app.test_client()

    def fetch(path: str) -> tuple[int, str, str]:
        # Only the lines shown are read, and the response is closed: a download example stops after its first
        # page and gives back its slot, rather than export the whole archive on every view of this page.
        with client.get(path, base_url=request.host_url, buffered=False) as response:  # a host this site answers to
            return response.status_code, response.content_type or "", head(response.response)

    newest = backend().search(SearchRequest(per_page=1, facets=False, suggest=False))["results"]
    docs = build_docs(fetch, newest[0]["id"] if newest else None)
    return render_template("api_docs.html", docs=docs)


@bp.get("/article/<path:article_id>")
def article_page(article_id: str) -> str:
    """One article, with the words of ?q= highlighted and related articles.

    The rest of the query string is the search the article was found by (filters, sort, page):
    the back link returns to exactly that results page. A malformed part of it is dropped.
    """
    search = parse_search_state(request.args)
    article = backend().get_article(article_id, search.q)
    for other in article["related"]:  # a related article keeps the way back to the same results
        other["url"] = article_url(other["id"], search)
    back = results_url(search)
    return render_template("article.html", article=article, q=search.q, back_url=back)


def _xml_text(hit: dict[str, Any]) -> dict[str, Any]:
    """A result whose article text may go in XML: its control characters, which XML forbids, written out."""
    return {**hit, **{key: visible(hit[key]) for key in ("title", "snippet", "author", "source") if hit.get(key)},
            "cities": [visible(city) for city in hit.get("cities", [])]}


def _atom_time(date: str) -> str:
    return f"{date}T00:00:00Z"


@bp.get("/feed.atom")
def feed() -> Response:
    """An Atom feed of the search given by the usual parameters, newest first."""
    req = parse_search_args(request.args)
    # Newest first always; a feed reader wants a short page unless per_page asks otherwise.
    req = replace(req, sort="newest", per_page=req.per_page if request.args.get("per_page") else FEED_ENTRIES)
    page = build_page(backend(), req)
    built = str(backend().health().get("built_at") or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    built = built.replace("+00:00", "Z")
    # An entry opens its article with the search of the feed's HTML page (html_url) behind it.
    html_req = replace(req, sort="newest", per_page=DEFAULT_PER_PAGE, page=1)
    # Undated articles are left out: Atom needs a date, and any stand-in (say, the build time)
    # would show them to feed readers as the newest news, again after every rebuild.
    entries: list[dict[str, Any]] = [
        {**_xml_text(hit), "url": article_url(hit["id"], html_req), "updated": _atom_time(hit["date"])}
        for hit in page["results"] if hit["date"]
    ]
    updated = max((e["updated"] for e in entries), default=built)
    root = public_root()
    body = render_template("feed.xml", page=page, entries=entries, updated=updated, root=root,
                           self_url=root + request.full_path.rstrip("?"),
                           html_url=root + url("/", html_req))
    return Response(body, mimetype="application/atom+xml")
