"""The `search-app` command line: thin wrappers over the core that turn its errors into ClickExceptions."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import json
import os
import re
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from search_app import export, querylog
from search_app.backends import NAMES as BACKENDS
from search_app.backends import SearchBackend, open_backend
from search_app.config import Settings, check_bind, settings_from_env
from search_app.errors import BuildLocked, SearchAppError, UpdateRefused
from search_app.ingest.files import check_seeds
from search_app.ingest.records import IdReplaced, inspect_paths
from search_app.models import SORTS, BuildReport, SearchRequest
from search_app.printable import visible, visible_json
from search_app.query.contract import ORDER_TEXT, validate


def _fail_cleanly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Translate the core's errors into click's, so users see a message, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SearchAppError as exc:
            raise click.ClickException(exc.detail or exc.message) from exc  # the operator sees the addresses

    return wrapper


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj  # type: ignore[no-any-return]


def _backend(ctx: click.Context) -> SearchBackend:
    """The configured backend, closed when the command ends."""
    backend = open_backend(_settings(ctx))
    ctx.call_on_close(backend.close)
    return backend


def _emit_json(data: Any) -> None:
    click.echo(visible_json(json.dumps(data, ensure_ascii=False, indent=2)))  # text stays readable, controls escaped


def _say(line: str) -> None:
    """Print a line that holds text from outside (an article, a file name, a log): its control characters escaped."""
    click.echo(visible(line))


# --seeds and --index are accepted before the subcommand (`search-app --index X search coal`) and
# after it (`search-app search coal --index X`); one definition serves both places.
_FOLDER_OPTIONS: dict[str, dict[str, Any]] = {
    "seeds": {"metavar": "DIR", "help": "Folder of article files [env SEARCH_APP_SEEDS; default seeds/]."},
    "index": {"metavar": "DIR", "help": "Index folder [env SEARCH_APP_INDEX; default index/]."},
}


def _folder_option(name: str, *, after_command: bool = False) -> Callable[[Any], Any]:
    """The --seeds or --index option; after a subcommand it overrides the value given before it."""
    if not after_command:
        return click.option(f"--{name}", type=click.Path(path_type=Path), default=None, **_FOLDER_OPTIONS[name])

    def override(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
        if value is not None:
            ctx.obj = _settings(ctx).with_overrides(**{name: value})

    return click.option(f"--{name}", type=click.Path(path_type=Path), default=None, expose_value=False,
                        callback=override, **_FOLDER_OPTIONS[name])


def _folder_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Accept --seeds and --index after the subcommand too."""
    wrapped: Callable[..., Any] = _folder_option("seeds", after_command=True)(_folder_option("index", after_command=True)(func))
    return wrapped


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@_folder_option("seeds")
@_folder_option("index")
@click.option("--backend", type=click.Choice(BACKENDS), default=None,
              help="Search engine [env SEARCH_APP_BACKEND; default whoosh].")
@click.option("--typesense-nodes", default=None, metavar="URL,...",
              help="Typesense nodes as http://HOST:PORT, comma-separated [env SEARCH_APP_TYPESENSE_NODES].")
@click.option("--typesense-api-key", default=None, help="Typesense admin API key [env SEARCH_APP_TYPESENSE_API_KEY].")
@click.option("--typesense-search-key", default=None,
              help="Search-only key the server uses; `build` creates it [env SEARCH_APP_TYPESENSE_SEARCH_KEY].")
@click.version_option(package_name="search-app", prog_name="search-app")
@click.pass_context
def main(ctx: click.Context, seeds: Path | None, index: Path | None, backend: str | None,
         typesense_nodes: str | None, typesense_api_key: str | None, typesense_search_key: str | None) -> None:
    """Search news articles about the cities of Shanxi."""
    try:
        env_settings = settings_from_env()
    except SearchAppError as exc:
        raise click.ClickException(exc.message) from exc
    ctx.obj = env_settings.with_overrides(seeds=seeds, index=index, backend=backend,
                                                 typesense_nodes=typesense_nodes, typesense_api_key=typesense_api_key,
                                                 typesense_search_key=typesense_search_key)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_folder_options
