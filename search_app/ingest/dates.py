"""Publication dates from the many ways news sites write them, with day/month ambiguity resolved from evidence."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
}
_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
# In running text only capitalised month names count ("may" is also a verb).
_MONTH_CAP = "|".join(m.capitalize() for m in sorted(MONTHS, key=len, reverse=True))

_ISO = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_CJK = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_NAMED_MDY = re.compile(rf"\b({_MONTH_ALT})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_NAMED_DMY = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_ALT})\.?,?\s+(\d{{4}})\b", re.I)
# Two numbers then a year, order unknown: "29 09,2022", "11/05/2021", "11-05-2021".
_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})[\s/.-]+(\d{1,2})\s*[,/.-]?\s*(\d{4})(?!\d)")
# A month-day mention in running text ("on Oct 25-29", "Sept 25", "March 5 to 11").
_MENTION = re.compile(rf"\b({_MONTH_CAP})\.?\s+(\d{{1,2}})(?:\s*(?:-|–|to)\s*(\d{{1,2}}))?(?:,?\s+(\d{{4}}))?\b")
# Words that put a sentence's dates in the future ("plan" and "next" alone are often past narrative).
_FUTURE = re.compile(
    r"\b(will|would|shall|to be held|is expected|are expected|plans? to|planning to|is scheduled|are scheduled|"
    r"upcoming|next (?:week|month|year)|going to)\b",
    re.I,
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")

# A whole line that is only a date, as sites print one under a headline: "2021-09-20 09:12 BJT",
# "Monday, October 9, 2023", "Updated 2023-10-08 14:30", "12/07/2022". Anchored at both ends so
# a sentence that mentions a date never matches.
_WEEKDAY = r"(?:monday|mon|tuesday|tues|tue|wednesday|wed|thursday|thurs|thur|thu|friday|fri|saturday|sat|sunday|sun)"
_DATE_CORE = (
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
    rf"|(?:{_MONTH_ALT})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTH_ALT})\.?,?\s+\d{{4}}"
    r"|\d{1,2}[\s/.-]+\d{1,2}\s*[,/.-]?\s*\d{4})"
)
# Zones only in capitals ("BJT", "GMT+8") so a trailing ordinary word is not taken for one.
_ZONE = r"(?:\(?\s*(?:(?i:beijing\s+time)|(?-i:[A-Z]{2,5})(?:\s*[+-]\s*\d{1,2}(?::?\d{2})?)?|[+-]\d{2}:?\d{2}|Z)\s*\)?)"
_TIME = (
    rf"(?:\s*,?\s*(?:T|at\s+)?\d{{1,2}}:\d{{2}}(?::\d{{2}}(?:\.\d+)?)?"
    rf"(?:\s*(?:am|pm|a\.m\.|p\.m\.))?(?:\s*{_ZONE})?)"
)
_DATE_PREFIX = (
    r"(?:(?:last\s+)?updated|published|posted|released|date|time|发布时间|更新时间|时间|日期)"
    r"(?:\s+(?:on|at))?\s*[:：]?\s*"
)
# Public so extract.py can find the same kind of date at the end of a "Source:" value.
DATE_ONLY = (
    rf"(?:{_DATE_PREFIX})?(?:{_WEEKDAY}\.?,?\s+)?{_DATE_CORE}"
    rf"(?:\s*,?\s*\(?{_WEEKDAY}\)?)?{_TIME}?\s*[.,]?"
)
_DATE_LINE = re.compile(DATE_ONLY, re.I)

MIN_YEAR = 1900


def _make(year: int, month: int, day: int) -> dt.date | None:
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return None
    return date if date.year >= MIN_YEAR else None


def past_mentions(text: str) -> list[tuple[int | None, int, int]]:
    """(year or None, month, day) of events the text reports in sentences with no future marker."""
    found: list[tuple[int | None, int, int]] = []
    for sentence in _SENTENCE.findall(text):
        if _FUTURE.search(sentence):
            continue
        for m in _MENTION.finditer(sentence):
            month = MONTHS[m.group(1).lower()]
            day = int(m.group(3) or m.group(2))  # the end of a range "Oct 25-29"
            year = int(m.group(4)) if m.group(4) else None
            if _make(year or 2000, month, day):
                found.append((year, month, day))
    return found


def _conflicts(candidate: dt.date, mentions: list[tuple[int | None, int, int]]) -> int:
    """How many reported past events would fall after this publication date."""
    count = 0
    for year, month, day in mentions:
        # A year-less mention is read as in the publication year.
        if (year or candidate.year, month, day) > (candidate.year, candidate.month, candidate.day):
            count += 1
    return count


# How a date was settled: the rule names `inspect`, `build` and `stats` report.
AS_WRITTEN = "as written"  # unambiguous: a year first, a month's name, or only one valid reading
PAGE_METADATA = "page metadata"  # a web page's published date (meta tags, JSON-LD)
REPORTED_EVENTS = "reported events"  # day/month order chosen so the events the article reports are past
CONVENTION = "archive convention"  # day/month order its source writes every unambiguous date in
AMBIGUOUS = "ambiguous"  # either order fits: left undated
DAY_FIRST, MONTH_FIRST = "day first", "month first"
# A convention needs this many unambiguous dates of the same source and style, and no counter-example.
MIN_EVIDENCE = 5


@dataclass(frozen=True)
class DateReading:
    """A date as read, the rule that settled it and, for a two-numbers date, its style and numbers."""

    date: dt.date | None
    rule: str | None
    style: str | None = None  # the shape of a numeric date: "N N,Y", "N/N/Y"
    numbers: tuple[int, int, int] | None = None  # first number, second number, year

    @property
    def order(self) -> str | None:
        """The day/month order the numbers themselves prove (one of them above 12), else None."""
        if self.numbers is None:
            return None
        first, second, _ = self.numbers
        if first > 12 >= second:
            return DAY_FIRST
        if second > 12 >= first:
            return MONTH_FIRST
        return None


def convention_key(source: str | None, style: str) -> str:
    """The key of a (source, date style) pair in the learned conventions."""
    return f"{source or ''}\t{style}"


def learn_conventions(counts: Counter[tuple[str, str]]) -> dict[str, str]:
    """Day/month order per (source, style) key, where at least MIN_EVIDENCE dates show it and none the other."""
    keys = {key for key, _ in counts}
    learned = {}
    for key in sorted(keys):
        day, month = counts[(key, DAY_FIRST)], counts[(key, MONTH_FIRST)]
        if day >= MIN_EVIDENCE and not month:
            learned[key] = DAY_FIRST
        elif month >= MIN_EVIDENCE and not day:
            learned[key] = MONTH_FIRST
    return learned


def by_convention(reading: DateReading, order: str) -> DateReading:
    """An ambiguous reading settled by its source's convention."""
    assert reading.numbers is not None
    first, second, year = reading.numbers
    day, month = (first, second) if order == DAY_FIRST else (second, first)
    return DateReading(_make(year, month, day), CONVENTION, reading.style, reading.numbers)


