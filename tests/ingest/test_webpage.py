"""Saved news pages (.html, .htm): headline, body and metadata without the page's chrome; pages without an
article skipped with a reason; charsets; and the real pages of ../shared/corpora/news-pages/ against the
hand-checked snippets of bench/extraction_truth.json."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import extraction
from search_app.cli import main
from search_app.ingest import webpage
from search_app.ingest.decoding import decode
from search_app.ingest.records import IngestResult, ingest

HEADLINE = "Taiyuan opens a coal museum beside the Fen River"
SITE = "Shanxi Evening Post"
PARAGRAPHS = [
    ("The city of Taiyuan opened a museum of coal mining on Saturday, in a former pithead building "
     "beside the Fen River that had stood empty for twenty years."),
    ("Visitors from Datong and Jinzhong queued from early morning to see the restored winding engine, "
     "the miners' lamps and a reconstructed coal face two hundred metres long."),
    ("The museum's director said the collection would travel to Datong next spring, where the city's "
     "own mining heritage centre is being rebuilt."),
]
# Text on the page around the article that must not end up in its body.
CHROME = [
    "We use cookies to improve your experience.",
    "Accept all cookies",
    "Sport",
    "Share on Facebook",
    "Email this story",
    "Photo: Zhang San/Shanxi Evening Post",
    "Related stories",
    "Datong mine reopens as a theme park for tourists",
    "Coal prices fall for the third month in a row",
    "Great news for the city, I will take my children there this weekend to learn about coal.",
    "What a waste of public money on a museum nobody asked for in the first place.",
    "Copyright © 2023 Shanxi Evening Post. All rights reserved.",
    "Privacy policy",
]


def news_page(*, title: str = f"{HEADLINE} | {SITE}", h1: bool = True, head: str = "", photo_credit_line: bool = False) -> str:
    """A news page as a browser saves it: the article amid a site's menus, widgets, comments and footer."""
    credit = (
        "<p>By Li Wei</p><p>Photo: Zhang San/Shanxi Evening Post</p>" if photo_credit_line else
        '<figure><img src="museum.jpg" alt="The museum"><figcaption>The new museum on opening day. '
        "Photo: Zhang San/Shanxi Evening Post</figcaption></figure>"
    )
    paragraphs = "\n".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
{head}<title>{title}</title>
<meta property="og:site_name" content="{SITE}">
<meta property="article:published_time" content="2023-05-06T08:30:00+08:00">
<meta name="author" content="Li Wei">
<script>window.dataLayer = []; function track(e) {{ dataLayer.push(e); }}</script>
<style>.cookie-consent {{ position: fixed; }}</style>
</head><body>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience. <button>Accept all cookies</button></div>
<header><nav class="main-nav"><ul>
<li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li><li><a href="/business">Business</a></li>
</ul></nav></header>
<main><article>
{f"<h1>{HEADLINE}</h1>" if h1 else ""}
<div class="byline">By <span class="author">Li Wei</span> | <time datetime="2023-05-06">6 May 2023</time></div>
<div class="share"><a href="#">Share on Facebook</a> <a href="#">Share on Twitter</a> <a href="#">Email this story</a></div>
{credit}
{paragraphs}
</article>
<aside class="related"><h2>Related stories</h2><ul>
<li><a href="/a">Datong mine reopens as a theme park for tourists</a></li>
<li><a href="/b">Coal prices fall for the third month in a row</a></li>
<li><a href="/c">Jinzhong rail link to be finished by autumn</a></li>
</ul></aside>
<section id="comments" class="comments"><h3>Comments</h3>
<div class="comment"><p>{CHROME[9]}</p></div>
<div class="comment"><p>{CHROME[10]}</p></div>
</section>
</main>
<footer><p>Copyright © 2023 Shanxi Evening Post. All rights reserved.</p><a href="/privacy">Privacy policy</a></footer>
</body></html>"""


def only_article(folder: Path) -> Any:
    """Ingest a folder that must give exactly one article and no skips; return the article."""
    result = ingest(folder)
    assert result.skipped == []
    [article] = result.articles
    return article


def skips(result: IngestResult) -> list[tuple[str, str]]:
    return [(s.path, s.reason) for s in result.skipped]


# ---------------------------------------------------------------- synthetic pages


@pytest.mark.parametrize(
    "page",
    [
        news_page(),
        news_page(title=f"{HEADLINE} - {SITE}"),
        news_page(h1=False),  # the headline from <title>, without the site name
        news_page(photo_credit_line=True),  # byline and credit as paragraphs of the article itself
        news_page(head=f'<meta property="og:title" content="{HEADLINE}">\n'),
    ],
    ids=["pipe-title", "dash-title", "no-h1", "credit-in-article", "og-title"],
)
def test_news_page_comes_out_without_its_chrome(tmp_path: Path, page: str) -> None:
    assert all(text in page for text in CHROME)  # the page really has the chrome
    (tmp_path / "museum.html").write_text(page, encoding="utf-8")
    article = only_article(tmp_path)
    assert (article.id, article.path, article.title, article.date, article.author, article.source) == (
        "museum", "museum.html", HEADLINE, dt.date(2023, 5, 6), "Li Wei", SITE,
    )
    assert article.body == "\n\n".join(PARAGRAPHS)
    assert article.cities == ("Datong", "Jinzhong", "Taiyuan")


LINKS = "\n".join(
    f'<li><a href="/news/{i}">Taiyuan news story number {i} about the coal industry of Shanxi</a></li>' for i in range(40)
)
INDEX_PAGE = (
    f"<html><head><title>News | {SITE}</title></head><body><nav><a href='/'>Home</a></nav>"
    f"<h1>Latest news</h1><ul>{LINKS}</ul><footer>Copyright 2023 {SITE}</footer></body></html>"
)
ERROR_PAGE = (
    f"<html><head><title>Page not found | {SITE}</title></head><body><nav><a href='/'>Home</a> "
    "<a href='/news'>News</a></nav><h1>Page not found</h1><p>Sorry, the page you were looking for "
    "does not exist.</p><p><a href='/'>Go to the home page</a></p></body></html>"
)
# A page its scripts fill in: the article is only in a script's data, which a saved copy never ran.
SHELL_PAGE = (
    "<html><body><div id=app></div><script>window.__STATE__ = "
    + json.dumps({"headline": HEADLINE, "body": " ".join(PARAGRAPHS)})
    + "; render(document.getElementById('app'));</script></body></html>"
)
NO_ARTICLE = "no article text in the page (an index page or an empty shell?)"


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        (INDEX_PAGE, NO_ARTICLE),
        (ERROR_PAGE, "an error page ('Page not found'), not an article"),
        (SHELL_PAGE, NO_ARTICLE),
        ("<html></html>", NO_ARTICLE),
        ("", "empty file"),
    ],
    ids=["index-page", "404-page", "empty-shell", "no-body", "empty-file"],
)
def test_page_without_an_article_is_skipped_with_a_reason(tmp_path: Path, page: str, reason: str) -> None:
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    result = ingest(tmp_path)
    assert (result.articles, skips(result)) == ([], [("page.html", reason)])


ZH_TITLE = "太原举办煤炭博览会"
ZH_PARAGRAPHS = [
    "山西省太原市举办煤炭博览会，来自大同和晋城的访客参观了展览。太原市政府表示，博览会将每年举办一次，吸引更多企业投资。",
    "大同市的代表说，今年的展览比去年规模更大，参展企业超过三百家，许多新技术首次亮相，吸引了大批观众。",
    "晋城市的企业家表示，希望通过博览会找到新的合作伙伴，推动当地经济发展，并把更多产品销往全国各地。",
    "组织者介绍，本届博览会为期三天，共设六个展区，展示煤炭开采、洗选、运输和清洁利用等领域的最新成果。",
]
EN_TITLE = "Shanxi coal sells for £300 a tonne"
EN_PARAGRAPHS = [
    "Coal from mines near Taiyuan sold for £300 a tonne on Monday, the highest price this year, traders said.",
    "“We have never seen prices like it,” said a café owner in Datong – hotels there pay 15% more for heating.",
]
BOM_PARAGRAPHS = [
    EN_PARAGRAPHS[0],
    "A café owner in Datong said hotels there pay 15% more for heating – and £40 more a week for hot water.",
]
PL_TITLE = "Łódź i Kraków otwierają muzea węgla"
PL_PARAGRAPHS = [
    "Źródło: Gazeta Łódzka. Muzeum w Łodzi otworzyło nową wystawę o górnictwie węglowym w Taiyuan i Datong.",
    "Zwiedzający z Krakowa przyjechali już w sobotę rano; dyrektor powiedział, że wystawa potrwa do września.",
]


def page_in(head: str, title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head>{head}<title>{title}</title><meta property=\"og:type\" content=\"article\"></head>"
            f"<body><div class=\"article\"><h1>{title}</h1>{body}</div></body></html>")


@pytest.mark.parametrize(
    ("data", "title", "paragraphs"),
    [
        (page_in('<script charset="utf-8" src="/js/stats.js"></script>\n'
                 '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">', ZH_TITLE, ZH_PARAGRAPHS).encode("gb2312"),
         ZH_TITLE, ZH_PARAGRAPHS),
        (page_in('<script charset="windows-1252" src="/js/stats.js"></script>\n'
                 '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">', ZH_TITLE, ZH_PARAGRAPHS).encode("gb2312"),
         ZH_TITLE, ZH_PARAGRAPHS),
        (page_in('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">', EN_TITLE, EN_PARAGRAPHS).encode("cp1252"),
         EN_TITLE, EN_PARAGRAPHS),
        # UTF-8 bytes that Windows-1252 also reads (as mojibake): only the mark says which is right
        (b"\xef\xbb\xbf" + page_in('<meta charset="windows-1252">', EN_TITLE, BOM_PARAGRAPHS).encode("utf-8"),
         EN_TITLE, BOM_PARAGRAPHS),
        (b"\xef\xbb\xbf" + page_in("", ZH_TITLE, ZH_PARAGRAPHS).encode("utf-8"), ZH_TITLE, ZH_PARAGRAPHS),
        (page_in('<meta charset="utf-8">', EN_TITLE, EN_PARAGRAPHS).encode("cp1252"), EN_TITLE, EN_PARAGRAPHS),
        (page_in("<meta charset='windows-1250'>", PL_TITLE, PL_PARAGRAPHS).encode("cp1250"), PL_TITLE, PL_PARAGRAPHS),
    ],
    ids=["gb2312-meta-after-utf8-script", "gb2312-meta-after-cp1252-script", "cp1252-declared-latin1",
         "utf8-bom-beats-meta", "utf8-bom", "wrong-declaration-falls-back-to-detection", "cp1250-declared"],
)
def test_page_charset(tmp_path: Path, data: bytes, title: str, paragraphs: list[str]) -> None:
    (tmp_path / "page.html").write_bytes(data)
    article = only_article(tmp_path)
    assert (article.title, article.body) == (title, "\n\n".join(paragraphs))


def test_bom_case_would_read_as_windows_1252() -> None:
    """The BOM case above has teeth: its meta tag's charset reads the bytes too, into mojibake."""
    data = page_in('<meta charset="windows-1252">', EN_TITLE, BOM_PARAGRAPHS).encode("utf-8")
    assert "cafÃ©" in data.decode("cp1252")


