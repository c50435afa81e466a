"""Day/month order learned from the archive: a build reads each source's unambiguous dates and
settles that source's ambiguous ones by them; an update and `inspect` use what the build learned."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from search_app.backends.whoosh.generations import index_stats
from search_app.backends.whoosh.indexer import build, update
from search_app.backends.whoosh.reader import IndexHandle
from search_app.backends.whoosh.schema import from_stored
from search_app.cli import main
from search_app.ingest.dates import (
    AS_WRITTEN,
    CONVENTION,
    DAY_FIRST,
    MONTH_FIRST,
    REPORTED_EVENTS,
    DateReading,
    learn_conventions,
    read_date,
)


def article(folder: Path, name: str, source: str, date: str, text: str = "") -> None:
    """A scraped-page file: headline, Source and Time lines, a paragraph."""
    body = text or f"The city of Taiyuan opened a new library, number {name}."
    (folder / f"{name}.txt").write_text(f"Taiyuan report {name}\nSource: {source}\nTime: {date}\n{body}\n", encoding="utf-8")


def archive(folder: Path, source: str, clear: list[str], ambiguous: list[str]) -> Path:
    """A folder of one source's articles: dates that prove their order, and dates either order fits."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, date in enumerate(clear):
        article(folder, f"clear{number}", source, date)
    for number, date in enumerate(ambiguous):
        article(folder, f"amb{number}", source, date)
    return folder


def dates_of(index_dir: Path) -> dict[str, tuple[dt.date | None, str | None]]:
    """Every indexed article's date and the rule that set it, by id."""
    handle = IndexHandle(index_dir)
    try:
        with handle.generation().searcher() as searcher:
            return {a.id: (a.date, a.dated_by) for a in (from_stored(f) for f in searcher.documents())}
    finally:
        handle.close()


DAY_FIRST_CLEAR = ["13 03,2018", "14 04,2018", "25 05,2018", "16 06,2018", "27 07,2018"]  # five: the minimum


@pytest.mark.parametrize(
    ("reading", "order"),
    [
        (read_date("Time: 25 03,2018"), DAY_FIRST),
        (read_date("03/25/2018"), MONTH_FIRST),
        (read_date("01 03,2018"), None),
        (read_date("2018-03-01"), None),
    ],
    ids=["day-first", "month-first", "ambiguous", "iso"],
)
def test_what_a_date_proves_of_its_order(reading: DateReading, order: str | None) -> None:
    assert reading.order == order


def test_an_ambiguous_date_is_read_with_its_style_and_numbers() -> None:
    assert read_date("Time: 01 03,2018") == DateReading(None, "ambiguous", "N N,Y", (1, 3, 2018))


@pytest.mark.parametrize(
    ("counts", "learned"),
    [
        ({("S\tN N,Y", DAY_FIRST): 5}, {"S\tN N,Y": DAY_FIRST}),
        ({("S\tN N,Y", DAY_FIRST): 4}, {}),
        ({("S\tN N,Y", DAY_FIRST): 40, ("S\tN N,Y", MONTH_FIRST): 1}, {}),
        ({("S\tN/N/Y", MONTH_FIRST): 6, ("T\tN/N/Y", DAY_FIRST): 7}, {"S\tN/N/Y": MONTH_FIRST, "T\tN/N/Y": DAY_FIRST}),
    ],
    ids=["five-agree", "four-too-few", "one-counter-example", "two-sources"],
)
def test_learn_conventions(counts: dict[tuple[str, str], int], learned: dict[str, str]) -> None:
    from collections import Counter

    assert learn_conventions(Counter(counts)) == learned


def test_a_clear_convention_dates_the_ambiguous_articles(tmp_path: Path) -> None:
    seeds = archive(tmp_path / "seeds", "Shanxi Daily", DAY_FIRST_CLEAR, ["01 03,2018", "05 06,2018"])
    report = build(seeds, tmp_path / "ix")
    found = dates_of(tmp_path / "ix")
    assert {i: found[i] for i in ("amb0", "amb1")} == {
        "amb0": (dt.date(2018, 3, 1), CONVENTION),
        "amb1": (dt.date(2018, 6, 5), CONVENTION),
    }
    assert found["clear0"] == (dt.date(2018, 3, 13), AS_WRITTEN)
    assert report.dates == {CONVENTION: 2, AS_WRITTEN: 5, "no date": 0}
    stats = index_stats(tmp_path / "ix")
    assert (stats["dates"], stats["date_conventions"], stats["conventions_from"]) == (
        {CONVENTION: 2, AS_WRITTEN: 5, "no date": 0}, {"Shanxi Daily\tN N,Y": DAY_FIRST}, report.generation)


