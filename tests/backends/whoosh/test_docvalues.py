"""Per-document arrays stored beside a generation (docvalues.py): written by build and update, read by workers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from seed_facts import CITIES, IDS, SOURCES
from whoosh.util.numeric import byte_to_length, length_to_byte

from search_app.backends.whoosh import docvalues, flat
from search_app.backends.whoosh.generations import current_generation, open_generation
from search_app.backends.whoosh.indexer import update
from search_app.backends.whoosh.reader import IndexHandle
from search_app.backends.whoosh.search import search
from search_app.models import SearchRequest
from search_app.query.analysis import analyse
from search_app.query.bm25 import FIELD_B

QUERIES = [SearchRequest(q="coal"), SearchRequest(q="coal", sort="newest"), SearchRequest(q="", cities=("Taiyuan",)),
           SearchRequest(q="taiyuan"), SearchRequest(q='"coal mine" OR airport', sources=("China Daily",))]


def _folder(index_dir: Path) -> Path:
    return index_dir / current_generation(index_dir)


def _answers(index_dir: Path) -> list[tuple[int, list[tuple[str, float | None]], object]]:
    handle = IndexHandle(index_dir)
    try:
        found = [search(handle, req) for req in QUERIES]
    finally:
        handle.close()
    return [(r["total"], [(x["id"], x["score"]) for x in r["results"]], r["facets"]) for r in found]


def _computed(folder: Path) -> dict[str, np.ndarray]:
    ix = open_generation(folder.parent, folder.name)
    sides = flat.open_all(folder, ix)
    try:
        with ix.searcher() as searcher:
            return docvalues.compute(searcher, sides)
    finally:
        for side in sides.values():
            side.close()
        ix.close()


def test_a_build_stores_what_the_index_holds(built_index: Path) -> None:
    folder = _folder(built_index)
    stored = docvalues.read(folder, len(IDS))
    assert stored is not None
    computed = _computed(folder)
    assert sorted(stored) == sorted(computed)
    for key, array in computed.items():
        assert np.array_equal(stored[key], array), key
    cities = {name: len(ids) for name, ids in docvalues.facet_ids(stored, "city").items()}
    assert cities == CITIES
    assert {name: len(ids) for name, ids in docvalues.facet_ids(stored, "source").items()} == SOURCES


@pytest.mark.parametrize("damage", ["missing", "truncated", "other size"])
def test_without_a_readable_file_the_same_answers_are_computed(fresh_index: Path, damage: str) -> None:
    expected = _answers(fresh_index)
    path = _folder(fresh_index) / docvalues.FILE
    if damage == "missing":
        path.unlink()
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    else:
        assert docvalues.read(path.parent, len(IDS) + 1) is None
        return
    assert docvalues.read(path.parent, len(IDS)) is None
    assert _answers(fresh_index) == expected


def test_an_update_writes_its_own_and_leaves_the_last_generations(fresh_index: Path, seeds_copy: Path) -> None:
    before = _folder(fresh_index)
    old = (before / docvalues.FILE).read_bytes()
    removed = next(p for p in sorted(seeds_copy.rglob("*")) if p.is_file() and p.name.startswith("001_"))
    removed.unlink()
    update(seeds_copy, fresh_index)
    after = _folder(fresh_index)
    assert after != before and (before / docvalues.FILE).read_bytes() == old
    stored = docvalues.read(after, int(_computed(after)["live"].size))
    assert stored is not None and int(stored["live"].sum()) == len(IDS) - 1
    for key, array in _computed(after).items():
        assert np.array_equal(stored[key], array), key


def test_columns_read_whole_equal_whoosh_document_by_document(fresh_index: Path, seeds_copy: Path) -> None:
    # Two segments after an update (a changed file is written to a new one), one of them with a deletion.
    changed = next(p for p in sorted(seeds_copy.rglob("*")) if p.is_file() and p.name.startswith("002_"))
    changed.write_text(changed.read_text("utf-8") + "\n\nA correction was appended.\n", "utf-8")
    update(seeds_copy, fresh_index)
    folder = _folder(fresh_index)
    ix = open_generation(folder.parent, folder.name)
    try:
        with ix.searcher() as searcher:
            reader = searcher.reader()
            size = reader.doc_count_all()
            assert len(list(reader.leaf_readers())) >= 2 and reader.has_deletions()
            values = _computed(folder)
            assert values["live"].tolist() == [not reader.is_deleted(d) for d in range(size)]
            assert int(values["live"].sum()) == len(IDS)
            sides = flat.open_all(folder, ix)
            try:
                for name in ("title", "body"):
                    lengths = docvalues.field_lengths(reader, sides, name)
                    live = [d for d in range(size) if not reader.is_deleted(d)]
                    assert [int(lengths[d]) for d in live] == \
                        [len(analyse(reader.stored_fields(d).get(name, ""))) for d in live]
                    # Every document written counts in the average, the deleted one too, as Whoosh's own did.
                    texts = [analyse(reader.stored_fields(d).get(name, "")) for d in range(size)]
                    average = sum(map(len, texts)) / size
                    rounded = [byte_to_length(length_to_byte(len(t))) if t else 0 for t in texts]
                    assert values[f"norms:{name}"].tolist() == pytest.approx(
                        [1 - FIELD_B[name] + FIELD_B[name] * n / average for n in rounded])
            finally:
                for side in sides.values():
                    side.close()
            for column in docvalues.SORT_COLUMNS:
                assert docvalues._raw_column(reader, column, reader.schema[column].column_type) is not None
                assert values[f"column:{column}"].tolist() == list(reader.column_reader(column))
    finally:
        ix.close()
