"""The relevance benchmark (bench/relevance.py): SMART files, judgment layouts, measures, an end-to-end run."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import relevance

DOCS = """.I 1
.T
Coal mining in
Shanxi province
.W
Coal output of the mines rose.
.B
CACM 1970
.I 2
.T
Steel prices
.W
Steel prices fell in Taiyuan.
.I 3
.T
A headline alone
.I 4
.T
Railway freight of coal
.W
Trains carried coal and steel to the ports.
"""
QUERIES = """.I 1
.W
 coal mining
.N
 a note that is not part of the query
.I 2
.W
 steel prices in Taiyuan
.I 3
.W
 nothing judged here
"""


@pytest.fixture()
def collection(tmp_path: Path) -> Path:
    """A four-record collection with two judged queries."""
    (tmp_path / "tiny.all").write_text(DOCS, "latin-1")
    (tmp_path / "query.text").write_text(QUERIES, "latin-1")
    (tmp_path / "qrels.text").write_text("01 1 0 0\n01 4 0 0\n02 2 0 0\n", "latin-1")
    return tmp_path


def test_smart_records_and_wrapped_titles(collection: Path) -> None:
    coll = relevance.load_collection(collection, None, None, None, renumber_queries=False)
    assert coll.docs == {"1": ("Coal mining in Shanxi province", "Coal output of the mines rose."),
                         "2": ("Steel prices", "Steel prices fell in Taiyuan."), "3": ("A headline alone", ""),
                         "4": ("Railway freight of coal", "Trains carried coal and steel to the ports.")}
    assert coll.queries == {"1": "coal mining", "2": "steel prices in Taiyuan", "3": "nothing judged here"}
    assert coll.qrels == {"1": {"1", "4"}, "2": {"2"}}


@pytest.mark.parametrize(("lines", "expected"), [
    ("1 10 0 0\n1 12 0 0\n", {"1": {"10", "12"}}),  # CACM, CISI
    ("1 0 10 1\n1 0 12 0\n", {"1": {"10"}}),  # TREC: the last column is the grade
    ("1 10 2\n1 12 -1\n2 5 1\n", {"1": {"10"}, "2": {"5"}}),  # Cranfield: -1 is "of no interest"
])
def test_judgment_layouts(tmp_path: Path, lines: str, expected: dict[str, set[str]]) -> None:
    path = tmp_path / "qrels"
    path.write_text(lines, "latin-1")
    assert relevance.read_qrels(path) == expected


def test_measures() -> None:
    relevant = {"a", "c"}
    assert relevance.ndcg_at(["a", "b", "c"], relevant) == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))
    assert relevance.ndcg_at(["b", "d"], relevant) == 0.0
    assert relevance.ap_at(["a", "b", "c"], relevant) == pytest.approx((1 + 2 / 3) / 2)
    assert relevance.ap_at(["a"], relevant) == pytest.approx(0.5)  # a relevant article never found counts as zero
    assert relevance.randomisation_p([1.0] * 12, [0.0] * 12) < 0.01
    assert relevance.randomisation_p([0.5, 0.2], [0.5, 0.2]) == 1.0


def test_end_to_end_through_the_search_function(collection: Path, tmp_path: Path) -> None:
    coll = relevance.load_collection(collection, None, None, None, renumber_queries=False)
    backend, _seconds = relevance.build_search_app(coll, tmp_path / "work")
    try:
        runs, took = relevance.ask_search_app(coll, backend)
    finally:
        backend.close()
    assert runs["1"] == ["1", "4"]  # a keyword query: the one with both words, then the one with one of them
    assert runs["2"] == ["2", "4"] and len(took) == 3  # every word in 2; 4 has "steel" alone
    fts5 = relevance.run_fts5(coll)
    assert fts5["1"][0] == "1" and set(fts5["1"]) == {"1", "4"}  # an OR of the words
    table, data = relevance.report(coll, {"search_app": runs, "SQLite FTS5": fts5},
                                   {"build_s": 0.1, "p50_ms": 1.0, "max_ms": 2.0})
    assert "| search_app | 1.000 | 1.000 |" in table and data["queries"] == 2  # query 1 now finds 4 too
