"""Exports as the server streams them (web/downloads.py): one index per export, a few at a time, other
requests answered meanwhile, a client that stops reading cut off, and the access log written at the end."""

from __future__ import annotations

import html
import json
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from helpers import add_generated, copy_seeds, running_server

from search_app.backends.whoosh.indexer import build, update
from search_app.config import Settings
from search_app.web.app import create_app

GENERATED = 1000  # articles about Datong: ten pages of an export


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The seeds and GENERATED articles about Datong, built once (read-only)."""
    folder = tmp_path_factory.mktemp("downloads")
    seeds = copy_seeds(folder / "seeds")
    add_generated(seeds, GENERATED)
    build(seeds, folder / "index")
    return seeds, folder / "index"


def _app(seeds: Path, index: Path, **settings: Any) -> Any:
    return create_app({"SETTINGS": Settings(seeds=seeds, index=index, **settings), "TESTING": True})


def _ids(jsonl: str) -> list[str]:
    return [json.loads(line)["id"] for line in jsonl.splitlines()]


def test_an_export_reads_one_index_while_an_update_switches(tmp_path: Path) -> None:
    seeds = copy_seeds(tmp_path / "seeds")
    add_generated(seeds, 250)
    build(seeds, tmp_path / "index")
    app = _app(seeds, tmp_path / "index")
    client = app.test_client()
    url = "/api/export?q=datong&format=jsonl"
    try:
        before = _ids(client.get(url).get_data(as_text=True))
        streaming = client.get(url, buffered=False)
        chunks = iter(streaming.response)
        first = next(chunks).decode()
        add_generated(seeds, 120, prefix="late")  # 120 more about Datong, ranked among the others
        assert update(seeds, tmp_path / "index").added == 120
        rest = b"".join(chunks).decode()
        streaming.close()
        assert _ids(first + rest) == before  # the index the export began on: no row twice, none missed
        assert len(before) == 251 and len(_ids(client.get(url).get_data(as_text=True))) == 371
    finally:
        app.extensions["search_app"].close()


def test_exports_past_the_limit_are_refused_until_one_ends(archive: tuple[Path, Path]) -> None:
    app = _app(*archive, exports_per_worker=1)
    client = app.test_client()
    begun, done = threading.Event(), threading.Event()

    def held_export() -> None:  # in a thread of its own, as a server answers each request in its own
        response = client.get("/api/export?q=datong", buffered=False)  # begun, not yet read
        begun.set()
        done.wait(10)
        response.close()  # the download ends (read or abandoned): its slot is free

    holder = threading.Thread(target=held_export)
    holder.start()
    try:
        assert begun.wait(10)
        refused = client.get("/api/export?q=coal")
        assert (refused.status_code, refused.headers["Retry-After"], refused.get_json()) == (503, "5", {"error": {
            "status": 503,
            "message": "1 downloads are being prepared right now, the most at once: try again in a few seconds."}})
        assert client.get("/api/search?q=coal").status_code == 200  # searches are not limited
        done.set()
        holder.join(10)
        after = client.get("/api/export?q=airport&format=jsonl")
        assert (after.status_code, len(after.get_data(as_text=True).splitlines())) == (200, 2)
        after.close()
    finally:
        done.set()
        app.extensions["search_app"].close()


def test_an_export_is_logged_when_it_has_been_sent(archive: tuple[Path, Path], tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    app = _app(*archive, access_log=log)
    try:
        response = app.test_client().get("/api/export?q=generated&format=jsonl")
        rows = len(response.get_data(as_text=True).splitlines())
        assert not log.exists()  # read, but the WSGI server has not closed it yet
        response.close()
    finally:
        app.extensions["search_app"].close()
    line = json.loads(log.read_text("utf-8"))
    assert (line["route"], line["status"], line["q"], line["results"]) == ("/api/export", 200, "generated", rows)
    assert rows == GENERATED + 1  # and the seed that says "generated"


@pytest.mark.slow
def test_an_export_lets_the_other_requests_of_its_worker_through(archive: tuple[Path, Path]) -> None:
    heavy = " OR ".join(w[:3] + "*" for w in "coal steel railway logistics energy tourism museum village bridge".split())
    with running_server(*archive, "--workers", "1") as server:
        server.get("/api/search?q=datong")  # warm up
        began, answered = threading.Event(), []

        def download() -> None:
            with server.open(f"/api/export?q={quote(heavy)}&format=csv") as response:
                first = response.read(1)
                began.set()
                rows = (first + response.read()).count(b"\r\n")
            answered.append(("export", time.monotonic(), rows))

        def health() -> None:
            status, _body = server.get("/healthz")
            answered.append(("health", time.monotonic(), status))

        exporter = threading.Thread(target=download)
        exporter.start()
        assert began.wait(10)
        checks = [threading.Thread(target=health) for _ in range(5)]
        for check in checks:
            check.start()
        for thread in (exporter, *checks):
            thread.join(30)
    (export_end, rows), = [(when, n) for what, when, n in answered if what == "export"]
    health = [(when, status) for what, when, status in answered if what == "health"]
    assert rows > GENERATED  # the header and every article
    assert [status for _when, status in health] == [200] * 5
    assert max(when for when, _status in health) < export_end  # answered between the export's pages


def _stalled_export(port: int, q: str) -> socket.socket:
    """A client that asks for an export and never reads it (a receive buffer of a few kB)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET /api/export?q={quote(q)}&format=csv HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return sock


