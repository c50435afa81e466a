"""What every engine offers (the SearchBackend protocol): what the web app and the CLI may ask, whichever runs."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from search_app.models import BuildReport, SearchRequest
from search_app.query.contract import ArticleView, Related, SearchResponse

NAMES = ("whoosh", "typesense")

Progress = Callable[[int, int], None]  # (files done, files in all)


@runtime_checkable
class SearchBackend(Protocol):
    """A search engine holding the articles: fed by the ingester, asked with SearchRequest.

    Every method answers with the contract's plain shapes (search_app.query.contract) and raises
    SearchAppError subclasses with a message a user can act on.
    """

    name: str

    def build(self, seeds: Path, *, procs: int = 1, progress: Progress | None = None) -> BuildReport:
        """Index every file under seeds into a new index, then switch searches to it at once."""
        ...

    def update(self, seeds: Path, *, progress: Progress | None = None, allow_mass_removal: bool = False) -> BuildReport:
        """Apply new, changed and deleted files of seeds to the live index; refuse removing most of it unless allowed."""
        ...

    def is_stale(self, seeds: Path) -> bool:
        """True when a build from seeds would change what is served (`build --if-stale`)."""
        ...

    def search(self, req: SearchRequest) -> SearchResponse:
        """One results page with facets, suggestion and the relaxed flag (contract.SearchResponse)."""
        ...

    def snapshot(self) -> AbstractContextManager[SearchBackend]:
        """This backend held on the index as it is now: searches through what the context gives read that one
        index until it ends, whatever a build or update switches to meanwhile (an export's pages agree)."""
        ...

    def get_article(self, article_id: str, q: str = "") -> ArticleView:
        """One article with highlighted paragraphs and related articles; NotFound when unknown."""
        ...

    def related(self, article_id: str) -> list[Related]:
        """Articles most like this one (id, title, date, source, cities)."""
        ...

    def complete(self, prefix: str, limit: int = 8) -> list[str]:
        """Indexed words starting with prefix, most frequent first (for the search box)."""
        ...

    def complete_words(self, field: str, prefix: str, limit: int = 8) -> list[str]:
        """Words of one field (title, body or author) starting with prefix, most frequent first; [] for other fields."""
        ...

    def stats(self) -> dict[str, Any]:
        """Articles, counts per city and source, date range and build details of the live index."""
        ...

    def health(self) -> dict[str, Any]:
        """{"status": "ok" | "unavailable", "backend", "articles", "generation", "built_at", ...}; a
        "message" says what is wrong when the status is not ok."""
        ...

    def close(self) -> None:
        """Release searchers and connections."""
        ...
