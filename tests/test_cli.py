"""`search-app search`: terminal output, --json, and clean error messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

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
    assert (data["query"], [r["id"] for r in data["results"]]) == ("industrial transfers", [A1, A0])


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