def test_only_the_declaration_tells_windows_1250() -> None:
    """The cp1250 case above is read right because of its meta tag: detection alone reads it as Windows-1252."""
    data = page_in("", PL_TITLE, PL_PARAGRAPHS).encode("cp1250")
    assert PL_TITLE not in decode(data)


@pytest.mark.parametrize(
    ("title", "headline"),
    [
        (f"{HEADLINE} | {SITE}", HEADLINE),
        (f"{HEADLINE} - Xinhua", HEADLINE),
        (f"{HEADLINE} | chinadaily.com.cn", HEADLINE),
        (f"{ZH_TITLE}！-新华网", f"{ZH_TITLE}！"),
        (f"{ZH_TITLE} - 新华网", ZH_TITLE),
        (f"Datong: {HEADLINE}", f"Datong: {HEADLINE}"),  # a colon is not a site name's separator
    ],
    ids=["pipe-site", "dash-outlet", "domain", "chinese-bare-dash", "chinese-spaced-dash", "colon-kept"],
)
def test_headline_from_the_title_without_the_site_name(tmp_path: Path, title: str, headline: str) -> None:
    """No <h1> and no og:title: the headline is the <title> less the site name after it."""
    (tmp_path / "page.html").write_text(page_in('<meta charset="utf-8">', title, PARAGRAPHS).replace(f"<h1>{title}</h1>", ""),
                                         encoding="utf-8")
    article = only_article(tmp_path)
    assert (article.title, article.body) == (headline, "\n\n".join(PARAGRAPHS))