@click.pass_context
@_fail_cleanly
def inspect(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Print, as JSON, the records the indexer would make of PATHS."""
    settings = _settings(ctx)
    conventions: dict[str, str] = {}
    try:  # ambiguous dates read as the live index reads them, by the conventions its build learned
        if settings.backend == "whoosh":  # (Typesense keeps none, and may be a network wait away)
            conventions = _backend(ctx).stats().get("date_conventions") or {}
    except SearchAppError:
        pass
    result = inspect_paths(paths, seeds=settings.seeds, max_bytes=settings.max_file_bytes, conventions=conventions)
    _emit_json(result.to_json())


class _Progress:
    """A bar on a terminal, a plain line every few seconds otherwise."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done != total and now - self.last < (0.1 if self.tty else 5.0):
            return
        self.last = now
        if self.tty:
            width = 30
            filled = int(width * done / max(total, 1))
            sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            if done == total:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(f"{self.label}: {done}/{total} files\n")
        sys.stderr.flush()


def _print_report(report: BuildReport, as_json: bool) -> None:
    if as_json:
        _emit_json(report.to_json())
        return
    if report.action == "update":
        click.echo(f"Updated: {report.added} added, {report.changed} changed, {report.removed} removed, "
                   f"{report.unchanged} unchanged.")
    click.echo(f"Indexed {report.indexed} articles; the index holds {report.total} (generation {report.generation}).")
    if report.cities:
        click.echo("Per city: " + ", ".join(f"{c} {n}" for c, n in report.cities.items()))
    if report.dates:
        click.echo("Dates: " + _date_rules(report.dates))
    skips = [s for s in report.skipped if not isinstance(s, IdReplaced)]
    notes = [s for s in report.skipped if isinstance(s, IdReplaced)]  # indexed, under another id
    if skips:
        click.echo(f"Skipped {len(skips)} file(s):")
        for skip in skips:
            _say(f"  {skip.path}: {skip.reason}")
    if notes:
        click.echo(f"Replaced {len(notes)} invalid id(s):")
        for note in notes:
            _say(f"  {note.path}: {note.reason}")
    click.echo(f"Took {report.elapsed_s:.2f} s.")


def _convention(key: str, order: str) -> str:
    """'Shanxi Daily, dates like "N N,Y": day first' from a learned convention's key (source TAB style)."""
    source, _, style = key.partition("\t")
    return f'{source or "(no source)"}, dates like "{style}": {order}'


@contextlib.contextmanager
def _counted(settings: Settings, action: str) -> Iterator[None]:
    """Count a build or update by how it ended, for the service's /metrics (when SEARCH_APP_METRICS_DIR is set)."""
    from search_app.web.telemetry import count_index_write

    try:
        yield
    except (UpdateRefused, BuildLocked):
        count_index_write(settings, action, "refused")
        raise
    except BaseException:
        count_index_write(settings, action, "failed")
        raise
    count_index_write(settings, action, "ok")


def _date_rules(counts: dict[str, int]) -> str:
    """"as written 4, reported events 1, undated 2": how many articles each dating rule settled."""
    return ", ".join(f"{rule} {n}" for rule, n in counts.items())


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--procs", type=click.IntRange(1, 64), default=None, help="Worker processes (default: all cores, at most 2).")
@click.option("--if-stale", is_flag=True, help="Only build when the index is missing or older than the seeds.")
@_folder_options
@click.pass_context
@_fail_cleanly
def build(ctx: click.Context, as_json: bool, procs: int | None, if_stale: bool) -> None:
    """Rebuild the index from the seeds folder, switching to it atomically when complete."""
    settings = _settings(ctx)
    check_seeds(settings.seeds)  # on every backend, before anything is created (and never "up to date")
    if if_stale and not _backend(ctx).is_stale(settings.seeds):
        click.echo(f"The index in {settings.index} is up to date.")
        return
    procs = procs or min(2, os.cpu_count() or 1)
    with _counted(settings, "build"):
        report = _backend(ctx).build(settings.seeds, procs=procs, progress=None if as_json else _Progress("Indexing"))
    _print_report(report, as_json)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--allow-mass-removal", is_flag=True,
              help="Let the update remove more than half of the index (refused otherwise, as a wrong folder looks like that).")
@_folder_options
@click.pass_context
@_fail_cleanly
def update(ctx: click.Context, as_json: bool, allow_mass_removal: bool) -> None:
    """Index new and changed articles and drop deleted ones, without a full rebuild."""
    check_seeds(_settings(ctx).seeds)  # on every backend, before anything is touched
    with _counted(_settings(ctx), "update"):
        report = _backend(ctx).update(_settings(ctx).seeds, progress=None if as_json else _Progress("Checking"),
                                      allow_mass_removal=allow_mass_removal)
    _print_report(report, as_json)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@_folder_options
