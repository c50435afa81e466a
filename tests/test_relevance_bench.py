"""The relevance benchmark (bench/relevance*.py): each collection layout, discovery, articles, measures, checks, a run."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import relevance, relevance_collections, relevance_systems, relevance_tuning
from bench.relevance_collections import Collection, Unreadable
from search_app.models import SearchRequest
from search_app.query import bm25

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
# MED: no titles, CRLF line endings, a text wrapped over lines, TREC judgments.
MED_DOCS = (".I 1\r\n.W\r\nthe crystalline lens in vertebrates\r\nand its proteins .   \r\n  the lens grows through life .\r\n"
            ".I 2\r\n.W\r\nfetal plasma glucose levels at delivery .\r\n")
MED_QUERIES = ".I 1\r\n.W\r\n the crystalline lens in vertebrates, including humans.\r\n"
# LISA: a title over two lines, a blank line of spaces, the repeated record, a fragment outside any record.
LISA_PART_1 = """Document    1
THE INDIAN COUNCIL OF LIBRARY SERVICES:
A PROPOSAL FOR CONSIDERATION.
{blank}
CRITICALLY EXAMINES THE INDIAN LIBRARY
SCENE.
********************************************
Document 1998
VIDEODISC TECHNOLOGY.
{blank}
DESCRIBES VIDEO DISCS.
********************************************
""".format(blank=" " * 5)
LISA_PART_2 = """TAIL OF A RECORD WHOSE HEAD WAS LOST.
********************************************
Document 1998
VIDEODISC TECHNOLOGY.
{blank}
DESCRIBES VIDEO DISCS.
********************************************
Document 2002
MICROFILM IN THE OFFICE.

A SURVEY OF MICROFILM.
********************************************
""".format(blank=" " * 5)
LISA_QUERIES = """1
I AM INTERESTED IN VIDEO DISCS
AND MICROFILM. #
2
INDIAN LIBRARIES. #
"""
LISA_JUDGMENTS = ("           1           3           1        1998                                \n"
                  "        2002                                                                    \n"
                  "           2           1           1                                            \n")
TIME_DOCS = """*TEXT 017 01/04/63 PAGE 020

THE ALLIES AFTER NASSAU IN DECEMBER 1960, THE U.S . FIRST

PROPOSED TO HELP NATO DEVELOP ITS OWN NUCLEAR STRIKE FORCE .

*TEXT 020 01/04/63 PAGE 021

RUSSIA WHO'S IN CHARGE HERE ? THE KREMLIN SPOKE OF COAL .

*TEXT 021 01/04/63 PAGE 022

INDIA COAL FROM BIHAR REACHED THE PORTS .

*STOP
"""
TIME_QUERIES = """
*FIND      1

 NUCLEAR STRIKE FORCE FOR NATO .

*FIND      2

 COAL .

*STOP
"""


def write(folder: Path, files: dict[str, str], newline: str | None = None) -> Path:
    """A folder holding these files (and a README, as every collection has)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(f"# {folder.name}\n", "utf-8")
    for name, text in files.items():
        with open(folder / name, "w", encoding="latin-1", newline=newline) as out:
            out.write(text)
    return folder


@pytest.fixture()
def collection(tmp_path: Path) -> Path:
    """A four-record SMART collection with two judged queries."""
    return write(tmp_path / "tiny", {"tiny.all": DOCS, "query.text": QUERIES, "qrels.text": "01 1 0 0\n01 4 0 0\n02 2 0 0\n"})


def test_smart_records_and_wrapped_titles(collection: Path) -> None:
    coll = relevance_collections.load_smart(collection)
    assert coll.docs == {"1": ("Coal mining in Shanxi province", "Coal output of the mines rose."),
                         "2": ("Steel prices", "Steel prices fell in Taiyuan."), "3": ("A headline alone", ""),
                         "4": ("Railway freight of coal", "Trains carried coal and steel to the ports.")}
    assert coll.queries == {"1": "coal mining", "2": "steel prices in Taiyuan", "3": "nothing judged here"}
    assert (coll.qrels, coll.notes) == ({"1": {"1", "4"}, "2": {"2"}}, ())


