"""The parallel build gives the same index as the serial one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search_app.backends.whoosh import buildpool, indexer
from search_app.backends.whoosh.indexer import build, update
from search_app.backends.whoosh.reader import IndexHandle
from search_app.backends.whoosh.search import search
from search_app.models import SearchRequest

CITIES = ["Taiyuan", "Datong", "Changzhi", "Jincheng", "Linfen", "Yuncheng", "Jinzhong", "Yangquan"]


@pytest.fixture()
def many_seeds(seeds_copy: Path) -> Path:
    """The seeds plus 240 generated articles in subfolders, with a JSONL file among them."""
    for n in range(240):
        folder = seeds_copy / f"batch{n % 3}"
        folder.mkdir(exist_ok=True)
        city = CITIES[n % len(CITIES)]
        (folder / f"gen{n:03d}.txt").write_text(
            f"Generated report number {n} about {city}\n\nUpdated: 2020-{n % 12 + 1:02d}-15\n\n"
            f"Officials in {city} discussed coal output, freight rail and parcel{n} logistics.\n\n"
            f"Shipment counter {n * 7} was recorded.\n", "utf-8")
    rows = [{"title": f"Wire item {i}", "body": f"Coal traders in Datong item{i}.", "source": "Xinhua"} for i in range(5)]
    (seeds_copy / "wire.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", "utf-8")
    return seeds_copy


def _snapshot(index_dir: Path) -> dict[str, object]:
    handle = IndexHandle(index_dir)
    try:
        out = {}
        for q in ("coal", "logistics freight", "parcel17", "Datong", ""):
            r = search(handle, SearchRequest(q=q, per_page=100, sort="newest"))
            out[q] = (r["total"], sorted(x["id"] for x in r["results"]), r["facets"])
        return out
    finally:
        handle.close()


def test_parallel_build_equals_serial_build(many_seeds: Path, tmp_path: Path) -> None:
    serial = build(many_seeds, tmp_path / "serial", procs=1)
    parallel = build(many_seeds, tmp_path / "parallel", procs=2)
    assert len(buildpool.split(indexer.discover(many_seeds)[0], 2)) == 2
    # 30 generated articles per city, the five seeds' cities, and five wire items about Datong.
    seeds = {"Changzhi": 2, "Datong": 1, "Jincheng": 2, "Jinzhong": 1, "Linfen": 2, "Taiyuan": 4, "Yangquan": 1}
    expected = {c: 30 + seeds.get(c, 0) + 5 * (c == "Datong") for c in sorted(CITIES)}
    assert (serial.total, serial.cities) == (parallel.total, parallel.cities) == (250, expected)
    assert _snapshot(tmp_path / "serial") == _snapshot(tmp_path / "parallel")
    gen = (tmp_path / "parallel" / "CURRENT").read_text().strip()
    vocabulary = json.loads((tmp_path / "parallel" / gen / indexer.VOCABULARY).read_text())
    assert (vocabulary["coal"], vocabulary["parcel"]) == (249, 240)  # 240 generated + 5 wire + 4 seeds


def test_update_keeps_the_vocabulary_in_step(many_seeds: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build(many_seeds, index_dir, procs=2)
    for path in sorted(many_seeds.rglob("gen00*.txt")):
        path.unlink()  # ten articles, each with one "parcel"
    (many_seeds / "new.txt").write_text("Zeppelin landing\n\nA zeppelin landed in Taiyuan.\n", "utf-8")
    report = update(many_seeds, index_dir)
    assert (report.added, report.removed) == (1, 10)
    gen = (index_dir / "CURRENT").read_text().strip()
    vocabulary = json.loads((index_dir / gen / indexer.VOCABULARY).read_text())
    assert (vocabulary["parcel"], vocabulary["zeppelin"]) == (230, 1)
    handle = IndexHandle(index_dir)
    try:
        r = search(handle, SearchRequest(q="zepelin"))
        assert r["suggestion"] == {"query": "zeppelin", "total": 1}
    finally:
        handle.close()
