"""How often "related articles" share a topic with the article, on Reuters-21578's topic labels, checkouts side by side.

Each Reuters story with at least one TOPICS label becomes an article file (headline, blank line,
text); each checkout builds its own index of them with its own code and answers "related
articles" for the same sample of stories. A related article counts as right when it shares a
topic label with the story. Printed per checkout: precision over the related lists (5 per
article), the share of stories whose first related article is right, and, as the floor, the
precision of picking other stories at random (the chance two labelled stories share a topic).

    .venv/bin/python bench/related.py                        # this checkout
    .venv/bin/python bench/related.py --checkout ../other    # and another one, in the same run

The labels were never used to build or tune either method. Data: Reuters-21578, Distribution
1.0 (research use only).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
_TOPICS = re.compile(r"<TOPICS>(.*?)</TOPICS>", re.S)
_D = re.compile(r"<D>(.*?)</D>")


def labelled_stories(reuters: Path) -> dict[str, tuple[str, str, list[str]]]:
    """id -> (headline, text, topics) of every usable story with at least one topic label."""
    sys.path.insert(0, str(HERE))
    from bench.make_corpus import _STORY, parse_story

    out = {}
    for path in sorted(reuters.glob("reut2-*.sgm")):
        for match in _STORY.finditer(path.read_text(encoding="latin-1")):
            topics = _TOPICS.search(match.group(2))
            labels = _D.findall(topics.group(1)) if topics else []
            story = parse_story(match.group(1), match.group(2))
            if story is not None and labels:
                out[f"r{story.newid}"] = (story.title, "\n\n".join(story.paragraphs), labels)
    return out


def worker(checkout: Path, seeds: Path, index: Path, ids: list[str]) -> dict[str, list[str]]:
    """In a process importing search_app from checkout: build, then each sampled article's related ids."""
    sys.path.insert(0, str(checkout))
    import search_app
    from search_app.backends.whoosh.indexer import build
    from search_app.backends.whoosh.reader import IndexHandle
    from search_app.backends.whoosh.search import get_article

    assert Path(search_app.__file__).resolve().is_relative_to(checkout.resolve()), search_app.__file__
    build(seeds, index)
    handle = IndexHandle(index)
    try:
        return {i: [r["id"] for r in get_article(handle, i)["related"]] for i in ids}
    finally:
        handle.close()


def score(related: dict[str, list[str]], topics: dict[str, set[str]]) -> tuple[float, float]:
    """(precision over every related article listed, share of first related articles that are right)."""
    listed = [(i, r) for i, found in related.items() for r in found]
    precision = sum(1 for i, r in listed if topics[i] & topics[r]) / max(len(listed), 1)
    first = sum(1 for i, found in related.items() if found and topics[i] & topics[found[0]]) / max(len(related), 1)
    return precision, first


def main() -> None:
    """Write the articles, run each checkout, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reuters", type=Path, default=None, help="Reuters-21578 folder (default: make_corpus's)")
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--checkout", type=Path, action="append", default=[])
    parser.add_argument("--worker", nargs=3, metavar=("CHECKOUT", "WORK", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        checkout, work, out = (Path(p) for p in args.worker)
        ids = json.loads((work / "sample.json").read_text())
        out.write_text(json.dumps(worker(checkout, work / "seeds", out.with_suffix(".index"), ids)))
        return
    sys.path.insert(0, str(HERE))
    from bench.make_corpus import DEFAULT_REUTERS

    stories = labelled_stories(args.reuters or DEFAULT_REUTERS)
    topics = {i: set(labels) for i, (_h, _t, labels) in stories.items()}
    rng = random.Random(args.seed)
    sample = sorted(rng.sample(sorted(stories), args.sample))
    others = sorted(stories)
    chance = sum(1 for i in sample for _ in range(20) if topics[i] & topics[rng.choice(others)]) / (20 * len(sample))
    print(f"{len(stories):,} labelled Reuters stories, {len(sample)} sampled; random pick shares a topic: {chance:.3f}")
    print("| checkout | precision of 5 related | first related right |\n|---|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="related-") as tmp:
        work = Path(tmp)
        (work / "seeds").mkdir()
        for i, (headline, text, _labels) in stories.items():
            (work / "seeds" / f"{i}.txt").write_text(f"{headline}\n\n{text}\n", "utf-8")
        (work / "sample.json").write_text(json.dumps(sample))
        for n, checkout in enumerate([HERE, *args.checkout]):
            out = work / f"related-{n}.json"
            subprocess.run([sys.executable, __file__, "--worker", str(checkout.resolve()), str(work), str(out)], check=True)
            precision, first = score(json.loads(out.read_text()), topics)
            commit = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True,
                                    text=True).stdout.strip()
            print(f"| {checkout.name} ({commit}) | {precision:.3f} | {first:.3f} |")


if __name__ == "__main__":
    main()