@pytest.mark.parametrize(
    "clear",
    [
        DAY_FIRST_CLEAR[:4],  # too little evidence
        DAY_FIRST_CLEAR + ["03 25,2018"],  # a counter-example
    ],
    ids=["four-dates", "conflicting"],
)
def test_without_clear_evidence_ambiguous_dates_stay_undated(tmp_path: Path, clear: list[str]) -> None:
    seeds = archive(tmp_path / "seeds", "Shanxi Daily", clear, ["01 03,2018"])
    report = build(seeds, tmp_path / "ix")
    assert dates_of(tmp_path / "ix")["amb0"] == (None, "ambiguous")
    assert report.dates == {"ambiguous": 1, AS_WRITTEN: len(clear), "no date": 0}
    assert index_stats(tmp_path / "ix")["date_conventions"] == {}


def test_a_convention_is_per_source(tmp_path: Path) -> None:
    seeds = archive(tmp_path / "seeds", "Shanxi Daily", DAY_FIRST_CLEAR, [])
    article(seeds, "other", "Global Times", "01 03,2018")
    build(seeds, tmp_path / "ix")
    assert dates_of(tmp_path / "ix")["other"] == (None, "ambiguous")


def test_the_articles_own_events_win_over_the_convention(tmp_path: Path) -> None:
    seeds = archive(tmp_path / "seeds", "Shanxi Daily", DAY_FIRST_CLEAR, [])
    # The convention (day first) would say 5 March, before the meeting of March 20 the article
    # reports as past: the article's own evidence gives 3 May.
    article(seeds, "events", "Shanxi Daily", "05 03,2018", "Taiyuan's council met on March 20 and approved the plan.")
    build(seeds, tmp_path / "ix")
    assert dates_of(tmp_path / "ix")["events"] == (dt.date(2018, 5, 3), REPORTED_EVENTS)


def test_update_uses_the_conventions_of_the_last_build(tmp_path: Path) -> None:
    seeds = archive(tmp_path / "seeds", "Shanxi Daily", DAY_FIRST_CLEAR, [])
    built = build(seeds, tmp_path / "ix")
    article(seeds, "late", "Shanxi Daily", "02 04,2019")
    report = update(seeds, tmp_path / "ix")
    assert dates_of(tmp_path / "ix")["late"] == (dt.date(2019, 4, 2), CONVENTION)
    assert report.dates == {CONVENTION: 1, AS_WRITTEN: 5, "no date": 0}
    stats = index_stats(tmp_path / "ix")
    assert (stats["action"], stats["conventions_from"]) == ("update", built.generation)


def test_cli_stats_and_inspect_show_the_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SEARCH_APP_SEEDS", "SEARCH_APP_INDEX"):
        monkeypatch.delenv(name, raising=False)
    seeds = archive(tmp_path / "seeds", "Shanxi Daily", DAY_FIRST_CLEAR, ["01 03,2018"])
    cli = CliRunner()
    where = ["--seeds", str(seeds), "--index", str(tmp_path / "ix")]
    assert cli.invoke(main, [*where, "build"]).exit_code == 0
    stats = cli.invoke(main, [*where, "stats"])
    lines = stats.stdout.splitlines()
    assert [line for line in lines if line.startswith(("Dated by", "Date conventions", "Seeds folder"))] == [
        "Dated by: archive convention 1, as written 5, no date 0",
        f"Date conventions learned at build {index_stats(tmp_path / 'ix')['conventions_from']}: "
        'Shanxi Daily, dates like "N N,Y": day first',
        f"Seeds folder: {seeds.resolve()}",
    ]
    shown = json.loads(cli.invoke(main, [*where, "inspect", str(seeds / "amb0.txt"), str(seeds / "clear0.txt")]).stdout)
    assert [(a["id"], a["date"], a["dated_by"]) for a in shown["articles"]] == [
        ("amb0", "2018-03-01", CONVENTION), ("clear0", "2018-03-13", AS_WRITTEN)]
