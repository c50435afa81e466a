"""The access log's records and the summary `search-app queries` prints (rotated, compressed, damaged logs)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

from search_app.querylog import LogFile, encode, record, summarise

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


def test_record_holds_what_was_searched_and_no_address_by_default() -> None:
    line = record(route="/", status=200, ms=12.345, query="Taiyuan coal", results=3, now=NOW)
    assert line == {"time": "2026-12-02T12:00:00.000Z", "route": "/", "status": 200, "ms": 12.35, "q": "Taiyuan coal",
                    "results": 3}
    assert record(route="/healthz", status=200, ms=1, client="10.0.0.1", now=NOW) == {
        "time": "2026-12-02T12:00:00.000Z", "route": "/healthz", "status": 200, "ms": 1, "client": "10.0.0.1"}
    assert encode(line).endswith(b"\n") and encode(line).count(b"\n") == 1


def test_log_file_opens_a_new_file_after_rotation(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    log = LogFile(path)
    log.write(record(route="/", status=200, ms=1, now=NOW))
    path.rename(tmp_path / "access.log.1")
    log.write(record(route="/", status=404, ms=1, now=NOW))
    log.close()
    assert [json.loads(x)["status"] for x in (tmp_path / "access.log.1").read_text().splitlines()] == [200]
    assert [json.loads(x)["status"] for x in path.read_text().splitlines()] == [404]


def _line(q: str, results: int, days_ago: int = 0, **extra: str) -> str:
    return encode(record(route="/", status=200, ms=5, query=q, results=results, now=NOW - dt.timedelta(days=days_ago),
                         **extra)).decode()


def test_summary_over_rotated_compressed_and_damaged_logs(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    path.write_text(_line("coal", 4) + "garbage\n" + _line("Coal ", 4) + "\n", encoding="utf-8")
    (tmp_path / "access.log.1").write_text(_line("airprot", 0) + _line("airport", 2, corrected_from="airprot"),
                                           encoding="utf-8")
    with gzip.open(tmp_path / "access.log.2.gz", "wt", encoding="utf-8") as handle:
        handle.write(_line("datong", 0, days_ago=10) + '{"time": 5}\n')
    truncated = gzip.compress("".join(_line(f"jincheng {n}", 1, days_ago=3) for n in range(3000)).encode())
    (tmp_path / "access.log.3.gz").write_bytes(truncated[: len(truncated) // 2])
    (tmp_path / "other.log").write_text(_line("not ours", 1), encoding="utf-8")
    summary = summarise(path, now=NOW)
    data = summary.to_json()
    partial = sum(n for q, n in summary.queries.items() if q.startswith("jincheng"))
    assert (data["searches"], data["malformed_lines"], len(data["files"])) == (5 + partial, 2, 4)
    assert 0 < partial < 3000 and len(data["unreadable_files"]) == 1  # what could be read of a cut .gz still counts
    assert data["top_zero_results"] == [{"q": "airprot", "count": 1}, {"q": "datong", "count": 1}]
    assert data["followed_suggestions"] == [{"q": "airprot", "suggestion": "airport", "count": 1}]
    assert {r["q"]: r["count"] for r in data["top_queries"]}["coal"] == 2
    week = summarise(path, days=7, now=NOW)
    assert "datong" not in week.queries and week.queries["coal"] == 2


def test_a_log_that_cannot_be_reopened_keeps_no_stale_descriptor(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    log = LogFile(folder / "access.log")
    log.write(record(route="/", status=200, ms=1, now=NOW))
    (folder / "access.log").unlink()
    folder.rmdir()  # the folder is gone: the write fails, and the old descriptor stays the log's own
    try:
        log.write(record(route="/", status=200, ms=1, now=NOW))
    except OSError:
        pass
    folder.mkdir()
    log.write(record(route="/", status=201, ms=1, now=NOW))
    log.close()
    assert [json.loads(x)["status"] for x in (folder / "access.log").read_text().splitlines()] == [201]


def test_a_damaged_gzip_is_named_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    path.write_text(_line("coal", 1), encoding="utf-8")
    (tmp_path / "access.log.2.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 6 + b"not deflate data at all")
    summary = summarise(path, now=NOW)
    assert (summary.searches, len(summary.unreadable)) == (1, 1)


# A fake hyperlink (OSC 8), a C1 control sequence introducer, a right-to-left override, DEL, a newline.
HOSTILE = "\x1b]8;;http://evil.example/\x07click me\x1b]8;;\x07 \x9b31m \u202eexe.txt\x7f\nfake"
SHOWN = "\\x1b]8;;http://evil.example/\\x07click me\\x1b]8;;\\x07 \\x9b31m \\u202eexe.txt\\x7f\\x0afake"


def test_the_log_records_no_control_character_in_any_text_field() -> None:
    line = record(route="/\x1b[2J", status=200, ms=1, query="coal\x9b", results=0, corrected_from=HOSTILE,
                  client="10.0.0.1\u202e", now=NOW)
    assert line == {"time": "2026-12-02T12:00:00.000Z", "route": "/\\x1b[2J", "status": 200, "ms": 1, "q": "coal\\x9b",
                    "results": 0, "corrected_from": SHOWN, "client": "10.0.0.1\\u202e"}
