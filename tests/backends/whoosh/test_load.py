"""Load and rebuilds: a live server under concurrent searches while the index is rebuilt,
`kill -9` of a build at several points, concurrent writers, and a read-only or full disk."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from helpers import (
    AIRPORT_IDS,
    PYTHON,
    add_generated,
    alive_in_group,
    article_text,
    children,
    copy_seeds,
    core_search,
    current,
    ids_for,
    kill_group,
    listing,
    run_cli,
    running_server,
    wait_for_file,
)
from whoosh.filedb.filestore import FileStorage

from search_app.backends.whoosh.generations import write_lock
from search_app.backends.whoosh.indexer import build, update
from search_app.backends.whoosh.reader import IndexHandle
from search_app.backends.whoosh.search import search
from search_app.errors import BuildFailed, BuildLocked
from search_app.models import SearchRequest

pytestmark = [pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc, uses fork and flock"),
              pytest.mark.slow]

GENERATED = 300
TOTAL = 5 + GENERATED
UNIQUE = "quokkaplex"


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SEARCH_APP_SEEDS", "SEARCH_APP_INDEX", "SEARCH_APP_SEARCH_TIME_LIMIT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def big_seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed seeds plus a few hundred generated articles (treat as read-only)."""
    seeds = copy_seeds(tmp_path_factory.mktemp("big") / "seeds")
    add_generated(seeds, GENERATED)
    return seeds


@pytest.fixture(scope="module")
def big_index_template(tmp_path_factory: pytest.TempPathFactory, big_seeds: Path) -> Path:
    index_dir = tmp_path_factory.mktemp("bigix") / "index"
    build(big_seeds, index_dir)
    return index_dir


@pytest.fixture()
def big_index(tmp_path: Path, big_index_template: Path) -> Path:
    """A private copy of a built index over big_seeds."""
    import shutil

    target = tmp_path / "index"
    shutil.copytree(big_index_template, target)
    return target


# An update must read the folder its index was built from (another folder is refused), so the tests
# that change seeds and update get a folder at one fixed path, refilled with big_seeds' files before
# each test, and a copy of an index built from that path; they then change its files in place.


def _refill(folder: Path, source: Path) -> Path:
    """folder holding exactly source's files again, whatever an earlier test did to it."""
    import shutil

    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(source, folder)
    return folder


@pytest.fixture(scope="module")
def own_seeds_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("own") / "seeds"


@pytest.fixture(scope="module")
def own_index_template(tmp_path_factory: pytest.TempPathFactory, big_seeds: Path, own_seeds_path: Path) -> Path:
    index_dir = tmp_path_factory.mktemp("ownix") / "index"
    build(_refill(own_seeds_path, big_seeds), index_dir)
    return index_dir


@pytest.fixture()
def own_seeds(big_seeds: Path, own_seeds_path: Path, own_index_template: Path) -> Path:
    """A writable folder with big_seeds' files, at the path own_index was built from."""
    return _refill(own_seeds_path, big_seeds)


@pytest.fixture()
def own_index(tmp_path: Path, own_index_template: Path, own_seeds: Path) -> Path:
    """A private copy of a built index over own_seeds."""
    import shutil

    target = tmp_path / "index"
    shutil.copytree(own_index_template, target)
    return target


# ---------------------------------------------------------------- searches while rebuilding


