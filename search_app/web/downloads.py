"""Exports as a server streams them: a few at a time, from one index, sharing the worker, and never held forever.

An export is a hundred searches of a hundred rows. In a worker that is an event loop (gevent,
web/server.py) each search runs without a break, so between pages the export lets the loop
answer whatever arrived meanwhile; each worker runs at most `exports_per_worker` at once (more
get a 503 with Retry-After), every page reads the generation the export began on
(SearchBackend.snapshot), and a client that stops reading is cut off after `send_timeout`
seconds instead of holding its connection and the rows waiting for it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, Response, current_app, request, stream_with_context

from search_app import export
from search_app.errors import Busy
from search_app.models import SearchRequest
from search_app.query.engine import SearchBackend
from search_app.web.telemetry import Streamed, note_stream

EXTENSION = "search_app.exports"
PAUSE = 0.0005  # seconds: a timer this short still makes the event loop poll its sockets before coming back


class Slots:
    """How many exports a worker runs at once; taking one past the limit is refused (Busy)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.taken = 0
        self._lock = threading.Lock()  # the dev server answers in threads; gevent's workers in one

    def take(self) -> Callable[[], None]:
        """Hold one slot, or raise Busy; returns the function that gives it back (once, however often called)."""
        with self._lock:
            if self.taken >= self.size:
                raise Busy(f"{self.size} downloads are being prepared right now, the most at once: "
                           "try again in a few seconds.")
            self.taken += 1
        given_back = False

        def give_back() -> None:
            nonlocal given_back
            with self._lock:
                if not given_back:
                    given_back = True
                    self.taken -= 1

        return give_back


def install(app: Flask, exports_per_worker: int) -> None:
    """Give app its export slots (one set per worker process: each builds its own app)."""
    app.extensions[EXTENSION] = Slots(exports_per_worker)


def let_others_run() -> None:
    """In a gevent worker, let the event loop poll its sockets and answer what is waiting, then carry on.

    gevent.sleep(0) would only switch to greenlets already runnable, never polling for requests
    that arrived meanwhile; a timer of PAUSE makes the loop go round once.
    """
    monkey = sys.modules.get("gevent.monkey")  # loaded (and gevent with it) only in a gevent worker
    if monkey is not None and monkey.is_module_patched("socket"):
        sys.modules["gevent"].sleep(PAUSE)


def _cut_off_slow_readers(environ: dict[str, Any], seconds: float) -> None:
    """Give up on a client that does not take a block of rows within `seconds` (gunicorn's socket only)."""
    sock = environ.get("gunicorn.socket")
    if sock is not None and hasattr(sock, "settimeout"):
        sock.settimeout(seconds)  # a send that waits longer raises, and gunicorn closes the connection


def _counted(rows: Iterator[dict[str, Any]], stream: Streamed) -> Iterator[dict[str, Any]]:
    for row in rows:
        stream.rows += 1  # the access log's "results" of an export: the rows it sent
        yield row


def export_response(backend: SearchBackend, req: SearchRequest, fmt: str, link: Callable[[str], str],
                    send_timeout: float) -> Response:
    """The search's rows as a streamed download, or Busy (503) when this worker already runs its most."""
    give_back = current_app.extensions[EXTENSION].take()
    try:
        stream = note_stream(req.q)
        _cut_off_slow_readers(request.environ, send_timeout)

        def body() -> Iterator[str]:
            with backend.snapshot() as held:
                yield from export.blocks(fmt, _counted(export.rows(held, req, link, pause=let_others_run), stream))

        response = Response(stream_with_context(body()), mimetype=export.MEDIA_TYPES[fmt].split(";")[0],
                            headers={"Content-Disposition": f'attachment; filename="search-results.{fmt}"'})
    except BaseException:
        give_back()
        raise
    response.call_on_close(give_back)  # the WSGI server closes every response, read to the end or not
    return response
