"""The live index as seen by a long-running service: switches generations without a restart.

Each generation keeps a small pool of Whoosh searchers (one per concurrent request, since a
searcher is not shared between threads) and caches computed once per generation: the doc-id
sets behind every facet value, the list of sources, the spelling vocabulary.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from whoosh import query as wq

from search_app.backends.whoosh.flat import open_all as open_flat_postings
from search_app.backends.whoosh.generations import CURRENT, VOCABULARY, current_generation, open_generation, read_meta
from search_app.backends.whoosh.postings import phrase_docs, read_postings
from search_app.backends.whoosh.ranking import length_norms
from search_app.errors import IndexCorrupt
from search_app.query.bm25 import FIELD_B
from search_app.query.contract import UNDATED_KEY
from search_app.query.suggest import Vocabulary

FACET_FIELDS = ("city", "source", "year")


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
        with self.searcher() as searcher:
            reader = searcher.reader()
            self.doc_count = searcher.doc_count()
            self.all_docs = frozenset(reader.all_doc_ids())
            self.has_deletions = reader.has_deletions()
            self.facet_docs = {name: self._value_sets(reader, name) for name in FACET_FIELDS}
        self.sources = sorted(self.facet_docs["source"])
        self.flat = open_flat_postings(self.path, self.index)  # absent for indexes built before flat.py
        # Load the spelling vocabulary in the background, so the first "did you mean" does not wait.
        threading.Thread(target=self.vocabulary, name=f"vocabulary-{name}", daemon=True).start()

    @staticmethod
    def _value_sets(reader: Any, fieldname: str) -> dict[str, frozenset[int]]:
        """For each value of a facet field, the set of live documents that have it."""
        sets: dict[str, frozenset[int]] = {}
        if fieldname not in reader.indexed_field_names():
            return sets
        for value in reader.field_terms(fieldname):
            ids = reader.postings(fieldname, value).all_ids()
            sets[value] = frozenset(i for i in ids if not reader.is_deleted(i))
        return sets

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
            with self._lock:
                self._cache[key] = value
                return value

    def date_docs(self, searcher: Any, first_day: int | None, last_day: int | None) -> frozenset[int]:
        """Dated documents whose day number (days since 0001-01-01) lies in the range, either end open."""
        days, docnums = self.cached("dates", lambda: self._dates(searcher.reader()))
        lo = 0 if first_day is None else bisect.bisect_left(days, first_day)
        hi = len(days) if last_day is None else bisect.bisect_right(days, last_day)
        return frozenset(docnums[lo:hi])

    @staticmethod
    def _dates(reader: Any) -> tuple[list[int], list[int]]:
        """(day numbers, doc ids) of every dated live document, sorted by day."""
        pairs = sorted((day, docnum) for docnum, day in enumerate(reader.column_reader("sort_oldest"))
                       if day <= UNDATED_KEY and not reader.is_deleted(docnum))
        return [d for d, _ in pairs], [n for _, n in pairs]

    def sort_keys(self, searcher: Any, column: str) -> list[int]:
        """A sort column's values indexed by doc id (cached per generation)."""
        return self.cached("column:" + column, lambda: list(searcher.reader().column_reader(column)))  # type: ignore[no-any-return]

    def centrality(self, searcher: Any, city: str) -> dict[int, int]:
        """How central a city is to each document that names it, by doc id (cached per generation)."""
        def read() -> dict[int, int]:
            ids, weights = read_postings(searcher.reader(), "centrality", city)
            return dict(zip(ids, map(int, weights)))
        return self.cached("centrality:" + city, read)  # type: ignore[no-any-return]

    def vocabulary(self) -> Vocabulary:
        """The spelling vocabulary of this generation (loaded on first use)."""
        return self.cached("vocabulary", lambda: Vocabulary.from_file(self.path / VOCABULARY))  # type: ignore[no-any-return]

    def docs(self, searcher: Any, q: wq.Query, memo: dict[Any, Any] | None = None) -> frozenset[int]:
        """Doc ids matching a query, without scoring.

        Terms are read straight from their posting lists and combined with set algebra,
        which is several times faster than walking Whoosh's matcher tree in Python; only
        what needs positions (phrases) or ranges goes through Whoosh's matchers.
        """
        reader = searcher.reader()
        if isinstance(q, wq.Every):
            return self.all_docs
        if isinstance(q, wq.Term):
            return self._term_docs(reader, q.fieldname, q.text, memo)
        if isinstance(q, wq.Or):
            sets = [self.docs(searcher, child, memo) for child in q.subqueries]
            return frozenset().union(*sets) if sets else frozenset()
        if isinstance(q, wq.And):
            sets = sorted((self.docs(searcher, child, memo) for child in q.subqueries), key=len)
            return frozenset(sets[0].intersection(*sets[1:])) if sets else frozenset()
        if isinstance(q, (wq.AndNot, wq.Not)):
            kept, dropped = (q.a, q.b) if isinstance(q, wq.AndNot) else (wq.Every(), q.query)
            return self.docs(searcher, kept, memo) - self.docs(searcher, dropped, memo)
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return frozenset()
        if isinstance(q, wq.Phrase):
            # Only documents holding every word can hold the phrase: check positions there alone.
            candidates = frozenset.intersection(*(self._term_docs(reader, q.fieldname, w, memo) for w in q.words)) \
                if q.words else frozenset()
            if not candidates:
                return candidates
            if q.slop == 1:
                key = ("phrase", q.fieldname, tuple(q.words))
                if memo is not None and key in memo:
                    return memo[key]  # type: ignore[no-any-return]
                found = phrase_docs(reader, q, candidates, self.flat)
                if memo is not None:
                    memo[key] = found
                return found
        return frozenset(searcher.docs_for_query(q)) & self.all_docs

    def _term_docs(self, reader: Any, fieldname: str, text: Any, memo: dict[Any, Any] | None = None) -> frozenset[int]:
        ids, _weights = self.postings(reader, fieldname, text, memo)
        return frozenset(ids) & self.all_docs if self.has_deletions else frozenset(ids)

    def postings(self, reader: Any, fieldname: str, text: Any,
                 memo: dict[Any, Any] | None = None) -> tuple[list[int], list[float]]:
        """A term's (doc ids, weights); memo keeps them for the rest of one request (ranking reads them again)."""
        if memo is None:
            return read_postings(reader, fieldname, text, self.flat)
        key = (fieldname, text)
        if key not in memo:
            memo[key] = read_postings(reader, fieldname, text, self.flat)
        return memo[key]  # type: ignore[no-any-return]

    def field_norms(self, searcher: Any, fieldname: str) -> list[float]:
        """Each document's BM25 length divisor in a title or body field (cached per generation)."""
        def read() -> list[float]:
            reader = searcher.reader()
            lengths = [reader.doc_field_length(d, fieldname, 0) or 0 for d in range(reader.doc_count_all())]
            return length_norms(lengths, searcher.avg_field_length(fieldname), FIELD_B[fieldname])
        return self.cached("norms:" + fieldname, read)  # type: ignore[no-any-return]

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
                    return current  # keep serving what we have rather than failing
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

    def close(self) -> None:
        """Release every searcher (for tests and shutdown)."""
        with self._lock:
            current, self._generation = self._generation, None
        if current is not None:
            current.retire()
