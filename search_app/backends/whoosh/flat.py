"""Flat posting lists: a file per Whoosh segment with each title and body word's doc ids, counts and positions
as raw arrays, and each document's length in both fields. Whoosh stores those fields' text only.

Whoosh would store a posting block as one zlib-compressed pickle of ids, weights *and* word
positions, so reading a word's matches for ranking would also inflate and unpickle all its
positions. Here a posting list is one `pread` read straight into numpy arrays, and a phrase check
reads the word's positions the same way, after its ids and counts. flatwrite.py writes the files.

A flat file is named like the segment's own files (`MAIN_<id>.fpl`), so Whoosh deletes it with its
segment after a merge, and an update's hard-linked copy of a generation carries it along. A missing,
foreign or damaged file makes the generation unreadable (IndexCorrupt): `search-app build` rewrites it.

Layout: a header (little-endian: magic with the byte order of the arrays, word count, document
count, offset of the lengths, offset of the directory, file length, CRC-32 of all that follows the
header); then per word, its n ids (uint32), n counts (float32), n + 1 offsets into its positions
(uint32) and the positions themselves (uint16, or uint32 for a word found past position 65,535);
then each field's length in every document (uint32, title then body); then the directory: the
words' key lengths, the keys ("field\\0word", sorted), and per word its data offset, n, number of
positions, wide flag. The arrays are in the machine's byte order, so a word's ids and counts are
read into numpy arrays without a copy (`numpy.frombuffer` on the bytes of one `pread`).
"""

from __future__ import annotations

import bisect
import os
import struct
import sys
from array import array
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zlib import crc32

import numpy as np

FIELDS = ("title", "body")  # the ranked text fields, found in these files only
SUFFIX = ".fpl"
MAGIC = b"SAFPL4" + (b"L\n" if sys.byteorder == "little" else b"B\n")
# magic, words, documents, lengths offset, directory offset, file length, CRC-32
HEADER = struct.Struct("<8sIIQQQI")
_CHUNK = 1 << 20


def side_path(storage_dir: Path, segment: Any) -> Path:
    """Where a segment's flat postings live."""
    return Path(storage_dir) / f"{segment.segment_id()}{SUFFIX}"


def _key(fieldname: str, text: Any) -> bytes:
    return fieldname.encode() + b"\0" + (text if isinstance(text, bytes) else str(text).encode("utf-8"))


class Summed:
    """A file writer that keeps the CRC-32 of what passes through it."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.crc = 0

    def write(self, data: bytes) -> None:
        """Write data and fold it into the checksum."""
        self.raw.write(data)
        self.crc = crc32(data, self.crc)


class FlatPostings:
    """One segment's side file, opened for reading: a word's ids and weights, or its positions in given documents."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        try:
            size = os.fstat(self._fd).st_size
            magic, count, docs, lengths_at, directory, end, crc = HEADER.unpack(os.pread(self._fd, HEADER.size, 0))
            if magic != MAGIC or end != size or not HEADER.size <= lengths_at <= directory <= size:
                raise ValueError(f"{path.name}: not a flat postings file of this version and byte order")
            if directory - lengths_at != 4 * len(FIELDS) * docs:
                raise ValueError(f"{path.name}: field lengths of the wrong size")
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
            self.doc_count = docs
            self._lengths_at = lengths_at
        except BaseException:
            os.close(self._fd)
            raise

    def _checksum(self, size: int) -> int:
        # Whole-file check at open (about 50 ms for 60 MB): damage anywhere means Whoosh's blocks are read instead.
        crc, at = 0, HEADER.size
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

    def lengths(self, fieldname: str) -> np.ndarray:
        """Each document's length (number of indexed words) in a field, deleted documents included."""
        at = self._lengths_at + 4 * self.doc_count * FIELDS.index(fieldname)
        return np.frombuffer(os.pread(self._fd, 4 * self.doc_count, at), np.uint32, self.doc_count)

    def doc_frequency(self, fieldname: str, text: str) -> int:
        """How many documents of the segment hold the word (deleted ones included), from the directory alone."""
        i = self._find(fieldname, text)
        return 0 if i is None else int(self._counts[i])

    def occurrences(self, fieldname: str, text: str) -> int:
        """How often the word occurs in the field across the segment (its number of positions)."""
        i = self._find(fieldname, text)
        return 0 if i is None else int(self._spans[i])

    def words(self, fieldname: str, prefix: str, limit: int) -> list[str]:
        """The first `limit` words of a field starting with prefix, in order."""
        start = _key(fieldname, prefix)
        i = bisect.bisect_left(self._keys, start)
        cut = len(fieldname) + 1
        found: list[str] = []
        while i < len(self._keys) and len(found) < limit and self._keys[i].startswith(start):
            found.append(self._keys[i][cut:].decode("utf-8"))
            i += 1
        return found

    def get(self, fieldname: str, text: Any) -> tuple[np.ndarray, np.ndarray] | None:
        """The word's segment-local (ids, weights) as read-only arrays over the file's bytes, or None when absent."""
        i = self._find(fieldname, text)
        if i is None:
            return None
        count = self._counts[i]
        data = os.pread(self._fd, 8 * count, self._offsets[i])
        return np.frombuffer(data, np.uint32, count), np.frombuffer(data, np.float32, count, 4 * count)

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
    """The flat files of an index's segments, by segment id; ValueError names the first missing or damaged one."""
    found: dict[str, FlatPostings] = {}
    try:
        for segment in ix._segments():
            try:
                found[segment.segment_id()] = FlatPostings(side_path(storage_dir, segment))
            except (OSError, struct.error) as error:
                raise ValueError(f"{side_path(storage_dir, segment).name}: {error}") from error
    except BaseException:
        for side in found.values():
            side.close()
        raise
    return found


def readable(storage_dir: Path, segment: Any) -> bool:
    """True when the segment's flat file opens (exists, this version, checksum right)."""
    try:
        FlatPostings(side_path(storage_dir, segment)).close()
    except (OSError, ValueError, struct.error):
        return False
    return True


class Lexicon:
    """The words of an index's title and body, across its segments' flat files."""

    def __init__(self, flat: Mapping[str, FlatPostings]) -> None:
        self.flat = flat

    def expand_prefix(self, fieldname: str, prefix: str, limit: int) -> list[str]:
        """The first `limit` distinct words of the field starting with prefix, in order."""
        found: set[str] = set()
        for side in self.flat.values():
            found.update(side.words(fieldname, prefix, limit))
        return sorted(found)[:limit]

    def doc_frequency(self, fieldname: str, text: str) -> int:
        """Documents holding the word in the field, deleted ones included (as Whoosh counts them)."""
        return sum(side.doc_frequency(fieldname, text) for side in self.flat.values())

    def occurrences(self, fieldname: str, text: str) -> int:
        """How often the word occurs in the field across the index, deleted documents included."""
        return sum(side.occurrences(fieldname, text) for side in self.flat.values())
