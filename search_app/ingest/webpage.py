"""A saved news web page (.html, .htm) to headline, body and metadata.

The main text and the page's metadata come from trafilatura, the maintained reference for
news-page extraction; what it keeps is then put through the same line rules as a scraped text
file (bylines, photo credits, copyright and contact lines, "Source:" lines), so a page and a
text file of the same article come out alike. The settings were chosen by measurement
(bench/extraction.py, README "Saved web pages").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import replace

import lxml.html
from lxml import etree

from search_app.ingest.dates import PAGE_METADATA, DateReading
from search_app.ingest.decoding import decode, decode_as
from search_app.ingest.extract import Extracted, extract, normalise_text
from search_app.ingest.sources import known_outlet, normalise_source

SUFFIXES = {".html", ".htm"}

# An article has at least a paragraph or two; less is an index page, an error page or a shell.
MIN_BODY_CHARS = 200

# <meta charset="..."> and <meta http-equiv="Content-Type" content="text/html; charset=...">.
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# Element kinds that never hold article text; JSON-LD scripts stay, as they carry the metadata.
_NOT_TEXT = ("script", "style", "noscript", "template", "svg", "iframe")
_HAN = re.compile(r"[\u3400-\u9fff]")
# "Page not found", "404 Not Found", "Error 404": the page of a link that had gone.
_ERROR_TITLE = re.compile(r"\b(?:404|page not found|not found|error)\b", re.I)


class NoArticle(ValueError):
    """The page holds no article; the message says what it looked like."""


def page_text(data: bytes) -> str:
    """The page's markup as text: byte-order mark, else the charset its meta tag declares, else detection."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return decode(data)
    declared = _META_CHARSET.search(data[:65536])
    if declared:
        text = decode_as(data, declared.group(1).decode("ascii"))
        if text is not None:
            return text
    return decode(data)


def extract_page(markup: str) -> Extracted:
    """Headline, body paragraphs, date, author and source of a saved news page; NoArticle if it has none."""
    tree = _tree(markup)
    if tree is None:
        raise NoArticle("no page content (empty or not HTML)")
    headings = [_text_of(h) for h in tree.iter("h1")]
    from trafilatura import bare_extraction  # here: importing it costs 0.3 s, and most archives hold no pages

    doc = bare_extraction(
        tree,
        with_metadata=True,
        include_comments=False,  # readers' comments are not the article
        include_tables=True,
        include_images=False,
        # trafilatura's deduplication remembers text across calls in one process-wide cache, so a
        # second copy of a page (or the same page read again) would lose its body: off.
        deduplicate=False,
        favor_precision=True,
    )
    if doc is None or isinstance(doc, dict):  # a dict only when as_dict is asked for, which it is not
        raise NoArticle("no article text in the page (an index page or an empty shell?)")
    # Tables come out as "| cell | cell |" rows; old sites lay whole articles out in tables.
    text = "\n".join(line.strip(" |") for line in normalise_text(doc.text or "").split("\n"))
    meta_title = normalise_text(doc.title or "").strip()
    # A page that says it is an article keeps a short body (a paywalled page's first paragraph).
    said_article = "article" in (doc.pagetype or "").lower() and bool(meta_title)
    if not text.strip() or (_length(text) < MIN_BODY_CHARS and not said_article):
        if _ERROR_TITLE.search(meta_title):
            raise NoArticle(f"an error page ({meta_title[:80]!r}), not an article")
        raise NoArticle("no article text in the page (an index page or an empty shell?)")
    source = _outlet(doc.sitename) or normalise_source(doc.hostname)
    title = _headline(headings, meta_title, source)
    # The text's own lines are read as a text file's are: bylines and credits found and dropped.
    found = extract((title + "\n\n" if title else "") + text)
    body = _without_headline(found.body, found.title)
    source = source or found.source
    published = _date(doc.date)
    return replace(
        found,
        body=body,
        date=published or found.date,
        date_reading=DateReading(published, PAGE_METADATA) if published else found.date_reading,
        author=_author(doc.author, source) or found.author,
        source=source,
    )


