"""The `search-app` command line: build, update, stats and search, their --json, the settings it reads, and clean error messages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import unreadable
from seed_facts import CITIES, DATES, IDS_TXT, SOURCES

from search_app.backends.whoosh.generations import current_generation, write_lock
from search_app.cli import main

A1 = "001_0b108123ccd7e2b3"
A0 = "000_5ca391961da276a5"


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SEARCH_APP_* setting leaks in from the environment."""
    for name in ("SEARCH_APP_SEEDS", "SEARCH_APP_INDEX", "SEARCH_APP_SEARCH_TIME_LIMIT"):
        monkeypatch.delenv(name, raising=False)


def invoke(runner: CliRunner, index: Path, *args: str) -> tuple[int, str]:
    """Run search-app with --index; return the exit code and stdout."""
    result = runner.invoke(main, ["--index", str(index), *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout


def test_search_terminal_output(runner: CliRunner, built_index: Path) -> None:
    code, out = invoke(runner, built_index, "search", "transfers")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("2 result(s) in ") and lines[0].endswith(" ms")
    assert lines[1:4] == ["", f"1. Province calls for industrial transfers  [{A1}]", "   2022-03-10 · Changzhi, Jincheng"]
    assert lines[4].startswith("   …") and "industrial transfers" in lines[4] and "<mark>" not in lines[4]
    assert "China's" in lines[4]  # entities are unescaped for the terminal
    assert lines[5:8] == ["", f"2. Shanxi metropolises listed as modern circulation cities  [{A0}]",
                          "   2022-09-29 · Changzhi, Datong, Linfen, Taiyuan"]
    assert len(lines) == 9


def test_search_words_are_joined(runner: CliRunner, built_index: Path) -> None:
    code, out = invoke(runner, built_index, "search", "industrial", "transfers", "--json")
    assert code == 0
    data = json.loads(out)
    every = data["some_words_from"]  # the articles with one of the two words follow
    assert (data["query"], [r["id"] for r in data["results"]][:every]) == ("industrial transfers", [A1, A0])


def test_search_relaxed_and_suggestion_lines(runner: CliRunner, built_index: Path) -> None:
    code, out = invoke(runner, built_index, "search", "logistcs")
    assert (code, out.splitlines()[1]) == (0, "Did you mean: logistics (3 results)")
    code, out = invoke(runner, built_index, "search", "taiyuan airport kyrgyzstan nonexistentword")
    assert out.splitlines()[0].endswith(" ms (relaxed: not every word matched)")


def test_search_json(runner: CliRunner, built_index: Path) -> None:
    code, out = invoke(runner, built_index, "search", "transfers", "--json")
    assert code == 0
    data = json.loads(out)
    for key in ("total", "results", "facets", "suggestion", "relaxed", "took_ms"):
        assert key in data
    assert (data["total"], data["suggestion"], data["relaxed"]) == (2, None, False)
    assert isinstance(data["took_ms"], float)
    result = data["results"][0]
    assert {k: result[k] for k in ("id", "title", "date", "source", "cities")} == {
        "id": A1, "title": "Province calls for industrial transfers", "date": "2022-03-10", "source": None,
        "cities": ["Changzhi", "Jincheng"],
    }
    assert isinstance(result["score"], float) and "<mark>transfers</mark>" in result["snippet"]
    assert list(data["facets"]) == ["city", "source", "year"]
    assert data["facets"]["year"] == [{"value": "2022", "label": "2022", "count": 2, "selected": False}]
    assert {v["value"]: v["count"] for v in data["facets"]["city"] if v["count"]} == {
        "Changzhi": 2, "Jincheng": 1, "Datong": 1, "Linfen": 1, "Taiyuan": 1}


def test_search_json_filters_and_sort(runner: CliRunner, built_index: Path) -> None:
    code, out = invoke(runner, built_index, "search", "--city", "太原", "--city", "Changzhi", "--source", "China Daily",
                       "--from", "2019-01-01", "--to", "2020-01-01", "--sort", "oldest", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert ([r["id"] for r in data["results"]], data["sort"]) == (["004_860ced496ef7d71d"], "oldest")
    selected = [v["value"] for v in data["facets"]["city"] if v["selected"]]
    assert selected == ["Taiyuan", "Changzhi"]


def test_search_json_pages(runner: CliRunner, built_index: Path) -> None:
    code, out = invoke(runner, built_index, "search", "--sort", "newest", "--page", "2", "--per-page", "2", "--json")
    assert code == 0
    data = json.loads(out)
    assert ([r["id"] for r in data["results"]], data["total"], data["pages"]) == (
        ["003_b8c9e442042d1bdf", "004_860ced496ef7d71d"], 5, 3)


def test_search_json_suggestion(runner: CliRunner, built_index: Path) -> None:
    code, out = invoke(runner, built_index, "search", "Taiyaun", "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["total"], data["results"], data["suggestion"]) == (0, [], {"query": "Taiyuan", "total": 4})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "coal", "--from", "yesterday"], "'yesterday' is not a date: use YYYY-MM-DD."),
        (["search", "coal", "--sort", "best"], "'best' is not one of"),
        (["search", "coal", "--page", "0"], "--page"),
        (["search", "coal", "--page", "1001"], "page must be between 1 and 1000."),
    ],
)
def test_search_bad_options(runner: CliRunner, built_index: Path, args: list[str], message: str) -> None:
    result = runner.invoke(main, ["--index", str(built_index), *args])
    assert result.exit_code in (1, 2)
    assert message in result.output
    assert "Traceback" not in result.output


def test_search_dates_the_wrong_way_round_are_swapped(runner: CliRunner, built_index: Path) -> None:
    code, out = invoke(runner, built_index, "search", "transfers", "--from", "2022-12-31", "--to", "2022-01-01")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("2 result(s) in ")
    assert lines[1] == "Note: The dates were the wrong way round: searched from 2022-01-01 to 2022-12-31."


@pytest.mark.parametrize("args", [["search", "coal"], ["search", "coal", "--json"], ["stats"]])
def test_missing_index_message(runner: CliRunner, tmp_path: Path, args: list[str]) -> None:
    result = runner.invoke(main, ["--index", str(tmp_path / "none"), *args])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: No index in {str(tmp_path / 'none')!r}: run `search-app build` first.\n"


def test_corrupt_index_message(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "ix").mkdir()
    (tmp_path / "ix" / "CURRENT").write_text("garbage\n")
    result = runner.invoke(main, ["--index", str(tmp_path / "ix"), "search", "coal"])
    assert result.exit_code == 1
    assert "damaged: run `search-app build` to rebuild it." in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("q", ['"unbalanced', "((((", "-", "title:", "\x00", "x" * 5000])
def test_search_hostile_query(runner: CliRunner, built_index: Path, q: str) -> None:
    code, out = invoke(runner, built_index, "search", q, "--json")
    assert code == 0
    assert isinstance(json.loads(out)["total"], int)


def test_bad_environment_value_is_a_clear_error(runner: CliRunner, built_index: Path) -> None:
    result = runner.invoke(main, ["--index", str(built_index), "stats"], env={"SEARCH_APP_SEARCH_TIME_LIMIT": "soon"})
    assert result.exit_code == 1
    assert result.output == "Error: SEARCH_APP_SEARCH_TIME_LIMIT='soon' is not a number of seconds: set it to e.g. 2.0.\n"


def test_index_after_the_command(runner: CliRunner, built_index: Path) -> None:
    before = runner.invoke(main, ["--index", str(built_index), "search", "transfers", "--json"])
    after = runner.invoke(main, ["search", "transfers", "--index", str(built_index), "--json"])
    assert (after.exit_code, "Traceback" in after.output) == (0, False)
    assert [r["id"] for r in json.loads(after.stdout)["results"]] == [r["id"] for r in json.loads(before.stdout)["results"]] == [A1, A0]
    stats = runner.invoke(main, ["stats", "--json", "--index", str(built_index)])
    assert (stats.exit_code, json.loads(stats.stdout)["articles"]) == (0, 5)


def test_option_after_the_command_wins(runner: CliRunner, built_index: Path, tmp_path: Path) -> None:
    result = runner.invoke(main, ["--index", str(tmp_path / "none"), "stats", "--index", str(built_index), "--json"])
    assert (result.exit_code, json.loads(result.stdout)["articles"]) == (0, 5)
    result = runner.invoke(main, ["--index", str(built_index), "stats", "--index", str(tmp_path / "none")])
    assert (result.exit_code, result.stderr) == (1, f"Error: No index in {str(tmp_path / 'none')!r}: run `search-app build` first.\n")


@pytest.mark.parametrize("command", ["build", "update", "stats", "search", "inspect", "serve"])
def test_every_command_takes_seeds_and_index(runner: CliRunner, command: str) -> None:
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "--seeds DIR" in result.stdout and "--index DIR" in result.stdout


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--version"])
    assert (result.exit_code, result.output) == (0, "search-app, version 0.1.0\n")


def test_serve_on_a_busy_port_says_so_in_one_line(runner: CliRunner, built_index: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(main, ["--index", str(built_index), "serve", "--port", str(port)])
    assert result.exit_code == 1
    assert result.output == (f"Error: Cannot listen on 127.0.0.1:{port} (Address already in use): "
                             "stop what uses it or pass --port N.\n")


def test_search_past_the_last_page_says_where_the_results_end(runner: CliRunner, built_index: Path) -> None:
    result = runner.invoke(main, ["--index", str(built_index), "search", "coal", "--page", "50"])
    assert result.exit_code == 0
    assert result.output.splitlines()[1:] == ["There is no page 50: the results end on page 1."]


# ---------------------------------------------------------------- build, update, stats

def test_cli_build_json(runner: CliRunner, tmp_path: Path, seeds_dir: Path) -> None:
    result = runner.invoke(main, ["--seeds", str(seeds_dir), "--index", str(tmp_path / "ix"), "build", "--json", "--procs", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["action", "generation", "indexed", "added", "changed", "removed", "unchanged",
                          "total", "skipped", "cities", "dates", "elapsed_s"]
    assert (data["action"], data["indexed"], data["total"], data["skipped"], data["cities"], data["dates"]) == (
        "build", 5, 5, [], CITIES, DATES)
    assert result.stderr == ""


def test_cli_build_progress_and_report(runner: CliRunner, tmp_path: Path, seeds_copy: Path) -> None:
    (seeds_copy / "empty.txt").write_text("")
    result = runner.invoke(main, ["--seeds", str(seeds_copy), "--index", str(tmp_path / "ix"), "build", "--procs", "1"])
    assert result.exit_code == 0, result.output
    # non-tty: plain lines, the first at once, then every few seconds, and the last one
    assert result.stderr == "Indexing: 1/6 files\nIndexing: 6/6 files\n"
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Indexed 5 articles; the index holds 5 (generation g-")
    assert lines[1] == "Per city: Changzhi 2, Datong 1, Jincheng 2, Jinzhong 1, Linfen 2, Taiyuan 4, Yangquan 1"
    assert lines[2] == "Dates: as written 3, reported events 1, no date 1"
    assert lines[3] == "Skipped 1 file(s):"
    assert lines[4].startswith("  empty.txt: ")
    assert lines[5].startswith("Took ") and lines[5].endswith(" s.")
    assert len(lines) == 6


def test_cli_update_json(runner: CliRunner, fresh_index: Path, seeds_copy: Path) -> None:
    (seeds_copy / "000_5ca391961da276a5.txt").unlink()
    result = runner.invoke(main, ["--seeds", str(seeds_copy), "--index", str(fresh_index), "update", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    data.pop("generation")
    assert data.pop("elapsed_s") >= 0
    assert data == {
        "action": "update", "indexed": 0, "added": 0, "changed": 0, "removed": 1, "unchanged": 4, "total": 4,
        "skipped": [], "cities": {"Changzhi": 1, "Jincheng": 2, "Jinzhong": 1, "Linfen": 1, "Taiyuan": 3, "Yangquan": 1},
        "dates": {"as written": 2, "reported events": 1, "no date": 1},  # 000 ("29 09,2022", as written) is gone
    }


def test_cli_update_text(runner: CliRunner, fresh_index: Path, seeds_copy: Path) -> None:
    result = runner.invoke(main, ["--seeds", str(seeds_copy), "--index", str(fresh_index), "update"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:4] == [
        "Updated: 0 added, 0 changed, 0 removed, 5 unchanged.",
        f"Indexed 0 articles; the index holds 5 (generation {current_generation(fresh_index)}).",
        "Per city: " + ", ".join(f"{c} {n}" for c, n in CITIES.items()),
        "Dates: as written 3, reported events 1, no date 1",  # unchanged: the live index's
    ]
    assert result.stderr == "Checking: 1/5 files\nChecking: 5/5 files\n"


def test_cli_stats_json(runner: CliRunner, built_index: Path, seeds_dir: Path) -> None:
    result = runner.invoke(main, ["--index", str(built_index), "stats", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert sorted(data) == ["action", "articles", "built_at", "cities", "conventions_from", "date_conventions", "date_max",
                            "date_min", "dates", "format", "generation", "seeds", "size_bytes", "sources", "undated"]
    assert (data["articles"], data["cities"], data["sources"], data["date_min"], data["date_max"], data["dates"],
            data["seeds"], data["date_conventions"], data["conventions_from"]) == (
        5, CITIES, SOURCES, "2019-09-02", "2022-09-29", DATES, str(seeds_dir.resolve()), {}, data["generation"])


def test_cli_stats_text(runner: CliRunner, built_index: Path, seeds_dir: Path) -> None:
    result = runner.invoke(main, ["--index", str(built_index), "stats"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    generation = (built_index / "CURRENT").read_text().strip()
    assert lines[:7] == [
        "Articles: 5 (undated: 1)",
        "Dates: 2019-09-02 to 2022-09-29",
        "Cities: Changzhi 2, Datong 1, Jincheng 2, Jinzhong 1, Linfen 2, Taiyuan 4, Yangquan 1",
        "Sources: China Daily 2, Shanxi Daily 1, Unknown source 2",
        "Dated by: as written 3, reported events 1, no date 1",
        f"Date conventions learned at build {generation}: none",
        f"Seeds folder: {seeds_dir.resolve()}",
    ]


def test_cli_env_settings(runner: CliRunner, tmp_path: Path, seeds_dir: Path) -> None:
    env = {"SEARCH_APP_SEEDS": str(seeds_dir), "SEARCH_APP_INDEX": str(tmp_path / "envix")}
    result = runner.invoke(main, ["build", "--json", "--procs", "1"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"] == 5
    assert (tmp_path / "envix" / "CURRENT").is_file()
    result = runner.invoke(main, ["stats", "--json"], env=env)
    assert json.loads(result.stdout)["articles"] == 5
    # --index on the command line wins over the environment
    result = runner.invoke(main, ["--index", str(tmp_path / "other"), "stats", "--json"], env=env)
    assert result.exit_code == 1
    assert "search-app build" in result.output


@pytest.mark.parametrize("command", [["stats"], ["stats", "--json"], ["update"], ["search", "coal"]])
def test_cli_missing_index(runner: CliRunner, tmp_path: Path, seeds_dir: Path, command: list[str]) -> None:
    result = runner.invoke(main, ["--seeds", str(seeds_dir), "--index", str(tmp_path / "none"), *command])
    assert result.exit_code == 1
    assert "search-app build" in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_cli_build_locked(runner: CliRunner, fresh_index: Path, seeds_copy: Path) -> None:
    with write_lock(fresh_index, "build"):
        result = runner.invoke(main, ["--seeds", str(seeds_copy), "--index", str(fresh_index), "build"])
    assert result.exit_code == 1
    assert "Another build or update is running" in result.output
    assert "Traceback" not in result.output


def test_cli_build_missing_seeds(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["--seeds", str(tmp_path / "nope"), "--index", str(tmp_path / "ix"), "build"])
    assert (result.exit_code, result.output) == (
        1, f"Error: Seeds folder {str(tmp_path / 'nope')!r} does not exist: create it or pass --seeds DIR.\n")
    assert list(tmp_path.iterdir()) == []  # no index folder, no lock file


@pytest.mark.parametrize("command", [["build"], ["build", "--if-stale"], ["update"]])
def test_cli_seeds_that_is_a_file(runner: CliRunner, fresh_index: Path, seeds_copy: Path, command: list[str]) -> None:
    seeds = seeds_copy / "000_5ca391961da276a5.txt"
    before = sorted(p.name for p in fresh_index.iterdir())
    result = runner.invoke(main, ["--seeds", str(seeds), "--index", str(fresh_index), *command])
    assert (result.exit_code, result.output) == (
        1, f"Error: Seeds folder {str(seeds)!r} is not a folder: pass --seeds DIR with the folder of article files.\n")
    assert sorted(p.name for p in fresh_index.iterdir()) == before


@pytest.mark.parametrize("command", ["build", "update"])
def test_cli_index_that_is_a_file(runner: CliRunner, seeds_copy: Path, command: str) -> None:
    index = seeds_copy / "000_5ca391961da276a5.txt"
    content = index.read_bytes()
    result = runner.invoke(main, ["--seeds", str(seeds_copy), "--index", str(index), command])
    assert (result.exit_code, result.output) == (
        1, f"Error: The index path {str(index)!r} is not a folder (or lies under a file): pass --index DIR with a folder.\n")
    assert (index.read_bytes(), sorted(p.name for p in seeds_copy.iterdir())) == (content, IDS_TXT)


def test_cli_update_on_missing_index_leaves_nothing(runner: CliRunner, tmp_path: Path, seeds_dir: Path) -> None:
    result = runner.invoke(main, ["--seeds", str(seeds_dir), "--index", str(tmp_path / "ix"), "update"])
    assert (result.exit_code, result.output) == (
        1, f"Error: No index in {str(tmp_path / 'ix')!r}: run `search-app build` first.\n")
    assert list(tmp_path.iterdir()) == []


def test_cli_seeds_and_index_after_the_command(runner: CliRunner, tmp_path: Path, seeds_copy: Path) -> None:
    index = tmp_path / "ix"
    result = runner.invoke(main, ["build", "--json", "--seeds", str(seeds_copy), "--index", str(index), "--procs", "1"])
    assert (result.exit_code, json.loads(result.stdout)["total"]) == (0, 5)
    (seeds_copy / "000_5ca391961da276a5.txt").unlink()
    result = runner.invoke(main, ["update", "--seeds", str(seeds_copy), "--index", str(index), "--json"])
    assert (result.exit_code, json.loads(result.stdout)["removed"], json.loads(result.stdout)["total"]) == (0, 1, 4)


# ---------------------------------------------------------------- control characters from outside never reach the terminal

CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # all but the lines' own newlines
EVIL_FILE = "evil\x1b]0;pwned\x07"  # a file name that retitles the terminal window
LONG = " More coal was mined in Datong this year than last." * 3  # a text, not binary: few control characters


@pytest.fixture()
def hostile_index(tmp_path: Path) -> tuple[Path, Path]:
    """(seeds, index): an article whose name, title, source and body carry terminal control sequences, and an empty file."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / f"{EVIL_FILE}.txt").write_text(
        "Datong \x1b]8;;http://evil.example/\x07coal\x1b]8;;\x07 \x9b31m and \u202eflip\n\nSource: Evil\x1b]2;x\x07 Daily\n\n"
        "Updated: 2023-04-05\n\nDatong coal \x1b]8;;http://evil.example/\x07click\x1b]8;;\x07 body." + LONG + "\n", "utf-8")
    (seeds / "empty\x1b]0;x\x07.txt").write_text("")
    result = CliRunner().invoke(main, ["--seeds", str(seeds), "--index", str(tmp_path / "ix"), "build", "--procs", "1"],
                                color=True)
    assert result.exit_code == 0, result.output
    return seeds, tmp_path / "ix"


def test_build_report_shows_file_names_escaped(runner: CliRunner, tmp_path: Path, hostile_index: tuple[Path, Path]) -> None:
    seeds, _index = hostile_index
    result = runner.invoke(main, ["--seeds", str(seeds), "--index", str(tmp_path / "ix2"), "build", "--procs", "1"], color=True)
    assert result.exit_code == 0, result.output
    assert CONTROL.findall(result.stdout) == []
    assert result.stdout.splitlines()[3:5] == ["Skipped 1 file(s):", "  empty\\x1b]0;x\\x07.txt: empty file"]


def test_search_and_stats_show_article_text_escaped(runner: CliRunner, hostile_index: tuple[Path, Path]) -> None:
    _seeds, index = hostile_index
    search = runner.invoke(main, ["--index", str(index), "search", "datong"], color=True)
    stats = runner.invoke(main, ["--index", str(index), "stats"], color=True)
    assert (search.exit_code, stats.exit_code) == (0, 0)
    assert (CONTROL.findall(search.stdout), CONTROL.findall(stats.stdout)) == ([], [])
    assert search.stdout.splitlines()[2:5] == [
        "1. Datong ]8;;http://evil.example/ coal ]8;; 31m and \\u202eflip  [evil_]0;pwned_]",  # cleaned at ingest
        "   2023-04-05 · Evil\\x1b]2;x\\x07 Daily · Datong",
        "   Datong coal \\x1b]8;;http://evil.example/\\x07click\\x1b]8;;\\x07 body." + LONG]
    assert "Sources: Evil\\x1b]2;x\\x07 Daily 1" in stats.stdout.splitlines()


@pytest.mark.parametrize("command", [["inspect", "SEEDS"], ["search", "datong", "--json"]])
def test_json_output_escapes_every_control_character(runner: CliRunner, hostile_index: tuple[Path, Path],
                                                     command: list[str]) -> None:
    seeds, index = hostile_index  # json.dumps escapes C0 itself, but not DEL, C1 or the bidirectional controls
    args = [str(seeds) if arg == "SEEDS" else arg for arg in command]
    result = runner.invoke(main, ["--seeds", str(seeds), "--index", str(index), *args], color=True)
    assert result.exit_code == 0, result.output
    assert CONTROL.findall(result.stdout) == []
    assert '"title": "Datong ]8;;http://evil.example/ coal ]8;; 31m and \\u202eflip"' in result.stdout
    assert {a["title"] for a in json.loads(result.stdout)["articles" if command[0] == "inspect" else "results"]} == {
        "Datong ]8;;http://evil.example/ coal ]8;; 31m and \u202eflip"}


def test_queries_never_prints_a_control_character_from_a_log(runner: CliRunner, tmp_path: Path) -> None:
    log = tmp_path / "access.log"  # an old or foreign log, written before the log itself was cleaned
    lines = [{"time": "2026-12-01T10:00:00.000Z", "route": "/", "status": 200, "ms": 3, "q": q, "results": 0,
              **({"corrected_from": typed} if typed else {})}
             for q, typed in [("coal\x9b2J", None), ("airport", "\x1b]8;;http://evil.example/\x07click me\x1b]8;;\x07")]]
    log.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    text = runner.invoke(main, ["queries", "--log", str(log)], color=True)
    as_json = runner.invoke(main, ["queries", "--log", str(log), "--json"], color=True)
    assert (text.exit_code, as_json.exit_code) == (0, 0)
    assert (CONTROL.findall(text.stdout), CONTROL.findall(as_json.stdout)) == ([], [])
    assert text.stdout.splitlines()[-1] == "       1  \\x1b]8;;http://evil.example/\\x07click me\\x1b]8;;\\x07 -> airport"
    assert "       1  coal\\x9b2j" in text.stdout.splitlines()
    assert {row["q"] for row in json.loads(as_json.stdout)["top_zero_results"]} == {"airport", "coal\x9b2j"}


# ---------------------------------------------------------------- where the site is

def test_export_links_point_at_the_public_url_when_set(runner: CliRunner, built_index: Path) -> None:
    result = runner.invoke(main, ["--index", str(built_index), "search", "airport", "--format", "jsonl"],
                           env={"SEARCH_APP_PUBLIC_URL": "https://news.example.org/"})
    assert result.exit_code == 0, result.output
    assert sorted(json.loads(line)["url"] for line in result.stdout.splitlines()) == [
        "https://news.example.org/article/003_b8c9e442042d1bdf?q=airport",
        "https://news.example.org/article/004_860ced496ef7d71d?q=airport"]


@pytest.mark.parametrize(("name", "value", "message"), [
    ("PUBLIC_URL", "news.example.org", "SEARCH_APP_PUBLIC_URL='news.example.org' is not the site's address: write it as "
                                       "https://HOST, e.g. https://news.example.org."),
    ("ALLOWED_HOSTS", "news.example.org:443", "SEARCH_APP_ALLOWED_HOSTS='news.example.org:443' is not a list of host names: "
                                              "write them without ports, separated by commas, e.g. news.example.org,localhost "
                                              "(.example.org takes its subdomains too, * any name)."),
    ("TRUSTED_PROXIES", "nginx", "SEARCH_APP_TRUSTED_PROXIES='nginx' is not a number of proxies: set it to 1 behind one "
                                 "nginx, 0 without a proxy."),
])
def test_where_the_site_is_settings_are_checked(runner: CliRunner, built_index: Path, name: str, value: str,
                                                message: str) -> None:
    result = runner.invoke(main, ["--index", str(built_index), "stats"], env={f"SEARCH_APP_{name}": value})
    assert (result.exit_code, result.output) == (1, f"Error: {message}\n")


@pytest.mark.parametrize("entry", ["dangling link", "folder without search permission"])
def test_build_if_stale_passes_over_what_it_cannot_stat(runner: CliRunner, tmp_path: Path, seeds_copy: Path,
                                                        entry: str) -> None:
    """A link to nowhere (which the build skips) or a file it cannot stat is no traceback, and no reason to rebuild."""
    if entry == "dangling link":
        (seeds_copy / "dangling.txt").symlink_to(seeds_copy / "nowhere.txt")
        locked = []
    else:
        (seeds_copy / "sub").mkdir()
        (seeds_copy / "sub" / "a.txt").write_text("Taiyuan\n\nA short note on Taiyuan.\n", "utf-8")
        locked = [seeds_copy / "sub"]
    index = tmp_path / "ix"
    assert runner.invoke(main, ["--seeds", str(seeds_copy), "--index", str(index), "build"]).exit_code == 0
    live = current_generation(index)
    with unreadable(*locked, mode=0o444):  # a folder listed, whose files cannot be stat'd: no search (x) permission
        result = runner.invoke(main, ["--seeds", str(seeds_copy), "--index", str(index), "build", "--if-stale"])
    assert (result.exit_code, result.output) == (0, f"The index in {index} is up to date.\n")
    assert current_generation(index) == live
