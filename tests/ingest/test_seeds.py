"""The five committed seeds: exact metadata, clean bodies, no real paragraph lost.

Expected values were written down by reading the seed files, not by running the ingester.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from search_app.ingest.records import IngestResult, ingest
from search_app.models import Article

SEED_IDS = (
    "000_5ca391961da276a5",
    "001_0b108123ccd7e2b3",
    "002_d26b102950b0f93f",
    "003_b8c9e442042d1bdf",
    "004_860ced496ef7d71d",
)

# id -> (title, date, source, author, cities)
META = {
    "000_5ca391961da276a5": (
        "Shanxi metropolises listed as modern circulation cities",
        dt.date(2022, 9, 29), None, None, ("Changzhi", "Datong", "Linfen", "Taiyuan"),
    ),
    "001_0b108123ccd7e2b3": (
        "Province calls for industrial transfers",
        dt.date(2022, 3, 10), None, None, ("Changzhi", "Jincheng"),
    ),
    "002_d26b102950b0f93f": (
        "Demo zone, district to co-develop industrial parks in Shanxi",
        None, "China Daily", None, ("Jinzhong", "Taiyuan"),
    ),
    "003_b8c9e442042d1bdf": (
        "Work report reveals Shanxi remains on task",
        dt.date(2021, 11, 5), "Shanxi Daily", "Yuan Shenggao", ("Linfen", "Taiyuan", "Yangquan"),
    ),
    "004_860ced496ef7d71d": (
        "Jincheng pursues socioeconomic development, opening up",
        dt.date(2019, 9, 2), "China Daily", None, ("Jincheng", "Taiyuan"),
    ),
}

# id -> the opening words of every body paragraph, in order.
PARAGRAPH_STARTS = {
    "000_5ca391961da276a5": [
        "North China's Shanxi province will adopt",
        "The modern circulation industry usually",
        "The commission said fulcrum cities would",
        "As a fulcrum city in the national circulation",
        "It will strengthen the interconnection",
        "Datong will integrate regional commercial",
        "Meanwhile, the city will cooperate with",
        "As a comprehensive transportation hub in",
        "Changzhi, on the other hand, will rely",
        "It will also integrate regional agricultural",
    ],
    "001_0b108123ccd7e2b3": [
        "The delegation to the ongoing National People's Congress",
        "Shanxi's NPC delegates made the request",
        "According to the Shanxi deputies",
        "With convenient rail transport services",
        "The region is also known for its abundant",
        "There are two national development zones",
        "The view of the Shanxi delegates reportedly",
    ],
    "002_d26b102950b0f93f": [
        "A launch ceremony for the joint construction",
        "Founded in 2017, the Shanxi Transformation",
        "Xiaodian district in southern Taiyuan generated",
        "The two sides will combine their respective",
        "The industrial parks currently under construction",
        "The former is focusing on developing strategic",
        "Yuan added that professional, innovative",
    ],
    "003_b8c9e442042d1bdf": [
        "High-quality development, economic transformation",
        "Lin Wu, Party secretary of Shanxi, made the remarks",
        "At the congress, Lin was again elected",
        "Lin said Shanxi's targets over the next five years",
        "Other targets that the Shanxi government has set",
        "The official said Shanxi is expected to transform",
        '"Now that the blueprints are in place',
        "After attending the congress or watching",
        "Wu Bin, Party secretary of Quwo",
        '"The transformation should highlight',
        "The county will utilize the latest technologies",
        "The county will also foster emerging industries",
        "Lei Jiankun, Party secretary of Yangquan",
        "In recent years, Shanxi has used the latest",
        "In Yangquan, Lei said smart technologies",
        '"Our aim is to build Yangquan',
        "In terms of developing a new hub",
        "On Sept 25, a freight train loaded",
        '"We have seen a steady increase',
        "According to Zhou, the number of trains",
        "A more recent move for promoting opening-up",
        "The airport was among China's busiest",
        '"To meet the increasing number of passengers',
        "The project will include a new terminal",
        '"The completion of the project will make Taiyuan',
    ],
    "004_860ced496ef7d71d": [
        "Jincheng, a city in Shanxi province, considers",
        "The city has set up a 5-billion-yuan",
        "Jincheng has been relying on its coal chemical",
        "The city has also invested 13 billion yuan",
        "In addition, Jincheng has been trying to attract",
        "Jincheng has also been successful in optimizing",
        "Furthermore, Jincheng has been working to open up",
        "The city has also improved transportation",
        "In addition, Jincheng has made great efforts",
        "A total of 30 billion yuan has been spent",
        "A series of new parks, including the Danhe",
    ],
}

# id -> (first paragraph, last paragraph), exactly.
FIRST_LAST = {
    "000_5ca391961da276a5": (
        "North China's Shanxi province will adopt the local cities of Taiyuan, Datong, Changzhi and Linfen"
        " as modern circulation fulcrum cities to build a modern circulation network, the Shanxi Development"
        " and Reform Commission announced on Sept 22.",
        "It will also integrate regional agricultural products, e-commerce express and other commercial and"
        " trade logistics resources, and undertake the transfer of commercial and trade logistics in the"
        " central plains urban agglomeration.",
    ),
    "001_0b108123ccd7e2b3": (
        "The delegation to the ongoing National People's Congress (NPC) from North China's Shanxi province"
        " recently called for industrial transfers to the southeast of the province, which is said to provide"
        " a major economic boost to the region.",
        "The view of the Shanxi delegates reportedly is that the construction of a national-level demonstration"
        " zone for industrial transfers in southeastern Shanxi would create a co-development effect with the"
        " Shanxi-Shaanxi-Henan Yellow River Triangle National Industrial Transfer Demonstration Zone, and help"
        " Shanxi thrive in Central China.",
    ),
    "002_d26b102950b0f93f": (
        "A launch ceremony for the joint construction of demonstration industrial parks between the Shanxi"
        " Transformation and Comprehensive Reform Demonstration Zone and Xiaodian district of Taiyuan, capital"
        " of North China's Shanxi province, was held on July 19.",
        "Yuan added that professional, innovative and competitive enterprises, two large industrial leaders in"
        " different industrial chains and 50 enterprises in the upstream and downstream sections of industrial"
        " chains will be introduced.",
    ),
    "003_b8c9e442042d1bdf": (
        "High-quality development, economic transformation, energy revolution, ecological protection and"
        " promoting opening-up remain the key missions of Shanxi, a senior official said at a recent congress.",
        '"The completion of the project will make Taiyuan one of the hubs of civil aviation in China," Liu said.',
    ),
    "004_860ced496ef7d71d": (
        "Jincheng, a city in Shanxi province, considers advanced manufacturing a key part of its transformation"
        " and is focusing on the development of the optical-electro-mechanical industry, coal-machine"
        " manufacturing, and new energy equipment.",
        "A series of new parks, including the Danhe River Wetland Park, have been completed, and green spaces"
        " now account for 45.8 percent of the city's total area. The city has a tree coverage rate of 42 percent.",
    ),
}

# Page furniture seen in the seeds; none of it may reach a title or a body.
CHROME = (
    "Contact us", "Email us", "首页", "> News", "Eshanxi", "Home |", "| About Us", "All rights reserved",
    "Foreign Affairs Office (2018)", "Address:", "TEL:", "Email:", "4040426", ".jpg", "副本", "[Photo/",
    "statistics of Jincheng city", "/ For China Daily", "Li Lianjun", "By Yuan Shenggao", "Guo Yanjie",
    "contributed to this story", "Source:", "Time:", "Updated:", "chinadaily.com.cn", "\u00a0", "\u2002",
)


@pytest.fixture(scope="module")
def result(seeds_dir: Path) -> IngestResult:
    """One ingest of the committed seeds."""
    return ingest(seeds_dir)


@pytest.fixture(scope="module")
def by_id(result: IngestResult) -> dict[str, Article]:
    """The seed records by id."""
    return {a.id: a for a in result.articles}


def paragraphs(article: Article) -> list[str]:
    """Body paragraphs (the body joins them with one blank line)."""
    return article.body.split("\n\n")


def test_every_seed_becomes_a_record_and_nothing_is_skipped(result: IngestResult) -> None:
    assert result.skipped == []
    assert [a.id for a in result.articles] == list(SEED_IDS)


@pytest.mark.parametrize("seed_id", SEED_IDS)
def test_id_and_path(by_id: dict[str, Article], seed_id: str) -> None:
    article = by_id[seed_id]
    assert (article.id, article.path) == (seed_id, f"{seed_id}.txt")


@pytest.mark.parametrize("seed_id", SEED_IDS)
def test_metadata(by_id: dict[str, Article], seed_id: str) -> None:
    article = by_id[seed_id]
    got = (article.title, article.date, article.source, article.author, article.cities)
    assert got == META[seed_id]


@pytest.mark.parametrize("seed_id", SEED_IDS)
def test_no_paragraph_lost(by_id: dict[str, Article], seed_id: str) -> None:
    paras = paragraphs(by_id[seed_id])
    expected = PARAGRAPH_STARTS[seed_id]
    assert [p[: len(e)] for p, e in zip(paras, expected)] == expected
    assert len(paras) == len(expected)
    assert (paras[0], paras[-1]) == FIRST_LAST[seed_id]


@pytest.mark.parametrize("seed_id", SEED_IDS)
def test_no_chrome_left(by_id: dict[str, Article], seed_id: str) -> None:
    article = by_id[seed_id]
    left = [c for c in CHROME if c in article.title or c in article.body]
    assert left == []


@pytest.mark.parametrize("seed_id", SEED_IDS)
def test_body_layout_is_clean(by_id: dict[str, Article], seed_id: str) -> None:
    article = by_id[seed_id]
    paras = paragraphs(article)
    assert [p for p in paras if not p or p != p.strip() or "\n" in p or "  " in p] == []
    assert article.title not in paras  # the headline is not repeated as body text
    assert article.title == article.title.strip()


def test_special_characters_survive_cleaning(by_id: dict[str, Article]) -> None:
    """Non-breaking spaces become nothing (at line ends) or one space; en dashes stay."""
    assert "clusters \u2013 as well as LED" in by_id["001_0b108123ccd7e2b3"].body
    assert paragraphs(by_id["001_0b108123ccd7e2b3"])[3].endswith("industrial supply chains.")
    assert paragraphs(by_id["002_d26b102950b0f93f"])[2].endswith("jurisdiction of Xiaodian.")
    assert "resources \u2013 including beef, mutton and dairy products \u2013 improve" in by_id["000_5ca391961da276a5"].body


@pytest.mark.parametrize("seed_id", SEED_IDS)
def test_content_hash_shape(by_id: dict[str, Article], seed_id: str) -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", by_id[seed_id].content_hash)


def test_content_hashes_are_distinct_and_stable(seeds_dir: Path, by_id: dict[str, Article]) -> None:
    hashes = {a.content_hash for a in by_id.values()}
    assert len(hashes) == len(SEED_IDS)
    again = {a.id: a.content_hash for a in ingest(seeds_dir).articles}
    assert again == {i: a.content_hash for i, a in by_id.items()}


def test_content_hash_follows_the_file(seeds_copy: Path, by_id: dict[str, Article]) -> None:
    path = seeds_copy / "001_0b108123ccd7e2b3.txt"
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"\n\nOne more paragraph about Changzhi.")
    changed = {a.id: a.content_hash for a in ingest(seeds_copy).articles}
    assert changed["001_0b108123ccd7e2b3"] != by_id["001_0b108123ccd7e2b3"].content_hash
    assert changed["000_5ca391961da276a5"] == by_id["000_5ca391961da276a5"].content_hash


def test_to_json_of_a_seed(by_id: dict[str, Article]) -> None:
    data = by_id["003_b8c9e442042d1bdf"].to_json()
    assert {k: v for k, v in data.items() if k not in ("body", "content_hash")} == {
        "id": "003_b8c9e442042d1bdf",
        "path": "003_b8c9e442042d1bdf.txt",
        "title": "Work report reveals Shanxi remains on task",
        "date": "2021-11-05",
        "source": "Shanxi Daily",
        "author": "Yuan Shenggao",
        "cities": ["Linfen", "Taiyuan", "Yangquan"],
        "dated_by": "reported events",  # "11 05,2021": either order is a date; the reported events settle it
    }
