"""The Typesense backend: the same SearchRequest in and the same response dict out as the Whoosh core.

Articles live in a collection `articles_<stamp>` behind the alias `articles`. A rebuild fills a
new collection, waits until every node holds all of it (each node's own document count), moves
the alias, waits until every node resolves the alias to the new collection, then drops the old
one. Searches go through the alias, so they never see a half-built collection.

One search is one multi_search request (the page, then one facet-only search per facet with the
filters of the other facets), so facet counts ignore their own filter. A second request is made
only when nothing has every word (relaxed: Typesense drops words, `drop_tokens_threshold`) or
when Typesense corrected a misspelled word (the suggestion's count).

Differences from the Whoosh backend (documented, see tests/typesense/):
- No English stemming in Typesense 0.24: "industries" does not find "industry" (typo tolerance
  and, for a trailing `word*`, prefix search partly make up for it).
- `OR` between words is not a Typesense operator: the words are searched together, and when no
  article has them all, words are dropped (relaxed), which usually gives the OR's articles.
- A misspelled word is corrected by Typesense's typo tolerance at once: the results are those of
  the corrected query, and the suggestion names the correction with its exact count.
- Only one `prefix*` word per query (Typesense expands the last word only).
- Relevance scores are Typesense's text_match values, not BM25F.

Configuration comes in as parameters (nodes, API key); nothing here reads the environment.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

import typesense
from typesense import exceptions as ts_errors

from search_app.backends.typesense import completions, sync
from search_app.backends.typesense.plan import RELAX_THRESHOLD, TITLE_WEIGHT, TOKEN, Plan, date_filters, quote, sort_by
from search_app.backends.typesense.schema import centrality_field, collection_fields, from_document, synonym_sets, to_document
from search_app.errors import BadRequest, BuildFailed, NotFound, SearchAppError
from search_app.ingest.files import DEFAULT_MAX_BYTES
from search_app.ingest.gazetteer import canonical_city, fold
from search_app.ingest.sources import normalise_source
from search_app.models import Article, BuildReport, SearchRequest
from search_app.query.contract import (
    RELATED,
    SUGGEST_BELOW,
    UNDATED_KEY,
    ArticleView,
    FacetValue,
    Related,
    Result,
    SearchResponse,
    Suggestion,
    article_view,
    facet,
    related,
    response,
    result,
    suggestion,
    validate,
)
from search_app.query.engine import Progress
from search_app.query.parser import ParsedQuery, corrected_text, parse
from search_app.query.plan import searched_cities
from search_app.query.snippets import Match, mark, snippet_of_matches
from search_app.query.suggest import distance

ALIAS = "articles"
_STOP = frozenset(
    "the and for with that this from have has are was were will would been into over also its their they "
    "said says which more than about such other these those when where while what there after before "
    "between under under through during".split()
)


IMPORT_ATTEMPTS = 8
IMPORT_WAIT_S = 30.0


class TypesenseUnavailable(SearchAppError):
    """The Typesense cluster cannot be reached, or has no leader / no index."""

    status = 503


def parse_node(node: str | dict[str, Any]) -> dict[str, Any]:
    """'http://127.0.0.1:8108', '127.0.0.1:8108' or a client node dict -> a client node dict."""
    if isinstance(node, dict):
        return {"host": node["host"], "port": int(node["port"]), "protocol": node.get("protocol", "http")}
    m = re.fullmatch(r"(?:(https?)://)?([^:/]+):(\d+)/?", node.strip())
    if not m:
        raise BadRequest(f"Cannot read the Typesense node {node!r}: write it as http://HOST:PORT.")
    return {"host": m.group(2), "port": int(m.group(3)), "protocol": m.group(1) or "http"}


class TypesenseBackend:
    """Index, search and fetch articles on a Typesense cluster (the SearchBackend interface)."""

    name = "typesense"

    def __init__(self, nodes: Sequence[str | dict[str, Any]], api_key: str, alias: str = ALIAS,
                 connection_timeout_seconds: float = 5.0, num_retries: int = 3,
                 retry_interval_seconds: float = 0.3, time_limit: float = 2.0,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if not nodes:
            raise BadRequest("No Typesense nodes configured: give at least one as http://HOST:PORT "
                             "(SEARCH_APP_TYPESENSE_NODES or --typesense-nodes).")
        self.nodes = [parse_node(n) for n in nodes]
        self.api_key = api_key
        self.alias = alias
        self.time_limit = time_limit
        self.max_bytes = max_bytes
        self.num_retries = num_retries
        with warnings.catch_warnings():  # the 2.x client warns about v30-only APIs it sets up but we never use
            warnings.simplefilter("ignore", DeprecationWarning)
            self.client = typesense.Client({
                "nodes": cast(Any, self.nodes),  # the client's TypedDict of a node; ours is a plain dict
                "api_key": api_key,
                "connection_timeout_seconds": connection_timeout_seconds,
                "num_retries": num_retries,
                "retry_interval_seconds": retry_interval_seconds,
                "healthcheck_interval_seconds": 2,
            })
        self._lock = threading.Lock()
        self._sources: tuple[str, float, list[str]] | None = None
        self._collections: dict[str, Any] = {}

    def close(self) -> None:
        """Close the client's pooled connections."""
        self.client.api_call.close()

    def __enter__(self) -> TypesenseBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ plumbing

    def _collection(self, name: str) -> Any:
        """The client's object for one collection, made once (its constructor warns about v30-only APIs)."""
        with self._lock:
            found = self._collections.get(name)
            if found is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    found = self._collections[name] = self.client.collections[name]
            return found

    def _where(self) -> str:
        return ", ".join(f"{n['protocol']}://{n['host']}:{n['port']}" for n in self.nodes)

    def _no_index(self) -> str:
        return f"No index on Typesense at {self._where()}: run `search-app build --backend typesense`."

    def _guard(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one client call; transport failures become TypesenseUnavailable with a clear message."""
        try:
            return call(*args, **kwargs)
        except (ts_errors.ObjectNotFound, ts_errors.ObjectAlreadyExists, ts_errors.RequestMalformed,
                ts_errors.ObjectUnprocessable):
            raise
        except ts_errors.RequestUnauthorized as exc:
            raise TypesenseUnavailable(
                f"Typesense at {self._where()} refused the API key: check SEARCH_APP_TYPESENSE_API_KEY.") from exc
        except Exception as exc:
            raise TypesenseUnavailable(
                f"The Typesense cluster at {self._where()} cannot be reached or has no leader "
                f"({type(exc).__name__}: {exc}) after {self.num_retries} retries: check that it runs."
            ) from exc

    def _node_get(self, node: dict[str, Any], path: str) -> dict[str, Any] | None:
        """GET one node directly (not through the client's rotation); None when it does not answer."""
        request = urllib.request.Request(f"{node['protocol']}://{node['host']}:{node['port']}{path}")
        request.add_header("X-TYPESENSE-API-KEY", self.api_key)
        try:
            with urllib.request.urlopen(request, timeout=2.0) as response:
                return json.loads(response.read().decode("utf-8"))  # type: ignore[no-any-return]
        except urllib.error.HTTPError as exc:
            return {"_status": exc.code}
        except (OSError, ValueError):
            return None

    def collection_name(self) -> str:
        """The collection the alias points at (TypesenseUnavailable when there is none)."""
        try:
            return str(self._guard(self.client.aliases[self.alias].retrieve)["collection_name"])
        except ts_errors.ObjectNotFound:
            raise TypesenseUnavailable(self._no_index()) from None

    # ------------------------------------------------------------ writing

    def create_collection(self, name: str) -> None:
        """A new empty collection with the schema and the city synonyms."""
        self._guard(self.client.collections.create, {"name": name, "fields": collection_fields(),
                                                     "default_sorting_field": "seq"})
        for sid, words in synonym_sets().items():
            self._guard(self._collection(name).synonyms.upsert, sid, {"synonyms": words})

    def index_batch(self, records: Iterable[Article], collection: str | None = None, start_seq: int = 0) -> int:
        """Upsert articles into a collection (default: the live one); returns how many."""
        name = collection or self.collection_name()
        docs = [to_document(a, start_seq + i) for i, a in enumerate(records)]
        if not docs:
            return 0
        for attempt in range(IMPORT_ATTEMPTS):
            try:
                results = self._guard(self._collection(name).documents.import_, docs, {"action": "upsert"})
                break
            except TypesenseUnavailable:
                if attempt == IMPORT_ATTEMPTS - 1:
                    raise
                # A leader whose followers lag refuses writes ("Not Ready or Lagging", an empty import
                # answer) until they catch up: wait for every node's health, then resend (upserts repeat safely).
                self._wait_healthy(IMPORT_WAIT_S)
        failed = [(d["id"], r.get("error")) for d, r in zip(docs, results) if not r.get("success")]
        if failed:
            raise BuildFailed(f"Typesense refused {len(failed)} articles, e.g. {failed[0][0]!r}: {failed[0][1]}")
        return len(docs)

    def _wait_healthy(self, timeout: float) -> None:
        """Poll every node's /health until all answer ok, for at most timeout seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all((self._node_get(node, "/health") or {}).get("ok") for node in self.nodes):
                return
            time.sleep(0.5)

    def delete(self, ids: Iterable[str], collection: str | None = None) -> int:
        """Delete articles by id from the live collection; unknown ids are ignored. Returns how many went."""
        name = collection or self.collection_name()
        gone = 0
        for article_id in ids:
            try:
                self._guard(self._collection(name).documents[article_id].delete)
                gone += 1
            except ts_errors.ObjectNotFound:
                pass
        return gone

    def build(self, seeds: Path, *, procs: int = 1, progress: Progress | None = None) -> BuildReport:
        """Full rebuild from the seeds folder into a new collection, then the alias switch (procs: unused, the server indexes)."""
        return sync.build(self, seeds, self.max_bytes, progress)

    def update(self, seeds: Path, *, progress: Progress | None = None, allow_mass_removal: bool = False) -> BuildReport:
        """Upsert new and changed articles of the seeds folder and delete those of deleted files."""
        return sync.update(self, seeds, self.max_bytes, progress, allow_mass_removal)

    def export(self, collection: str, fields: str) -> str:
        """Every document of a collection as JSON lines, with only the given fields."""
        return str(self._guard(self._collection(collection).documents.export, {"include_fields": fields}))

    def build_records(self, records: Iterable[Article], batch_size: int = 500, timeout: float = 60.0) -> dict[str, Any]:
        """Full rebuild: new collection, all records, wait for every node, switch the alias, drop the old."""
        started = time.perf_counter()
        name = f"{self.alias}_{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S%f}"
        try:
            old = self.collection_name()
        except TypesenseUnavailable:
            old = None
        self.create_collection(name)
        count = 0
        try:
            batch: list[Article] = []
            for article in records:
                batch.append(article)
                if len(batch) >= batch_size:
                    count += self.index_batch(batch, name, start_seq=count)
                    batch = []
            count += self.index_batch(batch, name, start_seq=count)
            self.wait_replicated(name, count, timeout)
        except BaseException:
            self._drop(name)
            raise
        self._guard(self.client.aliases.upsert, self.alias, {"collection_name": name})
        self.wait_alias(name, timeout)
        if old and old != name:
            self._drop(old)
        with self._lock:
            self._sources = None
        return {"collection": name, "previous": old, "indexed": count,
                "elapsed_s": round(time.perf_counter() - started, 3)}

    def _drop(self, name: str) -> None:
        with self._lock:
            self._collections.pop(name, None)
        try:
            self._guard(self._collection(name).delete)
        except ts_errors.ObjectNotFound:
            pass

    def wait_replicated(self, collection: str, count: int, timeout: float = 60.0) -> None:
        """Wait until every reachable node reports `count` documents in the collection."""
        self._wait(lambda data: data.get("num_documents") == count, f"/collections/{collection}", timeout,
                   f"the collection {collection} to reach {count} documents")

    def wait_alias(self, collection: str, timeout: float = 60.0) -> None:
        """Wait until every reachable node resolves the alias to `collection`."""
        self._wait(lambda data: data.get("collection_name") == collection, f"/aliases/{self.alias}", timeout,
                   f"the alias {self.alias} to point at {collection}")

    def _wait(self, ok: Any, path: str, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while True:
            answers = [self._node_get(node, path) for node in self.nodes]
            reachable = [a for a in answers if a is not None]
            if reachable and all(ok(a) for a in reachable):
                return
            if time.monotonic() > deadline:
                raise BuildFailed(f"Typesense nodes did not confirm {what} within {timeout:.0f} s.")
            time.sleep(0.05)

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

    def _multi(self, searches: list[dict[str, Any]], collection: str | None = None) -> list[dict[str, Any]]:
        """One multi_search through the alias (or a collection); retried when the alias just moved."""
        target = collection or self.alias
        for attempt in range(3):
            body = {"searches": [{"collection": target, **s} for s in searches]}
            results = self._guard(self.client.multi_search.perform, body, {})["results"]
            errors = [r for r in results if "error" in r]
            if not errors:
                return results  # type: ignore[no-any-return]
            if any(r.get("code") == 404 for r in errors) and attempt < 2:
                time.sleep(0.05)  # the old collection was dropped between alias lookup and search
                continue
            if any(r.get("code") == 404 for r in errors):
                raise TypesenseUnavailable(self._no_index())
            if any(r.get("code", 500) >= 500 for r in errors):
                raise TypesenseUnavailable(f"Typesense could not answer: {errors[0].get('error')}")
            raise BadRequest(f"Typesense refused the search: {errors[0].get('error')}")
        raise AssertionError("unreachable")

    def is_stale(self, seeds: Path) -> bool:
        """Always: the cluster keeps no record of the files a collection was built from."""
        return True

    def search(self, req: SearchRequest) -> SearchResponse:
        """Answer one search request with the core's response shape."""
        started = time.perf_counter()
        req, request_notices = validate(req)
        parsed = parse(req.q)
        collection = self.collection_name()
        plan = Plan(parsed, self._known_sources(collection))
        # A search for a city alone (`太原`, `city:Taiyuan`) goes by how central the city is, as on Whoosh.
        by_city = searched_cities(parsed) if req.sort == "relevance" and not plan.impossible else None
        sort = "newest" if plan.q == "*" and req.sort == "relevance" and not by_city else req.sort
        city_sel = sorted({canonical_city(v) or v for v in req.cities})
        source_sel = sorted({normalise_source(s) or s for s in req.sources})
        facet_filters = {
            "city": f"cities:=[{','.join(quote(c) for c in city_sel)}]" if city_sel else None,
            "source": f"source:=[{','.join(quote(s) for s in source_sel)}]" if source_sel else None,
            "year": f"year:=[{','.join(str(int(y)) for y in req.years)}]" if req.years else None,
        }
        fixed = list(plan.filters) + date_filters(req)

        def filter_by(skip: str | None = None) -> str:
            parts = fixed + [f for name, f in facet_filters.items() if f and name != skip]
            return " && ".join(f"({p})" for p in parts)

        def searches(relax: bool) -> list[dict[str, Any]]:
            base = plan.params(relax)
            main = {**base, "filter_by": filter_by(), "sort_by": sort_by(sort, by_city), "page": req.page,
                    "per_page": req.per_page, "search_cutoff_ms": int(self.time_limit * 1000),
                    "highlight_fields": "title,body", "highlight_start_tag": "<mark>",
                    "highlight_end_tag": "</mark>"}
            out = [main]
            if req.facets:
                for name, field in (("city", "cities"), ("source", "source"), ("year", "year")):
                    out.append({**base, "filter_by": filter_by(skip=name), "facet_by": field,
                                "max_facet_values": 1000, "per_page": 0})
            return out

        if plan.impossible:
            results: list[dict[str, Any]] = [{"found": 0, "hits": [], "facet_counts": []}] * (4 if req.facets else 1)
        else:
            results = self._multi(searches(False))
        relaxed = False
        if results[0]["found"] == 0 and plan.relaxable and not plan.impossible:
            loose = self._multi(searches(True))
            if loose[0]["found"]:
                results, relaxed = loose, True
        main = results[0]
        total = int(main["found"])
        words = plan.highlight_words()
        hits = main.get("hits", [])
        out_results = [_result(hit, words, plan.q != "*", req.highlight) for hit in hits]
        if by_city:  # the score shown is what ordered them
            for shaped, hit in zip(out_results, hits):
                shaped["score"] = float(sum(int(hit["document"].get(centrality_field(c)) or 0) for c in by_city))
        facets: dict[str, Any] = {}
        if req.facets:
            selected = {"city": city_sel, "source": source_sel, "year": [str(y) for y in req.years]}
            facets = {name: _facet(name, answer, selected[name]) for name, answer in zip(selected, results[1:])}
        suggested = None
        if req.suggest and parsed.words() and not plan.impossible:
            suggested = self._suggest(parsed, plan, hits, filter_by())
        return response(req, query=parsed.text, total=total, sort=sort, by_city=bool(by_city), results=out_results,
                        facets=facets, suggested=suggested, relaxed=relaxed, timed_out=bool(main.get("search_cutoff")),
                        notices=request_notices + parsed.notices + plan.notices, generation=collection, started=started)

    def _suggest(self, parsed: ParsedQuery, plan: Plan, hits: list[dict[str, Any]], filters: str) -> Suggestion | None:
        """When Typesense corrected a word (typo tolerance), the corrected query and its exact count."""
        seen = Counter(t.lower() for hit in hits for t in _matched_tokens(hit))

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
            return self._guard(self._collection(self.alias).documents[article_id].retrieve)  # type: ignore[no-any-return]
        except ts_errors.ObjectNotFound:
            raise NotFound(f"No article with id {article_id!r}. Search for it from the home page.") from None

    def get_article(self, article_id: str, q: str = "") -> ArticleView:
        """One article with highlighted paragraphs and related articles (the core's shape)."""
        doc = self._document(article_id)
        article = from_document(doc)
        words: frozenset[str] = frozenset()
        if q.strip():
            plan = Plan(parse(q), [])
            words = plan.highlight_words()
            if plan.q != "*":
                res = self._multi([{**plan.params(True), "filter_by": f"id:={quote(article_id)}", "per_page": 1,
                                    "highlight_fields": "title,body"}])[0]
                words |= frozenset(t.lower() for hit in res.get("hits", []) for t in _matched_tokens(hit))
        return article_view(article, title_html=mark(article.title, _find(article.title, words)),
                            paragraphs_html=[mark(p, _find(p, words)) for p in article.body.split("\n\n")],
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
                            "per_page": top + 1, "exclude_fields": "body"}])[0]
        others = (from_document(hit["document"]) for hit in res.get("hits", []))
        return [related(other) for other in others if other.id != article_id][:top]

    def city_counts(self, collection: str | None = None) -> dict[str, int]:
        """Articles per city in a collection (default: the live one)."""
        res = self._multi([{"q": "*", "facet_by": "cities", "max_facet_values": 1000, "per_page": 0}], collection)[0]
        return dict(sorted((str(c["value"]), int(c["count"])) for f in res.get("facet_counts", []) for c in f["counts"]))

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
        """Per node: GET /health; ok when a majority answers ok and the alias resolves; else a message why not."""
        nodes: list[dict[str, Any]] = []
        for node in self.nodes:
            data = self._node_get(node, "/health")
            address = f"{node['protocol']}://{node['host']}:{node['port']}"
            nodes.append({"node": address, "ok": bool(data and data.get("ok") is True)})
        healthy = sum(n["ok"] for n in nodes)
        out: dict[str, Any] = {"status": "ok", "backend": self.name, "ok": healthy * 2 > len(nodes), "nodes": nodes}
        if out["ok"]:
            try:
                name = self.collection_name()
                info = self._guard(self._collection(name).retrieve)
                out.update(collection=name, generation=name, articles=int(info.get("num_documents", 0)),
                           built_at=_created_at(info.get("created_at")))
            except TypesenseUnavailable as exc:
                out.update(ok=False, message=exc.message)
        else:
            out["message"] = (f"The Typesense cluster at {self._where()} is unavailable: only {healthy} of "
                              f"{len(nodes)} nodes are healthy.")
        if not out["ok"]:
            out["status"] = "unavailable"
        return out


