"""The live index as seen by a long-running service: switches generations without a restart.

Each generation keeps a small pool of Whoosh searchers (one per concurrent request, since a
searcher is not shared between threads) and caches computed once per generation, as arrays
with an entry per document (columns.py): the facet columns, sort keys, field-length norms, a
city's centrality, the dates; and the list of sources and the spelling vocabulary.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import query as wq

from search_app.backends.whoosh import docvalues
from search_app.backends.whoosh.columns import DocMask, Facet, ids_of, mask_of
from search_app.backends.whoosh.flat import Lexicon
from search_app.backends.whoosh.flat import open_all as open_flat_postings
from search_app.backends.whoosh.generations import CURRENT, VOCABULARY, current_generation, open_generation, read_meta
from search_app.backends.whoosh.postings import phrase_docs, phrase_mask, read_postings
from search_app.backends.whoosh.similar import body_norms
from search_app.errors import IndexCorrupt
from search_app.query.contract import UNDATED_KEY
from search_app.query.suggest import Vocabulary

FACET_FIELDS = docvalues.FACET_FIELDS


class Generation:
    """One opened index generation: a searcher pool and per-generation caches."""

    def __init__(self, index_dir: Path, name: str) -> None:
        self.name = name
        self.path = index_dir / name
        self.index = open_generation(index_dir, name)
        self.meta = read_meta(index_dir, name)
        self._lock = threading.Lock()
        self._free: list[Any] = []
        self._busy = 0
        self._retired = False
        self._closed = False
        self._cache: dict[str, Any] = {}
        self._building: dict[str, threading.Lock] = {}
        try:
            self.flat = open_flat_postings(self.path, self.index)
        except ValueError as error:
            self.index.close()
            raise IndexCorrupt(f"The index generation {name} lacks a readable flat postings file ({error}): run "
                               "`search-app build` to rebuild it (the last good generation keeps serving).") from error
        try:
            self._load()
        except BaseException:
            self.retire()  # closes the searcher _load pooled and the files: nothing else holds them yet
            raise
        # Load the spelling vocabulary in the background, so the first "did you mean" does not wait.
        threading.Thread(target=self.vocabulary, name=f"vocabulary-{name}", daemon=True).start()

    def _load(self) -> None:
        """The per-generation arrays: live documents, facets, norms and sort columns."""
        with self.searcher() as searcher:
            reader = searcher.reader()
            self.doc_count = searcher.doc_count()
            self.size = reader.doc_count_all()  # document numbers run below this (deleted ones included)
            self.has_deletions = reader.has_deletions()
            values = docvalues.read(self.path, self.size) or docvalues.compute(searcher, self.flat)
        for array in values.values():
            array.flags.writeable = False  # shared by every request of the generation
        self.all_docs: DocMask = values["live"]
        self.facets = {name: Facet(self.size, docvalues.facet_ids(values, name)) for name in FACET_FIELDS}
        for key in values:
            if key.startswith(("norms:", "column:")):
                self._cache[key] = values[key]
        self.sources = self.facets["source"].names
        self.lexicon = Lexicon(self.flat)

    def acquire(self, live_only: bool = False) -> Any | None:
        """A searcher for one request, counted as busy; None once closed (or retired, with live_only)."""
        with self._lock:
            if self._closed or (live_only and self._retired):
                return None
            searcher = self._free.pop() if self._free else None
            self._busy += 1
        if searcher is None:
            try:
                searcher = self.index.searcher()
            except BaseException:
                self.release(None)
                raise
        return searcher

    def release(self, searcher: Any | None) -> None:
        """Give back a searcher from acquire(); the last one out of a retired generation closes its files."""
        with self._lock:
            self._busy -= 1
            if searcher is not None and not self._retired:
                self._free.append(searcher)
                searcher = None
            close_files = self._retired and self._busy == 0 and not self._closed
            self._closed = self._closed or close_files
        if searcher is not None:
            searcher.close()
        if close_files:
            self._close_files()

    @contextlib.contextmanager
    def searcher(self) -> Iterator[Any]:
        """Borrow a searcher of this generation for the length of one request."""
        searcher = self.acquire()
        if searcher is None:
            raise RuntimeError(f"generation {self.name} is closed")
        try:
            yield searcher
        finally:
            self.release(searcher)

    def _close_files(self) -> None:
        # Called exactly once (guarded by _closed): a second close could hit a reused descriptor.
        self.index.close()
        for side in self.flat.values():
            side.close()

    def cached(self, key: str, make: Any) -> Any:
        """A value computed once per generation (e.g. the spelling vocabulary), by one thread only."""
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            building = self._building.setdefault(key, threading.Lock())
        # Concurrent first requests wait for one computation instead of each building a copy.
        with building:
            with self._lock:
                if key in self._cache:
                    return self._cache[key]
            value = make()
            if isinstance(value, np.ndarray):
                value.flags.writeable = False  # shared by every request of the generation
            with self._lock:
                self._cache[key] = value
                return value

    def date_docs(self, searcher: Any, first_day: int | None, last_day: int | None) -> DocMask:
        """Dated documents whose day number (days since 0001-01-01) lies in the range, either end open."""
        days, docnums = self.cached("dates", self._dates)
        lo = 0 if first_day is None else int(np.searchsorted(days, first_day, "left"))
        hi = len(days) if last_day is None else int(np.searchsorted(days, last_day, "right"))
        return mask_of(self.size, docnums[lo:hi])

    def _dates(self) -> tuple[np.ndarray, np.ndarray]:
        """(day numbers, doc ids) of every dated live document, sorted by day."""
        days = self._cache["column:sort_oldest"]
        dated = np.flatnonzero((days <= UNDATED_KEY) & self.all_docs)
        order = np.argsort(days[dated], kind="stable")
        return days[dated][order], dated[order]

    def sort_keys(self, searcher: Any, column: str) -> np.ndarray:
        """A sort column's values indexed by doc id (docvalues.py)."""
        return self._cache["column:" + column]  # type: ignore[no-any-return]

    def centrality(self, searcher: Any, city: str) -> np.ndarray:
        """How central a city is to each document (0 where it is not named), by doc id (cached per generation)."""
        def read() -> np.ndarray:
            ids, weights = read_postings(searcher.reader(), "centrality", city)
            dense = np.zeros(self.size, np.int64)
            dense[ids] = weights.astype(np.int64)
            return dense
        return self.cached("centrality:" + city, read)  # type: ignore[no-any-return]

    def vocabulary(self) -> Vocabulary:
        """The spelling vocabulary of this generation (loaded on first use)."""
        return self.cached("vocabulary", lambda: Vocabulary.from_file(self.path / VOCABULARY))  # type: ignore[no-any-return]

    def docs(self, searcher: Any, q: wq.Query, memo: dict[Any, Any] | None = None) -> DocMask:
        """The live documents matching a query, without scoring, as a mask.

        Terms are read straight from their posting lists and combined as masks, which is far
        faster than walking Whoosh's matcher tree in Python; only what needs positions (phrases)
        or ranges goes through Whoosh's matchers.
        """
        reader = searcher.reader()
        if isinstance(q, wq.Every):
            return self.all_docs
        if isinstance(q, wq.Term):
            return self._term_docs(reader, q.fieldname, q.text, memo)
        if isinstance(q, wq.Or):
            found = np.zeros(self.size, bool)
            for child in q.subqueries:
                found |= self.docs(searcher, child, memo)
            return found
        if isinstance(q, wq.And):
            if not q.subqueries:
                return np.zeros(self.size, bool)
            found = self.docs(searcher, q.subqueries[0], memo).copy()
            for child in q.subqueries[1:]:
                found &= self.docs(searcher, child, memo)
            return found
        if isinstance(q, (wq.AndNot, wq.Not)):
            kept, dropped = (q.a, q.b) if isinstance(q, wq.AndNot) else (wq.Every(), q.query)
            rest: DocMask = self.docs(searcher, kept, memo) & ~self.docs(searcher, dropped, memo)
            return rest
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return np.zeros(self.size, bool)
        if isinstance(q, wq.Phrase) and q.slop == 1:
            return self._phrase_docs(searcher, q, memo)
        other: DocMask = mask_of(self.size, np.fromiter(searcher.docs_for_query(q), np.intp)) & self.all_docs
        return other

    def _phrase_docs(self, searcher: Any, q: wq.Phrase, memo: dict[Any, Any] | None) -> DocMask:
        """Documents where the words stand side by side: positions are checked only where all the words are."""
        key = ("phrase", q.fieldname, tuple(q.words))
        if memo is not None and key in memo:
            return memo[key]  # type: ignore[no-any-return]
        reader = searcher.reader()
        candidates = self.all_docs.copy() if q.words else np.zeros(self.size, bool)
        for word in q.words:
            candidates &= self._term_docs(reader, q.fieldname, word, memo)
        found = candidates
        if candidates.any():
            vectorised = phrase_mask(reader, q, candidates, self.flat)
            if vectorised is not None:
                found = vectorised
            else:  # a byline phrase: its positions come from Whoosh's blocks
                hits = phrase_docs(reader, q, frozenset(ids_of(candidates).tolist()))
                found = mask_of(self.size, np.asarray(hits, np.intp))
        if memo is not None:
            memo[key] = found
        return found

    def _term_docs(self, reader: Any, fieldname: str, text: Any, memo: dict[Any, Any] | None = None) -> DocMask:
        ids, _weights = self.postings(reader, fieldname, text, memo)
        found = mask_of(self.size, ids)
        return found & self.all_docs if self.has_deletions else found

    def postings(self, reader: Any, fieldname: str, text: Any,
                 memo: dict[Any, Any] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """A term's (doc ids, weights) arrays; memo keeps them for the rest of one request (ranking reads them again)."""
        if memo is None:
            return read_postings(reader, fieldname, text, self.flat)
        key = (fieldname, text)
        if key not in memo:
            memo[key] = read_postings(reader, fieldname, text, self.flat)
        return memo[key]  # type: ignore[no-any-return]

    def field_norms(self, searcher: Any, fieldname: str) -> np.ndarray:
        """Each document's BM25 length divisor in a title or body field (docvalues.py)."""
        return self._cache["norms:" + fieldname]  # type: ignore[no-any-return]

    def similar_norms(self) -> np.ndarray:
        """Each document's body length divisor for related articles (similar.py), computed on first use."""
        def make() -> np.ndarray:
            with self.searcher() as searcher:
                lengths = docvalues.field_lengths(searcher.reader(), self.flat, "body")
            return body_norms(lengths)
        return self.cached("norms:similar", make)  # type: ignore[no-any-return]

    def retire(self) -> None:
        """Close idle searchers now and busy ones when their requests end."""
        with self._lock:
            self._retired = True
            idle, self._free = self._free, []
            close_files = self._busy == 0 and not self._closed
            self._closed = self._closed or close_files
        for searcher in idle:
            searcher.close()
        if close_files:
            self._close_files()


class IndexHandle:
    """The service's view of an index folder; follows CURRENT to each new generation."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._generation: Generation | None = None
        self._stamp: tuple[int, int] | None = None

    def _pointer_stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.index_dir / CURRENT)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def generation(self) -> Generation:
        """The live generation, reopened when a build or update has switched CURRENT."""
        stamp = self._pointer_stamp()
        with self._lock:
            current = self._generation
            if current is not None and stamp == self._stamp:
                return current
            name = current_generation(self.index_dir)
            if current is not None and current.name == name:
                self._stamp = stamp
                return current
            try:
                fresh = Generation(self.index_dir, name)
            except IndexCorrupt:
                if current is not None:
                    # Keep serving what we have rather than failing; try again once CURRENT changes,
                    # not on every request (checking a generation's files reads them whole).
                    self._stamp = stamp
                    return current
                raise
            self._generation, self._stamp = fresh, stamp
        if current is not None:
            current.retire()
        return fresh

    @contextlib.contextmanager
    def session(self) -> Iterator[tuple[Generation, Any]]:
        """The live generation and one of its searchers, held for one request.

        A generation retired between looking it up and borrowing from it is passed over for the
        new one, so a request never reads files a switch has closed.
        """
        while True:
            gen = self.generation()
            searcher = gen.acquire(live_only=True)
            if searcher is not None:
                break
        try:
            yield gen, searcher
        finally:
            gen.release(searcher)

    @contextlib.contextmanager
    def pinned(self) -> Iterator[PinnedHandle]:
        """The live generation and one searcher, held until the context ends (for a run of searches)."""
        with self.session() as (gen, searcher):
            yield PinnedHandle(gen, searcher)

    def close(self) -> None:
        """Release every searcher (for tests and shutdown)."""
        with self._lock:
            current, self._generation = self._generation, None
        if current is not None:
            current.retire()


class PinnedHandle:
    """One generation and searcher held for a run of searches (an export's pages): a switch meanwhile is not seen.

    The generation stays readable while held (a retired one closes its files when its last searcher
    is given back); the searcher is used by one run at a time, as a request uses its own.
    """

    def __init__(self, gen: Generation, searcher: Any) -> None:
        self._gen = gen
        self._searcher = searcher

    def generation(self) -> Generation:
        """The held generation."""
        return self._gen

    @contextlib.contextmanager
    def session(self) -> Iterator[tuple[Generation, Any]]:
        """The held generation and searcher (given back by IndexHandle.pinned, not here)."""
        yield self._gen, self._searcher

    def close(self) -> None:
        """Nothing to release here: IndexHandle.pinned gives the searcher back when its context ends."""
