"""`update` cannot wipe the index by accident: another folder, an empty one, or a mass removal is refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from search_app.backends.whoosh.indexer import current_generation, index_stats
from search_app.cli import main

ARTICLE = "Taiyuan report {n}\nSource: Shanxi Daily\nTime: 2021-05-{day:02d}\nThe city of Taiyuan opened library number {n}.\n"


@pytest.fixture()
def cli(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A click runner with no SEARCH_APP_* settings leaking in from the environment."""
    for name in ("SEARCH_APP_SEEDS", "SEARCH_APP_INDEX"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def folder(path: Path, count: int) -> Path:
    """A seeds folder of `count` short articles."""
    path.mkdir(parents=True)
    for n in range(count):
        (path / f"a{n:02d}.txt").write_text(ARTICLE.format(n=n, day=n % 28 + 1), encoding="utf-8")
    return path


def run(cli: CliRunner, seeds: Path, index: Path, *args: str) -> Result:
    return cli.invoke(main, ["--seeds", str(seeds), "--index", str(index), *args])


@pytest.fixture()
def built(cli: CliRunner, tmp_path: Path) -> tuple[Path, Path, str]:
    """A 30-article folder built into an index: (seeds, index, live generation)."""
    seeds, index = folder(tmp_path / "news", 30), tmp_path / "ix"
    assert run(cli, seeds, index, "build").exit_code == 0
    return seeds, index, current_generation(index)


def refused(result: Result, index: Path, generation: str) -> str:
    """The one-line refusal of an update that changed nothing."""
    assert result.exit_code != 0
    assert current_generation(index) == generation
    assert index_stats(index)["articles"] == 30
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_stats_shows_the_seeds_folder(built: tuple[Path, Path, str]) -> None:
    seeds, index, _ = built
    assert index_stats(index)["seeds"] == str(seeds.resolve())


def test_update_from_another_folder_is_refused(cli: CliRunner, tmp_path: Path, built: tuple[Path, Path, str]) -> None:
    seeds, index, generation = built
    other = folder(tmp_path / "samples", 5)
    message = refused(run(cli, other, index, "update"), index, generation)
    assert message == (
        f"Error: The index in {index} was built from {seeds.resolve()}, not {other.resolve()}: run `search-app build "
        f"--seeds {other}` to rebuild it from the new folder, or `update --seeds {seeds.resolve()}`. Nothing was changed."
    )


def test_update_of_an_emptied_folder_is_refused(cli: CliRunner, built: tuple[Path, Path, str]) -> None:
    seeds, index, generation = built
    for path in seeds.iterdir():
        path.unlink()
    for flags in ([], ["--allow-mass-removal"]):  # an empty folder is never read as "all deleted"
        message = refused(run(cli, seeds, index, "update", *flags), index, generation)
        assert message.startswith(f"Error: The seeds folder {seeds} holds no article files; an update would remove all 30")


def test_a_mass_removal_needs_to_be_asked_for(cli: CliRunner, built: tuple[Path, Path, str]) -> None:
    seeds, index, generation = built
    for path in sorted(seeds.iterdir())[:16]:
        path.unlink()
    message = refused(run(cli, seeds, index, "update"), index, generation)
    assert message.startswith("Error: This update would remove 16 of the index's 30 articles")
    assert "--allow-mass-removal" in message
    result = run(cli, seeds, index, "update", "--allow-mass-removal", "--json")
    assert result.exit_code == 0, result.output
    assert {k: json.loads(result.stdout)[k] for k in ("removed", "total")} == {"removed": 16, "total": 14}


@pytest.mark.parametrize("removed", [10, 15], ids=["ten-always-allowed", "half-allowed"])
def test_removing_up_to_half_or_ten_is_an_ordinary_update(cli: CliRunner, built: tuple[Path, Path, str],
                                                        removed: int) -> None:
    seeds, index, _ = built
    for path in sorted(seeds.iterdir())[:removed]:
        path.unlink()
    result = run(cli, seeds, index, "update", "--json")
    assert result.exit_code == 0, result.output
    assert {k: json.loads(result.stdout)[k] for k in ("removed", "total")} == {"removed": removed, "total": 30 - removed}


def test_a_missing_folder_is_refused_before_anything(cli: CliRunner, tmp_path: Path, built: tuple[Path, Path, str]) -> None:
    seeds, index, generation = built
    shutil.rmtree(seeds)
    message = refused(run(cli, seeds, index, "update"), index, generation)
    assert message == f"Error: Seeds folder {str(seeds)!r} does not exist: create it or pass --seeds DIR."