def _created_at(stamp: Any) -> str | None:
    """A collection's created_at (Unix seconds) as an ISO time, like the Whoosh meta's built_at."""
    if not isinstance(stamp, (int, float)) or stamp <= 0:
        return None
    return dt.datetime.fromtimestamp(stamp, dt.UTC).isoformat(timespec="seconds")


# ---------------------------------------------------------------- results, snippets, facets


def _matched_tokens(hit: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for h in hit.get("highlights", []):
        for t in h.get("matched_tokens", []):
            out.extend(t if isinstance(t, list) else [t])
    return out


def _find(text: str, words: frozenset[str]) -> list[Match]:
    """Spans of the words of text that are (case-insensitively) one of `words`."""
    if not words or not text:
        return []
    folded = {fold(w) for w in words}
    return [Match(m.start(), m.end(), m.group(0).lower()) for m in TOKEN.finditer(text) if fold(m.group(0)) in folded]


def _result(hit: dict[str, Any], words: frozenset[str], scored: bool, highlight: bool) -> Result:
    article = from_document(hit["document"])
    info = hit.get("text_match_info") or {}
    score = info.get("score", hit.get("text_match"))
    score = float(score) if scored and score is not None else None
    if not highlight:
        return result(article, title_html=mark(article.title, []), score=score, snippet="")
    marked = words | {t.lower() for t in _matched_tokens(hit)}
    return result(article, title_html=mark(article.title, _find(article.title, marked)), score=score,
                  snippet=snippet_of_matches(article.body, _find(article.body, marked)))


def _facet(name: str, answer: dict[str, Any], selected: list[str]) -> list[FacetValue]:
    """One facet's values (contract.facet) from a faceted search's counts."""
    counts = {str(c["value"]): int(c["count"]) for f in answer.get("facet_counts", []) for c in f["counts"]}
    return facet(name, counts, selected)
