"""Turn the loose text of a scraped news page into headline, body and metadata.

The rules describe kinds of page furniture (navigation, breadcrumbs, section headers,
footers, image names, photo credits, bylines), not particular files.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from search_app.ingest.dates import DATE_ONLY, DateReading, is_date_line, read_date
from search_app.ingest.sources import is_domain, known_outlet, normalise_source

# Spaces news sites paste in: NBSP, en/em/thin spaces, ideographic space.
_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t]+")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_MULTI_SPACE = re.compile(r" {2,}")

_NAV_WORDS = (
    r"contact us|email us|e-mail us|about us|home|homepage|print|share|share this|follow us|"
    r"subscribe|sign in|log in|login|register|search|menu|close|back to top|top|more|"
    r"previous|next|related stories|related news|read more|editor'?s? picks?|advertisement"
)
_NAV_LINE = re.compile(rf"^(?:{_NAV_WORDS})[.!:]?$", re.I)
# Breadcrumbs: "首页 > News", "Home > Cities > Taiyuan", "Home >> News".
_BREADCRUMB = re.compile(r"^(?:首页|home|主页)\s*(?:>>?|›|»|/)\s*.{0,80}$"
                         r"|^(?:[\w&' -]{1,30}\s*(?:>|›|»)\s*){2,}[\w&' -]{0,30}$", re.I)
# Section headers: "Yangquan - Eshanxi", "Business - chinadaily.com.cn".
_SITE_NAMES = r"e?shanxi(?:\.com)?|china ?daily(?:\.com\.cn)?|xinhua(?:net)?|shanxi daily|cgtn|global times|ecns|people's daily"
_SECTION_HEADER = re.compile(rf"^[\w&' ]{{1,40}}\s+[-–|]\s+(?:{_SITE_NAMES})$", re.I)
# Navigation bars: "Home | News | About Us", "首页 丨 新闻 丨 关于我们".
_NAV_BAR = re.compile(r"^(?:[^|丨｜]{1,30}[|丨｜]){2,}[^|丨｜]{0,30}$")
# Copyright notices: a line that opens with one (however long), or a short line that holds one.
_COPYRIGHT_START = re.compile(r"^(?:copyright\s*(?:©|\(c\)|\d{4})|©|\(c\)\s*\d{4})", re.I)
_COPYRIGHT = re.compile(r"all rights reserved|©|\(c\) ?\d{4}|版权所有", re.I)
_CONTACT = re.compile(r"^(?:address|add|tel|telephone|phone|fax|e-?mail|postcode|zip(?: code)?|icp)\s*[:：.]", re.I)
_CONTACT_ANY = re.compile(r"\b(?:tel|fax)\s*[:：]\s*[\d+()-]|\|\s*e-?mail\s*[:：]", re.I)
_IMAGE_FILE = re.compile(r"^\S{0,120}\.(?:jpe?g|png|gif|webp|bmp|tiff?)$", re.I)
_PHOTO_TAG = re.compile(r"\[(?:photo|photos|image|provided|file photo)\b[^\]]*\]\s*$|\((?:photo|photos|image)\b[^)]*\)\s*$", re.I)
# "... Congress. Li Lianjun / For China Daily": a caption ending in a credit.
_PHOTO_CREDIT = re.compile(
    r"(?:^|[.!?]\s+)(?i:photo(?:graph)?s?\s*(?:by|:)\s*)?[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*){0,3}\s*/\s*"
    r"(?i:(?:for\s+)?(?:china daily|xinhua|chinadaily\.com\.cn|cgtn|shanxi daily|vcg|ic|cfp|provided))\s*$"
)
_PHOTO_LEAD = re.compile(r"^(?:photo|file photo|picture|image)\s*[:：]", re.I)
_NAME = r"[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*){0,3}"
# "By Yuan Shenggao", "By ZHANG SAN and LI SI in Taiyuan", "Reporter: Wang Wu".
_BYLINE = re.compile(
    rf"^(?i:by|written by|author|reporter|writer)\s*[:：]?\s+({_NAME}(?:\s*(?:,|and|&)\s*{_NAME})*)"
    r"(?:\s+(?:in|from)\s+[A-Z][\w' -]*)?\s*(?:\|.*)?$"
)
# Chinese bylines: "作者：张三" is a metadata key (see _META_KEY); "记者 张三", "本报记者 张三 李四",
# "新华社记者张三报道", "文/张三" have no colon. Chinese names are two to four characters
# (longer with "·" for transliterated ones), so a sentence after "记者" does not pass for names.
_CJK_NAME = r"(?:[\u4e00-\u9fff]{2,4}|[\u4e00-\u9fff]{1,6}·[\u4e00-\u9fff·]{1,12})"
_CN_BYLINE = re.compile(
    r"^[(（\[【]?\s*(?:(?:[\u4e00-\u9fff]{2,6}(?:社|报|台|网))?(?:本报)?(?:特约|实习|见习)?记者"
    r"|通讯员|撰稿|撰文|文(?=\s*[/／]))"
    rf"\s*[:：/／]?\s*({_CJK_NAME}(?:\s*[、，,\s]\s*{_CJK_NAME})*)\s*(?:报道)?\s*[)）\]】]?\s*(?:[|丨｜].*)?$"
)
_REPORTED = re.compile(r"\s*报道$")
_CONTRIBUTED = re.compile(r"^.{1,120}\b(?:also\s+)?contributed\s+to\s+(?:this|the)\s+(?:story|report|article)\.?$", re.I)
# Editor credits: "Editor: Li Si", "[Responsible editor: Wang Wu]", "Edited by Li Si", "责任编辑：王五", "编辑：李四".
_EDITOR = re.compile(
    rf"^[\[【(（]?\s*(?:(?i:(?:responsible\s+)?editors?)\s*[:：]|责任编辑\s*[:：]?|编辑\s*[:：]).{{1,60}}$"
    rf"|^(?i:edited by)\s+{_NAME}\.?$"
)
_META_KEY = re.compile(
    r"(?<![\w])(source|来源|time|updated|update time|date|published|publish time|posted|release time|"
    r"发布时间|更新时间|发布日期|时间|日期|作者|记者|"
    r"(?:responsible\s+)?editors?|责任编辑|编辑)\s*[:：]",
    re.I,
)
_META_FIELD = {"source": "source", "来源": "source", "作者": "author", "记者": "author"}
_SEPARATORS = " |丨｜/·"
# "Xinhua | 2021-09-20", "Xinhua – Sept 20, 2021", "新华社 2021-09-20": a source (or author) value carrying the date.
_VALUE_THEN_DATE = re.compile(rf"^(.+?)(?:\s*[|丨｜·/–—]\s*|\s+-\s+|\s+)({DATE_ONLY})$", re.I)
_OUTLET_LINE = re.compile(r"^[(（\[]\s*([^()（）\[\]]{2,40})\s*[)）\]]$")
_FULL_STOP = re.compile(r"[.。]$")
_SENTENCE_END = re.compile(r"[.!?。！？\"”]$")


@dataclass
class Extracted:
    """Fields found in a page's text; None where the page gives none."""

    title: str
    body: str
    date: dt.date | None
    source: str | None
    author: str | None
    # How the date was read (None: the page gives none); `date` is the value compared.
    date_reading: DateReading | None = field(default=None, compare=False)


