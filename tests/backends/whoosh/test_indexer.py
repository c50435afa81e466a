"""building, updating and reading index generations, and the index commands."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import alive_in_group, proc_table
from seed_facts import CITIES, DATES, IDS, IDS_TXT, SOURCES

import search_app.backends.whoosh.buildpool as buildpool
import search_app.backends.whoosh.indexer as indexer
from search_app.backends.whoosh.forks import FORKS
from search_app.backends.whoosh.generations import current_generation, index_stats, write_lock
from search_app.backends.whoosh.indexer import build, update
from search_app.backends.whoosh.reader import IndexHandle
from search_app.backends.whoosh.schema import INDEX_FORMAT
from search_app.backends.whoosh.search import search
from search_app.cli import main
from search_app.errors import BuildLocked, ConfigError, IndexCorrupt, IndexMissing, SeedsMissing
from search_app.models import SearchRequest

CLI_BIN = Path(sys.executable).with_name("search-app")


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SEARCH_APP_* setting leaks in from the environment."""
    for name in ("SEARCH_APP_SEEDS", "SEARCH_APP_INDEX", "SEARCH_APP_SEARCH_TIME_LIMIT"):
        monkeypatch.delenv(name, raising=False)


def ids_for(index_dir: Path, q: str = "", **kw: Any) -> list[str]:
    """Ids found by a fresh handle on index_dir, sorted."""
    handle = IndexHandle(index_dir)
    try:
        response = search(handle, SearchRequest(q=q, per_page=100, **kw))
    finally:
        handle.close()
    return sorted(r["id"] for r in response["results"])


def listing(index_dir: Path, prefix: str) -> list[str]:
    """Names in index_dir starting with prefix."""
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith(prefix))


def writable(path: Path) -> Path:
    """Make a (read-only, copied) seed file writable and return it."""
    path.chmod(0o644)
    return path


# ---------------------------------------------------------------- a full build


def test_build_report(tmp_path: Path, seeds_dir: Path) -> None:
    report = build(seeds_dir, tmp_path / "ix")
    data = report.to_json()
    assert data["generation"] == (tmp_path / "ix" / "CURRENT").read_text().strip()
    data.pop("generation")
    assert data.pop("elapsed_s") >= 0
    assert data == {
        "action": "build", "indexed": 5, "added": 5, "changed": 0, "removed": 0, "unchanged": 0,
        "total": 5, "skipped": [], "cities": CITIES, "dates": DATES,
    }
    assert listing(tmp_path / "ix", ".tmp-") == []
    assert len(listing(tmp_path / "ix", "g-")) == 1


def test_stored_fields(handle: IndexHandle) -> None:
    gen = handle.generation()
    with gen.searcher() as searcher:
        stored = {f["id"]: f for f in searcher.all_stored_fields()}
    assert sorted(stored) == IDS
    doc = stored["003_b8c9e442042d1bdf"]
    assert sorted(doc) == ["author", "body", "city", "content_hash", "date", "dated_by", "id", "path", "source", "title",
                           "year"]
    assert (doc["title"], doc["source"], doc["author"], doc["year"], doc["city"], doc["path"], doc["dated_by"]) == (
        "Work report reveals Shanxi remains on task", "Shanxi Daily", "Yuan Shenggao", "2021",
        "Linfen,Taiyuan,Yangquan", "003_b8c9e442042d1bdf.txt", "reported events",
    )
    assert doc["date"].date().isoformat() == "2021-11-05"
    assert doc["body"].startswith("High-quality development, economic transformation, energy revolution")
    assert len(doc["content_hash"]) == 32
    undated = stored["002_d26b102950b0f93f"]
    assert "date" not in undated and "year" not in undated and "dated_by" not in undated
    assert undated["source"] == "China Daily"
    assert stored["000_5ca391961da276a5"]["source"] == "Unknown source"  # stored so; read back as None


def test_facet_values(handle: IndexHandle) -> None:
    gen = handle.generation()
    counts = {name: {v: len(d) for v, d in column.ids.items()} for name, column in gen.facets.items()}
    assert counts == {
        "city": CITIES,
        "source": SOURCES,
        "year": {"2022": 2, "2021": 1, "2019": 1},
    }
    assert gen.doc_count == 5
    assert gen.sources == ["China Daily", "Shanxi Daily", "Unknown source"]


