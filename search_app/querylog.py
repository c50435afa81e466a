"""The access log's records (JSON Lines) and what `search-app queries` makes of them.

One module owns the format: the web layer writes records built here, and the summary reads them
back, current and rotated files alike (`access.log`, `access.log.1`, `access.log.2.gz`, ...).
A line that is not a record is skipped and counted, never fatal.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from search_app.printable import visible

MAX_QUERY_CHARS = 200  # of a query kept in the log: enough to read, short enough for one atomic write
TOP = 20  # rows of each list in the summary


def record(*, route: str, status: int, ms: float, query: str | None = None, results: int | None = None,
           corrected_from: str | None = None, client: str | None = None,
           now: dt.datetime | None = None) -> dict[str, Any]:
    """One request as the access log writes it (no client address unless given; control characters escaped)."""
    line: dict[str, Any] = {
        "time": (now or dt.datetime.now(dt.UTC)).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "route": visible(route),
        "status": status,
        "ms": round(ms, 2),
    }
    # What a request carried is written out, never a control character: a keeper reads the log on a terminal.
    if query is not None:
        line["q"] = visible(query[:MAX_QUERY_CHARS])
        line["results"] = results
    if corrected_from:
        line["corrected_from"] = visible(corrected_from[:MAX_QUERY_CHARS])
    if client:
        line["client"] = visible(client)
    return line


def encode(line: dict[str, Any]) -> bytes:
    """A record as one line of UTF-8 JSON, newline included (written with one write() call)."""
    return (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


class LogFile:
    """An append-only log file shared by every worker: each record is one O_APPEND write, so lines never
    interleave; a file moved away by log rotation is noticed and a new one opened."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._inode = 0

    def write(self, line: dict[str, Any]) -> None:
        """Append one record."""
        data = encode(line)
        fd = self._open()
        os.write(fd, data)

    def _open(self) -> int:
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            inode = -1
        if self._fd is None or inode != self._inode:  # first write, or the file was rotated away
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o640)
            if self._fd is not None:  # closed only once the new file is open: a failure keeps no stale number
                os.close(self._fd)
            self._fd, self._inode = fd, os.fstat(fd).st_ino
        return self._fd

    def close(self) -> None:
        """Close the file (a later write opens it again)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def log_files(path: Path) -> list[Path]:
    """The log and its rotated copies (path.1, path.2.gz, path-20261201.gz...), oldest first."""
    if not path.parent.is_dir():
        return []
    found = [p for p in path.parent.iterdir() if p.is_file() and (p.name == path.name or p.name.startswith(path.name + ".")
                                                                    or p.name.startswith(path.name + "-"))]
    return sorted(found, key=_mtime)


def _mtime(path: Path) -> tuple[float, str]:
    try:
        return path.stat().st_mtime, path.name
    except OSError:  # rotated away between listing and now: read (or skipped) last
        return float("inf"), path.name


def _open_text(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return path.open(encoding="utf-8", errors="replace")


@dataclass
class Summary:
    """What readers searched for, over some days of logs."""

    days: int | None
    files: list[str] = field(default_factory=list)
    searches: int = 0
    malformed: int = 0
    unreadable: list[str] = field(default_factory=list)
    queries: Counter[str] = field(default_factory=Counter)
    zero_results: Counter[str] = field(default_factory=Counter)
    corrections: Counter[tuple[str, str]] = field(default_factory=Counter)  # (typed, the suggestion followed)

    def to_json(self, top: int = TOP) -> dict[str, Any]:
        """The `search-app queries --json` shape."""
        return {
            "days": self.days, "files": self.files, "searches": self.searches, "malformed_lines": self.malformed,
            "unreadable_files": self.unreadable,
            "top_queries": [{"q": q, "count": n} for q, n in self.queries.most_common(top)],
            "top_zero_results": [{"q": q, "count": n} for q, n in self.zero_results.most_common(top)],
            "followed_suggestions": [{"q": typed, "suggestion": chosen, "count": n}
                                     for (typed, chosen), n in self.corrections.most_common(top)],
        }


def _lines(paths: Iterable[Path], summary: Summary) -> Iterator[str]:
    for path in paths:
        try:
            with _open_text(path) as handle:
                summary.files.append(str(path))
                yield from handle
        except (OSError, EOFError, zlib.error) as exc:  # a cut or damaged .gz ends early: what was read still counts
            summary.unreadable.append(f"{path}: {exc}")


def summarise(path: Path, days: int | None = None, now: dt.datetime | None = None) -> Summary:
    """Count the searches of the log at path and its rotated copies, over the last `days` days (None: all)."""
    summary = Summary(days=days)
    since = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days) if days is not None else None
    for raw in _lines(log_files(path), summary):
        line = _parse(raw)
        if line is None:
            if raw.strip():
                summary.malformed += 1
            continue
        if "q" not in line or not str(line["q"]).strip():
            continue  # not a search, or the archive browsed without words
        if since is not None and line["time"] < since:
            continue
        q = " ".join(str(line["q"]).split()).lower()  # "Airport" and "airport" are one query to the keeper
        summary.searches += 1
        summary.queries[q] += 1
        if line.get("results") == 0:
            summary.zero_results[q] += 1
        if line.get("corrected_from"):
            summary.corrections[(" ".join(str(line["corrected_from"]).split()).lower(), q)] += 1
    return summary


def _parse(raw: str) -> dict[str, Any] | None:
    """A record, its time read; None for anything else (a damaged or foreign line)."""
    try:
        line = json.loads(raw)
        when = dt.datetime.fromisoformat(str(line["time"]).replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(line, dict) or when.tzinfo is None:
        return None
    line["time"] = when
    return line
