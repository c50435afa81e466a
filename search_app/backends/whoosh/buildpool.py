"""Parallel indexing: each worker process parses its share of the files and writes its own segment.

Parsing (about a third of the work) and analysis both run in the workers, so a build uses
every core; the parent only stitches the finished segments into the index's table of
contents, with no merge. Workers are forked with PR_SET_PDEATHSIG, so killing the build
(even with kill -9) kills them too and nothing keeps writing or holds the lock.
"""

from __future__ import annotations

import multiprocessing
import queue
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from search_app.backends.whoosh.flatwrite import write_segment as write_flat
from search_app.backends.whoosh.forks import FORKS
from search_app.backends.whoosh.schema import to_document
from search_app.ingest.changes import Held
from search_app.ingest.dates import AMBIGUOUS, DateReading, convention_key
from search_app.ingest.files import SeedFile, SkipFile, file_stamp, read_file
from search_app.ingest.records import apply_convention, claim_id, content_hash, parse_file
from search_app.models import Article, Skipped
from search_app.query.analysis import HAN
from search_app.query.suggest import cased_forms

# Segments stay as separate files: a compound segment file is read into memory (a BytesIO copy)
# by every searcher that opens it, so a server with 8 threads held 8 copies of the index.
COMPOUND = False
_WORD = re.compile(rf"(?:(?![{HAN}])[^\W\d_]){{3,30}}")  # letters, not Han: spelling is corrected for words only


def article_words(article: Article) -> set[str]:
    """The distinct lower-case words of an article (reporter and source included), for the spelling vocabulary,
    and the words it writes with capitals (suggest.cased_forms), for showing completions as written."""
    text = "\n".join((article.title, article.body, article.author or "", article.source or ""))
    written = set(_WORD.findall(text))  # one pass gives both: the words, and those ever written in lower case
    return {w.lower() for w in written} | cased_forms(article.body, article.author or "", written)


@dataclass
class ChunkResult:
    """What indexing a list of files produced (picklable, sent back by workers)."""

    added: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    files: dict[str, Held] = field(default_factory=dict)
    vocabulary: Counter[str] = field(default_factory=Counter)
    seen: dict[str, str] = field(default_factory=dict)
    # Day/month order shown by unambiguous numeric dates, per (source, style) key, and the articles
    # whose date is still ambiguous: id -> (key, style, numbers), for the build to settle by convention.
    date_orders: Counter[tuple[str, str]] = field(default_factory=Counter)
    undecided: dict[str, tuple[str, str, tuple[int, int, int]]] = field(default_factory=dict)

    def merge(self, other: ChunkResult) -> None:
        """Fold another worker's result into this one."""
        self.added += other.added
        self.skipped.extend(other.skipped)
        self.files.update(other.files)
        self.vocabulary.update(other.vocabulary)
        self.seen.update(other.seen)
        self.date_orders.update(other.date_orders)
        self.undecided.update(other.undecided)


def note_date(article: Article, result: ChunkResult, conventions: dict[str, str] | None = None) -> Article:
    """Record what an article's numeric date says of its source's date order; settle it by a known convention."""
    if article.date_style is None or article.date_numbers is None:
        return article
    order = DateReading(article.date, article.dated_by, article.date_style, article.date_numbers).order
    key = convention_key(article.source, article.date_style)
    if order:
        result.date_orders[(key, order)] += 1
    article = apply_convention(article, conventions or {})
    if article.dated_by == AMBIGUOUS and article.date_style and article.date_numbers:
        result.undecided[article.id] = (key, article.date_style, article.date_numbers)
    return article


def add_file(writer: Any, file: SeedFile, max_bytes: int, result: ChunkResult, data: bytes | None = None,
             stamp: list[int] | None = None, conventions: dict[str, str] | None = None) -> None:
    """Index one file's articles into writer, recording them (or why not) in result; stamp as taken before data was read.

    conventions (an update's, learned at the last build) settle ambiguous dates as they are read.
    """
    try:
        if data is None:
            stamp = file_stamp(file)
            data = read_file(file, max_bytes)
    except SkipFile as skip:
        result.skipped.append(Skipped(file.rel, skip.reason))
        return
    ids: list[str] = []
    for item in parse_file(file, max_bytes, data=data):
        if isinstance(item, Skipped):
            result.skipped.append(item)
            continue
        duplicate = claim_id(item, result.seen)
        if duplicate:
            result.skipped.append(duplicate)
            continue
        item = note_date(item, result, conventions)
        writer.add_document(**to_document(item))
        result.vocabulary.update(article_words(item))
        ids.append(item.id)
        result.added += 1
    result.files[file.rel] = Held(ids=ids, hash=content_hash(data), stamp=stamp)


def _worker(index_dir: str, files: list[SeedFile], limitmb: int, max_bytes: int, results: Any, ticks: Any) -> None:
    """Worker process: index files into a new segment and send the segment back."""
    ix = whoosh_index.open_dir(index_dir)
    writer = SegmentWriter(ix, _lk=False, limitmb=limitmb, compound=COMPOUND)
    result = ChunkResult()
    for number, file in enumerate(files, start=1):
        add_file(writer, file, max_bytes, result)
        if number % 50 == 0:
            ticks.put(50)
    ticks.put(len(files) % 50)
    if result.added:
        segment = writer._finalize_segment()
        write_flat(Path(index_dir), ix.schema, segment)  # in the worker, so the side files are written in parallel
    else:
        writer._close_segment()
        segment = None
    results.put((segment, result))


def split(files: list[SeedFile], procs: int) -> list[list[SeedFile]]:
    """Share files between workers; JSON files (the only ones that can name their own id) stay together."""
    json_files = [f for f in files if f.rel.lower().endswith((".json", ".jsonl"))]
    text_files = [f for f in files if f not in set(json_files)] if json_files else files
    chunks: list[list[SeedFile]] = [text_files[i::procs] for i in range(procs)]
    chunks[0] = json_files + chunks[0]
    return [c for c in chunks if c]


def index_parallel(
    index_dir: Path,
    files: list[SeedFile],
    procs: int,
    limitmb: int,
    max_bytes: int,
    progress: Callable[[int, int], None] | None = None,
) -> ChunkResult:
    """Index files into the empty index at index_dir with `procs` worker processes."""
    FORKS.install()
    ctx = multiprocessing.get_context("fork")
    results, ticks = ctx.Queue(), ctx.Queue()
    chunks = split(files, procs)
    workers = [ctx.Process(target=_worker, args=(str(index_dir), chunk, limitmb, max_bytes, results, ticks), daemon=True)
               for chunk in chunks]
    for worker in workers:
        worker.start()
    done = 0
    collected: list[tuple[Any, ChunkResult]] = []
    try:
        while len(collected) < len(workers):
            try:
                collected.append(results.get(timeout=0.2))
            except queue.Empty:
                if any(w.exitcode not in (None, 0) for w in workers):
                    raise OSError("an indexing worker process died") from None
            while True:
                try:
                    done += ticks.get_nowait()
                except queue.Empty:
                    break
                if progress:
                    progress(min(done, len(files)), len(files))
    finally:
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
    if progress:
        progress(len(files), len(files))
    ix = whoosh_index.open_dir(str(index_dir))
    writer = SegmentWriter(ix, compound=COMPOUND)
    writer._close_segment()
    merged = ChunkResult()
    for _segment, result in collected:
        merged.merge(result)
    # The workers' segments become the index as they are: no merge pass.
    writer._commit_toc([segment for segment, _result in collected if segment is not None])
    writer._finish()
    return merged
