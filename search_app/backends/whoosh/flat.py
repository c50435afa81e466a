"""Flat posting lists: a side file per Whoosh segment with each word's doc ids, weights and positions as raw arrays.

Whoosh stores a posting block as one zlib-compressed pickle of ids, weights *and* word positions
(each document's positions a pickle of its own), so reading a word's matches for ranking also
inflates and unpickles all its positions. At 100,000 articles that was the largest cost of a
query. The side file holds the same ids, weights (float32, exactly as Whoosh stores them) and
positions uncompressed: a posting list is one `pread` and two `array.frombytes` calls, and a
phrase check reads the word's positions the same way, after its ids and weights.

A side file is named like the segment's own files (`MAIN_<id>.fpl`), so Whoosh deletes it with its
segment after a merge, and an update's hard-linked copy of a generation carries it along. A missing,
foreign or damaged file is ignored: the reader falls back to Whoosh's blocks, with the same results.

Layout: a header (little-endian: magic with the byte order of the arrays, word count, directory
offset, file length, CRC-32 of all that follows the header); then per word, its n ids (uint32),
n weights (float32), n + 1 offsets into its positions (uint32) and the positions themselves (uint16,
or uint32 for a word found past position 65,535); then the directory: the words' key lengths, the
keys ("field\\0word", sorted), and per word its data offset, n, number of positions, wide flag.
The arrays are in the machine's byte order, so a word's ids and weights are read into numpy
arrays without a copy (`numpy.frombuffer` on the bytes of one `pread`).
"""

from __future__ import annotations

import bisect
import os
import struct
import sys
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from zlib import crc32

import numpy as np
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader

from search_app.backends.whoosh.blocks import blocks, leaf_postings

FIELDS = ("title", "body")  # the ranked text fields; other fields are small or read by facets
SUFFIX = ".fpl"
_MAGIC = b"SAFPL3" + (b"L\n" if sys.byteorder == "little" else b"B\n")
_HEADER = struct.Struct("<8sIQQI")  # magic, number of words, directory offset, file length, CRC-32
_CHUNK = 1 << 20


def side_path(storage_dir: Path, segment: Any) -> Path:
    """Where a segment's flat postings live."""
    return Path(storage_dir) / f"{segment.segment_id()}{SUFFIX}"


def _key(fieldname: str, text: Any) -> bytes:
    return fieldname.encode() + b"\0" + (text if isinstance(text, bytes) else str(text).encode("utf-8"))


def _term_region(segment: Any, fieldname: str, text: Any) -> tuple[array[int], array[float], array[int], array[int]]:
    """A word's ids, weights, position starts (one more than ids) and concatenated positions in one segment."""
    ids, weights, starts, positions = array("I"), array("f"), array("I", [0]), array("I")
    matcher = leaf_postings(segment, fieldname, text)
    for block in blocks(matcher) if matcher is not None else ():
        ids.extend(block.ids)
        weights.extend(block.weights)
        for i in range(len(block.ids)):
            positions.extend(block.positions(i))
            starts.append(len(positions))
    return ids, weights, starts, positions


def write_segment(storage_dir: Path, schema: Any, segment: Any) -> Path:
    """Write the flat postings of one finished segment (all its words in FIELDS); returns the file."""
    target = side_path(storage_dir, segment)
    tmp = target.with_name(target.name + ".tmp")
    reader = SegmentReader(FileStorage(str(storage_dir)), schema, segment)
    keys: list[bytes] = []
    offsets, counts, spans, wide = array("Q"), array("I"), array("I"), array("B")
    try:
        with open(tmp, "wb") as raw:
            out = _Summed(raw)
            raw.write(b"\0" * _HEADER.size)
            position = _HEADER.size
            for fieldname in FIELDS:
                if fieldname not in reader.indexed_field_names():
                    continue
                for text in reader.lexicon(fieldname):
                    ids, weights, starts, positions = _term_region(reader, fieldname, text)
                    big = bool(positions) and max(positions) > 0xFFFF
                    if not big:  # most documents are short: two bytes a position halves the file
                        positions = array("H", positions)
                    keys.append(_key(fieldname, text))
                    offsets.append(position)
                    counts.append(len(ids))
                    spans.append(len(positions))
                    wide.append(big)
                    for part in (ids, weights, starts, positions):
                        out.write(part.tobytes())
                        position += len(part) * part.itemsize
            order = sorted(range(len(keys)), key=keys.__getitem__)
            out.write(array("I", (len(keys[i]) for i in order)).tobytes())
            out.write(b"".join(keys[i] for i in order))
            for column in (offsets, counts, spans, wide):
                out.write(array(column.typecode, (column[i] for i in order)).tobytes())
            end = raw.tell()
            raw.seek(0)
            raw.write(_HEADER.pack(_MAGIC, len(keys), position, end, out.crc))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, target)
    finally:
        reader.close()
        tmp.unlink(missing_ok=True)
    return target


