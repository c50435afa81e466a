"""The benchmark's query log (bench/queries.py) and its FTS5 translation (bench/fts5.py), on made-up stories."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import fts5, queries
from bench.make_corpus import Story

# 20 words and 400 made of their halves: enough that plain word queries rarely repeat, as in Reuters.
BASE = ("coal wheat steel railway exports prices traders furnace mining output shipments harvest copper "
        "dollar reserve interest rates council province tonnes").split()
WORDS = BASE + [a[:3] + b[-3:] for a in BASE for b in BASE]


def _stories(count: int = 300) -> list[Story]:
    rng = random.Random(7)

    def sentence() -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 12))).capitalize() + "."

    return [Story(n, " ".join(rng.sample(BASE, 4)).upper(), dt.date(1987, 3, 1),
                  tuple(" ".join(sentence() for _ in range(3)) for _ in range(3))) for n in range(count)]


@pytest.fixture(scope="module")
def log() -> list[queries.Query]:
    """2,000 queries drawn from the made-up stories."""
    return queries.make_log(_stories(), 2000, seed=11)


def test_log_is_distinct_and_reproducible(log: list[queries.Query]) -> None:
    assert queries.summary(log)["distinct"] == 2000
    assert queries.make_log(_stories(), 2000, seed=11) == log
    assert queries.make_log(_stories(), 2000, seed=12) != log


def test_log_has_the_documented_shares(log: list[queries.Query]) -> None:
    made = queries.summary(log)
    for kind, share in queries.SHARES.items():
        assert abs(made["kinds"][kind] / 2000 - share) < 0.02, kind
    # Filtered queries repeat less often than bare ones, so dropping repeats raises their share a little
    # (9.4% of the log drawn from Reuters; more with these few made-up words).
    assert abs((made["city_filter"] + made["source_filter"]) / 2000 - queries.FILTER_SHARE) < 0.03
    assert abs(made["date_range"] / 2000 - queries.DATE_SHARE) < 0.015
    assert abs(made["date_sort"] / 2000 - queries.SORT_SHARE) < 0.02
    assert 1.8 < made["mean_words"] < 2.8


@pytest.mark.parametrize(("kind", "pattern"), [
    ("phrase", r'^"\w+( \w+){1,2}"( \w+)?$'),
    ("or", r"^\w+ OR \w+$"),
    ("not", r"^\w+( \w+)? -\w+$"),
    ("prefix", r"^(\w+ )?\w{4,}\*$"),
    ("words", r"^\w+( \w+){0,3}$"),
])
def test_each_kind_reads_as_typed(log: list[queries.Query], kind: str, pattern: str) -> None:
    import re

    made = [q["q"] for q in log if q["kind"] == kind]
    assert made and all(re.match(pattern, text) for text in made), [t for t in made if not re.match(pattern, t)][:5]


def _one_slip(typed: str, word: str) -> bool:
    """True when typed is word with one letter dropped, doubled, replaced, or two neighbours swapped."""
    if len(typed) == len(word) - 1:
        return any(word[:i] + word[i + 1:] == typed for i in range(len(word)))
    if len(typed) == len(word) + 1:
        return any(typed[:i] + typed[i + 1:] == word for i in range(len(typed)))
    differ = [i for i in range(len(word)) if typed[i] != word[i]] if len(typed) == len(word) else []
    return len(differ) == 1 or (len(differ) == 2 and differ[1] == differ[0] + 1
                                and typed[differ[0]] == word[differ[1]] and typed[differ[1]] == word[differ[0]])


@pytest.mark.parametrize("seed", range(40))
def test_a_misspelling_is_one_slip_away(seed: int) -> None:
    word = random.Random(seed).choice(WORDS)
    typed = queries.misspell(word, random.Random(seed))
    assert typed != word and _one_slip(typed, word)


@pytest.mark.parametrize(("typed", "match"), [
    ("oil prices", '"oil" "prices"'),
    ('"trade deficit" wheat', '"trade deficit" "wheat"'),
    ("zurich OR march", '("zurich" OR "march")'),
    ("group president -weil", '"group" "president" NOT "weil"'),
    ("campaign acqu*", '"campaign" "acqu" *'),
    ("u.s. oil", '"u s" "oil"'),
    ("-only", ""),
    ("OR", ""),
])
def test_fts5_reads_the_same_syntax(typed: str, match: str) -> None:
    assert fts5.fts_match(typed) == match


def test_every_logged_query_runs_on_fts5(log: list[queries.Query]) -> None:
    conn = sqlite3.connect(":memory:")
    for statement in fts5.SCHEMA:
        conn.execute(statement)
    conn.execute("INSERT INTO articles(rowid, id, date, source) VALUES (1, 'a', '1990-01-01', 'Reuters')")
    conn.execute("INSERT INTO fts(rowid, title, body) VALUES (1, 'coal prices', 'wheat exports rose')")
    answers = [fts5.search(conn, q) for q in log]
    assert all(set(a) == {"total", "results", "cities"} for a in answers)
    found = fts5.search(conn, queries.Query(q="coal -steel", cities=(), sources=("Reuters",), date_from=None,
                                            date_to=None, sort="relevance", kind="not"))
    assert (found["total"], [r["id"] for r in found["results"]]) == (1, ["a"])
