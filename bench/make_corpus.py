"""Turn Reuters-21578 into article files in the seeds format, replicated up to N articles.

Data: "Reuters-21578, Distribution 1.0" (David D. Lewis; copyright Reuters Ltd. and Carnegie
Group, Inc.; free distribution for research purposes only). It is read from the shared corpora
folder and never copied into the repository; the generated files live in git-ignored bench/data/.

Each output file: the headline, "Source: Reuters", "Updated: YYYY-MM-DD", a blank line, then the
body paragraphs. Every usable story (one with a body) is replicated with a new id and its date
moved by whole years (1987..2026); after the first copy, a quarter of a replica's sentences are
swapped for sentences of other stories and a few dropped, so that a million articles are not 53
copies of the same texts. A share of the articles gets a sentence naming one to three Shanxi
cities (or one of their counties/districts) so that the city facet has work to do.
The output depends only on --size, --seed and --per-folder; a smaller corpus is a prefix of a
larger one with the same seed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import os
import random
import re
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from search_app.ingest.gazetteer import find_cities  # noqa: E402

GENERATOR_VERSION = 3
CITATION = ("Reuters-21578, Distribution 1.0 (David D. Lewis, "
            "http://www.daviddlewis.com/resources/testcollections/reuters21578/); research use only")
DEFAULT_REUTERS = Path(os.environ.get("BENCH_REUTERS_DIR", REPO.parent / "shared" / "corpora" / "reuters21578"))
DATA_DIR = REPO / "bench" / "data"
DEFAULT_SIZE = 100_000
DEFAULT_SEED = 2026
DEFAULT_PER_FOLDER = 1000
FIRST_YEAR, LAST_YEAR = 1987, 2026
SWAP_SHARE, DROP_SHARE = 0.25, 0.05  # of a later replica's sentences: from another story, left out
YEAR_STEP = 17  # coprime with the 40-year span: the replicas of a story get distinct years

# Shares of articles naming Shanxi cities: ~30% one city, ~8% two or three.
CITY_COUNT_WEIGHTS = {0: 62, 1: 30, 2: 5, 3: 3}
DIVISION_SHARE = 0.15  # a mention made through a county or district instead of the city
# Zipf-like order: the provincial capital is mentioned most, Lüliang least.
CITIES = ("Taiyuan", "Datong", "Changzhi", "Jincheng", "Linfen", "Yuncheng", "Jinzhong",
          "Yangquan", "Xinzhou", "Shuozhou", "Lüliang")
CITY_WEIGHTS = tuple(1 / (rank + 1) for rank in range(len(CITIES)))
DIVISIONS = {
    "Taiyuan": ("Xiaodian district", "Yingze district", "Qingxu county", "Gujiao city"),
    "Datong": ("Pingcheng district", "Yungang district", "Hunyuan county", "Tianzhen county"),
    "Changzhi": ("Luzhou district", "Xiangyuan county", "Pingshun county", "Wuxiang county"),
    "Jincheng": ("Zezhou county", "Gaoping city", "Yangcheng county", "Qinshui county"),
    "Linfen": ("Yaodu district", "Hongtong county", "Houma city", "Xiangfen county"),
    "Yuncheng": ("Yanhu district", "Yongji city", "Hejin city", "Ruicheng county"),
    "Jinzhong": ("Yuci district", "Pingyao county", "Taigu district", "Jiexiu city"),
    "Yangquan": ("Pingding county", "Yu county"),
    "Xinzhou": ("Xinfu district", "Wutai county", "Yuanping city", "Dingxiang county"),
    "Shuozhou": ("Shuocheng district", "Ying county", "Huairen city", "Shanyin county"),
    "Lüliang": ("Lishi district", "Xiaoyi city", "Fenyang city", "Jiaocheng county"),
}
TEMPLATES = {
    1: (
        "Traders in {0} said the news was being watched closely.",
        "Analysts in {0}, in north China's Shanxi province, said the outlook had not changed.",
        "A coal trader in {0} said local demand had held steady.",
        "Officials in {0} said they were studying the report.",
        "Buyers in {0} said prices there had followed the same trend.",
        "Industry sources in {0} said shipments would not be affected.",
        "A spokesman for a trading company in {0} declined to comment.",
        "Bankers in {0} said the move had been expected.",
    ),
    2: (
        "Traders in {0} and {1} said the news was being watched closely.",
        "Officials in {0} and {1} said they were studying the figures.",
        "Dealers in {0} and {1} said local prices had followed the trend.",
        "Coal producers in {0} and {1} said their shipments would not be affected.",
    ),
    3: (
        "Traders in {0}, {1} and {2} said the news was being watched closely.",
        "Officials in {0}, {1} and {2}, in Shanxi province, said they expected little change.",
        "Industry sources in {0}, {1} and {2} said demand had held steady.",
    ),
}

_STORY = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
_NEWID = re.compile(r'NEWID="(\d+)"')
_DATE = re.compile(r"<DATE>\s*(\d{1,2})-([A-Za-z]{3})-(\d{4})")
_TITLE = re.compile(r"<TITLE>(.*?)</TITLE>", re.S)
_DATELINE = re.compile(r"<DATELINE>(.*?)</DATELINE>", re.S)
_BODY = re.compile(r"<BODY>(.*?)</BODY>", re.S)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SIGNOFF = re.compile(r"\s*\b(?:reuter|reuters)\b[\s.]*$", re.I)
_FURNITURE = {"more", "more.", "(more)"}  # wire continuation markers, not text
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"(])")
_SENTENCE_END = re.compile(r"[.!?][\"')]?$")  # prose, not a table row
_DATELINE_TAIL = re.compile(r"\s*-\s*$")
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
                                       "oct", "nov", "dec"), start=1)}


@dataclass(frozen=True)
class Story:
    """One usable Reuters story: id, headline, date and body paragraphs."""

    newid: int
    title: str
    date: dt.date
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Generated:
    """One output article: where it goes, its text and the cities inserted into it."""

    rel: str
    text: str
    inserted: tuple[str, ...]
    year: int


def clean(text: str) -> str:
    """Unescape SGML entities and drop control characters."""
    return _CONTROL.sub("", html.unescape(text))


def paragraphs(body: str) -> list[str]:
    """Rejoin Reuters' ~70-character lines into paragraphs (an indented line starts one)."""
    result: list[str] = []
    current: list[str] = []
    for line in body.split("\n"):
        if not line.strip() or line[:1].isspace():
            if current:
                result.append(" ".join(current))
            current = []
        if line.strip():
            current.append(" ".join(line.split()))
    if current:
        result.append(" ".join(current))
    return result


