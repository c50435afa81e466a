"""What the five sample seeds hold, for every test that asserts on them (one place for the facts)."""

from __future__ import annotations

A0, A1, A2, A3, A4 = (
    "000_5ca391961da276a5", "001_0b108123ccd7e2b3", "002_d26b102950b0f93f",
    "003_b8c9e442042d1bdf", "004_860ced496ef7d71d",
)
IDS = [A0, A1, A2, A3, A4]
IDS_TXT = [i + ".txt" for i in IDS]
CITIES = {"Changzhi": 2, "Datong": 1, "Jincheng": 2, "Jinzhong": 1, "Linfen": 2, "Taiyuan": 4, "Yangquan": 1}
# The two seeds that name no source are filed under "Unknown source", so the counts add up to the total.
SOURCES = {"China Daily": 2, "Shanxi Daily": 1, "Unknown source": 2}
# The rule that dated each seed: three dates are unambiguous, "11 05,2021" is settled by the events reported.
DATES = {"as written": 3, "reported events": 1, "no date": 1}
# The keys of a search response and of one result, in order, on either engine.
KEYS = ["query", "total", "some_words_from", "page", "per_page", "pages", "sort", "order", "results", "facets", "suggestion", "relaxed",
        "timed_out", "notices", "generation", "took_ms"]
RESULT_KEYS = ["id", "title", "title_html", "date", "source", "author", "cities", "score", "snippet"]
