"""The Typesense backend: the same SearchRequest in and the same SearchResponse out as the Whoosh core.

The cluster, its collections and its writes are client.py's; this module searches and shapes.
One search is one multi_search request (the page, then one facet-only search per facet with the
filters of the other facets), so facet counts ignore their own filter. A second request is made
only when nothing has every word (relaxed: Typesense drops words, `drop_tokens_threshold`) or
when Typesense corrected a misspelled word (the suggestion's count).

Differences from the Whoosh backend (asserted in tests/backends/test_behaviour.py):
- No English stemming in Typesense 0.24: "industries" does not find "industry" (typo tolerance
  and, for a trailing `word*`, prefix search partly make up for it).
- `OR` between words is not a Typesense operator: the words are searched together, and when no
  article has them all, words are dropped (relaxed), which usually gives the OR's articles.
- A misspelled word is corrected by Typesense's typo tolerance at once: the results are those of
  the corrected query, and the suggestion names the correction with its exact count.
- Only one `prefix*` word per query (Typesense expands the last word only).
- Relevance scores are Typesense's text_match values, not BM25F.

"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from typesense import exceptions as ts_errors

from search_app.backends.typesense import anyof, completions, sync
from search_app.backends.typesense.client import TypesenseClient, TypesenseUnavailable, document_key
from search_app.backends.typesense.plan import RELAX_THRESHOLD, TITLE_WEIGHT, TOKEN, Plan, Selection, quote
from search_app.backends.typesense.rerank import count_searches, known_terms, reranked, window
from search_app.backends.typesense.results import (
    facet_answers,
    facet_searches,
    find_words,
    matched_tokens,
    page_search,
    shaped_results,
    stemmed_terms,
    unselected_facets,
)
from search_app.backends.typesense.schema import AS_WRITTEN, from_document
from search_app.backends.typesense.writelock import writer_lock
from search_app.errors import NotFound
from search_app.ingest.gazetteer import canonical_city
from search_app.models import BuildReport, SearchRequest
from search_app.query.contract import (
    RELATED,
    SUGGEST_BELOW,
    UNDATED_KEY,
    ArticleView,
    Related,
    SearchResponse,
    Suggestion,
    article_view,
    related,
    response,
    suggestion,
    validate,
)
from search_app.query.engine import Progress
from search_app.query.parser import ParsedQuery, corrected_text, parse
from search_app.query.plan import searched_cities
from search_app.query.snippets import find_matches, mark
from search_app.query.suggest import distance

_STOP = frozenset(
    "the and for with that this from have has are was were will would been into over also its their they "
    "said says which more than about such other these those when where while what there after before "
    "between under under through during".split()
)


class TypesenseBackend(TypesenseClient):
    """Index, search and fetch articles on a Typesense cluster (the SearchBackend interface)."""

    name = "typesense"

    def build(self, seeds: Path, *, procs: int = 1, progress: Progress | None = None) -> BuildReport:
        """Full rebuild from the seeds folder into a new collection, then the alias switch (procs: unused, the server indexes).

        Refused at once (BuildLocked) while another build or update writes to the cluster."""
        with writer_lock(self, "build"):
            report = sync.build(self, seeds, self.max_bytes, progress)
            self.ensure_search_key()  # the server's key, now that there is a collection to serve
            return report

    def update(self, seeds: Path, *, progress: Progress | None = None, allow_mass_removal: bool = False) -> BuildReport:
        """Upsert new and changed articles of the seeds folder and delete those of deleted files (one writer at a time)."""
        with writer_lock(self, "update") as lock:
            def alive(done: int, total: int) -> None:
                lock.renew()  # the diff reads every file: a long walk must not look like a dead writer
                if progress:
                    progress(done, total)

            return sync.update(self, seeds, self.max_bytes, alive, allow_mass_removal)

    # ------------------------------------------------------------ searching

    def _known_sources(self, collection: str) -> list[str]:
        with self._lock:
            cached = self._sources
        if cached and cached[0] == collection and time.monotonic() - cached[1] < 30:
            return cached[2]
        res = self._multi([{"q": "*", "facet_by": "source", "max_facet_values": 1000, "per_page": 0}], collection)[0]
        values = sorted(c["value"] for f in res.get("facet_counts", []) for c in f["counts"])
        with self._lock:
            self._sources = (collection, time.monotonic(), values)
        return values

    def is_stale(self, seeds: Path) -> bool:
        """Always: the cluster keeps no record of the files a collection was built from."""
        return True

    def search(self, req: SearchRequest) -> SearchResponse:
        """Answer one search request with the contract's SearchResponse."""
        started = time.perf_counter()
        req, request_notices = validate(req)
        parsed = parse(req.q)
        collection = self.collection_name()
        sources = self._known_sources(collection)
        parts = anyof.branches(parsed.tree)
        if parts is None:
            found = self._search_all(req, parsed, Plan(parsed, sources))
        else:
            found = anyof.search_any(self, req, parsed, parts, sources)
        notices = request_notices + parsed.notices + found.pop("notices")
        return response(req, query=parsed.text, **found, notices=notices, generation=collection, started=started)

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[TypesenseBackend]:
        """This backend held on the collection the alias points at now: a rebuild's switch is not seen (the
        old collection is dropped after it, which ends the snapshot's searches); an update writes into the
        collection in place, so its changes are."""
        view = copy.copy(self)
        view.pinned = self.collection_name()
        yield view

    def _search_all(self, req: SearchRequest, parsed: ParsedQuery, plan: Plan) -> dict[str, Any]:
        """A query without OR between words: one multi-search (the page, the facets, the counts that rank)."""
        # A search for a city alone (`太原`, `city:Taiyuan`) goes by how central the city is, as on Whoosh.
        by_city = searched_cities(parsed) if req.sort == "relevance" and not plan.impossible else None
        sort = "newest" if plan.q == "*" and req.sort == "relevance" and not by_city else req.sort
        selection = Selection(req)
        # Relevance order of a stemmed search: the first `span` candidates, put in BM25F order here (rerank.py).
        span = window(req.page, req.per_page) if plan.stemmed and sort == "relevance" and not by_city else None
        page = {"page": 1, "per_page": span} if span else {"page": req.page, "per_page": req.per_page}

        def searches(relax: bool) -> list[dict[str, Any]]:
            main = {**page_search(plan, selection, sort, by_city, relax), **page,
                    "search_cutoff_ms": int(self.time_limit * 1000), **(unselected_facets(selection) if req.facets else {})}
            facets = facet_searches(plan, selection, relax) if req.facets else []
            return [main, *facets, *(count_searches(plan.scoring) if plan.stemmed else [])]

        faceted = 1 + (len(selection.filtered_facets) if req.facets else 0)  # the page, then the facets' own searches
        if plan.impossible:
            results: list[dict[str, Any]] = [{"found": 0, "hits": [], "facet_counts": []}] * faceted
        else:
            results = self._multi(searches(False))
        relaxed = False
        if results[0]["found"] == 0 and plan.relaxable and not plan.impossible:
            loose = self._multi(searches(True))
            if loose[0]["found"]:
                results, relaxed = loose, True
        main = results[0]
        hits = main.get("hits", [])
        known = known_terms(plan.scoring, results[faceted:]) if plan.stemmed else frozenset()
        if span:
            start = (req.page - 1) * req.per_page
            hits = reranked(hits, plan.scoring, plan.prefix, results[faceted:], tuple(plan.named_cities))
            hits = hits[start:start + req.per_page]
        suggested = None
        if req.suggest and parsed.words() and not plan.impossible:
            suggested = self._suggest(parsed, plan, hits, selection.filter_by(plan), known)
        return {"total": int(main["found"]), "sort": sort, "by_city": bool(by_city),
                "results": shaped_results(hits, plan, req.highlight, by_city, known),
                "facets": facet_answers(selection, main, results[1:faceted]) if req.facets else {},
                "suggested": suggested, "relaxed": relaxed, "timed_out": bool(main.get("search_cutoff")),
                "notices": plan.notices}

    def _suggest(self, parsed: ParsedQuery, plan: Plan, hits: list[dict[str, Any]], filters: str,
                 known: frozenset[str] = frozenset()) -> Suggestion | None:
        """When Typesense corrected a word (typo tolerance), the corrected query and its exact count."""
        if plan.stemmed:  # the words as the articles write them, where their terms matched
            seen = Counter(doc[m.start:m.end].lower() for hit in hits for doc in (hit["document"].get("title", ""),
                           hit["document"].get("body", "")) for m in find_matches(doc, stemmed_terms(hit, plan, known)))
        else:
            seen = Counter(t.lower() for hit in hits for t in matched_tokens(hit))

        def correct(word: str) -> str | None:
            low = word.lower()
            if low in seen or canonical_city(word, divisions=False) or not low.isalpha():
                return None
            near = [(distance(low, t), -n, t) for t, n in seen.items() if t.isalpha() and 0 < distance(low, t) <= 2]
            return min(near)[2] if near else None

        text = corrected_text(parsed, correct)
        if text is None:
            return None
        strict_orig = {**plan.params(False), "num_typos": 0, "filter_by": filters, "per_page": 0}
        fixed_plan = Plan(parse(text), plan.sources)
        strict_fixed = {**fixed_plan.params(False), "num_typos": 0, "filter_by": filters, "per_page": 0}
        before, after = self._multi([strict_orig, strict_fixed])
        if before["found"] >= SUGGEST_BELOW or after["found"] <= before["found"]:
            return None
        return suggestion(parse(text).text, int(after["found"]))

    # ------------------------------------------------------------ articles, related, stats

    def _document(self, article_id: str) -> dict[str, Any]:
        try:
            document = self._collection(self.pinned or self.alias).documents[document_key(article_id)]
            return self._guard(document.retrieve)  # type: ignore[no-any-return]
        except ts_errors.ObjectNotFound:
            raise NotFound(f"No article with id {article_id!r}. Search for it from the home page.") from None

    def get_article(self, article_id: str, q: str = "") -> ArticleView:
        """One article with highlighted paragraphs and related articles (contract.ArticleView)."""
        doc = self._document(article_id)
        article = from_document(doc)
        words: frozenset[str] = frozenset()
        if q.strip():
            plan = Plan(parse(q), [])
            words = plan.highlight_words()
            if plan.stemmed:
                terms = stemmed_terms({"document": doc}, plan)
                return article_view(article, title_html=mark(article.title, find_matches(article.title, terms)),
                                    paragraphs_html=[mark(p, find_matches(p, terms)) for p in article.body.split("\n\n")],
                                    related=self.related(article_id, doc=doc), generation=self.collection_name())
            if plan.q != "*":
                res = self._multi([{**plan.params(True), "filter_by": f"id:={quote(article_id)}", "per_page": 1,
                                    "highlight_fields": "title,body"}])[0]
                words |= frozenset(t.lower() for hit in res.get("hits", []) for t in matched_tokens(hit))
        return article_view(article, title_html=mark(article.title, find_words(article.title, words)),
                            paragraphs_html=[mark(p, find_words(p, words)) for p in article.body.split("\n\n")],
                            related=self.related(article_id, doc=doc), generation=self.collection_name())

    def related(self, article_id: str, top: int = RELATED, doc: dict[str, Any] | None = None) -> list[Related]:
        """Articles sharing this one's key terms (title words count triple), itself excluded."""
        doc = doc or self._document(article_id)
        counts: Counter[str] = Counter()
        for text, weight in ((doc.get("title", ""), 3), (doc.get("body", ""), 1)):
            for token in TOKEN.findall(text.lower()):
                if len(token) > 3 and token.isalpha() and token not in _STOP:
                    counts[token] += weight
        terms = [t for t, _ in counts.most_common(12)]
        if not terms:
            return []
        res = self._multi([{"q": " ".join(terms), "query_by": "title,body", "query_by_weights": f"{TITLE_WEIGHT},1",
                            "drop_tokens_threshold": RELAX_THRESHOLD, "num_typos": 0, "prefix": "false",
                            "per_page": top + 1, "exclude_fields": f"body,body{AS_WRITTEN}"}])[0]
        others = (from_document(hit["document"]) for hit in res.get("hits", []))
        return [related(other) for other in others if other.id != article_id][:top]

    def stats(self) -> dict[str, Any]:
        """Articles, per city and source, date range, the collection behind the alias (the Whoosh stats' keys)."""
        name = self.collection_name()
        info = self._guard(self._collection(name).retrieve)
        res = self._multi([{"q": "*", "facet_by": "cities,source", "max_facet_values": 1000, "per_page": 0},
                           {"q": "*", "filter_by": f"sort_oldest:>{UNDATED_KEY}", "per_page": 0},
                           {"q": "*", "filter_by": "date:>0", "sort_by": "date:asc", "per_page": 1, "include_fields": "date"},
                           {"q": "*", "filter_by": "date:>0", "sort_by": "date:desc", "per_page": 1, "include_fields": "date"}],
                          name)
        facets = {f["field_name"]: {c["value"]: c["count"] for c in f["counts"]} for f in res[0].get("facet_counts", [])}
        dates = [from_document({"id": "", **h["document"]}).date for r in res[2:] for h in r.get("hits", [])]
        return {
            "backend": self.name,
            "generation": name,
            "articles": int(info.get("num_documents", 0)),
            "cities": dict(sorted(facets.get("cities", {}).items())),
            "sources": dict(sorted(facets.get("source", {}).items())),
            "date_min": dates[0].isoformat() if dates and dates[0] else None,
            "date_max": dates[-1].isoformat() if dates and dates[-1] else None,
            "undated": int(res[1].get("found", 0)),
            "built_at": _created_at(info.get("created_at")),
            "action": "build",  # updates change the collection in place; it was made by a build
            "nodes": [f"{n['protocol']}://{n['host']}:{n['port']}" for n in self.nodes],
        }

    def complete_words(self, field: str, prefix: str, limit: int = 8) -> list[str]:
        """Words of one field (title, body or author) starting with prefix, most frequent among the matching articles first."""
        return completions.complete_words(self, field, prefix, limit)

    def complete(self, prefix: str, limit: int = 8) -> list[str]:
        """Words starting with prefix, most frequent among the articles that have one first, as they write them."""
        return completions.complete(self, prefix, limit)

    def health(self) -> dict[str, Any]:
        """ok when a majority of nodes answer /health ok and the alias resolves; how many nodes are healthy (not
        their addresses: the answer is public); a message why not, and an operator's detail with the addresses."""
        answers = [self._node_get(node, "/health") for node in self.nodes]
        healthy = sum(bool(data and data.get("ok") is True) for data in answers)
        out: dict[str, Any] = {"status": "ok", "backend": self.name, "ok": healthy * 2 > len(answers),
                               "nodes": {"healthy": healthy, "total": len(answers)}}
        if out["ok"]:
            try:
                name = self.collection_name()
                info = self._guard(self._collection(name).retrieve)
                out.update(collection=name, generation=name, articles=int(info.get("num_documents", 0)),
                           built_at=_created_at(info.get("created_at")))
            except TypesenseUnavailable as exc:
                out.update(ok=False, message=exc.message, detail=exc.detail)
        else:
            out["message"] = f"The search cluster is unavailable: only {healthy} of {len(answers)} nodes are healthy."
            out["detail"] = f"The Typesense cluster at {self._where()} is unavailable: only {healthy} of " \
                            f"{len(answers)} nodes are healthy."
        if not out["ok"]:
            out["status"] = "unavailable"
        return out


def _created_at(stamp: Any) -> str | None:
    """A collection's created_at (Unix seconds) as an ISO time, like the Whoosh meta's built_at."""
    if not isinstance(stamp, (int, float)) or stamp <= 0:
        return None
    return dt.datetime.fromtimestamp(stamp, dt.UTC).isoformat(timespec="seconds")


