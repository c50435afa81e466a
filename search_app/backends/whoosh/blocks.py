"""Whoosh's posting lists read a block at a time: the one module that relies on the whoosh3 codec's internals.

Walking a matcher posting by posting costs several Python calls per document; a block holds
up to a few hundred postings, decoded in one go. Matchers of other formats are read the slow,
general way as a single block, so callers never need to know which kind they got.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pickle import loads
from typing import Any

from whoosh.formats import Positions
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound


def leaf_postings(segment: Any, fieldname: str, text: Any) -> Any | None:
    """A segment's own matcher for a word, deleted documents included (callers drop them); None if absent."""
    try:
        matcher = segment.postings(fieldname, text)
    except (TermNotFound, KeyError, ValueError):  # not in this segment
        return None
    return matcher.child if isinstance(matcher, FilterMatcher) else matcher


def position_decoder(fmt: Any) -> Callable[[bytes], Iterable[int]]:
    """A fast decoder for Whoosh's Positions values (a count, then a pickle of deltas), else the format's own."""
    if type(fmt).decode_positions is not Positions.decode_positions:
        return fmt.decode_positions  # type: ignore[no-any-return]
    return lambda value: accumulate(loads(value[4:] if value.endswith(b".") else value[4:] + b"."))


@dataclass
class Block:
    """One block of postings: segment-local ids and weights, positions decoded only when asked for."""

    ids: Sequence[int]
    weights: Sequence[float]
    _positions: Callable[[int], Iterable[int]]

    def positions(self, i: int) -> Iterable[int]:
        """Word positions of the block's i-th posting (valid until the next block is read)."""
        return self._positions(i)


def blocks(matcher: Any) -> Iterator[Block]:
    """The matcher's postings, one block at a time."""
    if not hasattr(matcher, "_read_values"):  # not Whoosh's block format: one block of everything
        ids: list[int] = []
        weights: list[float] = []
        positions: list[list[int]] = []
        with_positions = matcher.supports("positions")
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            positions.append(list(matcher.value_as("positions")) if with_positions else [])
            matcher.next()
        if ids:
            yield Block(ids, weights, positions.__getitem__)
        return
    decode = position_decoder(matcher.format) if matcher.supports("positions") else None

    def positions_of(i: int) -> Iterable[int]:
        if decode is None:
            return ()
        if matcher._values is None:  # the block's values are unpickled on first use only
            matcher._read_values()
        return decode(matcher._values[i])

    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        yield Block(matcher._ids, matcher._weights, positions_of)
        matcher._next_block()
