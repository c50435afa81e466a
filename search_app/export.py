"""Every article a search finds, as CSV or JSON Lines, produced page by page rather than held in memory.

The rows come from the backend's own search (the same ranking, filters and snippets as the
results page), asked for in pages of the largest size, so any backend can export and memory
stays that of one page whatever the number of rows.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from search_app.errors import BadRequest
from search_app.models import MAX_PER_PAGE, SearchRequest
from search_app.query.engine import SearchBackend

FORMATS = ("csv", "jsonl")
LIMIT = 10_000  # rows at most: a spreadsheet's worth, and a bounded cost per request
COLUMNS = ("id", "title", "date", "source", "author", "cities", "url", "score", "snippet")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}
_TAG = re.compile(r"<[^>]+>")
# A cell starting with one of these is read as a formula by spreadsheets (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Control characters other than line breaks and tabs: a terminal runs them (ESC sequences, C1's CSI) when a
# saved file is printed. A CSV cell shows U+FFFD instead; JSON Lines escapes them (json escapes C0 itself).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_C1 = re.compile("[\x7f-\x9f]")


def check_format(value: str) -> str:
    """The export format asked for, or BadRequest naming the ones there are."""
    if value not in FORMATS:
        raise BadRequest(f"Unknown export format {value!r}: use csv or jsonl.")
    return value


def rows(backend: SearchBackend, req: SearchRequest, link: Callable[[str], str], limit: int = LIMIT,
         pause: Callable[[], None] | None = None) -> Iterator[dict[str, Any]]:
    """The search's articles best first (or in its sort order), as plain rows, at most limit of them.

    backend: what SearchBackend.snapshot() gives, so that every page reads the same index (a build or
    update switching meanwhile would repeat and miss rows); an article is listed once even where an
    engine updates in place. pause: called between pages (a server lets its other requests run).
    """
    page_req = replace(req, page=1, per_page=MAX_PER_PAGE, facets=False, suggest=False)
    sent: set[str] = set()
    while len(sent) < limit:
        answer = backend.search(page_req)
        if answer["timed_out"]:  # a page cut short leaves articles out: an export says so rather than lose them
            raise BadRequest(f"This search is too slow to export in full (page {page_req.page} was cut short): "
                             "narrow it with more words or filters, and export again.")
        for hit in answer["results"]:
            if hit["id"] in sent:
                continue
            if len(sent) >= limit:
                return
            sent.add(hit["id"])
            yield {
                "id": hit["id"],
                "title": hit["title"],
                "date": hit["date"],
                "source": hit["source"],
                "author": hit["author"],
                "cities": hit["cities"],
                "url": link(hit["id"]),
                "score": hit["score"],
                "snippet": plain(hit["snippet"]),
            }
        if page_req.page >= answer["pages"] or not answer["results"]:
            return
        page_req = replace(page_req, page=page_req.page + 1)
        if pause is not None:
            pause()


def plain(fragment: str) -> str:
    """A highlighted snippet's text without its markup."""
    return " ".join(html.unescape(_TAG.sub("", fragment)).split())


def jsonl_lines(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    """One JSON object per line."""
    for record in records:
        yield _C1.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(record, ensure_ascii=False)) + "\n"


def csv_lines(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    """A header and one line per row; UTF-8 with a byte-order mark, so spreadsheets read the Chinese right."""
    yield "\ufeff" + _csv_line(COLUMNS)
    for record in records:
        yield _csv_line([_cell(record[column]) for column in COLUMNS])


def _cell(value: Any) -> str:
    """A value as a CSV cell: lists joined by "; ", and text that a spreadsheet would run as a formula defused."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(value)
    text = _CONTROL.sub("\ufffd", str(value))
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text  # the apostrophe spreadsheets themselves use to mean "this is text"
    return text


def _csv_line(cells: Any) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()


def lines(fmt: str, records: Iterator[dict[str, Any]]) -> Iterator[str]:
    """The rows in the given format."""
    return csv_lines(records) if check_format(fmt) == "csv" else jsonl_lines(records)


def blocks(fmt: str, records: Iterator[dict[str, Any]], size: int = MAX_PER_PAGE) -> Iterator[str]:
    """The rows in the given format, `size` lines at a time (one write to the client each, not one a row)."""
    block: list[str] = []
    for line in lines(fmt, records):
        block.append(line)
        if len(block) > size:  # the header rides with the first page
            yield "".join(block)
            block = []
    if block:
        yield "".join(block)