def test_adi_authors_left_out_and_its_judgments(tmp_path: Path) -> None:
    folder = write(tmp_path / "adi", {
        "ADI.ALL": ".I 1\n.T\nthe ibm dsd technical\ninformation center\n.A\nH. S. WHITE\n.W\nthe ibm data systems\n division.\n",
        "ADI.QRY": ".I 1\n.W\nWhat problems are there  \nin descriptive titles?  \n",
        "ADI.REL": "1   1   0   0.000000   \n1   9   0   0.000000   \n"})
    coll = relevance_collections.load(folder)
    assert coll == Collection("adi", {"1": ("the ibm dsd technical information center", "the ibm data systems division.")},
                              {"1": "What problems are there in descriptive titles?"}, {"1": {"1"}},
                              ("1 judged id(s) name no record (9): left out",))


def test_med_records_without_titles(tmp_path: Path) -> None:
    folder = write(tmp_path / "med", {"MED.ALL": MED_DOCS, "MED.QRY": MED_QUERIES, "MED.REL": "1 0 1 1\n1 0 2 0\n"}, newline="")
    coll = relevance_collections.load(folder)
    assert coll.docs == {"1": ("", "the crystalline lens in vertebrates and its proteins . the lens grows through life ."),
                         "2": ("", "fetal plasma glucose levels at delivery .")}
    assert (coll.queries, coll.qrels) == ({"1": "the crystalline lens in vertebrates, including humans."}, {"1": {"1"}})


def test_lisa_records_repeats_and_continued_judgments(tmp_path: Path) -> None:
    folder = write(tmp_path / "lisa", {"LISA0.001": LISA_PART_1, "LISA0.501": LISA_PART_2, "LISA.QUE": LISA_QUERIES,
                                       "LISARJ.NUM": LISA_JUDGMENTS, "README": "The LISA collection, not to be sold.\n"})
    coll = relevance_collections.load(folder)
    assert coll == Collection(
        "lisa",
        {"1": ("THE INDIAN COUNCIL OF LIBRARY SERVICES: A PROPOSAL FOR CONSIDERATION.", "CRITICALLY EXAMINES THE INDIAN LIBRARY SCENE."),
         "1998": ("VIDEODISC TECHNOLOGY.", "DESCRIBES VIDEO DISCS."), "2002": ("MICROFILM IN THE OFFICE.", "A SURVEY OF MICROFILM.")},
        {"1": "I AM INTERESTED IN VIDEO DISCS AND MICROFILM.", "2": "INDIAN LIBRARIES."},
        {"1": {"1", "1998", "2002"}, "2": {"1"}},
        ("1 repeated record(s) (1998): the first copy kept, the repeats being the same",
         "1 line(s) outside any `Document N` record dropped"))


@pytest.mark.parametrize(("judgments", "error"), [
    ("1 3 1 1998\n", "LISARJ.NUM: query 1's list of judged ids is cut short"),
    ("1 2 1 1998 2 x 5\n", "LISARJ.NUM: query 2's list of judged ids is cut short"),
])
def test_lisa_judgments_cut_short(tmp_path: Path, judgments: str, error: str) -> None:
    folder = write(tmp_path / "lisa", {"LISA0.001": LISA_PART_1, "LISA.QUE": LISA_QUERIES, "LISARJ.NUM": judgments})
    with pytest.raises(Unreadable) as raised:
        relevance_collections.load(folder)
    assert str(raised.value) == error


