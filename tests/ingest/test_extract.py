"""The extraction rules on made-up pages in the seeds' styles, and the dates, gazetteer and sources modules."""

from __future__ import annotations

import datetime as dt

import pytest

from search_app.ingest.dates import parse_date, resolve_numeric
from search_app.ingest.extract import Extracted, extract, is_chrome, normalise_text
from search_app.ingest.gazetteer import HEADLINE, MAX_MENTIONS, canonical_city, city_label, city_names, find_cities, locate_cities
from search_app.ingest.sources import known_outlet, normalise_source

# --- whole pages -------------------------------------------------------------------------

ESHANXI_PAGE = """Datong - Eshanxi
首页\u00a0\u00a0 >\u00a0 News
Datong coal museum draws record crowds
Time: 03 11,2020\u00a0\u00a0\u00a0 Source: Shanxi daily

Visitors look at old mining lamps at the museum in Datong. Zhang Wei / For China Daily

The coal museum in Datong received more visitors than ever this autumn, its curator said.

The museum reopened on Oct 20 after a year of repairs.

"We did not expect so many people," she said.

A new hall will open on Dec 1, according to the plan.

By ZHANG SAN in Taiyuan

Li Si and Wang Wu contributed to this story.

Datong - Eshanxi"""

CHINADAILY_PAGE = """Yuncheng salt lake turns pink again

(chinadaily.com.cn)

Updated: 2023-01-05 10:21

盐湖_副本.JPG

Tourists walk beside the salt lake in Yuncheng. [Photo/Xinhua]

The salt lake in Yuncheng, Shanxi province, has turned pink for the third summer in a row.\u00a0

Algae that thrive in salty water give the lake its color, experts said.\u00a0

Copyright 1995 - 2023 . All rights reserved. The content (including but not limited to text, photo, multimedia information, etc) published in this site belongs to China Daily Information Co (CDIC). Without written authorization from CDIC, such content shall not be republished or used in any form.
"""

SXGOV_PAGE = """Pingyao ancient city hosts photo festival
Source: China Daily

The Pingyao International Photography Festival opened in the ancient city on Sept 19.\u2002

More than 2,000 photographers from 40 countries took part.

The court also heard a copyright dispute between two photographers.


Home | News | Government | Culture &Tourism | Investment | Live | Sister Cities | About Us

Shanxi People's Government Foreign Affairs Office (2023) All rights reserved

Address: No.1 Yingze Street Taiyuan: 030001 |  TEL:86-351-1234567 transfer 1 |  Email:"""

CONTACT_PAGE = """Contact us
Email us

Linfen opens high-speed rail link to Lüliang

Source: Time: 14 06,2023

The new line links Linfen and Lvliang, cutting the trip to an hour, the railway company said.

Editors at the local newspaper said the line was long awaited.

Hongtong county will get a station next year."""


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (
            ESHANXI_PAGE,
            Extracted(
                title="Datong coal museum draws record crowds",
                body=(
                    "The coal museum in Datong received more visitors than ever this autumn, its curator said.\n\n"
                    "The museum reopened on Oct 20 after a year of repairs.\n\n"
                    '"We did not expect so many people," she said.\n\n'
                    "A new hall will open on Dec 1, according to the plan."
                ),
                # "03 11": 11 March would precede the reopening on Oct 20 it reports; 3 Nov does not.
                date=dt.date(2020, 11, 3),
                source="Shanxi Daily",
                author="Zhang San",
            ),
        ),
        (
            CHINADAILY_PAGE,
            Extracted(
                title="Yuncheng salt lake turns pink again",
                body=(
                    "The salt lake in Yuncheng, Shanxi province, has turned pink for the third summer in a row.\n\n"
                    "Algae that thrive in salty water give the lake its color, experts said."
                ),
                date=dt.date(2023, 1, 5),
                source="China Daily",
                author=None,
            ),
        ),
        (
            SXGOV_PAGE,
            Extracted(
                title="Pingyao ancient city hosts photo festival",
                body=(
                    "The Pingyao International Photography Festival opened in the ancient city on Sept 19.\n\n"
                    "More than 2,000 photographers from 40 countries took part.\n\n"
                    "The court also heard a copyright dispute between two photographers."
                ),
                date=None,
                source="China Daily",
                author=None,
            ),
        ),
        (
            CONTACT_PAGE,
            Extracted(
                title="Linfen opens high-speed rail link to Lüliang",
                body=(
                    "The new line links Linfen and Lvliang, cutting the trip to an hour, the railway company said.\n\n"
                    "Editors at the local newspaper said the line was long awaited.\n\n"
                    "Hongtong county will get a station next year."
                ),
                date=dt.date(2023, 6, 14),
                source=None,
                author=None,
            ),
        ),
    ],
    ids=["eshanxi", "chinadaily", "sxgov", "contact"],
)
def test_made_up_pages(page: str, expected: Extracted) -> None:
    assert extract(page) == expected