def test_undated_article_is_findable(handle: IndexHandle) -> None:
    response = search(handle, SearchRequest(q="launch ceremony"))
    assert [r["id"] for r in response["results"]][:response["some_words_from"]] == ["002_d26b102950b0f93f"]
    assert response["results"][0]["date"] is None


def test_stats(built_index: Path, seeds_dir: Path) -> None:
    stats = index_stats(built_index)
    generation = (built_index / "CURRENT").read_text().strip()
    assert stats.pop("generation") == generation
    assert stats.pop("size_bytes") > 10_000
    built_at = stats.pop("built_at")
    assert built_at.endswith("+00:00") and built_at[:2] == "20"
    assert stats == {
        "articles": 5, "cities": CITIES, "sources": SOURCES, "date_min": "2019-09-02",
        "date_max": "2022-09-29", "undated": 1, "dates": DATES, "action": "build", "format": INDEX_FORMAT,
        # The seeds give too few numeric dates of one source to learn a day/month order from.
        "seeds": str(seeds_dir.resolve()), "date_conventions": {}, "conventions_from": generation,
    }


# ---------------------------------------------------------------- update


def test_update_add_change_delete(fresh_index: Path, seeds_copy: Path) -> None:
    before = (fresh_index / "CURRENT").read_text().strip()
    (seeds_copy / "new_article.txt").write_text(
        "Datong opens a panda museum\n\nUpdated: 2023-05-01\n\nDatong city opened a panda museum on Monday, "
        "officials said. The museum will host exhibitions about pandas.\n",
        "utf-8",
    )
    changed = writable(seeds_copy / "001_0b108123ccd7e2b3.txt")
    changed.write_text(changed.read_text("utf-8").replace("southeast of the province", "southeast of the province zebracorn"), "utf-8")
    (seeds_copy / "004_860ced496ef7d71d.txt").unlink()

    report = update(seeds_copy, fresh_index)

    data = report.to_json()
    assert (data["action"], data["added"], data["changed"], data["removed"], data["unchanged"]) == ("update", 1, 1, 1, 3)
    assert (data["indexed"], data["total"], data["skipped"]) == (2, 5, [])
    assert data["cities"] == {"Changzhi": 2, "Datong": 2, "Jincheng": 1, "Jinzhong": 1, "Linfen": 2, "Taiyuan": 3, "Yangquan": 1}
    assert report.generation != before
    assert (fresh_index / "CURRENT").read_text().strip() == report.generation
    assert ids_for(fresh_index, "panda") == ["new_article"]
    assert ids_for(fresh_index, "zebracorn") == ["001_0b108123ccd7e2b3"]
    assert ids_for(fresh_index, "optical") == []
    assert ids_for(fresh_index) == sorted(IDS[:4] + ["new_article"])
    assert index_stats(fresh_index)["action"] == "update"
    assert listing(fresh_index, ".tmp-") == []


def test_update_without_changes_keeps_the_generation(fresh_index: Path, seeds_copy: Path) -> None:
    before = listing(fresh_index, "g-")
    report = update(seeds_copy, fresh_index)
    assert (report.added, report.changed, report.removed, report.unchanged, report.total) == (0, 0, 0, 5, 5)
    assert report.generation == before[0]
    assert listing(fresh_index, "g-") == before
    assert listing(fresh_index, ".tmp-") == []


