"""The `search-app` command line: thin wrappers over the core that turn its errors into ClickExceptions."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any, Callable

import click

from .config import Settings, settings_from_env
from .errors import SearchAppError
from .ingest import inspect_paths


def _fail_cleanly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Translate the core's errors into click's, so users see a message, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SearchAppError as exc:
            raise click.ClickException(exc.message) from exc

    return wrapper


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj  # type: ignore[no-any-return]


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--seeds", type=click.Path(path_type=Path), default=None, help="Folder of article files [env SEARCH_APP_SEEDS; default seeds/].")
@click.option("--index", type=click.Path(path_type=Path), default=None, help="Index folder [env SEARCH_APP_INDEX; default index/].")
@click.pass_context
def main(ctx: click.Context, seeds: Path | None, index: Path | None) -> None:
    """Search news articles about the cities of Shanxi."""
    ctx.obj = settings_from_env().with_overrides(seeds=seeds, index=index)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_context
@_fail_cleanly
def inspect(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Print, as JSON, the records the indexer would make of PATHS."""
    settings = _settings(ctx)
    result = inspect_paths(paths, seeds=settings.seeds, max_bytes=settings.max_file_bytes)
    _emit_json(result.to_json())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
