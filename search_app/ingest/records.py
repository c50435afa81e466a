"""Article files (text, JSON, JSONL, saved web pages) in a seeds folder to clean Article records.

Every file ends up either as one or more records or in the skipped list with a reason.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from search_app.ingest.dates import AMBIGUOUS, CONVENTION, DateReading, by_convention, convention_key, read_date
from search_app.ingest.decoding import NotText, decode
from search_app.ingest.extract import (
    FALLBACK_TITLE_WIDTH,
    Extracted,
    extract,
    fallback_title,
    headline,
    normalise_text,
    shortened,
)
from search_app.ingest.files import DEFAULT_MAX_BYTES, SeedFile, SkipFile, discover, files_at, read_file
from search_app.ingest.gazetteer import canonical_city, locate_cities
from search_app.ingest.sources import normalise_source
from search_app.ingest.webpage import SUFFIXES as PAGE_SUFFIXES
from search_app.ingest.webpage import NoArticle, extract_page, page_text
from search_app.models import Article, Skipped


@dataclass
class IngestResult:
    """Records and skips from one pass over files."""

    articles: list[Article] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The `search-app inspect` shape."""
        return {"articles": [a.to_json() for a in self.articles], "skipped": [s.to_json() for s in self.skipped]}
























# Control characters (newline, tab, ESC, DEL, C1) in a file name: an id is shown in terminals and CSV
# files, and is part of the article's URL, where the web's route does not match a newline.
_ID_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def article_id(rel: str) -> str:
    """The id of a file's article: its path relative to the seeds folder, without extension, control characters as "_"."""
    stem, dot, _ext = rel.rpartition(".")
    return _ID_CONTROL.sub("_", stem if dot and "/" not in _ext else rel)


MAX_ID_CHARS = 100
_ID_CHARS = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
ID_RULE = f"an id is up to {MAX_ID_CHARS} letters, digits, '-', '_' or '.', not starting with '.'"


def valid_id(value: str) -> bool:
    """True for an id a JSON record may give itself: up to 100 ASCII letters, digits, '-', '_', '.', no leading '.'."""
    return len(value) <= MAX_ID_CHARS and _ID_CHARS.fullmatch(value) is not None


@dataclass(frozen=True)
class IdReplaced(Skipped):
    """Not a lost article: a JSON record indexed under its file's id because the id it gave is not valid."""












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
    title = headline(fields.title) or fallback_title(fields.body)
    # A headline alone is still a record worth finding (a brief, a wire flash, a catalogue entry).
    if not fields.body.strip() and not title:
        raise SkipFile("no article text")
    cities, centrality = locate_cities(title, fields.body)
    return Article(
        id=id,
        path=path,
        title=title,
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
    body = normalise_text(str(obj["body"])).strip() if obj.get("body") else fields.body
    title = headline(str(obj["title"])) if obj.get("title") else ""
    if not title:  # an empty or blank title is a missing one: a headline's length of the body's opening line
        title = shortened(headline(fields.title), FALLBACK_TITLE_WIDTH) or fallback_title(body)
    if not body.strip() and not title:
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
    files, skipped = files_at(paths, seeds)
    result = ingest_files(files, max_bytes)
    result.skipped = skipped + result.skipped
    result.articles = [apply_convention(a, conventions or {}) for a in result.articles]
    return result