def resolve_numeric(a: int, b: int, year: int, text: str) -> dt.date | None:
    """Pick day/month for 'a b, year' from validity, then from the article's reported past events; None if undecidable."""
    day_first = _make(year, b, a)
    month_first = _make(year, a, b)
    if day_first == month_first or month_first is None:
        return day_first
    if day_first is None:
        return month_first
    mentions = past_mentions(text)
    c_day, c_month = _conflicts(day_first, mentions), _conflicts(month_first, mentions)
    if c_day == c_month:
        return None  # both readings fit the evidence: no date rather than a guess
    return day_first if c_day < c_month else month_first


def parse_date(value: str, context: str = "") -> dt.date | None:
    """Parse a date as written on a news page; `context` (the article text) settles day/month order."""
    return read_date(value, context).date


def read_date(value: str, context: str = "") -> DateReading:
    """A date as written on a news page, with the rule that settled it; `context` (the article) weighs day/month."""
    value = value.strip()
    for pattern in (_ISO, _CJK):
        m = pattern.search(value)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            return _written(_make(y, mo, d))
    m = _NAMED_MDY.search(value)
    if m:
        return _written(_make(int(m.group(3)), MONTHS[m.group(1).lower()], int(m.group(2))))
    m = _NAMED_DMY.search(value)
    if m:
        return _written(_make(int(m.group(3)), MONTHS[m.group(2).lower()], int(m.group(1))))
    m = _NUMERIC.search(value)
    if m:
        numbers = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
        style = re.sub(r"\d+", "N", m.group(0)[: m.start(3) - m.start(0)]) + "Y"
        first, second, year = numbers
        if _make(year, second, first) is None or _make(year, first, second) is None or first == second:
            date = _make(year, second, first) or _make(year, first, second)
            return DateReading(date, AS_WRITTEN if date else None, style, numbers)
        date = resolve_numeric(first, second, year, context)
        return DateReading(date, REPORTED_EVENTS if date else AMBIGUOUS, style, numbers)
    return DateReading(None, None)


def _written(date: dt.date | None) -> DateReading:
    return DateReading(date, AS_WRITTEN if date else None)


def is_date_line(text: str) -> bool:
    """True when text is only a date (with optional weekday, time, zone and "Updated"-style prefix)."""
    return bool(_DATE_LINE.fullmatch(text.strip()))
