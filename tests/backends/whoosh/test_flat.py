"""Flat posting files: written for every segment, holding exactly the stored text's words; a damaged one refused."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq

from search_app.backends.whoosh import flat, flatwrite, indexer, postings
from search_app.backends.whoosh import reader as reader_module
from search_app.backends.whoosh.generations import current_generation
from search_app.backends.whoosh.indexer import build, update
from search_app.backends.whoosh.postings import phrase_mask, read_postings
from search_app.backends.whoosh.reader import IndexHandle
from search_app.backends.whoosh.search import search
from search_app.errors import IndexCorrupt
from search_app.models import SearchRequest
from search_app.query.analysis import index_terms

CITIES = ["Taiyuan", "Datong", "Changzhi", "Linfen"]
WORDS = ["coal", "steel", "freight", "rail", "airport", "export", "prices", "output"]
QUERIES = ["coal", "steel export", "rail OR airport", "prices -coal", "title:report", '"officials said" coal', "Datong"]


def _write_articles(seeds: Path, count: int, start: int = 0, extra: str = "") -> None:
    for n in range(start, start + count):
        words = " ".join(WORDS[(n * k) % len(WORDS)] for k in range(1, 2 + n % 6))
        city = CITIES[n % len(CITIES)]
        (seeds / f"a{n:03d}.txt").write_text(
            f"{WORDS[n % len(WORDS)].title()} report {n} from {city}\n\nUpdated: 2022-{n % 12 + 1:02d}-09\n\n"
            f"{city} officials said {words} {extra}. Lüliang café 山西省 notes.\n", "utf-8")


@pytest.fixture(scope="module")
def updated_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 articles built by two worker processes, then updated (one changed, two added): three segments."""
    seeds = tmp_path_factory.mktemp("seeds")
    _write_articles(seeds, 120)
    index_dir = tmp_path_factory.mktemp("index")
    written: list[int] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(indexer, "PARALLEL_MIN_FILES", 10)
        mp.setattr(indexer, "write_flat_missing", lambda folder, ix: written.append(flatwrite.write_missing(folder, ix)))
        build(seeds, index_dir, procs=2)
        _write_articles(seeds, 1, start=7, extra="zeppelin")
        _write_articles(seeds, 2, start=500, extra="zeppelin")
        update(seeds, index_dir)
    # The workers wrote their own segments' files; the update wrote only its new segment's.
    assert written == [0, 1]
    return index_dir


def _generation_dir(index_dir: Path) -> Path:
    return index_dir / current_generation(index_dir)


def _answers(index_dir: Path) -> list[Any]:
    handle = IndexHandle(index_dir)
    try:
        out = []
        for q in QUERIES + ["zeppelin"]:
            r = search(handle, SearchRequest(q=q, per_page=50))
            out.append((q, r["total"], [(x["id"], x["score"]) for x in r["results"]], r["facets"]["city"]))
        return out
    finally:
        handle.close()


def test_every_segment_has_its_side_file_and_nothing_else(updated_index: Path) -> None:
    folder = _generation_dir(updated_index)
    ix = whoosh_index.open_dir(str(folder))
    try:
        segments = {s.segment_id() for s in ix._segments()}
    finally:
        ix.close()
    assert len(segments) == 3
    assert {p.name for p in folder.glob("*.fpl*")} == {f"{s}{flat.SUFFIX}" for s in segments}


def _lists(postings: tuple[Any, Any]) -> tuple[list[int], list[float]]:
    """Posting arrays as plain lists, compared whole."""
    return postings[0].tolist(), postings[1].tolist()


def _from_text(reader: Any) -> dict[tuple[str, str], dict[int, list[int]]]:
    """(field, word) -> {document: positions}, analysed from every document's stored title and body."""
    out: dict[tuple[str, str], dict[int, list[int]]] = {}
    for docnum in range(reader.doc_count_all()):
        fields = reader.stored_fields(docnum)
        for fieldname in flat.FIELDS:
            for term, position, _start, _end in index_terms(fields.get(fieldname, "")):
                out.setdefault((fieldname, term), {}).setdefault(docnum, []).append(position)
    return out