def test_live_server_answers_every_search_while_build_and_update_run(tmp_path: Path, big_seeds: Path) -> None:
    import shutil

    seeds = tmp_path / "seeds"
    shutil.copytree(big_seeds, seeds)
    index_dir = tmp_path / "index"
    build(seeds, index_dir)
    first = current(index_dir)
    failures: list[str] = []
    seen: list[tuple[float, str, str, int]] = []  # (time, thread, generation, total) of q=airport / q=UNIQUE
    stop = threading.Event()
    lock = threading.Lock()
    paths = [
        ("airport", "/api/search?q=airport"),
        ("unique", f"/api/search?q={UNIQUE}"),
        ("health", "/healthz"),
        ("filtered", "/api/search?q=logistics&city=Datong&sort=newest&per_page=5"),
        ("empty", "/api/search?page=2"),
        ("page", "/?q=airport"),
    ]

    with running_server(seeds, index_dir) as server:
        def hammer(number: int) -> None:
            i = number
            while not stop.is_set():
                kind, path = paths[i % len(paths)]
                i += 1
                try:
                    status, body = server.get(path)
                except OSError as exc:
                    with lock:
                        failures.append(f"{path}: {exc!r}")
                    continue
                if status != 200:
                    with lock:
                        failures.append(f"{path}: {status} {body[:200]!r}")
                    continue
                if kind == "page":
                    if b"airport" not in body or b"Traceback" in body:
                        with lock:
                            failures.append(f"{path}: page without results")
                    continue
                try:
                    data = json.loads(body)
                except ValueError:
                    with lock:
                        failures.append(f"{path}: not JSON {body[:200]!r}")
                    continue
                if kind == "airport" and (data["total"] < 2 or sorted(r["id"] for r in data["results"]) != AIRPORT_IDS):
                    with lock:
                        failures.append(f"{path}: empty by mistake {data['total']} {data['generation']}")
                if kind == "filtered" and data["total"] < GENERATED:
                    with lock:
                        failures.append(f"{path}: only {data['total']} results")
                if kind in ("airport", "unique"):
                    with lock:
                        seen.append((time.monotonic(), kind, data["generation"], data["total"]))

        threads = [threading.Thread(target=hammer, args=(n,), daemon=True) for n in range(6)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1.0)
            built = run_cli(seeds, index_dir, "build", "--json")
            assert built.returncode == 0, built.stderr
            second = json.loads(built.stdout)["generation"]
            after_build = time.monotonic()
            time.sleep(1.0)
            (seeds / "zz_new.txt").write_text(article_text(
                "Datong zoo welcomes a quokka", f"The Datong zoo showed its new {UNIQUE} enclosure on Monday."), "utf-8")
            updated = run_cli(seeds, index_dir, "update", "--json")
            assert updated.returncode == 0, updated.stderr
            report = json.loads(updated.stdout)
            third = report["generation"]
            after_update = time.monotonic()
            time.sleep(1.5)
        finally:
            stop.set()
            for thread in threads:
                thread.join(15)
        hung = [thread.name for thread in threads if thread.is_alive()]
        status, health = server.get_json("/healthz")
        status_unique, found = server.get_json(f"/api/search?q={quote(UNIQUE)}")
        log = server.stop()

    assert failures == []
    assert "Traceback" not in log and "Unhandled error" not in log
    assert hung == []  # every search thread ended: none waited forever on a switch (speed is bench/'s job)
    assert (report["added"], report["changed"], report["removed"], report["total"]) == (1, 0, 0, TOTAL + 1)
    assert len({first, second, third}) == 3
    assert (status, health["generation"], health["articles"]) == (200, third, TOTAL + 1)
    assert (status_unique, [r["id"] for r in found["results"]], found["generation"]) == (200, ["zz_new"], third)
    generations = [g for _t, _k, g, _n in seen]
    assert len(seen) > 50  # the server was really under load
    assert {first, second, third} <= set(generations)
    order = {first: 0, second: 1, third: 2}
    assert set(generations) <= set(order)
    # Once a newer generation has answered, no answer comes from an older one afterwards.
    finished = [(t, g) for t, _k, g, _n in seen]
    assert all(order[g] >= 1 for t, g in finished if t > after_build + 0.5)
    assert all(order[g] == 2 for t, g in finished if t > after_update + 0.5)
    # The unique word: nothing before the update, exactly the new article after it.
    assert all(n == 0 for _t, k, g, n in seen if k == "unique" and g != third)
    assert all(n == 1 for _t, k, g, n in seen if k == "unique" and g == third)


# ---------------------------------------------------------------- kill -9 at several points

