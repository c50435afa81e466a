"""Writing a segment's flat postings (flat.py): its title and body analysed once into arrays, sorted, written.

Whoosh indexes neither field (it only stores their text): its writer spent most of a build
pushing each posting through a pool of Python tuples, sorting runs of them and writing blocks
of pickles, and the flat files then copied the same postings once more. Here each token of a
document becomes three numbers (word id, document, position) appended to arrays; a stable sort
by word id groups them, already in document and position order because documents are read in
order; and each word's ids, counts and positions are written as they lie.

Memory stays bounded whatever the segment's size: past TOKEN_BUDGET tokens the arrays are
sorted into a run file beside the segment, and the runs are read back (memory-mapped) word by
word at the end, in document order.
"""

from __future__ import annotations

import itertools
import os
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader

from search_app.backends.whoosh.flat import FIELDS, HEADER, MAGIC, Summed, readable, side_path
from search_app.query.analysis import index_words

# Tokens held in memory before a run is written: 12 bytes each, so about 100 MB (and as much again
# while they are sorted); at 100,000 articles a worker's whole segment fits in one run.
TOKEN_BUDGET = 8_000_000
_WIDE = 0xFFFF  # positions past this are written in four bytes


class _Numbered(dict[str, int]):
    """A field's words numbered in order of first use: looking up a new word gives it the next number
    of a count shared with the other fields."""

    def __init__(self, numbers: Iterator[int]) -> None:
        super().__init__()
        self._numbers = numbers

    def __missing__(self, key: str) -> int:
        number = self[key] = next(self._numbers)
        return number