@pytest.mark.parametrize(
    ("page", "cities"),
    [
        (ESHANXI_PAGE, ("Datong",)),  # the byline's "in Taiyuan" is not article text
        (CHINADAILY_PAGE, ("Yuncheng",)),
        (SXGOV_PAGE, ("Jinzhong",)),  # Pingyao is a county of Jinzhong; the footer's Taiyuan address does not count
        (CONTACT_PAGE, ("Linfen", "Lüliang")),
    ],
    ids=["eshanxi", "chinadaily", "sxgov", "contact"],
)
def test_made_up_page_cities(page: str, cities: tuple[str, ...]) -> None:
    fields = extract(page)
    assert find_cities(fields.title + "\n" + fields.body) == cities


def page(meta: str, *paragraphs: str) -> str:
    """A minimal page: headline, one metadata line, body paragraphs."""
    return "\n\n".join(("Shanxi opens a new airport terminal", meta, *paragraphs))


@pytest.mark.parametrize(
    ("meta", "paragraphs", "date"),
    [
        ("Time: 05 03,2020", ("The terminal opened on Sept 20.",), None),  # neither reading fits: no guess
        ("Time: 05 03,2020", ("The plan was approved on April 20.",), dt.date(2020, 5, 3)),
        ("Time: 05 03,2020", ("Officials met on Feb 28.",), None),  # both readings fit
        ("Time: 05 03,2020", ("Work began last year.",), None),  # no evidence at all
        ("Time: 05 03,2020", ("The terminal will open on April 20.",), None),  # future events are no evidence
        ("Time: 03 11,2021", ("The congress was held from Oct 25-29.",), dt.date(2021, 11, 3)),
        ("Time: 29 09,2022", ("Nothing dated here.",), dt.date(2022, 9, 29)),  # 29 can only be a day
        ("Time: 09 29,2022", ("Nothing dated here.",), dt.date(2022, 9, 29)),
        ("Time: 07 07,2022", ("Nothing dated here.",), dt.date(2022, 7, 7)),
        ("Time: 31 02,2022", ("Nothing dated here.",), None),
        ("Updated: 2023-01-05 10:21", ("The terminal opened on Sept 20.",), dt.date(2023, 1, 5)),
        ("Updated: 2022-02-30", ("Nothing dated here.",), None),
        ("Published: 2022年3月10日", ("Nothing dated here.",), dt.date(2022, 3, 10)),
        ("Date: Sept 22, 2022", ("Nothing dated here.",), dt.date(2022, 9, 22)),
        ("Time:", ("Nothing dated here.",), None),
    ],
)
def test_page_dates(meta: str, paragraphs: tuple[str, ...], date: dt.date | None) -> None:
    assert extract(page(meta, *paragraphs)).date == date


@pytest.mark.parametrize(
    ("meta", "source"),
    [
        ("Source: ", None),
        ("Source:", None),
        ("Source: Shanxi daily", "Shanxi Daily"),
        ("Source: SHANXI DAILY", "Shanxi Daily"),
        ("Source: China Daily", "China Daily"),
        ("Source: chinadaily.com.cn", "China Daily"),
        ("(chinadaily.com.cn)", "China Daily"),
        ("(Xinhua)", "Xinhua"),
        ("Source: Xinhua News Agency", "Xinhua"),
        ("Source: 山西日报", "Shanxi Daily"),
        ("Source: shanxi evening news", "Shanxi Evening News"),
        ("Source: China Daily | Updated: 2023-01-05 10:21", "China Daily"),
        ("Source: Shanxi daily\u00a0\u00a0 Time: 11 05,2021", "Shanxi Daily"),
        ("Source: China Daily/Xinhua", "China Daily/Xinhua"),  # a slash without a date after it is part of the name
        ("Source: Xinhua | Editor: Li Si", "Xinhua"),
        ("来源：山西日报", "Shanxi Daily"),
        ("来源: 新华社", "Xinhua"),
        ("来源：人民日报", "People's Daily"),
        ("来源：中国日报", "China Daily"),
        ("来源：中国日报网", "China Daily"),
        ("来源：太原日报", "太原日报"),  # no English name known: kept as written
        ("(新华社)", "Xinhua"),
        ("来源：新华社 作者：张三 责任编辑：李四", "Xinhua"),
    ],
)
def test_page_sources(meta: str, source: str | None) -> None:
    fields = extract(page(meta, "The terminal opened."))
    assert (fields.source, fields.body) == (source, "The terminal opened.")


