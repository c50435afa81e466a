"""The service's metric files: its own folder, what it may delete there, and the counts of processes that ended.

In prometheus_client's multiprocess mode every process (each gunicorn worker, each `build` or
`update`) writes its counts to files of its own, named by type and pid (counter_<pid>.db,
histogram_<pid>.db, gauge_<mode>_<pid>.db, ...), and a scrape adds up every file. The service
keeps them in a folder of its own under SEARCH_APP_METRICS_DIR, and deletes there only files
named that way: whatever else an operator keeps in either folder is never touched.

A worker replaced by `kill -HUP`, or a finished `build`, leaves its files behind. Deleting them
would make the totals go down, which Prometheus reads as a counter reset; so their counts are
added to archive files (counter_archive.db, ...), written in the same format, which the scrape
reads like any other file of its type, and then the dead process's files are deleted. One lock
covers that merge and every scrape, so no scrape sees a count twice (in both places) or not at all.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

SUBFOLDER = "search-app"  # under SEARCH_APP_METRICS_DIR: serve, build and update all write here
ARCHIVED_TYPES = ("counter", "histogram", "summary")  # counts that only grow: a dead process's are kept
INITIAL_FILE_BYTES = 1 << 16  # prometheus_client's first size of a metric file
_GAUGE_MODES = "(?:live)?(?:all|min|max|sum|mostrecent)"
# The names prometheus_client gives its files, plus this module's archives and their half-written copies.
_OWN_FILE = re.compile(rf"(?:counter|histogram|summary|gauge_{_GAUGE_MODES})_(?:\d+|archive)\.db(?:\.new)?")
_PROCESS_FILE = re.compile(rf"(?:counter|histogram|summary|gauge_{_GAUGE_MODES})_(\d+)\.db")


def service_folder(metrics_dir: Path) -> Path:
    """The folder of SEARCH_APP_METRICS_DIR that serve, build and update keep their metric files in."""
    return metrics_dir / SUBFOLDER


def own_files(folder: Path) -> list[Path]:
    """The metric files in folder (prometheus_client's and the archives, whole or half-written), nothing else."""
    return sorted(path for path in folder.iterdir() if _OWN_FILE.fullmatch(path.name))


def scraped_files(folder: Path) -> list[str]:
    """The metric files in folder a scrape adds up (not an archive being written, not an operator's file)."""
    return [str(path) for path in own_files(folder) if path.suffix == ".db"]


def clear(folder: Path) -> None:
    """Delete the metric files in folder (a service starts counting afresh), and only those."""
    for path in own_files(folder):
        path.unlink(missing_ok=True)


def ended_processes(folder: Path) -> list[int]:
    """The pids that wrote metric files in folder and are no longer running."""
    pids = {int(match.group(1)) for path in folder.iterdir() if (match := _PROCESS_FILE.fullmatch(path.name))}
    return sorted(pid for pid in pids if not _running(pid))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def compact(folder: Path, pids: Iterable[int]) -> None:
    """Add the counts of the files of pids (ended processes) to the archive files, then delete their files.

    Not safe against a concurrent scrape of the same folder: call it under CompactingCollector's lock.
    """
    from prometheus_client import multiprocess
    from prometheus_client.mmap_dict import MmapedDict

    pids = list(pids)
    for kind in ARCHIVED_TYPES:
        ended = [path for pid in pids if (path := folder / f"{kind}_{pid}.db").exists()]
        if not ended:
            continue
        archive = folder / f"{kind}_archive.db"
        totals: dict[str, float] = {}
        # Raw values add up exactly as the scrape adds them: counters, summaries' counts and sums,
        # histograms' buckets (each file holds a bucket's own count, not the running total) and sums.
        for path in ([archive] if archive.exists() else []) + ended:
            for key, value, _timestamp, _position in MmapedDict.read_all_values_from_file(str(path)):
                totals[key] = totals.get(key, 0.0) + value
        # Written aside (a name the scrape does not read) and renamed over the archive in one step.
        fresh = archive.with_name(archive.name + ".new")
        _allocate(fresh, totals)
        merged = MmapedDict(str(fresh))
        try:
            for key, value in totals.items():
                merged.write_value(key, value, 0.0)
        finally:
            merged.close()
        os.replace(fresh, archive)
        for path in ended:
            path.unlink()
    for pid in pids:  # gauges of ended processes: prometheus_client's own bookkeeping (the live* modes)
        multiprocess.mark_process_dead(pid, str(folder))


def _allocate(path: Path, totals: dict[str, float]) -> None:
    """Reserve the disk space the archive's values take (else, on a full disk, writing to the mapped
    file kills the process with SIGBUS; this raises OSError instead)."""
    used = 8 + sum(4 + len(key.encode()) + (8 - (len(key.encode()) + 4) % 8) + 16 for key in totals)  # MmapedDict's layout
    size = INITIAL_FILE_BYTES
    while size < used:
        size *= 2  # the sizes MmapedDict grows through: it then never needs to grow this file
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)


class CompactingCollector:
    """A scrape of the folder's metric files that first merges the files of ended processes into the archives."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lock = threading.Lock()  # the merge and the scrape never interleave

    def forget(self, pid: int) -> None:
        """Merge the files of a process that has ended (a gunicorn worker, in the master's child_exit)."""
        with self.lock:
            self._compact([pid])

    def collect(self) -> Iterator[Any]:
        """Every metric family of the folder, summed over its files (the ended processes' merged first)."""
        from prometheus_client.multiprocess import MultiProcessCollector

        with self.lock:
            with contextlib.suppress(OSError):  # a folder removed under us: nothing to merge, the read says so
                self._compact(ended_processes(self.folder))
            families = list(MultiProcessCollector.merge(scraped_files(self.folder)))
        yield from families

    def _compact(self, pids: list[int]) -> None:
        try:
            compact(self.folder, pids)
        except OSError as exc:  # a full disk: the files stay as they are and are still counted, once
            logging.getLogger(__name__).warning("Cannot merge the metric files of ended processes in %s: %s",
                                                self.folder, exc)