DRIVER = r"""
import os, sys, time
from pathlib import Path
import search_app.backends.whoosh.buildpool as buildpool
import search_app.backends.whoosh.indexer as indexer
from whoosh.writing import SegmentWriter

action, seeds, index_dir, point, flag, go, procs = sys.argv[1:8]
me = os.getpid()

def pause():
    Path(flag).write_text(str(os.getpid()))  # the build process itself, or one of its workers
    deadline = time.monotonic() + 60
    while not Path(go).exists() and time.monotonic() < deadline:
        time.sleep(0.01)

if point == "ingest":
    real = buildpool.to_document
    calls = [0]
    def to_document(article):
        calls[0] += 1  # counted per process: each worker pauses in the middle of its share
        if calls[0] == 100:
            pause()
        return real(article)
    buildpool.to_document = to_document
elif point == "segment":
    real_finalize = SegmentWriter._finalize_segment
    def _finalize_segment(self, *args, **kwargs):
        pause()
        return real_finalize(self, *args, **kwargs)
    SegmentWriter._finalize_segment = _finalize_segment
elif point == "toc":
    real_toc = SegmentWriter._commit_toc
    def _commit_toc(self, segments):
        pause()
        return real_toc(self, segments)
    SegmentWriter._commit_toc = _commit_toc
elif point == "mid-switch":
    real_replace = os.replace
    def replace(src, dst, *args, **kwargs):
        if str(dst).endswith("CURRENT"):
            pause()
        return real_replace(src, dst, *args, **kwargs)
    os.replace = replace
elif point == "update-switch":
    real_switch = indexer.switch
    def switch(*args, **kwargs):
        pause()
        return real_switch(*args, **kwargs)
    indexer.switch = switch
elif point == "update-finish":
    real_finish = indexer._finish
    def _finish(*args, **kwargs):
        pause()
        return real_finish(*args, **kwargs)
    indexer._finish = _finish

if action == "build":
    report = indexer.build(Path(seeds), Path(index_dir), procs=int(procs),
                           _before_switch=pause if point == "switch" else None)
else:
    report = indexer.update(Path(seeds), Path(index_dir))
print(report.generation)
"""


def start_driver(tmp_path: Path, action: str, seeds: Path, index_dir: Path, point: str, procs: int = 2) -> tuple[subprocess.Popen[bytes], Path, Path]:
    """A build or update in its own process (own session) that stops at `point` until the go file exists."""
    flag, go = tmp_path / f"at-{point}", tmp_path / f"go-{point}"
    process = subprocess.Popen(
        [PYTHON, "-c", DRIVER, action, str(seeds), str(index_dir), point, str(flag), str(go), str(procs)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )
    return process, flag, go


@pytest.mark.parametrize("point, procs", [
    ("ingest", 1),  # the build process is parsing and indexing
    ("ingest", 2),  # both workers are in the middle of their share
    ("segment", 2),  # a worker is writing its segment
    ("toc", 2),  # the commit: segments written, the table of contents not yet
    ("switch", 2),  # the generation is complete, CURRENT not yet switched
    ("mid-switch", 2),  # renamed to g-*, CURRENT not yet replaced
])
def test_kill_9_of_a_build(tmp_path: Path, big_seeds: Path, big_index: Path, point: str, procs: int) -> None:
    live = current(big_index)
    before = core_search(big_index, "airport")
    serving = IndexHandle(big_index)  # like a running server: opened before the build starts
    assert serving.generation().name == live
    process, flag, _go = start_driver(tmp_path, "build", big_seeds, big_index, point, procs=procs)
    try:
        wait_for_file(flag, process)
        workers = children(process.pid)
        if point in ("ingest", "segment") and procs == 2:
            assert len(workers) == 2, "no indexing worker was running to be orphaned"
            assert int(flag.read_text()) in workers
        if point == "mid-switch":  # the new generation renamed to g-*, its pointer written, CURRENT still the old one
            assert (listing(big_index, ".tmp-"), len(listing(big_index, "g-")), current(big_index)) == ([".tmp-CURRENT"], 2, live)
            [previous] = [g for g in listing(big_index, "g-") if g != live]  # the killed build's, complete but never served
        else:
            assert listing(big_index, ".tmp-") != []
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        deadline = time.monotonic() + 5
        while alive_in_group(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        survivors = alive_in_group(process.pid)
    finally:
        kill_group(process.pid)
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]
    assert process.returncode == -signal.SIGKILL
    assert survivors == []
    # The old generation still serves, unchanged.
    assert current(big_index) == live
    after = core_search(big_index, "airport")
    assert (after["generation"], after["total"], [r["id"] for r in after["results"]]) == (
        live, before["total"], [r["id"] for r in before["results"]])
    assert core_search(big_index)["total"] == TOTAL
    try:
        still = search(serving, SearchRequest(q="airport"))
    finally:
        serving.close()
    assert (still["generation"], still["total"]) == (live, before["total"])
    # The lock is free at once (write_lock does not wait: a held lock raises BuildLocked) and a new
    # build succeeds, leaving nothing temporary behind.
    with write_lock(big_index, "test"):
        pass
    report = build(big_seeds, big_index)
    assert (report.total, current(big_index)) == (TOTAL, report.generation)
    assert listing(big_index, ".tmp-") == []
    # The new generation and the newest before it stay: the served one, or the killed build's finished one.
    assert listing(big_index, "g-") == sorted([previous if point == "mid-switch" else live, report.generation])
    assert ids_for(big_index, "airport") == AIRPORT_IDS
    # And the build after that cleans up whatever the killed one left.
    second = build(big_seeds, big_index)
    assert listing(big_index, "g-") == sorted([report.generation, second.generation])


@pytest.mark.parametrize("point", ["update-finish", "update-switch"])
def test_kill_9_of_an_update_loses_nothing(tmp_path: Path, own_seeds: Path, own_index: Path, point: str) -> None:
    """An update killed before its switch: the next update still finds the new article to add."""
    seeds, big_index = own_seeds, own_index
    (seeds / "zz_new.txt").write_text(article_text("Datong zoo", f"The Datong zoo shows a {UNIQUE}."), "utf-8")
    live = current(big_index)
    process, flag, _go = start_driver(tmp_path, "update", seeds, big_index, point)
    try:
        wait_for_file(flag, process)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    finally:
        kill_group(process.pid)
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]
    assert current(big_index) == live
    assert ids_for(big_index, UNIQUE) == []
    assert core_search(big_index)["total"] == TOTAL
    report = update(seeds, big_index)
    assert (report.added, report.total) == (1, TOTAL + 1)
    assert ids_for(big_index, UNIQUE) == ["zz_new"]
    assert listing(big_index, ".tmp-") == []


