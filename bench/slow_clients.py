"""Searches beside slow and idle connections: what a client trickling its request, or sending nothing,
does to everyone else's searches on a running `search-app serve`.

    .venv/bin/python bench/slow_clients.py --index INDEX --seeds SEEDS [--trickling 64] [--idle 64]

Starts the server of this checkout, measures 4 clients searching, then the same while the slow
connections are open, and prints p50/p95, failures and how long the server kept the slow
connections open. tests/web/test_serving.py uses the same clients on the seeds.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

CLI = Path(sys.executable).parent / "search-app"
QUERIES = ["airport", "taiyuan", "logistics", "coal", "city:datong", "industrial transfers", "shanxi", "kyrgyzstan"]


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[int(fraction * (len(ordered) - 1))]


def searchers(base: str, clients: int, per_client: int, timeout: float = 10) -> tuple[list[float], list[str]]:
    """Run `clients` threads of `per_client` searches each, a new connection for each; (latencies in s, failures)."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        for i in range(per_client):
            q = QUERIES[(n + i) % len(QUERIES)].replace(" ", "+")
            started = time.perf_counter()
            failure = None
            try:
                with urllib.request.urlopen(f"{base}/api/search?q={q}", timeout=timeout) as response:
                    response.read()
            except OSError as exc:  # an HTTP error status too
                failure = f"{q}: {exc}"
            with lock:
                latencies.append(time.perf_counter() - started)
                if failure:
                    failures.append(failure)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=per_client * timeout + 60)
    return latencies, failures


class SlowClients:
    """Connections that trickle a request head one byte a second, and connections that send nothing."""

    def __init__(self, port: int, trickling: int, idle: int) -> None:
        self.opened: dict[socket.socket, float] = {}
        self.closed: dict[socket.socket, float] = {}
        self.trickling: list[socket.socket] = []
        for n in range(trickling + idle):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.setblocking(False)
            self.opened[sock] = time.monotonic()
            if n < trickling:
                self.trickling.append(sock)
        self.head = b"GET /api/search?q=coal HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        sent = 0
        next_byte = time.monotonic()
        while not self._stop.is_set() and len(self.closed) < len(self.opened):
            now = time.monotonic()
            if now >= next_byte:
                for sock in self.trickling:
                    if sock not in self.closed:
                        try:
                            sock.send(self.head[sent:sent + 1])
                        except OSError:
                            self.closed.setdefault(sock, time.monotonic())
                sent = min(sent + 1, len(self.head) - 1)
                next_byte = now + 1.0
            open_now = [s for s in self.opened if s not in self.closed]
            readable, _, _ = select.select(open_now, [], [], 0.1)
            for sock in readable:  # the server closed it (it must not answer before a whole request head)
                try:
                    data = sock.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    self.closed.setdefault(sock, time.monotonic())

    def wait_closed(self, timeout: float) -> None:
        """Wait until the server has closed every slow connection, or timeout seconds."""
        deadline = time.monotonic() + timeout
        while len(self.closed) < len(self.opened) and time.monotonic() < deadline:
            time.sleep(0.2)

    def longest_open(self) -> float:
        """Seconds the longest-lived slow connection stayed open (still open ones count until now)."""
        return max(self.closed.get(s, time.monotonic()) - self.opened[s] for s in self.opened)

    def stop(self) -> None:
        """Stop trickling and close every connection still open."""
        self._stop.set()
        self._thread.join(timeout=10)
        for sock in self.opened:
            sock.close()


def main() -> None:
    """Measure searches with and without slow clients against a fresh `search-app serve`."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--seeds", type=Path, required=True)
    parser.add_argument("--trickling", type=int, default=64)
    parser.add_argument("--idle", type=int, default=64)
    parser.add_argument("--searches", type=int, default=60, help="per client, each phase")
    args = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([str(CLI), "--seeds", str(args.seeds), "--index", str(args.index), "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.2)
        searchers(base, 4, 10)  # warm-up
        calm, calm_failures = searchers(base, 4, args.searches)
        slow = SlowClients(port, args.trickling, args.idle)
        time.sleep(0.5)
        busy, busy_failures = searchers(base, 4, args.searches)
        slow.wait_closed(30)
        slow.stop()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    ms = lambda values, f: round(percentile(values, f) * 1000, 1)  # noqa: E731
    print(json.dumps({"calm": {"p50_ms": ms(calm, 0.5), "p95_ms": ms(calm, 0.95), "failed": len(calm_failures)},
                      "with_slow_clients": {"p50_ms": ms(busy, 0.5), "p95_ms": ms(busy, 0.95), "failed": len(busy_failures)},
                      "slow_connections": len(slow.opened), "closed_by_server": len(slow.closed),
                      "longest_open_s": round(slow.longest_open(), 1)}))


if __name__ == "__main__":
    main()