def parse_story(attrs: str, inner: str) -> Story | None:
    """A Story from one <REUTERS> element, or None without a headline, body or date."""
    newid, date, title, body = _NEWID.search(attrs), _DATE.search(inner), _TITLE.search(inner), _BODY.search(inner)
    if not (newid and date and title and body):
        return None
    month = _MONTHS.get(date.group(2).lower())
    if month is None:
        return None
    headline = " ".join(clean(title.group(1)).split())
    text = _SIGNOFF.sub("", clean(body.group(1)).rstrip())
    paras = [p for p in paragraphs(text) if p.lower() not in _FURNITURE]
    if not paras or not 3 <= len(headline) <= 200:
        return None
    dateline = _DATELINE.search(inner)
    if dateline:
        place = _DATELINE_TAIL.sub("", " ".join(clean(dateline.group(1)).split()))
        if place:
            paras[0] = f"{place} - {paras[0]}"
    return Story(int(newid.group(1)), headline, dt.date(int(date.group(3)), month, int(date.group(1))), tuple(paras))


def iter_stories(folder: Path) -> Iterator[Story]:
    """Every usable story in the .sgm files of a Reuters-21578 folder, in file order."""
    files = sorted(folder.glob("reut2-*.sgm"))
    if not files:
        raise SystemExit(f"No reut2-*.sgm files in {folder}: pass --reuters DIR or set BENCH_REUTERS_DIR "
                         "(Reuters-21578, Distribution 1.0).")
    for path in files:
        text = path.read_text(encoding="latin-1")
        for m in _STORY.finditer(text):
            story = parse_story(m.group(1), m.group(2))
            if story is not None:
                yield story