@pytest.mark.parametrize(
    ("meta", "source", "date"),
    [
        ("Source: Xinhua | 2021-09-20", "Xinhua", dt.date(2021, 9, 20)),
        ("Source: Xinhua · 2021-09-20", "Xinhua", dt.date(2021, 9, 20)),
        ("Source: Xinhua / 2021-09-20", "Xinhua", dt.date(2021, 9, 20)),
        ("Source: Xinhua – Sept 20, 2021", "Xinhua", dt.date(2021, 9, 20)),
        ("Source: Xinhua — 2021-09-20 09:12 BJT", "Xinhua", dt.date(2021, 9, 20)),
        ("Source: Xinhua - 2021-09-20", "Xinhua", dt.date(2021, 9, 20)),
        ("Source: Xinhua  Updated: 2021-09-20", "Xinhua", dt.date(2021, 9, 20)),
        ("Source: Xinhua Updated 2021-09-20", "Xinhua", dt.date(2021, 9, 20)),
        ("Source: chinadaily.com.cn | 2021-09-20", "China Daily", dt.date(2021, 9, 20)),
        ("Source: shanxi evening news | 2021-09-20", "Shanxi Evening News", dt.date(2021, 9, 20)),
        ("Source: Xinhua | 12/07/2022", "Xinhua", None),  # day and month undecidable: no date
        ("Source: 2021-09-20", None, dt.date(2021, 9, 20)),
        ("2021-09-20 09:12 | Source: Xinhua", "Xinhua", dt.date(2021, 9, 20)),
        ("来源：新华社 2021-09-20", "Xinhua", dt.date(2021, 9, 20)),
        ("2021-09-20 09:12 来源：新华社", "Xinhua", dt.date(2021, 9, 20)),
        ("来源：中国日报 时间：2021年09月20日 09:12", "China Daily", dt.date(2021, 9, 20)),
        ("发布时间：2021-09-20 来源：人民网", "People's Daily", dt.date(2021, 9, 20)),
    ],
)
def test_source_line_with_a_date(meta: str, source: str | None, date: dt.date | None) -> None:
    fields = extract(page(meta, "The terminal opened."))
    assert (fields.source, fields.date, fields.body) == (source, date, "The terminal opened.")


@pytest.mark.parametrize(
    ("byline", "author"),
    [
        ("By ZHANG SAN in Taiyuan", "Zhang San"),
        ("By Yuan Shenggao", "Yuan Shenggao"),
        ("By Li Si and Wang Wu", "Li Si and Wang Wu"),
        ("By ZHANG SAN in Taiyuan | chinadaily.com.cn | Updated: 2023-01-05 10:21", "Zhang San"),
        ("Reporter: Wang Wu", "Wang Wu"),
        ("作者：张三", "张三"),
        ("作者: 张三", "张三"),
        ("作者：ZHANG SAN", "Zhang San"),
        ("记者 张三", "张三"),
        ("记者：张三 李四", "张三 李四"),
        ("本报记者 张三、李四", "张三、李四"),
        ("新华社记者张三报道", "张三"),
        ("（记者 张三）", "张三"),
        ("文/张三", "张三"),
        ("记者 欧阳·买买提", "欧阳·买买提"),
        ("作者：张三 | 2021-09-20", "张三"),
    ],
)
def test_bylines(byline: str, author: str) -> None:
    fields = extract(page(byline, "The terminal opened.", "Li Si and Wang Wu contributed to this story."))
    assert (fields.author, fields.body) == (author, "The terminal opened.")


