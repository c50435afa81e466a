"""Posting lists and positions as arrays (ranking.py scores them): title and body from the flat files
(flat.py), other fields (byline, city, source, year) from Whoosh's blocks.

Whoosh walks postings one document at a time through layers of Python matcher objects;
reading each word's postings whole is several times faster.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from whoosh import query as wq

from search_app.backends.whoosh.blocks import blocks, leaf_postings
from search_app.backends.whoosh.flat import FIELDS as FLAT_FIELDS
from search_app.backends.whoosh.flat import FlatPostings

Postings = tuple[np.ndarray, np.ndarray]  # doc ids (intp, ascending) and weights (float32)
_NO_IDS = np.zeros(0, np.intp)
_NO_WEIGHTS = np.zeros(0, np.float32)


def segment_blocks(segment: Any, fieldname: str, text: Any) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """(segment-local ids, weights) of a word, one Whoosh block at a time; nothing if the word is absent."""
    matcher = leaf_postings(segment, fieldname, text)
    if matcher is not None:
        for block in blocks(matcher):
            yield block.ids, block.weights


def read_postings(reader: Any, fieldname: str, text: Any, flat: Mapping[str, FlatPostings] | None = None) -> Postings:
    """(doc ids, weights) of a term across every segment as arrays, deleted documents included.

    Title and body are read from each segment's flat file (flat must be given for them), other
    fields from Whoosh's blocks."""
    id_parts: list[np.ndarray] = []
    weight_parts: list[np.ndarray] = []
    for segment, offset in reader.leaf_readers():
        if fieldname in FLAT_FIELDS:
            if not segment.doc_count_all():  # the empty reader of an index of no article: no segment, no file
                continue
            found = _flat(flat, segment).get(fieldname, text)
            if found is not None:
                id_parts.append(found[0].astype(np.intp) + offset)
                weight_parts.append(found[1])
            continue
        for block_ids, block_weights in segment_blocks(segment, fieldname, text):
            id_parts.append(np.asarray(block_ids, np.intp) + offset)
            weight_parts.append(np.asarray(block_weights, np.float32))
    if not id_parts:
        return _NO_IDS, _NO_WEIGHTS
    if len(id_parts) == 1:
        return id_parts[0], weight_parts[0]
    return np.concatenate(id_parts), np.concatenate(weight_parts)


def _flat(flat: Mapping[str, FlatPostings] | None, segment: Any) -> FlatPostings:
    """A segment's flat file (every segment of a generation has one: reader.Generation checks at opening)."""
    if flat is None:
        raise ValueError("title and body postings are read from the flat files: pass them")
    return flat[segment.segment().segment_id()]


def read_positions(reader: Any, fieldname: str, text: Any, wanted: frozenset[int]) -> dict[int, Sequence[int]]:
    """Word positions of a term in the wanted documents only, from Whoosh's blocks (a byline's; title and body
    phrases are matched on the flat files' positions by phrase_mask)."""
    found: dict[int, Sequence[int]] = {}
    for segment, offset in reader.leaf_readers():
        found.update(segment_positions(segment, offset, fieldname, text, wanted))
    return found


def segment_positions(segment: Any, offset: int, fieldname: str, text: Any, wanted: frozenset[int]) -> dict[int, list[int]]:
    """Positions of a word in the wanted documents of one segment, from Whoosh's blocks (those holding them only)."""
    found: dict[int, list[int]] = {}
    matcher = leaf_postings(segment, fieldname, text)
    if matcher is None:
        return found
    for block in blocks(matcher):
        for i, docnum in enumerate(block.ids):
            if offset + docnum in wanted:
                found[offset + docnum] = list(block.positions(i))
    return found


def phrase_docs(reader: Any, q: wq.Phrase, candidates: frozenset[int]) -> list[int]:
    """The candidates (documents holding every word) in which the words stand next to each other, in order."""
    if not candidates or not q.words:
        return []
    if q.slop != 1:  # only exact phrases here; others go through Whoosh
        raise ValueError("sloppy phrase")
    positions = [read_positions(reader, q.fieldname, word, candidates) for word in q.words]
    hits = []
    for docnum in candidates:
        lists = [p.get(docnum) or () for p in positions]
        if not all(lists):
            continue
        later = [set(p) for p in lists[1:]]
        if any(all(start + k + 1 in later[k] for k in range(len(later))) for start in lists[0]):
            hits.append(docnum)
    return hits


def phrase_mask(reader: Any, q: wq.Phrase, candidates: np.ndarray,
                flat: Mapping[str, FlatPostings]) -> np.ndarray | None:
    """The candidates (a mask of documents holding every word) in which the words stand side by side, in order,
    found with array operations on the flat files' positions; None for a field without flat files (a byline).

    Each word's (document, position - its place in the phrase) pairs become one 64-bit key; the
    documents whose keys every word shares hold the phrase."""
    if q.slop != 1 or not q.words or q.fieldname not in FLAT_FIELDS:
        return None
    found = np.zeros(len(candidates), bool)
    for segment, offset in reader.leaf_readers():
        side = _flat(flat, segment)
        common: np.ndarray | None = None
        for place, word in enumerate(q.words):
            keys = _position_keys(side, q.fieldname, word, offset, place, candidates)
            common = keys if common is None else common[np.isin(common, keys)]
            if not len(common):
                break
        if common is not None and len(common):
            found[np.unique(common >> 32)] = True
    return found


def _position_keys(side: FlatPostings, fieldname: str, word: Any, offset: int, place: int,
                   candidates: np.ndarray) -> np.ndarray:
    """(document << 32 | position - place) of every position of the word in the candidate documents of a segment."""
    arrays = side.position_arrays(fieldname, word)
    if arrays is None:
        return np.zeros(0, np.int64)
    ids, starts, positions = arrays
    docs = ids.astype(np.int64) + offset
    keep = candidates[docs]
    lengths = (starts[1:] - starts[:-1])[keep].astype(np.int64)
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, np.int64)
    first = starts[:-1][keep].astype(np.int64)
    at = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths) + np.repeat(first, lengths)
    where = positions[at].astype(np.int64) - place
    owner = np.repeat(docs[keep], lengths)
    ok = where >= 0
    return np.asarray((owner[ok] << 32) | where[ok], np.int64)