class _Summed:
    """A file writer that keeps the CRC-32 of what passes through it."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.crc = 0

    def write(self, data: bytes) -> None:
        """Write data and fold it into the checksum."""
        self.raw.write(data)
        self.crc = crc32(data, self.crc)


def write_missing(storage_dir: Path, ix: Any) -> int:
    """Write flat postings for every segment of the index without readable ones (after a merge or update)."""
    written = 0
    for segment in ix._segments():
        try:
            FlatPostings(side_path(storage_dir, segment)).close()
        except (OSError, ValueError, struct.error):  # missing, damaged or of an older format
            write_segment(storage_dir, ix.schema, segment)
            written += 1
    return written


class FlatPostings:
    """One segment's side file, opened for reading: a word's ids and weights, or its positions in given documents."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        try:
            size = os.fstat(self._fd).st_size
            magic, count, directory, end, crc = _HEADER.unpack(os.pread(self._fd, _HEADER.size, 0))
            if magic != _MAGIC or end != size or not _HEADER.size <= directory <= size:
                raise ValueError(f"{path.name}: not a flat postings file of this machine's byte order")
            if self._checksum(size) != crc:
                raise ValueError(f"{path.name}: damaged (checksum mismatch)")
            blob = os.pread(self._fd, size - directory, directory)
            lengths = array("I")
            lengths.frombytes(blob[:4 * count])
            at = 4 * count
            keys = []
            for length in lengths:
                keys.append(blob[at:at + length])
                at += length
            self._keys = keys
            columns = []
            for typecode in "QIIB":
                column = array(typecode)
                column.frombytes(blob[at:at + column.itemsize * count])
                at += column.itemsize * count
                columns.append(column)
            self._offsets, self._counts, self._spans, self._wide = columns
            if at != len(blob):
                raise ValueError(f"{path.name}: truncated directory")
        except BaseException:
            os.close(self._fd)
            raise

    def _checksum(self, size: int) -> int:
        # Whole-file check at open (about 50 ms for 60 MB): damage anywhere means Whoosh's blocks are read instead.
        crc, at = 0, _HEADER.size
        while at < size:
            chunk = os.pread(self._fd, min(_CHUNK, size - at), at)
            if not chunk:
                break
            crc, at = crc32(chunk, crc), at + len(chunk)
        return crc

    def _find(self, fieldname: str, text: Any) -> int | None:
        key = _key(fieldname, text)
        i = bisect.bisect_left(self._keys, key)
        return i if i < len(self._keys) and self._keys[i] == key else None

    def get(self, fieldname: str, text: Any) -> tuple[np.ndarray, np.ndarray] | None:
        """The word's segment-local (ids, weights) as read-only arrays over the file's bytes, or None when absent."""
        i = self._find(fieldname, text)
        if i is None:
            return None
        count = self._counts[i]
        data = os.pread(self._fd, 8 * count, self._offsets[i])
        return np.frombuffer(data, np.uint32, count), np.frombuffer(data, np.float32, count, 4 * count)

    def positions(self, fieldname: str, text: Any, wanted: Iterable[int]) -> dict[int, array[int]]:
        """The word's positions in each wanted (segment-local) document that holds it."""
        i = self._find(fieldname, text)
        if i is None:
            return {}
        count, span = self._counts[i], self._spans[i]
        positions = array("I" if self._wide[i] else "H")
        data = os.pread(self._fd, 4 * count + 4 * count + 4 * (count + 1) + positions.itemsize * span, self._offsets[i])
        ids, starts = array("I"), array("I")
        ids.frombytes(data[:4 * count])
        starts.frombytes(data[8 * count:12 * count + 4])
        positions.frombytes(data[12 * count + 4:])
        found = {}
        for docnum in wanted:
            at = bisect.bisect_left(ids, docnum)
            if at < count and ids[at] == docnum:
                found[docnum] = positions[starts[at]:starts[at + 1]]
        return found

    def position_arrays(self, fieldname: str, text: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The word's segment-local ids, position starts (one more than ids) and concatenated positions, as
        arrays over one read of the file; None when the segment does not hold it."""
        i = self._find(fieldname, text)
        if i is None:
            return None
        count, span = self._counts[i], self._spans[i]
        kind = np.uint32 if self._wide[i] else np.uint16
        data = os.pread(self._fd, 12 * count + 4 + np.dtype(kind).itemsize * span, self._offsets[i])
        return (np.frombuffer(data, np.uint32, count), np.frombuffer(data, np.uint32, count + 1, 8 * count),
                np.frombuffer(data, kind, span, 12 * count + 4))

    def close(self) -> None:
        """Release the file (once; later calls do nothing)."""
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)


def open_all(storage_dir: Path, ix: Any) -> dict[str, FlatPostings]:
    """The readable side files of an index's segments, by segment id (damaged or missing ones left out)."""
    found = {}
    for segment in ix._segments():
        try:
            found[segment.segment_id()] = FlatPostings(side_path(storage_dir, segment))
        except (OSError, ValueError, struct.error):
            continue
    return found
