"""Extraction quality on real saved news pages: search_app beside trafilatura's defaults, in one run.

Each page of the folder (`../shared/corpora/news-pages/` by default; never copied into the
project) is judged by short hand-checked snippets kept in `bench/extraction_truth.json`: text
that must be in the article's body (from its first, middle and last paragraphs) and text that is
on the page but must not be (navigation, related links, banners, footers, comments, credits),
with the headline, date and author as the page shows them. For each system:

- recall: the share of must snippets found in the body;
- precision: the share of must-not snippets absent from the body;
- F1 of the two; and the share of pages whose headline, date and author come out right.

search_app is read exactly as a build reads a page (`webpage.page_text` then `extract_page`);
trafilatura's defaults are one `bare_extraction(page, with_metadata=True)`: its text and
comments are the body `trafilatura.extract(page)` gives, its metadata the headline, date and author.
`--variants` adds trafilatura's precision and recall modes, without comments, and with
search_app's own settings (so the last row against search_app's shows what search_app's line
rules, headline and byline choices add).

    .venv/bin/python bench/extraction.py [PAGES_DIR] [--variants] [--out bench/results]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from search_app.ingest import webpage  # noqa: E402

TRUTH = Path(__file__).with_name("extraction_truth.json")
DEFAULT_PAGES = REPO.parent / "shared" / "corpora" / "news-pages"
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


@dataclass(frozen=True)
class Reading:
    """What one system made of one page."""

    title: str
    body: str
    date: str | None
    author: str | None


Reader = Callable[[bytes], Reading]


def folded(text: str | None) -> str:
    """Text as snippets are compared: NFKC, straight quotes and dashes, soft hyphens out, one space, no case."""
    text = unicodedata.normalize("NFKC", text or "").replace("\u00ad", "").translate(_QUOTES)
    return re.sub(r"\s+", " ", text).strip().casefold()


def load_truth(path: Path = TRUTH) -> list[dict[str, Any]]:
    """The hand-checked pages: file, kind, title, date, author, must, must_not."""
    return json.loads(path.read_text(encoding="utf-8"))


def search_app_reader(data: bytes) -> Reading:
    """A page read as the build reads it."""
    found = webpage.extract_page(webpage.page_text(data))
    return Reading(found.title, found.body, found.date.isoformat() if found.date else None, found.author)


def trafilatura_reader(**options: Any) -> Reader:
    """trafilatura with the given options (none: its defaults) for the body, and its metadata."""
    import trafilatura

    def read(data: bytes) -> Reading:
        doc = trafilatura.bare_extraction(data, with_metadata=True, **options)
        if doc is None:
            return Reading("", "", None, None)
        body = "\n".join(part for part in (doc.text, doc.comments) if part)  # as extract() prints them
        return Reading(doc.title or "", body, doc.date, doc.author)

    return read


def score_page(page: dict[str, Any], reading: Reading) -> dict[str, Any]:
    """Snippet counts and metadata checks for one page."""
    body = folded(reading.body)
    found = [s for s in page["must"] if folded(s) in body]
    leaked = [s for s in page["must_not"] if folded(s) in body]
    return {
        "file": page["file"],
        "must": len(page["must"]),
        "found": len(found),
        "must_not": len(page["must_not"]),
        "leaked": len(leaked),
        "missing": [s for s in page["must"] if s not in found],
        "leaks": leaked,
        "title": folded(reading.title) == folded(page["title"]),
        "date": page["date"] is None or reading.date == page["date"],
        "author": _same_author(reading.author, page.get("author")),
    }


def _same_author(got: str | None, want: str | None) -> bool:
    """The page's byline names, in any order and separator; None only when the page has none."""
    if not want:
        return not got
    def names(value: str | None) -> set[str]:  # "Logan C. Ritchie" is "Logan C Ritchie"
        return {folded(n).replace(".", "") for n in re.split(r"\s*(?:,|;|/|\band\b|&)\s*", value or "") if n.strip()}

    return names(got) == names(want)


