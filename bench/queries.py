"""The benchmark's query log: 2,000 distinct queries drawn from the Reuters stories, each sent once a round.

A fixed list of a few dozen queries repeated several times lets any cache of answers (or of
one query's work) flatter the figures. The log instead holds thousands of distinct queries made
the way readers type them: one to four words taken together from a story's headline or a
sentence (so common words come up as often as readers use them and the words of a query belong
together), with these shares, independently drawn:

- 10% a quoted phrase of two or three neighbouring words (sometimes with another word);
- 5% a misspelled word (a letter dropped, doubled, swapped or replaced);
- 4% `OR` between two words, 3% a word excluded with `-`, 3% a `prefix*`;
- 10% a filter: a Shanxi city (Zipf-weighted, as in the corpus) or the source;
- 5% a date range, 8% sorted by date (newest or oldest).

The log depends only on the stories, its size and the seed, so every corpus size (5k to 1M,
all made from the same stories) is searched with the same log. It is written once into
bench/data/ (git-ignored) as JSON and reused.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypedDict

from bench.make_corpus import CITIES, CITY_WEIGHTS, DATA_DIR, DEFAULT_REUTERS, DEFAULT_SEED, Story, load_stories

LOG_SIZE = 2000
WARMUP = 50  # further queries, sent before timing
LOG_VERSION = 2
SOURCE = "Reuters"  # the generated corpus's one source
WORD_COUNTS = {1: 30, 2: 35, 3: 22, 4: 13}  # words in a plain query, as shares of the log
SHARES = {"phrase": 0.10, "misspelled": 0.05, "or": 0.04, "not": 0.03, "prefix": 0.03}
FILTER_SHARE, CITY_OF_FILTERS = 0.10, 0.85
DATE_SHARE, SORT_SHARE = 0.05, 0.08
FIRST_YEAR, LAST_YEAR = 1987, 2026
_WORD = re.compile(r"[A-Za-z]+")
# Words a reader would not search for alone: they start or end no query (a phrase may hold them inside).
STOP = frozenset("""a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from further had has have
having he her here hers him his how i if in into is it its itself just me more most my no nor not now of off on
once only or other our out over own said same says she should so some such than that the their them then there
these they this those through to too under until up very was we were what when where which while who whom why will
with would you your mln dlrs pct cts vs shr net qtr avg revs year inc corp ltd co""".split())


class Query(TypedDict):
    """One logged query: text as typed, filters, sort, and which kind of query it was made as."""

    q: str
    cities: tuple[str, ...]
    sources: tuple[str, ...]
    date_from: str | None
    date_to: str | None
    sort: str
    kind: str


def _tokens(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _content(tokens: Sequence[str]) -> list[str]:
    return [t for t in tokens if t not in STOP and len(t) > 2]


def _passage(story: Story, rng: random.Random) -> list[str]:
    """The tokens of the headline or of one body sentence (where the words of one query come from)."""
    if rng.random() < 0.4:
        return _tokens(story.title)
    sentences = [s for p in story.paragraphs for s in re.split(r"(?<=[.!?])\s+", p)]
    return _tokens(rng.choice(sentences))


def _words(story: Story, rng: random.Random, count: int) -> list[str] | None:
    """`count` content words standing in this order in one passage of the story, or None."""
    words = _content(_passage(story, rng))
    if len(words) < count:
        return None
    start = rng.randrange(len(words) - count + 1)
    chosen = words[start:start + count]
    return chosen if len(set(chosen)) == count else None


def _phrase(story: Story, rng: random.Random) -> str | None:
    """Two or three neighbouring words of a passage that start and end with a content word, quoted."""
    tokens = _passage(story, rng)
    length = rng.choice((2, 2, 3))
    starts = [i for i in range(len(tokens) - length + 1)
              if tokens[i] not in STOP and tokens[i + length - 1] not in STOP and len(tokens[i]) > 2]
    if not starts:
        return None
    i = rng.choice(starts)
    return '"' + " ".join(tokens[i:i + length]) + '"'


def misspell(word: str, rng: random.Random) -> str:
    """The word with one typing slip: a letter dropped, doubled, two swapped, or one replaced."""
    i = rng.randrange(1, len(word) - 1)
    if word[i - 1] == word[i]:  # swapping the two letters of "ee" would change nothing
        return word[:i] + word[i + 1:]
    slip = rng.randrange(4)
    if slip == 0:
        return word[:i] + word[i + 1:]
    if slip == 1:
        return word[:i] + word[i] + word[i:]
    if slip == 2:
        return word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]
    other = rng.choice([c for c in "aeiourstnl" if c != word[i]])
    return word[:i] + other + word[i + 1:]


def _text(kind: str, story: Story, rng: random.Random) -> str | None:
    """The query text of one kind, drawn from one story (None when the story has no fit)."""
    if kind == "phrase":
        phrase = _phrase(story, rng)
        if phrase is None or rng.random() >= 0.3:
            return phrase
        extra = _words(story, rng, 1)
        return f"{phrase} {extra[0]}" if extra and extra[0] not in phrase else phrase
    if kind == "misspelled":
        words = _words(story, rng, rng.choice((1, 1, 2)))
        long = [i for i, w in enumerate(words or ()) if len(w) >= 5]
        if not words or not long:
            return None
        i = rng.choice(long)
        return " ".join(misspell(w, rng) if j == i else w for j, w in enumerate(words))
    if kind == "or":
        words = _words(story, rng, 2)
        return f"{words[0]} OR {words[1]}" if words else None
    if kind == "not":
        words, other = _words(story, rng, rng.choice((1, 2))), _words(story, rng, 1)
        if not words or not other or other[0] in words:
            return None
        return " ".join(words) + f" -{other[0]}"
    if kind == "prefix":
        words = _words(story, rng, rng.choice((1, 1, 2)))
        if not words or len(words[-1]) < 6:
            return None
        return " ".join(words[:-1] + [words[-1][:rng.randint(4, len(words[-1]) - 2)] + "*"])
    words = _words(story, rng, rng.choices(list(WORD_COUNTS), weights=list(WORD_COUNTS.values()))[0])
    return " ".join(words) if words else None


def _kind(rng: random.Random) -> str:
    draw, edge = rng.random(), 0.0
    for kind, share in SHARES.items():
        edge += share
        if draw < edge:
            return kind
    return "words"


def _query(text: str, kind: str, rng: random.Random) -> Query:
    """The text with the log's shares of filters, date ranges and date sorts drawn for it."""
    cities: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    if rng.random() < FILTER_SHARE:
        if rng.random() < CITY_OF_FILTERS:
            cities = (rng.choices(CITIES, weights=CITY_WEIGHTS)[0],)
        else:
            sources = (SOURCE,)
    date_from = date_to = None
    if rng.random() < DATE_SHARE:
        first = rng.randint(FIRST_YEAR, LAST_YEAR)
        last = min(LAST_YEAR, first + rng.choice((0, 1, 4, 9)))
        date_from, date_to = f"{first}-01-01", f"{last}-12-31"
    sort = rng.choice(("newest", "oldest")) if rng.random() < SORT_SHARE else "relevance"
    return Query(q=text, cities=cities, sources=sources, date_from=date_from, date_to=date_to, sort=sort, kind=kind)


