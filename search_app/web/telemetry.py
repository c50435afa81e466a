"""What a running service tells its keeper: Prometheus metrics and the JSON Lines access log.

Every response passes through the after-request hook `install` adds: it is counted (route,
status, duration; searches that found nothing) and, when an access log is set, written as one
record (querylog.record). The views say what a request searched for through `note_search`. A
log that cannot be written is reported in the error log, never turned into a failed request.

Metrics use prometheus_client's multiprocess mode when `search-app serve` sets it up (each worker
writes its own files, in the folder web/metric_files.py owns; the scrape, served by the gunicorn
master on its own address, adds them up); elsewhere they are kept in memory and go nowhere.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, g, request

from search_app.backends import open_backend
from search_app.config import Settings
from search_app.querylog import LogFile, record
from search_app.web.metric_files import service_folder

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own setting, written here, read by it

# Latency buckets (seconds) around what a search costs here: a few ms to the 2 s time limit.
BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """The service's metric families (not registered: the scrape reads them from the worker files)."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Histogram  # after serve has chosen the multiprocess folder

        self.requests = Counter("search_app_requests", "HTTP requests answered, by route and status",
                                ["route", "status"], registry=None)
        self.duration = Histogram("search_app_request_duration_seconds", "Time to answer a request, by route",
                                  ["route"], buckets=BUCKETS, registry=None)
        self.zero_results = Counter("search_app_searches_zero_results", "Searches (page or API) that found nothing",
                                    registry=None)


def note_search(query: str, total: int) -> None:
    """Record what the request searched for (the normalised query) and how many articles it found."""
    g.search_query = query
    g.search_total = total


@dataclass
class Streamed:
    """A streamed answer (an export) as it goes: counted and logged when it ends, not when it starts."""

    rows: int = 0


def note_stream(query: str) -> Streamed:
    """Record what a streamed answer searches for; the rows it sends are counted on what this returns."""
    stream = Streamed()
    g.search_query, g.streamed = query, stream
    return stream


def install(app: Flask, settings: Settings) -> None:
    """Count and log every response of app."""
    log = LogFile(settings.access_log) if settings.access_log else None
    with_client = settings.log_client_address
    made: list[Metrics] = []  # made on the first request: an app built only to check the settings imports nothing

    def counted() -> Metrics:
        if not made:
            made.append(Metrics())  # one app per worker process: its families write that worker's file
        return made[0]

    def before() -> None:
        g.started = time.perf_counter()

    def after(response: Response) -> Response:
        started: float = g.get("started", time.perf_counter())
        route = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
        query: str | None = g.get("search_query")
        total: int | None = g.get("search_total")
        streamed: Streamed | None = g.get("streamed")
        corrected_from = _corrected_from(query)
        client = request.remote_addr if with_client else None

        def account() -> None:
            elapsed = time.perf_counter() - started
            results = streamed.rows if streamed is not None else total
            families = counted()
            families.requests.labels(route, str(response.status_code)).inc()
            families.duration.labels(route).observe(elapsed)
            if query is not None and results == 0:
                families.zero_results.inc()
            if log is not None:
                line = record(route=route, status=response.status_code, ms=elapsed * 1000, query=query, results=results,
                              corrected_from=corrected_from, client=client)
                try:
                    log.write(line)
                except OSError as exc:  # a full disk or a removed folder: the reader still gets the answer
                    app.logger.warning("Cannot write the access log %s (%s): check the path and free space.",
                                       log.path, exc.strerror or exc)

        if streamed is not None and response.is_streamed:
            response.call_on_close(account)  # an export's time and rows are known once it has been sent
        else:
            account()
        return response

    app.before_request(before)
    app.after_request(after)


def _corrected_from(query: str | None) -> str | None:
    """The query a reader typed before following its "did you mean" link (the link says so)."""
    typed = request.args.get("corrected_from") if query is not None else None
    return typed.strip() or None if typed else None


def scrape_registry(*collectors: Any) -> Any:
    """A registry of the given collectors (the metric files' CompactingCollector, the index's figures)."""
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry()
    for collector in collectors:
        registry.register(collector)
    return registry


class IndexCollector:
    """The live index at scrape time: its generation, articles and build time (read, not counted)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def collect(self) -> Iterator[Any]:
        """The index's gauges; up 0 with no other figure when it cannot be read."""
        from prometheus_client.core import GaugeMetricFamily

        up = GaugeMetricFamily("search_app_index_up", "1 when the live index can be read")
        try:
            backend = open_backend(self.settings, serving=True)
            try:
                stats = backend.stats()
            finally:
                backend.close()
        except Exception as exc:
            logging.getLogger(__name__).warning("/metrics: the index cannot be read: %s",
                                                getattr(exc, "detail", None) or exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        info = GaugeMetricFamily("search_app_index_generation_info", "The live index generation (1)",
                                 labels=["backend", "generation"])
        info.add_metric([str(stats.get("backend", self.settings.backend)), str(stats["generation"])], 1)
        yield info
        yield GaugeMetricFamily("search_app_index_articles", "Articles in the live index", value=int(stats["articles"]))
        built = stats.get("built_at")
        if built:
            stamp = dt.datetime.fromisoformat(str(built).replace("Z", "+00:00")).timestamp()
            yield GaugeMetricFamily("search_app_index_built_timestamp_seconds", "When the live index was built (Unix time)",
                                    value=stamp)


def count_index_write(settings: Settings, action: str, outcome: str) -> None:
    """Count a build or update and how it ended ("ok", "refused", "failed") where the service's scrape sees it."""
    if settings.metrics_dir is None:
        return
    folder = service_folder(settings.metrics_dir)  # the service's own folder, where its scrape reads
    try:
        folder.mkdir(parents=True, exist_ok=True)
        os.environ[MULTIPROC_ENV] = str(folder)  # before prometheus_client is imported in this process
        from prometheus_client import Counter

        Counter("search_app_index_writes", "Builds and updates of the index, by how they ended", ["action", "outcome"],
                registry=None).labels(action, outcome).inc()
    except OSError as exc:  # the count is lost, never the build's own outcome
        logging.getLogger(__name__).warning("Cannot count the %s in %s: %s", action, folder, exc)
