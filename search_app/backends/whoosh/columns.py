"""Document sets, facet columns and top-k selection as numpy arrays, one entry per document of a generation.

A set of documents is a boolean mask as long as the index (`mask[docnum]`): intersections and
unions are one vectorised operation each, whatever their sizes, where Python sets cost a hash
lookup per member. Facets are counted from per-document columns over the matched ids (a code per
document and `bincount` for single-valued fields, a bit per value for multi-valued ones), and
the best k of n matches are picked with `argpartition`, then only those k are sorted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

DocMask = np.ndarray  # bool, one entry per document number


def mask_of(size: int, ids: np.ndarray | Iterable[int]) -> DocMask:
    """The mask of a set of document numbers."""
    mask = np.zeros(size, bool)
    ids = ids if isinstance(ids, np.ndarray) else np.fromiter(ids, np.intp)
    mask[ids] = True
    return mask


def ids_of(mask: DocMask) -> np.ndarray:
    """The document numbers of a mask, ascending."""
    return np.flatnonzero(mask)


class Facet:
    """One facet field's values and, per document, which of them it has (counted over any set of matches)."""

    def __init__(self, size: int, values: Mapping[str, np.ndarray]) -> None:
        self.size = size
        self.names = sorted(values)
        self.ids = {name: values[name] for name in self.names}
        total = sum(len(ids) for ids in self.ids.values())
        holders = mask_of(size, np.concatenate(list(self.ids.values()))) if self.ids else np.zeros(size, bool)
        # Single-valued (a year, a source): one code per document, counted by bincount. Multi-valued (cities): a
        # bit per value while they fit in 64 bits, else one gather per value.
        self.single = total == int(np.count_nonzero(holders))
        self.codes: np.ndarray | None = None
        self.bits: np.ndarray | None = None
        if self.single:
            self.codes = np.full(size, len(self.names), np.int32)  # the last bin: documents without a value
            for code, name in enumerate(self.names):
                self.codes[self.ids[name]] = code
        elif len(self.names) <= 64:
            self.bits = np.zeros(size, np.uint64)
            for code, name in enumerate(self.names):
                self.bits[self.ids[name]] |= np.uint64(1 << code)

    def docs(self, names: Sequence[str]) -> DocMask:
        """The documents with any of the named values."""
        mask = np.zeros(self.size, bool)
        for name in names:
            ids = self.ids.get(name)
            if ids is not None:
                mask[ids] = True
        return mask

    def counts(self, matched: np.ndarray) -> dict[str, int]:
        """How many of the matched documents (ids) have each value."""
        if self.codes is not None:
            found = np.bincount(self.codes[matched], minlength=len(self.names) + 1)
            return {name: int(found[code]) for code, name in enumerate(self.names)}
        if self.bits is not None:
            held = self.bits[matched]
            return {name: int(np.count_nonzero(held & np.uint64(1 << code))) for code, name in enumerate(self.names)}
        mask = mask_of(self.size, matched)
        return {name: int(np.count_nonzero(mask[ids])) for name, ids in self.ids.items()}


def top_k(ids: np.ndarray, k: int, *keys: np.ndarray) -> np.ndarray:
    """The k ids that come first by the keys (each aligned with ids, ascending, the first deciding), then by id.

    The first key is partitioned at its k-th value; only the documents before it and those tied
    with it are sorted, so picking 10 of 100,000 matches sorts a few dozen."""
    if k <= 0 or len(ids) == 0:
        return ids[:0]
    if len(ids) > 4 * k and keys:
        primary = keys[0]
        kth = np.partition(primary, k - 1)[k - 1]
        keep = primary <= kth
        ids, keys = ids[keep], tuple(key[keep] for key in keys)
    order = np.lexsort((ids, *reversed(keys))) if keys else np.argsort(ids, kind="stable")
    return ids[order[:k]]
