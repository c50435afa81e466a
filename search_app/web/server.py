"""Production serving: gunicorn, one worker process per core, each an event loop (gevent).

Searching is CPU-bound Python, so worker processes (not threads) use the cores. Each worker is an
event loop rather than a pool of threads because a thread per connection lets any client that
sends its request slowly, or opens a connection and sends nothing, hold a thread: sixteen such
connections stalled every search of a 2 x 4-thread server. An event loop reads request heads
for thousands of connections at once, cheaply, and runs a search only for a complete request;
gunicorn closes a connection whose request head has not fully arrived within HEAD_TIMEOUT
seconds (its keep-alive setting bounds the reading of each head, the first included). Measured
in README, "Running in production".

`kill -HUP` on the master starts new workers (which load the application's code afresh) and lets
the old ones finish what they are answering; `kill -TERM` stops gracefully.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from search_app.config import Settings
from search_app.errors import SearchAppError
from search_app.web.metric_files import CompactingCollector, clear, service_folder
from search_app.web.telemetry import MULTIPROC_ENV

HEAD_TIMEOUT = 5  # seconds a client has to send a request head; also how long an idle connection stays open
CONNECTIONS = 1000  # open connections per worker (slow or idle ones cost a few kB each, not a thread)
KEEP_MODULES = ("search_app", "search_app.config", "search_app.errors", "search_app.web", __name__)


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's per-thread malloc arenas, which otherwise hold memory that is never reused."""
    try:
        ctypes.CDLL(None).mallopt(-8, arenas)  # -8 is M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


def _fresh_app_modules() -> None:
    """Forget the application's modules in a new worker, so that it imports the code now on disk.

    A worker is a fork of the master, which imported the CLI (and with it most of the package)
    when it started: without this, `kill -HUP` would restart the workers on the old code. The
    settings' and errors' modules stay, so the master's Settings remain one class with the worker's.
    """
    for name in [m for m in sys.modules if m.startswith("search_app.") and m not in KEEP_MODULES]:
        del sys.modules[name]
        parent, _, leaf = name.rpartition(".")
        if parent in sys.modules and getattr(sys.modules[parent], leaf, None) is not None:
            delattr(sys.modules[parent], leaf)  # else `from search_app import export` finds the old module


class _Server(BaseApplication):
    """gunicorn driven from code: the options given, the app built in each worker."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        """Apply our options instead of reading gunicorn's command line."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """Build the WSGI app (runs in each worker after the fork)."""
        limit_malloc_arenas()
        _fresh_app_modules()
        from search_app.web.app import EXTENSION, create_app

        app = create_app({"SETTINGS": self.settings})
        try:
            app.extensions[EXTENSION].health()  # open the index now, not on the first visitor's request (nor counted)
        except SearchAppError as exc:  # no index yet, or a damaged one: the pages say so (503), the worker stays up
            app.logger.warning("The index cannot be opened yet: %s", exc.detail or exc.message)
        return app


def _metrics_hooks(settings: Settings, folder: Path) -> dict[str, Any]:
    """gunicorn hooks that serve /metrics from the master on settings.metrics_bind and keep dead workers' counts."""
    host, _, port = (settings.metrics_bind or "").rpartition(":")
    files = CompactingCollector(folder)  # the scrape's thread and the master's loop share its lock

    def when_ready(_arbiter: Any) -> None:
        from prometheus_client import start_http_server

        from search_app.web.telemetry import IndexCollector, scrape_registry

        start_http_server(int(port), host or "127.0.0.1", registry=scrape_registry(files, IndexCollector(settings)))

    def child_exit(_arbiter: Any, worker: Any) -> None:
        files.forget(worker.pid)  # its counts join the archive: totals never go down, files never pile up

    return {"when_ready": when_ready, "child_exit": child_exit}


def prepare_metrics(settings: Settings) -> Path | None:
    """Choose the folder every worker (and `build`/`update`, given the same setting) writes its metric files to.

    Call before any app is built in this process: prometheus_client picks its storage when first
    imported. Its metric files are deleted at start (counters begin again with the service, as
    Prometheus expects of a restart), nothing else. None when no metrics address is set.
    """
    if not settings.metrics_bind:
        return None
    if settings.metrics_dir is None:
        folder = Path(tempfile.mkdtemp(prefix="search-app-metrics-"))
    else:
        folder = service_folder(settings.metrics_dir)
        folder.mkdir(parents=True, exist_ok=True)
        clear(folder)
    os.environ[MULTIPROC_ENV] = str(folder)
    return folder


def serve(settings: Settings, host: str, port: int, workers: int, metrics: Path | None = None) -> None:
    """Serve until interrupted (metrics: prepare_metrics' folder); SIGTERM stops gracefully, SIGHUP replaces workers."""
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gevent",
        "worker_connections": CONNECTIONS,
        "keepalive": HEAD_TIMEOUT,
        "timeout": 30,  # a worker silent this long (stuck, not slow clients) is replaced
        "graceful_timeout": 10,
        "accesslog": None,  # ours is JSON Lines (web/telemetry.py), with what was searched
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "search-app",
        "limit_request_line": 8190,  # gunicorn's maximum: long ids and queries reach the app's own 404/400
        "limit_request_fields": 50,
        "limit_request_field_size": 8190,
    }
    if metrics is not None:
        options.update(_metrics_hooks(settings, metrics))
    try:
        _Server(settings, options).run()
    finally:
        if metrics is not None and settings.metrics_dir is None:
            shutil.rmtree(metrics, ignore_errors=True)
