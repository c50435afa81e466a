"""Feeding Typesense from the seeds folder: the ingester's records for a build, content-hash diffs for an update.

Kept apart from typesense.py (which talks to the cluster) because this half only walks files
and compares hashes; it needs the backend for three calls: batch upsert, delete, export.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..ingest import (
    SeedFile,
    SkipFile,
    check_removals,
    claim_id,
    content_hash,
    discover,
    parse_file,
    parse_unique,
    read_file,
)
from ..models import Article, BuildReport, Skipped
from .base import Progress

if TYPE_CHECKING:
    from .typesense import TypesenseBackend

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


def stored_documents(backend: TypesenseBackend, collection: str) -> Stored:
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


@dataclass
class _Diff:
    """An update being worked out: what to upsert and delete, and the counts for the report."""

    stored: Stored
    report: BuildReport
    upserts: list[Article] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)

    def keep(self, ids: list[str]) -> None:
        """Articles left as they are (unchanged file, or an unreadable one keeping its last good version)."""
        for article_id in ids:
            self.seen[article_id] = self.stored.by_id[article_id][0]
        self.report.unchanged += len(ids)

    def file(self, file: SeedFile, max_bytes: int) -> None:
        """Compare one file with what is stored for it."""
        previous = self.stored.by_path.get(file.rel, [])
        try:
            data = read_file(file, max_bytes)
        except SkipFile as skip:
            self.report.skipped.append(Skipped(file.rel, skip.reason))
            self.keep(previous)
            return
        digest = content_hash(data)
        # A .txt/.json article carries its file's hash; a .jsonl line has its own, so those files are always parsed.
        if previous and not file.rel.endswith(".jsonl") and all(self.stored.by_id[i][1] == digest for i in previous):
            self.keep(previous)
            return
        new_ids: set[str] = set()
        for item in parse_file(file, max_bytes, data=data):
            if isinstance(item, Skipped):
                self.report.skipped.append(item)
            elif duplicate := claim_id(item, self.seen):
                self.report.skipped.append(duplicate)
            else:
                new_ids.add(item.id)
                self._article(item)
        gone = sorted(set(previous) - new_ids)
        self.deletes.extend(gone)
        self.report.removed += len(gone)

    def _article(self, article: Article) -> None:
        old = self.stored.by_id.get(article.id)
        if old is None:
            self.report.added += 1
            self.upserts.append(article)
        elif old[1] != article.content_hash or old[0] != article.path:
            self.report.changed += 1
            self.upserts.append(article)
        else:
            self.report.unchanged += 1


def update(backend: TypesenseBackend, seeds: Path, max_bytes: int, progress: Progress | None = None,
           allow_mass_removal: bool = False) -> BuildReport:
    """Upsert new and changed articles, delete those whose files are gone; the collection stays the same.

    Refused, as on Whoosh, when the folder holds nothing or most of the collection would go.
    """
    started = time.monotonic()
    collection = backend.collection_name()
    stored = stored_documents(backend, collection)
    files, skipped = discover(seeds)
    report = BuildReport(action="update", generation=collection, skipped=list(skipped))
    diff = _Diff(stored, report)
    present = {f.rel for f in files}
    gone = sorted(set(stored.by_path) - present)
    check_removals(len(stored.by_id), sum(len(stored.by_path[rel]) for rel in gone), bool(files), seeds,
                   allow_mass_removal)
    for rel in gone:  # files deleted from the seeds folder
        diff.deletes.extend(stored.by_path[rel])
        report.removed += len(stored.by_path[rel])
    for number, file in enumerate(files, start=1):
        diff.file(file, max_bytes)
        if progress:
            progress(number, len(files))
    seq = stored.max_seq + 1  # re-indexed articles go last among equals, as in a Whoosh update
    for start in range(0, len(diff.upserts), BATCH):
        seq += backend.index_batch(diff.upserts[start:start + BATCH], collection, start_seq=seq)
    # An id that moved to another file is both upserted and listed under its old file: keep it.
    backend.delete(sorted(set(diff.deletes) - {a.id for a in diff.upserts}), collection)
    report.indexed = report.added + report.changed
    report.total = len(stored.by_id) + report.added - report.removed
    if report.indexed or report.removed:
        backend.wait_replicated(collection, report.total)
    report.cities = backend.city_counts(collection)
    report.elapsed_s = time.monotonic() - started
    return report


def build(backend: TypesenseBackend, seeds: Path, max_bytes: int, progress: Progress | None = None) -> BuildReport:
    """Full rebuild into a new collection from the ingester's records, then the alias switch."""
    started = time.monotonic()
    report = BuildReport(action="build", generation="")
    done: dict[str, Any] = backend.build_records(seed_records(seeds, report, max_bytes, progress), batch_size=BATCH)
    report.generation = done["collection"]
    report.indexed = report.added = report.total = int(done["indexed"])
    report.cities = backend.city_counts(done["collection"])
    report.elapsed_s = time.monotonic() - started
    return report