def _drain(sock: socket.socket) -> int:
    sock.settimeout(10)
    total = 0
    while chunk := sock.recv(1 << 16):
        total += len(chunk)
    return total


@pytest.mark.slow
def test_a_client_that_stops_reading_an_export_is_cut_off(archive: tuple[Path, Path]) -> None:
    # Every row's url carries the query: 800 Han characters make rows of ~7 kB, an export of ~7 MB,
    # more than the kernel's buffers hold (about 2 MB on loopback), so the server must wait for the reader.
    q = "datong -" + "煤" * 800
    env = {"SEARCH_APP_SEND_TIMEOUT": "1", "SEARCH_APP_EXPORTS_PER_WORKER": "1"}
    with running_server(*archive, "--workers", "1", env=env) as server:
        stalled = _stalled_export(server.port, q)
        try:
            time.sleep(0.5)
            assert server.get("/api/export?q=coal")[0] == 503  # the stalled export holds the worker's one slot
            assert server.get("/healthz")[0] == 200
            deadline = time.monotonic() + 10
            while server.get("/api/export?q=coal")[0] != 200:  # given back once the server gives up on it
                assert time.monotonic() < deadline, "the stalled export was never cut off"
                time.sleep(0.2)
            received = _drain(stalled)
        finally:
            stalled.close()
        status, body = server.get(f"/api/export?q={quote(q)}&format=csv")
    assert status == 200
    assert 0 < received < len(body)  # cut short (and closed), not resumed when the client came back


def test_the_api_page_shows_the_export_example_without_running_it_whole(archive: tuple[Path, Path]) -> None:
    app = _app(*archive, exports_per_worker=1)
    client = app.test_client()
    try:
        for _ in range(3):  # each view's example download is closed: its slot is free again
            page = client.get("/api-docs").get_data(as_text=True)
            shown = [html.unescape(block) for block in re.findall(r"<pre[^>]*><code>(.*?)</code></pre>", page, re.S)]
            example = next(block for block in shown if block.startswith('{"id"')).splitlines()
            assert [json.loads(line)["id"][:4] for line in example[:30]] == ["gen_"] * 30  # the first rows
            assert example[30:] == ["… (more lines: the link gives the whole answer)"]
        after = client.get("/api/export?q=airport&format=jsonl")
        assert (after.status_code, len(after.get_data(as_text=True).splitlines())) == (200, 2)
        after.close()
    finally:
        app.extensions["search_app"].close()
