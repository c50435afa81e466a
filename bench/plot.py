"""Draw how latency and memory grow with the corpus, from the per-size benchmark results, as one SVG.

    .venv/bin/python bench/plot.py [--backend whoosh] [--out bench/results/cost-curve-whoosh.svg]

Reads bench/results/latest-BACKEND-SIZE.json for every size there is (5k, 20k, 100k, 1M, ...)
and draws two panels on logarithmic axes: search latency (core p50 and p95 beside SQLite FTS5's,
HTTP p50) and memory (server, build peak, index size beside FTS5's). Plain SVG, no plotting library.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
MB = 1024 * 1024
WIDTH, HEIGHT, PANEL_W, PANEL_H, LEFT, TOP = 960, 500, 380, 290, 70, 50
COLOURS = ("#1f5fa8", "#6f9fd8", "#b8461b", "#e39b72", "#2f7d32", "#888888")
DASHES = ("", "6 4", "", "6 4", "2 3", "")


def load(backend: str, folder: Path = RESULTS) -> list[dict[str, Any]]:
    """Every size's report for the backend, smallest first."""
    reports = []
    for path in folder.glob(f"latest-{backend}-*.json"):
        if re.fullmatch(rf"latest-{re.escape(backend)}-\d+\.json", path.name):
            reports.append(json.loads(path.read_text("utf-8")))
    return sorted(reports, key=lambda r: r["size"])


def _get(data: dict[str, Any], path: str) -> float | None:
    value: Any = data
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return float(value) if isinstance(value, (int, float)) else None


Line = tuple[str, list[tuple[float, float]]]  # a label and its (articles, value) points


def series(reports: list[dict[str, Any]], backend: str) -> dict[str, list[Line]]:
    """The lines of each panel: label -> [(size, value)], missing figures left out."""
    def line(engine: str, path: str, scale: float = 1) -> list[tuple[float, float]]:
        points = []
        for r in reports:
            value = _get(r["results"].get(engine, {}), path)
            if value is not None:
                points.append((float(r["size"]), value / scale))
        return points

    name = backend.capitalize()
    return {
        "Search latency (ms)": [
            (f"{name} core p95", line(backend, "latency.p95_ms")), (f"{name} core p50", line(backend, "latency.p50_ms")),
            ("FTS5 p95", line("fts5", "latency.p95_ms")), ("FTS5 p50", line("fts5", "latency.p50_ms")),
            (f"{name} HTTP p50", line(backend, "http.latency.p50_ms")),
        ],
        "Memory and size (MB)": [
            (f"{name} server (all workers)", line(backend, "http.server_rss_mb")),
            (f"{name} build peak", line(backend, "build_peak_rss_mb")),
            (f"{name} index", line(backend, "index_bytes", MB)), ("FTS5 index", line("fts5", "index_bytes", MB)),
        ],
    }


def _ticks(low: float, high: float) -> list[float]:
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    return [10.0 ** e for e in range(first, max(last, first + 1) + 1)]  # two decades at least: one size alone


def _label(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:g}M"
    if value >= 1e3:
        return f"{value / 1e3:g}k"
    return f"{value:g}"


def panel(title: str, lines: list[Line], x0: float) -> list[str]:
    """One log-log panel: axes, grid, a polyline and dots per series, a legend."""
    points = [p for _label_, pts in lines for p in pts]
    if not points:
        return []
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    xt, yt = _ticks(min(xs), max(xs)), _ticks(max(min(ys), 1e-3), max(ys))

    def sx(x: float) -> float:
        return x0 + PANEL_W * (math.log10(x) - math.log10(xt[0])) / (math.log10(xt[-1]) - math.log10(xt[0]))

    def sy(y: float) -> float:
        span = math.log10(yt[-1]) - math.log10(yt[0]) or 1
        return TOP + PANEL_H - PANEL_H * (math.log10(max(y, yt[0])) - math.log10(yt[0])) / span

    out = [f'<text x="{x0 + PANEL_W / 2}" y="{TOP - 20}" text-anchor="middle" font-weight="bold">{title}</text>',
           f'<rect x="{x0}" y="{TOP}" width="{PANEL_W}" height="{PANEL_H}" fill="none" stroke="#444"/>']
    for x in xt:
        out.append(f'<line x1="{sx(x):.1f}" y1="{TOP}" x2="{sx(x):.1f}" y2="{TOP + PANEL_H}" stroke="#ddd"/>')
        out.append(f'<text x="{sx(x):.1f}" y="{TOP + PANEL_H + 16}" text-anchor="middle">{_label(x)}</text>')
    for y in yt:
        out.append(f'<line x1="{x0}" y1="{sy(y):.1f}" x2="{x0 + PANEL_W}" y2="{sy(y):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{x0 - 6}" y="{sy(y) + 4:.1f}" text-anchor="end">{_label(y)}</text>')
    out.append(f'<text x="{x0 + PANEL_W / 2}" y="{TOP + PANEL_H + 34}" text-anchor="middle">articles</text>')
    for n, (name, pts) in enumerate(lines):
        if not pts:
            continue
        colour, dash = COLOURS[n % len(COLOURS)], DASHES[n % len(DASHES)]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"'
                   + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
        out.extend(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{colour}"/>' for x, y in pts)
        ly = TOP + PANEL_H + 58 + 16 * n  # the legend under the panel, clear of the lines
        out.append(f'<line x1="{x0 + 10}" y1="{ly - 4}" x2="{x0 + 30}" y2="{ly - 4}" stroke="{colour}" stroke-width="2"'
                   + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
        out.append(f'<text x="{x0 + 36}" y="{ly}">{name}</text>')
    return out


def svg(reports: list[dict[str, Any]], backend: str) -> str:
    """The whole figure."""
    body: list[str] = []
    for n, (title, lines) in enumerate(series(reports, backend).items()):
        body += panel(title, lines, LEFT + n * (PANEL_W + 110))
    machine = reports[-1]["machine"] if reports else {}
    note = (f"{backend.capitalize()} against SQLite FTS5, bench/run.py, {machine.get('cpus', '?')} CPUs; "
            "a log of 2,000 distinct queries each sent once. Logarithmic axes.")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
            'font-family="sans-serif" font-size="12" role="img" aria-label="Latency and memory against corpus size">'
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>' + "".join(body)
            + f'<text x="{LEFT}" y="{HEIGHT - 12}" fill="#555">{note}</text></svg>\n')


def main(argv: list[str] | None = None) -> int:
    """Command line: read the results, write the SVG."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default="whoosh")
    parser.add_argument("--out", type=Path, help="default bench/results/cost-curve-BACKEND.svg")
    args = parser.parse_args(argv)
    reports = load(args.backend)
    if not reports:
        print(f"no bench/results/latest-{args.backend}-SIZE.json yet: run make bench first", file=sys.stderr)
        return 1
    out = args.out or RESULTS / f"cost-curve-{args.backend}.svg"
    out.write_text(svg(reports, args.backend), "utf-8")
    print(f"wrote {out} ({', '.join(_label(r['size']) for r in reports)} articles)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