@pytest.mark.parametrize(
    ("byline", "author", "source", "date"),
    [
        (
            "By ZHANG SAN in Taiyuan | chinadaily.com.cn | Updated: 2023-01-05 10:21",
            "Zhang San", "China Daily", dt.date(2023, 1, 5),
        ),
        ("By Zhang San | Xinhua | 2021-09-20", "Zhang San", "Xinhua", dt.date(2021, 9, 20)),
        ("记者 张三 | 来源：新华社 | 2021-09-20", "张三", "Xinhua", dt.date(2021, 9, 20)),
        ("来源：新华社 作者：张三", "张三", "Xinhua", None),
    ],
)
def test_byline_line_with_outlet_and_date_keeps_them(
    byline: str, author: str, source: str, date: dt.date | None
) -> None:
    fields = extract(page(byline, "The terminal opened."))
    assert (fields.author, fields.source, fields.date, fields.body) == (author, source, date, "The terminal opened.")


@pytest.mark.parametrize(
    "paragraph",
    [
        "By 2025 the city plans to plant a million trees.",
        "By Friday, the city had restored power to most homes.",
        "Editors at the newspaper said the paper would close.",
        "The court heard a copyright case on Monday.",
        "Home prices rose in Taiyuan last year.",
        "Source of the river: a spring in Ningwu county.",
        "More than 100 companies attended.",
        "Time is running out for the old mines, he said.",
        "The company's address is now in Xiaodian district.",
        "Wang said: \"Photos of the old town are popular online.\"",
        "On October 8, 2023, the line carried 50,000 passengers.",
        "October 8, 2023 was the busiest day so far.",
        "2021-09-20 09:12 is when the first train left.",
        "记者发现问题严重",
        "编辑部的故事 is a popular Beijing sitcom.",
    ],
)
def test_real_paragraphs_are_kept(paragraph: str) -> None:
    fields = extract(page("Updated: 2023-01-05", "First paragraph.", paragraph, "Last paragraph."))
    assert fields.body.split("\n\n") == ["First paragraph.", paragraph, "Last paragraph."]


@pytest.mark.parametrize(
    "chrome",
    [
        "Contact us", "Email us", "Home", "Print", "Share", "Back to top", "Related stories",
        "首页 > News", "Home > Cities > Taiyuan", "Home >> News", "Taiyuan - Eshanxi", "Business - chinadaily.com.cn",
        "Home | News | Business | Culture | About Us", "首页 丨 新闻 丨 政务 丨 关于我们",
        "Copyright © 2023 Shanxi Daily. All Rights Reserved.", "© 2023 China Daily",
        "Address: No.1 Yingze Street, Taiyuan", "TEL: 86-351-1234567", "Tel: 0351-1234567 | Fax: 0351-7654321",
        "E-mail: news@example.com", "Editor: Li Si", "Responsible editor: Wang Wu", "[Editor: Li Si]",
        "IMG_2023.jpg", "taiyuan-night.png", "A view of Taiyuan at night. [Photo/Xinhua]",
        "A view of Taiyuan at night. [Photo by Zhang San/For China Daily]",
        "A view of Taiyuan at night. (Photo by Zhang San)", "Photo: Xinhua",
        "A view of Taiyuan at night. Zhang San / For China Daily", "Zhang San / Xinhua",
        "Li Si and Wang Wu contributed to this story.", "Zhao Liu also contributed to this report.",
        "编辑：李四", "责任编辑：王五",
    ],
)
def test_chrome_lines_are_dropped(chrome: str) -> None:
    fields = extract(page("Updated: 2023-01-05", "First paragraph.", chrome, "Last paragraph."))
    assert fields.body == "First paragraph.\n\nLast paragraph."


def test_headline_is_not_the_first_line_of_chrome() -> None:
    fields = extract("Contact us\nEmail us\nHome | News | About Us\n首页 > News\nShort headline\nA paragraph of text.")
    assert (fields.title, fields.body) == ("Short headline", "A paragraph of text.")


def test_page_without_a_headline_keeps_its_first_sentence() -> None:
    fields = extract("The city of Taiyuan opened a new library on Saturday.\n\nReaders came from Jinzhong.")
    assert fields.body == "The city of Taiyuan opened a new library on Saturday.\n\nReaders came from Jinzhong."
    assert fields.title == "The city of Taiyuan opened a new library on Saturday."


def test_normalise_text() -> None:
    raw = "\ufeffA\u00a0b\u2002c\u3000d\u200be\r\n  f  \rg\t\th"
    assert normalise_text(raw) == "A b c de\nf\ng h"


def test_is_chrome_on_a_sentence_with_pipes() -> None:
    assert is_chrome("Scores: Taiyuan | Datong | Jinzhong all won their games.") is False


