"""Index generations on disk: the write lock, atomic full builds, incremental updates, cleanup.

Layout of an index folder:
    CURRENT          name of the live generation (replaced atomically)
    .lock            flock held by the one build or update allowed at a time
    g-<stamp>/       a complete Whoosh index plus manifest.json and meta.json
    .tmp-g-<stamp>/  a generation being written; never read, removed by the next writer
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import secrets
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from search_app.backends.whoosh.buildpool import (
    COMPOUND,
    ChunkResult,
    add_file,
    article_words,
    index_parallel,
)
from search_app.backends.whoosh.flat import write_missing as write_flat_missing
from search_app.backends.whoosh.forks import FORKS
from search_app.backends.whoosh.schema import INDEX_FORMAT, build_schema, from_stored, to_document
from search_app.errors import BuildFailed, BuildLocked, ConfigError, IndexCorrupt, IndexMissing, SearchAppError, UpdateRefused
from search_app.ingest.changes import Held, UpdatePlan
from search_app.ingest.dates import AMBIGUOUS, learn_conventions
from search_app.ingest.files import DEFAULT_MAX_BYTES, SeedFile, check_seeds, discover
from search_app.ingest.records import apply_convention
from search_app.models import BuildReport
from search_app.query.contract import EPOCH, UNDATED_KEY

CURRENT = "CURRENT"
LOCK = ".lock"
TMP_PREFIX = ".tmp-"
GEN_PREFIX = "g-"
MANIFEST = "manifest.json"
META = "meta.json"
VOCABULARY = "vocabulary.json"
OWN_FILES = (MANIFEST, META, VOCABULARY)
PARALLEL_MIN_FILES = 200  # below this, starting worker processes costs more than it saves
KEEP_PREVIOUS = 1  # generations kept besides the live one, for searchers still reading them

Progress = Callable[[int, int], None]


# ---------------------------------------------------------------- reading the live generation

def current_generation(index_dir: Path) -> str:
    """Name of the live generation, or IndexMissing with the command to run."""
    try:
        name = (index_dir / CURRENT).read_text("utf-8").strip()
    except FileNotFoundError:
        raise IndexMissing(f"No index in {str(index_dir)!r}: run `search-app build` first.") from None
    except NotADirectoryError:
        raise IndexMissing(_not_a_folder(index_dir)) from None
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


def is_current_format(index_dir: Path, generation: str) -> bool:
    """True when the generation was built with this version's analysis and fields (INDEX_FORMAT)."""
    return read_meta(index_dir, generation).get("format") == INDEX_FORMAT


def is_stale(index_dir: Path, seeds: Path) -> bool:
    """True when there is no index, it is of an older format, or some seed file changed after it was built."""
    try:
        generation = current_generation(index_dir)
        if not is_current_format(index_dir, generation):  # built by an older version: rebuild
            return True
    except SearchAppError:
        return True
    built = (index_dir / generation).stat().st_mtime
    for dirpath, _dirs, files in os.walk(seeds):
        if os.stat(dirpath).st_mtime > built:
            return True
        if any(os.stat(os.path.join(dirpath, f)).st_mtime > built for f in files):
            return True
    return False


def index_stats(index_dir: Path) -> dict[str, Any]:
    """Articles, counts per city and source, date range, size on disk, build time of the live index."""
    generation = current_generation(index_dir)
    meta = read_meta(index_dir, generation)
    size = sum(f.stat().st_size for f in (index_dir / generation).iterdir() if f.is_file())
    return {**meta, "generation": generation, "size_bytes": size}


# ---------------------------------------------------------------- the write lock

def _not_a_folder(index_dir: Path) -> str:
    return (f"The index path {str(index_dir)!r} is not a folder (or lies under a file): "
            "pass --index DIR with a folder.")