def load_stories(folder: Path) -> tuple[list[Story], int]:
    """The usable stories sorted by NEWID, and how many stories the files hold in all."""
    total = sum(path.read_text(encoding="latin-1").count("<REUTERS ") for path in folder.glob("reut2-*.sgm"))
    stories = sorted(iter_stories(folder), key=lambda s: s.newid)
    return stories, total


def check_mentions() -> None:
    """Fail early if a mention would not be recognised as its city by the ingester."""
    for city in CITIES:
        for mention in (city, *DIVISIONS[city]):
            found = find_cities(f"Traders in {mention} said so.")
            if found != (city,):
                raise SystemExit(f"gazetteer maps {mention!r} to {found}, expected {city!r}")


def pick_cities(rng: random.Random) -> list[str]:
    """0-3 distinct cities, Zipf-weighted, with the configured shares."""
    count = rng.choices(list(CITY_COUNT_WEIGHTS), weights=list(CITY_COUNT_WEIGHTS.values()))[0]
    chosen: list[str] = []
    while len(chosen) < count:
        city = rng.choices(CITIES, weights=CITY_WEIGHTS)[0]
        if city not in chosen:
            chosen.append(city)
    return chosen


def mention(city: str, rng: random.Random) -> str:
    """How the text names a city: usually the city, sometimes one of its counties or districts."""
    return rng.choice(DIVISIONS[city]) if rng.random() < DIVISION_SHARE else city


def insert_sentence(paras: list[str], sentence: str, rng: random.Random) -> list[str]:
    """Add the sentence as a new paragraph after the lead, or after the last sentence of a later paragraph."""
    out = list(paras)
    ends = [i for i in range(1, len(out)) if _SENTENCE_END.search(out[i])]
    if ends and rng.random() < 0.5:
        i = rng.choice(ends)
        out[i] = f"{out[i]} {sentence}"
    else:
        out.insert(rng.randint(1, len(out)), sentence)
    return out


def recombined(story: Story, stories: list[Story], rng: random.Random) -> list[str]:
    """A later replica's paragraphs: the story with some sentences swapped for other stories' and a few dropped.

    Replicas that differ only in their dates would make a large corpus a few thousand texts many
    times over (every word's document frequency multiplied, every query's matches in identical
    groups); recombining sentences keeps Reuters' vocabulary and style while each article differs."""
    out = []
    for i, para in enumerate(story.paragraphs):
        kept = []
        for j, sentence in enumerate(_SENTENCE_SPLIT.split(para)):
            draw = rng.random()
            if (i, j) == (0, 0) or draw >= SWAP_SHARE + DROP_SHARE:
                kept.append(sentence)
            elif draw < SWAP_SHARE:
                other = stories[rng.randrange(len(stories))].paragraphs[1:]  # not a lead: it opens with a dateline
                kept.append(rng.choice(_SENTENCE_SPLIT.split(rng.choice(other))) if other else sentence)
        if kept:
            out.append(" ".join(kept))
    return out


def shifted(date: dt.date, years: int) -> dt.date:
    """The same day `years` later (Feb 29 becomes Feb 28)."""
    try:
        return date.replace(year=date.year + years)
    except ValueError:
        return date.replace(year=date.year + years, day=28)


def render(title: str, date: dt.date, paras: list[str]) -> str:
    """The text of an article file in the seeds format."""
    return f"{title}\nSource: Reuters\nUpdated: {date.isoformat()}\n\n" + "\n\n".join(paras) + "\n"


def generate(n: int, stories: list[Story], order: list[int], phase: list[int], seed: int, per_folder: int) -> Generated:
    """Article number n: a replica of one story with a new id, shifted date and maybe cities."""
    replica, slot = divmod(n, len(stories))
    base = order[slot]
    story = stories[base]
    rng = random.Random((seed << 40) ^ n)
    offset = (phase[base] + replica * YEAR_STEP) % (LAST_YEAR - FIRST_YEAR + 1)
    date = shifted(story.date, FIRST_YEAR + offset - story.date.year)
    chosen = pick_cities(rng)
    paras = list(story.paragraphs) if replica == 0 else recombined(story, stories, rng)
    if chosen:
        template = rng.choice(TEMPLATES[len(chosen)])
        paras = insert_sentence(paras, template.format(*(mention(c, rng) for c in chosen)), rng)
    rel = f"{n // per_folder:03d}/reuters-{n:06d}.txt"
    return Generated(rel, render(story.title, date, paras), tuple(sorted(chosen)), date.year)


