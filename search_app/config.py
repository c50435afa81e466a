"""Settings, and the one place that reads SEARCH_APP_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from search_app.errors import ConfigError

ENV_PREFIX = "SEARCH_APP_"


@dataclass(frozen=True)
class Settings:
    """Where the seeds and the index live, and the knobs of a running service."""

    seeds: Path = Path("seeds")
    index: Path = Path("index")
    search_time_limit: float = 2.0  # seconds before an expensive query is cut off
    max_file_bytes: int = 5 * 1024 * 1024
    backend: str = "whoosh"  # or "typesense"
    typesense_nodes: tuple[str, ...] = ()  # http://host:port of each node
    typesense_api_key: str = ""
    typesense_alias: str = "articles"  # the alias searches go through; builds make collections <alias>_<time>

    def with_overrides(self, **values: object) -> Settings:
        """Return a copy with the given non-None values replaced."""
        clean = {k: v for k, v in values.items() if v is not None}
        for key in ("seeds", "index"):
            if key in clean:
                clean[key] = Path(str(clean[key]))
        if isinstance(clean.get("typesense_nodes"), str):
            clean["typesense_nodes"] = split_nodes(str(clean["typesense_nodes"]))
        elif "typesense_nodes" in clean:
            clean["typesense_nodes"] = tuple(clean["typesense_nodes"])  # type: ignore[arg-type]
        return replace(self, **clean)  # type: ignore[arg-type]


def split_nodes(text: str) -> tuple[str, ...]:
    """'http://a:8108, http://b:8108' -> ('http://a:8108', 'http://b:8108')."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def settings_from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from SEARCH_APP_SEEDS, _INDEX, _SEARCH_TIME_LIMIT, _BACKEND, _TYPESENSE_NODES, _API_KEY, _ALIAS."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    if env.get(ENV_PREFIX + "SEEDS"):
        values["seeds"] = env[ENV_PREFIX + "SEEDS"]
    if env.get(ENV_PREFIX + "INDEX"):
        values["index"] = env[ENV_PREFIX + "INDEX"]
    if env.get(ENV_PREFIX + "SEARCH_TIME_LIMIT"):
        raw = env[ENV_PREFIX + "SEARCH_TIME_LIMIT"]
        try:
            values["search_time_limit"] = float(raw)
        except ValueError:
            raise ConfigError(f"SEARCH_APP_SEARCH_TIME_LIMIT={raw!r} is not a number of seconds: set it to e.g. 2.0.") from None
    if env.get(ENV_PREFIX + "BACKEND"):
        values["backend"] = env[ENV_PREFIX + "BACKEND"].strip().lower()
    if env.get(ENV_PREFIX + "TYPESENSE_NODES"):
        values["typesense_nodes"] = env[ENV_PREFIX + "TYPESENSE_NODES"]
    if env.get(ENV_PREFIX + "TYPESENSE_API_KEY"):
        values["typesense_api_key"] = env[ENV_PREFIX + "TYPESENSE_API_KEY"]
    if env.get(ENV_PREFIX + "TYPESENSE_ALIAS"):
        values["typesense_alias"] = env[ENV_PREFIX + "TYPESENSE_ALIAS"]
    return Settings().with_overrides(**values)
