"""Daily work on the search page in a real browser: keyboard paths, downloads, print and the phone.

Seeds facts used here (see test_pages.py): q=airport matches 003_b8c9e442042d1bdf and
004_860ced496ef7d71d; q=Shanxi matches all five seeds, of which 001 does not mention Taiyuan.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_pages import AIRPORT_IDS, PHONE, SHANXI_IDS, SHANXI_TAIYUAN_IDS, expect, query_of, wait_for_results

pytestmark = pytest.mark.browser


def focused(page: Any) -> str:
    """What has the keyboard focus: its id, else its tag and text."""
    return page.evaluate("(e => e.id || (e.tagName + ':' + e.textContent.trim()))(document.activeElement)")  # type: ignore[no-any-return]


def test_skip_to_results_is_first_and_lands_on_the_results(page: Any) -> None:
    page.goto("/?q=airport")
    page.wait_for_load_state("networkidle")  # the page's script has run and asked for nothing more
    first = page.evaluate("""() => {
        const all = document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]');
        const tabbable = Array.from(all).filter(e => e.tabIndex >= 0 && !e.disabled);
        return tabbable[0].textContent.trim();
    }""")
    assert first == "Skip to results"
    page.locator("a.skip-link", has_text="Skip to results").focus()
    expect(page.locator("a.skip-link", has_text="Skip to results")).to_be_visible()  # shown when focused
    page.keyboard.press("Enter")
    page.wait_for_function("location.hash === '#results-area'")  # the jump has happened, not just begun
    assert focused(page) == "results-area"
    stops: list[str] = []
    while not page.evaluate("!!document.activeElement.closest('#results .result h2')") and len(stops) < 10:
        page.keyboard.press("Tab")
        stops.append(focused(page))
    assert page.evaluate("!!document.activeElement.closest('#results .result h2')"), "no result reached in 10 Tabs"
    # The timeline's three years (2019-2021), then the first result.
    assert len(stops) <= 4, f"{len(stops)} Tab presses from the skip link to the first result: {stops}"


def test_slash_focuses_the_search_box_but_not_while_typing(page: Any) -> None:
    page.goto("/?q=airport")
    page.locator("input[name=city][value=Taiyuan]").focus()
    page.keyboard.press("/")
    assert focused(page) == "q"
    assert page.evaluate("[document.activeElement.selectionStart, document.activeElement.selectionEnd]") == [0, 7]
    page.keyboard.type("coal /")  # typed into the box: the slash is a character like any other
    expect(page.locator("#q")).to_have_value("coal /")
    page.goto("/article/003_b8c9e442042d1bdf?q=airport")
    assert focused(page) != "q"  # the article page does not grab the focus
    page.keyboard.press("/")
    assert focused(page) == "q"


def test_a_filter_change_keeps_focus_history_and_the_desktop_panel(page: Any) -> None:
    page.goto("/?q=Shanxi")
    page.locator("input[name=city][value=Taiyuan]").check()
    page.wait_for_url(re.compile(r"[?&]city=Taiyuan"))
    wait_for_results(page, SHANXI_TAIYUAN_IDS)
    assert page.evaluate("[document.activeElement.name, document.activeElement.value]") == ["city", "Taiyuan"]
    page.locator("#sort").select_option("newest")
    page.wait_for_url(re.compile(r"sort=newest"))
    assert focused(page) == "sort"
    expect(page.locator("#result-count")).to_contain_text("newest first")
    page.go_back()
    page.wait_for_url(re.compile(r"q=Shanxi&city=Taiyuan$"))
    expect(page.locator("#sort")).to_have_value("relevance")
    page.go_back()
    page.wait_for_url(re.compile(r"q=Shanxi$"))
    wait_for_results(page, SHANXI_IDS)
    expect(page.locator("input[name=city][value=Taiyuan]")).not_to_be_checked()
    page.go_forward()
    page.wait_for_url(re.compile(r"city=Taiyuan"))
    wait_for_results(page, SHANXI_TAIYUAN_IDS)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_download_results(page: Any, fmt: str) -> None:
    page.goto("/?q=airport")
    with page.expect_download() as info:
        page.locator(".export-links a", has_text="CSV" if fmt == "csv" else "JSON Lines").click()
    download = info.value
    assert download.suggested_filename == f"search-results.{fmt}"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text))) if fmt == "csv" else [json.loads(line) for line in text.splitlines()]
    assert {r["id"] for r in rows} == AIRPORT_IDS
    assert all(query_of(r["url"])["q"] == ["airport"] for r in rows)


@pytest.mark.parametrize("path", ["/?q=airport&city=Taiyuan", "/article/003_b8c9e442042d1bdf?q=airport"])
def test_print_shows_the_content_not_the_controls(page: Any, path: str) -> None:
    page.goto(path)
    page.emulate_media(media="print")
    for hidden in ("#search-form", ".article-search", "#timeline", ".pagination", ".export-links", ".site-header",
                   "#related", ".back-link"):
        for element in page.locator(hidden).all():
            expect(element).to_be_hidden()
    if path.startswith("/?"):
        expect(page.locator("#results li.result").first).to_be_visible()
        after = page.locator("#results .result h2 a").first.evaluate("a => getComputedStyle(a, '::after').content")
        assert re.search(r"http://[^ ]+/article/00[34]_", after), after  # the address, for the reader of the paper
    else:
        expect(page.locator("article h1")).to_be_visible()
        expect(page.locator(".article-meta")).to_be_visible()


def test_no_query_list_and_sort_control_agree(page: Any) -> None:
    page.goto("/")
    expect(page.locator("#result-count")).to_contain_text("newest first")
    expect(page.locator("#sort option:checked")).to_have_text("Newest first (no search words)")
    page.goto("/?q=airport")
    expect(page.locator("#sort option:checked")).to_have_text("Relevance")


def test_the_article_page_on_a_phone_has_a_search_box(new_page: Callable[..., Any]) -> None:
    page = new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page.goto("/article/003_b8c9e442042d1bdf?q=airport")
    box = page.locator("form.article-search input[name=q]")
    expect(box).to_be_visible()
    expect(box).to_have_value("airport")
    box.fill("coal")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/\?q=coal$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_phone_timeline_labels_are_readable_and_paging_is_one_line(new_page: Callable[..., Any]) -> None:
    page = new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page.goto("/?q=Shanxi&per_page=1")
    sizes = page.locator("#timeline text").evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
    assert sizes and min(sizes) >= 11, f"timeline text is {min(sizes):.1f} px tall on a phone"
    tops = page.locator(".pagination li").evaluate_all("els => els.map(e => Math.round(e.getBoundingClientRect().top))")
    assert len(set(tops)) == 1, f"the page links take {len(set(tops))} lines"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
