"""Finding and reading article files under a seeds folder, by rules that keep reads inside it.

Subfolders are read; hidden, linked-out and oddly named entries are refused with a reason; a
file is read without following links, within a size limit, and refused if it changes meanwhile.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from search_app.errors import SeedsMissing
from search_app.ingest.webpage import SUFFIXES as PAGE_SUFFIXES
from search_app.models import Skipped

TEXT_SUFFIXES = {".txt", ".text"}
JSON_SUFFIXES = {".json", ".jsonl"}
SUFFIXES = TEXT_SUFFIXES | JSON_SUFFIXES | PAGE_SUFFIXES
DEFAULT_MAX_BYTES = 5 * 1024 * 1024


class SeedFile(NamedTuple):
    """A candidate file found under the seeds folder (a named tuple: a million are made in a second)."""

    where: str  # the path as found (inside the seeds folder); a string, as a million Path objects cost seconds
    rel: str  # posix path relative to the seeds folder
    real: Path | None = None  # what to open, when path is a symlink to another file inside the folder
    root: Path | None = None  # the resolved seeds folder: what is read must really be inside it

    @property
    def path(self) -> Path:
        """The path as found."""
        return Path(self.where)

    @property
    def source(self) -> str | Path:
        """The file to read: never a symlink, so a link swapped in after discovery is refused."""
        return self.real or self.where


@dataclass(frozen=True)
class Unreadable(Skipped):
    """An entry the walk could not look into (a folder it cannot list, a link it cannot follow).

    What it holds is unknown, not gone: an update keeps the articles indexed from it.
    """


def unreadable_paths(skipped: Iterable[Skipped]) -> list[str]:
    """The entries (relative to the seeds folder, "." for itself) a walk could not look into, from its skips."""
    return [skip.path for skip in skipped if isinstance(skip, Unreadable)]


class SkipFile(Exception):
    """Raised inside the ingester for a file that cannot become an article."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_seeds(seeds: Path) -> None:
    """Refuse, with what to do, a seeds path that is missing, out of reach or not a folder (before anything is created)."""
    try:
        if stat.S_ISDIR(os.stat(seeds).st_mode):
            return
    except OSError as exc:
        if exc.errno not in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):  # there, but this user may not look
            raise SeedsMissing(f"Seeds folder {str(seeds)!r} cannot be reached ({exc.strerror or exc}): give this user "
                               "access to it and the folders above it, or pass --seeds DIR.") from None
    if os.path.lexists(seeds):
        raise SeedsMissing(f"Seeds folder {str(seeds)!r} is not a folder: pass --seeds DIR with the folder of article files.")
    raise SeedsMissing(f"Seeds folder {str(seeds)!r} does not exist: create it or pass --seeds DIR.")


def discover(seeds: Path) -> tuple[list[SeedFile], list[Skipped]]:
    """All article files under seeds (subfolders too), sorted; odd entries reported as skipped."""
    check_seeds(seeds)
    return _walk(seeds, seeds, seeds.resolve())


def _walk(top: Path, seeds: Path, root: Path) -> tuple[list[SeedFile], list[Skipped]]:
    """The article files under top (a folder inside seeds, or seeds itself), judged by the build's rules.

    Folders are read depth first in name order, each folder's files before its subfolders (as
    os.walk does); scandir's entries say whether they are links without another system call,
    which matters at 100,000 files.
    """
    files: list[SeedFile] = []
    skipped: list[Skipped] = []
    prefix = _rel(top, seeds)
    stack = [(str(top), "" if prefix == "." else prefix + "/")]
    while stack:
        folder, rel_folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            skipped.append(Unreadable(rel_folder.rstrip("/") or ".", f"unreadable folder: {exc.strerror or exc}"))
            continue
        subfolders = []
        for entry in entries:
            rel = rel_folder + entry.name
            link = entry.is_symlink()
            if not link and entry.is_dir(follow_symlinks=False):
                refusal = refuse_folder(Path(entry.path), is_link=False)
                if refusal:
                    skipped.append(Skipped(rel, refusal))
                else:
                    subfolders.append((entry.path, rel + "/"))
            elif link and os.path.isdir(entry.path):
                skipped.append(Skipped(rel, "symlinked folder not followed"))
            elif not link and _plain_article_name(entry.name):  # the common case, decided without more calls
                files.append(SeedFile(entry.path, rel, None, root))
            else:
                found = seed_file(entry.path, rel, root, is_link=link)
                (files if isinstance(found, SeedFile) else skipped).append(found)  # type: ignore[arg-type]
        stack.extend(reversed(subfolders))
    return files, skipped


