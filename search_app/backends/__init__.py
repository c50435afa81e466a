"""Search backends behind one interface (base.SearchBackend): the embedded Whoosh index, or a Typesense cluster."""

from __future__ import annotations

from ..config import Settings
from ..errors import BadRequest
from .base import NAMES, SearchBackend

__all__ = ["NAMES", "SearchBackend", "open_backend"]


def open_backend(settings: Settings) -> SearchBackend:
    """The backend the settings choose, ready to search (the caller closes it)."""
    if settings.backend == "whoosh":
        from .whoosh import WhooshBackend

        return WhooshBackend(settings.index, time_limit=settings.search_time_limit, max_bytes=settings.max_file_bytes)
    if settings.backend == "typesense":
        try:
            from .typesense import TypesenseBackend
        except ImportError as exc:  # the client is an optional extra
            raise BadRequest(f"The Typesense backend needs its client ({exc}): pip install 'search-app[typesense]'.") from None
        return TypesenseBackend(settings.typesense_nodes, settings.typesense_api_key, alias=settings.typesense_alias,
                                time_limit=settings.search_time_limit, max_bytes=settings.max_file_bytes)
    raise BadRequest(f"Unknown backend {settings.backend!r}: use one of {', '.join(NAMES)}.")