def _positions(reader: Any, sides: dict[str, flat.FlatPostings], fieldname: str, text: str) -> dict[int, list[int]]:
    """{document: positions} of a word across the segments, as the flat files' position arrays hold them."""
    out: dict[int, list[int]] = {}
    for segment, offset in reader.leaf_readers():
        arrays = sides[segment.segment().segment_id()].position_arrays(fieldname, text)
        if arrays is not None:
            ids, starts, positions = arrays
            for n, docnum in enumerate(ids.tolist()):
                out[offset + docnum] = positions[starts[n]:starts[n + 1]].tolist()
    return out


def _assert_flat_holds_the_text(folder: Path) -> set[str]:
    """Every word's ids, counts, positions and every field length in the flat files equal the stored text's."""
    ix = whoosh_index.open_dir(str(folder))
    sides = flat.open_all(folder, ix)
    reader = ix.reader()
    try:
        assert set(sides) == {s.segment_id() for s in ix._segments()}
        expected = _from_text(reader)
        for (fieldname, text), found in expected.items():
            ids, weights = read_postings(reader, fieldname, text, sides)
            assert (ids.tolist(), weights.tolist()) == (sorted(found), [len(found[d]) for d in sorted(found)])
            assert _positions(reader, sides, fieldname, text) == found
        lexicon = flat.Lexicon(sides)
        for (fieldname, text), found in list(expected.items())[::7]:
            assert lexicon.doc_frequency(fieldname, text) == len(found)
            assert lexicon.occurrences(fieldname, text) == sum(len(p) for p in found.values())
        for fieldname in flat.FIELDS:
            lengths = np.concatenate([sides[seg.segment().segment_id()].lengths(fieldname)
                                      for seg, _offset in reader.leaf_readers()])
            assert lengths.tolist() == [len(list(index_terms(reader.stored_fields(d).get(fieldname, ""))))
                                        for d in range(reader.doc_count_all())]
        assert read_postings(reader, "body", "nosuchword", sides)[0].tolist() == []
        # Fields Whoosh indexes (city) are read from its blocks.
        assert read_postings(reader, "city", "Datong")[0].tolist() != []
        return {text for _field, text in expected}
    finally:
        reader.close()
        for side in sides.values():
            side.close()
        ix.close()


def test_flat_files_hold_exactly_the_stored_text(updated_index: Path) -> None:
    words = _assert_flat_holds_the_text(_generation_dir(updated_index))
    assert len(words) > 30 and {"lüliang", "café", "山", "西", "省", "zeppelin"} <= words


def test_prefixes_expand_in_order_across_segments(updated_index: Path) -> None:
    folder = _generation_dir(updated_index)
    ix = whoosh_index.open_dir(str(folder))
    sides = flat.open_all(folder, ix)
    try:
        lexicon = flat.Lexicon(sides)
        assert lexicon.expand_prefix("body", "ze", 10) == ["zeppelin"]  # only in the update's segment
        assert lexicon.expand_prefix("body", "o", 10) == ["offici", "output"]
        assert lexicon.expand_prefix("body", "o", 1) == ["offici"]
        assert lexicon.expand_prefix("title", "re", 10) == ["report"]
        assert lexicon.expand_prefix("title", "zz", 10) == []
    finally:
        for side in sides.values():
            side.close()
        ix.close()


def test_a_segment_larger_than_the_token_budget_is_written_in_runs_with_the_same_bytes(updated_index: Path,
                                                                                      tmp_path: Path) -> None:
    copy = tmp_path / "index"
    shutil.copytree(updated_index, copy)
    folder = _generation_dir(copy)
    ix = whoosh_index.open_dir(str(folder))
    try:
        segment = max(ix._segments(), key=lambda s: s.doc_count_all())
        whole = flatwrite.write_segment(folder, ix.schema, segment).read_bytes()
        assert flatwrite.write_segment(folder, ix.schema, segment, budget=37).read_bytes() == whole
    finally:
        ix.close()
    assert sorted(p.name for p in folder.glob("*.fpl*")) == sorted(p.name for p in _generation_dir(updated_index).glob("*.fpl*"))