def test_time_stories_queries_and_judgments_by_place(tmp_path: Path) -> None:
    # Places 1 and 3 of the original file; place 2 is missing from this copy, so place 3 is the second story.
    folder = write(tmp_path / "time", {"TIME.ALL": TIME_DOCS, "TIME.QUE": TIME_QUERIES, "TIME.REL": "1  1\n\n2  3 4\n"})
    coll = relevance_collections.load_time(folder)
    assert coll.docs == {"17": ("", "THE ALLIES AFTER NASSAU IN DECEMBER 1960, THE U.S . FIRST PROPOSED TO HELP NATO DEVELOP "
                                    "ITS OWN NUCLEAR STRIKE FORCE ."),
                         "20": ("", "RUSSIA WHO'S IN CHARGE HERE ? THE KREMLIN SPOKE OF COAL ."),
                         "21": ("", "INDIA COAL FROM BIHAR REACHED THE PORTS .")}
    assert coll.queries == {"1": "NUCLEAR STRIKE FORCE FOR NATO .", "2": "COAL ."}
    assert relevance_collections.by_place({"1": {"1"}, "2": {"3", "4"}}, list(coll.docs), [2]) == {"1": {"17"}, "2": {"20", "21"}}
    assert relevance_collections.by_place({"1": {"2"}}, list(coll.docs), [2]) == {"1": {"place 2"}}


@pytest.mark.parametrize(("lines", "expected"), [
    ("1 10 0 0\n1 12 0 0\n", {"1": {"10", "12"}}),  # CACM, CISI
    ("1   17   0   0.000000   \n", {"1": {"17"}}),  # ADI
    ("1 0 10 1\n1 0 12 0\n", {"1": {"10"}}),  # TREC (MED): the last column is the grade
    ("1 10 2\n1 12 -1\n2 5 1\n", {"1": {"10"}, "2": {"5"}}),  # Cranfield: -1 is "of no interest"
])
def test_judgment_layouts(tmp_path: Path, lines: str, expected: dict[str, set[str]]) -> None:
    path = tmp_path / "qrels"
    path.write_text(lines, "latin-1")
    assert relevance_collections.read_qrels(path) == expected


def test_discovery_passes_over_other_data_and_reports_unreadable(tmp_path: Path, collection: Path) -> None:
    write(tmp_path / "news-pages", {"bbc.com.52241221.html": "<!DOCTYPE html><html><title>A page</title></html>\n"})
    write(tmp_path / "broken", {"LISA0.001": LISA_PART_1, "LISA.QUE": LISA_QUERIES})  # no judgments file
    (tmp_path / "no-readme").mkdir()
    assert list(relevance_collections.discover(tmp_path)) == [
        (tmp_path / "broken", "LISA"), (tmp_path / "news-pages", None), (tmp_path / "tiny", "SMART")]
    args = argparse.Namespace(docs=None, queries=None, qrels=None, renumber_queries=False)
    found, passed_over, unreadable = relevance.collections_in(tmp_path, args)
    assert ([c.name for c in found], passed_over) == (["tiny"], ["news-pages"])
    assert unreadable == {"broken": f"no file named like rj\\.num$ or \\.num$ in {tmp_path / 'broken'}"}


@pytest.mark.parametrize(("title", "text", "article"), [
    ("Steel prices", "Steel prices fell.", "Steel prices\n\nSteel prices fell.\n"),
    ("A PROPOSAL FOR CONSIDERATION.", "EXAMINES THE SCENE.", "A PROPOSAL FOR CONSIDERATION\n\nEXAMINES THE SCENE.\n"),
    ("The Calculation of Easter...", "", "The Calculation of Easter\n\n\n"),
    ("", "the crystalline lens in vertebrates . it grows .", "the crystalline lens in vertebrates . it grows .\n"),
])
def test_article_files(title: str, text: str, article: str) -> None:
    assert relevance_systems.article_text(title, text) == article


def test_measures() -> None:
    relevant = {"a", "c"}
    assert relevance_systems.ndcg_at(["a", "b", "c"], relevant) == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))
    assert relevance_systems.ndcg_at(["b", "d"], relevant) == 0.0
    assert relevance_systems.ndcg_at(["c", "a", "b"], relevant) == pytest.approx(1.0)
    assert relevance_systems.ap_at(["a", "b", "c"], relevant) == pytest.approx((1 + 2 / 3) / 2)
    assert relevance_systems.ap_at(["a"], relevant) == pytest.approx(0.5)  # a relevant article never found counts as zero
    assert relevance_systems.ap_at(["b", "a", "c"], relevant, k=2) == pytest.approx(0.25)  # cut at k
    assert relevance_systems.randomisation_p([1.0] * 12, [0.0] * 12) < 0.01
    assert relevance_systems.randomisation_p([0.5, 0.2], [0.5, 0.2]) == 1.0