def test_update_leaves_the_previous_generation_as_it_was(own_seeds: Path, own_index: Path) -> None:
    """The previous generation is kept for searchers still reading it: its files must not change."""
    seeds, big_index = own_seeds, own_index
    live = current(big_index)
    files = {p.name: p.read_bytes() for p in (big_index / live).iterdir()}
    (seeds / "zz_new.txt").write_text(article_text("Datong zoo", f"The Datong zoo shows a {UNIQUE}."), "utf-8")
    report = update(seeds, big_index)
    assert current(big_index) == report.generation != live
    assert {p.name: p.read_bytes() for p in (big_index / live).iterdir()} == files


# ---------------------------------------------------------------- two writers


@pytest.mark.parametrize("first_action, first_point, second_action", [
    ("build", "switch", "build"),
    ("build", "ingest", "update"),
    ("build", "toc", "build"),
    ("update", "update-finish", "build"),
    ("update", "update-finish", "update"),
])
def test_second_writer_is_refused_with_a_clear_message(
    tmp_path: Path, own_seeds: Path, own_index: Path, first_action: str, first_point: str, second_action: str,
) -> None:
    seeds, big_index = own_seeds, own_index
    (seeds / "zz_new.txt").write_text(article_text("Datong zoo", f"The Datong zoo shows a {UNIQUE}."), "utf-8")
    live = current(big_index)
    process, flag, go = start_driver(tmp_path, first_action, seeds, big_index, first_point, procs=1)
    try:
        wait_for_file(flag, process)
        started = time.monotonic()
        refused = run_cli(seeds, big_index, second_action)
        took = time.monotonic() - started
        assert current(big_index) == live
        assert ids_for(big_index, "airport") == AIRPORT_IDS
        go.write_text("go")
        out, err = process.communicate(timeout=60)
    finally:
        kill_group(process.pid)
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == (
        f"Error: Another build or update is running on {str(big_index)!r} ({first_action} by pid {process.pid}); "
        "wait for it to finish, then try again.\n"
    )
    assert took < 5
    assert process.returncode == 0, err.decode()
    generation = out.decode().strip()
    assert current(big_index) == generation != live
    assert ids_for(big_index, UNIQUE) == ["zz_new"]
    assert listing(big_index, ".tmp-") == []


def test_build_in_process_while_cli_build_holds_the_lock(tmp_path: Path, big_seeds: Path, big_index: Path) -> None:
    process, flag, go = start_driver(tmp_path, "build", big_seeds, big_index, "toc", procs=2)
    try:
        wait_for_file(flag, process)
        with pytest.raises(BuildLocked) as info:
            build(big_seeds, big_index)
        with pytest.raises(BuildLocked):
            update(big_seeds, big_index)
        go.write_text("go")
        process.communicate(timeout=60)
    finally:
        kill_group(process.pid)
    assert info.value.message.startswith(f"Another build or update is running on {str(big_index)!r} (build by pid ")
    assert process.returncode == 0


