"""Flat posting lists: a side file per Whoosh segment with each word's doc ids and weights as raw arrays.

Whoosh stores a posting block as one zlib-compressed pickle of ids, weights *and* word positions,
so reading a word's matches for ranking also inflates and unpickles all its positions. At 100,000
articles that was the largest cost of a query. The side file holds the same ids and weights
(float32, exactly as Whoosh stores them) uncompressed, so a posting list is one `pread` and two
`array.frombytes` calls. Positions stay in Whoosh (phrases read them for candidates only).

A side file is named like the segment's own files (`MAIN_<id>.fpl`), so Whoosh deletes it with its
segment after a merge, and an update's hard-linked copy of a generation carries it along. A missing,
foreign or damaged file is ignored: the reader falls back to Whoosh's blocks, with the same results.
"""

from __future__ import annotations

import bisect
import os
import struct
import sys
from array import array
from pathlib import Path
from typing import Any, Iterator

from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import SegmentReader, TermNotFound

FIELDS = ("title", "body")  # the ranked text fields; other fields are small or read by facets
SUFFIX = ".fpl"
_MAGIC = b"SAFPL1" + (b"L\n" if sys.byteorder == "little" else b"B\n")
_HEADER = struct.Struct("<8sIQQ")  # magic, number of words, directory offset, file length


def side_path(storage_dir: Path, segment: Any) -> Path:
    """Where a segment's flat postings live."""
    return Path(storage_dir) / f"{segment.segment_id()}{SUFFIX}"


def _key(fieldname: str, text: Any) -> bytes:
    return fieldname.encode() + b"\0" + (text if isinstance(text, bytes) else str(text).encode("utf-8"))


def segment_blocks(segment: Any, fieldname: str, text: Any) -> Iterator[tuple[Any, Any]]:
    """(segment-local ids, weights) of a word, one Whoosh block at a time; nothing if the word is absent."""
    try:
        matcher = segment.postings(fieldname, text)
    except (TermNotFound, KeyError, ValueError):  # not in this segment
        return
    if isinstance(matcher, FilterMatcher):  # the deletion filter: callers drop deleted ids themselves
        matcher = matcher.child
    if not hasattr(matcher, "_read_ids"):  # not Whoosh's block format: the slow, general way
        pairs = list(matcher.items_as("weight"))
        if pairs:
            yield [d for d, _ in pairs], [w for _, w in pairs]
        return
    # Whoosh 3 codec internals (pinned version): one block of ids and weights at a time.
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        yield matcher._ids, matcher._weights
        matcher._next_block()


def write_segment(storage_dir: Path, schema: Any, segment: Any) -> Path:
    """Write the flat postings of one finished segment (all its words in FIELDS); returns the file."""
    target = side_path(storage_dir, segment)
    tmp = target.with_name(target.name + ".tmp")
    reader = SegmentReader(_storage(storage_dir), schema, segment)
    keys: list[bytes] = []
    starts, counts = array("Q"), array("I")
    try:
        with open(tmp, "wb") as out:
            out.write(b"\0" * _HEADER.size)
            position = _HEADER.size
            for fieldname in FIELDS:
                if fieldname not in reader.indexed_field_names():
                    continue
                for text in reader.lexicon(fieldname):
                    ids, weights = array("I"), array("f")
                    for block_ids, block_weights in segment_blocks(reader, fieldname, text):
                        ids.extend(block_ids)
                        weights.extend(block_weights)
                    keys.append(_key(fieldname, text))
                    starts.append(position)
                    counts.append(len(ids))
                    out.write(ids.tobytes())
                    out.write(weights.tobytes())
                    position += 8 * len(ids)
            order = sorted(range(len(keys)), key=keys.__getitem__)
            lengths = array("I", (len(keys[i]) for i in order))
            out.write(lengths.tobytes())
            out.write(b"".join(keys[i] for i in order))
            out.write(array("Q", (starts[i] for i in order)).tobytes())
            out.write(array("I", (counts[i] for i in order)).tobytes())
            end = out.tell()
            out.seek(0)
            out.write(_HEADER.pack(_MAGIC, len(keys), position, end))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    finally:
        reader.close()
        tmp.unlink(missing_ok=True)
    return target


def write_missing(storage_dir: Path, ix: Any) -> int:
    """Write flat postings for every segment of the index that has none (after a merge or update)."""
    written = 0
    for segment in ix._segments():
        if not side_path(storage_dir, segment).exists():
            write_segment(storage_dir, ix.schema, segment)
            written += 1
    return written


def _storage(storage_dir: Path) -> Any:
    from whoosh.filedb.filestore import FileStorage

    return FileStorage(str(storage_dir))


class FlatPostings:
    """One segment's side file, opened for reading: word -> (ids, weights) arrays."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        try:
            size = os.fstat(self._fd).st_size
            magic, count, directory, end = _HEADER.unpack(os.pread(self._fd, _HEADER.size, 0))
            if magic != _MAGIC or end != size or not _HEADER.size <= directory <= size:
                raise ValueError(f"{path.name}: not a flat postings file of this machine's byte order")
            blob = os.pread(self._fd, size - directory, directory)
            lengths = array("I")
            lengths.frombytes(blob[:4 * count])
            at = 4 * count
            keys = []
            for length in lengths:
                keys.append(blob[at:at + length])
                at += length
            self._keys = keys
            self._starts = array("Q")
            self._starts.frombytes(blob[at:at + 8 * count])
            self._counts = array("I")
            self._counts.frombytes(blob[at + 8 * count:at + 12 * count])
            if len(self._counts) != count or at + 12 * count != len(blob):
                raise ValueError(f"{path.name}: truncated directory")
        except BaseException:
            os.close(self._fd)
            raise

    def get(self, fieldname: str, text: Any) -> tuple[array[int], array[float]] | None:
        """The word's segment-local (ids, weights), or None when the segment does not hold it."""
        key = _key(fieldname, text)
        i = bisect.bisect_left(self._keys, key)
        if i == len(self._keys) or self._keys[i] != key:
            return None
        count = self._counts[i]
        data = os.pread(self._fd, 8 * count, self._starts[i])
        ids, weights = array("I"), array("f")
        ids.frombytes(data[:4 * count])
        weights.frombytes(data[4 * count:])
        return ids, weights

    def close(self) -> None:
        """Release the file."""
        os.close(self._fd)


def open_all(storage_dir: Path, ix: Any) -> dict[str, FlatPostings]:
    """The readable side files of an index's segments, by segment id (damaged or missing ones left out)."""
    found = {}
    for segment in ix._segments():
        try:
            found[segment.segment_id()] = FlatPostings(side_path(storage_dir, segment))
        except (OSError, ValueError, struct.error):
            continue
    return found
