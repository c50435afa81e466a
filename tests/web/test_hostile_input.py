"""Hostile input: property tests over the search request (core and /api/search),
schemathesis against the OpenAPI document, injection through articles and queries, resource limits."""

from __future__ import annotations

import copy
import datetime as dt
import html
import json
import re
import time
from html.parser import HTMLParser
from typing import Any

import jsonschema
import pytest
import schemathesis
from helpers import article_text, copy_seeds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search_app.backends.whoosh.indexer import build
from search_app.backends.whoosh.reader import IndexHandle
from search_app.backends.whoosh.search import search
from search_app.config import Settings
from search_app.errors import BadRequest
from search_app.models import MAX_PER_PAGE, SORTS, SearchRequest
from search_app.query.contract import MAX_PAGE
from search_app.web.app import create_app

HYPO = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# ---------------------------------------------------------------- the OpenAPI document as validators


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The document the running app serves (not the Python function behind it)."""
    from helpers import SEEDS

    from search_app.backends.whoosh.indexer import build as build_index

    index_dir = tmp_path_factory.mktemp("oaix")
    build_index(SEEDS, index_dir)
    app = create_app({"SETTINGS": Settings(seeds=SEEDS, index=index_dir), "TESTING": True})
    try:
        response = app.test_client().get("/api/openapi.json")
    finally:
        app.extensions["search_app"].close()
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


def validator(document: dict[str, Any], name: str, components: dict[str, Any] | None = None) -> jsonschema.Draft202012Validator:
    schema = {"$ref": f"#/components/schemas/{name}", "components": components or document["components"]}
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def core_validator(document: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """SearchPage as the core returns it: without the links the web layer adds."""
    components = copy.deepcopy(document["components"])
    schemas = components["schemas"]
    for name, link in (("Result", "url"), ("FacetValue", "toggle_url"), ("Suggestion", "url")):
        schemas[name]["required"].remove(link)
    page = schemas["SearchPage"]
    page["required"] = ["query", "total", "some_words_from", "page", "per_page", "pages", "sort", "order", "results", "facets", "suggestion",
                        "relaxed", "timed_out", "notices", "generation", "took_ms"]
    page["additionalProperties"] = False
    page["properties"] = {k: v for k, v in page["properties"].items() if k in page["required"]}
    return validator(document, "SearchPage", components)


def assert_valid(v: jsonschema.Draft202012Validator, data: Any) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in v.iter_errors(data)]
    assert errors == []


# ---------------------------------------------------------------- strategies

TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=80)
HOSTILE = [
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "javascript:alert(1)", "&amp &#xZZ; &lt",
    "\u202eevil\u202c", "zero\u200bwidth\ufeff", "a" * 3000, "\x00\x01\x1b[31m", "((((((((((coal", "\"unclosed",
    "OR OR OR", "- - -", "title:", "city:", "source:\"", "year:abcd", "indus*", "a*", "*", "**a**", "a*b*c*d*",
    "NOT", "太原 煤炭", "ﷺ", "Ｔａｉｙｕａｎ", "\\", "%00", "../../etc/passwd", "' OR 1=1 --", "{{7*7}}",
    "city:(taiyuan OR 太原)", "title:(coal OR -steel)", "\"\"", "()", ")(", "|| && !",
]
QUERY = st.one_of(TEXT, st.sampled_from(HOSTILE), st.lists(st.one_of(st.sampled_from(HOSTILE), TEXT), max_size=6).map(" ".join))
CITY_OK = st.sampled_from(["Taiyuan", "太原", "datong", "Xiaodian", "Lvliang", "Jincheng"])
SOURCE_OK = st.sampled_from(["China Daily", "chinadaily.com.cn", "Shanxi Daily", "xinhua"])
DATE = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


def garbage(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(valid, TEXT, st.integers(-10**12, 10**12).map(str), st.sampled_from(["", " ", "1e3", "0x10", "٣", "NaN", "2022-02-30", "99999-01-01", "9" * 5000]))


VALID_PARAMS = st.fixed_dictionaries({
    "q": QUERY,
    "city": st.lists(CITY_OK, max_size=3),
    "source": st.lists(SOURCE_OK, max_size=2),
    "year": st.lists(st.integers(1990, 2030).map(str), max_size=3),
    "from": st.one_of(st.none(), st.just("2019-01-01")),
    "to": st.one_of(st.none(), st.just("2023-12-31")),
    "sort": st.sampled_from(SORTS),
    "page": st.integers(1, MAX_PAGE).map(str),
    "per_page": st.integers(1, MAX_PER_PAGE).map(str),
})
ANY_PARAMS = st.fixed_dictionaries({
    "q": QUERY,
    "city": st.lists(garbage(CITY_OK), max_size=4),
    "source": st.lists(garbage(SOURCE_OK), max_size=3),
    "year": st.lists(garbage(st.integers(1990, 2030).map(str)), max_size=3),
    "from": st.one_of(st.none(), garbage(DATE.map(dt.date.isoformat))),
    "to": st.one_of(st.none(), garbage(DATE.map(dt.date.isoformat))),
    "sort": garbage(st.sampled_from(SORTS)),
    "page": garbage(st.integers(-3, MAX_PAGE + 3).map(str)),
    "per_page": garbage(st.integers(-3, MAX_PER_PAGE + 3).map(str)),
})


def pairs(params: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        out += [(key, v) for v in value] if isinstance(value, list) else [(key, value)]
    return out


# ---------------------------------------------------------------- the core


@HYPO
@given(
    q=QUERY,
    cities=st.lists(st.one_of(CITY_OK, TEXT), max_size=4),
    sources=st.lists(st.one_of(SOURCE_OK, TEXT), max_size=3),
    years=st.lists(st.integers(-10**6, 10**6), max_size=3),
    date_from=st.one_of(st.none(), DATE),
    date_to=st.one_of(st.none(), DATE),
    sort=st.one_of(st.sampled_from(SORTS), TEXT),
    page=st.integers(-5, 10**9),
    per_page=st.integers(-5, 10**6),
)
def test_core_search_answers_or_refuses_any_request(
    handle: IndexHandle, openapi: dict[str, Any], q: str, cities: list[str], sources: list[str], years: list[int],
    date_from: dt.date | None, date_to: dt.date | None, sort: str, page: int, per_page: int,
) -> None:
    req = SearchRequest(q=q, cities=tuple(cities), sources=tuple(sources), years=tuple(years), date_from=date_from,
                        date_to=date_to, sort=sort, page=page, per_page=per_page)
    valid = sort in SORTS and 1 <= page <= MAX_PAGE and 1 <= per_page <= MAX_PER_PAGE
    started = time.monotonic()
    if not valid:
        with pytest.raises(BadRequest) as info:
            search(handle, req)
        assert info.value.status == 400 and info.value.message
        return
    data = search(handle, req)
    assert time.monotonic() - started < 5
    assert_valid(core_validator(openapi), data)
    assert (data["page"], data["per_page"]) == (page, per_page)
    assert len(data["results"]) <= per_page
    assert data["total"] <= 5
    for hit in data["results"]:
        assert re.sub(r"</?mark>", "", hit["snippet"]).count("<") == 0
        assert re.sub(r"</?mark>", "", hit["title_html"]).count("<") == 0


# ---------------------------------------------------------------- /api/search


def _check_api(client: Any, openapi: dict[str, Any], params: dict[str, Any], must_succeed: bool) -> None:
    started = time.monotonic()
    response = client.get("/api/search", query_string=pairs(params))
    assert time.monotonic() - started < 5
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    assert response.mimetype == "application/json"
    assert response.status_code in ((200,) if must_succeed else (200, 400)), body[:500]
    data = json.loads(body)
    if response.status_code == 200:
        assert_valid(validator(openapi, "SearchPage"), data)
        assert data["params"]["sort"] == (params["sort"].strip() or "relevance")
        for hit in data["results"]:
            assert re.sub(r"</?mark>", "", hit["snippet"]).count("<") == 0
    else:
        assert_valid(validator(openapi, "Error"), data)
        assert data["error"]["status"] == 400 and data["error"]["message"].strip()


@pytest.mark.slow  # seconds each: `make test` runs it, `make test-fast` does not
@HYPO
@given(params=VALID_PARAMS)
def test_api_search_answers_every_valid_request(client: Any, openapi: dict[str, Any], params: dict[str, Any]) -> None:
    _check_api(client, openapi, params, must_succeed=True)


@HYPO
@given(params=ANY_PARAMS)
def test_api_search_never_fails_on_garbage(client: Any, openapi: dict[str, Any], params: dict[str, Any]) -> None:
    _check_api(client, openapi, params, must_succeed=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=ANY_PARAMS, path=st.sampled_from(["/", "/feed.atom"]))
def test_html_and_feed_never_fail_on_garbage(client: Any, params: dict[str, Any], path: str) -> None:
    response = client.get(path, query_string=pairs(params))
    body = response.get_data(as_text=True)
    assert response.status_code in (200, 400), body[:500]
    assert "Traceback" not in body
    assert response.mimetype == ("application/atom+xml" if path == "/feed.atom" and response.status_code == 200 else "text/html")


@pytest.mark.slow  # seconds each: `make test` runs it, `make test-fast` does not
@HYPO
@given(q=QUERY, article=st.sampled_from(["", "003_b8c9e442042d1bdf"]))
def test_suggest_and_article_highlight_take_any_text(client: Any, openapi: dict[str, Any], q: str, article: str) -> None:
    if article:
        response = client.get(f"/api/articles/{article}", query_string={"q": q})
        assert response.status_code == 200
        assert_valid(validator(openapi, "Article"), response.get_json())
        for para in response.get_json()["paragraphs_html"]:
            assert re.sub(r"</?mark>", "", para).count("<") == 0
    else:
        response = client.get("/api/suggest", query_string={"q": q})
        assert response.status_code == 200
        assert_valid(validator(openapi, "Suggest"), response.get_json())


# ---------------------------------------------------------------- schemathesis


# schemathesis.pytest.from_fixture (its lazy loader) does not run under pytest 9 (it sets Function._nodeid),
# so each operation's strategy is driven by Hypothesis directly, with schemathesis' own checks.
OPERATIONS = ["GET /api/search", "GET /api/articles/{id}", "GET /api/suggest", "GET /healthz"]


@pytest.mark.slow  # seconds each: `make test` runs it, `make test-fast` does not
@pytest.mark.parametrize("label", OPERATIONS)
def test_schemathesis(app: Any, label: str) -> None:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    api = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operation = api.find_operation_by_label(label)
    assert operation is not None
    calls = []

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call_and_validate(checks=[not_a_server_error, response_schema_conformance,
                                                  status_code_conformance, content_type_conformance])
        calls.append(response.status_code)

    run()
    assert len(calls) >= (1 if label == "GET /healthz" else 10)
    assert set(calls) <= {200, 400, 404}


# ---------------------------------------------------------------- injection through an article

SCRIPT = "<script>alert('pwned')</script>"
EVIL_BODY = (
    f"Taiyuan officials said {SCRIPT} was found in the feed. "
    "An image <img src=x onerror=\"alert(2)\"> and a <a href=\"javascript:alert(3)\">link</a> followed. "
    "Broken entities &amp &#xZZ; &lt and &#0; stay as written. "
    "Right-to-left \u202etxet desrever\u202c and zero\u200bwidth\u200d joiners appear. "
    "The word xylograph appears here.\n\n"
    f"{'w' * 10_000} is a very long word.\n\n"
    "The second paragraph mentions xylograph again with <b onmouseover=alert(4)>bold</b> text."
)
EVIL_TITLE = "Xylograph <script>alert(5)</script> & <i onerror=x>news</i>"


@pytest.fixture(scope="module")
def evil(tmp_path_factory: pytest.TempPathFactory) -> Any:
    base = tmp_path_factory.mktemp("evil")
    seeds = copy_seeds(base / "seeds")
    (seeds / "evil.txt").write_text(article_text(EVIL_TITLE, EVIL_BODY, "2023-04-01"), "utf-8")
    (seeds / "evil2.json").write_text(json.dumps({
        "title": "Javascript link <a href='javascript:alert(6)'>xylograph</a>", "body": EVIL_BODY,
        "source": "<script>src()</script>", "author": "<img src=x onerror=alert(7)>", "date": "2023-04-02",
    }), "utf-8")
    report = build(seeds, base / "index")
    assert report.skipped == [] and report.total == 7
    app = create_app({"SETTINGS": Settings(seeds=seeds, index=base / "index"), "TESTING": True})
    yield app.test_client()
    app.extensions["search_app"].close()


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text between tags (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script:
            self.tags.append(("script-body", {"text": data}))
        self.text.append(data)


def parse_html(body: str) -> Tags:
    parser = Tags()
    parser.feed(body)
    parser.close()
    return parser


def assert_escaped(body: str) -> str:
    """No markup from an article or a query survives as markup; return the page's text."""
    parser = Tags()
    parser.feed(body)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag not in ("img", "iframe", "object", "embed", "b", "i", "a-evil"), (tag, attrs)
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for name in ("href", "src", "action", "formaction"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:text")), (tag, attrs)
        if tag == "script":  # only our own, from /static
            assert (attrs.get("src") or "").startswith("/static/"), attrs
        assert tag != "script-body" or not (attrs["text"] or "").strip(), attrs
    return "".join(parser.text)


@pytest.mark.parametrize("path", [
    "/article/evil", "/article/evil?q=xylograph", "/article/evil2?q=%3Cscript%3E", "/?q=xylograph",
    "/?q=xylograph&sort=newest", "/?q=%3Cscript%3Ealert(1)%3C/script%3E", "/?q=javascript%3Aalert(1)",
    "/?q=%22%3E%3Cimg+src%3Dx+onerror%3Dalert(1)%3E", "/?city=%3Cscript%3E", "/?source=%3Cscript%3Esrc()%3C/script%3E",
])
def test_html_pages_escape_hostile_articles_and_queries(evil: Any, path: str) -> None:
    response = evil.get(path)
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[:500]
    text = assert_escaped(body)
    if path.startswith("/article/evil?") or path == "/article/evil":
        assert html.escape(SCRIPT) in body
        assert SCRIPT in text  # the reader sees the text as written
        assert "<img src=x onerror=\"alert(2)\">" in text
        assert "Broken entities &amp &#xZZ; &lt and &#0; stay as written." in text  # not decoded
        assert "\u202etxet desrever\u202c" in text
        assert "w" * 10_000 in text
        assert EVIL_TITLE in text


def test_json_returns_hostile_text_as_text(evil: Any) -> None:
    data = evil.get("/api/articles/evil").get_json()
    assert data["title"] == EVIL_TITLE
    # The ingester drops zero-width characters (they only hide words from search); the rest is verbatim.
    assert data["body"] == EVIL_BODY.replace("\u200b", "").replace("\u200d", "")
    assert data["title_html"] == html.escape(EVIL_TITLE)
    assert "".join(data["paragraphs_html"]).count("<") == 0
    found = evil.get("/api/search?q=xylograph").get_json()
    assert sorted(r["id"] for r in found["results"]) == ["evil", "evil2"]
    for hit in found["results"]:
        assert set(re.findall(r"</?\w+", hit["snippet"] + hit["title_html"])) <= {"<mark", "</mark"}
        assert "<mark>xylograph</mark>" in hit["snippet"].lower()
    other = evil.get("/api/articles/evil2").get_json()
    assert (other["source"], other["author"]) == ("<script>src()</script>", "<img src=x onerror=alert(7)>")


@pytest.mark.parametrize("q", [SCRIPT, "<img src=x onerror=alert(1)>", "javascript:alert(1)", "&amp &#xZZ; &lt",
                               "\u202eevil\u202c", "zero\u200bwidth", "w" * 10_000, "w" * 10_000 + "*"])
def test_hostile_queries_find_or_refuse_quietly(evil: Any, q: str) -> None:
    started = time.monotonic()
    response = evil.get("/api/search", query_string={"q": q})
    assert time.monotonic() - started < 5
    assert response.status_code == 200
    data = response.get_json()
    assert isinstance(data["total"], int)
    page = evil.get("/", query_string={"q": q}).get_data(as_text=True)
    assert_escaped(page)
    boxes = [attrs.get("value") for tag, attrs in parse_html(page).tags if tag == "input" and attrs.get("id") == "q"]
    assert boxes == [q]  # the search box shows the query as typed
    assert evil.get("/feed.atom", query_string={"q": q}).status_code == 200


def test_feed_escapes_hostile_articles(evil: Any) -> None:
    body = evil.get("/feed.atom?q=xylograph").get_data(as_text=True)
    assert "<script" not in body and "<img" not in body
    assert "&lt;script&gt;" in body


# ---------------------------------------------------------------- resource limits


@pytest.fixture(scope="module")
def wordy(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An index of many distinct words sharing prefixes (every 'ab*' and 'co*' expands widely)."""
    base = tmp_path_factory.mktemp("wordy")
    seeds = copy_seeds(base / "seeds")
    letters = "abcdefghijklmnopqrstuvwxyz"
    for i in range(120):
        words = [f"{p}{letters[(i + k) % 26]}{letters[k % 26]}{letters[(i * k) % 26]}{i}x{k}" for k in range(60) for p in ("ab", "co", "a")]
        (seeds / f"w_{i:03d}.txt").write_text(article_text(f"Wordy report {i} from Taiyuan", " ".join(words) + "."), "utf-8")
    build(seeds, base / "index")
    app = create_app({"SETTINGS": Settings(seeds=seeds, index=base / "index"), "TESTING": True})
    yield app.test_client()
    app.extensions["search_app"].close()


LIMITS = [
    # (params, status, a phrase of the answer)
    ({"q": "coal " * 20_000}, 200, "cut to its first 1000 characters"),
    ({"q": " ".join(f"t{i}" for i in range(5000))}, 200, "Only the first 64 words"),
    ({"q": " OR ".join(f"ab{i}*" for i in range(5000))}, 200, "Only the first 64 words"),
    ({"q": "ab*"}, 200, "stands for too many words"),
    ({"q": "co* ab* OR a*"}, 200, "stands for too many words"),
    ({"q": "a*"}, 200, None),
    ({"q": "*"}, 200, None),
    ({"q": "***"}, 200, None),
    ({"q": "a*b*c*d*e*f*g*"}, 200, None),
    ({"q": "(" * 500 + "ab*" + ")" * 500}, 200, None),
    ({"q": "\"" + "ab* " * 300 + "\""}, 200, None),
    ({"q": "title:(" + " OR ".join(f"co{i}*" for i in range(200)) + ")"}, 200, None),
    ({"page": str(10**9)}, 400, "page must be between 1 and 1000"),
    ({"page": "9" * 5000}, 400, "page must be between 1 and 1000"),
    ({"per_page": str(10**6)}, 400, "per_page must be between 1 and 100"),
    ({"page": "1000", "per_page": "100", "q": "ab*"}, 200, None),
    ({"city": ["Taiyuan"] * 500}, 400, "Too many 'city' values: at most 50."),
    ({"city": [f"c{i}" for i in range(500)]}, 400, "Too many 'city' values: at most 50."),
    ({"year": ["2020"] * 500}, 400, "Too many 'year' values: at most 50."),
    ({"source": ["x"] * 51}, 400, "Too many 'source' values: at most 50."),
    ({"city": [f"c{i}" for i in range(50)], "q": "ab*"}, 200, None),
]


@pytest.mark.slow  # seconds each: `make test` runs it, `make test-fast` does not
@pytest.mark.parametrize("params, status, phrase", LIMITS, ids=[str(i) for i in range(len(LIMITS))])
def test_resource_limits_answer_quickly_and_clearly(wordy: Any, params: dict[str, Any], status: int, phrase: str | None) -> None:
    query = pairs({k: v for k, v in params.items()})
    for path in ("/api/search", "/"):
        started = time.monotonic()
        response = wordy.get(path, query_string=query)
        elapsed = time.monotonic() - started
        assert elapsed < 5, f"{path} took {elapsed:.1f} s"
        assert response.status_code == status
        body = response.get_data(as_text=True)
        if path == "/api/search":
            data = json.loads(body)
            text = data["error"]["message"] if status == 400 else " ".join(data["notices"])
            if phrase:
                assert phrase in text
            if status == 200:
                assert data["timed_out"] is False
        elif phrase:
            assert phrase in assert_escaped(body)


def test_wildcard_expands_to_at_most_256_words(wordy: Any) -> None:
    data = wordy.get("/api/search?q=ab*&per_page=100").get_json()
    assert data["notices"] == ["'ab*' stands for too many words; only the first 256 were searched."]
    assert 0 < data["total"] <= 120


@pytest.mark.parametrize("q", ["coal " * 20_000, " ".join(f"t{i}" for i in range(5000)), "ab* " * 5000,
                               "(" * 50_000 + "coal", "\"" * 100_000])
def test_huge_queries_are_bounded_in_memory(handle: IndexHandle, q: str) -> None:
    import tracemalloc

    tracemalloc.start()
    try:
        started = time.monotonic()
        data = search(handle, SearchRequest(q=q))
        elapsed = time.monotonic() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 5
    assert peak < 30 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    assert len(data["query"]) <= 1000


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=QUERY, path=st.sampled_from(["/", "/article/evil", "/article/evil2"]))
def test_any_query_on_hostile_articles_renders_as_text(evil: Any, q: str, path: str) -> None:
    response = evil.get(path, query_string={"q": q})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert_escaped(page)
    if path == "/":
        boxes = [attrs.get("value") for tag, attrs in parse_html(page).tags if tag == "input" and attrs.get("id") == "q"]
        assert boxes == [q]