# --- dates ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "date"),
    [
        ("2022-03-10", dt.date(2022, 3, 10)),
        ("2022/3/1", dt.date(2022, 3, 1)),
        ("2022.03.10 08:00", dt.date(2022, 3, 10)),
        ("2022年3月10日", dt.date(2022, 3, 10)),
        ("2022 年 03 月 10 日 14:05", dt.date(2022, 3, 10)),
        ("Sept 22, 2022", dt.date(2022, 9, 22)),
        ("Sept. 22, 2022", dt.date(2022, 9, 22)),
        ("September 22nd, 2022", dt.date(2022, 9, 22)),
        ("22 September 2022", dt.date(2022, 9, 22)),
        ("22 Sep, 2022", dt.date(2022, 9, 22)),
        ("29 09,2022", dt.date(2022, 9, 29)),
        ("13/05/2022", dt.date(2022, 5, 13)),
        ("2022-13-01", None),
        ("2022-02-29", None),
        ("Feb 30, 2022", None),
        ("1850-01-01", None),
        ("yesterday", None),
        ("", None),
        ("11 05,2021", None),  # ambiguous, and no article text to decide from
    ],
)
def test_parse_date(value: str, date: dt.date | None) -> None:
    assert parse_date(value) == date


@pytest.mark.parametrize(
    ("a", "b", "text", "date"),
    [
        (11, 5, "The congress was held in Taiyuan from Oct 25-29.", dt.date(2021, 11, 5)),
        (11, 5, "The congress will be held from Oct 25-29.", None),
        (11, 5, "Officials met on Feb 2.", None),
        (11, 5, "", None),
        (3, 11, "The plan was approved on Oct 20.", dt.date(2021, 11, 3)),
        (5, 3, "Officials met on April 20, 2021.", dt.date(2021, 5, 3)),
        (5, 3, "Officials met on April 20, 2020.", None),  # an event of an earlier year says nothing
        (5, 5, "", dt.date(2021, 5, 5)),
        (29, 9, "", dt.date(2021, 9, 29)),
        (9, 29, "", dt.date(2021, 9, 29)),
        (30, 2, "", None),
        (5, 3, "The may 20 deadline passed.", None),  # lower-case "may" is a verb, not a month
    ],
)
def test_resolve_numeric(a: int, b: int, text: str, date: dt.date | None) -> None:
    assert resolve_numeric(a, b, 2021, text) == date


def test_parse_date_never_invents_today() -> None:
    assert parse_date("Time: ", context="Something happened today.") is None


# --- gazetteer --------------------------------------------------------------------------

def test_eleven_cities() -> None:
    assert city_names() == (
        "Taiyuan", "Datong", "Shuozhou", "Xinzhou", "Yangquan", "Jinzhong", "Lüliang",
        "Changzhi", "Jincheng", "Linfen", "Yuncheng",
    )


