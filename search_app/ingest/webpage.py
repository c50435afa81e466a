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
    """The parsed page without scripts and styles, so a giant inline script costs no more than its parse.

    NoArticle when the markup is nested too deeply to be read even once flattened.
    """
    if not markup.strip():
        return None
    markup = _html_prolog(markup)
    tree, too_deep = _parse(markup)
    if too_deep:
        # libxml2 stops reading at 256 levels (everything after is lost): the levels past our
        # limit are dropped and the page read again, its text and paragraphs whole.
        flat, depth = limit_nesting(markup)
        tree, too_deep = _parse(flat)
        if too_deep:
            raise NoArticle(f"markup nested too deeply ({depth} levels) to be read")
    if tree is None:
        return None
    for element in list(tree.iter(*_NOT_TEXT)):
        if "ld+json" in (element.get("type") or "").lower():
            continue
        element.drop_tree()
    return tree


# An XHTML page's prolog: an XML declaration (lxml refuses a string that has one naming an encoding:
# the text is decoded already) and a DOCTYPE's internal subset ("[ <!ENTITY ...> ]"), whose first ">"
# the HTML parser takes for the DOCTYPE's end, leaving the rest ("]>") as the page's first text.
_PROLOG = re.compile(
    r"""\A\ufeff?\s*(?:<\?xml\b[^>]*>\s*)?"""
    r"""(?:(<!DOCTYPE\b(?:[^>\["']|"[^"]*"|'[^']*')*)(?:\[(?:[^\]"']|"[^"]*"|'[^']*')*\]\s*)?>)?""",
    re.I,
)


def _html_prolog(markup: str) -> str:
    """The markup without an XML declaration, and its DOCTYPE (if any) without an internal subset."""
    found = _PROLOG.match(markup)
    if found is None or not found.end():
        return markup
    doctype = found.group(1).rstrip() + ">" if found.group(1) else ""
    return doctype + markup[found.end():]


def _parse(markup: str) -> tuple[etree._Element | None, bool]:
    """The parsed page (None if not HTML), and whether the parser gave up at its nesting limit."""
    parser = lxml.html.HTMLParser()
    try:
        tree = lxml.html.document_fromstring(markup, parser=parser)
    except (etree.ParserError, ValueError):
        tree = None
    return tree, any(error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT for error in parser.error_log)


# Past these depths limit_nesting() drops opening tags (and their end tags): wrappers first, so
# the paragraphs, lists and tables inside stay elements; anything past the hard limit.
WRAPPER_DEPTH = 100
MAX_DEPTH = 128  # under libxml2's 256, with room for the <html> and <body> it adds
_STRUCTURE = {"p", "li", "ul", "ol", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "td", "th",
              "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "figure", "figcaption", "caption"}
_INLINE = {"a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "dfn", "em", "font", "i", "kbd", "label", "mark",
           "nobr", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
# An element of these kinds ends an open one of the same kind (a new <p> ends the last <p>), as HTML says.
_ENDS_ITS_KIND = {"p", "li", "dt", "dd", "tr", "td", "th", "option"}
# Comments and the raw text of scripts, styles and the like (which may hold "<div>") are passed over
# whole, as the parser reads them; a tag's attributes may hold ">" in quotes.
_TOKEN = re.compile(
    r"<!--(?:-?>|.*?(?:--!?>|\Z))"
    r"|<(?P<raw>script|style|textarea|title|xmp|iframe|noembed|noframes)\b(?:\"[^\"]*\"|'[^']*'|[^'\">])*>.*?(?:</(?P=raw)\s*>|\Z)"
    r"|<(?P<end>/?)(?P<name>[A-Za-z][^\s/>]*)(?P<attrs>(?:\"[^\"]*\"|'[^']*'|[^'\">])*)>",
    re.S | re.I,
)


def limit_nesting(markup: str) -> tuple[str, int]:
    """The markup with its elements nested no deeper than MAX_DEPTH, and how deep they were nested.

    Tags past the limit are dropped with their end tags; a dropped block (a <div>) leaves a <br>
    behind, so the text on either side of it stays apart.
    """
    parts: list[str] = []
    open_names: list[str] = []
    dropped: dict[str, int] = {}
    deepest = done = 0
    broken = False  # the markup kept so far ends in a <br> left by dropped tags
    for token in _TOKEN.finditer(markup):
        name = (token.group("name") or "").lower()
        if not name or name in _VOID or token.group("attrs").endswith("/"):
            continue
        keep = True
        if token.group("end"):
            if dropped.get(name):
                dropped[name] -= 1
                keep = False
            elif name in open_names:
                del open_names[len(open_names) - 1 - open_names[::-1].index(name):]
        else:
            if name in _ENDS_ITS_KIND and open_names and open_names[-1] == name:
                open_names.pop()
            depth = len(open_names)
            deepest = max(deepest, depth + sum(dropped.values()) + 1)
            if depth >= MAX_DEPTH or (depth >= WRAPPER_DEPTH and name not in _STRUCTURE):
                dropped[name] = dropped.get(name, 0) + 1
                keep = False
            else:
                open_names.append(name)
        if not keep:
            between = markup[done:token.start()]
            parts.append(between)
            if between.strip():  # text or kept tags since the last dropped one
                broken = False
            if name not in _INLINE and not broken:
                parts.append("<br>")  # one for a run of dropped tags: 100,000 of them make no 100,000 line breaks
                broken = True
            done = token.end()
    parts.append(markup[done:])
    return "".join(parts), deepest


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
