"""Reading the seeds folder safely: odd entries in the seeds folder (symlinks out, symlinked folders, unreadable files,
folders named like articles, FIFOs, files that change while read, oversize and very many files) are
reported in the build report's skipped list with a reason, and nothing outside the seeds folder is read."""

from __future__ import annotations

import builtins
import errno
import os
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import article_text, copy_seeds, ids_for

import search_app.backends.whoosh.indexer as indexer
import search_app.ingest.files as ingest_files
from search_app.backends.whoosh.indexer import build, update
from search_app.ingest.files import DEFAULT_MAX_BYTES, SUFFIXES, refuse_name

SECRET = "zanzibarquartz"
IDS = ["000_5ca391961da276a5", "001_0b108123ccd7e2b3", "002_d26b102950b0f93f",
       "003_b8c9e442042d1bdf", "004_860ced496ef7d71d"]


@pytest.fixture()
def layout(tmp_path: Path) -> dict[str, Path]:
    """A seeds copy, and outside it a file and a folder whose articles carry the secret word."""
    seeds = copy_seeds(tmp_path / "seeds")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.txt").write_text(article_text("Taiyuan leak", f"The secret word is {SECRET} in Taiyuan."), "utf-8")
    (outside / "folder").mkdir()
    (outside / "folder" / "inner.txt").write_text(article_text("Datong leak", f"Datong has {SECRET} too."), "utf-8")
    return {"seeds": seeds, "outside": outside, "index": tmp_path / "index"}


def skipped(report: Any) -> dict[str, str]:
    return {s.path: s.reason for s in report.skipped}


def assert_nothing_leaked(index_dir: Path) -> None:
    assert ids_for(index_dir, SECRET) == []
    assert ids_for(index_dir, "leak") == []


def test_every_odd_entry_is_reported_and_nothing_outside_is_read(layout: dict[str, Path]) -> None:
    seeds, outside = layout["seeds"], layout["outside"]
    (seeds / "link_out.txt").symlink_to(outside / "leak.txt")
    (seeds / "sub").mkdir()
    (seeds / "sub" / "relative_out.txt").symlink_to(Path("..") / ".." / "outside" / "leak.txt")
    (seeds / "chain1.txt").symlink_to(seeds / "chain2.txt")
    (seeds / "chain2.txt").symlink_to(outside / "leak.txt")
    (seeds / "linked_folder").symlink_to(outside / "folder", target_is_directory=True)
    (seeds / "alias.txt").symlink_to(seeds / "000_5ca391961da276a5.txt")  # inside: allowed
    (seeds / "gone.txt").symlink_to(seeds / "missing.txt")
    (seeds / "loop_a.txt").symlink_to(seeds / "loop_b.txt")
    (seeds / "loop_b.txt").symlink_to(seeds / "loop_a.txt")
    (seeds / "etc.txt").symlink_to("/etc/hostname")
    (seeds / "proc.txt").symlink_to("/proc/self/environ")
    os.mkfifo(seeds / "pipe.txt")
    (seeds / "empty_dir.txt").mkdir()
    (seeds / "notes.json").mkdir()
    (seeds / "notes.json" / "inside.txt").write_text(article_text("Jinzhong fair", "Jinzhong held a fair."), "utf-8")

    started = time.monotonic()
    report = build(seeds, layout["index"])
    assert time.monotonic() - started < 20  # the FIFO was not opened (it would block forever)

    reasons = skipped(report)
    assert reasons.pop("link_out.txt") == "symlink to a file outside the seeds folder"
    assert reasons.pop("sub/relative_out.txt") == "symlink to a file outside the seeds folder"
    assert reasons.pop("chain1.txt") == "symlink to a file outside the seeds folder"
    assert reasons.pop("chain2.txt") == "symlink to a file outside the seeds folder"
    assert reasons.pop("etc.txt") == "symlink to a file outside the seeds folder"
    assert reasons.pop("proc.txt") == "symlink to a file outside the seeds folder"
    assert reasons.pop("linked_folder") == "symlinked folder not followed"
    assert reasons.pop("gone.txt") == "unreadable: No such file or directory"
    assert reasons.pop("loop_a.txt") == "unreadable: Too many levels of symbolic links"
    assert reasons.pop("loop_b.txt") == "unreadable: Too many levels of symbolic links"
    assert reasons.pop("pipe.txt") == "not a regular file"
    assert reasons.pop("empty_dir.txt").startswith("folder named like an article file")
    assert reasons.pop("notes.json").startswith("folder named like an article file")
    assert reasons == {}
    assert ids_for(layout["index"]) == sorted(IDS + ["alias"])
    assert_nothing_leaked(layout["index"])
    assert report.total == 6