@click.pass_context
@_fail_cleanly
def stats(ctx: click.Context, as_json: bool) -> None:
    """Articles, counts per city and source, date range, size and build time of the index."""
    data = _backend(ctx).stats()
    if as_json:
        _emit_json(data)
        return
    click.echo(f"Articles: {data['articles']} (undated: {data['undated']})")
    click.echo(f"Dates: {data['date_min'] or '-'} to {data['date_max'] or '-'}")
    _say("Cities: " + (", ".join(f"{c} {n}" for c, n in data["cities"].items()) or "-"))
    _say("Sources: " + (", ".join(f"{s} {n}" for s, n in data["sources"].items()) or "-"))
    if data.get("dates"):
        click.echo("Dated by: " + _date_rules(data["dates"]))
    if data.get("date_conventions") is not None:
        learned = "; ".join(_convention(key, order) for key, order in data["date_conventions"].items())
        _say(f"Date conventions learned at build {data.get('conventions_from', '-')}: {learned or 'none'}")
    if data.get("seeds"):
        _say(f"Seeds folder: {data['seeds']}")
    if data.get("size_bytes") is not None:
        click.echo(f"Size on disk: {data['size_bytes'] / 1e6:.2f} MB")
    click.echo(f"Built: {data['built_at']} ({data['action']}, {_settings(ctx).backend} generation {data['generation']})")


