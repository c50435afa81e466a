"""An incremental update worked out once for every engine: which files are gone, untouched or to be read again.

An engine gives what its index holds per file (the ids, and the hash and stamp of the bytes they
came from); the plan walks the seeds folder against it, refuses an update that looks like a
missing folder, keeps the last good articles of an unreadable file and of the files under a folder
it could not list, and counts what changed. The engine applies the answers: deletes, re-indexing,
its own bookkeeping.
"""

from __future__ import annotations

import contextlib
import gc
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from search_app.errors import UpdateRefused
from search_app.ingest.files import SeedFile, SkipFile, Unreadable, file_stamp, read_file, settle_cutoff
from search_app.ingest.records import content_hash
from search_app.models import BuildReport, Skipped

MASS_REMOVAL = 10  # an update may always remove this many articles


def check_removals(total: int, removing: int, any_files: bool, seeds: Path, allow_mass_removal: bool) -> None:
    """Refuse (UpdateRefused) an update that would empty an index, or remove most of it unless allowed.

    A folder that is empty, unmounted or the wrong one looks to a diff like every article deleted.
    """
    if not any_files and total:
        raise UpdateRefused(
            f"The seeds folder {seeds} holds no article files; an update would remove all {total} articles. "
            "Nothing was changed: check the folder (or --seeds), or run `search-app build` to index it as it is."
        )
    if not allow_mass_removal and removing > MASS_REMOVAL and removing * 2 > total:
        raise UpdateRefused(
            f"This update would remove {removing} of the index's {total} articles (their files are gone from {seeds}). "
            "Nothing was changed: pass --allow-mass-removal if that is intended, or --seeds with the right folder."
        )


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Hold off Python's cycle collector while an update does its bookkeeping.

    An update makes a few objects per file of the folder (paths, stamps, the manifest's entries),
    millions at a million files, none of them in reference cycles: each collection the allocations
    trigger walks them all again for nothing (a third of an update of 10 files at 100,000 articles).
    Reference counting still frees them. Cycles made meanwhile (Whoosh makes one through the
    caller's frames when it opens a writer) wait for the collector, which runs again afterwards:
    a caller that keeps millions of entries in such a frame empties them before (indexer.update).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Held(TypedDict):
    """What an index holds for one file of the seeds folder (the Whoosh manifest's entries are these as they are)."""

    ids: list[str]
    hash: str | None  # of the file's bytes; None when not known (a .jsonl line has its own): always read again
    stamp: list[int] | None  # file_stamp() when it was read; None when not known


@dataclass(frozen=True)
class Reread:
    """A file whose articles must be indexed again: its bytes, their stamp, and the ids the file gave before."""

    file: SeedFile
    data: bytes
    stamp: list[int] | None
    old_ids: list[str]


class UpdatePlan:
    """The diff between the seeds folder and an index, worked out file by file; counts go into report.

    unreadable: what the walk could not look into (files.unreadable_paths of its skips): folders it
    could not list ("." for the seeds folder itself), links it could not follow. A held file there
    or under such a folder is not gone but unseen: its articles are kept.
    """

    def __init__(self, held: dict[str, Held], files: list[SeedFile], seeds: Path, report: BuildReport,
                 allow_mass_removal: bool = False, *, unreadable: Collection[str]) -> None:
        present = {f.rel for f in files}
        self.files = files
        self.report = report
        self.held = held
        missing = sorted(set(held) - present)
        unseen = _unseen(missing, unreadable)  # file -> the unreadable entry that hides it (a folder, or itself)
        self.gone = {rel: held[rel]["ids"] for rel in missing if rel not in unseen}  # files deleted from the folder
        total = sum(len(entry["ids"]) for entry in held.values())
        check_removals(total, sum(len(ids) for ids in self.gone.values()), bool(files or unseen), seeds,
                       allow_mass_removal)
        self.seen = {i: rel for rel, entry in held.items() for i in entry["ids"]}  # id -> the file that holds it
        self.kept: dict[str, Held] = {}  # files whose articles stay as they are
        kept_per_entry: Counter[str] = Counter()
        for rel, entry in unseen.items():
            self._keep(rel, held[rel])
            kept_per_entry[entry] += len(held[rel]["ids"])
        _note_kept(report, kept_per_entry)

    def gone_ids(self) -> list[str]:
        """The articles of files deleted from the folder (counted as removed; their ids free to claim)."""
        ids = [i for rel_ids in self.gone.values() for i in rel_ids]
        self._release(ids)
        self.report.removed += len(ids)
        return ids

    def rereads(self, max_bytes: int, progress: Callable[[int, int], None] | None = None) -> Iterator[Reread]:
        """The files to index again, in folder order; the others are kept (and counted unchanged)."""
        # The common case, a file untouched since it was indexed, is decided here without a call
        # more than the stat: this loop runs once per file of the folder, a million times at scale.
        # One settle cut-off serves the pass (a file changed after it began gets no stamp).
        cutoff = settle_cutoff()
        held, kept, total = self.held, self.kept, len(self.files)
        unchanged = 0
        try:
            for number, file in enumerate(self.files, start=1):
                previous = held.get(file.rel)
                stamp = file_stamp(file, cutoff)
                if previous is not None and stamp is not None and previous.get("stamp") == stamp:
                    kept[file.rel] = previous
                    unchanged += len(previous["ids"])
                else:
                    reread = self._judge(file, previous, stamp, max_bytes)
                    if reread is not None:
                        self._release(reread.old_ids)  # its articles are re-read: their ids are its again to claim
                        yield reread
                if progress:
                    progress(number, total)
        finally:
            self.report.unchanged += unchanged

    def settle(self, reread: Reread, new_ids: list[str], same: set[str] | None = None) -> list[str]:
        """Count a re-read file's articles; the ids it no longer gives (to delete) are returned.

        same: ids whose article came out identical (counted unchanged rather than changed).
        """
        old, new = set(reread.old_ids), set(new_ids)
        kept = new & old & (same or set())
        self.report.added += len(new - old)
        self.report.changed += len((new & old) - kept)
        self.report.unchanged += len(kept)
        self.report.removed += len(old - new)
        return sorted(old - new)

    def _judge(self, file: SeedFile, previous: Held | None, stamp: list[int] | None, max_bytes: int) -> Reread | None:
        """A file whose stamp does not vouch for it: read, and compared by hash with what the index holds."""
        try:
            data = read_file(file, max_bytes)
        except SkipFile as skip:
            self.report.skipped.append(Skipped(file.rel, skip.reason))
            if previous:  # an unreadable file keeps its last good articles rather than losing them
                self._keep(file.rel, previous)
            return None
        if previous and previous["hash"] is not None and previous["hash"] == content_hash(data):
            self._keep(file.rel, {**previous, "stamp": stamp})  # same bytes (touched or copied): a fresh stamp
            return None
        return Reread(file, data, stamp, list(previous["ids"]) if previous else [])

    def _keep(self, rel: str, held: Held) -> None:
        self.kept[rel] = held
        self.report.unchanged += len(held["ids"])

    def _release(self, ids: list[str]) -> None:
        for article_id in ids:
            self.seen.pop(article_id, None)


def _unseen(rels: list[str], unreadable: Collection[str]) -> dict[str, str]:
    """Each of rels (file paths relative to the seeds folder) that is, or lies under, an unreadable entry, with it."""
    if not unreadable:
        return {}
    if "." in unreadable:  # the seeds folder itself could not be listed: every file is unseen
        return dict.fromkeys(rels, ".")
    wanted = set(unreadable)
    unseen = {}
    for rel in rels:
        parts = rel.split("/")
        for depth in range(1, len(parts) + 1):
            entry = "/".join(parts[:depth])
            if entry in wanted:
                unseen[rel] = entry
                break
    return unseen


def _note_kept(report: BuildReport, per_entry: Counter[str]) -> None:
    """Say, in the skip of each unreadable entry, how many articles indexed from it the update keeps."""
    def noted(skip: Skipped) -> Skipped:
        count = per_entry.get(skip.path, 0)
        if not isinstance(skip, Unreadable) or not count:
            return skip
        kept = "the 1 article indexed from it is kept as it was" if count == 1 else \
            f"the {count} articles indexed from it are kept as they were"
        return Unreadable(skip.path, f"{skip.reason}; {kept}")

    report.skipped[:] = [noted(skip) for skip in report.skipped]
