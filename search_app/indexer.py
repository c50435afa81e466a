"""Index generations on disk: the write lock, atomic full builds, incremental updates, cleanup.

Layout of an index folder:
    CURRENT          name of the live generation (replaced atomically)
    .lock            flock held by the one build or update allowed at a time
    g-<stamp>/       a complete Whoosh index plus manifest.json and meta.json
    .tmp-g-<stamp>/  a generation being written; never read, removed by the next writer
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import fcntl
import json
import os
import secrets
import shutil
import signal
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from whoosh import index as whoosh_index

from .errors import BuildFailed, BuildLocked, IndexCorrupt, IndexMissing
from .ingest import DEFAULT_MAX_BYTES, SeedFile, content_hash, discover, parse_file, read_bytes, SkipFile
from .models import Article, BuildReport, Skipped
from .schema import build_schema, to_document

CURRENT = "CURRENT"
LOCK = ".lock"
TMP_PREFIX = ".tmp-"
GEN_PREFIX = "g-"
MANIFEST = "manifest.json"
META = "meta.json"
KEEP_PREVIOUS = 1  # generations kept besides the live one, for searchers still reading them

Progress = Callable[[int, int], None]


# ---------------------------------------------------------------- reading the live generation

def current_generation(index_dir: Path) -> str:
    """Name of the live generation, or IndexMissing with the command to run."""
    try:
        name = (index_dir / CURRENT).read_text("utf-8").strip()
    except FileNotFoundError:
        raise IndexMissing(f"No index in {str(index_dir)!r}: run `search-app build` first.") from None
    except OSError as exc:
        raise IndexCorrupt(f"Cannot read the index in {str(index_dir)!r} ({exc.strerror}): check its permissions.") from exc
    if not name.startswith(GEN_PREFIX) or "/" in name or not (index_dir / name).is_dir():
        raise IndexCorrupt(f"The index in {str(index_dir)!r} is damaged: run `search-app build` to rebuild it.")
    return name


def open_generation(index_dir: Path, generation: str) -> whoosh_index.Index:
    """Open one generation's Whoosh index."""
    try:
        return whoosh_index.open_dir(str(index_dir / generation))
    except (OSError, whoosh_index.EmptyIndexError, ValueError, EOFError) as exc:
        raise IndexCorrupt(
            f"The index generation {generation!r} cannot be opened: run `search-app build` to rebuild it."
        ) from exc


def read_meta(index_dir: Path, generation: str) -> dict[str, Any]:
    """The meta.json written with a generation (counts, dates, build time)."""
    try:
        return json.loads((index_dir / generation / META).read_text("utf-8"))  # type: ignore[no-any-return]
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"The index generation {generation!r} has no readable meta.json: run `search-app build`.") from exc


def index_stats(index_dir: Path) -> dict[str, Any]:
    """Articles, counts per city and source, date range, size on disk, build time of the live index."""
    generation = current_generation(index_dir)
    meta = read_meta(index_dir, generation)
    size = sum(f.stat().st_size for f in (index_dir / generation).iterdir() if f.is_file())
    return {**meta, "generation": generation, "size_bytes": size}


# ---------------------------------------------------------------- the write lock

