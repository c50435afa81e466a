"""Full builds and incremental updates of the Whoosh index, each into a new generation (generations.py)
that goes live at once: the files indexed (in worker processes for a large folder), the dates
settled by each source's learned convention, the manifest, the metadata and the vocabulary.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index

from search_app.backends.whoosh import docvalues
from search_app.backends.whoosh.buildpool import (
    COMPOUND,
    ChunkResult,
    add_file,
    article_words,
    index_parallel,
)
from search_app.backends.whoosh.flat import open_all as open_flat
from search_app.backends.whoosh.flatwrite import write_missing as write_flat_missing
from search_app.backends.whoosh.generations import (
    META,
    VOCABULARY,
    Manifest,
    cleanup,
    current_generation,
    is_current_format,
    link_copy,
    new_generation_name,
    read_manifest,
    read_meta,
    staging,
    switch,
    write_lock,
    write_manifest,
)
from search_app.backends.whoosh.schema import INDEX_FORMAT, build_schema, from_stored, to_document
from search_app.errors import BuildFailed, UpdateRefused
from search_app.ingest.changes import UpdatePlan, paused_gc
from search_app.ingest.dates import AMBIGUOUS, learn_conventions
from search_app.ingest.files import DEFAULT_MAX_BYTES, SeedFile, check_seeds, discover, unreadable_paths
from search_app.ingest.records import apply_convention
from search_app.models import BuildReport
from search_app.query.contract import EPOCH, UNDATED_KEY

PARALLEL_MIN_FILES = 200  # below this, starting worker processes costs more than it saves

Progress = Callable[[int, int], None]


def _live_counts(reader: Any, fieldname: str, deleted: list[int]) -> dict[str, int]:
    """Live articles per value of a facet field: each term's document frequency less its deleted documents.

    A term's frequency comes from its term info (no postings read); an update leaves only its few
    replaced documents deleted, whose stored values say which counts to lower.
    """
    if fieldname not in reader.indexed_field_names():
        return {}
    counts = {term: reader.doc_frequency(fieldname, term) for term in reader.field_terms(fieldname)}
    for docnum in deleted:
        stored = reader.stored_fields(docnum).get(fieldname)
        for value in (stored.split(",") if isinstance(stored, str) and fieldname == "city" else [stored]):
            if value in counts:
                counts[value] -= 1
    return {term: n for term, n in counts.items() if n > 0}


def _meta(ix: whoosh_index.Index, generation: str, action: str, learned: dict[str, Any],
          values: dict[str, Any]) -> dict[str, Any]:
    """Counts per city, source, year and dating rule plus the date range, from the generation's per-document arrays.

    learned: what the build learned of the seeds folder (its path, its sources' date conventions).
    values: the arrays docvalues.py stores (live documents, sort keys, facet values).
    """
    live = values["live"]
    day_keys = values["column:sort_oldest"][live]
    dated = day_keys[day_keys <= UNDATED_KEY]
    days = [int(dated.min()), int(dated.max())] if len(dated) else []
    counts = {name: {value: len(ids) for value, ids in docvalues.facet_ids(values, name).items() if len(ids)}
              for name in ("city", "source")}
    with ix.searcher() as searcher:
        reader = searcher.reader()
        counts["dated_by"] = _live_counts(reader, "dated_by", np.flatnonzero(~live).tolist())
        count = searcher.doc_count()
    first = (EPOCH + dt.timedelta(days=min(days))).isoformat() if days else None
    last = (EPOCH + dt.timedelta(days=max(days))).isoformat() if days else None
    return {
        "generation": generation,
        "articles": count,
        "cities": dict(sorted(counts["city"].items())),
        "sources": dict(sorted(counts["source"].items())),
        "date_min": first,
        "date_max": last,
        "undated": count - len(dated),
        # Per rule, the ambiguous (left undated) included; "no date" for the rest: the counts add up to the total.
        "dates": {**dict(sorted(counts["dated_by"].items())),
                  "no date": count - len(dated) - counts["dated_by"].get(AMBIGUOUS, 0)},
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "action": action,
        "format": INDEX_FORMAT,
        **learned,
    }


def _finish(ix: whoosh_index.Index, tmp: Path, generation: str, manifest: Manifest, report: BuildReport,
            vocabulary: Counter[str], learned: dict[str, Any]) -> None:
    write_flat_missing(tmp, ix)  # serial builds, updates and merges: segments the workers did not cover
    flat = open_flat(tmp, ix)
    try:
        with ix.searcher() as searcher:
            values = docvalues.write(tmp, searcher, flat)
    finally:
        for side in flat.values():
            side.close()
    meta = _meta(ix, generation, report.action, learned, values)
    ix.close()
    write_manifest(tmp, manifest)
    (tmp / VOCABULARY).write_text(json.dumps({w: n for w, n in vocabulary.items() if n > 0}), "utf-8")
    (tmp / META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    report.total = meta["articles"]
    report.cities = meta["cities"]
    report.dates = meta["dates"]


def _settle_by_convention(ix: whoosh_index.Index, result: ChunkResult, conventions: dict[str, str]) -> int:
    """Date the articles left ambiguous by the order their source writes dates in; how many were settled.

    Conventions are known only once every file has been read, so these few articles are written
    again, from their stored fields, after the first pass.
    """
    settle = {i: (style, numbers) for i, (key, style, numbers) in result.undecided.items() if key in conventions}
    if not settle:
        return 0
    writer = ix.writer(limitmb=64, compound=COMPOUND)
    try:
        with ix.searcher() as searcher:
            for article_id, (style, numbers) in sorted(settle.items()):
                fields = searcher.document(id=article_id)
                if fields is None:
                    continue
                # The stored record lacks the date's style and numbers (not indexed): given back, the
                # same rule as an update's settles it.
                stored = replace(from_stored(fields), date_style=style, date_numbers=numbers)
                writer.delete_by_term("id", article_id)
                writer.add_document(**to_document(apply_convention(stored, conventions)))
        writer.commit()
    except BaseException:
        _cancel(writer)
        raise
    return len(settle)


def _learned(seeds: Path, conventions: dict[str, str], generation: str) -> dict[str, Any]:
    """What a build records of its seeds folder: where it is, and its sources' date conventions."""
    return {"seeds": str(seeds.resolve()), "date_conventions": conventions, "conventions_from": generation}


# ---------------------------------------------------------------- build and update

def build(
    seeds: Path,
    index_dir: Path,
    *,
    procs: int = 1,
    limitmb: int = 256,  # per writer process: a bigger pool means fewer sort runs to merge
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
    _before_switch: Callable[[], None] | None = None,
) -> BuildReport:
    """Rebuild the index from every file under seeds into a new generation, then switch to it."""
    started = time.monotonic()
    check_seeds(seeds)  # bad arguments leave nothing behind: checked before the folder and its lock exist
    with write_lock(index_dir, "build"):
        files, skipped = discover(seeds)
        generation = new_generation_name()
        report = BuildReport(action="build", generation=generation, skipped=list(skipped))
        with staging(index_dir, generation, "build") as tmp:
            tmp.mkdir()
            ix = whoosh_index.create_in(str(tmp), build_schema())
            if procs > 1 and len(files) >= PARALLEL_MIN_FILES:
                result = index_parallel(tmp, files, procs, limitmb, max_bytes, progress)
            else:
                result = _index_serial(ix, files, limitmb, max_bytes, progress)
            report.skipped.extend(result.skipped)
            report.added = report.indexed = result.added
            conventions = learn_conventions(result.date_orders)
            _settle_by_convention(ix, result, conventions)
            _finish(ix, tmp, generation, Manifest(files=result.files), report, result.vocabulary,
                    _learned(seeds, conventions, generation))
            if _before_switch:
                _before_switch()
            switch(index_dir, tmp, generation)
        cleanup(index_dir, generation)
    report.elapsed_s = time.monotonic() - started
    return report


def _index_serial(ix: whoosh_index.Index, files: list[SeedFile], limitmb: int, max_bytes: int,
                  progress: Progress | None) -> ChunkResult:
    """Index files in this process with one writer."""
    writer = ix.writer(limitmb=limitmb, compound=COMPOUND)
    result = ChunkResult()
    try:
        for number, file in enumerate(files, start=1):
            add_file(writer, file, max_bytes, result)
            if progress:
                progress(number, len(files))
        writer.commit()
    except BaseException:
        _cancel(writer)
        raise
    return result


def _cancel(writer: Any) -> None:
    """Abandon a writer without letting a second failure (say, a full disk) hide the first."""
    try:
        writer.cancel()
    except Exception:
        pass


def update(
    seeds: Path,
    index_dir: Path,
    *,
    limitmb: int = 256,  # per writer process: a bigger pool means fewer sort runs to merge
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
    allow_mass_removal: bool = False,
) -> BuildReport:
    """Apply added, changed and deleted files to a copy of the live generation, then switch to it.

    Refused (UpdateRefused, nothing changed) when seeds is not the folder the index was built
    from, when it holds no article file at all, or when the update would remove more than half
    of the index (and more than MASS_REMOVAL articles) unless allow_mass_removal.
    """
    started = time.monotonic()
    check_seeds(seeds)  # bad arguments leave nothing behind: checked before the lock file is created
    current_generation(index_dir)
    with write_lock(index_dir, "update"), paused_gc():
        big: list[Any] = []  # the million-entry structures of a large folder, emptied before the collector is back
        try:
            report = _update(seeds, index_dir, limitmb, max_bytes, progress, allow_mass_removal, big)
        finally:
            # Whoosh keeps an exception in a local while it creates a writer: a reference cycle that
            # holds every frame of the call, _update's too, until the collector runs. Emptied here,
            # these go now by reference counting, instead of being walked by that first collection
            # (2.5 s at a million files).
            for structure in big:
                structure.clear()
    report.elapsed_s = time.monotonic() - started
    return report


def _update(seeds: Path, index_dir: Path, limitmb: int, max_bytes: int, progress: Progress | None,
            allow_mass_removal: bool, big: list[Any]) -> BuildReport:
    """update()'s work, under its lock; its largest structures are listed in big for the caller to empty."""
    live = current_generation(index_dir)
    if not is_current_format(index_dir, live):
        raise BuildFailed(f"The index in {index_dir} was built by an older version of search-app and cannot be "
                          "updated: run `search-app build` to rebuild it (the old index keeps serving meanwhile).")
    old = read_manifest(index_dir / live)
    live_meta = read_meta(index_dir, live)
    _check_same_folder(live_meta, seeds, index_dir)
    files, skipped = discover(seeds)
    report = BuildReport(action="update", generation="", skipped=list(skipped))
    plan = UpdatePlan(old.files, files, seeds, report, allow_mass_removal, unreadable=unreadable_paths(skipped))
    big += [files, old.files, plan.kept, plan.seen, plan.gone]
    conventions: dict[str, str] = live_meta.get("date_conventions") or {}
    learned: dict[str, Any] = {key: live_meta[key] for key in ("seeds", "date_conventions", "conventions_from")
                               if key in live_meta}
    generation = report.generation = new_generation_name()
    with staging(index_dir, generation, "update") as tmp:
        link_copy(index_dir / live, tmp)
        ix = whoosh_index.open_dir(str(tmp))
        writer = ix.writer(limitmb=limitmb, compound=COMPOUND)
        change = _Change(result=ChunkResult(seen=plan.seen))  # ids are claimed against the whole index
        try:
            change.drop(writer, plan.gone_ids())
            for reread in plan.rereads(max_bytes, progress):
                change.drop(writer, reread.old_ids)
                add_file(writer, reread.file, max_bytes, change.result, reread.data, reread.stamp, conventions)
                plan.settle(reread, change.result.files[reread.file.rel]["ids"])
            if not (report.added or report.changed or report.removed):
                writer.cancel()  # nothing changed: the live generation stays
                ix.close()
                shutil.rmtree(tmp, ignore_errors=True)
                report.generation, report.total = live, len(old.ids())
                report.cities = live_meta.get("cities", {})
                report.dates = live_meta.get("dates", {})
                return report
            vocabulary = change.vocabulary(ix, index_dir / live)
            big.append(vocabulary)
            writer.commit()
        except BaseException:
            _cancel(writer)
            raise
        manifest = Manifest(files={**plan.kept, **change.result.files})
        big.append(manifest.files)
        report.skipped.extend(change.result.skipped)
        report.indexed = report.added + report.changed
        _finish(ix, tmp, generation, manifest, report, vocabulary, learned)
        switch(index_dir, tmp, generation)
    cleanup(index_dir, generation)
    return report


def _check_same_folder(live_meta: dict[str, Any], seeds: Path, index_dir: Path) -> None:
    """Refuse an update from another folder than the index was built from: it would read as mass deletion."""
    built_from = live_meta.get("seeds")
    if built_from and Path(built_from) != seeds.resolve():
        raise UpdateRefused(
            f"The index in {index_dir} was built from {built_from}, not {seeds.resolve()}: run `search-app build "
            f"--seeds {seeds}` to rebuild it from the new folder, or `update --seeds {built_from}`. Nothing was changed."
        )


@dataclass
class _Change:
    """An update being written: what was re-indexed, what was dropped (for the vocabulary's counts)."""

    result: ChunkResult
    dropped: list[str] = field(default_factory=list)

    def drop(self, writer: Any, ids: list[str]) -> None:
        """Delete these articles from the index being updated."""
        for article_id in ids:
            writer.delete_by_term("id", article_id)
            self.dropped.append(article_id)

    def vocabulary(self, ix: whoosh_index.Index, live: Path) -> Counter[str]:
        """The live vocabulary minus the words of dropped articles plus those of new ones."""
        try:
            counts: Counter[str] = Counter(json.loads((live / VOCABULARY).read_text("utf-8")))
        except (OSError, ValueError):
            counts = Counter()
        with ix.searcher() as searcher:  # still the old documents: the writer has not committed
            for article_id in self.dropped:
                fields = searcher.document(id=article_id)
                if fields:
                    counts.subtract(article_words(from_stored(fields)))
        counts.update(self.result.vocabulary)
        return counts


