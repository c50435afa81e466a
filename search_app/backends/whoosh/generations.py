"""Index generations on disk: the live one (CURRENT), the write lock, staging, the atomic switch, cleanup.

Layout of an index folder:
    CURRENT          name of the live generation (replaced atomically)
    .lock            flock held by the one build or update allowed at a time
    g-<stamp>/       a complete Whoosh index plus manifest.json and meta.json
    .tmp-g-<stamp>/  a generation being written; never read, removed by the next writer

What goes into a generation (a build, an update) is indexer.py's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from whoosh import index as whoosh_index

from search_app.backends.whoosh.forks import FORKS
from search_app.backends.whoosh.schema import INDEX_FORMAT
from search_app.errors import BuildFailed, BuildLocked, ConfigError, IndexCorrupt, IndexMissing, SearchAppError
from search_app.ingest.changes import Held

CURRENT = "CURRENT"
LOCK = ".lock"
TMP_PREFIX = ".tmp-"
GEN_PREFIX = "g-"
MANIFEST = "manifest.json"
META = "meta.json"
VOCABULARY = "vocabulary.json"
DOCVALUES = "docvalues.npz"  # per-document arrays (docvalues.py)
OWN_FILES = (MANIFEST, META, VOCABULARY, DOCVALUES)
KEEP_PREVIOUS = 1  # generations kept besides the live one, for searchers still reading them


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
        if _changed_after(dirpath, built) or any(_changed_after(os.path.join(dirpath, f), built) for f in files):
            return True
    return False


def _changed_after(path: str, built: float) -> bool:
    """True when path (what a link leads to; the link itself when it leads nowhere) changed after built.

    What cannot be looked at (a link to nowhere, a folder without search permission) is passed over,
    as the build passes over it: its appearing changed the mtime of the folder that holds it.
    """
    for follow in (True, False):
        try:
            return os.stat(path, follow_symlinks=follow).st_mtime > built
        except OSError:
            continue
    return False


def index_stats(index_dir: Path) -> dict[str, Any]:
    """Articles, counts per city and source, date range, size on disk, build time of the live index."""
    generation = current_generation(index_dir)
    meta = read_meta(index_dir, generation)
    size = sum(f.stat().st_size for f in (index_dir / generation).iterdir() if f.is_file())
    return {**meta, "generation": generation, "size_bytes": size}


def _not_a_folder(index_dir: Path) -> str:
    return (f"The index path {str(index_dir)!r} is not a folder (or lies under a file): "
            "pass --index DIR with a folder.")


def make_index_folder(index_dir: Path) -> None:
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
    make_index_folder(index_dir)
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


def new_generation_name() -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    return f"{GEN_PREFIX}{stamp}-{secrets.token_hex(3)}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def switch(index_dir: Path, tmp: Path, generation: str) -> None:
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


def cleanup(index_dir: Path, live: str) -> None:
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


@dataclass
class Manifest:
    """Per file: the hash of its bytes and the ids of the articles it gave."""

    files: dict[str, Held]  # rel -> {"hash", "ids", "stamp"}: what an update's plan reads as it is

    def ids(self) -> set[str]:
        """Every article id in the generation."""
        return {i for entry in self.files.values() for i in entry["ids"]}

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {"version": 1, "files": self.files}


def write_manifest(path: Path, manifest: Manifest) -> None:
    """Store a generation's manifest (orjson: 170 MB at a million files, written 10x faster than by json)."""
    (path / MANIFEST).write_bytes(orjson.dumps(manifest.to_json()))


def read_manifest(path: Path) -> Manifest:
    try:
        data = orjson.loads((path / MANIFEST).read_bytes())  # 3x faster than json (with the collector held off)
        return Manifest(files=data["files"])
    except (OSError, ValueError, KeyError) as exc:
        raise IndexCorrupt("The live index has no readable manifest: run `search-app build` for a full rebuild.") from exc


@contextlib.contextmanager
def staging(index_dir: Path, generation: str, action: str) -> Iterator[Path]:
    """The temporary folder of a new generation: removed if anything fails, disk errors reported plainly."""
    tmp = index_dir / f"{TMP_PREFIX}{generation}"
    try:
        cleanup_tmp_only(index_dir)
        yield tmp
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise BuildFailed(f"The {action} failed ({exc.strerror or exc}); the previous index is still serving.") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def cleanup_tmp_only(index_dir: Path) -> None:
    for entry in index_dir.iterdir():
        if entry.name.startswith(TMP_PREFIX) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def link_copy(source: Path, target: Path) -> None:
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
