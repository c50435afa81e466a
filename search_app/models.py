"""Plain records shared by every layer: articles, skipped files, search requests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

SORTS = ("relevance", "newest", "oldest")
# The order a response is in: a sort, or "city" when a search for a city alone went by relevance
# (no word to weigh: the articles most about the city first, then newest).
ORDERS = ("relevance", "city", "newest", "oldest")
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 10
MAX_QUERY_CHARS = 1000


@dataclass(frozen=True)
class Article:
    """One clean article record, as the ingester produces and the index stores it."""

    id: str
    path: str
    title: str
    body: str
    date: dt.date | None
    source: str | None
    author: str | None
    cities: tuple[str, ...]
    content_hash: str
    dated_by: str | None = None  # the rule that settled the date (dates.AS_WRITTEN, ...), or None
    # A date written as two numbers and a year ("01 03,2018"): its shape and numbers, so a build can
    # settle the ambiguous ones by the order the rest of the archive shows. Not stored in the index.
    date_style: str | None = field(default=None, compare=False, repr=False)
    date_numbers: tuple[int, int, int] | None = field(default=None, compare=False, repr=False)
    # Per city of `cities`, how central it is to the article (gazetteer.locate_cities): orders a search
    # for a city alone. Empty when unknown (each city then counts 1).
    centrality: tuple[int, ...] = field(default=(), compare=False, repr=False)

    def city_weights(self) -> dict[str, int]:
        """Each of the article's cities with how central it is to the article (1 when unknown)."""
        weights = self.centrality if len(self.centrality) == len(self.cities) else (1,) * len(self.cities)
        return dict(zip(self.cities, weights))

    def to_json(self) -> dict[str, Any]:
        """Return the record as JSON-ready data (date as YYYY-MM-DD or None)."""
        return {
            "id": self.id,
            "path": self.path,
            "title": self.title,
            "body": self.body,
            "date": self.date.isoformat() if self.date else None,
            "source": self.source,
            "author": self.author,
            "cities": list(self.cities),
            "content_hash": self.content_hash,
            "dated_by": self.dated_by,
        }


@dataclass(frozen=True)
class Skipped:
    """A file (or JSON record) the ingester could not turn into an article, and why."""

    path: str
    reason: str

    def to_json(self) -> dict[str, str]:
        """Return the skip as JSON-ready data."""
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True)
class SearchRequest:
    """Everything a results page asks of the search core."""

    q: str = ""
    cities: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    highlight: bool = True  # False: titles unmarked, no snippets (for callers that show neither: cheaper)
    suggest: bool = True
    facets: bool = True


@dataclass
class BuildReport:
    """What a build or update did: counts, skips, cities, time."""

    action: str
    generation: str
    indexed: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    total: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    cities: dict[str, int] = field(default_factory=dict)
    dates: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "action": self.action,
            "generation": self.generation,
            "indexed": self.indexed,
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "total": self.total,
            "skipped": [s.to_json() for s in self.skipped],
            "cities": self.cities,
            "dates": self.dates,
            "elapsed_s": round(self.elapsed_s, 3),
        }
