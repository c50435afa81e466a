"""Data for the server-drawn SVG timeline: matching articles per year, or per month when narrow."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from search_app.models import MAX_PER_PAGE, SearchRequest
from search_app.web.params import url

WIDTH = 600
HEIGHT = 140
PLOT_TOP = 18  # room for the count above the tallest bar
PLOT_BOTTOM = 24  # room for the labels under the bars
GAP = 4
MARGIN = 16  # so the first and last labels are not cut at the edges
MAX_LABELS = 12
MAX_COUNTS = 20
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Search = Callable[[SearchRequest], dict[str, Any]]


def _year_counts(response: dict[str, Any], req: SearchRequest) -> dict[int, int]:
    # The year facet ignores its own filter, so keep only the ticked years when some are ticked.
    wanted = {str(y) for y in req.years}
    counts = {}
    for v in response.get("facets", {}).get("year", []):
        if v["count"] and (not wanted or v["value"] in wanted) and v["value"].isdigit():
            counts[int(v["value"])] = v["count"]
    return counts


def _month_counts(run: Search, req: SearchRequest) -> Counter[tuple[int, int]]:
    # One extra core call: every match fits on one page here (the caller checked the total).
    every = replace(req, page=1, per_page=MAX_PER_PAGE, sort="newest", facets=False, suggest=False, highlight=False)
    counts: Counter[tuple[int, int]] = Counter()
    for hit in run(every)["results"]:
        if hit["date"]:
            day = dt.date.fromisoformat(hit["date"])
            counts[(day.year, day.month)] += 1
    return counts


def _bars(items: list[tuple[str, str, int, str]]) -> list[dict[str, Any]]:
    """Lay out (key, label, count, url) as bars of a WIDTH x HEIGHT chart."""
    top = max((count for _k, _l, count, _u in items), default=0) or 1
    slot = (WIDTH - 2 * MARGIN) / max(len(items), 1)
    # Forty years of bars leave no room for forty labels: label every step-th bar, count only when few.
    step = -(-len(items) // MAX_LABELS)
    show_counts = len(items) <= MAX_COUNTS
    plot = HEIGHT - PLOT_TOP - PLOT_BOTTOM
    bars = []
    for i, (key, label, count, link) in enumerate(items):
        height = round(plot * count / top, 1) if count else 0.0
        x = round(MARGIN + i * slot + GAP / 2, 1)
        width = round(max(slot - GAP, 1), 1)
        bars.append({
            "key": key, "label": label, "count": count, "url": link,
            "x": x, "y": round(PLOT_TOP + plot - height, 1), "width": width, "height": height,
            "label_x": round(x + width / 2, 1), "label_y": HEIGHT - 8,
            "count_y": round(PLOT_TOP + plot - height - 4, 1),
            "title": f"{label}: {count} article{'s' if count != 1 else ''}",
            "show_label": i % step == 0, "show_count": show_counts and count > 0,
        })
    return bars


def build_timeline(response: dict[str, Any], req: SearchRequest, run: Search) -> dict[str, Any] | None:
    """Bars per year (per month when every match falls in one year); None when nothing is dated."""
    years = _year_counts(response, req)
    if not years:
        return None
    dated = sum(years.values())
    base = replace(req, years=())  # a bar sets a date range, which replaces any ticked years
    if len(years) == 1 and response["total"] <= MAX_PER_PAGE:
        (year,) = years
        months = _month_counts(run, req)
        items = []
        for month in range(1, 13):
            last = calendar.monthrange(year, month)[1]
            link = url("/", base, date_from=dt.date(year, month, 1), date_to=dt.date(year, month, last))
            items.append((f"{year}-{month:02d}", f"{MONTHS[month - 1]}", months.get((year, month), 0), link))
        unit, caption_span = "month", f"in {year}"
    else:
        items = []
        for year in range(min(years), max(years) + 1):  # empty years stay visible as gaps
            link = url("/", base, date_from=dt.date(year, 1, 1), date_to=dt.date(year, 12, 31))
            items.append((str(year), str(year), years.get(year, 0), link))
        unit, caption_span = "year", f"{min(years)}–{max(years)}"
    undated = max(response["total"] - dated, 0)
    caption = f"Matching articles per {unit}, {caption_span}. Select a bar to show only that {unit}."
    if undated:
        caption += f" {undated} undated article{'s are' if undated != 1 else ' is'} not shown."
    return {"unit": unit, "width": WIDTH, "height": HEIGHT, "bars": _bars(items),
            "dated": dated, "undated": undated, "caption": caption}