def manifest_path(out: Path) -> Path:
    """Where the description of a generated corpus is kept (beside it, not inside it)."""
    return out.parent / f"{out.name}.manifest.json"


def default_out(size: int) -> Path:
    """The default output folder for a corpus of `size` articles."""
    return DATA_DIR / f"seeds-{size}"


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The manifest of a generated corpus, or None when there is none (or it is unreadable)."""
    try:
        return json.loads(manifest_path(out).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def is_current(out: Path, size: int, seed: int, per_folder: int) -> bool:
    """True when out holds a complete corpus made with these parameters by this generator."""
    m = read_manifest(out)
    return bool(m and out.is_dir() and m.get("generator") == GENERATOR_VERSION and m.get("size") == size
                and m.get("seed") == seed and m.get("per_folder") == per_folder)


def write_corpus(size: int, seed: int, out: Path, per_folder: int = DEFAULT_PER_FOLDER,
                 reuters: Path = DEFAULT_REUTERS, force: bool = False) -> dict[str, Any]:
    """Generate the corpus into out (atomically replacing an older generated one); return the manifest."""
    if out.exists() and read_manifest(out) is None and not force:
        raise SystemExit(f"{out} exists and was not made by this script: remove it or pass --force.")
    check_mentions()
    started = time.perf_counter()
    stories, total = load_stories(reuters)
    if not stories:
        raise SystemExit(f"No usable stories in {reuters}.")
    setup = random.Random(seed)
    order = list(range(len(stories)))
    setup.shuffle(order)
    phase = [setup.randrange(LAST_YEAR - FIRST_YEAR + 1) for _ in stories]
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    counts: Counter[int] = Counter()
    mentions: Counter[str] = Counter()
    years: Counter[int] = Counter()
    for n in range(size):
        article = generate(n, stories, order, phase, seed, per_folder)
        path = tmp / article.rel
        if n % per_folder == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article.text, encoding="utf-8")
        counts[len(article.inserted)] += 1
        mentions.update(article.inserted)
        years[article.year] += 1
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    manifest = {
        "generator": GENERATOR_VERSION, "size": size, "seed": seed, "per_folder": per_folder,
        "source": str(reuters), "citation": CITATION,
        "reuters_stories": total, "usable_stories": len(stories), "skipped_stories": total - len(stories),
        "replicas": -(-size // len(stories)),
        "articles_by_inserted_cities": {str(k): counts[k] for k in sorted(counts)},
        "inserted_city_mentions": {c: mentions[c] for c in CITIES},
        "years": {str(y): years[y] for y in sorted(years)},
        "elapsed_s": round(time.perf_counter() - started, 2),
    }
    manifest_path(out).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return manifest


def ensure_corpus(size: int, seed: int = DEFAULT_SEED, out: Path | None = None,
                  per_folder: int = DEFAULT_PER_FOLDER, reuters: Path = DEFAULT_REUTERS) -> tuple[Path, dict[str, Any]]:
    """The corpus folder for these parameters, generated only when no current one exists."""
    out = out or default_out(size)
    if is_current(out, size, seed, per_folder):
        return out, read_manifest(out) or {}
    return out, write_corpus(size, seed, out, per_folder, reuters)


def main(argv: list[str] | None = None) -> int:
    """Command line: generate a corpus and print its manifest."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help="number of articles (default 100000)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default 2026)")
    parser.add_argument("--out", type=Path, help="output folder (default bench/data/seeds-SIZE)")
    parser.add_argument("--per-folder", type=int, default=DEFAULT_PER_FOLDER, help="files per subfolder")
    parser.add_argument("--reuters", type=Path, default=DEFAULT_REUTERS, help="folder with reut2-*.sgm")
    parser.add_argument("--force", action="store_true", help="replace the output folder even if not generated here")
    args = parser.parse_args(argv)
    if args.size < 1 or args.per_folder < 1:
        parser.error("--size and --per-folder must be positive")
    out = args.out or default_out(args.size)
    manifest = write_corpus(args.size, args.seed, out, args.per_folder, args.reuters, args.force)
    print(json.dumps(manifest, indent=2, ensure_ascii=False))
    print(f"wrote {args.size} articles to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