def test_end_to_end_through_the_search_function(collection: Path, tmp_path: Path) -> None:
    coll = relevance_collections.load_smart(collection)
    result, backend = relevance.run_collection(coll, tmp_path / "work")
    backend.close()
    assert result.systems["search_app"]["1"] == ["1", "4"]  # a keyword query: the one with both words, then with one
    assert result.systems["search_app"]["2"] == ["2", "4"]  # every word in 2; 4 has "steel" alone
    assert result.systems["SQLite FTS5"]["1"][0] == "1" and set(result.systems["SQLite FTS5"]["1"]) == {"1", "4"}  # an OR
    table, data = relevance.report(result)
    assert "| search_app | 1.000 | 1.000 |" in table and data["queries"] == 2


def test_headline_made_for_records_without_titles(tmp_path: Path) -> None:
    med = relevance_collections.load(write(tmp_path / "med", {"MED.ALL": MED_DOCS, "MED.QRY": MED_QUERIES,
                                                             "MED.REL": "1 0 1 1\n"}, newline=""))
    backend, _seconds = relevance_systems.build_search_app(med, tmp_path / "work")
    try:
        answer = backend.search(SearchRequest(q="crystalline lens"))
    finally:
        backend.close()
    # As for a user's article without a headline: its opening sentence, which MED's README reads as the title.
    assert [(r["id"], r["title"]) for r in answer["results"]] == [("1", "the crystalline lens in vertebrates and its proteins .")]


def test_queries_in_capitals_as_typed(tmp_path: Path) -> None:
    time_coll = relevance_collections.load_time(
        write(tmp_path / "time", {"TIME.ALL": TIME_DOCS, "TIME.QUE": TIME_QUERIES, "TIME.REL": "1 1\n2 2 3\n"}))
    backend, _seconds = relevance_systems.build_search_app(time_coll, tmp_path / "work")
    try:
        runs, _took = relevance_systems.ask_search_app(time_coll, backend)
    finally:
        backend.close()
    assert runs == {"1": ["17"], "2": ["21", "20"]}


def test_b_takes_effect_when_the_index_is_built(tmp_path: Path) -> None:
    # Twice in a long record, once in a short one: without length normalisation (B 0) the long one
    # comes first, with full normalisation (B 1) the short one.
    filler = "harbour cranes loaded timber wool grain cotton tea sugar rubber tin copper zinc nickel silver"
    coll = Collection("b", {"1": ("Freight", f"coal {filler} coal {filler}"), "2": ("Freight", "coal ships")},
                      {"1": "coal"}, {"1": {"1"}})
    relevance_systems.write_articles(coll, tmp_path / "seeds")
    backend, _seconds = relevance_systems.build_index(tmp_path / "seeds", tmp_path / "index", 2)
    b = relevance_tuning.CONSTANTS["B"]
    check = relevance_tuning.Constant("B", [b.values[0], 0.0, 1.0], b.set, at_build=True)
    try:
        found = relevance_tuning.sweep([relevance_tuning.Built(coll, tmp_path / "seeds", backend)], check)
    finally:
        backend.close()
    assert found[0.0]["b"] == ([1.0], [1.0])
    assert found[1.0]["b"] == ([1 / math.log2(3)], [0.5])
    assert dict(bm25.FIELD_B) == {"title": b.values[0], "body": b.values[0]}  # set back


def _sweep(figures: dict[float, dict[str, float]]) -> relevance_tuning.Sweep:
    return {value: {name: ([ndcg, ndcg], [ndcg / 2, ndcg / 2]) for name, ndcg in by_name.items()} for value, by_name in figures.items()}


