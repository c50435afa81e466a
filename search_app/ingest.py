"""Article files (text, JSON, JSONL, saved web pages) in a seeds folder to clean Article records.

Every file ends up either as one or more records or in the skipped list with a reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .dates import AMBIGUOUS, CONVENTION, DateReading, by_convention, convention_key, read_date
from .errors import SeedsMissing, UpdateRefused
from .extract import Extracted, extract, normalise_text
from .gazetteer import canonical_city, locate_cities
from .models import Article, Skipped
from .sources import normalise_source
from .textfile import NotText, decode
from .webpage import SUFFIXES as PAGE_SUFFIXES
from .webpage import NoArticle, extract_page, page_text

TEXT_SUFFIXES = {".txt", ".text"}
JSON_SUFFIXES = {".json", ".jsonl"}
SUFFIXES = TEXT_SUFFIXES | JSON_SUFFIXES | PAGE_SUFFIXES
DEFAULT_MAX_BYTES = 5 * 1024 * 1024


@dataclass
class IngestResult:
    """Records and skips from one pass over files."""

    articles: list[Article] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The `search-app inspect` shape."""
        return {"articles": [a.to_json() for a in self.articles], "skipped": [s.to_json() for s in self.skipped]}


@dataclass(frozen=True)
class SeedFile:
    """A candidate file found under the seeds folder."""

    path: Path  # as found (inside the seeds folder)
    rel: str  # posix path relative to the seeds folder
    real: Path | None = None  # what to open, when path is a symlink to another file inside the folder
    root: Path | None = None  # the resolved seeds folder: what is read must really be inside it

    @property
    def source(self) -> Path:
        """The file to read: never a symlink, so a link swapped in after discovery is refused."""
        return self.real or self.path


class SkipFile(Exception):
    """Raised inside the ingester for a file that cannot become an article."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_seeds(seeds: Path) -> None:
    """Refuse, with what to do, a seeds path that is missing or not a folder (before anything is created)."""
    if seeds.is_dir():
        return
    if os.path.lexists(seeds):
        raise SeedsMissing(f"Seeds folder {str(seeds)!r} is not a folder: pass --seeds DIR with the folder of article files.")
    raise SeedsMissing(f"Seeds folder {str(seeds)!r} does not exist: create it or pass --seeds DIR.")


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
            skipped.append(Skipped(rel_folder.rstrip("/") or ".", f"unreadable folder: {exc.strerror or exc}"))
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
            else:
                found = seed_file(Path(entry.path), rel, root, is_link=link)
                (files if isinstance(found, SeedFile) else skipped).append(found)  # type: ignore[arg-type]
        stack.extend(reversed(subfolders))
    return files, skipped


def refuse_folder(path: Path, is_link: bool | None = None) -> str | None:
    """Why a subfolder of the seeds folder is not read (a symlink, hidden, named like an article); None if it is."""
    if path.is_symlink() if is_link is None else is_link:
        return "symlinked folder not followed"
    if path.name.startswith("."):
        return "hidden folder not read"
    if path.suffix.lower() in SUFFIXES:
        return "folder named like an article file; its contents are not read"
    return None


def seed_file(path: Path, rel: str, root: Path, is_link: bool | None = None) -> SeedFile | Skipped:
    """A file under the resolved seeds folder root as the build reads it, or why it is not read."""
    refusal = refuse_name(path)
    if refusal:
        return Skipped(rel, refusal)
    real = None
    if path.is_symlink() if is_link is None else is_link:
        try:
            real = path.resolve(strict=True)
        except FileNotFoundError:
            return Skipped(rel, "unreadable: No such file or directory")
        except (RuntimeError, OSError):  # a symlink loop
            return Skipped(rel, "unreadable: Too many levels of symbolic links")
        if not real.is_relative_to(root):
            return Skipped(rel, "symlink to a file outside the seeds folder")
    return SeedFile(path, rel, real, root)


def refuse_name(path: Path) -> str | None:
    """Why a file is not read, judging by its name alone (hidden, unsupported type); None if it is."""
    if path.name.startswith("."):
        return "hidden file"
    if path.suffix.lower() not in SUFFIXES:
        kind = repr(path.suffix) if path.suffix else "(no extension)"
        return f"unsupported file type {kind}; use .txt, .json, .jsonl, .html or .htm"
    return None


def _rel(path: Path, seeds: Path) -> str:
    return path.relative_to(seeds).as_posix()


def article_id(rel: str) -> str:
    """The id of a file's article: its path relative to the seeds folder, without extension."""
    stem, dot, _ext = rel.rpartition(".")
    return stem if dot and "/" not in _ext else rel


MAX_ID_CHARS = 100
_ID_CHARS = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
ID_RULE = f"an id is up to {MAX_ID_CHARS} letters, digits, '-', '_' or '.', not starting with '.'"


