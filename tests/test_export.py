"""Exporting every result of a search as CSV or JSON Lines: the core, /api/export and `search --format`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from search_app import export
from search_app.backends.whoosh.indexer import build
from search_app.cli import main
from search_app.config import Settings
from search_app.errors import BadRequest
from search_app.models import SearchRequest
from search_app.web.app import create_app

NEWEST = ["000_5ca391961da276a5", "001_0b108123ccd7e2b3", "003_b8c9e442042d1bdf",
          "004_860ced496ef7d71d", "002_d26b102950b0f93f"]
AIRPORT = ["003_b8c9e442042d1bdf", "004_860ced496ef7d71d"]


def link(article_id: str) -> str:
    return f"https://archive.example/article/{article_id}"


def read_csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")  # so a spreadsheet reads UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_rows_are_the_searchs_articles_in_its_order(whoosh_backend: Any) -> None:
    rows = list(export.rows(whoosh_backend, SearchRequest(q="airport"), link))
    page = whoosh_backend.search(SearchRequest(q="airport"))
    assert [r["id"] for r in rows] == [r["id"] for r in page["results"]] == AIRPORT
    first = page["results"][0]
    assert rows[0] == {
        "id": first["id"], "title": first["title"], "date": first["date"], "source": first["source"],
        "author": first["author"], "cities": first["cities"], "url": link(first["id"]), "score": first["score"],
        "snippet": export.plain(first["snippet"]),
    }
    assert "<mark>" in first["snippet"] and "<" not in rows[0]["snippet"]


@pytest.mark.parametrize("limit", [1, 3, 5, 10])
def test_rows_stop_at_the_limit(whoosh_backend: Any, limit: int) -> None:
    rows = list(export.rows(whoosh_backend, SearchRequest(sort="newest"), link, limit=limit))
    assert [r["id"] for r in rows] == NEWEST[:limit]


def test_rows_page_through_the_whole_result_list(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for n in range(230):  # three pages of 100
        (seeds / f"a{n:03d}.txt").write_text(f"Taiyuan report {n}\n\nUpdated: 2020-01-{n % 28 + 1:02d}\n\nTaiyuan news item {n}.\n",
                                             encoding="utf-8")
    build(seeds, tmp_path / "ix")
    app = create_app({"SETTINGS": Settings(seeds=seeds, index=tmp_path / "ix"), "TESTING": True})
    try:
        backend = app.extensions["search_app"]
        rows = list(export.rows(backend, SearchRequest(q="taiyuan", sort="newest"), link))
        assert len(rows) == len({r["id"] for r in rows}) == 230
        assert len(list(export.rows(backend, SearchRequest(q="taiyuan"), link, limit=150))) == 150
    finally:
        backend.close()


def test_csv_cells_are_safe_in_a_spreadsheet() -> None:
    record = {"id": "a", "title": "=HYPERLINK(\"http://evil\")", "date": None, "source": "+Xinhua", "author": "@someone",
              "cities": ["Datong", "Taiyuan"], "url": "https://x/a", "score": 1.5, "snippet": "-5% \"coal\", 太原"}
    text = "".join(export.csv_lines(iter([record])))
    assert text == (
        "\ufeffid,title,date,source,author,cities,url,score,snippet\r\n"
        "a,\"'=HYPERLINK(\"\"http://evil\"\")\",,'+Xinhua,'@someone,Datong; Taiyuan,https://x/a,1.5,\"'-5% \"\"coal\"\", 太原\"\r\n"
    )


def test_control_characters_never_reach_a_terminal_from_a_saved_file() -> None:
    # An ESC or C1 sequence (a file name, a scraped title) would act on the terminal that prints the download.
    record = {"id": "a\x1b[2Jb", "title": "\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07", "date": None,
              "source": "X\x9b31m", "author": None, "cities": [], "url": "u", "score": 1.0, "snippet": "line\tone\x7f"}
    assert "".join(export.csv_lines(iter([record]))).splitlines()[1] == (
        "a\ufffd[2Jb,\ufffd]8;;http://evil.example/\ufffdclick\ufffd]8;;\ufffd,,X\ufffd31m,,,u,1.0,line\tone\ufffd")
    line = "".join(export.jsonl_lines(iter([record])))
    assert json.loads(line) == record  # escaped, not lost
    assert line.isascii() and "\\u001b" in line and "\\u009b" in line


def test_rows_list_an_article_once_even_when_pages_overlap(whoosh_backend: Any) -> None:
    class Shifting:
        """Pages that overlap, as an engine updated in place between them gives them."""

        def search(self, req: SearchRequest) -> dict[str, Any]:
            answer = whoosh_backend.search(req)
            ids = NEWEST * 2  # page 1 and page 2 both list every article
            page = [r for i in ids[(req.page - 1) * 5: req.page * 5] for r in answer["results"] if r["id"] == i]
            return {**answer, "results": page, "pages": 2}

    rows = list(export.rows(Shifting(), SearchRequest(sort="newest"), link))  # type: ignore[arg-type]
    assert [r["id"] for r in rows] == NEWEST


def test_rows_pause_between_pages(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for n in range(230):
        (seeds / f"a{n:03d}.txt").write_text(f"Datong report {n}\n\nUpdated: 2020-02-01\n\nDatong item {n}.\n", "utf-8")
    build(seeds, tmp_path / "ix")
    backend = create_app({"SETTINGS": Settings(seeds=seeds, index=tmp_path / "ix"), "TESTING": True}).extensions["search_app"]
    pauses: list[int] = []
    sent: list[str] = []
    try:
        for row in export.rows(backend, SearchRequest(q="datong"), link, pause=lambda: pauses.append(len(sent))):
            sent.append(row["id"])
    finally:
        backend.close()
    assert (len(sent), pauses) == (230, [100, 200])  # after each full page, never after the last


def test_jsonl_is_one_object_per_line() -> None:
    records = [{"id": "a", "cities": ["Datong"]}, {"id": "b", "cities": []}]
    assert "".join(export.jsonl_lines(iter(records))) == '{"id": "a", "cities": ["Datong"]}\n{"id": "b", "cities": []}\n'


def test_api_export_csv(client: Any) -> None:
    response = client.get("/api/export?q=airport&format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="search-results.csv"'
    rows = read_csv(response.get_data(as_text=True))
    assert [r["id"] for r in rows] == AIRPORT
    assert rows[0]["url"] == f"http://localhost/article/{AIRPORT[0]}?q=airport"
    assert list(rows[0]) == list(export.COLUMNS)


def test_api_export_jsonl_with_filters_and_sort(client: Any) -> None:
    response = client.get("/api/export?sort=newest&city=Taiyuan&format=jsonl")
    assert (response.status_code, response.mimetype) == (200, "application/x-ndjson")
    rows = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [r["id"] for r in rows] == ["000_5ca391961da276a5", "003_b8c9e442042d1bdf", "004_860ced496ef7d71d",
                                       "002_d26b102950b0f93f"]
    assert all("Taiyuan" in r["cities"] for r in rows)


def test_api_export_defaults_to_csv_and_ignores_paging(client: Any) -> None:
    rows = read_csv(client.get("/api/export?sort=newest&page=2&per_page=1").get_data(as_text=True))
    assert [r["id"] for r in rows] == NEWEST


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("format=xml", "Unknown export format 'xml': use csv or jsonl."),
        ("format=csv&sort=best", "Unknown sort 'best': use one of relevance, newest, oldest."),
        ("format=csv&from=2020-13-01", "'from' is not a real date: '2020-13-01'."),
    ],
)
def test_api_export_bad_parameters_are_a_json_400(client: Any, query: str, message: str) -> None:
    response = client.get(f"/api/export?{query}")
    assert (response.status_code, response.get_json()) == (400, {"error": {"status": 400, "message": message}})


def test_the_page_links_to_both_downloads(client: Any) -> None:
    page = client.get("/?q=airport&page=1&per_page=20").get_data(as_text=True)
    assert 'href="/api/export?q=airport&amp;format=csv" download>CSV</a>' in page
    assert 'href="/api/export?q=airport&amp;format=jsonl" download>JSON Lines</a>' in page
    assert "Download all 2 results:" in page


@pytest.mark.parametrize(
    ("flags", "expected", "back"),
    [([], NEWEST[:2], "sort=newest&per_page=2"), (["--all"], NEWEST, "sort=newest&per_page=2"),
     (["--page", "2"], NEWEST[2:4], "sort=newest&page=2&per_page=2")],  # each url leads back to its results page
)
def test_cli_search_format_jsonl(seeds_dir: Path, built_index: Path, flags: list[str], expected: list[str], back: str) -> None:
    result = CliRunner().invoke(main, ["--seeds", str(seeds_dir), "--index", str(built_index), "search", "--sort", "newest",
                                       "--per-page", "2", "--format", "jsonl", *flags])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == expected
    assert rows[0]["url"] == f"http://127.0.0.1:8000/article/{expected[0]}?{back}"


def test_cli_search_format_csv_all(seeds_dir: Path, built_index: Path) -> None:
    result = CliRunner().invoke(main, ["--seeds", str(seeds_dir), "--index", str(built_index), "search", "airport",
                                       "--format", "csv", "--all", "--base-url", "https://news.example/"])
    assert result.exit_code == 0, result.output
    rows = read_csv(result.stdout)
    assert [(r["id"], r["url"]) for r in rows] == [(i, f"https://news.example/article/{i}?q=airport") for i in AIRPORT]


def test_an_export_cut_short_by_the_time_limit_says_so(built_index: Path) -> None:
    from search_app.backends.whoosh.backend import WhooshBackend

    slow = WhooshBackend(built_index, time_limit=0.0)  # every ranking runs past its deadline
    try:
        assert slow.search(SearchRequest(q="coal"))["timed_out"]
        with pytest.raises(BadRequest, match=r"too slow to export in full \(page 1 was cut short\)"):
            list(export.rows(slow, SearchRequest(q="coal"), link))
    finally:
        slow.close()