# ---------------------------------------------------------------- read-only or full disk (simulated)


def _fail_os(monkeypatch: pytest.MonkeyPatch, name: str, code: int, when: Any, module: Any = os) -> None:
    real = getattr(module, name)

    def failing(*args: Any, **kwargs: Any) -> Any:
        if when(*args, **kwargs):
            raise OSError(code, os.strerror(code))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, failing)


def _under(index_dir: Path) -> Any:
    prefix = str(index_dir)
    return lambda path, *a, **k: str(path).startswith(prefix)


FAULTS = {
    # A read-only index folder: the lock file cannot be opened for writing, folders cannot be made.
    "read-only lock": ("open", errno.EROFS, lambda p, flags, *a, **k: str(p).endswith(".lock") and bool(flags & (os.O_RDWR | os.O_WRONLY))),
    "read-only mkdir": ("mkdir", errno.EROFS, lambda p, *a, **k: not os.path.exists(p)),
    # A full disk while Whoosh writes segment files, while syncing, while renaming into place.
    "full on segment": ("create_file", errno.ENOSPC, None),
    "full on fsync": ("fsync", errno.ENOSPC, lambda fd: True),
    "read-only rename": ("rename", errno.EROFS, None),
    "full on pointer": ("replace", errno.ENOSPC, lambda src, dst, *a, **k: str(dst).endswith("CURRENT")),
}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("action", ["build", "update"])
def test_unwritable_index_folder_is_a_clear_error_and_the_live_index_stays(
    own_seeds: Path, own_index: Path, monkeypatch: pytest.MonkeyPatch, fault: str, action: str,
) -> None:
    seeds, big_index = own_seeds, own_index
    (seeds / "zz_new.txt").write_text(article_text("Datong zoo", f"The Datong zoo shows a {UNIQUE}."), "utf-8")
    live = current(big_index)
    names = sorted(p.name for p in big_index.iterdir())
    name, code, when = FAULTS[fault]
    if name == "create_file":
        _fail_os(monkeypatch, name, code, lambda self, *a, **k: True, module=FileStorage)
    else:
        _fail_os(monkeypatch, name, code, when or _under(big_index))
    run = build if action == "build" else update
    started = time.monotonic()
    with pytest.raises(BuildFailed) as info:
        run(seeds, big_index)
    monkeypatch.undo()
    assert time.monotonic() - started < 10
    message = info.value.message
    assert os.strerror(code) in message
    if fault == "read-only lock":
        assert message == f"Cannot write to the index folder {str(big_index)!r} ({os.strerror(code)})."
    else:
        assert message == f"The {action} failed ({os.strerror(code)}); the previous index is still serving."
    assert current(big_index) == live
    assert sorted(p.name for p in big_index.iterdir()) == names
    assert ids_for(big_index, "airport") == AIRPORT_IDS
    assert ids_for(big_index, UNIQUE) == []
    # Once the disk is writable again the same command works (no lock or temporary folder in the way).
    assert run(seeds, big_index).total == TOTAL + 1
    assert ids_for(big_index, UNIQUE) == ["zz_new"]
    assert listing(big_index, ".tmp-") == []


def test_cli_reports_a_full_disk_without_a_traceback(tmp_path: Path, big_seeds: Path, big_index: Path) -> None:
    """The same fault through the real console script: exit code 1, one clear line."""
    live = current(big_index)
    code = "import errno, os, sys\n" \
           "import whoosh.filedb.filestore as fs\n" \
           "def full(*a, **k):\n    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))\n" \
           "fs.FileStorage.create_file = full\n" \
           "from search_app.cli import main\n" \
           "sys.argv = ['search-app'] + sys.argv[1:]\n" \
           "main()\n"
    result = subprocess.run([PYTHON, "-c", code, "--seeds", str(big_seeds), "--index", str(big_index), "build", "--procs", "1"],
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (
        1, "Error: The build failed (No space left on device); the previous index is still serving.\n")
    assert current(big_index) == live
    assert listing(big_index, ".tmp-") == []
