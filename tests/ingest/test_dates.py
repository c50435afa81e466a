"""Date lines: a line that is only a date, above the first paragraph, is the page's date.

A sentence that mentions a date is body text wherever it stands.
"""

from __future__ import annotations

import datetime as dt

import pytest

from search_app.ingest.dates import is_date_line
from search_app.ingest.extract import Extracted, extract

HEADLINE = "Taiyuan opens a new metro line"
# "Sept 20" is a reported past event: it settles day/month order for the numeric dates below.
FIRST = "The new metro line in Taiyuan opened to passengers on Sept 20, the operator said."
LAST = "More than 10,000 people rode it on the first day."


def page(*lines: str) -> str:
    """Lines of a page, one blank line apart, as scraped."""
    return "\n\n".join(lines)


@pytest.mark.parametrize(
    "line",
    [
        "2021-09-20",
        "2021-09-20 09:12",
        "2021-09-20 09:12:45",
        "2022/11/03",
        "2022.11.03",
        "2021-09-20T09:12:00+08:00",
        "2021年9月20日",
        "2021年09月20日 09:12",
        "October 8, 2023",
        "Oct. 8, 2023",
        "Mar 3, 2021",
        "8 October 2023",
        "3rd March, 2021",
        "12/07/2022",
        "29 09,2022",
        "Monday, October 9, 2023",
        "Mon Oct 9, 2023",
        "2023-10-09 (Monday)",
        "2021-09-20 09:12 BJT",
        "2023-10-08 14:30 GMT+8",
        "2023-10-08 14:30 UTC+08:00",
        "October 8, 2023, 9:05 pm (Beijing Time)",
        "October 8, 2023 at 9:05 am",
        "Updated 2023-10-08 14:30",
        "Last updated October 8, 2023",
        "Published on Sept 22, 2022",
        "Posted 2022-09-22",
        "发布时间 2021-09-20",
        "  2021-09-20  ",
    ],
)
def test_date_lines(line: str) -> None:
    assert is_date_line(line) is True


@pytest.mark.parametrize(
    "line",
    [
        "On October 8, 2023, the line opened.",
        "October 8, 2023 was a busy day for the operator.",
        "The line opened on 2021-09-20.",
        "2021-09-20 09:12 news",
        "Mar 3, 2021 Taiyuan",
        "May 2023",
        "2023",
        "October 8",
        "Updated",
        "Time is running out",
        "12/07",
        "",
    ],
)
def test_not_date_lines(line: str) -> None:
    assert is_date_line(line) is False


@pytest.mark.parametrize(
    ("line", "date"),
    [
        ("2021-09-20", dt.date(2021, 9, 20)),
        ("2021-09-20 09:12", dt.date(2021, 9, 20)),
        ("2022/11/03", dt.date(2022, 11, 3)),
        ("October 8, 2023", dt.date(2023, 10, 8)),
        ("Mar 3, 2021", dt.date(2021, 3, 3)),
        ("Monday, October 9, 2023", dt.date(2023, 10, 9)),
        ("2021-09-20 09:12 BJT", dt.date(2021, 9, 20)),
        ("Updated 2023-10-08 14:30", dt.date(2023, 10, 8)),
        ("2021年9月20日 09:12", dt.date(2021, 9, 20)),
        # Day/month as dates.py settles "DD MM,YYYY": 12 July would precede the reported Sept 20 opening.
        ("12/07/2022", dt.date(2022, 12, 7)),
        ("31/12/2022", dt.date(2022, 12, 31)),  # 31 can only be a day
        ("07/07/2022", dt.date(2022, 7, 7)),
        ("2022-02-30", None),  # not a date: no date, and the line still goes
    ],
)
def test_date_line_under_the_headline(line: str, date: dt.date | None) -> None:
    assert extract(page(HEADLINE, line, FIRST, LAST)) == Extracted(
        title=HEADLINE, body=f"{FIRST}\n\n{LAST}", date=date, source=None, author=None
    )


@pytest.mark.parametrize(
    ("line", "paragraphs", "date"),
    [
        ("12/07/2022", ("Work began last year.",), None),  # no evidence either way: no guess
        ("05/03/2020", ("The plan was approved on April 20.",), dt.date(2020, 5, 3)),
        ("05/03/2020", ("The terminal will open on April 20.",), None),  # future events are no evidence
    ],
)
def test_ambiguous_date_line(line: str, paragraphs: tuple[str, ...], date: dt.date | None) -> None:
    fields = extract(page(HEADLINE, line, *paragraphs))
    assert (fields.date, fields.body) == (date, "\n\n".join(paragraphs))


def test_date_line_above_the_headline() -> None:
    assert extract(page("2021-09-20 09:12", HEADLINE, FIRST)) == Extracted(
        title=HEADLINE, body=FIRST, date=dt.date(2021, 9, 20), source=None, author=None
    )


def test_date_line_among_other_header_lines() -> None:
    text = page("Taiyuan - Eshanxi", "首页 > News", HEADLINE, "Source: Xinhua", "Monday, October 9, 2023", FIRST)
    assert extract(text) == Extracted(title=HEADLINE, body=FIRST, date=dt.date(2023, 10, 9), source="Xinhua", author=None)


def test_first_date_wins_and_a_second_date_line_is_dropped() -> None:
    fields = extract(page(HEADLINE, "Updated: 2022-03-10", "2022-03-11 08:00", FIRST))
    assert (fields.date, fields.body) == (dt.date(2022, 3, 10), FIRST)


def test_date_line_inside_the_story_stays() -> None:
    fields = extract(page(HEADLINE, FIRST, "2021-09-20", LAST))
    assert (fields.date, fields.body) == (None, f"{FIRST}\n\n2021-09-20\n\n{LAST}")


@pytest.mark.parametrize(
    "paragraph",
    [
        "October 8, 2023 was a busy day for the operator.",
        "On 2021-09-20 the first train left Taiyuan South station.",
        "Monday, October 9, 2023, was the first working day on the line.",
        "2021-09-20: the first train left at 6 am.",
    ],
)
def test_sentence_with_a_date_in_the_header_position_is_body(paragraph: str) -> None:
    fields = extract(page(HEADLINE, paragraph, LAST))
    assert (fields.title, fields.date, fields.body) == (HEADLINE, None, f"{paragraph}\n\n{LAST}")
