"""The HTML pages and the Atom feed through Flask's test client: the DOM contract, errors, escaping."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from seed_facts import A0, A3, A4

from search_app.backends.whoosh.indexer import build
from search_app.config import Settings
from search_app.web.app import create_app

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
ATOM = "{http://www.w3.org/2005/Atom}"
EVIL_TITLE = "Evil <script>alert(1)</script> title <img src=x onerror=alert(1)>"
EVIL_BODY = ("Coal news from Datong says <script>alert(1)</script> and <img src=x onerror=alert(1)> "
             "appear in this text about Datong mines.")
EVIL_ID = "region/north/evil"


# ---------------------------------------------------------------- a small DOM for assertions

@dataclass
class Node:
    """One element of a parsed page."""

    tag: str
    attrs: dict[str, str]
    children: list[Any] = field(default_factory=list)  # Nodes and text strings

    def text(self) -> str:
        """All the text inside, whitespace collapsed."""
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return re.sub(r"\s+", " ", " ".join(parts)).strip()

    def walk(self) -> Iterator[Node]:
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.walk()

    def all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        """Descendants with this tag and these attribute values (class_ matches one class)."""
        found = []
        for node in self.walk():
            if tag and node.tag != tag:
                continue
            wanted = {k.rstrip("_"): v for k, v in attrs.items()}
            cls = wanted.pop("class", None)
            if cls and cls not in node.attrs.get("class", "").split():
                continue
            if all(node.attrs.get(k) == v for k, v in wanted.items()):
                found.append(node)
        return found

    def one(self, tag: str | None = None, **attrs: str) -> Node:
        """The only descendant matching."""
        found = self.all(tag, **attrs)
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def dom(response: Any) -> Node:
    """Parse an HTML response, checking that every element is closed in order."""
    builder = _Builder()
    builder.feed(response.get_data(as_text=True))
    builder.close()
    assert builder.stack == [builder.root]
    return builder.root


def result_ids(page: Node) -> list[str]:
    return [li.one("a").attrs["href"].split("?")[0].removeprefix("/article/") for li in page.all("li", class_="result")]


# ---------------------------------------------------------------- a private index with hostile and nested articles

@pytest.fixture()
def evil_client(tmp_path: Path):
    """A client over a private index: one hostile article in a subfolder, one plain one."""
    seeds = tmp_path / "seeds"
    (seeds / "region" / "north").mkdir(parents=True)
    (seeds / "region" / "north" / "evil.txt").write_text(
        f"{EVIL_TITLE}\n\nSource: China Daily\n\nUpdated: 2023-04-05\n\n{EVIL_BODY}\n\nA second paragraph about Datong coal & \"quotes\".\n",
        "utf-8")
    (seeds / "plain.txt").write_text("Datong coal output rises\n\nUpdated: 2023-01-02\n\nDatong mines dug more coal.\n", "utf-8")
    build(seeds, tmp_path / "index")
    app = create_app({"SETTINGS": Settings(seeds=seeds, index=tmp_path / "index"), "TESTING": True})
    yield app.test_client()
    app.extensions["search_app"].close()


# ---------------------------------------------------------------- the search page

def test_page_skeleton_is_accessible_and_csp_clean(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    page = dom(response)
    assert page.one("html").attrs["lang"] == "en"
    assert page.one("meta", name="viewport").attrs["content"] == "width=device-width, initial-scale=1"
    skips = page.all("a")[:2]  # the search page: to the results first, then to the main content
    assert [(a.attrs["href"], a.text()) for a in skips] == [("#results-area", "Skip to results"), ("#main", "Skip to main content")]
    assert page.one("main").attrs["id"] == "main"
    # A strict CSP holds: scripts and styles only from files, never inline.
    assert [s.attrs["src"] for s in page.all("script")] == ["/static/app.js"]
    assert [link.attrs["href"] for link in page.all("link", rel="stylesheet")] == ["/static/app.css"]
    assert page.all("style") == []
    assert [n.tag for n in page.walk() if "style" in n.attrs or any(a.startswith("on") for a in n.attrs)] == []
    # Headings never skip a level.
    levels = [int(n.tag[1]) for n in page.walk() if re.fullmatch(r"h[1-6]", n.tag)]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in itertools.pairwise(levels))


def test_search_form_contract(client):
    page = dom(client.get("/?q=airport&city=Taiyuan&from=2019-01-01&sort=oldest"))
    form = page.one("form", id="search-form")
    assert (form.attrs["role"], form.attrs["method"], form.attrs["action"]) == ("search", "get", "/")
    box = form.one("input", id="q")
    assert (box.attrs["name"], box.attrs["type"], box.attrs["value"]) == ("q", "search", "airport")
    assert "autofocus" in box.attrs
    assert form.one("label", for_="q").text() == "Search articles"
    assert form.one("button", id="search-button").attrs["type"] == "submit"
    filters = form.one("aside", id="filters")
    assert [f.one("legend").text() for f in filters.all("fieldset")] == ["City", "Source", "Year", "Date"]
    assert filters.one("input", name="from").attrs == {"id": "from", "type": "date", "name": "from", "value": "2019-01-01"}
    assert filters.one("input", name="to").attrs == {"id": "to", "type": "date", "name": "to", "value": ""}
    sort = filters.one("select", name="sort")
    assert [(o.attrs["value"], "selected" in o.attrs) for o in sort.all("option")] == [
        ("relevance", False), ("newest", False), ("oldest", True)]


def test_facet_checkboxes_show_labels_counts_and_state(client):
    page = dom(client.get("/?city=Taiyuan"))
    city = page.one("fieldset", class_="facet-city")
    labels = [(lab.one("input").attrs["value"], "checked" in lab.one("input").attrs, lab.text()) for lab in city.all("label")]
    assert labels[:3] == [("Taiyuan", True, "Taiyuan 太原 (4)"), ("Changzhi", False, "Changzhi 长治 (2)"),
                          ("Jincheng", False, "Jincheng 晋城 (2)")]
    assert len(labels) == 11  # every city is listed, even with no articles
    assert all(lab.one("input").attrs["type"] == "checkbox" and lab.one("input").attrs["name"] == "city" for lab in city.all("label"))
    source = page.one("fieldset", class_="facet-source")
    assert [lab.text() for lab in source.all("label")] == ["China Daily (2)", "Shanxi Daily (1)", "Unknown source (1)"]
    year = page.one("fieldset", class_="facet-year")
    assert [(lab.one("input").attrs["name"], lab.text()) for lab in year.all("label")] == [
        ("year", "2022 (1)"), ("year", "2021 (1)"), ("year", "2019 (1)")]
    active = page.one("ul", id="active-filters")
    assert [(a.attrs["href"], a.text()) for a in active.all("a")] == [("/", "Remove Taiyuan 太原")]


def test_results_list_contract(client):
    page = dom(client.get("/?q=airport"))
    count = page.one("p", id="result-count")
    live = page.one("p", id="live-status")  # announces counts swapped in place; empty on a page load
    assert (live.attrs["role"], live.attrs["aria-live"], live.text()) == ("status", "polite", "")
    assert re.fullmatch(r"2 results \(\d+ ms\)", count.text())
    assert result_ids(page) == ["003_b8c9e442042d1bdf", "004_860ced496ef7d71d"]
    first = page.one("ol", id="results").all("li", class_="result")[0]
    link = first.one("h2").one("a")
    assert (link.attrs["href"], link.text()) == ("/article/003_b8c9e442042d1bdf?q=airport", "Work report reveals Shanxi remains on task")
    assert first.one("p", class_="meta").text() == "2021-11-05 · Shanxi Daily"
    assert [li.text() for li in first.one("ul", class_="cities").all("li")] == ["Linfen 临汾", "Taiyuan 太原", "Yangquan 阳泉"]
    snippet = first.one("p", class_="snippet")
    assert [m.text() for m in snippet.all("mark")] == ["Airport", "airport", "airports", "airport"]


def test_empty_query_shows_newest_and_all_facets(client):
    page = dom(client.get("/"))
    assert result_ids(page) == ["000_5ca391961da276a5", "001_0b108123ccd7e2b3", "003_b8c9e442042d1bdf",
                                "004_860ced496ef7d71d", "002_d26b102950b0f93f"]
    assert re.fullmatch(r"5 results, newest first \(\d+ ms\)", page.one("p", id="result-count").text())
    oldest = dom(client.get("/?sort=oldest"))
    assert re.fullmatch(r"5 results, oldest first \(\d+ ms\)", oldest.one("p", id="result-count").text())
    ranked = dom(client.get("/?q=airport"))
    assert re.fullmatch(r"2 results \(\d+ ms\)", ranked.one("p", id="result-count").text())
    city = dom(client.get("/?q=%E5%A4%AA%E5%8E%9F"))  # 太原
    assert re.fullmatch(r"4 results, most about the city first \(named in the headline, then most often in the text, "
                        r"then newest\) \(\d+ ms\)", city.one("p", id="result-count").text())
    assert result_ids(city) == ["002_d26b102950b0f93f", "003_b8c9e442042d1bdf", "000_5ca391961da276a5",
                                "004_860ced496ef7d71d"]
    undated = page.all("li", class_="result")[-1].one("p", class_="meta")
    assert undated.text() == "Undated · China Daily"
    assert page.all("nav") == []  # one page only
    assert page.all("p", id="no-results") == [] and page.all("div", id="no-results") == []


def test_city_filter_in_chinese_and_source_filter(client):
    assert result_ids(dom(client.get("/?city=太原"))) == ["000_5ca391961da276a5", "003_b8c9e442042d1bdf",
                                                          "004_860ced496ef7d71d", "002_d26b102950b0f93f"]
    assert result_ids(dom(client.get("/?source=China+Daily"))) == ["004_860ced496ef7d71d", "002_d26b102950b0f93f"]


def test_timeline_bars_link_to_date_ranges(client):
    page = dom(client.get("/"))
    figure = page.one("figure", id="timeline")
    svg = figure.one("svg")
    assert (svg.attrs["role"], svg.attrs["aria-labelledby"]) == ("group", "timeline-caption")
    bars = [(a.attrs["href"], a.one("title").text()) for a in svg.all("a")]
    assert bars == [("/?from=2019-01-01&to=2019-12-31", "2019: 1 article"),
                    ("/?from=2020-01-01&to=2020-12-31", "2020: 0 articles"),
                    ("/?from=2021-01-01&to=2021-12-31", "2021: 1 article"),
                    ("/?from=2022-01-01&to=2022-12-31", "2022: 2 articles")]
    assert figure.one("figcaption").text() == (
        "Matching articles per year, 2019–2022. Select a bar to show only that year. 1 undated article is not shown.")
    months = dom(client.get("/?from=2022-01-01&to=2022-12-31")).one("figure", id="timeline")
    assert len(months.all("a")) == 12
    assert months.all("a")[2].attrs["href"] == "/?from=2022-03-01&to=2022-03-31"


def test_suggestion_link_with_count(client):
    page = dom(client.get("/?q=airprot"))
    suggestion = page.one("p", id="suggestion")
    assert suggestion.text() == "Did you mean airport ? (2 results)"
    assert suggestion.one("a").attrs["href"] == "/?q=airport&corrected_from=airprot"  # the access log counts it
    assert page.one("div", id="no-results").text() == "No articles match airprot . Try other or fewer words, or browse the newest articles ."


def test_no_results_with_filters_says_what_matches_without_them(client):
    page = dom(client.get("/?q=airport&city=Datong"))
    box = page.one("div", id="no-results")
    assert box.text() == "No articles match airport with these filters. Without the filters, 2 articles match ."
    assert box.one("a").attrs["href"] == "/?q=airport"
    assert page.all("ol", id="results") == []


def test_relaxed_notice(client):
    page = dom(client.get("/?q=airport+zebra"))
    assert page.one("p", id="relaxed-notice").text() == ("Not every result contains all of your words: articles with "
                                                          "more of them, and rarer ones, come first.")
    assert result_ids(page) == ["003_b8c9e442042d1bdf", "004_860ced496ef7d71d"]


def test_pagination_nav(client):
    page = dom(client.get("/?per_page=2&page=2"))
    nav = page.one("nav")
    assert nav.attrs["aria-label"] == "Pagination"
    assert [(a.attrs["href"], a.text(), a.attrs.get("aria-current")) for a in nav.all("a")] == [
        ("/?per_page=2", "Previous", None), ("/?per_page=2", "1", None), ("/?page=2&per_page=2", "2", "page"),
        ("/?page=3&per_page=2", "3", None), ("/?page=3&per_page=2", "Next", None)]
    assert page.one("ol", id="results").attrs["start"] == "3"
    # per_page survives a new search from the form.
    assert page.one("input", type="hidden").attrs == {"type": "hidden", "name": "per_page", "value": "2"}
    beyond = dom(client.get("/?per_page=2&page=7"))
    assert beyond.one("div", id="no-results").text().startswith("There is no page 7: the results end on page 3.")


@pytest.mark.parametrize(("query", "message"), [
    ("page=-1", "page must be between 1 and 1000."),
    ("page=abc", "page must be a whole number between 1 and 1000, not &#39;abc&#39;."),
    ("per_page=100000", "per_page must be between 1 and 100."),
    ("from=yesterday-ish", "&#39;from&#39; must be a date written YYYY-MM-DD, not &#39;yesterday-ish&#39;."),
    ("sort=bogus", "Unknown sort &#39;bogus&#39;: use one of relevance, newest, oldest."),
])
def test_bad_parameters_show_a_friendly_400_page(client, query, message):
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    assert response.content_type == "text/html; charset=utf-8"
    html = response.get_data(as_text=True)
    assert f'<p class="error-message">{message}</p>' in html
    page = dom(response)
    assert page.one("h1").text() == "That request could not be understood"
    assert [a.text() for a in page.all("a", href="/")] == ["Shanxi news search 山西新闻", "Back to the search page"]


def test_unknown_pages_are_friendly_404s(client):
    for path in ("/article/no-such-id", "/article/a/b/c", "/nothing/here"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert dom(response).one("h1").text() == "Not found"
        assert "Traceback" not in response.get_data(as_text=True)


def test_post_is_refused_on_html_routes(client):
    response = client.post("/", data={"q": "coal"})
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert dom(response).one("p", class_="error-message").text() == (
        "This address only answers GET requests: nothing can be changed over the web.")


def test_security_headers_on_pages_and_errors(client):
    for path in ("/", "/article/003_b8c9e442042d1bdf", "/?page=abc", "/nothing", "/feed.atom"):
        headers = client.get(path).headers
        assert headers["Content-Security-Policy"] == (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
            "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"), path
        assert (headers["X-Content-Type-Options"], headers["Referrer-Policy"], headers["X-Frame-Options"]) == (
            "nosniff", "same-origin", "DENY")


def test_static_files_are_served(client):
    for name, kind, needle in (("app.css", "text/css", "#filters"), ("app.js", "text/javascript", "requestSubmit")):
        with client.get(f"/static/{name}") as response:
            assert response.status_code == 200
            assert response.content_type.startswith(kind)
            assert needle in response.get_data(as_text=True)
            assert response.headers["X-Content-Type-Options"] == "nosniff"


# ---------------------------------------------------------------- the article page

def test_article_page_contract(client):
    response = client.get("/article/003_b8c9e442042d1bdf?q=airport")
    assert response.status_code == 200
    page = dom(response)
    assert page.one("h1").text() == "Work report reveals Shanxi remains on task"
    meta = page.one("dl", class_="article-meta")
    assert [(dt.text(), dd.text()) for dt, dd in zip(meta.all("dt"), meta.all("dd"))] == [
        ("Date", "2021-11-05"), ("Source", "Shanxi Daily"), ("Author", "Yuan Shenggao"),
        ("Cities", "Linfen 临汾 Taiyuan 太原 Yangquan 阳泉")]
    assert [a.attrs["href"] for a in meta.all("a")] == ["/?city=Linfen", "/?city=Taiyuan", "/?city=Yangquan"]
    body = page.one("div", class_="article-body")
    paragraphs = body.all("p")
    api = client.get("/api/articles/003_b8c9e442042d1bdf").get_json()
    assert len(paragraphs) == len(api["paragraphs_html"])
    assert paragraphs[0].text() == api["body"].split("\n\n")[0]
    assert {m.text() for m in body.all("mark")} == {"Airport", "airport", "airports"}
    related = page.one("section", id="related")
    assert [a.attrs["href"] for a in related.all("a")] == [  # each keeps the way back to the same results
        "/article/001_0b108123ccd7e2b3?q=airport", "/article/002_d26b102950b0f93f?q=airport",
        "/article/000_5ca391961da276a5?q=airport", "/article/004_860ced496ef7d71d?q=airport"]
    assert page.one("p", class_="original-file").text() == "Original file: 003_b8c9e442042d1bdf.txt"
    assert page.one("p", class_="back-link").one("a").attrs["href"] == "/?q=airport"


def test_article_page_without_query_has_no_marks(client):
    page = dom(client.get("/article/002_d26b102950b0f93f"))
    assert page.all("mark") == []
    assert page.one("dl", class_="article-meta").all("dd")[0].text() == "Undated"
    back = page.one("p", class_="back-link").one("a")
    assert (back.attrs["href"], back.text()) == ("/", "Search all articles")


# ---------------------------------------------------------------- from the results to an article and back

SEARCHES = {  # each a results page exactly as the page's own links and the search form write it
    "query, city, sort": "/?q=coal&city=Taiyuan&sort=newest",
    "every filter": "/?q=Shanxi&city=%E5%A4%AA%E5%8E%9F&source=China+Daily&year=2019&from=2019-01-01"
                    "&to=2022-12-31&sort=oldest",
    "page and per_page": "/?q=Shanxi&city=Taiyuan&sort=oldest&page=2&per_page=2",
    "filters only": "/?city=Taiyuan&year=2022&year=2019&per_page=3",
}


@pytest.mark.parametrize("search", list(SEARCHES.values()), ids=list(SEARCHES))
def test_result_links_carry_the_search_and_the_back_link_returns_to_it(client, search):
    query = search.removeprefix("/?")
    page = dom(client.get(search))
    links = [li.one("h2").one("a").attrs["href"] for li in page.all("li", class_="result")]
    assert links, f"{search} lists no article"
    assert all(href.split("?", 1)[1] == query for href in links), links
    # The JSON API renders the same links.
    api = client.get("/api/search?" + query).get_json()
    assert [r["url"] for r in api["results"]] == links
    for href in links:
        response = client.get(href)
        assert response.status_code == 200, href
        back = dom(response).one("p", class_="back-link").one("a")
        assert back.attrs["href"] == search, href
        q = dict(pair.split("=") for pair in query.split("&")).get("q")
        assert back.text() == (f"Back to the results for “{q}”" if q else "Back to the results")
    # And the back link's page is the very page the article was opened from.
    assert result_ids(dom(client.get(back.attrs["href"]))) == result_ids(page)


def test_the_article_still_highlights_the_query_of_a_filtered_search(client):
    page = dom(client.get("/article/003_b8c9e442042d1bdf?q=airport&city=Taiyuan&sort=newest&page=1"))
    assert {m.text() for m in page.one("div", class_="article-body").all("mark")} == {"Airport", "airport", "airports"}
    assert page.one("p", class_="back-link").one("a").attrs["href"] == "/?q=airport&city=Taiyuan&sort=newest"


@pytest.mark.parametrize(("state", "back"), [
    ("q=airport&city=Taiyuan&page=abc&sort=bogus", "/?q=airport&city=Taiyuan"),
    ("q=airport&from=2022-13-01&to=2022-12-31&per_page=100000&year=19", "/?q=airport&to=2022-12-31"),
    ("q=airport&from=2022-01-01&to=2021-01-01&sort=newest", "/?q=airport&from=2022-01-01&to=2021-01-01&sort=newest"),
    ("city=Taiyuan&page=-3", "/?city=Taiyuan"),
])
def test_a_malformed_search_behind_an_article_is_dropped_not_refused(client, state, back):
    response = client.get(f"/article/003_b8c9e442042d1bdf?{state}")
    assert response.status_code == 200
    page = dom(response)
    assert page.one("p", class_="back-link").one("a").attrs["href"] == back
    assert client.get(back).status_code == 200


def test_a_no_javascript_form_url_comes_back_as_the_same_results(client):
    # Without JavaScript the form also sends its empty fields; the links leave them out.
    sent = "/?q=Shanxi&city=Taiyuan&from=&to=&sort=relevance"
    page = dom(client.get(sent))
    first = page.one("ol", id="results").all("li", class_="result")[0].one("h2").one("a").attrs["href"]
    assert first.split("?", 1)[1] == "q=Shanxi&city=Taiyuan"
    back = dom(client.get(first)).one("p", class_="back-link").one("a").attrs["href"]
    assert back == "/?q=Shanxi&city=Taiyuan"
    assert result_ids(dom(client.get(back))) == result_ids(page)


def test_api_article_ignores_the_search_state(client):
    plain = client.get("/api/articles/003_b8c9e442042d1bdf?q=airport").get_json()
    with_state = client.get("/api/articles/003_b8c9e442042d1bdf?q=airport&city=Taiyuan&sort=newest&page=abc")
    assert with_state.status_code == 200
    assert with_state.get_json() == plain


def test_feed_entries_open_articles_with_the_feed_page_behind_them(client):
    root = ET.fromstring(client.get("/feed.atom?q=coal&city=Taiyuan").data)
    links = [e.find(f"{ATOM}link").get("href") for e in root.findall(f"{ATOM}entry")]
    assert links and all(h.endswith("?q=coal&city=Taiyuan&sort=newest") for h in links), links
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href") == "http://localhost/?q=coal&city=Taiyuan&sort=newest"


# ---------------------------------------------------------------- active filters and the filter panel

def test_active_filters_are_chips_that_remove_one_filter_each(client):
    search = "/?q=airport&city=%E5%A4%AA%E5%8E%9F&source=Nowhere&year=2021&year=2019&from=2019-01-01"
    page = dom(client.get(search))
    chips = page.one("ul", id="active-filters")
    assert [(a.attrs["href"], a.text()) for a in chips.all("a")] == [
        ("/?q=airport&source=Nowhere&year=2021&year=2019&from=2019-01-01", "Remove Taiyuan 太原"),
        ("/?q=airport&city=%E5%A4%AA%E5%8E%9F&year=2021&year=2019&from=2019-01-01", "Remove Nowhere"),
        ("/?q=airport&city=%E5%A4%AA%E5%8E%9F&source=Nowhere&year=2019&from=2019-01-01", "Remove 2021"),
        ("/?q=airport&city=%E5%A4%AA%E5%8E%9F&source=Nowhere&year=2021&from=2019-01-01", "Remove 2019"),
        ("/?q=airport&city=%E5%A4%AA%E5%8E%9F&source=Nowhere&year=2021&year=2019", "Remove dates from 2019-01-01"),
        ("/?q=airport", "Remove all filters"),
    ]
    assert page.one("summary").text() == "Filters (5 active)"
    data = client.get("/api/search" + search.removeprefix("/")).get_json()
    assert [(f["facet"], f["value"], f["label"]) for f in data["active_filters"]] == [
        ("city", "Taiyuan", "Taiyuan 太原"), ("source", "Nowhere", "Nowhere"), ("year", "2021", "2021"),
        ("year", "2019", "2019"), ("date", "2019-01-01/", "dates from 2019-01-01")]
    assert data["clear_filters_url"] == "/?q=airport"
    unfiltered = dom(client.get("/?q=airport&sort=newest"))
    assert unfiltered.all("ul", id="active-filters") == []
    assert unfiltered.one("summary").text() == "Filters"
    assert client.get("/api/search?q=airport").get_json()["active_filters"] == []


def test_filter_panel_offers_a_way_to_the_results(client):
    page = dom(client.get("/?q=airport&city=Taiyuan&per_page=5"))
    panel = page.one("details", id="filter-panel")
    assert "open" in panel.attrs  # open without JavaScript; app.js folds it on a phone
    jump = panel.one("p", class_="jump-link").one("a")
    assert (jump.attrs["href"], jump.text()) == ("#results-area", "Show the 2 results")
    assert page.one("section", id="results-area").one("p", id="result-count")
    apply = panel.one("button", id="apply-button")
    assert (apply.attrs["type"], apply.attrs["formaction"]) == ("submit", "/#results-area")
    # The hidden per_page comes after the filters, so a submitted URL has the links' order.
    form = page.one("form", id="search-form")
    assert [n.attrs["name"] for n in form.all("input") if "name" in n.attrs][-1] == "per_page"
    assert dom(client.get("/?q=zzqxyzzy")).one("p", class_="jump-link").text() == "Skip to the results"


# ---------------------------------------------------------------- hostile content and ids with "/"

def test_hostile_article_is_shown_literally_in_search_results(evil_client):
    response = evil_client.get("/?q=datong")
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = dom(response)
    assert [s.attrs.get("src") for s in page.all("script")] == ["/static/app.js"]
    assert page.all("img") == []
    titles = [li.one("h2").text() for li in page.all("li", class_="result")]
    assert EVIL_TITLE in titles


def test_hostile_article_page_and_json_keep_the_text(evil_client):
    response = evil_client.get(f"/article/{EVIL_ID}?q=coal")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    page = dom(response)
    assert page.one("h1").text() == EVIL_TITLE
    first = page.one("div", class_="article-body").all("p")[0]
    assert first.text() == EVIL_BODY
    assert [m.text() for m in first.all("mark")] == ["Coal"]
    assert page.all("img") == []
    assert page.one("p", class_="original-file").text() == "Original file: region/north/evil.txt"
    data = evil_client.get(f"/api/articles/{EVIL_ID}").get_json()
    assert (data["id"], data["title"], data["path"]) == (EVIL_ID, EVIL_TITLE, "region/north/evil.txt")
    assert data["title_html"] == "Evil &lt;script&gt;alert(1)&lt;/script&gt; title &lt;img src=x onerror=alert(1)&gt;"
    assert data["paragraphs_html"][1] == "A second paragraph about Datong coal &amp; &quot;quotes&quot;."


def test_ids_with_slashes_link_and_resolve(evil_client):
    data = evil_client.get("/api/search?q=datong&sort=newest").get_json()
    assert [(r["id"], r["url"]) for r in data["results"]] == [
        (EVIL_ID, f"/article/{EVIL_ID}?q=datong&sort=newest"), ("plain", "/article/plain?q=datong&sort=newest")]
    assert evil_client.get(f"/article/{EVIL_ID}").status_code == 200
    assert evil_client.get(f"/api/articles/{EVIL_ID}").status_code == 200
    assert evil_client.get("/article/region/north").status_code == 404
    assert evil_client.get("/api/articles/region/north").status_code == 404


# ---------------------------------------------------------------- the Atom feed

def test_feed_is_atom_newest_first(client):
    response = client.get("/feed.atom?city=Taiyuan&sort=relevance")
    assert response.status_code == 200
    assert response.content_type == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}title").text == "Shanxi news search"
    entries = root.findall(f"{ATOM}entry")
    # The undated article (002) is left out: a feed entry needs a date, and a stand-in would look new.
    assert [e.find(f"{ATOM}id").text for e in entries] == [
        "http://localhost/article/000_5ca391961da276a5", "http://localhost/article/003_b8c9e442042d1bdf",
        "http://localhost/article/004_860ced496ef7d71d"]
    updated = [e.find(f"{ATOM}updated").text for e in entries]
    assert updated == ["2022-09-29T00:00:00Z", "2021-11-05T00:00:00Z", "2019-09-02T00:00:00Z"]
    assert root.find(f"{ATOM}updated").text == max(updated)
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "http://localhost/feed.atom?city=Taiyuan&sort=relevance"
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href") == "http://localhost/?city=Taiyuan&sort=newest"


def test_feed_escapes_hostile_text_and_marks(evil_client):
    response = evil_client.get("/feed.atom?q=datong")
    root = ET.fromstring(response.data)  # well-formed despite the markup in the article
    assert root.find(f"{ATOM}title").text == "Shanxi news search: datong"
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == [EVIL_TITLE, "Datong coal output rises"]
    summary = entries[0].find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    assert "<mark>Datong</mark>" in summary.text and "&lt;script&gt;" in summary.text


def test_feed_stays_well_formed_with_control_characters_in_an_article(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "esc.txt").write_text("Datong \x1b[31mred\x1b[0m coal \x9b1m\n\nSource: Esc\x07 Daily\n\nUpdated: 2023-04-05\n\n"
                                   "Datong coal \x1b]0;x\x07 mines." + " More coal was dug in Datong." * 4 + "\n", "utf-8")
    build(seeds, tmp_path / "index")
    app = create_app({"SETTINGS": Settings(seeds=seeds, index=tmp_path / "index")})
    try:
        response = app.test_client().get("/feed.atom?q=datong")
    finally:
        app.extensions["search_app"].close()
    entry = ET.fromstring(response.data).find(f"{ATOM}entry")  # XML allows no control character (but tab and newlines)
    assert (entry.find(f"{ATOM}title").text, entry.find(f"{ATOM}author/{ATOM}name").text) == (
        "Datong [31mred [0m coal 1m", "Esc\\x07 Daily")  # a title's control characters are dropped at ingest
    assert "\\x1b]0;x\\x07 mines." in entry.find(f"{ATOM}summary").text


def test_feed_bad_parameter_is_a_400_page(client):
    response = client.get("/feed.atom?from=soon")
    assert response.status_code == 400
    assert dom(response).one("h1").text() == "That request could not be understood"


def test_timeline_labels_stay_readable_with_many_years() -> None:
    from search_app.models import SearchRequest
    from search_app.web.timeline import MAX_LABELS, build_timeline

    years = [{"value": str(y), "label": str(y), "count": 3, "selected": False} for y in range(1987, 2027)]
    response = {"total": 120, "facets": {"year": years}}
    timeline = build_timeline(response, SearchRequest(), lambda req: {"results": []})
    assert timeline is not None and len(timeline["bars"]) == 40
    labelled = [b["label"] for b in timeline["bars"] if b["show_label"]]
    assert labelled == ["1987", "1991", "1995", "1999", "2003", "2007", "2011", "2015", "2019", "2023"]
    assert len(labelled) <= MAX_LABELS and not any(b["show_count"] for b in timeline["bars"])
    assert timeline["bars"][0]["x"] >= 16 and timeline["bars"][-1]["x"] + timeline["bars"][-1]["width"] <= 600 - 16


def test_dates_the_wrong_way_round_show_as_searched(client):
    page = dom(client.get("/?q=airport&from=2023-12-31&to=2019-01-01"))
    assert page.one("input", name="from").attrs["value"] == "2019-01-01"
    assert page.one("input", name="to").attrs["value"] == "2023-12-31"
    data = client.get("/api/search?q=airport&from=2023-12-31&to=2019-01-01").get_json()
    assert (data["params"]["from"], data["params"]["to"]) == ("2019-01-01", "2023-12-31")
    assert data["notices"] == ["The dates were the wrong way round: searched from 2019-01-01 to 2023-12-31."]
    assert [f["label"] for f in data["active_filters"]] == ["dates from 2019-01-01 to 2023-12-31"]


def test_a_notice_is_shown_once(client):
    data = client.get("/api/search?q=coal+zebra+city:Atlantis&city=Atlantis").get_json()
    assert data["notices"] == ["Unknown city 'Atlantis': try a Shanxi city such as Taiyuan or 太原."]


def test_the_api_page_documents_every_endpoint_with_a_live_example(client):
    html = client.get("/api-docs")
    assert html.status_code == 200
    page = dom(html)
    spec = client.get("/api/openapi.json").get_json()
    sections = page.all("section", class_="endpoint")
    assert [s.one("h2").text() for s in sections] == [f"GET {path}" for path in spec["paths"]]
    search = sections[list(spec["paths"]).index("/api/search")]
    assert [row.all("td")[0].text() for row in search.one("tbody").all("tr")] == [
        "q", "city", "source", "year", "from", "to", "sort", "page", "per_page"]
    example = search.one("pre").text()
    assert '"total": 3' in example and '"query": "coal"' in example  # run against the seeds just now
    article = sections[list(spec["paths"]).index("/api/articles/{id}")]
    assert '"id": "000_5ca391961da276a5"' in article.one("pre").text()  # the newest seed
    footer = page.one("footer")
    assert [(a.attrs["href"], a.text()) for a in footer.all("a")] == [("/api-docs", "JSON API")]


@pytest.mark.parametrize(("query", "every", "some"), [
    ("q=logistics+airport", [A3, A4], [A0]),  # 000 has logistics only
    ("q=logistics+airport&per_page=2&page=2", [], [A0]),  # a page of the second part only: its heading on top
    ("q=airport", [A3, A4], []),  # one word: no second part
])
def test_articles_with_some_of_the_words_follow_under_their_own_heading(client, query, every, some):
    page = dom(client.get("/?" + query))
    lists = page.all("ol")
    listed = [[a.attrs["href"].split("?")[0].rsplit("/", 1)[1] for a in ol.all("a") if "/article/" in a.attrs["href"]]
              for ol in lists]
    assert listed == [part for part in (every, some) if part]
    headings = [h.text() for h in page.all("h2", id="some-words")]
    assert headings == (["Articles with some of your words"] if some else [])
    assert page.one("p", id="result-count").text().startswith("3 results, 2 with every word" if some else "2 results")
