"""The connection to a Typesense cluster: nodes, the client, collections behind an alias, writes that
wait for every node, and one error (TypesenseUnavailable) for a cluster that cannot answer.

Articles live in a collection `articles_<stamp>` behind the alias `articles`. A rebuild fills a
new collection, waits until every node holds all of it (each node's own document count), moves
the alias, waits until every node resolves the alias to the new collection, then drops the old
one. Searches go through the alias, so they never see a half-built collection.

TypesenseBackend (backend.py) builds the search engine on it; sync.py feeds it from the seeds folder.
Configuration comes in as parameters (nodes, API key); nothing here reads the environment.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

import typesense
from typesense import exceptions as ts_errors

from search_app.backends.typesense.schema import (
    LENGTH_FIELDS,
    average_lengths,
    collection_schema,
    synonym_sets,
    to_document,
)
from search_app.errors import BadRequest, BuildFailed, SearchAppError
from search_app.ingest.files import DEFAULT_MAX_BYTES
from search_app.models import Article

if TYPE_CHECKING:
    from search_app.backends.typesense.writelock import WriterLock

ALIAS = "articles"


IMPORT_RETRY_S = 120.0  # how long a batch is retried while the cluster elects a leader or its followers catch up
LEADER_POLL_S = 0.2


class TypesenseUnavailable(SearchAppError):
    """The Typesense cluster cannot be reached, or has no leader / no index."""

    status = 503


class TypesenseKeyRefused(TypesenseUnavailable):
    """The cluster refused the API key (wrong key, or a search-only key asked to write): never retried."""


# What a serving key may do: search, read articles, and look up the alias and collection it reads.
SEARCH_ACTIONS = ["documents:search", "documents:get", "collections:get", "aliases:get"]


def document_key(article_id: str) -> str:
    """An id as the client must name it in a document's URL: a subfolder's '/' (and any other reserved
    character) escaped, since the client puts the key into the path as it is."""
    return quote(article_id, safe="")


def parse_node(node: str | dict[str, Any]) -> dict[str, Any]:
    """'http://127.0.0.1:8108', '127.0.0.1:8108' or a client node dict -> a client node dict."""
    if isinstance(node, dict):
        return {"host": node["host"], "port": int(node["port"]), "protocol": node.get("protocol", "http")}
    m = re.fullmatch(r"(?:(https?)://)?([^:/]+):(\d+)/?", node.strip())
    if not m:
        raise BadRequest(f"Cannot read the Typesense node {node!r}: write it as http://HOST:PORT.")
    return {"host": m.group(2), "port": int(m.group(3)), "protocol": m.group(1) or "http"}


class TypesenseClient:
    """One cluster's client, the collections behind the alias, and writes confirmed by every node.

    api_key is the admin key for a writer, a search-only key for a server; search_key, given to a
    writer, is the serving key `build` makes sure exists (SEARCH_ACTIONS on the alias's collections).
    """

    def __init__(self, nodes: Sequence[str | dict[str, Any]], api_key: str, alias: str = ALIAS,
                 connection_timeout_seconds: float = 5.0, num_retries: int = 3,
                 retry_interval_seconds: float = 0.3, time_limit: float = 2.0,
                 max_bytes: int = DEFAULT_MAX_BYTES, search_key: str = "") -> None:
        if not nodes:
            raise BadRequest("No Typesense nodes configured: give at least one as http://HOST:PORT "
                             "(SEARCH_APP_TYPESENSE_NODES or --typesense-nodes).")
        self.nodes = [parse_node(n) for n in nodes]
        self.api_key = api_key
        self.search_key = search_key
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
        self._averages: dict[str, dict[str, float]] = {}  # per collection: its text fields' mean lengths
        self.writer: WriterLock | None = None  # the cluster's writer lock while a build or update holds it
        self.pinned: str | None = None  # a snapshot's collection (searches read it, not the alias)

    def close(self) -> None:
        """Close the client's pooled connections."""
        self.client.api_call.close()

    def __enter__(self) -> TypesenseClient:
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

    def _no_index(self) -> TypesenseUnavailable:
        return TypesenseUnavailable(
            "There is no index on the search cluster yet: run `search-app build --backend typesense`.",
            f"No index on Typesense at {self._where()}: run `search-app build --backend typesense`.")

    def _guard(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one client call; transport failures become TypesenseUnavailable with a clear message."""
        try:
            return call(*args, **kwargs)
        except (ts_errors.ObjectNotFound, ts_errors.ObjectAlreadyExists, ts_errors.RequestMalformed,
                ts_errors.ObjectUnprocessable):
            raise
        except (ts_errors.RequestUnauthorized, ts_errors.RequestForbidden) as exc:
            raise TypesenseKeyRefused(
                "The search cluster refused this service's key: the operator must check SEARCH_APP_TYPESENSE_API_KEY.",
                f"Typesense at {self._where()} refused the API key: check SEARCH_APP_TYPESENSE_API_KEY.") from exc
        except Exception as exc:
            raise TypesenseUnavailable(
                "The search cluster cannot be reached right now: please try again in a moment.",
                f"The Typesense cluster at {self._where()} cannot be reached or has no leader "
                f"({type(exc).__name__}: {exc}) after {self.num_retries} retries: check that it runs.",
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
        """The collection the alias points at, or the one a snapshot holds (TypesenseUnavailable when there is none)."""
        if self.pinned:
            return self.pinned
        try:
            return str(self._guard(self.client.aliases[self.alias].retrieve)["collection_name"])
        except ts_errors.ObjectNotFound:
            raise self._no_index() from None

    # ------------------------------------------------------------ writing

    def create_collection(self, name: str) -> None:
        """A new empty collection with the schema and the city synonyms."""
        self.write(self.client.collections.create, collection_schema(name))
        for sid, words in synonym_sets().items():
            self.write(self._collection(name).synonyms.upsert, sid, {"synonyms": words})

    def index_batch(self, records: Iterable[Article], collection: str | None = None, start_seq: int = 0) -> int:
        """Upsert articles into a collection (default: the live one); returns how many."""
        name = collection or self.collection_name()
        records = list(records)
        average = self.average_lengths(name, records)
        docs = [to_document(a, start_seq + i, average) for i, a in enumerate(records)]
        if not docs:
            return 0
        if self.writer is not None:
            self.writer.renew()
        results = self.write(self._collection(name).documents.import_, docs, {"action": "upsert"})
        failed = [(d["id"], r.get("error")) for d, r in zip(docs, results) if not r.get("success")]
        if failed:
            raise BuildFailed(f"Typesense refused {len(failed)} articles, e.g. {failed[0][0]!r}: {failed[0][1]}")
        return len(docs)

    def average_lengths(self, collection: str, first: list[Article]) -> dict[str, float]:
        """The text fields' mean lengths that weigh a collection's terms: the collection's own once it holds
        articles, else those of the first batch written to it (a build's), kept for the collection's life."""
        with self._lock:
            known = self._averages.get(collection)
        if known is not None:
            return known
        res = self._multi([{"q": "*", "facet_by": ",".join(LENGTH_FIELDS.values()), "max_facet_values": 1,
                            "per_page": 0}], collection)[0]
        stats = {f["field_name"]: f.get("stats", {}).get("avg") for f in res.get("facet_counts", [])}
        if res.get("found") and all(stats.get(field) for field in LENGTH_FIELDS.values()):
            average = {name: float(stats[field]) for name, field in LENGTH_FIELDS.items()}
        elif first:
            average = average_lengths(first)
        else:
            return {}
        with self._lock:
            self._averages[collection] = average
        return average

    def write(self, call: Any, *args: Any) -> Any:
        """Run one write; while the cluster has no leader, or its followers lag, send it again (writes here repeat
        safely) as soon as a live node reports a leader, for IMPORT_RETRY_S at most."""
        deadline = time.monotonic() + IMPORT_RETRY_S
        while True:
            try:
                return self._guard(call, *args)
            except TypesenseKeyRefused:
                raise  # no leader will change the key's rights
            except TypesenseUnavailable:
                if time.monotonic() > deadline:
                    raise
                self._wait_leader(deadline)
                time.sleep(LEADER_POLL_S)  # a node may report a leader a moment before it takes writes

    def ensure_search_key(self) -> None:
        """Make sure the serving key (search_key) exists, allowed SEARCH_ACTIONS on the alias and its collections only."""
        if not self.search_key:
            return
        spec = {"value": self.search_key, "description": f"search-app: serving {self.alias} (search only)",
                "actions": SEARCH_ACTIONS, "collections": [self.alias, f"{self.alias}_.*"]}
        with contextlib.suppress(ts_errors.ObjectAlreadyExists):  # made by an earlier build
            self.write(self.client.keys.create, spec)

    def _wait_leader(self, deadline: float) -> None:
        """Poll the nodes' /health until one that answers says ok (the cluster has a leader), or the deadline.

        A node that refuses connections answers nothing at once and is passed over.
        """
        while time.monotonic() < deadline:
            if any((self._node_get(node, "/health") or {}).get("ok") is True for node in self.nodes):
                return
            time.sleep(LEADER_POLL_S)

    def delete(self, ids: Iterable[str], collection: str | None = None) -> int:
        """Delete articles by id from the live collection; unknown ids are ignored. Returns how many went."""
        name = collection or self.collection_name()
        gone = 0
        for article_id in ids:
            try:
                self.write(self._collection(name).documents[document_key(article_id)].delete)
                gone += 1
            except ts_errors.ObjectNotFound:
                pass
        return gone

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
        self.write(self.client.aliases.upsert, self.alias, {"collection_name": name})
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
            self.write(self._collection(name).delete)
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

    def _multi(self, searches: list[dict[str, Any]], collection: str | None = None) -> list[dict[str, Any]]:
        """One multi_search through the alias (or a collection); retried when the alias just moved."""
        target = collection or self.pinned or self.alias
        for attempt in range(3):
            body = {"searches": [{"collection": target, **s} for s in searches]}
            results = self._guard(self.client.multi_search.perform, body, {})["results"]
            errors = [r for r in results if "error" in r]
            if not errors:
                return results  # type: ignore[no-any-return]
            if any(r.get("code") == 404 for r in errors) and attempt < 2:
                time.sleep(0.05)  # the old collection was dropped between alias lookup and search
                continue
            if any(r.get("code") == 404 for r in errors) and target == self.pinned:
                raise TypesenseUnavailable("The index was rebuilt while this was being read: run it again.",
                                           f"The collection {target} was dropped by a rebuild while a snapshot read it.")
            if any(r.get("code") == 404 for r in errors):
                raise self._no_index()
            if any(r.get("code", 500) >= 500 for r in errors):
                raise TypesenseUnavailable("The search cluster could not answer: please try again in a moment.",
                                           f"Typesense could not answer: {errors[0].get('error')}")
            raise BadRequest(f"Typesense refused the search: {errors[0].get('error')}")
        raise AssertionError("unreachable")

    def city_counts(self, collection: str | None = None) -> dict[str, int]:
        """Articles per city in a collection (default: the live one)."""
        res = self._multi([{"q": "*", "facet_by": "cities", "max_facet_values": 1000, "per_page": 0}], collection)[0]
        return dict(sorted((str(c["value"]), int(c["count"])) for f in res.get("facet_counts", []) for c in f["counts"]))