def test_unreadable_file(layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """chmod 000 does not stop root, so opening the file is made to fail the way it would for a user."""
    seeds = layout["seeds"]
    target = seeds / "001_0b108123ccd7e2b3.txt"
    real_open = os.open
    opened: list[str] = []

    def guarded(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(file))
        if Path(str(file)) == target:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded)
    report = build(seeds, layout["index"])
    assert [(s.path, s.reason) for s in report.skipped] == [("001_0b108123ccd7e2b3.txt", "unreadable: Permission denied")]
    assert report.total == 4
    assert str(target) in opened
    # An update keeps the last good articles of a file that has become unreadable.
    monkeypatch.undo()
    build(seeds, layout["index"])
    monkeypatch.setattr(os, "open", guarded)
    report = update(seeds, layout["index"])
    assert [(s.path, s.reason) for s in report.skipped] == [("001_0b108123ccd7e2b3.txt", "unreadable: Permission denied")]
    assert (report.removed, report.total) == (0, 5)


@pytest.mark.parametrize("change", ["size", "mtime"])
def test_file_changing_while_read_is_skipped(layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    seeds = layout["seeds"]
    target = str(seeds / "002_d26b102950b0f93f.txt")
    real_fstat = os.fstat
    calls = {"n": 0}

    def moving_fstat(fd: int) -> os.stat_result:
        result = real_fstat(fd)
        try:
            path = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return result
        if path != target:
            return result
        calls["n"] += 1
        if calls["n"] % 2 == 0:  # the second look (after reading) sees another file
            fields = list(result)
            if change == "size":
                fields[6] += 17
            else:
                fields[8] += 5
            values = tuple(fields) + (result.st_atime, result.st_mtime + (5 if change == "mtime" else 0), result.st_ctime)
            return os.stat_result(values[:10] + (result.st_atime_ns, result.st_mtime_ns + (5 * 10**9 if change == "mtime" else 0), result.st_ctime_ns))
        return result

    monkeypatch.setattr(os, "fstat", moving_fstat)
    report = build(seeds, layout["index"])
    monkeypatch.undo()
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("002_d26b102950b0f93f.txt", "file changed while being read; run the build again")]
    assert report.total == 4


def test_file_grown_while_read_is_skipped(layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """A real change: the file is appended to between the build's read and its second look."""
    seeds = layout["seeds"]
    target = seeds / "002_d26b102950b0f93f.txt"
    real_open = builtins.open

    class Growing:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def __enter__(self) -> Growing:
            return self

        def __exit__(self, *exc: Any) -> None:
            self.handle.close()

        def fileno(self) -> int:
            return int(self.handle.fileno())

        def read(self, *args: Any) -> bytes:
            data = self.handle.read(*args)
            with real_open(target, "ab") as out:
                out.write(b"\nMore text arrived from Taiyuan.\n")
            return data

    def opener(file: Any, *args: Any, **kwargs: Any) -> Any:
        handle = real_open(file, *args, **kwargs)
        # The ingester opens a descriptor (opened with O_NOFOLLOW) rather than a path.
        name = os.readlink(f"/proc/self/fd/{file}") if isinstance(file, int) else str(file)
        return Growing(handle) if Path(name) == target else handle

    monkeypatch.setattr(ingest_files, "open", opener, raising=False)
    report = build(seeds, layout["index"])
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("002_d26b102950b0f93f.txt", "file changed while being read; run the build again")]