@dataclass
class _Run:
    """One sorted run: per word id, its (document, count) pairs and its positions, as array slices."""

    pair_start: np.ndarray  # word id -> first pair (one more entry than the word ids known at the run)
    token_start: np.ndarray  # word id -> first position
    docs: np.ndarray  # each pair's document
    counts: np.ndarray  # each pair's count of positions
    positions: np.ndarray

    def word(self, word_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(documents, counts, positions) of one word in this run, or None when the run lacks it."""
        if word_id + 1 >= len(self.pair_start):
            return None
        a, b = self.pair_start[word_id], self.pair_start[word_id + 1]
        if a == b:
            return None
        return (self.docs[a:b], self.counts[a:b],
                self.positions[self.token_start[word_id]:self.token_start[word_id + 1]])


class Collector:
    """Tokens of one segment's title and body, gathered document by document (in ascending order)."""

    def __init__(self, size: int, spill_to: Path, budget: int = TOKEN_BUDGET) -> None:
        self.size = size
        self.lengths = {name: np.zeros(size, np.uint32) for name in FIELDS}
        numbers = itertools.count()
        self.words = {name: _Numbered(numbers) for name in FIELDS}  # field -> word -> word id, in order of first use
        self._spill_to = spill_to
        self._budget = budget
        self._runs: list[_Run] = []
        self._files: list[Path] = []
        self._fresh()

    def _fresh(self) -> None:
        self._ids, self._docs, self._positions = array("I"), array("I"), array("I")

    def add(self, docnum: int, fieldname: str, text: str) -> None:
        """Analyse one field of one document; documents must come in ascending order."""
        terms, positions = index_words(text)
        self._ids.extend(map(self.words[fieldname].__getitem__, terms))
        self._positions.extend(positions)
        self._docs.extend(array("I", [docnum]) * len(terms))
        self.lengths[fieldname][docnum] = len(terms)
        if len(self._ids) >= self._budget:
            self._spill()

    def _sorted(self) -> _Run:
        """The tokens gathered since the last run, grouped by word (document and position order kept)."""
        ids = np.frombuffer(self._ids, np.uint32)
        order = np.argsort(ids, kind="stable")
        docs = np.frombuffer(self._docs, np.uint32)[order]
        positions = np.frombuffer(self._positions, np.uint32)[order]
        ids = ids[order]
        self._fresh()
        known = np.arange(sum(map(len, self.words.values())) + 1, dtype=np.uint32)
        starts_pair = np.ones(len(ids), bool)  # a token opens a pair where its word or document changes
        starts_pair[1:] = (ids[1:] != ids[:-1]) | (docs[1:] != docs[:-1])
        opens = np.flatnonzero(starts_pair)
        counts = np.diff(np.append(opens, len(ids))).astype(np.uint32)
        return _Run(pair_start=np.searchsorted(ids[opens], known), token_start=np.searchsorted(ids, known),
                    docs=docs[opens], counts=counts, positions=positions)

    def _spill(self) -> None:
        run = self._sorted()
        mapped = {}
        for name in run.__dataclass_fields__:
            path = self._spill_to.with_name(f"{self._spill_to.name}.run{len(self._runs)}.{name}.npy")
            self._files.append(path)
            np.save(path, getattr(run, name))
            mapped[name] = np.load(path, mmap_mode="r")  # read back from the file's pages, not held in memory
        self._runs.append(_Run(**mapped))

    def runs(self) -> list[_Run]:
        """Every run, the tokens still in memory last."""
        if len(self._ids) or not self._runs:
            self._runs.append(self._sorted())
        return self._runs

    def remove_runs(self) -> None:
        """Delete the run files (after writing, or when writing failed)."""
        self._runs = []
        for path in self._files:
            path.unlink(missing_ok=True)


def _word_data(runs: list[_Run], word_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A word's ids, counts (as float32 weights), position starts and positions across the runs."""
    parts = [part for run in runs if (part := run.word(word_id)) is not None]
    if len(parts) == 1:
        docs, counts, positions = parts[0]
    else:
        docs, counts, positions = (np.concatenate([p[i] for p in parts]) for i in range(3))
    starts = np.zeros(len(docs) + 1, np.uint32)
    np.cumsum(counts, out=starts[1:])
    return docs, counts.astype(np.float32), starts, positions


def write(target: Path, collector: Collector) -> Path:
    """Write the collected postings and field lengths as a flat postings file (flat.py's layout)."""
    tmp = target.with_name(target.name + ".tmp")
    # "field\0word" in code point order, which is UTF-8 byte order: the directory's order
    keys = sorted((f"{name}\0{word}", number) for name, words in collector.words.items() for word, number in words.items())
    offsets, counts, spans, wide = array("Q"), array("I"), array("I"), array("B")
    try:
        runs = collector.runs()
        with open(tmp, "wb") as raw:
            out = Summed(raw)
            raw.write(b"\0" * HEADER.size)
            position = HEADER.size
            for _key, number in keys:
                docs, weights, starts, positions = _word_data(runs, number)
                big = bool(len(positions)) and int(positions.max()) > _WIDE
                stored = positions if big else positions.astype(np.uint16)  # most articles are short: half the bytes
                offsets.append(position)
                counts.append(len(docs))
                spans.append(len(positions))
                wide.append(big)
                for part in (docs, weights, starts, stored):
                    data = np.ascontiguousarray(part).tobytes()
                    out.write(data)
                    position += len(data)
            lengths_at = position
            for name in FIELDS:
                out.write(collector.lengths[name].tobytes())
            directory = lengths_at + 4 * len(FIELDS) * collector.size
            encoded = [key.encode("utf-8") for key, _number in keys]
            out.write(array("I", (len(k) for k in encoded)).tobytes())
            out.write(b"".join(encoded))
            for column in (offsets, counts, spans, wide):
                out.write(column.tobytes())
            end = raw.tell()
            raw.seek(0)
            raw.write(HEADER.pack(MAGIC, len(keys), collector.size, lengths_at, directory, end, out.crc))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, target)
    finally:
        collector.remove_runs()
        tmp.unlink(missing_ok=True)
    return target


def _stored_texts(reader: Any) -> Iterator[tuple[int, str, str]]:
    """(document number, title, body) of each document of a segment in order, a deleted one too (its words
    count in the frequencies and lengths until a merge drops it, as Whoosh counts them)."""
    for docnum in range(reader.doc_count_all()):
        fields = reader.stored_fields(docnum)
        yield docnum, fields.get("title") or "", fields.get("body") or ""


def write_segment(storage_dir: Path, schema: Any, segment: Any, budget: int = TOKEN_BUDGET) -> Path:
    """Write the flat postings of one finished segment from the title and body text it stores; returns the file."""
    target = side_path(storage_dir, segment)
    reader = SegmentReader(FileStorage(str(storage_dir)), schema, segment)
    try:
        collector = Collector(reader.doc_count_all(), target, budget)
        try:
            for docnum, title, body in _stored_texts(reader):
                collector.add(docnum, "title", title)
                collector.add(docnum, "body", body)
        except BaseException:
            collector.remove_runs()
            raise
        return write(target, collector)
    finally:
        reader.close()


def write_missing(storage_dir: Path, ix: Any) -> int:
    """Write flat postings for every segment of the index without a readable file (after an update or a merge)."""
    written = 0
    for segment in ix._segments():
        if not readable(storage_dir, segment):
            write_segment(storage_dir, ix.schema, segment)
            written += 1
    return written
