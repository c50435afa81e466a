"""The search service in a real browser: search, filter, go back, read, no-JS, hostile text,
phone width, security headers and an axe-core accessibility audit.

Seeds facts used here: q=airport matches 003_b8c9e442042d1bdf and 004_860ced496ef7d71d;
q=Shanxi matches all five seeds, of which 001 does not mention Taiyuan; q=coal matches 000, 001,
003 and 004, of which 001 does not mention Taiyuan. The browser seeds add one hostile article
(see conftest.HOSTILE_TITLE) that mentions Taiyuan but not Shanxi, and one undated article of
long unbroken words (conftest.LONG_ID) found by q=quokka.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser

AIRPORT_IDS = {"003_b8c9e442042d1bdf", "004_860ced496ef7d71d"}
SHANXI_IDS = {"000_5ca391961da276a5", "001_0b108123ccd7e2b3", "002_d26b102950b0f93f", *AIRPORT_IDS}
HOSTILE_ID = "zz_hostile"  # conftest.HOSTILE_ID: the hostile article added to the browser seeds
LONG_ID = "zz_longwords"  # conftest.LONG_ID: the article of long unbroken words
LONG_URL = "http://www.chinadaily.com.cn/a/202209/29/WS63352c7ea310fd2b29e7a3f1.html"
COAL_TAIYUAN_IDS = {"000_5ca391961da276a5", "003_b8c9e442042d1bdf", "004_860ced496ef7d71d"}
SHANXI_TAIYUAN_IDS = SHANXI_IDS - {"001_0b108123ccd7e2b3"}
PHONE = {"width": 375, "height": 740}


def expect(*args: Any) -> Any:
    from playwright.sync_api import expect as pw_expect

    return pw_expect(*args)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def result_ids(page: Any) -> set[str]:
    """Article ids of the results shown, from the hrefs of `#results .result h2 a`."""
    hrefs = page.locator("#results .result h2 a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    ids = set()
    for href in hrefs:
        path = urlsplit(href).path
        assert path.startswith("/article/"), f"result link {href!r} does not point at /article/<id>"
        ids.add(path[len("/article/"):])
    return ids


def wait_for_results(page: Any, ids: set[str]) -> None:
    """Wait until exactly these articles are listed."""
    expect(page.locator("#results li.result")).to_have_count(len(ids))
    assert result_ids(page) == ids


def search_by_typing(page: Any, words: str) -> None:
    page.goto("/")
    box = page.locator("#q")
    box.fill(words)
    box.press("Enter")
    page.wait_for_url(re.compile(r"[?&]q="))


# ---------------------------------------------------------------- with JavaScript

def test_search_page_shape_and_focus(page: Any) -> None:
    response = page.goto("/")
    assert response.status == 200
    form = page.locator("form#search-form")
    expect(form).to_have_attribute("role", "search")
    expect(form).to_have_attribute("method", re.compile("get", re.I))
    assert page.evaluate("document.activeElement && document.activeElement.id") == "q", "the search box is not focused on load"
    # The box has an accessible name from a label.
    assert page.locator("label[for=q]").count() + page.locator("label:has(#q)").count() >= 1, "#q has no <label>"
    for legend in ("City", "Source", "Year"):
        expect(page.locator("aside#filters fieldset legend", has_text=legend)).to_have_count(1)
    # Chinese names beside the pinyin, with a count.
    taiyuan = page.locator("input[type=checkbox][name=city][value=Taiyuan]")
    expect(taiyuan).to_have_count(1)
    label = taiyuan.evaluate("el => Array.from(el.labels || []).map(l => l.textContent).join(' ')")
    assert "Taiyuan" in label and "太原" in label and "5" in label, f"Taiyuan's checkbox label is {label!r}"
    for selector in ("input[type=date][name=from]", "input[type=date][name=to]", "select[name=sort]", "#search-button"):
        expect(page.locator(selector)).to_have_count(1)
    status = page.locator("#live-status")  # outside the results, which are swapped in place
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_attribute("aria-live", "polite")
    # An empty query lists the newest articles, all seven.
    expect(page.locator("#results li.result")).to_have_count(7)
    expect(page.locator("figure#timeline svg")).to_have_count(1)
    # Keyboard: from the search box, Tab reaches the submit button next.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "search-button"


def test_type_query_shows_highlighted_results(page: Any, screenshots: Path) -> None:
    search_by_typing(page, "airport")
    assert query_of(page.url)["q"] == ["airport"]
    wait_for_results(page, AIRPORT_IDS)
    expect(page.locator("#result-count")).to_contain_text("2")
    first = page.locator("#results li.result").first
    for part in (".meta", ".cities", "p.snippet"):
        expect(first.locator(part)).to_have_count(1)
    marks = page.locator("#results p.snippet mark")
    assert marks.count() >= 2
    assert all(re.fullmatch(r"airports?", t.strip(), re.I) for t in marks.all_inner_texts()), marks.all_inner_texts()
    for href in page.locator("#results .result h2 a").evaluate_all("els => els.map(e => e.getAttribute('href'))"):
        assert query_of(href).get("q") == ["airport"], f"result link {href!r} does not carry q="
    expect(page.locator("figure#timeline svg")).to_have_count(1)
    page.screenshot(path=str(screenshots / "search.png"), full_page=True)


def test_city_checkbox_filters_at_once_and_back_restores(page: Any, screenshots: Path) -> None:
    search_by_typing(page, "Shanxi")
    wait_for_results(page, SHANXI_IDS)
    before = page.url

    page.locator("input[name=city][value=Taiyuan]").check()  # no submit click: JS reacts to change
    page.wait_for_url(re.compile(r"[?&]city=Taiyuan"))
    wait_for_results(page, SHANXI_TAIYUAN_IDS)
    params = query_of(page.url)
    assert params["q"] == ["Shanxi"] and params["city"] == ["Taiyuan"]
    expect(page.locator("input[name=city][value=Taiyuan]")).to_be_checked()
    for cities in page.locator("#results li.result .cities").all_inner_texts():
        assert "Taiyuan" in cities
    page.screenshot(path=str(screenshots / "search-city.png"), full_page=True)

    page.go_back()
    page.wait_for_url(before)
    wait_for_results(page, SHANXI_IDS)
    expect(page.locator("input[name=city][value=Taiyuan]")).not_to_be_checked()

    page.go_forward()
    page.wait_for_url(re.compile(r"[?&]city=Taiyuan"))
    wait_for_results(page, SHANXI_TAIYUAN_IDS)


def test_back_from_the_back_forward_cache_matches_the_url(browser: Any, launch_options: dict[str, Any],
                                                          live_server: str) -> None:
    """Real browsers keep pages in the back/forward cache (Playwright's launch turns it off):
    after ticking a city and going back, the restored page must not show the box still ticked
    beside the unfiltered results. Needs a second Chromium with the cache on."""
    real = browser.browser_type.launch(**launch_options, ignore_default_args=["--disable-back-forward-cache"])
    try:
        page = real.new_page(base_url=live_server)
        page.set_default_timeout(10_000)
        page.add_init_script("addEventListener('pageshow', e => { window.__restored = e.persisted; })")
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/?q=Shanxi")
        wait_for_results(page, SHANXI_IDS)
        page.locator("input[name=city][value=Taiyuan]").check()
        page.wait_for_url(re.compile(r"[?&]city=Taiyuan"))
        wait_for_results(page, SHANXI_TAIYUAN_IDS)
        page.go_back(wait_until="commit")  # a page restored from the cache fires no load event
        page.wait_for_url(re.compile(r"q=Shanxi$"), wait_until="commit")
        wait_for_results(page, SHANXI_IDS)
        restored = (page.evaluate("window.__restored") and "restored from the back/forward cache") or "reloaded"
        assert not errors, errors
        assert not page.locator("input[name=city][value=Taiyuan]").is_checked(), (
            f"after Back (page {restored}) the results are unfiltered but Taiyuan is still ticked")
    finally:
        real.close()


def test_open_article_highlights_query(page: Any, screenshots: Path) -> None:
    search_by_typing(page, "airport")
    wait_for_results(page, AIRPORT_IDS)
    link = page.locator("#results .result h2 a").first
    title = link.inner_text().strip()
    link.click()
    page.wait_for_url(re.compile(r"/article/"))
    assert urlsplit(page.url).path[len("/article/"):] in AIRPORT_IDS
    assert query_of(page.url).get("q") == ["airport"]
    expect(page.locator("h1")).to_have_count(1)
    assert page.locator("h1").inner_text().strip() == title
    expect(page.locator(".article-meta")).to_have_count(1)
    assert page.locator(".article-body p").count() >= 2
    marks = page.locator(".article-body mark")
    assert marks.count() >= 1
    assert all(re.fullmatch(r"airports?", t.strip(), re.I) for t in marks.all_inner_texts()), marks.all_inner_texts()
    expect(page.locator("#related")).to_have_count(1)
    page.screenshot(path=str(screenshots / "article.png"), full_page=True)


def test_suggestion_relaxed_timeline_and_pagination(page: Any) -> None:
    page.goto("/?q=airprt")
    expect(page.locator("#no-results")).to_be_visible()
    suggestion = page.locator("#suggestion a")
    expect(suggestion).to_have_text("airport")
    suggestion.click()
    page.wait_for_url(re.compile(r"[?&]q=airport"))
    wait_for_results(page, AIRPORT_IDS)

    page.goto("/?q=airport+zebra")
    expect(page.locator("#relaxed-notice")).to_be_visible()
    wait_for_results(page, AIRPORT_IDS)

    # A bar of the timeline filters to its year.
    page.goto("/?q=Shanxi")
    page.locator("figure#timeline svg a[href*='from=2021-01-01']").click()
    page.wait_for_url(re.compile(r"from=2021-01-01"))
    params = query_of(page.url)
    assert params["q"] == ["Shanxi"] and params["to"] == ["2021-12-31"]
    expect(page.locator("#results li.result")).to_have_count(1)
    expect(page.locator("input[name=from]")).to_have_value("2021-01-01")

    # Pagination: two per page, the next page shows other articles.
    page.goto("/?q=Shanxi&per_page=2")
    first = result_ids(page)
    nav = page.locator("nav[aria-label=Pagination]")
    expect(nav.locator("[aria-current=page]")).to_have_text("1")
    nav.locator("a[rel=next]").click()
    page.wait_for_url(re.compile(r"[?&]page=2"))
    expect(page.locator("#results li.result")).to_have_count(2)
    assert not (result_ids(page) & first)
    assert query_of(page.url)["per_page"] == ["2"]


# ---------------------------------------------------------------- without JavaScript

def test_form_works_without_javascript(new_page: Callable[..., Any]) -> None:
    page = new_page(java_script_enabled=False)
    page.goto("/")
    page.locator("#q").fill("airport")
    page.locator("#search-button").click()
    page.wait_for_url(re.compile(r"[?&]q=airport"))
    wait_for_results(page, AIRPORT_IDS)
    assert page.locator("#results p.snippet mark").count() >= 2

    page.locator("#q").fill("Shanxi")
    page.locator("input[name=city][value=Taiyuan]").check()
    assert query_of(page.url).get("city") is None, "the page changed with JavaScript off"
    page.locator("#search-button").click()
    page.wait_for_url(re.compile(r"[?&]city=Taiyuan"))
    params = query_of(page.url)
    assert params["q"] == ["Shanxi"] and params["city"] == ["Taiyuan"]
    wait_for_results(page, SHANXI_TAIYUAN_IDS)
    expect(page.locator("input[name=city][value=Taiyuan]")).to_be_checked()

    page.locator("#results .result h2 a").first.click()
    page.wait_for_url(re.compile(r"/article/"))
    expect(page.locator("h1")).to_have_count(1)
    assert page.locator(".article-body mark").count() >= 1


# ---------------------------------------------------------------- hostile content

def test_hostile_article_runs_no_script(page: Any) -> None:
    search_by_typing(page, "Hostile")
    wait_for_results(page, {HOSTILE_ID})
    link = page.locator("#results .result h2 a")
    assert "<script>window.__pwned=1</script>" in link.inner_text()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    link.click()
    page.wait_for_url(re.compile(rf"/article/{HOSTILE_ID}"))
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.__pwned") == "undefined"

    h1 = page.locator("h1").inner_text()
    assert "<script>window.__pwned=1</script>" in h1
    assert '<img src=x onerror="window.__pwned=2">' in h1
    body = page.locator(".article-body").inner_text()
    assert "<script>window.__pwned=3</script>" in body
    assert "javascript:alert(1)" in body
    # The markup is text, not elements.
    assert page.locator("img[src=x], img[onerror]").count() == 0
    assert page.locator("a[href^='javascript:' i]").count() == 0
    scripts = page.locator("script").evaluate_all("els => els.map(e => e.textContent)")
    assert not any("__pwned" in s for s in scripts)
    assert page.locator(".article-meta b").count() == 0, "the author's <b> markup became an element"


# ---------------------------------------------------------------- phone width

@pytest.mark.parametrize("path", ["/?q=Shanxi&city=Taiyuan", "/article/003_b8c9e442042d1bdf?q=airport", "/api-docs"],
                         ids=["search", "article", "api-docs"])
def test_phone_viewport_has_no_horizontal_scroll(new_page: Callable[..., Any], path: str, screenshots: Path) -> None:
    page = new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page.goto(path)
    page.wait_for_load_state("load")
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"{path}: the page is {width}px wide on a {PHONE['width']}px screen"
    name = "phone-search.png" if path.startswith("/?") else "phone-article.png"
    page.screenshot(path=str(screenshots / name))  # the first screenful, as a phone shows it


@pytest.mark.parametrize("path", [
    f"/?q={LONG_URL}",
    "/?q=" + "x" * 300,
    "/?q=" + "x" * 300 + "&city=Datong&sort=newest",
    "/?q=quokka",
    f"/article/{LONG_ID}?q=quokka",
    "/article/003_b8c9e442042d1bdf?q=" + "y" * 300 + "&city=Taiyuan",
], ids=["url-query", "long-word-query", "long-word-with-filters", "long-words-in-results", "long-words-article",
        "long-query-back-link"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_long_unbroken_text_wraps_on_a_phone(new_page: Callable[..., Any], path: str, javascript: bool) -> None:
    page = new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                    java_script_enabled=javascript)
    assert page.goto(path).status == 200
    page.wait_for_load_state("load")
    if path.startswith("/?q=x"):
        expect(page.locator("#no-results strong")).to_have_text("x" * 300)  # echoed, in full
    if path == "/?q=quokka":
        wait_for_results(page, {LONG_ID})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path}: the page is {width}px wide on a {PHONE['width']}px screen"


def _top(page: Any, selector: str) -> float:
    return page.locator(selector).first.evaluate("el => el.getBoundingClientRect().top")  # type: ignore[no-any-return]


def test_filters_ticked_on_a_phone_apply_in_place(new_page: Callable[..., Any], screenshots: Path) -> None:
    page = new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page.goto("/?q=coal")
    panel = page.locator("#filter-panel")
    expect(panel).not_to_have_attribute("open", "")  # folded on a phone
    page.locator("#filter-panel > summary").click()
    expect(panel).to_have_attribute("open", "")
    page.locator("input[name=city][value=Taiyuan]").check()  # applies at once, in place
    page.wait_for_url(re.compile(r"[?&]city=Taiyuan"))
    wait_for_results(page, COAL_TAIYUAN_IDS)
    assert query_of(page.url) == {"q": ["coal"], "city": ["Taiyuan"]}
    # The panel stays open and focus stays on the box just ticked: a second city is one tap away.
    expect(panel).to_have_attribute("open", "")
    assert page.evaluate("[document.activeElement.name, document.activeElement.value]") == ["city", "Taiyuan"]
    expect(page.locator("#filter-panel > summary")).to_have_text("Filters (1 active)")
    expect(page.locator("#active-filters a")).to_have_text(["Remove Taiyuan 太原"])
    expect(page.locator("#live-status")).to_have_text(re.compile(r"^3 results"))
    page.screenshot(path=str(screenshots / "phone-filtered.png"))
    page.locator("input[name=city][value=Datong]").check()
    page.wait_for_url(re.compile(r"city=Taiyuan&city=Datong"))
    expect(page.locator("#active-filters a")).to_have_text(["Remove Taiyuan 太原", "Remove Datong 大同", "Remove all filters"])
    expect(panel).to_have_attribute("open", "")
    expect(page.locator("input[name=city][value=Taiyuan]")).to_be_checked()


def test_a_filter_applied_on_a_phone_without_javascript_shows_its_results(new_page: Callable[..., Any]) -> None:
    page = new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, java_script_enabled=False)
    page.goto("/?q=coal")
    expect(page.locator("#filter-panel")).to_have_attribute("open", "")  # nothing can fold it
    # The open panel is taller than the screen: its first line is a way past it.
    jump = page.locator("#filter-panel .jump-link a")
    expect(jump).to_have_text("Show the 4 results")
    assert _top(page, "#filter-panel .jump-link a") < PHONE["height"] / 2
    assert _top(page, "#results li.result h2") > PHONE["height"], "the results fit above the fold anyway"
    jump.click()
    page.wait_for_url(re.compile(r"#results-area$"))
    assert 0 <= _top(page, "#results li.result h2") < PHONE["height"]

    page.goto("/?q=coal")
    page.locator("input[name=city][value=Taiyuan]").check()
    page.locator("#apply-button").click()
    page.wait_for_url(re.compile(r"[?&]city=Taiyuan.*#results-area$"))
    wait_for_results(page, COAL_TAIYUAN_IDS)
    assert page.evaluate("scrollY") > 0
    for selector in ("#result-count", "#active-filters", "#results li.result h2"):
        assert 0 <= _top(page, selector) < PHONE["height"] - 40, f"{selector} is off the screen"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_desktop_keeps_its_open_filters_and_its_place(new_page: Callable[..., Any], javascript: bool) -> None:
    page = new_page(java_script_enabled=javascript)
    page.goto("/?q=coal&city=Taiyuan")
    expect(page.locator("#filter-panel")).to_have_attribute("open", "")
    expect(page.locator("#filter-panel .jump-link")).to_be_hidden()
    filters = page.locator("aside#filters").bounding_box()
    results = page.locator("#results").bounding_box()
    assert filters["x"] + filters["width"] <= results["x"], "the filters no longer sit beside the results"
    page.locator("input[name=city][value=Datong]").check()
    page.locator("#apply-button").click()
    page.wait_for_url(re.compile(r"[?&]city=Datong"))
    assert page.evaluate("scrollY") == 0, "applying the filters scrolled the desktop page"
    expect(page.locator("#active-filters a")).to_have_text(
        ["Remove Taiyuan 太原", "Remove Datong 大同", "Remove all filters"])


def test_back_to_the_results_keeps_every_filter(page: Any) -> None:
    page.goto("/?q=Shanxi")
    page.locator("input[name=city][value=Taiyuan]").check()
    page.wait_for_url(re.compile(r"[?&]city=Taiyuan"))
    page.locator("select[name=sort]").select_option("newest")
    page.wait_for_url(re.compile(r"[?&]sort=newest"))
    results = page.url
    assert urlsplit(results).query == "q=Shanxi&city=Taiyuan&sort=newest"
    shown = page.locator("#results .result h2 a").evaluate_all("els => els.map(e => e.getAttribute('href'))")

    page.locator("#results .result h2 a").nth(1).click()
    page.wait_for_url(re.compile(r"/article/"))
    assert urlsplit(page.url).query == "q=Shanxi&city=Taiyuan&sort=newest"
    back = page.locator(".back-link a")
    expect(back).to_have_text("Back to the results for “Shanxi”")
    back.click()
    page.wait_for_url(results)
    assert page.locator("#results .result h2 a").evaluate_all("els => els.map(e => e.getAttribute('href'))") == shown
    expect(page.locator("input[name=city][value=Taiyuan]")).to_be_checked()
    expect(page.locator("select[name=sort]")).to_have_value("newest")


# ---------------------------------------------------------------- headers

def test_security_headers_and_a_clean_console(page: Any) -> None:
    for path in ("/?q=airport&city=Taiyuan", "/article/004_860ced496ef7d71d?q=airport"):
        response = page.goto(path)
        assert response.status == 200
        headers = response.all_headers()
        csp = headers.get("content-security-policy", "")
        assert re.search(r"script-src[^;]*'self'", csp), f"{path}: no script-src 'self' in the CSP: {csp!r}"
        assert "unsafe-inline" not in re.search(r"script-src[^;]*", csp).group(0)
        assert headers.get("x-content-type-options") == "nosniff"
        page.wait_for_load_state("load")
    # The new_page fixture fails the test if any CSP violation or other error was logged.


# ---------------------------------------------------------------- accessibility

AUDITED = {
    "search": ("/?q=Shanxi", 200),
    "search-dark": ("/?q=Shanxi&city=Taiyuan", 200),
    "article-dark": ("/article/003_b8c9e442042d1bdf?q=airport", 200),
    "search-filtered": ("/?q=Shanxi&city=Taiyuan&sort=newest", 200),
    "no-results": ("/?q=zzqxyzzy", 200),
    "not-found": ("/article/no-such-article", 404),
    "article": ("/article/003_b8c9e442042d1bdf?q=airport", 200),
    "article-from-filtered-search": ("/article/003_b8c9e442042d1bdf?q=airport&city=Taiyuan&year=2021&sort=newest", 200),
    "search-many-filters": ("/?q=Shanxi&city=Taiyuan&year=2021&year=2022&from=2019-01-01", 200),
    "long-query": (f"/?q={LONG_URL}", 200),
    "api-docs": ("/api-docs", 200),
    "api-docs-dark": ("/api-docs", 200),
}


@pytest.mark.parametrize("name", list(AUDITED))
def test_axe_no_serious_violations(new_page: Callable[..., Any], axe_audit: Callable[[Any, str], None], name: str) -> None:
    path, status = AUDITED[name]
    # bypass_csp lets the injected axe script run; this context is for the audit only.
    allow = [r"status of 404"] if status == 404 else []
    page = new_page(bypass_csp=True, allow_console=allow, color_scheme="dark" if name.endswith("-dark") else "light")
    response = page.goto(path)
    assert response.status == status
    if name == "no-results":
        expect(page.locator("#no-results")).to_be_visible()
    if name.startswith("search"):
        expect(page.locator("#results li.result").first).to_be_visible()
        expect(page.locator("aside#filters")).to_be_visible()
    axe_audit(page, path)
