"""Settings, and the one place that reads SEARCH_APP_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping

ENV_PREFIX = "SEARCH_APP_"


@dataclass(frozen=True)
class Settings:
    """Where the seeds and the index live, and the knobs of a running service."""

    seeds: Path = Path("seeds")
    index: Path = Path("index")
    search_time_limit: float = 2.0  # seconds before an expensive query is cut off
    max_file_bytes: int = 5 * 1024 * 1024

    def with_overrides(self, **values: object) -> "Settings":
        """Return a copy with the given non-None values replaced."""
        clean = {k: v for k, v in values.items() if v is not None}
        for key in ("seeds", "index"):
            if key in clean:
                clean[key] = Path(str(clean[key]))
        return replace(self, **clean)  # type: ignore[arg-type]


def settings_from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from SEARCH_APP_SEEDS, SEARCH_APP_INDEX and SEARCH_APP_SEARCH_TIME_LIMIT."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    if env.get(ENV_PREFIX + "SEEDS"):
        values["seeds"] = env[ENV_PREFIX + "SEEDS"]
    if env.get(ENV_PREFIX + "INDEX"):
        values["index"] = env[ENV_PREFIX + "INDEX"]
    if env.get(ENV_PREFIX + "SEARCH_TIME_LIMIT"):
        values["search_time_limit"] = float(env[ENV_PREFIX + "SEARCH_TIME_LIMIT"])
    return Settings().with_overrides(**values)
