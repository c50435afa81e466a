"""What a build costs with the text fields indexed less by Whoosh: the measurement behind the README's
"What is missed and why" (build rate and index size).

    .venv/bin/python bench/build_variants.py [--size 5000]

Builds the generated corpus in one process four ways and prints time and index size by file
kind: as the project builds it (`current`); without the flat posting files (`noflat`); with
Whoosh storing title and body postings without positions (`freq`, no flat files); with Whoosh not
indexing title and body at all (`stored`, no flat files: nothing could search the text, so this
is the floor of what our own postings writer would add to). The variants patch the schema in
this process only; none is a working index.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from whoosh.formats import Frequency

import search_app.backends.whoosh.indexer as indexer
import search_app.backends.whoosh.schema as schema
from bench import make_corpus

VARIANTS = ("current", "noflat", "freq", "stored")


def patch(variant: str) -> None:
    """Change this process's schema and flat-file step for one variant."""
    original = schema._text

    def text(boost: float = 1.0) -> Any:
        field = original(boost)
        if variant == "freq":
            field.format = Frequency(field_boost=boost)
        elif variant == "stored":
            field.indexed, field.format = False, None
        return field

    if variant in ("freq", "stored"):
        schema._text = text  # type: ignore[assignment]
    if variant != "current":
        indexer.write_flat_missing = lambda storage_dir, ix: 0  # type: ignore[assignment]


def measure(seeds: Path, variant: str) -> dict[str, Any]:
    """Build seeds once with the variant; seconds and megabytes by file kind."""
    patch(variant)
    out = Path(tempfile.mkdtemp(prefix=f"variant-{variant}-"))
    try:
        started = time.perf_counter()
        indexer.build(seeds, out / "index")
        elapsed = time.perf_counter() - started
        sizes: dict[str, int] = {}
        for f in (out / "index").rglob("*"):
            if f.is_file():
                sizes[f.suffix or f.name] = sizes.get(f.suffix or f.name, 0) + f.stat().st_size
        return {"variant": variant, "seconds": round(elapsed, 1), "total_mb": round(sum(sizes.values()) / 1e6, 1),
                "mb_by_kind": {k: round(v / 1e6, 1) for k, v in sorted(sizes.items(), key=lambda kv: -kv[1])[:6]}}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--variant", choices=VARIANTS, help="one variant (each runs in its own process otherwise)")
    args = parser.parse_args()
    seeds, _corpus = make_corpus.ensure_corpus(args.size)
    if args.variant:
        print(measure(seeds, args.variant))
        return 0
    import subprocess

    for variant in VARIANTS:  # a process each: a variant patches the schema for good
        subprocess.run([sys.executable, __file__, "--size", str(args.size), "--variant", variant], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
