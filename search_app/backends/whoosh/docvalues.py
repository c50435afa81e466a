"""A generation's per-document arrays, computed when the generation is written and stored beside it.

Searching needs, for every document, its BM25 length divisors, its sort keys, whether it is live
and the values of its facets (columns.py). Whoosh hands them out one document at a time through
Python calls: at 100,000 articles a worker spent some 2.5 s on them before its first answer.
`build` and `update` compute them once into `docvalues.npz` (plain numpy arrays, no pickles); a
worker opening the generation loads that file in milliseconds. A missing or unreadable file (an
index written before it existed) is recomputed in memory, with the same values.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.columns import NumericColumn
from whoosh.util.numeric import byte_to_length, length_to_byte

from search_app.backends.whoosh.flat import FlatPostings
from search_app.backends.whoosh.generations import DOCVALUES
from search_app.backends.whoosh.postings import read_postings
from search_app.backends.whoosh.ranking import length_norms
from search_app.query.bm25 import FIELD_B, TEXT_FIELDS

FILE = DOCVALUES
VERSION = 2  # 2: lengths from the flat files
FACET_FIELDS = ("city", "source", "year")
SORT_COLUMNS = ("sort_newest", "sort_oldest")


def compute(searcher: Any, flat: dict[str, FlatPostings]) -> dict[str, np.ndarray]:
    """Every per-document array of the searcher's index (one pass over its documents per array)."""
    reader = searcher.reader()
    size = reader.doc_count_all()
    live = _live(reader, size)
    values: dict[str, np.ndarray] = {"version": np.array([VERSION]), "live": live}
    for name in TEXT_FIELDS:
        exact = field_lengths(reader, flat, name)
        # The average over every document written, a deleted one too until a merge drops it, and each
        # length rounded to Whoosh's one byte: the ranking Whoosh's own lengths and average gave.
        average = float(exact.sum()) / (size or 1)
        values[f"norms:{name}"] = length_norms(rounded(exact), average, FIELD_B[name])
    for column in SORT_COLUMNS:
        values[f"column:{column}"] = _sort_column(reader, column, size)
    for name in FACET_FIELDS:
        names, ids = [], []
        if name in reader.indexed_field_names():
            for value in reader.field_terms(name):
                found, _weights = read_postings(reader, name, value)  # a block at a time, deleted ones included
                names.append(value)
                ids.append(found[live[found]])
        values[f"facet:{name}:names"] = np.array(names, dtype=str)
        values[f"facet:{name}:offsets"] = np.cumsum([0] + [len(i) for i in ids], dtype=np.int64)
        values[f"facet:{name}:ids"] = np.concatenate(ids) if ids else np.zeros(0, np.intp)
    return values


def _live(reader: Any, size: int) -> np.ndarray:
    """Which documents are not deleted: each segment's (few) deleted ones struck out, not a call per document."""
    live = np.ones(size, bool)
    for segment, offset in reader.leaf_readers():
        deleted = getattr(segment, "deleted_docs_set", None)
        if deleted is None:  # not a Whoosh 3 segment reader: ask document by document
            live[:] = False
            live[np.fromiter(reader.all_doc_ids(), np.intp)] = True
            return live
        live[np.fromiter(deleted, np.intp, len(deleted)) + offset] = False
    return live


def field_lengths(reader: Any, flat: dict[str, FlatPostings], name: str) -> np.ndarray:
    """Each document's length in a text field (its number of indexed words), from its segment's flat file."""
    # An index of no article has one leaf without a segment (Whoosh's empty reader): no lengths to read.
    parts = [flat[segment.segment().segment_id()].lengths(name) for segment, _offset in reader.leaf_readers()
             if segment.doc_count_all()]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)


def rounded(lengths: np.ndarray) -> np.ndarray:
    """Lengths as Whoosh's one-byte approximation gives them back (exact up to 8, then within about 6%)."""
    distinct, where = np.unique(lengths, return_inverse=True)
    kept = np.array([byte_to_length(length_to_byte(int(n))) if n else 0 for n in distinct], np.float64)
    return kept[where.reshape(-1)] if len(distinct) else np.zeros(0, np.float64)


def _sort_column(reader: Any, column: str, size: int) -> np.ndarray:
    """A sort column's values by document."""
    if not size:  # an index of no article: Whoosh's empty reader has no columns to ask
        return np.zeros(0, np.int64)
    raw = _raw_column(reader, column, reader.schema[column].column_type)
    if raw is not None:
        keys = raw.astype(np.int64)
        looked_up = reader.column_reader(column)
        if _agrees(keys, looked_up.__getitem__):
            return keys
    return np.fromiter(reader.column_reader(column), np.int64, size)


def _raw_column(reader: Any, fieldname: str, column: Any) -> np.ndarray | None:
    """A fixed-width numeric column read whole from each segment's file (one read, no call per document),
    or None when a segment's column is not of that kind (the caller then asks document by document)."""
    parts = []
    for segment, _offset in reader.leaf_readers():
        count = segment.doc_count_all()
        perdoc = getattr(segment, "_perdoc", None)
        if perdoc is None or not perdoc.has_column(fieldname):
            return None
        found = perdoc.column_reader(fieldname, column)
        if type(found) is not NumericColumn.Reader:
            return None
        stored = found._count  # values past it were never written: they are the column's default
        data = np.frombuffer(found._dbfile.get(found._basepos, stored * found._fixedlen), np.dtype(">" + found._typecode))
        part = np.full(count, found._default, np.int64)
        part[:min(stored, count)] = data[:count]
        parts.append(part)
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _agrees(values: np.ndarray, look_up: Any, samples: int = 256) -> bool:
    """True when values match Whoosh's own per-document answer at samples spread over the index."""
    if len(values) == 0:
        return True
    at = np.unique(np.linspace(0, len(values) - 1, min(samples, len(values))).astype(np.intp))
    return all(values[d] == look_up(int(d)) for d in at)


def write(folder: Path, searcher: Any, flat: dict[str, FlatPostings]) -> dict[str, np.ndarray]:
    """Compute the arrays and store them in the generation folder (replacing, never rewriting, the file)."""
    values = compute(searcher, flat)
    tmp = folder / f".{FILE}.tmp"
    with open(tmp, "wb") as out:
        np.savez(out, **values)  # type: ignore[arg-type]
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, folder / FILE)  # an update's folder may hold a hard link to the last generation's
    return values


def read(folder: Path, size: int) -> dict[str, np.ndarray] | None:
    """The stored arrays, or None when absent, damaged, of another version or not for `size` documents."""
    try:
        with open(folder / FILE, "rb") as raw, np.load(raw, allow_pickle=False) as stored:  # closed even when damaged
            values = {key: stored[key] for key in stored.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError):
        return None
    version = values.get("version")
    if version is None or version.tolist() != [VERSION] or len(values.get("live", ())) != size:
        return None
    return values


def facet_ids(values: dict[str, np.ndarray], name: str) -> dict[str, np.ndarray]:
    """One facet's live documents per value."""
    names, offsets, ids = (values[f"facet:{name}:{part}"] for part in ("names", "offsets", "ids"))
    return {str(value): ids[offsets[i]:offsets[i + 1]] for i, value in enumerate(names)}
