"""Feeding Typesense from the seeds folder: the ingester's records for a build, content-hash diffs for an update.

Kept apart from client.py (which talks to the cluster) because this half only walks files
and compares hashes; it needs the backend for three calls: batch upsert, delete, export.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from search_app.backends.typesense.client import TypesenseClient
from search_app.ingest.changes import Held, UpdatePlan, paused_gc
from search_app.ingest.files import discover, unreadable_paths
from search_app.ingest.records import claim_id, parse_file, parse_unique
from search_app.models import Article, BuildReport, Skipped
from search_app.query.engine import Progress

BATCH = 500  # documents per import request: large enough to amortise the round trip, small enough to retry


def seed_records(seeds: Path, report: BuildReport, max_bytes: int, progress: Progress | None = None) -> Iterator[Article]:
    """Every article under seeds in ingestion order; skips and duplicate ids go into report.skipped."""
    files, skipped = discover(seeds)
    report.skipped.extend(skipped)
    done = (lambda number: progress(number, len(files))) if progress else None
    for item in parse_unique(files, max_bytes, done):
        if isinstance(item, Skipped):
            report.skipped.append(item)
        else:
            yield item


@dataclass
class Stored:
    """What the live collection holds, per article: its file, content hash and ingestion number."""

    by_id: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (path, content_hash)
    by_path: dict[str, list[str]] = field(default_factory=dict)
    max_seq: int = -1


def stored_documents(backend: TypesenseClient, collection: str) -> Stored:
    """Read id, path, content_hash and seq of every document (one export request, JSON lines)."""
    lines = backend.export(collection, "id,path,content_hash,seq")
    stored = Stored()
    for line in lines.splitlines():
        if not line.strip():
            continue
        doc = json.loads(line)
        path, digest = str(doc.get("path", "")), str(doc.get("content_hash", ""))
        stored.by_id[doc["id"]] = (path, digest)
        stored.by_path.setdefault(path, []).append(doc["id"])
        stored.max_seq = max(stored.max_seq, int(doc.get("seq", 0)))
    return stored


def held_files(stored: Stored) -> dict[str, Held]:
    """Per file, the ids the collection holds and, when all its articles carry it, the hash of the file's bytes."""
    held: dict[str, Held] = {}
    for rel, ids in stored.by_path.items():
        digests = {stored.by_id[i][1] for i in ids}
        # A .txt/.json article carries its file's hash; a .jsonl line has its own, so those files are always parsed.
        whole = len(digests) == 1 and not rel.endswith(".jsonl")
        held[rel] = Held(ids=ids, hash=digests.pop() if whole else None, stamp=None)
    return held


def update(backend: TypesenseClient, seeds: Path, max_bytes: int, progress: Progress | None = None,
           allow_mass_removal: bool = False) -> BuildReport:
    """Upsert new and changed articles, delete those whose files are gone; the collection stays the same.

    The plan is the embedded engine's (ingest.changes): refused when the folder holds nothing or
    most of the collection would go, an unreadable file keeps its articles, an id stays with the
    file that holds it.
    """
    with paused_gc():
        return _update(backend, seeds, max_bytes, progress, allow_mass_removal)


def _update(backend: TypesenseClient, seeds: Path, max_bytes: int, progress: Progress | None,
            allow_mass_removal: bool) -> BuildReport:
    started = time.monotonic()
    collection = backend.collection_name()
    stored = stored_documents(backend, collection)
    files, skipped = discover(seeds)
    report = BuildReport(action="update", generation=collection, skipped=list(skipped))
    plan = UpdatePlan(held_files(stored), files, seeds, report, allow_mass_removal, unreadable=unreadable_paths(skipped))
    deletes = plan.gone_ids()
    upserts: list[Article] = []
    for reread in plan.rereads(max_bytes, progress):
        new_ids: list[str] = []
        same: set[str] = set()
        for item in parse_file(reread.file, max_bytes, data=reread.data):
            if isinstance(item, Skipped):
                report.skipped.append(item)
            elif duplicate := claim_id(item, plan.seen):
                report.skipped.append(duplicate)
            else:
                new_ids.append(item.id)
                if stored.by_id.get(item.id) == (item.path, item.content_hash):
                    same.add(item.id)  # a .jsonl line that did not change: nothing to send
                else:
                    upserts.append(item)
        deletes.extend(plan.settle(reread, new_ids, same))
    seq = stored.max_seq + 1  # re-indexed articles go last among equals, as in a Whoosh update
    for start in range(0, len(upserts), BATCH):
        seq += backend.index_batch(upserts[start:start + BATCH], collection, start_seq=seq)
    # An id that moved to another file is both upserted and listed under its old file: keep it.
    backend.delete(sorted(set(deletes) - {a.id for a in upserts}), collection)
    report.indexed = report.added + report.changed
    report.total = len(stored.by_id) + report.added - report.removed
    if report.indexed or report.removed:
        backend.wait_replicated(collection, report.total)
    report.cities = backend.city_counts(collection)
    report.elapsed_s = time.monotonic() - started
    return report


def build(backend: TypesenseClient, seeds: Path, max_bytes: int, progress: Progress | None = None) -> BuildReport:
    """Full rebuild into a new collection from the ingester's records, then the alias switch."""
    started = time.monotonic()
    report = BuildReport(action="build", generation="")
    done: dict[str, Any] = backend.build_records(seed_records(seeds, report, max_bytes, progress), batch_size=BATCH)
    report.generation = done["collection"]
    report.indexed = report.added = report.total = int(done["indexed"])
    report.cities = backend.city_counts(done["collection"])
    report.elapsed_s = time.monotonic() - started
    return report