def summarise(scores: list[dict[str, Any]]) -> dict[str, float]:
    """Recall, precision, F1 over all snippets; the share of pages with the right title, date and author."""
    must = sum(s["must"] for s in scores)
    must_not = sum(s["must_not"] for s in scores)
    recall = sum(s["found"] for s in scores) / must if must else 0.0
    precision = 1 - sum(s["leaked"] for s in scores) / must_not if must_not else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    n = len(scores) or 1
    return {
        "recall": recall, "precision": precision, "f1": f1,
        "title": sum(s["title"] for s in scores) / n,
        "date": sum(s["date"] for s in scores) / n,
        "author": sum(s["author"] for s in scores) / n,
    }


def run(pages_dir: Path, readers: dict[str, Reader], truth: list[dict[str, Any]]) -> dict[str, Any]:
    """Every reader over every hand-checked article page: per-page scores, summaries and time."""
    results: dict[str, Any] = {}
    articles = [p for p in truth if p["kind"] == "article"]
    for name, reader in readers.items():
        scores = []
        started = time.perf_counter()
        for page in articles:
            data = (pages_dir / page["file"]).read_bytes()
            try:
                reading = reader(data)
            except webpage.NoArticle:
                reading = Reading("", "", None, None)
            scores.append(score_page(page, reading))
        elapsed = time.perf_counter() - started
        results[name] = {"summary": summarise(scores), "pages": scores, "ms_per_page": 1000 * elapsed / len(articles)}
    return results


def table(results: dict[str, Any], pages: int) -> str:
    """The summary as a Markdown table."""
    lines = [
        f"Extraction on {pages} real saved news pages (hand-checked snippets, bench/extraction_truth.json)",
        "",
        "| system | recall | precision | F1 | headline | date | author | ms/page |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, result in results.items():
        s = result["summary"]
        lines.append(
            f"| {name} | {s['recall']:.3f} | {s['precision']:.3f} | **{s['f1']:.3f}** | "
            f"{s['title']:.0%} | {s['date']:.0%} | {s['author']:.0%} | {result['ms_per_page']:.0f} |"
        )
    return "\n".join(lines)


def readers(variants: bool) -> dict[str, Reader]:
    """The systems compared: search_app and trafilatura's defaults, and with --variants the alternatives."""
    chosen: dict[str, Reader] = {"search_app": search_app_reader, "trafilatura defaults": trafilatura_reader()}
    if variants:
        chosen["trafilatura favor_precision"] = trafilatura_reader(favor_precision=True)
        chosen["trafilatura favor_recall"] = trafilatura_reader(favor_recall=True)
        chosen["trafilatura no comments"] = trafilatura_reader(include_comments=False)
        chosen["trafilatura with search_app's settings"] = trafilatura_reader(
            favor_precision=True, include_comments=False, include_tables=True, deduplicate=False)
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pages", nargs="?", type=Path, default=DEFAULT_PAGES)
    parser.add_argument("--variants", action="store_true", help="also trafilatura's precision/recall modes")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results"))
    parser.add_argument("--show", action="store_true", help="print each page's misses and leaks")
    args = parser.parse_args(argv)
    if not args.pages.is_dir():
        print(f"no pages folder at {args.pages}: pass the folder of saved pages", file=sys.stderr)
        return 2
    truth = load_truth()
    results = run(args.pages, readers(args.variants), truth)
    report = table(results, sum(1 for p in truth if p["kind"] == "article"))
    print(report)
    if args.show:
        for name, result in results.items():
            for page in result["pages"]:
                if page["missing"] or page["leaks"] or not (page["title"] and page["date"] and page["author"]):
                    print(f"{name} {page['file']}: missing={page['missing']} leaks={page['leaks']} "
                          f"title={page['title']} date={page['date']} author={page['author']}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "extraction-news-pages.md").write_text(report + "\n", encoding="utf-8")
    (args.out / "extraction-news-pages.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