def test_searches_read_title_and_body_from_the_side_files_only(updated_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _answers(updated_index)
    real_blocks, real_positions = postings.segment_blocks, postings.segment_positions

    def blocks(segment: Any, fieldname: str, text: Any) -> Any:
        assert fieldname not in flat.FIELDS, f"{fieldname}:{text} read from Whoosh's blocks"
        return real_blocks(segment, fieldname, text)

    def positions(segment: Any, offset: int, fieldname: str, text: Any, wanted: Any) -> Any:
        assert fieldname not in flat.FIELDS, f"{fieldname}:{text} positions read from Whoosh's blocks"
        return real_positions(segment, offset, fieldname, text, wanted)

    monkeypatch.setattr(postings, "segment_blocks", blocks)
    monkeypatch.setattr(postings, "segment_positions", positions)
    assert _answers(updated_index) == expected


def test_a_switch_closes_the_old_generation_once_and_never_lends_it_again(seeds_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build(seeds_dir, index_dir)
    handle = IndexHandle(index_dir)
    try:
        with handle.session() as (first, searcher):
            sides = list(first.flat.values())
            build(seeds_dir, index_dir)  # a rebuild switches generations while a request is running
            second = handle.generation()
            assert second is not first
            assert [side._fd >= 0 for side in sides] == [True]  # still in use: still open
            assert search(handle, SearchRequest(q="airport"))["generation"] == second.name
            assert searcher.doc_count() == 5
        assert [side._fd for side in sides] == [-1]  # closed when the last request left
        first.retire()  # a late retire must not close descriptors again (they may belong to others now)
        assert first.acquire(live_only=True) is None and first.acquire() is None
        with pytest.raises(RuntimeError), first.searcher():
            pass
        # A request that looked the old generation up just before the switch is given the new one.
        stale = handle.generation()
        build(seeds_dir, index_dir)
        with handle.session() as (gen, _searcher):
            assert gen is not stale and gen.name == current_generation(index_dir)
    finally:
        handle.close()


@pytest.mark.parametrize("damage", ["delete", "truncate", "foreign", "empty", "interior"])
def test_a_damaged_or_missing_flat_file_is_refused_and_a_build_repairs_it(updated_index: Path, tmp_path: Path,
                                                                          damage: str, seeds_dir: Path) -> None:
    copy = tmp_path / "index"
    shutil.copytree(updated_index, copy)
    side = sorted(_generation_dir(copy).glob("*.fpl"))[0]
    if damage == "delete":
        side.unlink()
    elif damage == "truncate":
        side.write_bytes(side.read_bytes()[:-7])
    elif damage == "interior":  # same length, header intact: only the checksum can tell
        data = bytearray(side.read_bytes())
        data[len(data) // 2:len(data) // 2 + 400] = bytes(400)
        side.write_bytes(bytes(data))
    elif damage == "foreign":
        side.write_bytes(b"NOTFLAT!" + side.read_bytes()[8:])
    else:
        side.write_bytes(b"")
    handle = IndexHandle(copy)
    try:
        with pytest.raises(IndexCorrupt, match=r"flat postings file .*run `search-app build`"):
            handle.generation()
        build(seeds_dir, copy)
        assert search(handle, SearchRequest(q="airport"))["total"] == 2
    finally:
        handle.close()


def test_a_damaged_new_generation_is_tried_once_per_switch_while_the_old_one_serves(
        seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index_dir = tmp_path / "index"
    build(seeds_dir, index_dir)
    handle = IndexHandle(index_dir)
    try:
        old = handle.generation()
        build(seeds_dir, index_dir)
        for side in _generation_dir(index_dir).glob("*.fpl"):
            side.write_bytes(b"")
        opened: list[str] = []
        real = reader_module.Generation

        def counted(folder: Path, name: str) -> Any:
            opened.append(name)
            return real(folder, name)

        monkeypatch.setattr(reader_module, "Generation", counted)
        for _ in range(3):
            assert search(handle, SearchRequest(q="airport"))["generation"] == old.name
        assert opened == [current_generation(index_dir)]  # one failed attempt, not one per request
        build(seeds_dir, index_dir)  # the next switch is tried, and serves
        assert search(handle, SearchRequest(q="airport"))["generation"] == current_generation(index_dir) != old.name
    finally:
        handle.close()


def test_a_generation_that_fails_to_load_leaves_no_file_open(seeds_dir: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    build(seeds_dir, tmp_path / "index")
    folder = tmp_path / "index"

    def broken(*_args: Any) -> Any:
        raise OSError("simulated read error")

    monkeypatch.setattr(reader_module.docvalues, "read", broken)
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        with pytest.raises(OSError, match="simulated"):
            reader_module.Generation(folder, current_generation(folder))
    assert len(os.listdir("/proc/self/fd")) == before


def test_serial_build_writes_side_files_too(seeds_dir: Path, tmp_path: Path) -> None:
    build(seeds_dir, tmp_path / "index", procs=1)
    folder = _generation_dir(tmp_path / "index")
    handle = IndexHandle(tmp_path / "index")
    try:
        assert len(handle.generation().flat) == len(list(folder.glob("*.fpl"))) == 1
    finally:
        handle.close()


def test_a_merge_drops_old_side_files_and_write_missing_covers_the_new_segment(updated_index: Path, tmp_path: Path) -> None:
    copy = tmp_path / "index"
    shutil.copytree(updated_index, copy)
    folder = _generation_dir(copy)
    ix = whoosh_index.open_dir(str(folder))
    try:
        ix.optimize()  # Whoosh merges every segment into one and deletes the old segments' files
        assert list(folder.glob("*.fpl")) == []
        assert flatwrite.write_missing(folder, ix) == 1
        assert flatwrite.write_missing(folder, ix) == 0
        [segment] = ix._segments()
        assert [p.name for p in folder.glob("*.fpl*")] == [f"{segment.segment_id()}{flat.SUFFIX}"]
    finally:
        ix.close()
    _assert_flat_holds_the_text(folder)
    merged = _answers(copy)
    assert [(q, total) for q, total, *_ in merged] == [(q, total) for q, total, *_ in _answers(updated_index)]


def test_positions_past_65535_are_kept_whole(tmp_path: Path) -> None:
    """A very long article needs four-byte positions; the phrase at its end must still be found."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    filler = " ".join(f"w{n % 50}" for n in range(70_000))
    (seeds / "long.txt").write_text(f"A long record from Taiyuan\n\nUpdated: 2022-03-01\n\n{filler} zebra crossing.\n", "utf-8")
    (seeds / "short.txt").write_text("Zebra seen in Datong\n\nUpdated: 2022-03-02\n\nA zebra stood near a crossing.\n", "utf-8")
    build(seeds, tmp_path / "index")
    handle = IndexHandle(tmp_path / "index")
    try:
        [side] = handle.generation().flat.values()
        ids, starts, positions = side.position_arrays("body", "zebra") or ((), (), ())
        docnum = int(ids[int(np.argmax(positions[starts[:-1]]))])  # the long article: its zebra comes last
        zebra = positions[starts[list(ids).index(docnum)]]
        cross_ids, cross_starts, cross_positions = side.position_arrays("body", "cross") or ((), (), ())
        assert cross_positions[cross_starts[list(cross_ids).index(docnum)]] == zebra + 1  # "crossing", stemmed
        assert positions.dtype == np.uint32 and zebra > 0xFFFF
        assert [r["title"] for r in search(handle, SearchRequest(q='"zebra crossing"'))["results"]] == ["A long record from Taiyuan"]
        assert search(handle, SearchRequest(q='"crossing zebra"'))["total"] == 0
    finally:
        handle.close()


@pytest.mark.parametrize("words", [
    ["offici", "said"], ["said", "coal"], ["lüliang", "café"], ["山", "西", "省"], ["report", "from"],
    ["coal", "steel"], ["note", "山"], ["zeppelin", "lüliang"], ["said", "offici"],
])
def test_phrases_found_with_arrays_are_those_of_the_stored_text(updated_index: Path, words: list[str]) -> None:
    folder = _generation_dir(updated_index)
    ix = whoosh_index.open_dir(str(folder))
    sides = flat.open_all(folder, ix)
    reader = ix.reader()
    try:
        for fieldname in ("title", "body"):
            q = wq.Phrase(fieldname, words)
            candidates = np.ones(reader.doc_count_all(), bool)
            for word in words:
                held = np.zeros(reader.doc_count_all(), bool)
                held[read_postings(reader, fieldname, word, sides)[0]] = True
                candidates &= held
            held = [_positions(reader, sides, fieldname, word) for word in words]  # checked against the text above
            expected = sorted(d for d in held[0] if any(all(p + k in set(held[k].get(d, ())) for k in range(1, len(words)))
                                                        for p in held[0][d]))
            found = phrase_mask(reader, q, candidates, sides)
            assert found is not None and np.flatnonzero(found).tolist() == expected
        if words[:2] == ["offici", "said"]:
            assert expected, "the test phrase must be found somewhere"
    finally:
        reader.close()
        for side in sides.values():
            side.close()
        ix.close()