@pytest.mark.parametrize(
    ("text", "cities"),
    [
        ("Jinzhong signed a deal.", ("Jinzhong",)),
        ("Jincheng signed a deal.", ("Jincheng",)),
        ("Jinzhong and Jincheng signed a deal.", ("Jincheng", "Jinzhong")),
        ("Lüliang, Lvliang, Luliang and LULIANG are one city.", ("Lüliang",)),
        ("Lyuliang Mountains", ("Lüliang",)),
        ("山西省太原市", ("Taiyuan",)),
        ("吕梁 and 晋中", ("Jinzhong", "Lüliang")),
        ("Xiaodian district is growing.", ("Taiyuan",)),
        ("Wu Bin, Party secretary of Quwo, said so.", ("Linfen",)),
        ("Pingyao ancient city", ("Jinzhong",)),
        ("Pinglu county and Pinglu district", ("Shuozhou", "Yuncheng")),
        ("Pinglu alone is ambiguous.", ()),
        # Bare names shared with words or places elsewhere count only with a suffix or in a Shanxi text.
        ("HOUMA, La., March 3 - Texaco said the well was shut.", ()),
        ("Jingle Bells and Xiaoyi's new album", ()),
        ("The Yangcheng Evening News reported it.", ()),
        ("Officials in Houma city said so.", ("Linfen",)),
        ("Yangcheng county, in southeast Shanxi, opened a plant.", ("Jincheng",)),
        ("Houma and Linfen signed a rail deal.", ("Linfen",)),
        ("Xiaoyi and Taiyuan signed a rail deal.", ("Lüliang", "Taiyuan")),
        ("山西侯马 and Houma", ("Linfen",)),
        ("Datong's mayor and TAIYUAN officials", ("Datong", "Taiyuan")),
        ("Taiyuanese food", ()),
        ("Jinchengs", ()),
        ("Lin Wu met Yuan Erming in Beijing.", ()),
        ("the datong river", ()),  # place names are proper nouns
        ("", ()),
    ],
)
def test_find_cities(text: str, cities: tuple[str, ...]) -> None:
    assert find_cities(text) == cities


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        ("Taiyuan opens a museum", "The museum opened on Monday.", {"Taiyuan": HEADLINE}),
        ("Taiyuan opens a museum", "Visitors to Taiyuan and 太原市 came.", {"Taiyuan": HEADLINE + 2}),
        ("A new museum", "Taiyuan's museum, in Xiaodian district of Taiyuan, near Datong.", {"Datong": 1, "Taiyuan": 3}),
        ("A new rail line", "Taiyuan. " * 20, {"Taiyuan": MAX_MENTIONS}),  # a long article is not more central
        ("晋城 news", "Jincheng grows.", {"Jincheng": HEADLINE + 1}),
        ("HOUMA, La.", "Texaco said the well was shut.", {}),  # doubtful names still need context
        ("No city here", "", {}),
    ],
)
def test_locate_cities_weighs_how_central_each_city_is(title: str, body: str, expected: dict[str, int]) -> None:
    names, centrality = locate_cities(title, body)
    assert (dict(zip(names, centrality)), names) == (expected, find_cities(title + "\n" + body))


@pytest.mark.parametrize(
    ("value", "city"),
    [
        ("Taiyuan", "Taiyuan"),
        ("  taiyuan ", "Taiyuan"),
        ("TAIYUAN", "Taiyuan"),
        ("Taiyuan City", "Taiyuan"),
        ("太原", "Taiyuan"),
        ("太原市", "Taiyuan"),
        ("Lvliang", "Lüliang"),
        ("luliang", "Lüliang"),
        ("Lüliang", "Lüliang"),
        ("Lu\u0308liang", "Lüliang"),
        ("Xiaodian", "Taiyuan"),
        ("Xiaodian District", "Taiyuan"),
        ("小店区", "Taiyuan"),
        ("quwo", "Linfen"),
        ("Quwo county", "Linfen"),
        ("Tatung", "Datong"),
        ("Beijing", None),
        ("", None),
    ],
)
def test_canonical_city(value: str, city: str | None) -> None:
    assert canonical_city(value) == city


def test_city_label() -> None:
    assert (city_label("Taiyuan"), city_label("Lüliang"), city_label("Beijing")) == ("Taiyuan 太原", "Lüliang 吕梁", "Beijing")


# --- sources ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "label"),
    [
        ("Shanxi daily", "Shanxi Daily"),
        ("shanxi daily", "Shanxi Daily"),
        ("Source: China Daily", "China Daily"),
        ("(chinadaily.com.cn)", "China Daily"),
        ("www.chinadaily.com.cn", "China Daily"),
        ("China Daily.", "China Daily"),
        ("XINHUA", "Xinhua"),
        ("新华社", "Xinhua"),
        ("来源：山西日报", "Shanxi Daily"),
        ("来源: 新华社", "Xinhua"),
        ("人民日报", "People's Daily"),
        ("中国日报", "China Daily"),
        ("太原日报", "太原日报"),
        ("eshanxi.com", "eShanxi"),
        ("shanxi evening news", "Shanxi Evening News"),
        ("Taiyuan Evening News", "Taiyuan Evening News"),
        ("WWW.SXRB.COM", "sxrb.com"),
        ("", None),
        ("   ", None),
        ("Source:", None),
        ("( )", None),
        (None, None),
    ],
)
def test_normalise_source(value: str | None, label: str | None) -> None:
    assert normalise_source(value) == label


@pytest.mark.parametrize(
    ("value", "label"),
    [
        ("chinadaily.com.cn", "China Daily"), ("Xinhua", "Xinhua"), ("新华社", "Xinhua"), ("中国日报", "China Daily"),
        ("Taiyuan Evening News", None), ("太原日报", None), ("", None),
    ],
)
def test_known_outlet(value: str, label: str | None) -> None:
    assert known_outlet(value) == label