def test_file_swapped_for_an_outside_symlink_after_discovery(layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Between finding the files and reading them, a regular file becomes a symlink to a file outside."""
    seeds, outside = layout["seeds"], layout["outside"]
    real_discover = indexer.discover

    def discover_then_swap(folder: Path) -> Any:
        found = real_discover(folder)
        victim = seeds / "004_860ced496ef7d71d.txt"
        victim.unlink()
        victim.symlink_to(outside / "leak.txt")
        return found

    monkeypatch.setattr(indexer, "discover", discover_then_swap)
    report = build(seeds, layout["index"])
    assert_nothing_leaked(layout["index"])
    assert [s.path for s in report.skipped] == ["004_860ced496ef7d71d.txt"]
    assert report.total == 4


@pytest.mark.slow  # seconds each: `make test` runs it, `make test-fast` does not
def test_oversize_file_is_skipped_with_its_size(layout: dict[str, Path]) -> None:
    seeds = layout["seeds"]
    big = seeds / "huge.txt"
    with big.open("wb") as handle:
        handle.write(b"Taiyuan coal " * ((DEFAULT_MAX_BYTES // 13) + 1))
    size = big.stat().st_size
    assert size > DEFAULT_MAX_BYTES
    started = time.monotonic()
    report = build(seeds, layout["index"])
    assert time.monotonic() - started < 10
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("huge.txt", f"file too large ({size} bytes; the limit is {DEFAULT_MAX_BYTES})")]
    assert report.total == 5
    # Exactly at the limit is still read.
    with big.open("wb") as handle:
        handle.write((b"Taiyuan coal mine report.\n\n" + b"word " * DEFAULT_MAX_BYTES)[:DEFAULT_MAX_BYTES])
    report = build(seeds, layout["index"])
    assert (report.skipped, report.total) == ([], 6)


@pytest.mark.slow  # seconds each: `make test` runs it, `make test-fast` does not
def test_very_many_tiny_files_build_in_bounded_time(tmp_path: Path) -> None:
    seeds = tmp_path / "many"
    for folder in range(30):
        sub = seeds / f"d{folder:02d}"
        sub.mkdir(parents=True)
        for i in range(100):
            (sub / f"{i:03d}.txt").write_text(f"Note {folder} {i}\n\nTaiyuan item {folder}x{i}.\n", "utf-8")
    (seeds / "d00" / "000.txt").write_text("", "utf-8")
    started = time.monotonic()
    report = build(seeds, tmp_path / "index", procs=2)
    elapsed = time.monotonic() - started
    assert elapsed < 30
    assert (report.total, [(s.path, s.reason) for s in report.skipped]) == (2999, [("d00/000.txt", "empty file")])
    assert ids_for(tmp_path / "index", "29x99") == ["d29/099"]


def test_folder_swapped_for_an_outside_symlink_after_discovery(layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """O_NOFOLLOW guards only a path's last part: a parent folder swapped for a link must not be followed either."""
    import shutil

    seeds, outside = layout["seeds"], layout["outside"]
    (seeds / "folder").mkdir()
    (seeds / "folder" / "inner.txt").write_text(article_text("Datong fair", "Datong held a fair."), "utf-8")
    real_discover = indexer.discover

    def discover_then_swap(folder: Path) -> Any:
        found = real_discover(folder)
        shutil.rmtree(seeds / "folder")
        (seeds / "folder").symlink_to(outside / "folder", target_is_directory=True)
        return found

    monkeypatch.setattr(indexer, "discover", discover_then_swap)
    report = build(seeds, layout["index"])
    assert_nothing_leaked(layout["index"])
    assert [s.path for s in report.skipped] == ["folder/inner.txt"]
    assert report.total == 5


@pytest.mark.parametrize("name", ["a.txt", "a.TXT", "a.b.json", "a..txt", "x.jsonl", "p.HTM", "p.html", "a.", "a",
                                  "a.txt.", "x.tar.gz", ".hidden.txt", "..txt", "notes.md", "a.txt~"])
def test_names_are_judged_by_the_suffix_pathlib_reads(tmp_path: Path, name: str) -> None:
    expected = ("hidden file" if name.startswith(".")
                else None if Path(name).suffix.lower() in SUFFIXES
                else "unsupported file type " + (repr(Path(name).suffix) if Path(name).suffix else "(no extension)")
                + "; use .txt, .json, .jsonl, .html or .htm")
    assert (refuse_name(name), refuse_name(Path("folder") / name)) == (expected, expected)
    (tmp_path / name).write_text("Headline\n\nBody.\n", "utf-8")  # a folder walk decides the same
    files, skipped = ingest_files.discover(tmp_path)
    assert ([f.rel for f in files], [(s.path, s.reason) for s in skipped]) == (
        ([name], []) if expected is None else ([], [(name, expected)]))
