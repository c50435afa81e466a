"""The Whoosh side of the benchmark: builds, update, core latency, HTTP latency and throughput.

Every build and the query runs happen in child processes, so each peak memory is its own.
The corpus in bench/data is never modified: the update is measured on a hard-linked copy
in which 10 files are replaced by new ones.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("search-app")
SERIAL_MAX = 20_000  # above this many articles only the all-cores build is measured (the target compares it)

# Runs inside a child Python: build or update, then report time and peak memory as JSON.
_DRIVER = r"""
import json, resource, sys, time
from pathlib import Path
from search_app.backends.whoosh.indexer import build, update
seeds, index, action, procs = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
t = time.perf_counter()
report = build(seeds, index, procs=procs) if action == "build" else update(seeds, index)
elapsed = time.perf_counter() - t
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"elapsed_s": elapsed, "report": report.to_json(), "rss_main_mb": own, "rss_worker_mb": kids}))
"""

# Runs inside a child Python: the warm-up queries, then every query of the log once a round, through the core.
_QUERY_DRIVER = r"""
import json, resource, sys
from pathlib import Path
from bench.timing import suggest_cost, time_queries
from search_app.backends.whoosh.reader import IndexHandle
from search_app.backends.whoosh.search import search
index, rounds = Path(sys.argv[1]), int(sys.argv[2])
given = json.loads(sys.stdin.read())
handle = IndexHandle(index)
run = lambda req: search(handle, req)
timed = time_queries(run, given["log"], given["warmup"], rounds)
suggest = suggest_cost(run, 3)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({**timed, "suggest": suggest, "rss_mb": rss}))
"""


def _python(code: str, *args: str, stdin: str | None = None) -> dict[str, Any]:
    result = subprocess.run([sys.executable, "-c", code, *args], input=stdin, capture_output=True, text=True,
                            cwd=REPO, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _percentiles(samples: Sequence[float]) -> dict[str, float]:
    from bench.fts5 import percentiles

    return percentiles(samples)


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _linked_copy(seeds: Path, target: Path) -> None:
    """A copy of the corpus made of hard links (instant, no extra space)."""
    if target.exists():
        shutil.rmtree(target)
    subprocess.run(["cp", "-al", str(seeds), str(target)], check=True)


def _change_files(seeds: Path, count: int) -> list[Path]:
    """Replace `count` files with edited new files (new inodes: the originals stay untouched)."""
    files = sorted(seeds.rglob("*.txt"))[: count * 97 : 97][:count]
    for path in files:
        text = path.read_text("utf-8")
        path.unlink()
        path.write_text(text + "\n\nCorrection appended by the benchmark on update.\n", "utf-8")
    return files


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(conn: http.client.HTTPConnection, path: str) -> float:
    t = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status} for {path}: {body[:200]!r}")
    return (time.perf_counter() - t) * 1000


def _rss_mb(pid: int) -> float:
    """Peak resident memory of a process and all its descendants (gunicorn's master and workers)."""
    total = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            total += int(line.split()[1]) / 1024
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        for kid in child.read_text().split():
            try:
                total += _rss_mb(int(kid))
            except OSError:
                pass
    return total


def measure_http(index: Path, seeds: Path, log: Sequence[dict[str, Any]], warmup: Sequence[dict[str, Any]],
                 rounds: int, seconds: float = 20.0) -> dict[str, Any]:
    """Latency with one client, then requests/s with 8 concurrent clients, against `search-app serve`.

    The single client sends every query of the log once a round; the 8 clients then start an eighth
    of the log apart and go on through it, so no query is repeated until the log runs out."""
    from bench.timing import query_string

    port = _free_port()
    server = subprocess.Popen([str(CLI), "--seeds", str(seeds), "--index", str(index), "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                _get(conn, "/healthz")
                break
            except (OSError, RuntimeError):
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.2)
        paths = [query_string(q) for q in log]
        for q in list(warmup) * 2:  # warm-up: every worker process opens the index and fills its caches
            _get(conn, query_string(q))
        single = [_get(conn, path) for _ in range(rounds) for path in paths]
        conn.close()
        done = [0] * 8
        stop = time.monotonic() + seconds

        def client(slot: int) -> None:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            i = slot * len(paths) // 8
            while time.monotonic() < stop:
                _get(c, paths[i % len(paths)])
                done[slot] += 1
                i += 1
            c.close()

        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        return {"latency": _percentiles(single), "rps_8": round(sum(done) / elapsed, 1),
                "server_rss_mb": round(_rss_mb(server.pid), 1), "requests_8": sum(done)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def measure_whoosh(seeds: Path, work: Path, log: Sequence[dict[str, Any]], warmup: Sequence[dict[str, Any]],
                   rounds: int) -> dict[str, Any]:
    """Build (one process, then every core), update 10 articles, query through the core and HTTP."""
    from bench.timing import by_kind

    work.mkdir(parents=True, exist_ok=True)
    copy = work / "seeds"
    _linked_copy(seeds, copy)
    single_ix, parallel_ix = work / "index-1proc", work / "index"
    for path in (single_ix, parallel_ix):
        shutil.rmtree(path, ignore_errors=True)
    files = sum(1 for _ in copy.rglob("*.txt"))
    one: dict[str, Any] | None = None
    if files <= SERIAL_MAX:  # a million articles in one process would take longer than the rest of the run
        print("bench: whoosh build, 1 process", file=sys.stderr)
        one = _python(_DRIVER, str(copy), str(single_ix), "build", "1")
        shutil.rmtree(single_ix, ignore_errors=True)
    procs = min(2, os.cpu_count() or 1)
    print(f"bench: whoosh build, {procs} processes", file=sys.stderr)
    par = _python(_DRIVER, str(copy), str(parallel_ix), "build", str(procs))
    articles = par["report"]["total"]
    generation = (parallel_ix / "CURRENT").read_text().strip()
    index_bytes = _dir_bytes(parallel_ix / generation)
    _change_files(copy, 10)
    print("bench: whoosh update of 10 articles", file=sys.stderr)
    upd = _python(_DRIVER, str(copy), str(parallel_ix), "update", "1")
    print("bench: whoosh queries through the core", file=sys.stderr)
    core = _python(_QUERY_DRIVER, str(parallel_ix), str(rounds), stdin=json.dumps({"log": log, "warmup": warmup}))
    print("bench: whoosh queries through HTTP", file=sys.stderr)
    http_figures = measure_http(parallel_ix, copy, log, warmup, rounds)
    return {
        "articles": articles,
        **({"build_s": round(one["elapsed_s"], 2), "articles_per_s": round(one["report"]["total"] / one["elapsed_s"], 1)}
           if one else {}),
        "build_parallel_s": round(par["elapsed_s"], 2),
        "articles_per_s_parallel": round(articles / par["elapsed_s"], 1),
        "procs": procs,
        "build_peak_rss_mb": round(max(par["rss_main_mb"], par["rss_worker_mb"]), 1),
        "build_rss": {"one_process_mb": round(one["rss_main_mb"], 1) if one else None,
                      "parallel_main_mb": round(par["rss_main_mb"], 1),
                      "parallel_worker_mb": round(par["rss_worker_mb"], 1)},
        "index_bytes": index_bytes,
        "update_articles": upd["report"]["changed"] + upd["report"]["added"],
        "update_s": round(upd["elapsed_s"], 3),
        "latency": _percentiles(core["samples"]),
        "latency_by_kind": by_kind(log, core["answers"]),
        "query_process_rss_mb": round(core["rss_mb"], 1),
        "http": http_figures,
        "suggest": core["suggest"],
        "queries": core["answers"],
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