@contextlib.contextmanager
def write_lock(index_dir: Path, action: str) -> Iterator[None]:
    """Hold the index's exclusive write lock, or refuse at once with BuildLocked."""
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / LOCK
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise BuildFailed(f"Cannot write to the index folder {str(index_dir)!r} ({exc.strerror}).") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise BuildLocked(
                f"Another build or update is running on {str(index_dir)!r} ({holder}); "
                "wait for it to finish, then try again."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{action} by pid {os.getpid()}".encode(), 0)
        _install_fork_hook()
        _held_locks.add(fd)
        yield
    finally:
        _held_locks.discard(fd)
        os.close(fd)  # closing the descriptor releases the flock, as a crash does


# ---------------------------------------------------------------- generations

def _new_generation_name() -> str:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    return f"{GEN_PREFIX}{stamp}-{secrets.token_hex(3)}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _switch(index_dir: Path, tmp: Path, generation: str) -> None:
    """Publish a finished temporary generation and make it the live one, atomically."""
    for name in os.listdir(tmp):
        with open(tmp / name, "rb") as handle:
            os.fsync(handle.fileno())
    final = index_dir / generation
    os.rename(tmp, final)
    pointer = index_dir / f"{TMP_PREFIX}{CURRENT}"
    with open(pointer, "w", encoding="utf-8") as handle:
        handle.write(generation + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pointer, index_dir / CURRENT)
    _fsync_dir(index_dir)


def _cleanup(index_dir: Path, live: str) -> None:
    """Remove temporary folders of dead builds and generations older than the kept ones."""
    for entry in index_dir.iterdir():
        if entry.name.startswith(TMP_PREFIX) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(TMP_PREFIX):
            entry.unlink(missing_ok=True)
    generations = sorted(
        (e for e in index_dir.iterdir() if e.name.startswith(GEN_PREFIX) and e.is_dir() and e.name != live),
        key=lambda e: e.name,
        reverse=True,
    )
    for old in generations[KEEP_PREVIOUS:]:
        shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------- workers

_PR_SET_PDEATHSIG = 1
_fork_hook_installed = False
_fork_parent = 0  # pid of the process that last forked, recorded before the fork
_held_locks: set[int] = set()  # descriptors of write locks this process holds


def _record_parent() -> None:
    """Before a fork: remember who the parent is, so the child can tell if it already died."""
    global _fork_parent
    _fork_parent = os.getpid()


def _die_with_parent() -> None:
    """In a forked build worker: drop the write lock and get SIGKILL when the build process dies."""
    for fd in list(_held_locks):  # an orphaned worker must never keep the lock held
        with contextlib.suppress(OSError):
            os.close(fd)
    _held_locks.clear()
    parent = _fork_parent or os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: nothing to arm
        return
    if os.getppid() != parent:  # the parent died (even mid-fork) before the signal was armed
        os._exit(1)


def _install_fork_hook() -> None:
    global _fork_hook_installed
    if not _fork_hook_installed:
        os.register_at_fork(before=_record_parent, after_in_child=_die_with_parent)
        _fork_hook_installed = True


def _writer(ix: whoosh_index.Index, procs: int, limitmb: int) -> Any:
    if procs > 1:
        _install_fork_hook()
        # multisegment: keep each worker's segment rather than merging them at commit.
        return ix.writer(procs=procs, limitmb=limitmb, multisegment=True)
    return ix.writer(limitmb=limitmb)


# ---------------------------------------------------------------- manifest

@dataclass
class Manifest:
    """Per file: the hash of its bytes and the ids of the articles it gave."""

    files: dict[str, dict[str, Any]]

    def ids(self) -> set[str]:
        """Every article id in the generation."""
        return {i for entry in self.files.values() for i in entry["ids"]}

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {"version": 1, "files": self.files}


def _read_manifest(path: Path) -> Manifest:
    try:
        data = json.loads((path / MANIFEST).read_text("utf-8"))
        return Manifest(files=data["files"])
    except (OSError, ValueError, KeyError) as exc:
        raise IndexCorrupt("The live index has no readable manifest: run `search-app build` for a full rebuild.") from exc


def _meta(ix: whoosh_index.Index, generation: str, action: str) -> dict[str, Any]:
    """Counts per city, source and year plus the date range, read back from the index itself."""
    cities: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    dates: list[dt.date] = []
    with ix.searcher() as searcher:
        for fields in searcher.all_stored_fields():
            cities.update(c for c in (fields.get("city") or "").split(",") if c)
            if fields.get("source"):
                sources[fields["source"]] += 1
            if fields.get("date"):
                dates.append(fields["date"].date())
        count = searcher.doc_count()
    return {
        "generation": generation,
        "articles": count,
        "cities": dict(sorted(cities.items())),
        "sources": dict(sorted(sources.items())),
        "date_min": min(dates).isoformat() if dates else None,
        "date_max": max(dates).isoformat() if dates else None,
        "undated": count - len(dates),
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "action": action,
    }


def _finish(ix: whoosh_index.Index, tmp: Path, generation: str, manifest: Manifest, report: BuildReport) -> None:
    meta = _meta(ix, generation, report.action)
    ix.close()
    (tmp / MANIFEST).write_text(json.dumps(manifest.to_json()), "utf-8")
    (tmp / META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    report.total = meta["articles"]
    report.cities = meta["cities"]


# ---------------------------------------------------------------- build and update

def build(
    seeds: Path,
    index_dir: Path,
    *,
    procs: int = 1,
    limitmb: int = 128,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
    _before_switch: Callable[[], None] | None = None,
) -> BuildReport:
    """Rebuild the index from every file under seeds into a new generation, then switch to it."""
    started = time.monotonic()
    with write_lock(index_dir, "build"):
        files, skipped = discover(seeds)
        generation = _new_generation_name()
        report = BuildReport(action="build", generation=generation, skipped=list(skipped))
        tmp = index_dir / f"{TMP_PREFIX}{generation}"
        try:
            _cleanup_tmp_only(index_dir)
            tmp.mkdir()
            ix = whoosh_index.create_in(str(tmp), build_schema())
            writer = _writer(ix, procs, limitmb)
            manifest = Manifest(files={})
            seen: dict[str, str] = {}
            try:
                for number, file in enumerate(files, start=1):
                    ids = _add_file(writer, file, max_bytes, report, seen, None)
                    if ids is not None:
                        manifest.files[file.rel] = ids
                    if progress:
                        progress(number, len(files))
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
            report.indexed = report.added
            _finish(ix, tmp, generation, manifest, report)
            if _before_switch:
                _before_switch()
            _switch(index_dir, tmp, generation)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise BuildFailed(f"The build failed ({exc.strerror or exc}); the previous index is still serving.") from exc
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _cleanup(index_dir, generation)
    report.elapsed_s = time.monotonic() - started
    return report


def _cleanup_tmp_only(index_dir: Path) -> None:
    for entry in index_dir.iterdir():
        if entry.name.startswith(TMP_PREFIX) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def _add_file(
    writer: Any,
    file: SeedFile,
    max_bytes: int,
    report: BuildReport,
    seen: dict[str, str],
    data: bytes | None,
) -> dict[str, Any] | None:
    """Index one file's articles; return its manifest entry, or None when it gave nothing at all."""
    try:
        if data is None:
            data = read_bytes(file.path, max_bytes)
    except SkipFile as skip:
        report.skipped.append(Skipped(file.rel, skip.reason))
        return None
    ids: list[str] = []
    for item in parse_file(file, max_bytes, data=data):
        if isinstance(item, Skipped):
            report.skipped.append(item)
            continue
        if item.id in seen:
            report.skipped.append(Skipped(item.path, f"duplicate id {item.id!r} (already used by {seen[item.id]})"))
            continue
        seen[item.id] = item.path
        writer.add_document(**to_document(item))
        ids.append(item.id)
        report.added += 1
    return {"hash": content_hash(data), "ids": ids}


def update(
    seeds: Path,
    index_dir: Path,
    *,
    limitmb: int = 128,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
) -> BuildReport:
    """Apply added, changed and deleted files to a copy of the live generation, then switch to it."""
    started = time.monotonic()
    with write_lock(index_dir, "update"):
        live = current_generation(index_dir)
        old = _read_manifest(index_dir / live)
        files, skipped = discover(seeds)
        generation = _new_generation_name()
        report = BuildReport(action="update", generation=generation, skipped=list(skipped))
        tmp = index_dir / f"{TMP_PREFIX}{generation}"
        try:
            _cleanup_tmp_only(index_dir)
            _link_copy(index_dir / live, tmp)
            ix = whoosh_index.open_dir(str(tmp))
            writer = ix.writer(limitmb=limitmb)
            manifest = Manifest(files={})
            seen = {i: rel for rel, entry in old.files.items() for i in entry["ids"]}
            try:
                present = {f.rel for f in files}
                for rel in sorted(set(old.files) - present):  # files deleted from the seeds folder
                    for article_id in old.files[rel]["ids"]:
                        writer.delete_by_term("id", article_id)
                        seen.pop(article_id, None)
                        report.removed += 1
                for number, file in enumerate(files, start=1):
                    _update_file(writer, file, old, manifest, max_bytes, report, seen)
                    if progress:
                        progress(number, len(files))
                if not (report.added or report.changed or report.removed):
                    writer.cancel()  # nothing changed: the live generation stays
                    ix.close()
                    shutil.rmtree(tmp, ignore_errors=True)
                    report.generation, report.total = live, len(old.ids())
                    report.cities = read_meta(index_dir, live).get("cities", {})
                    report.elapsed_s = time.monotonic() - started
                    return report
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
            report.indexed = report.added + report.changed
            _finish(ix, tmp, generation, manifest, report)
            _switch(index_dir, tmp, generation)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise BuildFailed(f"The update failed ({exc.strerror or exc}); the previous index is still serving.") from exc
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _cleanup(index_dir, generation)
    report.elapsed_s = time.monotonic() - started
    return report


def _update_file(
    writer: Any,
    file: SeedFile,
    old: Manifest,
    manifest: Manifest,
    max_bytes: int,
    report: BuildReport,
    seen: dict[str, str],
) -> None:
    """Bring one file's articles up to date: skip if its bytes are unchanged, else re-index them."""
    previous = old.files.get(file.rel)
    try:
        data = read_bytes(file.path, max_bytes)
    except SkipFile as skip:
        report.skipped.append(Skipped(file.rel, skip.reason))
        if previous:  # an unreadable file keeps its last good articles rather than losing them
            manifest.files[file.rel] = previous
            report.unchanged += len(previous["ids"])
        return
    if previous and previous["hash"] == content_hash(data):
        manifest.files[file.rel] = previous
        report.unchanged += len(previous["ids"])
        return
    old_ids = set(previous["ids"]) if previous else set()
    for article_id in old_ids:
        writer.delete_by_term("id", article_id)
        seen.pop(article_id, None)
    before = report.added
    entry = _add_file(writer, file, max_bytes, report, seen, data)
    new_ids = set(entry["ids"]) if entry else set()
    # _add_file counted every article as added; re-indexed ids are changes, vanished ones removals.
    report.added = before + len(new_ids - old_ids)
    report.changed += len(new_ids & old_ids)
    report.removed += len(old_ids - new_ids)
    if entry is not None:
        manifest.files[file.rel] = entry


def _link_copy(source: Path, target: Path) -> None:
    """Copy a generation by hard links: Whoosh never rewrites a file, it only adds and deletes."""
    target.mkdir()
    for entry in source.iterdir():
        if entry.is_file():
            try:
                os.link(entry, target / entry.name)
            except OSError:
                shutil.copy2(entry, target / entry.name)
