"""Completions for the search box (app.js over /api/suggest) in a real browser: the WAI-ARIA
combobox, keyboard and pointer choices, stale and failed requests, escaping, axe with the list
open, a phone's width, and the plain field without JavaScript.

Seeds facts used here: the words starting with "air" are airport, aircraft and airports (airport
the most frequent); no headline has such a word, but q=air* finds the two airport articles
(003_b8c9e442042d1bdf, 004_860ced496ef7d71d), listed under "Articles". The browser seeds add the
hostile article (conftest.HOSTILE_TITLE), whose headline starts with markup.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser

HOSTILE_ID = "zz_hostile"  # conftest.HOSTILE_ID and HOSTILE_TITLE: the hostile article of the browser seeds
HOSTILE_TITLE = '<script>window.__pwned=1</script> Hostile <img src=x onerror="window.__pwned=2"> headline'
AIRPORT_IDS = {"003_b8c9e442042d1bdf", "004_860ced496ef7d71d"}
AIRPORT_TITLES = {"Work report reveals Shanxi remains on task", "Jincheng pursues socioeconomic development, opening up"}
PHONE = {"width": 375, "height": 740}
LISTBOX = "#q-suggestions"
OPTIONS = "#q-suggestions [role=option]"
QUERY_OPTIONS = "#q-suggestions [role=group][aria-labelledby=q-suggestions-searches] [role=option]"
ARTICLE_OPTIONS = "#q-suggestions [role=group][aria-labelledby=q-suggestions-articles] [role=option]"


def expect(*args: Any) -> Any:
    from playwright.sync_api import expect as pw_expect

    return pw_expect(*args)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def suggest_requests(page: Any) -> list[str]:
    """Every /api/suggest URL the page asks for, in order (a live list)."""
    seen: list[str] = []
    page.on("request", lambda req: seen.append(req.url) if "/api/suggest" in req.url else None)
    return seen


def type_into_box(page: Any, text: str, path: str = "/") -> Any:
    """Open path, type text into the emptied search box key by key, and wait for the list to open."""
    page.goto(path)
    box = page.locator("#q")
    box.fill("")
    box.press_sequentially(text)
    expect(page.locator(LISTBOX)).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    return box


def option_texts(page: Any, selector: str = OPTIONS) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


# ---------------------------------------------------------------- what the list shows

def test_typing_air_offers_airport_and_the_airport_articles(page: Any) -> None:
    page.goto("/")
    box = page.locator("#q")
    # The combobox, closed until something is typed.
    expect(box).to_have_attribute("role", "combobox")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_attribute("aria-controls", "q-suggestions")
    expect(box).to_have_attribute("aria-autocomplete", "list")
    expect(page.locator(LISTBOX)).to_have_attribute("role", "listbox")
    expect(page.locator(LISTBOX)).to_be_hidden()

    type_into_box(page, "air")
    searches = option_texts(page, QUERY_OPTIONS)
    assert "airport" in searches and searches[0] == "airport", searches
    assert all(s.startswith("air") for s in searches), searches
    assert set(option_texts(page, ARTICLE_OPTIONS)) == AIRPORT_TITLES
    # Every option has an id unique on the page, and nothing is highlighted yet.
    ids = page.locator(OPTIONS).evaluate_all("els => els.map(e => e.id)")
    assert len(set(ids)) == len(ids) and all(ids)
    assert box.get_attribute("aria-activedescendant") is None
    expect(page.locator(f"{OPTIONS}[aria-selected=true]")).to_have_count(0)
    # The groups are named for assistive technology, and the count is announced.
    expect(page.locator("#q-suggestions-searches")).to_have_text("Searches")
    expect(page.locator("#q-suggestions-articles")).to_have_text("Articles")
    expect(page.locator("#q-suggestions-status")).to_contain_text(f"{len(ids)} suggestions")


@pytest.mark.parametrize(("typed", "first"), [("dat", "Datong"), ("太", "太原"), ("coal sha", "coal Shanxi")])
def test_a_city_comes_first_as_written(page: Any, typed: str, first: str) -> None:
    type_into_box(page, typed)
    assert option_texts(page, QUERY_OPTIONS)[0] == first


def test_nothing_is_asked_for_a_last_word_under_two_letters(page: Any) -> None:
    requests = suggest_requests(page)
    page.goto("/")
    box = page.locator("#q")
    box.press_sequentially("a")
    page.wait_for_timeout(400)
    box.press_sequentially("ir ")  # "air " ends with a space: no last word to complete
    page.wait_for_timeout(400)
    box.press_sequentially("c")
    page.wait_for_timeout(400)
    assert requests == [], requests
    expect(page.locator(LISTBOX)).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")


def test_typing_is_debounced(page: Any) -> None:
    requests = suggest_requests(page)
    type_into_box(page, "airport")  # six prefixes of two letters or more, typed without a pause
    page.wait_for_timeout(400)
    assert 1 <= len(requests) <= 2, requests
    assert query_of(requests[-1])["q"] == ["airport"]
    # The completion equal to the typed text is left out; the longer one stays.
    assert option_texts(page, QUERY_OPTIONS) == ["airports"]


def test_titles_are_text_never_markup(page: Any) -> None:
    type_into_box(page, "Hostile")
    titles = option_texts(page, ARTICLE_OPTIONS)
    assert HOSTILE_TITLE in titles, titles
    assert page.locator(f"{LISTBOX} img, {LISTBOX} script").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.locator(ARTICLE_OPTIONS, has_text="Hostile").click()
    page.wait_for_url(re.compile(rf"/article/{HOSTILE_ID}$"))
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_field_values_and_operators(page: Any) -> None:
    box = type_into_box(page, "city:ta")
    assert option_texts(page, QUERY_OPTIONS) == ["city:Taiyuan", "city:Datong", "city:Taigu"]
    # After an operator there is nothing to complete: the list closes.
    requests = suggest_requests(page)
    box.fill("")
    box.press_sequentially("coal OR")
    deadline = time.monotonic() + 10
    while not any(query_of(u).get("q") == ["coal OR"] for u in requests) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    page.wait_for_timeout(300)
    expect(page.locator(LISTBOX)).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")


def test_only_article_pages_of_this_site_are_offered(page: Any) -> None:
    origin = "http://evil.example"
    unsafe = [
        "/\t/evil.example/article/x",  # a browser strips the tab: "//evil.example/..."
        "/\n/evil.example/article/x",
        "//evil.example/article/x",
        "/\\evil.example/article/x",  # a backslash reads as a slash
        "\\/evil.example/article/x",
        f"{origin}/article/x",
        "javascript:alert(1)//article/",
        "data:text/html,<script>alert(1)</script>",
        "/article/../search?q=x",  # resolves outside /article/
        "/search?q=air",
        None, 42, ["/article/x"],
    ]
    page.goto("/")
    here = page.evaluate("location.origin")
    answer: list[dict[str, Any]] = [{"id": f"u{i}", "title": f"Unsafe {i}", "url": url} for i, url in enumerate(unsafe)]
    answer += [{"id": "g0", "title": "Safe path", "url": "/article/004_860ced496ef7d71d"},
               {"id": "g1", "title": "Safe full URL", "url": f"{here}/article/003_b8c9e442042d1bdf?q=air#top"}]

    def handle(route: Any) -> None:
        q = query_of(route.request.url)["q"][0]
        route.fulfill(status=200, content_type="application/json", body=json.dumps({"query": q, "words": [], "titles": answer}))

    page.route("**/api/suggest?*", handle)
    type_into_box(page, "air")
    assert option_texts(page, ARTICLE_OPTIONS) == ["Safe path", "Safe full URL"]
    page.locator(ARTICLE_OPTIONS, has_text="Safe full URL").click()
    page.wait_for_url(f"{here}/article/003_b8c9e442042d1bdf?q=air#top")


# ---------------------------------------------------------------- keyboard

def test_keyboard_highlights_fills_the_box_and_submits(page: Any) -> None:
    box = type_into_box(page, "air")
    count = page.locator(OPTIONS).count()
    first, second = page.locator(OPTIONS).nth(0), page.locator(OPTIONS).nth(1)

    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    expect(first).to_have_attribute("aria-selected", "true")
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", second.get_attribute("id"))
    expect(first).to_have_attribute("aria-selected", "false")
    box.press("ArrowUp")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    # Up from the first option goes back to the typed text; Up again wraps to the last option.
    box.press("ArrowUp")
    assert box.get_attribute("aria-activedescendant") is None
    box.press("ArrowUp")
    expect(box).to_have_attribute("aria-activedescendant", page.locator(OPTIONS).nth(count - 1).get_attribute("id"))
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") is None
    # The focus never left the box, and its text is still what was typed.
    assert page.evaluate("document.activeElement.id") == "q"
    expect(box).to_have_value("air")

    box.press("ArrowDown")
    expect(first).to_have_text("airport")
    box.press("Enter")
    page.wait_for_url(re.compile(r"[?&]q=airport$"))
    assert query_of(page.url) == {"q": ["airport"]}
    expect(page.locator("#q")).to_have_value("airport")
    expect(page.locator("#results li.result")).to_have_count(2)


def test_enter_with_nothing_highlighted_searches_the_typed_text(page: Any) -> None:
    box = type_into_box(page, "air")
    box.press("Enter")
    page.wait_for_url(re.compile(r"[?&]q=air$"))
    assert query_of(page.url) == {"q": ["air"]}


def test_keyboard_opens_an_article(page: Any) -> None:
    box = type_into_box(page, "air")
    box.press("ArrowUp")  # the last option: an article
    last = page.locator(OPTIONS).last
    expect(box).to_have_attribute("aria-activedescendant", last.get_attribute("id"))
    title = last.inner_text().strip()
    assert title in AIRPORT_TITLES
    box.press("Enter")
    page.wait_for_url(re.compile(r"/article/"))
    assert urlsplit(page.url).path[len("/article/"):] in AIRPORT_IDS
    expect(page.locator("h1")).to_have_text(title)


def test_escape_closes_and_keeps_the_text(page: Any) -> None:
    box = type_into_box(page, "air")
    box.press("ArrowDown")
    box.press("Escape")
    expect(page.locator(LISTBOX)).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    assert box.get_attribute("aria-activedescendant") is None
    expect(box).to_have_value("air")  # a search field would clear itself on Escape
    assert page.evaluate("document.activeElement.id") == "q"
    # Down brings the same list back; Enter after Escape searches what was typed.
    box.press("ArrowDown")
    expect(page.locator(LISTBOX)).to_be_visible()
    box.press("Escape")
    expect(page.locator(LISTBOX)).to_be_hidden()
    box.press("Enter")
    page.wait_for_url(re.compile(r"[?&]q=air$"))


def test_tab_leaves_the_box_and_closes_the_list(page: Any) -> None:
    box = type_into_box(page, "air")
    box.press("ArrowDown")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "search-button"
    expect(page.locator(LISTBOX)).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    assert box.get_attribute("aria-activedescendant") is None
    assert urlsplit(page.url).query == "", "Tab submitted the form"


# ---------------------------------------------------------------- pointer and touch

def test_clicking_a_completion_searches_it_and_filters_stay(page: Any) -> None:
    type_into_box(page, "coal mi", path="/?q=coal&city=Taiyuan")
    page.locator(QUERY_OPTIONS, has_text=re.compile(r"^coal mines$")).click()
    page.wait_for_url(re.compile(r"[?&]q=coal\+mines"))
    assert query_of(page.url) == {"q": ["coal mines"], "city": ["Taiyuan"]}


def test_clicking_a_title_opens_the_article(page: Any) -> None:
    type_into_box(page, "air")
    option = page.locator(ARTICLE_OPTIONS).first
    title = option.inner_text().strip()
    option.click()
    page.wait_for_url(re.compile(r"/article/"))
    assert urlsplit(page.url).path[len("/article/"):] in AIRPORT_IDS
    expect(page.locator("h1")).to_have_text(title)


def test_clicking_elsewhere_closes_the_list(page: Any) -> None:
    type_into_box(page, "air")
    page.locator("h1").click()
    expect(page.locator(LISTBOX)).to_be_hidden()
    expect(page.locator("#q")).to_have_attribute("aria-expanded", "false")


def test_fits_a_phone_and_a_tap_picks(new_page: Callable[..., Any]) -> None:
    page = new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page.goto("/")
    page.locator("#q").tap()
    page.locator("#q").press_sequentially("Hostil")  # the longest title there is
    listbox = page.locator(LISTBOX)
    expect(listbox).to_be_visible()
    box = listbox.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    for rect in page.locator(OPTIONS).evaluate_all("els => els.map(e => e.getBoundingClientRect().toJSON())"):
        assert rect["left"] >= 0 and rect["right"] <= PHONE["width"], rect
        assert rect["height"] >= 32, f"an option {rect['height']}px tall is hard to tap"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator(QUERY_OPTIONS).first.tap()
    page.wait_for_url(re.compile(r"[?&]q=hostile"))


# ---------------------------------------------------------------- stale and failed requests

def test_a_late_answer_never_replaces_a_newer_one(page: Any) -> None:
    held: list[Any] = []
    aborted: list[str] = []

    def handle(route: Any) -> None:
        if query_of(route.request.url).get("q") == ["coa"]:
            held.append(route)  # answered later, after the newer request
        else:
            route.continue_()

    page.route("**/api/suggest?*", handle)
    page.on("requestfailed", lambda req: aborted.append(req.url) if "/api/suggest" in req.url else None)
    page.goto("/")
    box = page.locator("#q")
    box.press_sequentially("coa")
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, "the page never asked about 'coa'"
    box.press_sequentially("l")
    expect(page.locator(LISTBOX)).to_be_visible()
    expect(page.locator(QUERY_OPTIONS).first).to_have_text("coalbed")
    # Typing on aborted the older request...
    assert any(query_of(u).get("q") == ["coa"] for u in aborted), aborted
    # ...and its answer, however late, is not shown.
    try:
        held[0].fulfill(status=200, content_type="application/json",
                        body='{"query": "coa", "words": ["coa STALE"], "titles": []}')
    except Exception:  # the page cancelled it: nothing to answer
        pass
    page.wait_for_timeout(300)
    assert not any("STALE" in t for t in option_texts(page)), option_texts(page)
    expect(page.locator(QUERY_OPTIONS).first).to_have_text("coalbed")


@pytest.mark.parametrize("answer", [
    {"status": 500, "content_type": "application/json", "body": '{"error": {"status": 500, "message": "x"}}'},
    {"status": 200, "content_type": "text/html", "body": "<html>not json</html>"},
    {"status": 200, "content_type": "application/json", "body": '{"query": "air", "words": "airport", "titles": [null, 3]}'},
    None,  # the connection fails
], ids=["http-500", "not-json", "wrong-shape", "network-error"])
def test_a_failing_api_leaves_a_plain_search_box(new_page: Callable[..., Any], answer: dict[str, Any] | None) -> None:
    # Chromium itself logs a failed load; the page's own code must log nothing.
    page = new_page(allow_console=[r"status of 500", r"net::ERR_FAILED"])
    asked: list[str] = []

    def handle(route: Any) -> None:
        asked.append(route.request.url)
        if answer is None:
            route.abort()
        else:
            route.fulfill(**answer)

    page.route("**/api/suggest?*", handle)
    page.goto("/")
    box = page.locator("#q")
    box.press_sequentially("air")
    deadline = time.monotonic() + 10
    while not asked and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert asked
    page.wait_for_timeout(300)
    expect(page.locator(LISTBOX)).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press("ArrowDown")
    expect(page.locator(LISTBOX)).to_be_hidden()
    box.press("Enter")
    page.wait_for_url(re.compile(r"[?&]q=air$"))


# ---------------------------------------------------------------- accessibility and no JavaScript

@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_axe_with_the_list_open(new_page: Callable[..., Any], axe_audit: Callable[[Any, str], None],
                                viewport: dict[str, int] | None) -> None:
    options: dict[str, Any] = {"bypass_csp": True}  # lets the injected axe script run
    if viewport:
        options.update(viewport=viewport, is_mobile=True, has_touch=True)
    page = new_page(**options)
    box = type_into_box(page, "air", path="/?q=Shanxi")
    expect(page.locator(ARTICLE_OPTIONS).first).to_be_visible()
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", re.compile(r"^q-option-"))
    axe_audit(page, "the page with the completions open")
    expect(page.locator(LISTBOX)).to_be_visible()  # the audit ran on the open list


def test_without_javascript_the_box_is_a_plain_search_field(new_page: Callable[..., Any]) -> None:
    page = new_page(java_script_enabled=False)
    requests = suggest_requests(page)
    page.goto("/")
    box = page.locator("#q")
    assert box.get_attribute("role") is None and box.get_attribute("aria-expanded") is None
    expect(page.locator(LISTBOX)).to_have_count(0)
    box.press_sequentially("airpo")
    page.wait_for_timeout(400)
    assert requests == []
    box.press_sequentially("rt")
    box.press("Enter")
    page.wait_for_url(re.compile(r"[?&]q=airport(&|$)"))  # without JavaScript empty fields stay in the URL
    expect(page.locator("#results li.result")).to_have_count(2)
