"""An update's plan (ingest.changes), and `update` cannot wipe the index by accident: another folder, an
empty one, or a mass removal is refused."""

from __future__ import annotations

import gc
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from helpers import drop_alias, ids_for, unreadable

from search_app.backends.whoosh.generations import current_generation, index_stats
from search_app.cli import main
from search_app.errors import UpdateRefused
from search_app.ingest.changes import Held, UpdatePlan, paused_gc
from search_app.ingest.files import discover, unreadable_paths
from search_app.ingest.records import claim_id, content_hash, parse_file
from search_app.models import Article, BuildReport, SearchRequest

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


def folders(seeds: Path, counts: dict[str, int]) -> Path:
    """A seeds folder of subfolders, each holding its count of short articles (ids like 'b/a03')."""
    for name, count in counts.items():
        folder(seeds / name, count)
    return seeds


def update_json(cli: CliRunner, seeds: Path, index: Path) -> dict[str, object]:
    result = run(cli, seeds, index, "update", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return {k: data[k] for k in ("added", "changed", "removed", "unchanged", "total", "skipped")}


def test_an_unreadable_subfolder_keeps_its_articles(cli: CliRunner, tmp_path: Path) -> None:
    """A folder that cannot be listed is not a deleted folder: its files' articles stay, as an unreadable file's do."""
    seeds, index = folders(tmp_path / "news", {"a": 4, "b": 4, "c": 4}), tmp_path / "ix"
    assert run(cli, seeds, index, "build").exit_code == 0
    with unreadable(seeds / "b"):
        assert update_json(cli, seeds, index) == {
            "added": 0, "changed": 0, "removed": 0, "unchanged": 12, "total": 12,
            "skipped": [{"path": "b", "reason": "unreadable folder: Permission denied; "
                                                "the 4 articles indexed from it are kept as they were"}]}
        assert ids_for(index, "library") == sorted(f"{f}/a{n:02d}" for f in "abc" for n in range(4))
    (seeds / "b" / "a00.txt").unlink()  # readable again: the update sees what really changed meanwhile
    assert update_json(cli, seeds, index) == {"added": 0, "changed": 0, "removed": 1, "unchanged": 11, "total": 11,
                                              "skipped": []}


def test_a_typesense_update_keeps_the_articles_of_an_unreadable_folder(tmp_path: Path, ts_cluster: Any) -> None:
    """The other engine's update goes by the same plan: nothing of the folder it cannot list is deleted."""
    from search_app.backends.typesense.backend import TypesenseBackend

    seeds = folders(tmp_path / "news", {"a": 3, "b": 3})
    backend = TypesenseBackend(ts_cluster.client_nodes(), ts_cluster.api_key, alias="unreadable")
    try:
        assert backend.build(seeds).total == 6
        with unreadable(seeds / "b"):
            report = backend.update(seeds)
        assert (report.removed, report.unchanged, report.total, [(s.path, s.reason) for s in report.skipped]) == (
            0, 6, 6, [("b", "unreadable folder: Permission denied; the 3 articles indexed from it are kept as they were")])
        found = backend.search(SearchRequest(q="library", per_page=10))
        assert sorted(hit["id"] for hit in found["results"]) == [f"{f}/a{n:02d}" for f in "ab" for n in range(3)]
    finally:
        drop_alias(backend)


def test_an_unreadable_seeds_folder_keeps_every_article(cli: CliRunner, tmp_path: Path) -> None:
    seeds, index = folders(tmp_path / "news", {"a": 3, "b": 3}), tmp_path / "ix"
    assert run(cli, seeds, index, "build").exit_code == 0
    with unreadable(seeds):
        assert update_json(cli, seeds, index) == {
            "added": 0, "changed": 0, "removed": 0, "unchanged": 6, "total": 6,
            "skipped": [{"path": ".", "reason": "unreadable folder: Permission denied; "
                                                "the 6 articles indexed from it are kept as they were"}]}


def test_a_link_it_cannot_follow_keeps_its_article(cli: CliRunner, tmp_path: Path) -> None:
    """A link into a folder that cannot be searched leads somewhere unknown, not nowhere (nor round in a loop)."""
    seeds, index = folders(tmp_path / "news", {"a": 1, "b": 1}), tmp_path / "ix"
    (seeds / "alias.txt").symlink_to(Path("b") / "a00.txt")
    assert run(cli, seeds, index, "build").exit_code == 0
    with unreadable(seeds / "b"):
        assert update_json(cli, seeds, index) == {
            "added": 0, "changed": 0, "removed": 0, "unchanged": 3, "total": 3,
            "skipped": [{"path": "alias.txt", "reason": "unreadable: Permission denied; the 1 article indexed from it is kept as it was"},
                        {"path": "b", "reason": "unreadable folder: Permission denied; the 1 article indexed from it is kept as it was"}]}


def test_most_of_the_index_under_unreadable_folders_is_no_mass_removal(cli: CliRunner, tmp_path: Path) -> None:
    seeds, index = folders(tmp_path / "news", {"a": 8, "b": 8, "c": 2}), tmp_path / "ix"
    assert run(cli, seeds, index, "build").exit_code == 0
    with unreadable(seeds / "a", seeds / "b"):
        assert update_json(cli, seeds, index) == {
            "added": 0, "changed": 0, "removed": 0, "unchanged": 18, "total": 18,
            "skipped": [{"path": f, "reason": "unreadable folder: Permission denied; "
                                              "the 8 articles indexed from it are kept as they were"} for f in "ab"]}


def test_the_mass_removal_guard_counts_only_files_really_gone(cli: CliRunner, tmp_path: Path) -> None:
    seeds, index = folders(tmp_path / "news", {"a": 4, "b": 12, "c": 2}), tmp_path / "ix"
    assert run(cli, seeds, index, "build").exit_code == 0
    generation = current_generation(index)
    shutil.rmtree(seeds / "b")
    with unreadable(seeds / "a"):
        result = run(cli, seeds, index, "update")
    assert result.exit_code == 1 and current_generation(index) == generation
    assert result.output == (
        f"Error: This update would remove 12 of the index's 18 articles (their files are gone from {seeds}). "
        "Nothing was changed: pass --allow-mass-removal if that is intended, or --seeds with the right folder.\n")


def test_a_seeds_folder_out_of_reach_is_not_called_missing(cli: CliRunner, tmp_path: Path) -> None:
    """A folder on the way to the seeds that cannot be searched: the refusal says so, rather than "does not exist"."""
    seeds, index = folders(tmp_path / "top" / "news", {"a": 2}), tmp_path / "ix"
    assert run(cli, seeds, index, "build").exit_code == 0
    generation = current_generation(index)
    for command in ("update", "build"):
        with unreadable(tmp_path / "top"):
            result = run(cli, seeds, index, command)
        assert (result.exit_code, result.output) == (1, (
            f"Error: Seeds folder {str(seeds)!r} cannot be reached (Permission denied): "
            "give this user access to it and the folders above it, or pass --seeds DIR.\n"))
        assert current_generation(index) == generation


def _plan_for(seeds: Path, held: dict[str, Held], allow_mass_removal: bool = False) -> tuple[UpdatePlan, BuildReport]:
    files, skipped = discover(seeds)
    report = BuildReport(action="update", generation="g", skipped=skipped)
    return UpdatePlan(held, files, seeds, report, allow_mass_removal, unreadable=unreadable_paths(skipped)), report


def test_the_plan_keeps_same_bytes_rereads_changed_files_and_drops_gone_ones(tmp_path: Path) -> None:
    seeds = folder(tmp_path / "seeds", 3)
    same = content_hash((seeds / "a00.txt").read_bytes())
    held = {"a00.txt": Held(ids=["a00"], hash=same, stamp=None), "a01.txt": Held(ids=["a01"], hash="stale", stamp=None),
            "gone.txt": Held(ids=["gone"], hash="x", stamp=None)}
    plan, report = _plan_for(seeds, held)
    assert plan.gone_ids() == ["gone"]
    rereads = list(plan.rereads(1 << 20))
    assert [(r.file.rel, r.old_ids) for r in rereads] == [("a01.txt", ["a01"]), ("a02.txt", [])]
    assert plan.settle(rereads[0], ["a01"]) == [] and plan.settle(rereads[1], ["a02"]) == []
    assert list(plan.kept) == ["a00.txt"] and plan.kept["a00.txt"]["ids"] == ["a00"]
    assert (report.added, report.changed, report.removed, report.unchanged) == (1, 1, 1, 1)


def test_an_id_stays_with_the_file_that_holds_it(tmp_path: Path) -> None:
    """A new file cannot take an id from a file the index keeps; the id is free once its file is re-read or gone."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.json").write_text('{"id": "x", "title": "Taiyuan", "body": "Taiyuan text."}', encoding="utf-8")
    (seeds / "b.json").write_text('{"id": "x", "title": "Datong", "body": "Datong text."}', encoding="utf-8")
    kept = content_hash((seeds / "b.json").read_bytes())
    plan, _report = _plan_for(seeds, {"b.json": Held(ids=["x"], hash=kept, stamp=None)})
    (reread,) = plan.rereads(1 << 20)
    article = next(a for a in parse_file(reread.file, data=reread.data) if isinstance(a, Article))
    duplicate = claim_id(article, plan.seen)
    assert duplicate is not None and duplicate.reason == "duplicate id 'x' (already used by b.json)"


def test_an_unreadable_file_keeps_its_articles(tmp_path: Path) -> None:
    seeds = folder(tmp_path / "seeds", 2)
    (seeds / "a01.txt").write_bytes(b"x" * 1000)
    plan, report = _plan_for(seeds, {"a00.txt": Held(ids=["a00"], hash="old", stamp=None),
                                     "a01.txt": Held(ids=["a01"], hash="old", stamp=None)})
    assert [r.file.rel for r in plan.rereads(500)] == ["a00.txt"]  # a01 is over the 500-byte limit: kept
    assert list(plan.kept) == ["a01.txt"]
    assert [(s.path, s.reason) for s in report.skipped] == [("a01.txt", "file too large (1000 bytes; the limit is 500)")]


@pytest.mark.parametrize(("locked", "gone", "kept"), [
    ("sub", ["gone"], ["a00.txt", "sub/a00.txt", "sub/a01.txt"]),
    (".", [], ["a00.txt", "gone.txt", "sub/a00.txt", "sub/a01.txt"]),  # nothing can be told gone: all kept
])
def test_the_plan_keeps_the_files_of_a_folder_it_cannot_list(tmp_path: Path, locked: str, gone: list[str],
                                                             kept: list[str]) -> None:
    """Engine-neutral (both engines' updates use the plan): unseen is not gone, and not counted as removed."""
    seeds = folder(tmp_path / "seeds", 1)
    folder(seeds / "sub", 2)
    held = {rel: Held(ids=[rel[:-4]], hash=content_hash((seeds / rel).read_bytes()), stamp=None)
            for rel in ("a00.txt", "sub/a00.txt", "sub/a01.txt")}
    held["gone.txt"] = Held(ids=["gone"], hash="h", stamp=None)
    with unreadable(seeds / locked):
        plan, report = _plan_for(seeds, held)
        assert plan.gone_ids() == gone
        assert list(plan.rereads(1 << 20)) == []
    assert sorted(plan.kept) == kept
    assert sorted(plan.seen) == [rel[:-4] for rel in kept]  # no new file can take a kept article's id
    unseen = 2 if locked == "sub" else 4
    assert (report.added, report.changed, report.removed, report.unchanged) == (0, 0, len(gone), len(kept))
    assert [(s.path, s.reason) for s in report.skipped] == [
        (locked, f"unreadable folder: Permission denied; the {unseen} articles indexed from it are kept as they were")]


def test_a_build_indexes_what_it_can_read_and_names_the_unreadable_folder(cli: CliRunner, tmp_path: Path) -> None:
    """A build indexes the folder as it is (its report names what it could not read); an update is what keeps articles."""
    seeds, index = folders(tmp_path / "news", {"a": 2, "b": 2}), tmp_path / "ix"
    with unreadable(seeds / "b"):
        result = run(cli, seeds, index, "build", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["total"], data["skipped"]) == (2, [{"path": "b", "reason": "unreadable folder: Permission denied"}])


@pytest.mark.parametrize(("files", "gone", "allowed", "refused"), [
    (0, 30, False, True),  # an empty folder: every article would go
    (1, 30, False, True),  # most of the index would go
    (1, 30, True, False),  # ... unless the user says so
    (20, 5, False, False),  # a few files deleted: fine
])
def test_the_plan_refuses_what_looks_like_a_missing_folder(tmp_path: Path, files: int, gone: int, allowed: bool,
                                                           refused: bool) -> None:
    seeds = folder(tmp_path / "seeds", files) if files else tmp_path / "seeds"
    seeds.mkdir(exist_ok=True)
    held = {f"a{n:02d}.txt": Held(ids=[f"a{n:02d}"], hash="h", stamp=None) for n in range(files)}
    held |= {f"old{n}.txt": Held(ids=[f"old{n}"], hash="h", stamp=None) for n in range(gone)}
    if refused:
        with pytest.raises(UpdateRefused):
            _plan_for(seeds, held, allowed)
    else:
        plan, _ = _plan_for(seeds, held, allowed)
        assert sorted(plan.gone) == sorted(f"old{n}.txt" for n in range(gone))


@pytest.mark.parametrize("enabled", [True, False])
def test_paused_gc_restores_the_collector_as_it_found_it(enabled: bool) -> None:
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with paused_gc():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError), paused_gc():
            raise RuntimeError("a failed update")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