def make_log(stories: Sequence[Story], size: int = LOG_SIZE, seed: int = DEFAULT_SEED) -> list[Query]:
    """`size` distinct queries drawn from the stories (the same stories, size and seed give the same log)."""
    if not stories:
        raise ValueError("no stories to draw queries from")
    rng = random.Random(f"querylog-{seed}")
    log: list[Query] = []
    seen: set[str] = set()
    attempts = 0
    while len(log) < size:
        attempts += 1
        if attempts > 200 * size:
            raise ValueError(f"only {len(log)} distinct queries in {attempts} draws: too few stories")
        kind = _kind(rng)
        text = None
        for _ in range(100):  # the same kind again from other stories, so that its share holds
            text = _text(kind, rng.choice(stories), rng)
            if text is not None:
                break
        if text is None:
            continue
        query = _query(text, kind, rng)  # filters drawn whether or not the text is new, so their shares hold
        if text.lower() not in seen:  # distinct as typed: no query text comes twice, whatever its filters
            seen.add(text.lower())
            log.append(query)
    return log


def log_path(size: int, seed: int) -> Path:
    """Where the log of this size and seed is kept."""
    return DATA_DIR / f"querylog-{size}-seed-{seed}.json"


def ensure_log(size: int = LOG_SIZE, seed: int = DEFAULT_SEED,
               reuters: Path = DEFAULT_REUTERS) -> tuple[list[Query], list[Query]]:
    """The query log and WARMUP more queries not in it, generated from the Reuters stories once, then read back.

    The warm-up queries open files and fill per-generation caches before timing starts; none of
    them is in the log, so no answer the timed rounds ask for has been computed before."""
    path = log_path(size, seed)
    try:
        saved = json.loads(path.read_text("utf-8"))
        if saved.get("version") == LOG_VERSION:
            return [_from_json(q) for q in saved["queries"]], [_from_json(q) for q in saved["warmup"]]
    except (OSError, ValueError, KeyError):
        pass
    stories, _total = load_stories(reuters)
    drawn = make_log(stories, size + WARMUP, seed)
    log, warm = drawn[:size], drawn[size:]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"version": LOG_VERSION, "size": size, "seed": seed, "summary": summary(log),
                               "queries": as_dicts(log), "warmup": as_dicts(warm)}, ensure_ascii=False, indent=0)
                   + "\n", "utf-8")
    tmp.replace(path)
    return log, warm


def _from_json(q: dict[str, Any]) -> Query:
    return Query(q=q["q"], cities=tuple(q["cities"]), sources=tuple(q["sources"]), date_from=q["date_from"],
                 date_to=q["date_to"], sort=q["sort"], kind=q["kind"])


def as_dicts(queries: Sequence[Query]) -> list[dict[str, Any]]:
    """The queries as JSON-ready dicts (tuples as lists)."""
    return [{**q, "cities": list(q["cities"]), "sources": list(q["sources"])} for q in queries]


def summary(queries: Sequence[Query]) -> dict[str, Any]:
    """How the log is made up: kinds, filters, date ranges, sorts, words per query."""
    kinds: dict[str, int] = {}
    for q in queries:
        kinds[q["kind"]] = kinds.get(q["kind"], 0) + 1
    return {
        "queries": len(queries), "distinct": len({q["q"].lower() for q in queries}),
        "kinds": dict(sorted(kinds.items())),
        "city_filter": sum(bool(q["cities"]) for q in queries), "source_filter": sum(bool(q["sources"]) for q in queries),
        "date_range": sum(bool(q["date_from"]) for q in queries), "date_sort": sum(q["sort"] != "relevance" for q in queries),
        "mean_words": round(sum(len(_tokens(q["q"].replace(" OR ", " "))) for q in queries) / max(1, len(queries)), 2),
    }


def date_of(text: str | None) -> dt.date | None:
    """An ISO date of the log, or None."""
    return dt.date.fromisoformat(text) if text else None