def _plain_article_name(name: str) -> bool:
    """True for the name of an article file: not hidden, with an article suffix as pathlib reads it (the rule
    refuse_name() gives reasons for; the folder walk asks it alone, a million times at scale)."""
    dot = name.rfind(".")
    return 0 < dot < len(name) - 1 and name[0] != "." and name[dot:].lower() in SUFFIXES


def refuse_folder(path: Path, is_link: bool | None = None) -> str | None:
    """Why a subfolder of the seeds folder is not read (a symlink, hidden, named like an article); None if it is."""
    if path.is_symlink() if is_link is None else is_link:
        return "symlinked folder not followed"
    if path.name.startswith("."):
        return "hidden folder not read"
    if path.suffix.lower() in SUFFIXES:
        return "folder named like an article file; its contents are not read"
    return None


def seed_file(path: str | Path, rel: str, root: Path, is_link: bool | None = None) -> SeedFile | Skipped:
    """A file under the resolved seeds folder root as the build reads it, or why it is not read."""
    refusal = refuse_name(path)
    if refusal:
        return Skipped(rel, refusal)
    real = None
    if os.path.islink(path) if is_link is None else is_link:
        try:
            real = Path(path).resolve(strict=True)
        except RuntimeError:  # a symlink loop, as Python before 3.13 says it
            return Skipped(rel, "unreadable: Too many levels of symbolic links")
        except OSError as exc:
            reason = f"unreadable: {exc.strerror or exc}"
            if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):  # it leads nowhere
                return Skipped(rel, reason)
            return Unreadable(rel, reason)  # a folder on its way cannot be searched: where it leads is unknown
        if not real.is_relative_to(root):
            return Skipped(rel, "symlink to a file outside the seeds folder")
    return SeedFile(str(path), rel, real, root)


def refuse_name(path: str | Path) -> str | None:
    """Why a file is not read, judging by its name alone (hidden, unsupported type); None if it is."""
    name = path.rpartition(os.sep)[2] if isinstance(path, str) else path.name
    if _plain_article_name(name):
        return None
    if name.startswith("."):
        return "hidden file"
    dot = name.rfind(".")
    suffix = name[dot:] if 0 < dot < len(name) - 1 else ""  # as pathlib: none for "a." (or ".a", hidden above)
    return f"unsupported file type {repr(suffix) if suffix else '(no extension)'}; use .txt, .json, .jsonl, .html or .htm"


def _rel(path: Path, seeds: Path) -> str:
    return path.relative_to(seeds).as_posix()


SETTLE_NS = 2 * 10**9  # a file changed this recently may change again within the same clock tick


def settle_cutoff() -> int:
    """The time (ns) before which a file's last change counts as settled: now less SETTLE_NS."""
    return time.time_ns() - SETTLE_NS