def _parse_date(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: use YYYY-MM-DD.", param_hint=name) from None


_BOLD = ("\x1b[1m", "\x1b[0m")


def _terminal_snippet(html_text: str, color: bool) -> str:
    """A highlighted title or snippet as terminal text: the article's own text escaped, then our bold marks put in."""
    import html as html_lib

    bold = dict(zip(("<mark>", "</mark>"), _BOLD if color else ("", "")))
    return "".join(bold[part] if part in bold else visible(html_lib.unescape(part))
                   for part in re.split("(</?mark>)", html_text))


@main.command(name="search")
@click.argument("query", nargs=-1)
@click.option("--city", "cities", multiple=True, help="Only articles about this city (repeatable).")
@click.option("--source", "sources", multiple=True, help="Only articles from this source (repeatable).")
@click.option("--from", "date_from", help="Earliest date, YYYY-MM-DD.")
@click.option("--to", "date_to", help="Latest date, YYYY-MM-DD.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--per-page", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the full response as JSON.")
@click.option("--format", "fmt", type=click.Choice(["text", *export.FORMATS]), default="text", show_default=True,
              help="csv or jsonl: one row per article (id, title, date, source, author, cities, url, score, snippet).")
@click.option("--all", "every", is_flag=True, help=f"With --format csv|jsonl: every matching article (at most {export.LIMIT:,}).")
@click.option("--base-url", default=None,
              help="Where the url column points [env SEARCH_APP_PUBLIC_URL; default http://127.0.0.1:8000].")
@_folder_options
@click.pass_context
@_fail_cleanly
def search_command(ctx: click.Context, query: tuple[str, ...], cities: tuple[str, ...], sources: tuple[str, ...],
                   date_from: str | None, date_to: str | None, sort: str, page: int, per_page: int, as_json: bool,
                   fmt: str, every: bool, base_url: str | None) -> None:
    """Search the index; QUERY uses the same syntax as the web page."""
    request = SearchRequest(q=" ".join(query), cities=cities, sources=sources,
                            date_from=_parse_date(date_from, "--from"), date_to=_parse_date(date_to, "--to"),
                            sort=sort, page=page, per_page=per_page)
    if fmt != "text":
        _export(ctx, request, fmt, every, base_url or _settings(ctx).public_url or "http://127.0.0.1:8000")
        return
    response = _backend(ctx).search(request)
    if as_json:
        _emit_json(response)
        return
    color = sys.stdout.isatty()
    said, rule = ORDER_TEXT[response["order"]]
    order = (f", {said}" if said else "") + (f" ({rule})" if rule else "")
    click.echo(f"{response['total']} result(s) in {response['took_ms']} ms{order}"
               + (" (relaxed: not every word matched)" if response["relaxed"] else ""))
    for notice in response["notices"]:
        _say(f"Note: {notice}")
    if response["suggestion"]:
        s = response["suggestion"]
        _say(f"Did you mean: {s['query']} ({s['total']} results)")
    if response["total"] and not response["results"]:
        click.echo(f"There is no page {page}: the results end on page {response['pages']}.")
    for number, hit in enumerate(response["results"], start=(page - 1) * per_page + 1):
        meta = " · ".join(x for x in (hit["date"], hit["source"], ", ".join(hit["cities"])) if x)
        click.echo(f"\n{number}. {_terminal_snippet(hit['title_html'], color)}  [{visible(hit['id'])}]")
        if meta:
            _say(f"   {meta}")
        click.echo(f"   {_terminal_snippet(hit['snippet'], color)}")


def _export(ctx: click.Context, request: SearchRequest, fmt: str, every: bool, base_url: str) -> None:
    """Rows of the search as CSV or JSON Lines on stdout: this page's, or with --all every match's."""
    from search_app.web.page import article_url  # the links the web page gives

    request, _notices = validate(request)
    link = lambda article_id: base_url.rstrip("/") + article_url(article_id, request)  # noqa: E731
    with _backend(ctx).snapshot() as held:  # every page from one index, whatever an update switches meanwhile
        if every:
            records: Iterator[dict[str, Any]] = export.rows(held, request, link)
        else:  # the rows of the page asked for (--page, --per-page)
            start = (request.page - 1) * request.per_page
            records = itertools.islice(export.rows(held, request, link, limit=start + request.per_page), start, None)
        for line in export.lines(fmt, records):
            click.echo(line, nl=False)


def _check_port_free(host: str, port: int) -> None:
    """Fail with one line when the address is taken, before saying we are serving on it."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
            probe.bind((host, port))
    except OSError as exc:
        raise click.ClickException(f"Cannot listen on {host}:{port} ({exc.strerror or exc}): "
                                   "stop what uses it or pass --port N.") from exc


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Worker processes [default: one per core, at most 4].")
@click.option("--access-log", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write one JSON line per request here [env SEARCH_APP_ACCESS_LOG; default: none].")
@click.option("--metrics", "metrics_bind", default=None, metavar="HOST:PORT",
              help="Serve Prometheus /metrics on this address, apart from the site [env SEARCH_APP_METRICS_BIND].")
@click.option("--dev", is_flag=True, help="Flask's development server with the reloader.")
@_folder_options
@click.pass_context
@_fail_cleanly
def serve(ctx: click.Context, host: str, port: int, workers: int | None, access_log: Path | None,
          metrics_bind: str | None, dev: bool) -> None:
    """Serve the search page and the JSON API (gunicorn: one event-loop worker process per core)."""
    from search_app.web.app import create_app

    settings = _settings(ctx).with_overrides(access_log=access_log,
                                             metrics_bind=check_bind(metrics_bind) if metrics_bind else None)
    if dev:
        create_app({"SETTINGS": settings}).run(host=host, port=port, debug=True, use_reloader=True)
        return
    from search_app.web.server import prepare_metrics
    from search_app.web.server import serve as serve_production

    workers = workers or max(1, min(4, os.cpu_count() or 1))
    _check_port_free(host, port)
    if settings.metrics_bind:
        metrics_host, _, metrics_port = settings.metrics_bind.rpartition(":")
        _check_port_free(metrics_host, int(metrics_port))
    where = settings.index if settings.backend == "whoosh" else "Typesense at " + ", ".join(settings.typesense_nodes)
    metrics = prepare_metrics(settings)  # before any app is built here: the workers inherit the choice
    create_app({"SETTINGS": settings}).extensions["search_app"].close()  # fail now, not in every worker
    click.echo(f"Serving {where} on http://{host}:{port}/ with {workers} worker(s)"
               + (f"; metrics on http://{settings.metrics_bind}/metrics" if settings.metrics_bind else ""))
    serve_production(settings, host, port, workers, metrics)


@main.command()
@click.option("--days", type=click.IntRange(1, 100_000), default=None, help="Only the last N days [default: all the logs].")
@click.option("--log", "log_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The access log [env SEARCH_APP_ACCESS_LOG]; its rotated copies beside it are read too.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--top", type=click.IntRange(1, 1000), default=20, show_default=True, help="Rows of each list.")
@click.pass_context
@_fail_cleanly
def queries(ctx: click.Context, days: int | None, log_path: Path | None, as_json: bool, top: int) -> None:
    """What readers search for: the commonest queries, those that found nothing, the suggestions followed."""
    path = log_path or _settings(ctx).access_log
    if path is None:
        raise click.ClickException("No access log given: pass --log FILE or set SEARCH_APP_ACCESS_LOG "
                                   "(the file `search-app serve --access-log FILE` writes).")
    summary = querylog.summarise(path, days)
    if not summary.files:
        raise click.ClickException(f"No access log at {path} (nor rotated copies beside it): check the path.")
    if as_json:
        _emit_json(summary.to_json(top))
        return
    data = summary.to_json(top)
    span = f"the last {days} day(s)" if days else "all the logs"
    click.echo(f"{summary.searches} searches in {span} ({len(summary.files)} file(s); "
               f"{summary.malformed} malformed line(s) skipped)")
    # The queries are what visitors typed: any log, an old or a foreign one too, may hold control characters.
    for title, rows in (("Most frequent queries", data["top_queries"]),
                        ("Most frequent queries with no results", data["top_zero_results"])):
        click.echo(f"\n{title}:")
        click.echo("\n".join(visible(f"  {row['count']:>6}  {row['q']}") for row in rows) or "  (none)")
    click.echo("\n\"Did you mean\" followed:")
    click.echo("\n".join(visible(f"  {row['count']:>6}  {row['q']} -> {row['suggestion']}")
                         for row in data["followed_suggestions"]) or "  (none)")
    for problem in summary.unreadable:
        click.echo(visible(f"Note: could not read all of {problem}"), err=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