def test_update_trusts_stamps_and_still_sees_a_change_that_kept_size_and_mtime(
        tmp_path: Path, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from search_app.ingest import changes, files

    monkeypatch.setattr(files, "SETTLE_NS", 0)  # the test's files were all written a moment ago
    index_dir = tmp_path / "index"
    build(seeds_copy, index_dir)
    reads: list[str] = []
    real_read = changes.read_file
    monkeypatch.setattr(changes, "read_file", lambda file, *a: reads.append(file.rel) or real_read(file, *a))
    report = update(seeds_copy, index_dir)
    assert (report.unchanged, reads) == (5, [])  # nothing read: every stamp matched

    # Same length, modification time set back: only the change time (which no tool can set) tells.
    path = writable(seeds_copy / "001_0b108123ccd7e2b3.txt")
    text = path.read_text("utf-8")
    st = path.stat()
    path.write_text(text.replace("southeast", "zebracorn"), "utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    report = update(seeds_copy, index_dir)
    assert (report.changed, report.unchanged, reads) == (1, 4, ["001_0b108123ccd7e2b3.txt"])
    assert ids_for(index_dir, "zebracorn") == ["001_0b108123ccd7e2b3"]


def test_a_file_changed_moments_ago_gets_no_stamp(seeds_copy: Path) -> None:
    from search_app.ingest.files import discover, file_stamp

    [fresh] = [f for f in discover(seeds_copy)[0] if f.rel == "000_5ca391961da276a5.txt"]
    fresh.path.write_text(fresh.path.read_text("utf-8") + "\n", "utf-8")
    assert file_stamp(fresh) is None  # a second write within the same clock tick would leave its stamp equal


def test_update_on_missing_index(tmp_path: Path, seeds_copy: Path) -> None:
    with pytest.raises(IndexMissing, match="search-app build"):
        update(seeds_copy, tmp_path / "nothing")
    assert not (tmp_path / "nothing").exists()  # no folder, no lock file


def test_bad_arguments_leave_nothing_behind(tmp_path: Path, seeds_copy: Path) -> None:
    with pytest.raises(SeedsMissing):
        build(tmp_path / "no-seeds", tmp_path / "ix")
    with pytest.raises(SeedsMissing):
        update(tmp_path / "no-seeds", tmp_path / "ix")
    with pytest.raises(SeedsMissing):
        build(seeds_copy / "000_5ca391961da276a5.txt", tmp_path / "ix")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seeds"]


@pytest.mark.parametrize("action", [build, update])
def test_index_path_that_is_a_file(tmp_path: Path, seeds_copy: Path, action: Any) -> None:
    target = seeds_copy / "000_5ca391961da276a5.txt"
    content = target.read_bytes()
    for index_path in (target, target / "sub"):
        with pytest.raises((ConfigError, IndexMissing)) as info:
            action(seeds_copy, index_path)
        assert info.value.message == (f"The index path {str(index_path)!r} is not a folder (or lies under a file): "
                                      "pass --index DIR with a folder.")
    assert (target.read_bytes(), sorted(p.name for p in seeds_copy.iterdir())) == (content, IDS_TXT)


# ---------------------------------------------------------------- failures leave the old index


def test_failed_build_keeps_the_old_index(fresh_index: Path, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    live = (fresh_index / "CURRENT").read_text()
    calls = []
    real = buildpool.to_document

    def flaky(article: Any) -> dict[str, Any]:
        calls.append(article.id)
        if len(calls) == 3:
            raise RuntimeError("disk on fire")
        return real(article)

    monkeypatch.setattr(buildpool, "to_document", flaky)
    (seeds_copy / "001_0b108123ccd7e2b3.txt").unlink()
    with pytest.raises(RuntimeError, match="disk on fire"):
        build(seeds_copy, fresh_index)
    assert len(calls) == 3
    assert (fresh_index / "CURRENT").read_text() == live
    assert listing(fresh_index, ".tmp-") == []
    assert ids_for(fresh_index) == IDS
    assert ids_for(fresh_index, "transfers") == ["000_5ca391961da276a5", "001_0b108123ccd7e2b3"]
    monkeypatch.setattr(buildpool, "to_document", real)
    assert build(seeds_copy, fresh_index).total == 4  # the lock was released


def test_failure_just_before_the_switch(fresh_index: Path, seeds_copy: Path) -> None:
    live = (fresh_index / "CURRENT").read_text()
    (seeds_copy / "002_d26b102950b0f93f.txt").unlink()

    def boom() -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(indexer.BuildFailed, match=r"^The build failed \(No space left on device\); the previous index is still serving\.$"):
        build(seeds_copy, fresh_index, _before_switch=boom)
    assert (fresh_index / "CURRENT").read_text() == live
    assert listing(fresh_index, ".tmp-") == []
    assert len(listing(fresh_index, "g-")) == 1
    assert ids_for(fresh_index) == IDS


# ---------------------------------------------------------------- one writer at a time


def test_second_build_is_refused_while_the_lock_is_held(fresh_index: Path, seeds_copy: Path) -> None:
    live = (fresh_index / "CURRENT").read_text()
    with write_lock(fresh_index, "build"):
        started = time.monotonic()
        with pytest.raises(BuildLocked) as info:
            build(seeds_copy, fresh_index)
        with pytest.raises(BuildLocked):
            update(seeds_copy, fresh_index)
        assert time.monotonic() - started < 1.0
    assert info.value.message == (
        f"Another build or update is running on {str(fresh_index)!r} (build by pid {os.getpid()}); "
        "wait for it to finish, then try again."
    )
    assert (fresh_index / "CURRENT").read_text() == live
    assert ids_for(fresh_index) == IDS
    assert build(seeds_copy, fresh_index).total == 5


def test_two_builds_at_once(fresh_index: Path, seeds_copy: Path) -> None:
    inside, release = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def block() -> None:
        inside.set()
        assert release.wait(10)

    def first() -> None:
        try:
            outcome["report"] = build(seeds_copy, fresh_index, _before_switch=block)
        except BaseException as exc:  # surfaced by the asserts below
            outcome["error"] = exc

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert inside.wait(10)
        started = time.monotonic()
        with pytest.raises(BuildLocked, match="Another build or update is running"):
            build(seeds_copy, fresh_index)
        assert time.monotonic() - started < 1.0
        assert ids_for(fresh_index) == IDS  # readers still see the old generation
    finally:
        release.set()
        thread.join(10)
    assert "error" not in outcome
    assert (fresh_index / "CURRENT").read_text().strip() == outcome["report"].generation
    assert ids_for(fresh_index) == IDS


# ---------------------------------------------------------------- readers across rebuilds


def test_searcher_opened_before_a_rebuild_keeps_working(fresh_index: Path, seeds_copy: Path) -> None:
    handle = IndexHandle(fresh_index)
    try:
        old = handle.generation()
        with old.searcher() as searcher:
            (seeds_copy / "003_b8c9e442042d1bdf.txt").unlink()
            report = build(seeds_copy, fresh_index)
            new = handle.generation()
            assert new.name == report.generation != old.name
            assert searcher.doc_count() == 5
            found = old.docs(searcher, indexer_query("airport")).nonzero()[0]
            assert sorted(searcher.stored_fields(int(d))["id"] for d in found) == [
                "003_b8c9e442042d1bdf", "004_860ced496ef7d71d",
            ]
        assert new.doc_count == 4
        assert handle.generation() is new
        response = search(handle, SearchRequest(q="airport"))
        assert ([r["id"] for r in response["results"]], response["generation"]) == (
            ["004_860ced496ef7d71d"], report.generation)
        assert search(handle, SearchRequest()).get("total") == 4
    finally:
        handle.close()


def indexer_query(word: str) -> Any:
    """A body Term query for a stemmed word."""
    from whoosh import query as wq

    return wq.Term("body", word)


def test_old_generations_are_cleaned_up(tmp_path: Path, seeds_dir: Path) -> None:
    index_dir = tmp_path / "ix"
    names = [build(seeds_dir, index_dir).generation for _ in range(4)]
    assert len(set(names)) == 4
    assert listing(index_dir, "g-") == sorted(names[-2:])
    assert listing(index_dir, ".tmp-") == []
    assert (index_dir / "CURRENT").read_text().strip() == names[-1]


def test_leftover_temporary_folder_is_removed(fresh_index: Path, seeds_copy: Path) -> None:
    (fresh_index / ".tmp-g-dead").mkdir()
    (fresh_index / ".tmp-g-dead" / "junk").write_text("x")
    build(seeds_copy, fresh_index)
    assert listing(fresh_index, ".tmp-") == []


# ---------------------------------------------------------------- missing or damaged index


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing) as info:
        IndexHandle(tmp_path / "none").generation()
    assert "search-app build" in info.value.message
    with pytest.raises(IndexMissing, match="search-app build"):
        index_stats(tmp_path / "none")


@pytest.mark.parametrize("content", ["garbage\n", "", "g-does-not-exist\n", "../etc\n", "\x00\xff"])
def test_corrupt_current(fresh_index: Path, content: str) -> None:
    (fresh_index / "CURRENT").write_text(content, "utf-8", errors="surrogateescape")
    with pytest.raises(IndexCorrupt, match="search-app build"):
        IndexHandle(fresh_index).generation()
    with pytest.raises(IndexCorrupt):
        index_stats(fresh_index)


def test_empty_generation_folder_is_corrupt(fresh_index: Path) -> None:
    (fresh_index / "g-empty").mkdir()
    (fresh_index / "CURRENT").write_text("g-empty\n")
    with pytest.raises(IndexCorrupt, match="search-app build"):
        IndexHandle(fresh_index).generation()


def test_corrupt_index_can_be_rebuilt(fresh_index: Path, seeds_copy: Path) -> None:
    (fresh_index / "CURRENT").write_text("garbage\n")
    assert build(seeds_copy, fresh_index).total == 5
    assert ids_for(fresh_index) == IDS


# ---------------------------------------------------------------- kill -9 during a multi-process build


def _describe(pid: int) -> str:
    """A survivor's pid, state, parent and command line, for the failure message."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        cmdline = "?"
    return f"{pid} {proc_table().get(pid)} {cmdline}"


def _children(pid: int) -> list[int]:
    return [p for p, (state, ppid, _g) in proc_table().items() if ppid == pid and state not in ("Z", "X")]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_during_a_build(fresh_index: Path, seeds_copy: Path) -> None:
    words = "coal steel railway logistics airport transformation energy tourism museum village".split()
    for i in range(1200):
        body = " ".join(words[(i * 7 + j * 3) % len(words)] for j in range(250))
        (seeds_copy / f"gen_{i:04d}.txt").write_text(f"Generated report {i} on Taiyuan\n\nUpdated: 2020-01-01\n\n{body}.\n")
    command = [str(CLI_BIN), "--seeds", str(seeds_copy), "--index", str(fresh_index), "build", "--procs", "2"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while not (_children(process.pid) and listing(fresh_index, ".tmp-")):
            assert process.poll() is None, "the build ended before it could be killed"
            assert time.monotonic() < deadline, "no worker process appeared"
            time.sleep(0.01)
        workers = _children(process.pid)
        assert workers
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        deadline = time.monotonic() + 5
        while alive_in_group(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [_describe(p) for p in alive_in_group(process.pid)] == []
    finally:
        for pid in alive_in_group(process.pid):
            os.kill(pid, signal.SIGKILL)
        process.stderr.close()  # type: ignore[union-attr]
    assert process.returncode == -signal.SIGKILL
    assert ids_for(fresh_index, "transfers") == ["000_5ca391961da276a5", "001_0b108123ccd7e2b3"]
    for name in os.listdir(seeds_copy):
        if name.startswith("gen_") and int(name[4:8]) >= 20:
            os.unlink(seeds_copy / name)
    report = build(seeds_copy, fresh_index)  # the lock is free at once
    assert report.total == 25
    assert listing(fresh_index, ".tmp-") == []
    assert [i for i in ids_for(fresh_index, "railway") if i.startswith("gen_")] == [f"gen_{i:04d}" for i in range(20)]


# ---------------------------------------------------------------- the commands


@pytest.mark.parametrize("procs", [1, 2])
def test_invalid_ids_are_indexed_under_the_file_id_and_reported(
    runner: CliRunner, tmp_path: Path, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch, procs: int,
) -> None:
    monkeypatch.setattr(indexer, "PARALLEL_MIN_FILES", 2)  # the worker processes report it too
    lines = [{"id": "../../etc/x", "title": "Traversal", "body": "Datong zeppelin."},
             {"id": "fine-id", "title": "Fine", "body": "Datong zeppelin."}]
    (seeds_copy / "feed.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    reason = ("id '../../etc/x' is not valid (an id is up to 100 letters, digits, '-', '_' or '.', not starting with '.'); "
              "the article gets the id 'feed/1' instead")
    result = runner.invoke(main, ["--seeds", str(seeds_copy), "--index", str(tmp_path / "ix"), "build", "--procs", str(procs)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[2:5] == [
        "Dates: as written 3, reported events 1, no date 3",  # the two JSON lines give no date
        "Replaced 1 invalid id(s):", f"  feed.jsonl:1: {reason}",
    ]
    assert ids_for(tmp_path / "ix", "zeppelin") == ["feed/1", "fine-id"]
    result = runner.invoke(main, ["--seeds", str(seeds_copy), "--index", str(tmp_path / "ix"), "build", "--json",
                                  "--procs", str(procs)])
    assert json.loads(result.stdout)["skipped"] == [{"path": "feed.jsonl:1", "reason": reason}]


def _fork_and_wait(child: Any) -> int:
    """Run child() in a forked process and return its exit code."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            child()
        finally:
            os._exit(0)
    _pid, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux only")
def test_worker_forked_while_its_parent_dies_exits() -> None:
    """The child compares its parent with the pid recorded before the fork, not after it."""
    FORKS.install()

    def pretend_parent_died() -> None:
        FORKS.set_parent(os.getppid() + 1_000_000)
        FORKS.arm_child()

    assert _fork_and_wait(pretend_parent_died) == 1
    assert _fork_and_wait(FORKS.arm_child) == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_forked_worker_does_not_keep_the_lock(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    ready_read, ready_write = os.pipe()
    with write_lock(tmp_path, "build"):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child (its fork hooks have run): outlive the lock holder
            os.close(write_end)
            os.write(ready_write, b"r")
            os.read(read_end, 1)
            os._exit(0)
        assert os.read(ready_read, 1) == b"r"
    for fd in (read_end, ready_read, ready_write):
        os.close(fd)
    try:
        with write_lock(tmp_path, "build"):  # the child still runs, yet the lock is free
            assert pid in _children(os.getpid())  # (a test cluster may have children of its own)
    finally:
        os.close(write_end)
        os.waitpid(pid, 0)


def test_an_index_of_an_older_format_is_rebuilt_not_updated(fresh_index: Path, seeds_copy: Path, runner: Any) -> None:
    from search_app.backends.whoosh.generations import META
    from search_app.cli import main
    from search_app.errors import BuildFailed

    live = current_generation(fresh_index)
    meta_path = fresh_index / live / META
    meta = json.loads(meta_path.read_text("utf-8"))
    assert meta["format"] == INDEX_FORMAT
    meta_path.write_text(json.dumps({**meta, "format": 1}), "utf-8")
    with pytest.raises(BuildFailed, match="run `search-app build` to rebuild it"):
        update(seeds_copy, fresh_index)
    assert current_generation(fresh_index) == live
    result = runner.invoke(main, ["--seeds", str(seeds_copy), "--index", str(fresh_index), "build", "--if-stale"])
    assert result.exit_code == 0 and current_generation(fresh_index) != live
    result = runner.invoke(main, ["--seeds", str(seeds_copy), "--index", str(fresh_index), "build", "--if-stale"])
    assert (result.exit_code, result.output) == (0, f"The index in {fresh_index} is up to date.\n")


def test_an_update_frees_its_bookkeeping_without_the_collector(fresh_index: Path, seeds_copy: Path) -> None:
    # Whoosh leaves a reference cycle through the update's frames; at a million files what the
    # plan holds must still go by reference counting, not wait for (and slow down) a collection.
    import gc

    from search_app.ingest.changes import UpdatePlan

    changed = seeds_copy / "001_0b108123ccd7e2b3.txt"
    changed.write_text(changed.read_text("utf-8") + "\n\nA correction.\n", "utf-8")
    gc.collect()
    gc.disable()
    try:
        report = update(seeds_copy, fresh_index)
        plans = [o for o in gc.get_objects() if isinstance(o, UpdatePlan)]
        assert gc.isenabled() is False  # the update gave the collector back as it found it
    finally:
        gc.enable()
    assert (report.changed, report.unchanged) == (1, 4)
    assert [(len(p.files), len(p.held), len(p.kept), len(p.seen)) for p in plans] in ([], [(0, 0, 0, 0)])


@pytest.mark.parametrize("files", [{}, {"a.txt": b"\x00\x01\x02", "b.json": b"{not json"}], ids=["empty", "unusable"])
def test_a_folder_without_an_article_builds_an_empty_index_that_serves(tmp_path: Path, files: dict[str, bytes]) -> None:
    from search_app.config import Settings
    from search_app.web.app import create_app

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name, data in files.items():
        (seeds / name).write_bytes(data)
    report = build(seeds, tmp_path / "index")  # Whoosh's reader of no segment once broke the arrays' pass
    assert (report.total, sorted(s.path for s in report.skipped)) == (0, sorted(files))
    app = create_app({"SETTINGS": Settings(seeds=seeds, index=tmp_path / "index"), "TESTING": True})
    client = app.test_client()
    try:
        for path in ["/", "/?q=coal", "/?q=city:taiyuan", "/?q=coa*", '/?q="coal+mine"', "/?sort=oldest", "/api/search?q=coal",
                     "/api/export?q=coal", "/api/suggest?q=co", "/feed.atom?q=coal", "/api-docs", "/healthz"]:
            with client.get(path) as response:
                assert response.status_code == 200, path
        assert client.get("/api/search?q=coal").get_json()["total"] == 0
    finally:
        app.extensions["search_app"].close()
