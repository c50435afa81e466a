"""Production serving: gunicorn with one worker process per core, each with a few threads.

Searching is CPU-bound Python, so threads alone would share one core (the GIL); worker
processes use them all. Each worker builds its own app, so no searcher is shared across a fork.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's per-thread malloc arenas, which otherwise hold memory that is never reused."""
    try:
        ctypes.CDLL(None).mallopt(-8, arenas)  # -8 is M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


class _Server(BaseApplication):
    """gunicorn driven from code: the options given, the app built by the factory in each worker."""

    def __init__(self, factory: Callable[[], Any], options: dict[str, Any]) -> None:
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        """Apply our options instead of reading gunicorn's command line."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """Build the WSGI app (runs in each worker after the fork)."""
        limit_malloc_arenas()
        app = self.factory()
        app.test_client().get("/healthz")  # open the index now, not on the first visitor's request
        return app


def serve(factory: Callable[[], Any], host: str, port: int, workers: int, threads: int) -> None:
    """Serve until interrupted; SIGTERM stops the workers gracefully."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 120,
        "graceful_timeout": 10,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "search-app",
        "limit_request_line": 8190,  # gunicorn's maximum: long ids and queries reach the app's own 404/400
    }
    _Server(factory, options).run()