def test_four_megabyte_page_with_a_giant_script(tmp_path: Path) -> None:
    items = ",".join(f'{{"id":{i},"title":"Taiyuan story {i} <b>Datong</b>"}}' for i in range(90_000))
    script = f"<script>window.__DATA__ = [{items}];</script>"
    page = news_page(head=script + "\n")
    data = page.encode("utf-8")
    assert 3_500_000 < len(data) < 5 * 1024 * 1024  # under the default file size limit
    (tmp_path / "big.html").write_bytes(data)
    article = only_article(tmp_path)
    assert (article.title, article.body, article.date) == (HEADLINE, "\n\n".join(PARAGRAPHS), dt.date(2023, 5, 6))


def test_htm_suffix_is_a_page(tmp_path: Path) -> None:
    (tmp_path / "2023").mkdir()
    (tmp_path / "2023" / "museum.HTM").write_text(news_page(), encoding="utf-8")
    article = only_article(tmp_path)
    assert (article.id, article.path, article.title, article.source) == ("2023/museum", "2023/museum.HTM", HEADLINE, SITE)


def test_cli_inspect_shows_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SEARCH_APP_SEEDS", "SEARCH_APP_INDEX", "SEARCH_APP_SEARCH_TIME_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "page.html"
    path.write_text(news_page(), encoding="utf-8")
    result = CliRunner().invoke(main, ["--seeds", str(tmp_path), "inspect", str(path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["skipped"] == []
    [article] = data["articles"]
    shown = ("id", "path", "title", "body", "date", "source", "author", "cities")
    assert {k: article[k] for k in shown} == {
        "id": "page", "path": "page.html", "title": HEADLINE, "body": "\n\n".join(PARAGRAPHS), "date": "2023-05-06",
        "source": SITE, "author": "Li Wei", "cities": ["Datong", "Jinzhong", "Taiyuan"],
    }


def test_copies_of_a_page_are_all_read(tmp_path: Path) -> None:
    names = [f"copy{n}" for n in range(8)]
    for name in names:
        (tmp_path / f"{name}.html").write_text(news_page(), encoding="utf-8")
    result = ingest(tmp_path)
    assert (skips(result), [(a.id, a.title) for a in result.articles]) == ([], [(name, HEADLINE) for name in names])


def test_headline_lines_split_by_br_keep_a_space(tmp_path: Path) -> None:
    page = news_page(h1=False).replace("<article>", f"<article><h1><span>Culture</span><br/><span>{HEADLINE}</span></h1>")
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    title = only_article(tmp_path).title
    assert title in (HEADLINE, f"Culture {HEADLINE}")


XHTML_PUBLIC = '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd"'


@pytest.mark.parametrize("declaration", ['<?xml version="1.0" encoding="utf-8"?>\n', "<?xml version='1.0'?>", ""],
                         ids=["xml-declaration-with-encoding", "xml-declaration", "no-declaration"])
@pytest.mark.parametrize("subset", ['[ <!ENTITY museum "Coal Museum"> <!ENTITY nbsp "&#160;"> ]',
                                    '[\n  <!ENTITY museum "Coal > Museum">\n  <!ATTLIST p class CDATA #IMPLIED>\n]'],
                         ids=["one-line", "lines"])
def test_xhtml_page_with_an_internal_dtd(tmp_path: Path, declaration: str, subset: str) -> None:
    """The DTD's internal subset ("[ <!ENTITY ...> ]") is no text of the page, and an XML declaration no reason to skip it."""
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    page = f'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>{HEADLINE}</title></head><body>{paragraphs}</body></html>'
    (tmp_path / "museum.html").write_text(f"{declaration}{XHTML_PUBLIC} {subset}>\n{page}", encoding="utf-8")
    article = only_article(tmp_path)
    assert (article.title, article.body) == (HEADLINE, "\n\n".join(PARAGRAPHS))


DEEP_PARAGRAPHS = [f"Paragraph {n}: the city of Taiyuan opened reading room number {n} in its new library this week."
                   for n in range(400)]


DEEP_BODY = "\n\n".join(DEEP_PARAGRAPHS)
DEEP_TEXT = "".join(f"<p>{p}</p>" for p in DEEP_PARAGRAPHS)


def deep_page(markup: str) -> str:
    return (f"<html><head><title>Taiyuan opens reading rooms</title></head><body><h1>Taiyuan opens reading rooms</h1>"
            f"{markup}</body></html>")


@pytest.mark.parametrize(("markup", "body"), [
    ("".join(f"<div><p>{p}</p>" for p in DEEP_PARAGRAPHS), DEEP_BODY),  # each paragraph in a <div> never closed
    ("<div>" * 100_000 + DEEP_TEXT, DEEP_BODY),
    ("<span>" * 100_000 + DEEP_TEXT, DEEP_BODY),
    ("<section><div>" * 50_000 + DEEP_TEXT + "</div></section>" * 50_000, DEEP_BODY),
    ("<!-->" + "<div>" * 1000 + DEEP_TEXT, DEEP_BODY),  # an empty comment, as browsers read "<!-->"
    # As the extraction gives a list item and table cells at any depth: "- " before the item, cells on one line.
    ("<ul><li>" * 1_000 + DEEP_TEXT, "- " + DEEP_BODY),
    ("<table><tr><td>" * 1_000 + DEEP_TEXT, " ".join(DEEP_PARAGRAPHS)),
], ids=["unclosed-divs", "100k-divs", "100k-spans", "closed-sections", "after-empty-comment", "nested-lists",
        "nested-tables"])
def test_text_in_deeply_nested_markup_is_kept(tmp_path: Path, markup: str, body: str) -> None:
    """The HTML parser stops at 256 levels; what lies deeper is read all the same, paragraph by paragraph."""
    (tmp_path / "deep.html").write_text(deep_page(markup), encoding="utf-8")
    article = only_article(tmp_path)
    assert (article.title, article.body) == ("Taiyuan opens reading rooms", body)


def test_markup_too_deep_to_read_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Were the flattened page still past the parser's limit, the reason is the nesting, not "no article text"."""
    monkeypatch.setattr(webpage, "MAX_DEPTH", 1000)  # more than the parser takes
    monkeypatch.setattr(webpage, "WRAPPER_DEPTH", 1000)
    (tmp_path / "deep.html").write_text(deep_page("<div>" * 100_000 + DEEP_TEXT), encoding="utf-8")
    result = ingest(tmp_path)
    assert (result.articles, skips(result)) == ([], [("deep.html", "markup nested too deeply (100003 levels) to be read")])


# ---------------------------------------------------------------- real pages

PAGES = Path(__file__).resolve().parents[3] / "shared/corpora/news-pages"
ARTICLES = [page for page in extraction.load_truth() if page["kind"] == "article"]

# What search_app gets wrong on the real pages today (bench/extraction.py --show); anything else is a regression.
KNOWN_MISSES = {
    # Missed by trafilatura's defaults too: the paragraph is a bare <div class=""> after the article's <p>s.
    "barbadostoday.bb-contest.html": {"Voting will commence at 9 a.m. and end at 5 p.m."},
    # favor_precision's price: trafilatura's defaults keep this paragraph (it follows one ending in a link).
    "standard.co.uk.caribbean.html": {"Poland also reported 25.9 new cases per 100,000 people"},
    # Missed by trafilatura's defaults too (Wired's grid layout of the body).
    "wired.com.burn.html": {
        "data centers account for about 2 percent of total US electricity usage",
        "AI is clearly moving toward lighter models and greener AI",
    },
}
KNOWN_LEAKS = {  # all three leak from trafilatura's defaults too
    "californiaglobe.com.amazon.html": {"San Francisco To Begin Universal Basic Income Program For Artists"},
    "corkbeo.ie.level.html": {"Never miss the latest news by signing up to our newsletter today!"},
    "theatlantic.com.disasters.html": {"We want to hear what you think about this article."},
}
KNOWN_WRONG_TITLES = {
    "barbadostoday.bb-contest.html",  # the page's <h1> holds the byline and date too (and is closed by </h2>)
    "economist.com.thinking.html",  # <h1><span>Open Progress</span><br/><span>Why…</span></h1>: the kicker stays
}
# search_app's figures on the 50 pages today (recall 0.980, precision 0.985), less a small margin.
MIN_RECALL, MIN_PRECISION = 0.97, 0.975


def pages_dir() -> Path:
    """The real saved pages; skipped when absent here, but under CI (CI=true) their absence is a failure."""
    if not PAGES.is_dir():
        reason = f"no saved news pages at {PAGES} (the corpus is kept outside the repository)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"real-page tests cannot run under CI: {reason}", pytrace=False)
        pytest.skip(reason)
    return PAGES


@pytest.fixture(scope="module")
def comparison() -> dict[str, Any]:
    """search_app and trafilatura's defaults over every hand-checked page, once for the module."""
    folder = pages_dir()
    readers = {"search_app": extraction.search_app_reader, "trafilatura defaults": extraction.trafilatura_reader()}
    return extraction.run(folder, readers, ARTICLES)


def test_known_shortfalls_name_real_snippets() -> None:
    """The allowances above are snippets of the truth file (so a renamed page or snippet is noticed)."""
    by_file = {page["file"]: page for page in ARTICLES}
    assert all(missed <= set(by_file[f]["must"]) for f, missed in KNOWN_MISSES.items())
    assert all(leaked <= set(by_file[f]["must_not"]) for f, leaked in KNOWN_LEAKS.items())
    assert set(by_file) >= KNOWN_WRONG_TITLES
    assert len(ARTICLES) == 50


@pytest.mark.parametrize("page", ARTICLES, ids=[page["file"] for page in ARTICLES])
def test_real_page(comparison: dict[str, Any], page: dict[str, Any]) -> None:
    [score] = [s for s in comparison["search_app"]["pages"] if s["file"] == page["file"]]
    missing, leaks = set(score["missing"]), set(score["leaks"])
    assert missing <= KNOWN_MISSES.get(page["file"], set())
    assert leaks <= KNOWN_LEAKS.get(page["file"], set())
    assert score["date"]
    assert score["title"] or page["file"] in KNOWN_WRONG_TITLES


def test_real_pages_beat_trafilatura_defaults(comparison: dict[str, Any]) -> None:
    ours, theirs = comparison["search_app"]["summary"], comparison["trafilatura defaults"]["summary"]
    assert ours["f1"] > theirs["f1"]
    assert ours["recall"] >= MIN_RECALL and ours["precision"] >= MIN_PRECISION, ours
    assert ours["title"] > theirs["title"]
    assert ours["date"] == 1.0


def test_real_chinese_pages_keep_their_characters() -> None:
    """The archived GB page (charset only in a meta tag) and the UTF-8 one read as Chinese, not mojibake."""
    folder = pages_dir()
    for name in ("archive.org.he.xinhuanet.com.25340717.html", "xinhuanet.com.c_1125597921.html"):
        reading = extraction.search_app_reader((folder / name).read_bytes())
        [page] = [p for p in ARTICLES if p["file"] == name]
        assert reading.title == page["title"]
        assert len(re.findall(r"[\u4e00-\u9fff]", reading.body)) > 200