def valid_id(value: str) -> bool:
    """True for an id a JSON record may give itself: up to 100 ASCII letters, digits, '-', '_', '.', no leading '.'."""
    return len(value) <= MAX_ID_CHARS and _ID_CHARS.fullmatch(value) is not None


@dataclass(frozen=True)
class IdReplaced(Skipped):
    """Not a lost article: a JSON record indexed under its file's id because the id it gave is not valid."""


SETTLE_NS = 2 * 10**9  # a file changed this recently may change again within the same clock tick


def file_stamp(file: SeedFile) -> list[int] | None:
    """Size, change times and inode of a file, taken before reading it; None while it may still be changing.

    An update trusts an unchanged stamp instead of reading and hashing the file again (as git does):
    any write changes the ctime, which no tool can set back. A file changed in the last moments
    gets no stamp, so a second write within the same clock tick is still caught by its hash.
    """
    try:
        st = os.stat(file.source, follow_symlinks=False)
    except OSError:
        return None
    if max(st.st_mtime_ns, st.st_ctime_ns) > time.time_ns() - SETTLE_NS:
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


def read_bytes(path: Path, max_bytes: int = DEFAULT_MAX_BYTES, root: Path | None = None) -> bytes:
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


def _text(data: bytes, reader: Callable[[bytes], str] = decode) -> str:
    try:
        return reader(data)
    except NotText as exc:
        raise SkipFile(str(exc)) from None


def content_hash(data: bytes) -> str:
    """Hash identifying an article's source bytes (changes when the file changes)."""
    return hashlib.sha256(data).hexdigest()[:32]


def article_from_text(text: str, *, id: str, path: str, digest: str) -> Article:
    """One Article from the text of a scraped page."""
    return article_from_fields(extract(text), id=id, path=path, digest=digest)


def article_from_page(markup: str, *, id: str, path: str, digest: str) -> Article:
    """One Article from a saved web page's markup."""
    try:
        fields = extract_page(markup)
    except NoArticle as exc:
        raise SkipFile(str(exc)) from None
    return article_from_fields(fields, id=id, path=path, digest=digest)


def article_from_fields(fields: Extracted, *, id: str, path: str, digest: str) -> Article:
    """One Article from the fields extraction found; a file with neither headline nor text is skipped."""
    # A headline alone is still a record worth finding (a brief, a wire flash, a catalogue entry).
    if not fields.body.strip() and not fields.title.strip():
        raise SkipFile("no article text")
    cities, centrality = locate_cities(fields.title, fields.body)
    return Article(
        id=id,
        path=path,
        title=fields.title,
        body=fields.body,
        date=fields.date,
        source=fields.source,
        author=fields.author,
        cities=cities,
        content_hash=digest,
        centrality=centrality,
        **_date_fields(fields.date_reading),
    )


def apply_convention(article: Article, conventions: dict[str, str]) -> Article:
    """An article whose date was ambiguous, dated by its source's learned day/month order when there is one."""
    if article.dated_by != AMBIGUOUS or article.date_style is None or article.date_numbers is None:
        return article
    order = conventions.get(convention_key(article.source, article.date_style))
    if not order:
        return article
    reading = by_convention(DateReading(None, AMBIGUOUS, article.date_style, article.date_numbers), order)
    return replace(article, date=reading.date, dated_by=CONVENTION)


def _date_fields(reading: DateReading | None) -> dict[str, Any]:
    """An Article's record of how its date was read."""
    if reading is None:
        return {}
    return {"dated_by": reading.rule, "date_style": reading.style, "date_numbers": reading.numbers}


def article_from_json(obj: Any, *, id: str, path: str, digest: str) -> Article:
    """One Article from a JSON object; explicit fields win over what extraction finds (an invalid id falls back to id)."""
    if not isinstance(obj, dict):
        raise SkipFile("JSON value is not an object")
    text_fields = {k: obj.get(k) for k in ("title", "body", "text", "source", "author", "date", "id")}
    for key, value in text_fields.items():
        if value is not None and not isinstance(value, (str, int)):
            raise SkipFile(f"JSON field {key!r} must be a string")
    fields = extract(str(obj.get("body") or obj.get("text") or ""))
    title = normalise_text(str(obj["title"])).strip() if obj.get("title") else fields.title
    body = normalise_text(str(obj["body"])).strip() if obj.get("body") else fields.body
    if not body.strip() and not title.strip():
        raise SkipFile("no article text")
    reading = read_date(str(obj["date"]), context=body) if obj.get("date") else fields.date_reading
    source = normalise_source(str(obj["source"])) if "source" in obj and obj["source"] is not None else fields.source
    author = str(obj["author"]).strip() or None if obj.get("author") else fields.author
    found, centrality = locate_cities(title, body)
    if isinstance(obj.get("cities"), list):  # the file's own list of cities wins; the text still says how central each is
        cities = tuple(sorted({c for c in (canonical_city(str(v)) for v in obj["cities"]) if c}))
        weight = dict(zip(found, centrality))
        centrality = tuple(weight.get(c, 1) for c in cities)
    else:
        cities = found
    return Article(
        id=str(obj["id"]) if obj.get("id") and valid_id(str(obj["id"])) else id,
        path=path, title=title, body=body, date=reading.date if reading else None, source=source, author=author,
        cities=cities, content_hash=digest, centrality=centrality, **_date_fields(reading),
    )


