"""Search backends behind one interface (base.SearchBackend): the embedded Whoosh index, or a Typesense cluster."""

from __future__ import annotations

from search_app.config import Settings
from search_app.errors import BadRequest
from search_app.query.engine import NAMES, SearchBackend

__all__ = ["NAMES", "SearchBackend", "open_backend"]


def open_backend(settings: Settings, serving: bool = False) -> SearchBackend:
    """The backend the settings choose, ready to search (the caller closes it).

    serving: for the web server, which on Typesense searches with the search-only key when there is one.
    """
    if settings.backend == "whoosh":
        from search_app.backends.whoosh.backend import WhooshBackend

        return WhooshBackend(settings.index, time_limit=settings.search_time_limit, max_bytes=settings.max_file_bytes)
    if settings.backend == "typesense":
        try:
            from search_app.backends.typesense.backend import TypesenseBackend
        except ImportError as exc:  # the client is an optional extra
            raise BadRequest(f"The Typesense backend needs its client ({exc}): pip install 'search-app[typesense]'.") from None
        key = settings.typesense_search_key if serving and settings.typesense_search_key else settings.typesense_api_key
        return TypesenseBackend(settings.typesense_nodes, key, alias=settings.typesense_alias,
                                search_key="" if serving else settings.typesense_search_key,
                                time_limit=settings.search_time_limit, max_bytes=settings.max_file_bytes)
    raise BadRequest(f"Unknown backend {settings.backend!r}: use one of {', '.join(NAMES)}.")
