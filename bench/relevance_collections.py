"""The judged ranking collections (../shared/corpora/*), each layout read into one shape.

Three layouts, told apart by what their files start with (each folder's README.md describes them):

- SMART (CACM, ADI, MED): records `.I N` whose field markers (`.T` title, `.W` text, ...) start a
  field running to the next marker; queries in the same format (the `.W` field is what was typed);
  judgments one relevant pair a line, in CACM's `Q D 0 0`, ADI's `Q D 0 0.000000`, MED's (TREC)
  `Q 0 D 1` or Cranfield's `Q D grade`. MED has no `.T`: its records have no headline.
- LISA: `Document N` starts a record, its title runs to the first blank line, the abstract to a
  line of asterisks, in several files read in name order; the queries (LISA.QUE) are a number line,
  then the text ended by ` #`; the judgments (LISARJ.NUM) a stream of numbers in fixed-width
  columns that wrap onto further lines: the query, how many are relevant, then their ids.
- TIME: `*TEXT NNN date PAGE n` starts a story (no headline: its first words are the section's
  label), `*FIND N` a query, `*STOP` ends a file; TIME.REL one line per query: its number, then
  its relevant stories, numbered by their place in the original file of 425 stories, not by
  `*TEXT` number (see `TIME_MISSING`).

No collection here has graded judgments (every README describes one line, or one id, per relevant
document), so relevance is binary. A record's text is kept as one paragraph (the files wrap lines
at 80 columns; the breaks are not paragraphs), a query as one line, its case as typed.

A folder whose files fit no layout (saved web pages, Reuters, extraction data) is not a ranking
collection; one that fits a layout but cannot be read raises `Unreadable`, for the caller to report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

_MARKER = re.compile(r"^\.([A-Z])(?:\s+(.*))?$")
_LISA_RECORD = re.compile(r"^Document\s+(\d+)\s*$")
_LISA_END = re.compile(r"^\*{5,}\s*$")
_LISA_QUERY_END = re.compile(r"\s*#\s*$")

# Collections whose README says to use them to check that nothing breaks, not to choose constants.
SMOKE_TESTS = frozenset({"adi"})


class Unreadable(ValueError):
    """A folder that looks like a ranking collection but whose files cannot be read as its layout."""


@dataclass(frozen=True)
class Collection:
    """Documents (id -> (title, text)), queries (id -> text as typed) and judgments (query id -> relevant ids).

    `notes` says what reading it left out or settled (repeated records, judgments of unknown ids)."""

    name: str
    docs: dict[str, tuple[str, str]]
    queries: dict[str, str]
    qrels: dict[str, set[str]]
    notes: tuple[str, ...] = ()


def _id(raw: str) -> str:
    """An id without leading zeros: TIME's `*TEXT 017` is judged as 17, CACM's qrels write 01."""
    return raw.strip().lstrip("0") or "0"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def finish(name: str, docs: dict[str, tuple[str, str]], queries: dict[str, str], judged: dict[str, set[str]],
           notes: Iterable[str] = ()) -> Collection:
    """A Collection of the judged queries that were asked, each judgment naming a known document (the rest noted)."""
    notes = list(notes)
    unknown = sorted({d for rel in judged.values() for d in rel if d not in docs}, key=lambda d: (len(d), d))
    if unknown:
        notes.append(f"{len(unknown)} judged id(s) name no record ({', '.join(unknown[:5])}): left out")
    unasked = sorted(set(judged) - set(queries), key=lambda q: (len(q), q))
    if unasked:
        notes.append(f"judgments of {len(unasked)} query id(s) without a query text ({', '.join(unasked[:5])}): left out")
    qrels = {q: {d for d in rel if d in docs} for q, rel in judged.items() if q in queries}
    return Collection(name, docs, queries, {q: rel for q, rel in qrels.items() if rel}, tuple(notes))


# ------------------------------------------------------------------ SMART (CACM, ADI, MED)

def read_smart(path: Path) -> dict[str, dict[str, str]]:
    """Records of a SMART file: id -> {field letter: text}."""
    records: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    field = ""
    for line in path.read_text(encoding="latin-1").splitlines():
        marker = _MARKER.match(line)
        if marker and marker.group(1) == "I":
            current = records.setdefault((marker.group(2) or "").strip(), {})
            field = ""
        elif marker and current is not None and not (marker.group(2) or "").strip():
            field = marker.group(1)
            current.setdefault(field, [])
        elif current is not None and field:
            current[field].append(line)
    return {rid: {f: "\n".join(lines).strip() for f, lines in fields.items()} for rid, fields in records.items()}


def read_qrels(path: Path) -> dict[str, set[str]]:
    """Judgments in any of the usual layouts: `Q D 0 0` (CACM), `Q D 0 0.000000` (ADI), `Q 0 D R` (TREC, MED),
    `Q D R` (Cranfield).

    A grade above zero is relevant (Cranfield's -1 marks a reference of no interest)."""
    qrels: dict[str, set[str]] = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[1] == "0" and parts[3].lstrip("-").isdigit() and parts[2] != "0":
            query, doc, relevant = parts[0], parts[2], int(parts[3]) > 0
        elif len(parts) >= 3 and len(parts) != 4:
            query, doc, relevant = parts[0], parts[1], int(float(parts[2])) > 0
        elif len(parts) == 4:
            query, doc, relevant = parts[0], parts[1], True
        else:
            continue
        if relevant:
            qrels.setdefault(_id(query), set()).add(_id(doc))
    return qrels


def find_file(folder: Path, given: str | None, patterns: Iterable[str]) -> Path:
    """The file named, or the first (by name) matching the first pattern that matches any."""
    if given:
        if not (folder / given).is_file():
            raise Unreadable(f"no file {given} in {folder}")
        return folder / given
    for pattern in patterns:
        found = sorted(p for p in folder.iterdir() if re.search(pattern, p.name, re.I) and p.is_file())
        if found:
            return found[0]
    raise Unreadable(f"no file named like {' or '.join(patterns)} in {folder}")


def load_smart(folder: Path, docs: str | None = None, queries: str | None = None, qrels: str | None = None,
               renumber_queries: bool = False) -> Collection:
    """A SMART collection: `.T` and `.W` of each record (no `.T`, as in MED: no headline), `.W` of each query."""
    records = read_smart(find_file(folder, docs, [r"\.all$", r"docs?\b"]))
    topics = read_smart(find_file(folder, queries, [r"^query", r"\.qry$", r"quer"]))
    judged = read_qrels(find_file(folder, qrels, [r"^qrels", r"\.rel$", r"qrel", r"rel"]))
    if not records or not topics:
        raise Unreadable(f"no `.I` records in the documents or queries file of {folder}")
    documents = {_id(rid): (_one_line(f.get("T", "")), _one_line(f.get("W", ""))) for rid, f in records.items()}
    texts = [(rid, _one_line(f.get("W", ""))) for rid, f in topics.items()]
    if renumber_queries:  # Cranfield numbers its judgments 1..N while its queries skip numbers
        texts = [(str(n), text) for n, (_rid, text) in enumerate(texts, 1)]
    return finish(folder.name, documents, {_id(rid): text for rid, text in texts if text}, judged)


# ------------------------------------------------------------------ LISA

def lisa_blocks(lines: Iterable[str]) -> Iterator[tuple[str | None, list[str]]]:
    """Each record's id and lines (a `Document N` line to a line of asterisks); (None, a line) for each line outside one."""
    current: str | None = None
    body: list[str] = []
    for line in lines:
        start = _LISA_RECORD.match(line)
        if (start or _LISA_END.match(line)) and current is not None:
            yield current, body
            current = None
        if start:
            current, body = _id(start.group(1)), []
        elif current is not None:
            body.append(line)
        elif line.strip() and not _LISA_END.match(line):
            yield None, [line]
    if current is not None:
        yield current, body


def read_lisa_records(paths: Iterable[Path]) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """LISA's records (id -> (title, abstract)) from its files in order, and notes on what was dropped.

    A repeated id keeps its first copy (in LISA the repeats of 1998-2001 are the same text again);
    text after a record's end and before the next `Document N` line belongs to no record and is dropped."""
    records: dict[str, tuple[str, str]] = {}
    repeats: list[str] = []
    differing: list[str] = []
    strays = 0
    lines = (line for path in paths for line in path.read_text(encoding="latin-1").splitlines())
    for rid, body in lisa_blocks(lines):
        if rid is None:
            strays += 1
            continue
        blank = next((i for i, line in enumerate(body) if not line.strip()), len(body))  # the title ends there
        record = (_one_line(" ".join(body[:blank])), _one_line(" ".join(body[blank:])))
        if rid in records:
            repeats.append(rid)
            differing += [rid] if records[rid] != record else []
        records.setdefault(rid, record)
    notes = []
    if repeats:
        notes.append(f"{len(repeats)} repeated record(s) ({', '.join(repeats[:6])}): the first copy kept"
                     + (f", the repeats of {', '.join(differing)} differing" if differing else ", the repeats being the same"))
    if strays:
        notes.append(f"{strays} line(s) outside any `Document N` record dropped")
    return records, notes


def read_lisa_queries(path: Path) -> dict[str, str]:
    """LISA.QUE: a line holding only the query's number, then its text up to ` #`."""
    queries: dict[str, str] = {}
    current: str | None = None
    text: list[str] = []
    for line in path.read_text(encoding="latin-1").splitlines():
        if current is None:
            if line.strip().isdigit():
                current, text = _id(line), []
            elif line.strip():
                raise Unreadable(f"{path.name}: expected a query number, found {line.strip()[:40]!r}")
            continue
        text.append(_LISA_QUERY_END.sub("", line))
        if _LISA_QUERY_END.search(line):
            queries[current] = _one_line(" ".join(text))
            current = None
    if current is not None:
        raise Unreadable(f"{path.name}: query {current} has no closing ' #'")
    return queries


def read_number_stream(path: Path) -> dict[str, set[str]]:
    """LISARJ.NUM: query, count, then count ids, the columns wrapping onto further lines."""
    numbers = iter(path.read_text(encoding="latin-1").split())
    qrels: dict[str, set[str]] = {}
    for query in numbers:
        try:
            count = int(next(numbers))
            ids = [next(numbers) for _ in range(count)]
        except (StopIteration, ValueError):
            raise Unreadable(f"{path.name}: query {query}'s list of judged ids is cut short") from None
        if not all(i.isdigit() for i in [query, *ids]) or query in qrels:
            raise Unreadable(f"{path.name}: query {query}'s {count} judged ids are not a list of numbers")
        qrels[_id(query)] = {_id(i) for i in ids}
    return qrels


def load_lisa(folder: Path) -> Collection:
    """LISA: the record files (those with a `Document N` line) in name order, LISA.QUE, LISARJ.NUM."""
    parts = [p for p in sorted(folder.iterdir())
             if p.is_file() and any(_LISA_RECORD.match(line) for line in p.read_text(encoding="latin-1").splitlines())]
    docs, notes = read_lisa_records(parts)
    queries = read_lisa_queries(find_file(folder, None, [r"\.que$", r"quer"]))
    judged = read_number_stream(find_file(folder, None, [r"rj\.num$", r"\.num$"]))
    return finish(folder.name, docs, queries, judged, notes)


# ------------------------------------------------------------------ TIME

def read_starred(path: Path, marker: str) -> dict[str, str]:
    """Records of TIME's files: `*MARKER N ...` starts one (id N), `*STOP` or the next marker ends it."""
    records: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in [*path.read_text(encoding="latin-1").splitlines(), "*STOP"]:
        if line.startswith(("*STOP", f"*{marker} ")):
            if current is not None:
                if current in records:
                    raise Unreadable(f"{path.name}: `*{marker} {current}` appears twice")
                records[current] = _one_line(" ".join(lines))
            current, lines = None, []
            if line.startswith(f"*{marker} "):
                fields = line.split()
                if len(fields) < 2 or not fields[1].isdigit():
                    raise Unreadable(f"{path.name}: {line.strip()!r} names no number")
                current = _id(fields[1])
        elif current is not None:
            lines.append(line)
    return records


def read_rel_lines(path: Path) -> dict[str, set[str]]:
    """TIME.REL: one line per query, its number then its relevant ids."""
    qrels: dict[str, set[str]] = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        numbers = line.split()
        if numbers:
            if not all(n.isdigit() for n in numbers):
                raise Unreadable(f"{path.name}: {line.strip()[:40]!r} is not a line of numbers")
            qrels.setdefault(_id(numbers[0]), set()).update(_id(n) for n in numbers[1:])
    return qrels


# TIME.REL numbers a story by its place in the original file, which held 425 stories (Krovetz's
# letter in TIME's README); this copy holds 423. Read by place, the judged stories share their
# query's words (324 pairs, 4 sharing no content word), read by `*TEXT` number they mostly do not
# (253 pairs found, 92 of them sharing no word; e.g. query 1, the Buddhists in South Viet Nam,
# would judge a story on Syria). Places up to 370 fit as they are and places from 378 on fit two
# places earlier: two stories of the original are missing in between. No judged story lies between
# 371 and 377, so where exactly the two were does not change a judgment: taken as 371 and 372.
TIME_MISSING = (371, 372)


def by_place(judged: dict[str, set[str]], ids: list[str], missing: Iterable[int]) -> dict[str, set[str]]:
    """Judgments naming stories by their place in the original file (1, 2, ...), as ids of this copy's stories."""
    gone = sorted(missing)
    # Each missing place moves every later story one place down; a judgment of a missing place names none.
    kept = [place for place in range(1, len(ids) + len(gone) + 1) if place not in gone]
    at = dict(zip(kept, ids))
    return {q: {at.get(int(place), f"place {place}") for place in places} for q, places in judged.items()}


def load_time(folder: Path) -> Collection:
    """TIME: the stories (no headline: the title is left to the indexer), the `*FIND` queries, TIME.REL by place."""
    stories = _starting_with(folder, "*TEXT ")
    finds = _starting_with(folder, "*FIND ")
    docs = {rid: ("", text) for rid, text in read_starred(stories, "TEXT").items()}
    queries = {qid: text for qid, text in read_starred(finds, "FIND").items() if text}
    judged = by_place(read_rel_lines(find_file(folder, None, [r"\.rel$"])), list(docs), TIME_MISSING)
    note = f"judgments read by place in the original file, places {', '.join(map(str, TIME_MISSING))} missing here"
    return finish(folder.name, docs, queries, judged, [note])


# ------------------------------------------------------------------ which folders hold what

def _first_line(path: Path) -> str:
    """The first non-blank line of a file (its first kilobyte), "" for a folder or an empty file."""
    if not path.is_file():
        return ""
    with open(path, "rb") as raw:
        head = raw.read(1024).decode("latin-1")
    return next((line.strip() for line in head.splitlines() if line.strip()), "")


def _starting_with(folder: Path, prefix: str) -> Path:
    found = [p for p in sorted(folder.iterdir()) if _first_line(p).startswith(prefix)]
    if len(found) != 1:
        raise Unreadable(f"{len(found)} files in {folder} start with {prefix.strip()!r}, not one")
    return found[0]


LAYOUTS: dict[str, tuple[Callable[[list[str]], bool], Callable[[Path], Collection]]] = {
    "SMART": (lambda firsts: sum(f.startswith(".I ") for f in firsts) >= 2, load_smart),
    "LISA": (lambda firsts: any(_LISA_RECORD.match(f) for f in firsts), load_lisa),
    "TIME": (lambda firsts: any(f.startswith("*TEXT ") for f in firsts), load_time),
}


def layout_of(folder: Path) -> str | None:
    """The layout a folder's files are in (SMART, LISA, TIME), None when it holds no ranking collection."""
    if not folder.is_dir():
        return None
    firsts = [_first_line(p) for p in folder.iterdir()]
    return next((name for name, (fits, _load) in LAYOUTS.items() if fits(firsts)), None)


def load(folder: Path) -> Collection:
    """The collection in a folder, read in its layout; Unreadable when it has none or its files do not parse."""
    layout = layout_of(folder)
    if layout is None:
        raise Unreadable(f"{folder}: no file in a known layout (SMART, LISA, TIME)")
    try:
        coll = LAYOUTS[layout][1](folder)
    except (OSError, UnicodeDecodeError) as error:
        raise Unreadable(f"{folder}: {error}") from error
    if not coll.qrels:
        raise Unreadable(f"{folder}: read as {layout}, but no query has a judgment")
    return coll


def discover(root: Path) -> Iterator[tuple[Path, str | None]]:
    """Every folder under root with a README, by name, with its layout (None: not a ranking collection)."""
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if any(folder.glob("README*")):
            yield folder, layout_of(folder)