def normalise_text(text: str) -> str:
    """NFC, one kind of space and newline, no invisible characters, trimmed lines."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", _SPACES.sub(" ", text))
    return "\n".join(_MULTI_SPACE.sub(" ", line).strip() for line in text.split("\n"))


def is_chrome(line: str) -> bool:
    """True for page furniture: navigation, breadcrumbs, section headers, footers, contacts."""
    if _NAV_LINE.match(line) or _BREADCRUMB.match(line) or _SECTION_HEADER.match(line):
        return True
    if _NAV_BAR.match(line) and not _SENTENCE_END.search(line):
        return True
    if len(line) < 1000 and _COPYRIGHT_START.match(line):
        return True
    return len(line) < 200 and bool(_COPYRIGHT.search(line) or _CONTACT.match(line) or _CONTACT_ANY.search(line))


def is_photo(line: str) -> bool:
    """True for image file names and photo captions carrying a credit."""
    return bool(
        _IMAGE_FILE.match(line) or _PHOTO_TAG.search(line) or _PHOTO_LEAD.match(line)
        or (len(line) < 400 and _PHOTO_CREDIT.search(line))
    )


def split_meta(line: str) -> dict[str, str] | None:
    """{'source', 'date', 'author', 'editor': value} when the whole line is metadata, else None.

    The line is 'Key: value' pairs, optionally after a bare date ("2021-09-20 09:12 | Source: Xinhua").
    """
    matches = list(_META_KEY.finditer(line))
    if not matches:
        return None
    fields: dict[str, str] = {}
    lead = line[: matches[0].start()].strip(_SEPARATORS + "–—-")
    if lead:
        if not is_date_line(lead):
            return None
        fields["date"] = lead
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        key = m.group(1).lower()
        field = _META_FIELD.get(key) or ("editor" if "编辑" in key or "editor" in key else "date")
        value = line[m.end():end].strip(_SEPARATORS)
        if field in ("source", "author"):
            value, date = _split_value_date(value)
            if date:
                fields.setdefault("date", date)
        fields.setdefault(field, value)
    return fields


def _split_value_date(value: str) -> tuple[str, str | None]:
    """('Xinhua', '2021-09-20') from 'Xinhua | 2021-09-20'; a value with no trailing date is returned whole."""
    if is_date_line(value):
        return "", value
    m = _VALUE_THEN_DATE.match(value)
    if not m:
        return value, None
    return m.group(1).strip(_SEPARATORS + "–—-"), m.group(2)


def _site_tag(line: str) -> str | None:
    """The outlet a site tag names: "(Xinhua)", "(sxdaily.com.cn)", "[reuters.com]" or a bare domain line."""
    outlet = _OUTLET_LINE.match(line)
    inner = outlet.group(1).strip() if outlet else line
    if is_domain(inner):
        return normalise_source(inner)
    return known_outlet(inner) if outlet else None


def _byline(line: str) -> str | None:
    m = _BYLINE.match(line) or _CN_BYLINE.match(line)
    if not m or len(line) > 100:
        return None
    return _author_name(m.group(1))


def _author_name(value: str) -> str | None:
    """A byline's name(s) as written, spaces collapsed, capitals made title case, "报道" (reports) dropped."""
    name = _REPORTED.sub("", re.sub(r"\s+", " ", value)).strip()
    if not name:
        return None
    return name.title() if name.isupper() else name


