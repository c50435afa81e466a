"""What a download does to everyone else's requests on the same worker of a running `search-app serve`.

    .venv/bin/python bench/export_fairness.py --index INDEX --seeds SEEDS [--q said] [--exports 1 20]

Starts the server of this checkout with one worker (PYTHONPATH=OTHER_CHECKOUT measures another),
has 20 clients poll /healthz every 20 ms, and reports the health checks' latency (p50, p95, max)
alone, then while 1 and while 20 exports of the query run at once (each up to 10,000 rows, read
as fast as the client can), with each export's status and time. The query should match 10,000
articles or more (`said` on the 12,500-article corpus of `bench/make_corpus.py --size 12500`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.slow_clients import percentile  # noqa: E402

CLI = Path(sys.executable).parent / "search-app"


def _get(url: str, timeout: float = 60) -> tuple[int, int]:
    """(status, bytes read) of one GET on a new connection."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, len(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, len(exc.read())


class Pollers:
    """`clients` threads asking /healthz every `interval` seconds; each check's (start, latency)."""

    def __init__(self, base: str, clients: int, interval: float) -> None:
        self.base, self.interval = base, interval
        self.checks: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._poll) for _ in range(clients)]

    def __enter__(self) -> Pollers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _poll(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            _get(self.base + "/healthz", timeout=30)
            with self._lock:
                self.checks.append((started, time.perf_counter() - started))
            self._stop.wait(self.interval)

    def between(self, first: float, last: float) -> list[float]:
        """Latencies (ms) of the checks begun in [first, last]."""
        with self._lock:
            return [ms * 1000 for start, ms in self.checks if first <= start <= last]


def _summary(latencies: list[float]) -> dict[str, float]:
    if not latencies:
        return {"checks": 0}
    return {"checks": len(latencies), "p50_ms": round(percentile(latencies, 0.5), 1),
            "p95_ms": round(percentile(latencies, 0.95), 1), "max_ms": round(max(latencies), 1)}


def exports_at_once(base: str, q: str, count: int) -> tuple[float, float, list[dict[str, float]]]:
    """Run `count` CSV exports of q at once; (began, ended, each one's status, kB and seconds)."""
    url = f"{base}/api/export?{urllib.parse.urlencode({'q': q, 'format': 'csv'})}"
    answers: list[dict[str, float]] = []
    lock = threading.Lock()

    def one() -> None:
        started = time.perf_counter()
        status, size = _get(url, timeout=120)
        with lock:
            answers.append({"status": status, "kB": round(size / 1024), "s": round(time.perf_counter() - started, 2)})

    threads = [threading.Thread(target=one) for _ in range(count)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return began, time.perf_counter(), answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--seeds", type=Path, required=True)
    parser.add_argument("--q", default="said")
    parser.add_argument("--exports", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.02)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCH_APP_")}
    server = subprocess.Popen([str(CLI), "--seeds", str(args.seeds), "--index", str(args.index), "serve", "--workers", "1",
                               "--port", str(args.port)], env=env, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{args.port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _get(base + "/healthz", timeout=1)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not answer /healthz within 30 s")
            time.sleep(0.1)
        _get(f"{base}/api/search?q={urllib.parse.quote(args.q)}")  # warm up
        report: dict[str, object] = {"q": args.q, "clients": args.clients, "interval_s": args.interval}
        with Pollers(base, args.clients, args.interval) as pollers:
            quiet = time.perf_counter()
            time.sleep(3)
            report["health alone"] = _summary(pollers.between(quiet, time.perf_counter()))
            for count in args.exports:
                began, ended, answers = exports_at_once(base, args.q, count)
                report[f"health during {count} export(s)"] = _summary(pollers.between(began, ended))
                report[f"{count} export(s)"] = sorted(answers, key=lambda a: (a["status"], a["s"]))
                time.sleep(1)
        print(json.dumps(report, indent=1))
    finally:
        server.terminate()
        server.wait(20)


if __name__ == "__main__":
    main()
