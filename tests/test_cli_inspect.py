"""`search-app inspect PATH...`: one JSON object of the records and skips the indexer would see."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from search_app.cli import main

KEYS = ["id", "path", "title", "body", "date", "source", "author", "cities", "content_hash", "dated_by"]


@pytest.fixture()
def cli(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A click runner with no SEARCH_APP_* settings leaking in from the environment."""
    for name in ("SEARCH_APP_SEEDS", "SEARCH_APP_INDEX", "SEARCH_APP_SEARCH_TIME_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def inspect(cli: CliRunner, seeds: Path, *paths: Path | str) -> dict[str, Any]:
    """Run inspect, check it succeeded and printed exactly one JSON object; return it."""
    result = cli.invoke(main, ["--seeds", str(seeds), "inspect", *map(str, paths)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_inspect_all_seeds(cli: CliRunner, seeds_dir: Path) -> None:
    data = inspect(cli, seeds_dir, *sorted(seeds_dir.glob("*.txt")))
    assert list(data) == ["articles", "skipped"]
    assert data["skipped"] == []
    assert [a["id"] for a in data["articles"]] == [
        "000_5ca391961da276a5", "001_0b108123ccd7e2b3", "002_d26b102950b0f93f",
        "003_b8c9e442042d1bdf", "004_860ced496ef7d71d",
    ]
    for article in data["articles"]:
        assert list(article) == KEYS
        assert article["path"] == article["id"] + ".txt"
        assert isinstance(article["cities"], list)
        assert re.fullmatch(r"[0-9a-f]{32}", article["content_hash"])
    assert [(a["date"], a["dated_by"], a["source"], a["author"]) for a in data["articles"]] == [
        ("2022-09-29", "as written", None, None),  # "29 09,2022": only day-first is a valid date
        ("2022-03-10", "as written", None, None),
        (None, None, "China Daily", None),
        ("2021-11-05", "reported events", "Shanxi Daily", "Yuan Shenggao"),  # "11 05,2021": the events it reports are past
        ("2019-09-02", "as written", "China Daily", None),
    ]
    assert data["articles"][1]["cities"] == ["Changzhi", "Jincheng"]


def test_inspect_a_folder(cli: CliRunner, seeds_dir: Path) -> None:
    data = inspect(cli, seeds_dir, seeds_dir)
    assert len(data["articles"]) == 5
    assert data["skipped"] == []


def test_inspect_one_seed_in_full(cli: CliRunner, seeds_dir: Path) -> None:
    [article] = inspect(cli, seeds_dir, seeds_dir / "002_d26b102950b0f93f.txt")["articles"]
    assert {k: v for k, v in article.items() if k not in ("body", "content_hash")} == {
        "id": "002_d26b102950b0f93f",
        "path": "002_d26b102950b0f93f.txt",
        "title": "Demo zone, district to co-develop industrial parks in Shanxi",
        "date": None,
        "source": "China Daily",
        "author": None,
        "cities": ["Jinzhong", "Taiyuan"],
        "dated_by": None,
    }
    assert article["body"].startswith("A launch ceremony for the joint construction")
    assert article["body"].endswith("sections of industrial chains will be introduced.")


def test_inspect_keeps_chinese_readable(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "zh.txt"
    path.write_text("太原 opens a museum\n\nThe museum in 太原 opened.", encoding="utf-8")
    result = cli.invoke(main, ["--seeds", str(tmp_path), "inspect", str(path)])
    assert result.exit_code == 0, result.output
    assert "太原" in result.stdout
    assert json.loads(result.stdout)["articles"][0]["cities"] == ["Taiyuan"]


def test_broken_files_land_in_skipped(cli: CliRunner, seeds_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    page = tmp_path / "page.html"
    page.write_text("<p>Taiyuan</p>", encoding="utf-8")
    data = inspect(cli, seeds_dir, seeds_dir / "000_5ca391961da276a5.txt", empty, binary, page, tmp_path / "missing.txt")
    assert [a["id"] for a in data["articles"]] == ["000_5ca391961da276a5"]
    assert sorted(data["skipped"], key=lambda s: s["path"]) == sorted([
        {"path": str(tmp_path / "missing.txt"), "reason": "no such file"},
        {"path": "empty.txt", "reason": "empty file"},
        {"path": "blob.txt", "reason": "binary file (contains NUL bytes)"},
        {"path": "page.html", "reason": "no article text in the page (an index page or an empty shell?)"},
    ], key=lambda s: s["path"])


def test_file_in_a_seeds_subfolder_gets_its_path_id(cli: CliRunner, seeds_copy: Path) -> None:
    target = seeds_copy / "2023" / "xinhua" / "0142.txt"
    target.parent.mkdir(parents=True)
    target.write_text("Yuncheng hosts a fair\n\nUpdated: 2023-05-01\n\nThe fair in Yuncheng opened.", encoding="utf-8")
    [article] = inspect(cli, seeds_copy, target)["articles"]
    assert (article["id"], article["path"], article["date"], article["cities"]) == (
        "2023/xinhua/0142", "2023/xinhua/0142.txt", "2023-05-01", ["Yuncheng"],
    )


def test_jsonl_bad_line_in_skipped(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text('{"title": "A", "body": "Datong."}\nnot json\n', encoding="utf-8")
    data = inspect(cli, tmp_path, path)
    assert [(a["id"], a["title"], a["cities"]) for a in data["articles"]] == [("feed/1", "A", ["Datong"])]
    assert data["skipped"] == [{"path": "feed.jsonl:2", "reason": "invalid JSON: Expecting value"}]


def test_inspect_needs_a_path(cli: CliRunner, seeds_dir: Path) -> None:
    result = cli.invoke(main, ["--seeds", str(seeds_dir), "inspect"])
    assert result.exit_code == 2
    assert "Missing argument" in result.output


ARTICLE = "Taiyuan opens a library\n\nThe city of Taiyuan opened a library.\n"
ID_RULE = "an id is up to 100 letters, digits, '-', '_' or '.', not starting with '.'"


def test_inspect_refuses_a_symlink_out_of_the_seeds_folder(cli: CliRunner, seeds_copy: Path) -> None:
    (seeds_copy / "s2").mkdir()
    (seeds_copy / "s2" / "link.txt").symlink_to("/etc/passwd")
    expected = {"articles": [], "skipped": [{"path": "s2/link.txt", "reason": "symlink to a file outside the seeds folder"}]}
    assert inspect(cli, seeds_copy, seeds_copy / "s2" / "link.txt") == expected
    assert inspect(cli, seeds_copy, seeds_copy / "s2") == expected


def test_inspect_elsewhere_judges_the_file_in_its_own_folder(cli: CliRunner, seeds_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "link.txt").symlink_to("/etc/passwd")
    (tmp_path / "real.txt").write_text(ARTICLE, "utf-8")
    (tmp_path / "alias.txt").symlink_to(tmp_path / "real.txt")
    data = inspect(cli, seeds_dir, tmp_path / "link.txt", tmp_path / "alias.txt")
    assert [(a["id"], a["path"], a["title"]) for a in data["articles"]] == [("alias", "alias.txt", "Taiyuan opens a library")]
    assert data["skipped"] == [{"path": "link.txt", "reason": "symlink to a file outside the seeds folder"}]


def test_inspect_reads_by_the_build_rules(cli: CliRunner, tmp_path: Path) -> None:
    """Every path a user may type gives what the build gives for it: the same article or the same skip."""
    from search_app.backends.whoosh.indexer import build

    seeds, outside = tmp_path / "seeds", tmp_path / "outside"
    for rel in ("ok.txt", ".hidden/a.txt", "odd.json/a.txt", "sub/deep.txt"):
        (seeds / rel).parent.mkdir(parents=True, exist_ok=True)
        (seeds / rel).write_text(ARTICLE, "utf-8")
    (outside / "dir").mkdir(parents=True)
    (outside / "dir" / "a.txt").write_text(ARTICLE, "utf-8")
    (seeds / "link.txt").symlink_to(outside / "dir" / "a.txt")
    (seeds / "dangling.txt").symlink_to(seeds / "gone.txt")
    (seeds / "alias.txt").symlink_to(seeds / "sub" / "deep.txt")
    (seeds / "linked").symlink_to(outside / "dir", target_is_directory=True)
    (seeds / "feed.jsonl").write_text(json.dumps({"id": "../x", "body": "Datong."}) + "\n", "utf-8")
    typed = ["ok.txt", ".hidden/a.txt", "odd.json/a.txt", "sub/deep.txt", "link.txt", "dangling.txt", "alias.txt",
             "linked/a.txt", "feed.jsonl"]
    data = inspect(cli, seeds, *(seeds / rel for rel in typed))
    assert [a["id"] for a in data["articles"]] == ["ok", "sub/deep", "alias", "feed/1"]
    assert data["skipped"] == [
        {"path": ".hidden", "reason": "hidden folder not read"},
        {"path": "odd.json", "reason": "folder named like an article file; its contents are not read"},
        {"path": "link.txt", "reason": "symlink to a file outside the seeds folder"},
        {"path": "dangling.txt", "reason": "unreadable: No such file or directory"},
        {"path": "linked", "reason": "symlinked folder not followed"},
        {"path": "feed.jsonl:1", "reason": f"id '../x' is not valid ({ID_RULE}); the article gets the id 'feed/1' instead"},
    ]
    report = build(seeds, tmp_path / "index")
    assert {s.path: s.reason for s in report.skipped} == {s["path"]: s["reason"] for s in data["skipped"]}
    assert report.total == len(data["articles"])


def test_inspect_takes_seeds_after_the_command(cli: CliRunner, seeds_copy: Path) -> None:
    target = seeds_copy / "2023" / "0142.txt"
    target.parent.mkdir()
    target.write_text(ARTICLE, "utf-8")
    result = cli.invoke(main, ["inspect", "--seeds", str(seeds_copy), str(target)])
    assert result.exit_code == 0, result.output
    assert [a["id"] for a in json.loads(result.stdout)["articles"]] == ["2023/0142"]