def _length(text: str) -> int:
    """Characters, a Han character counted as three: a Chinese brief says in 80 what English says in 240."""
    return len(text) + 2 * len(_HAN.findall(text))


def _text_of(element: etree._Element) -> str:
    """An element's text with a space where a <br> breaks a line ("Culture<br>Headline")."""

    def walk(node: etree._Element) -> Iterator[str]:
        if node.tag == "br":
            yield " "
        elif isinstance(node.tag, str):  # not a comment or processing instruction
            yield node.text or ""
        for child in node:
            yield from walk(child)
            yield child.tail or ""

    return " ".join("".join(walk(element)).split())


def _tree(markup: str) -> etree._Element | None:
    """The parsed page without scripts and styles, so a giant inline script costs no more than its parse."""
    if not markup.strip():
        return None
    try:
        tree = lxml.html.document_fromstring(markup)
    except (etree.ParserError, ValueError):
        return None
    for element in list(tree.iter(*_NOT_TEXT)):
        if "ld+json" in (element.get("type") or "").lower():
            continue
        element.drop_tree()
    return tree


def _headline(headings: list[str], meta_title: str, source: str | None) -> str:
    """The headline as the page shows it: its first <h1> that says what the metadata's title says.

    Sites rewrite the metadata title for search engines and social cards ("What we learned…" for
    "11 things we learned…") or leave a template's placeholder there; the visible headline is
    the one readers quote. An <h1> that shares too few words with the title is a logo or a
    section name, unless the title is no title at all (one or two words).
    """
    words = _words(meta_title)
    for heading in headings:
        if not 3 <= len(heading) <= 300:
            continue
        shared = len(_words(heading) & words) / max(1, min(len(words), len(_words(heading))))
        if shared >= 0.5 or len(words) <= 2:
            return heading
    return _without_site_name(meta_title, source)


def _outlet(sitename: str | None) -> str | None:
    """The outlet's name from a page's site name, without the slogan some sites add ("WSVN 7News | Miami News")."""
    if not sitename:
        return None
    return normalise_source(re.split(r"\s+[|–—-]\s+|\s*\|\s*", sitename.strip())[0])


def _words(text: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"\w+", text)}


# The separator before a site name appended to a title: " | ", " - ", " — ", "_", or a bare "-"
# after punctuation ("…城！-新华网", "标题_新华网").
_TITLE_TAIL = re.compile(r"(?:\s+[|–—-]\s+|\s*[|_]\s*|(?<=\W)-)([^|–—_]{1,60})$")


def _without_site_name(title: str, source: str | None) -> str:
    """The title without a trailing site name ("Headline | Site", "Headline - Site")."""
    while True:
        m = _TITLE_TAIL.search(title)
        if not m or m.start() < 10:
            return title
        tail = m.group(1).strip()
        names_site = known_outlet(tail) or (source and _words(source) <= _words(tail)) or "." in tail
        if not names_site:
            return title
        title = title[: m.start()].rstrip()


def _without_headline(body: str, title: str) -> str:
    """The body without the headline repeated as its first paragraph."""
    first, _, rest = body.partition("\n\n")
    if title and first.casefold().strip() == title.casefold().strip():
        return rest
    return body


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


# What some sites put where a name belongs: the label without the name, or a placeholder.
_BYLINE_LABEL = re.compile(r"^(?:article\s+|story\s+|written\s+|posted\s+|words\s+)?by\b\s*", re.I)
_NO_NAME = {"", "no author", "admin", "administrator", "staff", "unknown", "anonymous"}
_MONTH_TAIL = re.compile(r"\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?:\s+\d.*)?$", re.I)


def _author(value: str | None, source: str | None) -> str | None:
    """Trafilatura's "A; B" as "A, B"; labels, placeholders and the outlet itself ("CNN") dropped."""
    if not value:
        return None
    people = []
    for name in value.split(";"):
        name = _MONTH_TAIL.sub("", _BYLINE_LABEL.sub("", name.strip())).strip()
        if name.casefold() in _NO_NAME or known_outlet(name):
            continue
        if source and (normalise_source(name) == source or source.casefold() in name.casefold()):
            continue
        people.append(name)
    return ", ".join(people) or None
