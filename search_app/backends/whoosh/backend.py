"""The embedded Whoosh backend: a thin layer over indexer, reader and search (which it leaves as they are)."""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from whoosh import query as wq

from search_app.backends.whoosh import generations, indexer
from search_app.backends.whoosh import search as core
from search_app.backends.whoosh.reader import IndexHandle, PinnedHandle
from search_app.ingest.files import DEFAULT_MAX_BYTES
from search_app.models import BuildReport, SearchRequest
from search_app.query.analysis import analyse
from search_app.query.contract import ArticleView, Related, SearchResponse
from search_app.query.engine import Progress

MAX_CANDIDATES = 1000  # words of a prefix looked at for one field's completions (the most frequent first)


def _as_in_byline(searcher: Any, word: str) -> str:
    """A byline word ("yuan") as the first byline holding it writes it ("Yuan")."""
    for docnum in searcher.docs_for_query(wq.Term("author", word)):
        byline = searcher.stored_fields(docnum).get("author") or ""
        found = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", byline, re.IGNORECASE)
        return found.group(0) if found else word
    return word


class WhooshBackend:
    """Generations of a Whoosh index in one folder, searched through a long-lived IndexHandle."""

    name = "whoosh"

    def __init__(self, index_dir: Path, time_limit: float = 2.0, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.index_dir = Path(index_dir)
        self.time_limit = time_limit
        self.max_bytes = max_bytes
        self.handle: IndexHandle | PinnedHandle = IndexHandle(self.index_dir)

    def build(self, seeds: Path, *, procs: int = 1, progress: Progress | None = None) -> BuildReport:
        """Full rebuild into a new generation, switched atomically (indexer.build)."""
        return indexer.build(seeds, self.index_dir, procs=procs, max_bytes=self.max_bytes, progress=progress)

    def update(self, seeds: Path, *, progress: Progress | None = None, allow_mass_removal: bool = False) -> BuildReport:
        """Incremental update by content hash (indexer.update), with its guards."""
        return indexer.update(seeds, self.index_dir, max_bytes=self.max_bytes, progress=progress,
                              allow_mass_removal=allow_mass_removal)

    def is_stale(self, seeds: Path) -> bool:
        """No index, an older format, or a seed file changed since the live generation was built."""
        return generations.is_stale(self.index_dir, seeds)

    def search(self, req: SearchRequest) -> SearchResponse:
        """The core search with this backend's time limit."""
        return core.search(self.handle, req, self.time_limit)

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[WhooshBackend]:
        """This backend held on the live generation (and one searcher) until the context ends."""
        if isinstance(self.handle, PinnedHandle):  # already held: the same generation
            yield self
            return
        with self.handle.pinned() as pinned:
            view = copy.copy(self)
            view.handle = pinned
            yield view

    def get_article(self, article_id: str, q: str = "") -> ArticleView:
        """One article, highlighted, with related articles."""
        return core.get_article(self.handle, article_id, q)

    def related(self, article_id: str) -> list[Related]:
        """Related articles of one article (similar.py: its key words, ranked by BM25F)."""
        return core.get_article(self.handle, article_id)["related"]

    def complete(self, prefix: str, limit: int = 8) -> list[str]:
        """Words of the live generation's spelling vocabulary that start with prefix, as the articles write them."""
        vocabulary = self.handle.generation().vocabulary()
        return [vocabulary.shown(w) for w in vocabulary.complete(prefix, limit)]

    def complete_words(self, field: str, prefix: str, limit: int = 8) -> list[str]:
        """Words of one field starting with prefix, most frequent in it first, as the articles write them: for
        title and body the vocabulary's words whose stem that field holds, for author the byline words."""
        prefix = prefix.lower()
        if not prefix or field not in ("title", "body", "author"):
            return []
        gen = self.handle.generation()
        with gen.searcher() as searcher:
            reader = searcher.reader()
            counts: dict[str, tuple[int, int]] = {}
            if field == "author":
                if field not in reader.indexed_field_names():  # no byline in the whole archive
                    return []
                for term in islice(reader.expand_prefix(field, prefix), MAX_CANDIDATES):
                    word = term.decode("utf-8") if isinstance(term, bytes) else term
                    counts[word] = (reader.doc_frequency(field, word), 0)
            else:
                vocabulary = gen.vocabulary()
                for word in vocabulary.complete(prefix, MAX_CANDIDATES):
                    terms = analyse(word)  # a stop word has none: never in the field
                    if terms:
                        counts[word] = (min(gen.lexicon.doc_frequency(field, t) for t in terms),
                                        vocabulary.frequencies[word])
            ranked = sorted((w for w, (n, _f) in counts.items() if n), key=lambda w: (-counts[w][0], -counts[w][1], w))
            if field == "author":  # a name as its byline writes it
                return [_as_in_byline(searcher, w) for w in ranked[:limit]]
        shown = gen.vocabulary().shown
        return [shown(w) for w in ranked[:limit]]

    def stats(self) -> dict[str, Any]:
        """The live generation's meta plus its size on disk."""
        return generations.index_stats(self.index_dir)

    def health(self) -> dict[str, Any]:
        """ok with the article count and generation; IndexMissing/IndexCorrupt (503) when unreadable."""
        gen = self.handle.generation()
        return {"status": "ok", "backend": self.name, "articles": gen.doc_count, "generation": gen.name,
                "built_at": gen.meta.get("built_at")}

    def close(self) -> None:
        """Release every searcher."""
        self.handle.close()