def _make_index_folder(index_dir: Path) -> None:
    """Create the index folder if missing; a path that is a file (or lies under one) is a ConfigError."""
    if os.path.lexists(index_dir) and not index_dir.is_dir():
        raise ConfigError(_not_a_folder(index_dir))
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):  # a file on the way, or one created meanwhile
        raise ConfigError(_not_a_folder(index_dir)) from None
    except OSError as exc:
        raise BuildFailed(f"Cannot create the index folder {str(index_dir)!r} ({exc.strerror}): "
                          "pass --index DIR with a folder you can write to.") from exc


@contextlib.contextmanager
def write_lock(index_dir: Path, action: str) -> Iterator[None]:
    """Hold the index's exclusive write lock, or refuse at once with BuildLocked."""
    _make_index_folder(index_dir)
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
        FORKS.hold_lock(fd)
        yield
    finally:
        FORKS.release_lock(fd)
        os.close(fd)  # closing the descriptor releases the flock, as a crash does


# ---------------------------------------------------------------- generations

def _new_generation_name() -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
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
    try:
        with open(pointer, "w", encoding="utf-8") as handle:
            handle.write(generation + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(pointer, index_dir / CURRENT)
    except BaseException:
        # Not switched: the published folder would be an orphan newer than the live generation.
        shutil.rmtree(final, ignore_errors=True)
        pointer.unlink(missing_ok=True)
        raise
    _fsync_dir(index_dir)


def _cleanup(index_dir: Path, live: str) -> None:
    """Remove temporary folders of dead builds, generations newer than the live one, and old ones beyond the kept."""
    for entry in index_dir.iterdir():
        if entry.name.startswith(TMP_PREFIX) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(TMP_PREFIX):
            entry.unlink(missing_ok=True)
    others = [e for e in index_dir.iterdir() if e.name.startswith(GEN_PREFIX) and e.is_dir() and e.name != live]
    # Names sort by creation time: a newer one was never switched to (a crash between rename and switch).
    older = sorted((e for e in others if e.name < live), key=lambda e: e.name, reverse=True)
    for stale in [e for e in others if e.name > live] + older[KEEP_PREVIOUS:]:
        shutil.rmtree(stale, ignore_errors=True)


# ---------------------------------------------------------------- manifest

@dataclass
class Manifest:
    """Per file: the hash of its bytes and the ids of the articles it gave."""

    files: dict[str, dict[str, Any]]

    def ids(self) -> set[str]:
        """Every article id in the generation."""
        return {i for entry in self.files.values() for i in entry["ids"]}

    def held(self) -> dict[str, Held]:
        """Per file, what the generation holds, for an update's plan."""
        return {rel: Held(ids=e["ids"], hash=e["hash"], stamp=e.get("stamp")) for rel, e in self.files.items()}

    @staticmethod
    def entry(held: Held) -> dict[str, Any]:
        """A manifest entry for a file an update kept."""
        return {"hash": held.hash, "ids": held.ids, "stamp": held.stamp}

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {"version": 1, "files": self.files}


def _read_manifest(path: Path) -> Manifest:
    try:
        data = json.loads((path / MANIFEST).read_text("utf-8"))
        return Manifest(files=data["files"])
    except (OSError, ValueError, KeyError) as exc:
        raise IndexCorrupt("The live index has no readable manifest: run `search-app build` for a full rebuild.") from exc


def _live_counts(reader: Any, fieldname: str, deleted: list[int]) -> dict[str, int]:
    """Live articles per value of a facet field: each term's document frequency less its deleted documents.

    A term's frequency comes from its term info (no postings read); an update leaves only its few
    replaced documents deleted, whose stored values say which counts to lower.
    """
    if fieldname not in reader.indexed_field_names():
        return {}
    counts = {term: reader.doc_frequency(fieldname, term) for term in reader.field_terms(fieldname)}
    for docnum in deleted:
        stored = reader.stored_fields(docnum).get(fieldname)
        for value in (stored.split(",") if isinstance(stored, str) and fieldname == "city" else [stored]):
            if value in counts:
                counts[value] -= 1
    return {term: n for term, n in counts.items() if n > 0}


def _meta(ix: whoosh_index.Index, generation: str, action: str, learned: dict[str, Any]) -> dict[str, Any]:
    """Counts per city, source, year and dating rule plus the date range, from the index's postings and sort column.

    learned: what the build learned of the seeds folder (its path, its sources' date conventions).
    """
    with ix.searcher() as searcher:
        reader = searcher.reader()
        live = set(reader.all_doc_ids()) if reader.has_deletions() else None
        deleted = [i for i in range(reader.doc_count_all()) if i not in live] if live is not None else []
        counts = {name: _live_counts(reader, name, deleted) for name in ("city", "source", "dated_by")}
        gone = set(deleted)
        days = [d for i, d in enumerate(reader.column_reader("sort_oldest")) if d <= UNDATED_KEY and i not in gone] \
            if reader.has_column("sort_oldest") else []
        count = searcher.doc_count()
    first = (EPOCH + dt.timedelta(days=min(days))).isoformat() if days else None
    last = (EPOCH + dt.timedelta(days=max(days))).isoformat() if days else None
    return {
        "generation": generation,
        "articles": count,
        "cities": dict(sorted(counts["city"].items())),
        "sources": dict(sorted(counts["source"].items())),
        "date_min": first,
        "date_max": last,
        "undated": count - len(days),
        # Per rule, the ambiguous (left undated) included; "no date" for the rest: the counts add up to the total.
        "dates": {**dict(sorted(counts["dated_by"].items())),
                  "no date": count - len(days) - counts["dated_by"].get(AMBIGUOUS, 0)},
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "action": action,
        "format": INDEX_FORMAT,
        **learned,
    }


def _finish(ix: whoosh_index.Index, tmp: Path, generation: str, manifest: Manifest, report: BuildReport,
            vocabulary: Counter[str], learned: dict[str, Any]) -> None:
    write_flat_missing(tmp, ix)  # serial builds, updates and merges: segments the workers did not cover
    meta = _meta(ix, generation, report.action, learned)
    ix.close()
    (tmp / MANIFEST).write_text(json.dumps(manifest.to_json()), "utf-8")
    (tmp / VOCABULARY).write_text(json.dumps({w: n for w, n in vocabulary.items() if n > 0}), "utf-8")
    (tmp / META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    report.total = meta["articles"]
    report.cities = meta["cities"]
    report.dates = meta["dates"]


def _settle_by_convention(ix: whoosh_index.Index, result: ChunkResult, conventions: dict[str, str]) -> int:
    """Date the articles left ambiguous by the order their source writes dates in; how many were settled.

    Conventions are known only once every file has been read, so these few articles are written
    again, from their stored fields, after the first pass.
    """
    settle = {i: (style, numbers) for i, (key, style, numbers) in result.undecided.items() if key in conventions}
    if not settle:
        return 0
    writer = ix.writer(limitmb=64, compound=COMPOUND)
    try:
        with ix.searcher() as searcher:
            for article_id, (style, numbers) in sorted(settle.items()):
                fields = searcher.document(id=article_id)
                if fields is None:
                    continue
                # The stored record lacks the date's style and numbers (not indexed): given back, the
                # same rule as an update's settles it.
                stored = replace(from_stored(fields), date_style=style, date_numbers=numbers)
                writer.delete_by_term("id", article_id)
                writer.add_document(**to_document(apply_convention(stored, conventions)))
        writer.commit()
    except BaseException:
        _cancel(writer)
        raise
    return len(settle)


def _learned(seeds: Path, conventions: dict[str, str], generation: str) -> dict[str, Any]:
    """What a build records of its seeds folder: where it is, and its sources' date conventions."""
    return {"seeds": str(seeds.resolve()), "date_conventions": conventions, "conventions_from": generation}


# ---------------------------------------------------------------- build and update

def build(
    seeds: Path,
    index_dir: Path,
    *,
    procs: int = 1,
    limitmb: int = 256,  # per writer process: a bigger pool means fewer sort runs to merge
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
    _before_switch: Callable[[], None] | None = None,
) -> BuildReport:
    """Rebuild the index from every file under seeds into a new generation, then switch to it."""
    started = time.monotonic()
    check_seeds(seeds)  # bad arguments leave nothing behind: checked before the folder and its lock exist
    with write_lock(index_dir, "build"):
        files, skipped = discover(seeds)
        generation = _new_generation_name()
        report = BuildReport(action="build", generation=generation, skipped=list(skipped))
        with _staging(index_dir, generation, "build") as tmp:
            tmp.mkdir()
            ix = whoosh_index.create_in(str(tmp), build_schema())
            if procs > 1 and len(files) >= PARALLEL_MIN_FILES:
                result = index_parallel(tmp, files, procs, limitmb, max_bytes, progress)
            else:
                result = _index_serial(ix, files, limitmb, max_bytes, progress)
            report.skipped.extend(result.skipped)
            report.added = report.indexed = result.added
            conventions = learn_conventions(result.date_orders)
            _settle_by_convention(ix, result, conventions)
            _finish(ix, tmp, generation, Manifest(files=result.files), report, result.vocabulary,
                    _learned(seeds, conventions, generation))
            if _before_switch:
                _before_switch()
            _switch(index_dir, tmp, generation)
        _cleanup(index_dir, generation)
    report.elapsed_s = time.monotonic() - started
    return report


@contextlib.contextmanager
def _staging(index_dir: Path, generation: str, action: str) -> Iterator[Path]:
    """The temporary folder of a new generation: removed if anything fails, disk errors reported plainly."""
    tmp = index_dir / f"{TMP_PREFIX}{generation}"
    try:
        _cleanup_tmp_only(index_dir)
        yield tmp
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise BuildFailed(f"The {action} failed ({exc.strerror or exc}); the previous index is still serving.") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _cleanup_tmp_only(index_dir: Path) -> None:
    for entry in index_dir.iterdir():
        if entry.name.startswith(TMP_PREFIX) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def _index_serial(ix: whoosh_index.Index, files: list[SeedFile], limitmb: int, max_bytes: int,
                  progress: Progress | None) -> ChunkResult:
    """Index files in this process with one writer."""
    writer = ix.writer(limitmb=limitmb, compound=COMPOUND)
    result = ChunkResult()
    try:
        for number, file in enumerate(files, start=1):
            add_file(writer, file, max_bytes, result)
            if progress:
                progress(number, len(files))
        writer.commit()
    except BaseException:
        _cancel(writer)
        raise
    return result


def _cancel(writer: Any) -> None:
    """Abandon a writer without letting a second failure (say, a full disk) hide the first."""
    try:
        writer.cancel()
    except Exception:
        pass


def update(
    seeds: Path,
    index_dir: Path,
    *,
    limitmb: int = 256,  # per writer process: a bigger pool means fewer sort runs to merge
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
    allow_mass_removal: bool = False,
) -> BuildReport:
    """Apply added, changed and deleted files to a copy of the live generation, then switch to it.

    Refused (UpdateRefused, nothing changed) when seeds is not the folder the index was built
    from, when it holds no article file at all, or when the update would remove more than half
    of the index (and more than MASS_REMOVAL articles) unless allow_mass_removal.
    """
    started = time.monotonic()
    check_seeds(seeds)  # bad arguments leave nothing behind: checked before the lock file is created
    current_generation(index_dir)
    with write_lock(index_dir, "update"):
        live = current_generation(index_dir)
        if not is_current_format(index_dir, live):
            raise BuildFailed(f"The index in {index_dir} was built by an older version of search-app and cannot be "
                              "updated: run `search-app build` to rebuild it (the old index keeps serving meanwhile).")
        old = _read_manifest(index_dir / live)
        live_meta = read_meta(index_dir, live)
        _check_same_folder(live_meta, seeds, index_dir)
        files, skipped = discover(seeds)
        report = BuildReport(action="update", generation="", skipped=list(skipped))
        plan = UpdatePlan(old.held(), files, seeds, report, allow_mass_removal)
        conventions: dict[str, str] = live_meta.get("date_conventions") or {}
        learned: dict[str, Any] = {key: live_meta[key] for key in ("seeds", "date_conventions", "conventions_from")
                                   if key in live_meta}
        generation = report.generation = _new_generation_name()
        with _staging(index_dir, generation, "update") as tmp:
            _link_copy(index_dir / live, tmp)
            ix = whoosh_index.open_dir(str(tmp))
            writer = ix.writer(limitmb=limitmb, compound=COMPOUND)
            change = _Change(result=ChunkResult(seen=plan.seen))  # ids are claimed against the whole index
            try:
                change.drop(writer, plan.gone_ids())
                for reread in plan.rereads(max_bytes, progress):
                    change.drop(writer, reread.old_ids)
                    add_file(writer, reread.file, max_bytes, change.result, reread.data, reread.stamp, conventions)
                    plan.settle(reread, change.result.files[reread.file.rel]["ids"])
                if not (report.added or report.changed or report.removed):
                    writer.cancel()  # nothing changed: the live generation stays
                    ix.close()
                    shutil.rmtree(tmp, ignore_errors=True)
                    report.generation, report.total = live, len(old.ids())
                    report.cities = live_meta.get("cities", {})
                    report.dates = live_meta.get("dates", {})
                    report.elapsed_s = time.monotonic() - started
                    return report
                vocabulary = change.vocabulary(ix, index_dir / live)
                writer.commit()
            except BaseException:
                _cancel(writer)
                raise
            entries = {rel: Manifest.entry(held) for rel, held in plan.kept.items()} | change.result.files
            manifest = Manifest(files={f.rel: entries[f.rel] for f in files if f.rel in entries})  # folder order
            report.skipped.extend(change.result.skipped)
            report.indexed = report.added + report.changed
            _finish(ix, tmp, generation, manifest, report, vocabulary, learned)
            _switch(index_dir, tmp, generation)
        _cleanup(index_dir, generation)
    report.elapsed_s = time.monotonic() - started
    return report


def _check_same_folder(live_meta: dict[str, Any], seeds: Path, index_dir: Path) -> None:
    """Refuse an update from another folder than the index was built from: it would read as mass deletion."""
    built_from = live_meta.get("seeds")
    if built_from and Path(built_from) != seeds.resolve():
        raise UpdateRefused(
            f"The index in {index_dir} was built from {built_from}, not {seeds.resolve()}: run `search-app build "
            f"--seeds {seeds}` to rebuild it from the new folder, or `update --seeds {built_from}`. Nothing was changed."
        )


@dataclass
class _Change:
    """An update being written: what was re-indexed, what was dropped (for the vocabulary's counts)."""

    result: ChunkResult
    dropped: list[str] = field(default_factory=list)

    def drop(self, writer: Any, ids: list[str]) -> None:
        """Delete these articles from the index being updated."""
        for article_id in ids:
            writer.delete_by_term("id", article_id)
            self.dropped.append(article_id)

    def vocabulary(self, ix: whoosh_index.Index, live: Path) -> Counter[str]:
        """The live vocabulary minus the words of dropped articles plus those of new ones."""
        try:
            counts: Counter[str] = Counter(json.loads((live / VOCABULARY).read_text("utf-8")))
        except (OSError, ValueError):
            counts = Counter()
        with ix.searcher() as searcher:  # still the old documents: the writer has not committed
            for article_id in self.dropped:
                fields = searcher.document(id=article_id)
                if fields:
                    counts.subtract(article_words(from_stored(fields)))
        counts.update(self.result.vocabulary)
        return counts


def _link_copy(source: Path, target: Path) -> None:
    """Copy a generation's Whoosh files by hard links: Whoosh never rewrites a file, it only adds and deletes.

    Our own JSON files are rewritten by an update and lock files must not be shared, so
    neither is linked: the new generation writes fresh ones.
    """
    target.mkdir()
    for entry in source.iterdir():
        if not entry.is_file() or entry.name in OWN_FILES or entry.name.endswith("WRITELOCK"):
            continue
        try:
            os.link(entry, target / entry.name)
        except OSError:
            shutil.copy2(entry, target / entry.name)