def _looks_like_headline(line: str) -> bool:
    # Headlines do not end with a full stop; a line that does is the article's first sentence.
    if _FULL_STOP.search(line) or (len(line) > 120 and _SENTENCE_END.search(line)):
        return False
    return 3 <= len(line) <= 200


def extract(text: str) -> Extracted:
    """Split page text into headline, clean body paragraphs and metadata."""
    lines = [line for line in normalise_text(text).split("\n") if line]
    title: str | None = None
    body: list[str] = []
    raw_date: str | None = None
    source: str | None = None
    author: str | None = None
    for line in lines:
        meta = split_meta(line)
        if meta is not None:
            if meta.get("date") and raw_date is None:
                raw_date = meta["date"]
            if "source" in meta and source is None:
                source = normalise_source(meta["source"])
            if meta.get("author") and author is None:
                author = _author_name(meta["author"])
            continue
        tag = _site_tag(line)
        if tag:
            source = source or tag
            continue
        name = _byline(line)
        if name:
            author = author or name
            line_date, line_source = _byline_metadata(line)
            raw_date, source = raw_date or line_date, source or line_source
            continue
        if is_chrome(line) or is_photo(line) or _EDITOR.match(line) or _CONTRIBUTED.match(line):
            continue
        # A line that is only a date, above the first paragraph, is the page's dateline; further
        # down it could be part of the story, so it stays.
        if not body and is_date_line(line):
            raw_date = raw_date or line
            continue
        if title is None and not body and _looks_like_headline(line):
            title = line
            continue
        body.append(line)
    body_text = "\n\n".join(body)
    if title is None:
        title = fallback_title(body_text)
    reading = read_date(raw_date, context=body_text) if raw_date else None
    return Extracted(title=title, body=body_text, date=reading.date if reading else None, source=source,
                     author=author, date_reading=reading)


def _byline_metadata(line: str) -> tuple[str | None, str | None]:
    """The date and source written after a byline: "By Zhang San | chinadaily.com.cn | Updated: 2023-01-05"."""
    raw_date: str | None = None
    source: str | None = None
    for part in re.split(r"[|丨｜]", line)[1:]:
        part = part.strip()
        meta = split_meta(part) or ({"date": part} if is_date_line(part) else {})
        raw_date = raw_date or meta.get("date") or None
        source = source or (normalise_source(meta["source"]) if "source" in meta else known_outlet(part))
    return raw_date, source


FALLBACK_TITLE_WIDTH = 120  # columns (a Han character takes two): a long headline's length
_MIN_SENTENCE_WIDTH = 20  # "Mr." or "No. 3." is no sentence to stop at
# Where a sentence ends: after ".", "!" or "?" (and closing quotes) before a space; after "。", "！" or "？".
_SENTENCE_BREAK = re.compile(r"[.!?][\"'”’)\]]*(?=\s)|[。！？][”’」』）)]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def fallback_title(body: str) -> str:
    """No headline on the page: the first sentence of its first paragraph, cut to a headline's length."""
    first = body.split("\n\n")[0].strip()
    for end in _SENTENCE_BREAK.finditer(first):
        if _width(first[:end.end()]) >= _MIN_SENTENCE_WIDTH:
            first = first[:end.end()]
            break
    return shortened(first, FALLBACK_TITLE_WIDTH)


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def _width(text: str) -> int:
    """Columns text takes on a screen: a Han (or other wide) character takes two."""
    return len(text) + sum(1 for char in text if _wide(char))


def shortened(text: str, width: int) -> str:
    """text if it fits in width columns, else its opening cut at a word (or, in Chinese, a character) with "…"."""
    if _width(text) <= width:
        return text
    cut = used = 0
    while cut < len(text) and used + 1 + _wide(text[cut]) <= width:
        used += 1 + _wide(text[cut])
        cut += 1
    while cut and unicodedata.combining(text[cut]):  # an accent stays with its letter
        cut -= 1
    head = text[:cut]
    if not text[cut].isspace() and not _wide(text[cut]) and head and not _wide(head[-1]):  # inside a word
        space = head.rfind(" ")
        head = head[:space] if space > 0 else head
    head = head.rstrip(" ,;:、，；：")
    return head + ("…" if head and _wide(head[-1]) else " …")


def headline(text: str) -> str:
    """A title as one clean line; "" when it has nothing to show (only spaces, invisible or control characters)."""
    return " ".join(_CONTROL.sub(" ", normalise_text(text)).split())