def test_leave_one_collection_out() -> None:
    # cacm prefers 2 alone; lisa and med prefer 2 together; time prefers 1; adi (a smoke test) prefers 2 but never chooses.
    found = _sweep({1.0: {"adi": 0.1, "cacm": 0.5, "lisa": 0.5, "med": 0.5, "time": 0.9},
                    2.0: {"adi": 0.9, "cacm": 0.6, "lisa": 0.6, "med": 0.6, "time": 0.2}})
    const = relevance_tuning.Constant("K1", [1.0, 2.0], lambda v: None)
    assert relevance_tuning.leave_one_out_table(const, found).splitlines() == [
        "| K1: held out | chosen on | value chosen | nDCG@10 with it (current 1) | MAP@100 with it (current) |",
        "|---|---|---:|---:|---:|",
        "| adi | cacm, lisa, med, time | 1 | 0.100 (0.100) | 0.050 (0.050) |",
        "| cacm | lisa, med, time | 1 | 0.500 (0.500) | 0.250 (0.250) |",
        "| lisa | cacm, med, time | 1 | 0.500 (0.500) | 0.250 (0.250) |",
        "| med | cacm, lisa, time | 1 | 0.500 (0.500) | 0.250 (0.250) |",
        "| time | cacm, lisa, med | 2 | 0.200 (0.900) | 0.100 (0.450) |",
        "| (none: chosen on all 4) | cacm, lisa, med, time | 1 | | |"]
    assert relevance_tuning.choose(_sweep({1.0: {"a": 0.5}, 2.0: {"a": 0.5}}), ["a"], 2.0) == 2.0  # a tie keeps the current value


def test_summary_table_means(collection: Path) -> None:
    coll = relevance_collections.load_smart(collection)
    smoke = Collection("adi", coll.docs, coll.queries, coll.qrels)
    runs = {"search_app": {"1": ["1", "4"], "2": ["2"]}, "SQLite FTS5": {"1": ["4"], "2": []}, "bm25s": {"1": ["1", "4"], "2": ["2"]}}
    results = [relevance.Result(c, runs, relevance.figures(c, runs), {"seconds": 2.0}) for c in (smoke, coll)]
    table, data = relevance.summary(results, ["news-pages"], {"broken": "no judgments"}, Path("corpora"))
    rows = [line for line in table.splitlines() if line.startswith(("| adi", "| tiny", "| mean"))]
    assert rows == [
        "| adi (smoke test) | 4 | 2 | 1.000 | 1.000 | 0.307 (0.497) | 0.250 (0.497) | 1.000 (1.000) | 1.000 (1.000) | 2 |",
        "| tiny | 4 | 2 | 1.000 | 1.000 | 0.307 (0.497) | 0.250 (0.497) | 1.000 (1.000) | 1.000 (1.000) | 2 |",
        "| mean of 2 |  | 4 | 1.000 | 1.000 | 0.307 | 0.250 | 1.000 | 1.000 | 4 in all |",
        "| mean of 1 (no adi) |  | 2 | 1.000 | 1.000 | 0.307 | 0.250 | 1.000 | 1.000 | 2 in all |"]
    assert data["means"]["without smoke tests"]["SQLite FTS5"]["MAP@100"] == pytest.approx(0.25)  # (1/2 + 0) / 2
    assert table.splitlines()[-2:] == ["- broken: not read (no judgments).", "- Passed over (no ranking collection): news-pages."]


def test_split_half_check() -> None:
    coll = Collection("cacm", {}, {}, {"1": {"a"}, "2": {"a"}, "3": {"a"}, "4": {"a"}})  # halves: queries 1, 3 and 2, 4
    found: relevance_tuning.Sweep = {1.0: {"cacm": ([1.0, 0.0, 1.0, 0.0], [0.0] * 4)}, 2.0: {"cacm": ([0.0, 1.0, 0.5, 1.0], [0.0] * 4)}}
    const = relevance_tuning.Constant("K1", [1.0, 2.0], lambda v: None)
    assert relevance_tuning.split_half_table(const, found, [coll]).splitlines()[2:] == ["| cacm | 1 → 0.000 (0.000) | 2 → 0.250 (1.000) |"]