def file_stamp(file: SeedFile, cutoff: int | None = None) -> list[int] | None:
    """Size, change times and inode of a file, taken before reading it; None while it may still be changing.

    An update trusts an unchanged stamp instead of reading and hashing the file again (as git does):
    any write changes the ctime, which no tool can set back. A file changed in the last moments
    gets no stamp, so a second write within the same clock tick is still caught by its hash.
    cutoff: settle_cutoff() taken once by a caller that stamps many files in one pass.
    """
    try:
        st = os.stat(file.source, follow_symlinks=False)
    except OSError:
        return None
    if cutoff is None:
        cutoff = settle_cutoff()
    if st.st_mtime_ns > cutoff or st.st_ctime_ns > cutoff:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def read_file(file: SeedFile, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read a discovered file's bytes, refusing anything that is not, once opened, inside its seeds folder."""
    return read_bytes(file.source, max_bytes, file.root)


def _opened_inside(fd: int, root: Path) -> bool:
    """True when an open file really lies under root (a parent folder may have become a symlink)."""
    try:
        where = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # no /proc (not Linux): only the last part of the path is guarded, by O_NOFOLLOW
        return True
    top = str(root)
    return where == top or where.startswith(top.rstrip(os.sep) + os.sep)


def read_bytes(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES, root: Path | None = None) -> bytes:
    """Read a regular file's bytes; refuse symlinks, non-files, oversize files and files that change while read.

    With root (the resolved seeds folder), a file that is not really under it once opened is refused:
    O_NOFOLLOW guards only the last part of a path, not a parent folder swapped for a symlink."""
    try:
        # O_NOFOLLOW: a file swapped for a symlink after discovery is refused, not followed;
        # O_NONBLOCK: a FIFO named like an article cannot hang the build.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise SkipFile(f"unreadable: {exc.strerror or exc}") from exc
    try:
        if root is not None and not _opened_inside(fd, root):
            raise SkipFile("outside the seeds folder once opened (a folder was replaced by a symlink); not read")
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            raise SkipFile("not a regular file")
        if before.st_size > max_bytes:
            raise SkipFile(f"file too large ({before.st_size} bytes; the limit is {max_bytes})")
        with open(fd, "rb", closefd=False) as handle:
            data = handle.read(max_bytes + 1)
        after = os.fstat(fd)
    except OSError as exc:
        raise SkipFile(f"unreadable: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise SkipFile(f"file too large (over {max_bytes} bytes)")
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or len(data) != after.st_size:
        raise SkipFile("file changed while being read; run the build again")
    return data


def _placed(path: Path, seeds: Path | None) -> tuple[Path, str]:
    """The folder that plays the seeds folder for path, and path relative to it ('' for the folder itself)."""
    target = Path(os.path.abspath(path))  # not resolved: a link stays a link, to be judged like the build does
    if seeds is not None and seeds.is_dir():
        for base in (Path(os.path.abspath(seeds)), seeds.resolve()):
            if target.is_relative_to(base):
                rel = target.relative_to(base).as_posix()
                return base, "" if rel == "." else rel
    if target.is_dir() and not target.is_symlink():
        return target, ""
    return target.parent, target.name


def _refused_on_the_way(folder: Path, rel: str) -> Skipped | None:
    """The first folder between folder and folder/rel (rel itself too, when a folder) that a build would not enter."""
    parts = rel.split("/") if rel else []
    for depth in range(1, len(parts) + 1):
        current = folder.joinpath(*parts[:depth])
        if depth == len(parts) and not current.is_dir():
            break
        refusal = refuse_folder(current)
        if refusal:
            return Skipped("/".join(parts[:depth]), refusal)
    return None


def files_at(paths: Iterable[Path], seeds: Path | None = None) -> tuple[list[SeedFile], list[Skipped]]:
    """The article files at the given paths (files or folders), judged as a build of their seeds folder judges them.

    A path inside the seeds folder is judged as a build of that folder judges it (links out of it,
    and linked, hidden or article-named folders on the way, are refused); a path elsewhere is
    judged as if its folder (or itself, for a folder) were the seeds folder.
    """
    files: list[SeedFile] = []
    skipped: list[Skipped] = []
    for path in paths:
        if not os.path.lexists(path):
            skipped.append(Skipped(str(path), "no such file"))
            continue
        folder, rel = _placed(path, seeds)
        root = folder.resolve()
        full = folder / rel if rel else folder
        refused = _refused_on_the_way(folder, rel)
        if refused:
            skipped.append(refused)
        elif not rel or full.is_dir():
            found, skips = _walk(full, folder, root)
            files.extend(found)
            skipped.extend(skips)
        else:
            item = seed_file(full, rel, root)
            (files if isinstance(item, SeedFile) else skipped).append(item)  # type: ignore[arg-type]
    return files, skipped
