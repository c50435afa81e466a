"""Shared helpers of the file, load and path tests: generated seeds, processes, a live server."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from search_app.backends.whoosh.reader import IndexHandle
from search_app.backends.whoosh.search import search
from search_app.models import SearchRequest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CLI = Path(sys.executable).parent / "search-app"
PYTHON = sys.executable
# Articles of the committed seeds that mention "airport" (generated articles never do).
AIRPORT_IDS = ["003_b8c9e442042d1bdf", "004_860ced496ef7d71d"]
GEN_WORDS = "coal steel railway logistics transformation energy tourism museum village bridge river mountain festival".split()


def copy_seeds(target: Path) -> Path:
    """A private, writable copy of the committed seeds folder."""
    shutil.copytree(SEEDS, target)
    for path in target.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


def add_generated(seeds: Path, count: int, prefix: str = "gen") -> list[str]:
    """Write `count` generated articles (about Datong, never mentioning airports); return their ids."""
    ids = []
    for i in range(count):
        body = " ".join(GEN_WORDS[(i * 7 + j * 3) % len(GEN_WORDS)] + ("" if j % 5 else f" w{i}x{j}") for j in range(300))
        name = f"{prefix}_{i:04d}"
        (seeds / f"{name}.txt").write_text(f"Generated report {i} on Datong\n\nUpdated: 2020-01-01\n\n{body}.\n", "utf-8")
        ids.append(name)
    return ids


def article_text(title: str, body: str, date: str = "2023-05-01") -> str:
    """A plain scraped-page article file."""
    return f"{title}\n\nUpdated: {date}\n\n{body}\n"


@contextlib.contextmanager
def built_handle(folder: Path, files: dict[str, str]) -> Iterator[IndexHandle]:
    """An IndexHandle on these article files (name -> text) built in folder/seeds and folder/index; closed after."""
    from search_app.backends.whoosh.indexer import build

    seeds, index_dir = folder / "seeds", folder / "index"
    seeds.mkdir(parents=True)
    for name, text in files.items():
        (seeds / name).write_text(text, "utf-8")
    build(seeds, index_dir)
    handle = IndexHandle(index_dir)
    try:
        yield handle
    finally:
        handle.close()


def core_search(index_dir: Path, q: str = "", **kw: Any) -> dict[str, Any]:
    """One search through a fresh IndexHandle."""
    handle = IndexHandle(index_dir)
    try:
        return search(handle, SearchRequest(q=q, per_page=100, **kw))
    finally:
        handle.close()


def ids_for(index_dir: Path, q: str = "", **kw: Any) -> list[str]:
    """Sorted ids a query finds."""
    return sorted(r["id"] for r in core_search(index_dir, q, **kw)["results"])


def listing(index_dir: Path, prefix: str) -> list[str]:
    """Names in index_dir starting with prefix."""
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith(prefix))


def current(index_dir: Path) -> str:
    """The live generation's name."""
    return (index_dir / "CURRENT").read_text("utf-8").strip()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_file(path: Path, process: subprocess.Popen[Any], timeout: float = 20.0) -> None:
    """Wait until path exists; fail early (with the process' stderr) if the process ends first."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            err = process.stderr.read() if process.stderr else b""
            raise AssertionError(f"process ended ({process.returncode}) before {path.name}: {err.decode(errors='replace')}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{path.name} did not appear within {timeout} s")
        time.sleep(0.01)


# ---------------------------------------------------------------- processes

def proc_table() -> dict[int, tuple[str, int, int]]:
    """pid -> (state, ppid, process group), read from /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        table[int(entry)] = (fields[0], int(fields[1]), int(fields[2]))
    return table


def alive_in_group(pgrp: int) -> list[int]:
    """Live (not zombie) processes of a process group."""
    return [pid for pid, (state, _ppid, group) in proc_table().items() if group == pgrp and state not in ("Z", "X")]


def children(pid: int) -> list[int]:
    """Live child processes of pid."""
    return [p for p, (state, ppid, _g) in proc_table().items() if ppid == pid and state not in ("Z", "X")]


