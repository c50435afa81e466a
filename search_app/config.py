"""Settings, and the one place that reads SEARCH_APP_* environment variables."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from search_app.errors import ConfigError

ENV_PREFIX = "SEARCH_APP_"
LOCAL_HOSTS = ("localhost", "127.0.0.1")  # answered by default: `make run`, a health check from the machine itself


@dataclass(frozen=True)
class Settings:
    """Where the seeds and the index live, and the knobs of a running service."""

    seeds: Path = Path("seeds")
    index: Path = Path("index")
    search_time_limit: float = 2.0  # seconds before an expensive query is cut off
    max_file_bytes: int = 5 * 1024 * 1024
    backend: str = "whoosh"  # or "typesense"
    typesense_nodes: tuple[str, ...] = ()  # http://host:port of each node
    typesense_api_key: str = ""  # the admin key: build and update (and the CLI)
    typesense_search_key: str = ""  # the serving key: search only; `build` creates it on the cluster
    typesense_alias: str = "articles"  # the alias searches go through; builds make collections <alias>_<time>
    access_log: Path | None = None  # JSON Lines, one record per request (`search-app queries` reads it)
    log_client_address: bool = False  # whether the access log records who asked
    metrics_bind: str | None = None  # host:port where the master serves /metrics (off when None)
    metrics_dir: Path | None = None  # where workers, build and update write their metric files
    # Exports (/api/export) each cost seconds of a worker's time: at most this many at once per worker,
    # and a client must take each block of rows within send_timeout seconds or the download is cut.
    exports_per_worker: int = 2
    send_timeout: float = 30.0
    # Where the site is (web/origin.py): the proxies in front, its public address, the host names it answers to.
    trusted_proxies: int = 0  # proxies whose X-Forwarded-For/-Proto/-Host are believed (0: clients connect directly)
    public_url: str | None = None  # e.g. https://news.example.org: every absolute link starts so, whatever the Host
    allowed_hosts: tuple[str, ...] = LOCAL_HOSTS  # Host header values answered ("*": any); public_url's host is added

    def with_overrides(self, **values: object) -> Settings:
        """Return a copy with the given non-None values replaced."""
        clean = {k: v for k, v in values.items() if v is not None}
        for key in ("seeds", "index", "access_log", "metrics_dir"):
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


def _seconds(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds: set it to e.g. 2.0.") from None


def _count(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"{name}={raw!r} is not a whole number of at least 1: set it to e.g. 2.")
    return value


def _positive_seconds(name: str, raw: str) -> float:
    value = _seconds(name, raw)
    if not 0 < value < float("inf"):  # nan and inf too
        raise ConfigError(f"{name}={raw!r} is not a positive number of seconds: set it to e.g. 30.")
    return value


def _text(_name: str, raw: str) -> str:
    return raw


def _bind(_name: str, raw: str) -> str:
    return check_bind(raw)


# Where the site is: the readers of its three settings.
_HOST_NAME = re.compile(r"\.?[a-z0-9-]+(?:\.[a-z0-9-]+)*")


def _proxies(name: str, raw: str) -> int:
    if not raw.strip().isdigit():
        raise ConfigError(f"{name}={raw!r} is not a number of proxies: set it to 1 behind one nginx, 0 without a proxy.")
    return int(raw)


def _public_url(name: str, raw: str) -> str:
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment or "@" in parts.netloc:
        raise ConfigError(f"{name}={raw!r} is not the site's address: write it as https://HOST, e.g. https://news.example.org.")
    return raw.strip().rstrip("/")


def _hosts(name: str, raw: str) -> tuple[str, ...]:
    hosts = tuple(part.strip().lower() for part in raw.split(",") if part.strip())
    if not hosts or not all(host == "*" or _HOST_NAME.fullmatch(host) for host in hosts):
        raise ConfigError(f"{name}={raw!r} is not a list of host names: write them without ports, separated by commas, "
                          "e.g. news.example.org,localhost (.example.org takes its subdomains too, * any name).")
    return hosts


# Each environment variable (after SEARCH_APP_), the setting it gives and how its text is read.
ENVIRONMENT: dict[str, tuple[str, Callable[[str, str], object]]] = {
    "SEEDS": ("seeds", _text),
    "INDEX": ("index", _text),
    "SEARCH_TIME_LIMIT": ("search_time_limit", _seconds),
    "BACKEND": ("backend", lambda _name, raw: raw.strip().lower()),
    "TYPESENSE_NODES": ("typesense_nodes", _text),
    "TYPESENSE_API_KEY": ("typesense_api_key", _text),
    "TYPESENSE_SEARCH_KEY": ("typesense_search_key", _text),
    "TYPESENSE_ALIAS": ("typesense_alias", _text),
    "ACCESS_LOG": ("access_log", _text),
    "LOG_CLIENT_ADDRESS": ("log_client_address", lambda name, raw: _flag(name, raw)),
    "METRICS_BIND": ("metrics_bind", _bind),
    "METRICS_DIR": ("metrics_dir", _text),
    "EXPORTS_PER_WORKER": ("exports_per_worker", _count),
    "SEND_TIMEOUT": ("send_timeout", _positive_seconds),
    "TRUSTED_PROXIES": ("trusted_proxies", _proxies),
    "PUBLIC_URL": ("public_url", _public_url),
    "ALLOWED_HOSTS": ("allowed_hosts", _hosts),
}


def settings_from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the SEARCH_APP_* variables of ENVIRONMENT; an empty one counts as unset."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for suffix, (field, read) in ENVIRONMENT.items():
        raw = env.get(ENV_PREFIX + suffix)
        if raw:
            values[field] = read(ENV_PREFIX + suffix, raw)
    return Settings().with_overrides(**values)


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        raise ConfigError(f"{name}={raw!r} is not a yes or no: set it to 1 or 0.")
    return value in ("1", "true", "yes", "on")


def check_bind(text: str) -> str:
    """'127.0.0.1:9108' or ':9108' as host:port, or ConfigError saying how to write it."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"Cannot read the metrics address {text!r}: write it as HOST:PORT, e.g. 127.0.0.1:9108.")
    return f"{host or '127.0.0.1'}:{int(port)}"