def _from_json(obj: Any, *, id: str, path: str, digest: str, where: str) -> Iterator[Article | Skipped]:
    """The record's article, preceded by an IdReplaced note when the id it gave is not valid."""
    article = article_from_json(obj, id=id, path=path, digest=digest)
    given = str(obj["id"]) if obj.get("id") else None  # obj is a dict: article_from_json refuses anything else
    if given is not None and given != article.id:
        yield IdReplaced(where, f"id {_shown(given)} is not valid ({ID_RULE}); the article gets the id {article.id!r} instead")
    yield article


def _shown(value: str, limit: int = 40) -> str:
    """A value quoted for a message, cut when long."""
    return repr(value) if len(value) <= limit else f"{value[:limit]!r}... ({len(value)} characters)"


def parse_file(file: SeedFile, max_bytes: int = DEFAULT_MAX_BYTES, data: bytes | None = None) -> Iterator[Article | Skipped]:
    """Records (or skips) from one file; a JSONL file may give several of each."""
    try:
        if data is None:
            data = read_file(file, max_bytes)
        suffix = file.path.suffix.lower()
        if suffix == ".jsonl":
            yield from _parse_jsonl(file, _text(data))
            return
        digest = content_hash(data)
        if suffix in PAGE_SUFFIXES:
            markup = _text(data, page_text)
            yield article_from_page(markup, id=article_id(file.rel), path=file.rel, digest=digest)
            return
        text = _text(data)
        if suffix == ".json":
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                raise SkipFile(f"invalid JSON: {exc.msg} at line {exc.lineno}") from exc
            yield from _from_json(obj, id=article_id(file.rel), path=file.rel, digest=digest, where=file.rel)
        else:
            yield article_from_text(text, id=article_id(file.rel), path=file.rel, digest=digest)
    except SkipFile as skip:
        yield Skipped(file.rel, skip.reason)


def _parse_jsonl(file: SeedFile, text: str) -> Iterator[Article | Skipped]:
    base = article_id(file.rel)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{file.rel}:{number}"
        try:
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SkipFile(f"invalid JSON: {exc.msg}") from exc
            yield from _from_json(obj, id=f"{base}/{number}", path=file.rel, digest=content_hash(line.encode("utf-8")),
                                  where=where)
        except SkipFile as skip:
            yield Skipped(where, skip.reason)


def claim_id(article: Article, seen: dict[str, str]) -> Skipped | None:
    """Take the article's id for its file (seen: id -> file); a skip naming the file that has it already."""
    if article.id in seen:
        return Skipped(article.path, f"duplicate id {article.id!r} (already used by {seen[article.id]})")
    seen[article.id] = article.path
    return None


def parse_unique(
    files: Iterable[SeedFile], max_bytes: int = DEFAULT_MAX_BYTES, after_file: Callable[[int], None] | None = None
) -> Iterator[Article | Skipped]:
    """Records of each file in turn; an id already given by an earlier file becomes a skip."""
    seen: dict[str, str] = {}
    for number, file in enumerate(files, start=1):
        for item in parse_file(file, max_bytes):
            yield (claim_id(item, seen) or item) if isinstance(item, Article) else item
        if after_file:
            after_file(number)


def ingest_files(files: Iterable[SeedFile], max_bytes: int = DEFAULT_MAX_BYTES) -> IngestResult:
    """Parse files into records, dropping (and reporting) duplicate ids."""
    result = IngestResult()
    for item in parse_unique(files, max_bytes):
        (result.skipped if isinstance(item, Skipped) else result.articles).append(item)  # type: ignore[arg-type]
    return result


def ingest(seeds: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> IngestResult:
    """Every article under a seeds folder, with the skipped files and their reasons."""
    files, skipped = discover(seeds)
    result = ingest_files(files, max_bytes)
    result.skipped = skipped + result.skipped
    return result


def inspect_paths(paths: Iterable[Path], seeds: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                  conventions: dict[str, str] | None = None) -> IngestResult:
    """What the indexer would make of the given files and folders, read by the build's own rules.

    conventions (those the live index learned) date ambiguous dates as an update would.

    A path inside the seeds folder gets its id relative to it and is judged as a build of that folder
    judges it (links out of it, and linked, hidden or article-named folders on the way, are refused);
    a path elsewhere is judged as if its folder (or itself, for a folder) were the seeds folder.
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
    result = ingest_files(files, max_bytes)
    result.skipped = skipped + result.skipped
    result.articles = [apply_convention(a, conventions or {}) for a in result.articles]
    return result


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