def kill_group(pgrp: int) -> None:
    """SIGKILL every live process of a group this test started (its own session)."""
    for pid in alive_in_group(pgrp):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def run_cli(seeds: Path, index_dir: Path, *args: str, timeout: float = 60,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed search-app console script (env: settings on top of a clean environment)."""
    return subprocess.run([str(CLI), "--seeds", str(seeds), "--index", str(index_dir), *args],
                          capture_output=True, text=True, timeout=timeout, env={**clean_env(), **(env or {})})


def clean_env() -> dict[str, str]:
    """The environment without SEARCH_APP_* settings (nor prometheus_client's folder)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SEARCH_APP_") and k != "PROMETHEUS_MULTIPROC_DIR"}


# ---------------------------------------------------------------- a live server

class Server:
    """`search-app serve` (gunicorn) running as a subprocess on a free port; args are more serve options."""

    def __init__(self, seeds: Path, index_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(CLI), "--seeds", str(seeds), "--index", str(index_dir), "serve", "--port", str(self.port), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env={**clean_env(), **(env or {})},
        )
        deadline = time.monotonic() + 20
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.process.stderr.read().decode(errors='replace')}")  # type: ignore[union-attr]
            try:
                status, _body = self.get("/healthz", timeout=1)
                if status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not answer /healthz within 20 s"
            time.sleep(0.05)

    def get(self, path: str, timeout: float = 10) -> tuple[int, bytes]:
        """(status, body) of a GET; HTTP errors are answers, not exceptions."""
        try:
            with urllib.request.urlopen(self.base + path, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def open(self, path: str, timeout: float = 30) -> Any:
        """A GET whose response is read as it arrives (use it in a with block)."""
        return urllib.request.urlopen(self.base + path, timeout=timeout)

    def get_json(self, path: str) -> tuple[int, Any]:
        status, body = self.get(path)
        return status, json.loads(body)

    def stop(self) -> str:
        """Stop the server; return its stderr (the log)."""
        self.process.terminate()
        try:
            _out, err = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            kill_group(self.process.pid)
            _out, err = self.process.communicate(timeout=10)
        return err.decode(errors="replace")


@contextlib.contextmanager
def running_server(seeds: Path, index_dir: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """A live server for the length of a with block (args: more `serve` options)."""
    server = Server(seeds, index_dir, *args, env=env)
    try:
        yield server
    finally:
        server.stop()


def drop_alias(backend: Any, *others: Any) -> None:
    """Remove what a test built behind its own alias (its collections, then the alias), then close the backends.

    Never fails the test for its own cleanup: the collections are found by their name's prefix (an
    alias a follower has not yet applied, or one a failed build never made, is no reason to leave
    them), and every backend is closed whatever happened, so no socket outlives the test.
    """
    from typesense import exceptions as ts_errors

    try:
        for collection in backend.client.collections.retrieve():
            if collection["name"].startswith(f"{backend.alias}_"):
                backend._drop(collection["name"])
        with contextlib.suppress(ts_errors.ObjectNotFound):
            backend.write(backend.client.aliases[backend.alias].delete)
    finally:
        for each in (backend, *others):
            each.close()


# ---------------------------------------------------------------- permissions

_DAC_CAPABILITIES = (1 << 1) | (1 << 2)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH: what lets root read a mode-000 path
_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _capabilities(change: Callable[[int], int]) -> int:
    """Set this thread's effective capabilities (low word) to change(current); return the current ones."""
    libc = ctypes.CDLL(None, use_errno=True)
    header, data = _CapHeader(_CAPABILITY_VERSION_3, 0), (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    current = int(data[0].effective)
    data[0].effective = change(current)
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")
    return current


@contextlib.contextmanager
def unreadable(*paths: Path, mode: int = 0) -> Iterator[None]:
    """The paths given mode (000: unreadable) and really held to it in this process, as an ordinary user is.

    Tests run as root (CI too), and root reads anything whatever its mode: for the duration, this
    thread (the test's, which runs the code under test) gives up the two capabilities that allow it.
    """
    modes = [path.stat().st_mode for path in paths]
    for path in paths:
        path.chmod(mode)
    saved = _capabilities(lambda caps: caps & ~_DAC_CAPABILITIES) if os.geteuid() == 0 else None
    try:
        yield
    finally:
        if saved is not None:
            _capabilities(lambda _caps: saved)
        for path, mode in zip(paths, modes):
            path.chmod(mode)
