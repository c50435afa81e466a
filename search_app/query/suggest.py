"""'Did you mean' and search box completions, drawn from the index's own words.

Spelling candidates within two edits are found through a table of one-letter deletions of every
indexed word (a symmetric-delete scheme), so a suggestion costs a few dictionary lookups
instead of a scan of the vocabulary.

Completions read the typed text as the query parser does: the word at its end is completed from
what can stand there (index words; a field's own words for title:, body: and author:; city names,
sources and years for city:, source: and year:), an operator at the end completes nothing, and
titles are offered only where they show what the search will find.
"""

from __future__ import annotations

import bisect
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh.analysis import STOP_WORDS

from search_app.ingest.gazetteer import cities, city_names, fold
from search_app.models import SearchRequest
from search_app.query.analysis import HAN_CHARACTER
from search_app.query.contract import Result
from search_app.query.engine import SearchBackend
from search_app.query.parser import Group, Node, Not, Phrase, Word, parse

MIN_LENGTH = 3
MAX_LENGTH = 30

# How a word is written inside sentences, so completions show "Datong", "GDP" and "McDonald" as
# the articles do. A capital after a full stop, a quote, a bracket or a line break may only open a
# sentence, so only words after a letter, digit, comma or semicolon and a space (or joined to a
# word by a hyphen or slash) count as written with capitals; one written in lower case anywhere in
# the same text does not count there.
_UPPER = "A-ZÀ-ÖØ-Þ"
_CAPITALISED = re.compile(rf"(?:(?<=[^\W_]|[,;]) +|(?<=[^\W_])[-/])"
                          rf"([{_UPPER}][^\W\d_]{{{MIN_LENGTH - 1},{MAX_LENGTH - 1}}})(?![^\W\d_])")
_NAME = re.compile(rf"(?<![^\W\d_])[{_UPPER}][^\W\d_]{{1,{MAX_LENGTH - 1}}}(?![^\W\d_])")  # "Yu", "Li"
_LETTERS = re.compile(r"[^\W\d_]+")


def cased_forms(body: str, byline: str = "", written: set[str] | None = None) -> set[str]:
    """The words of an article written with capitals inside its sentences and never in lower case in it
    ("Datong", "GDP"), and the capitalised words of its byline (names). written: the article's words
    as written, when the caller has them (else the body's)."""
    written = written if written is not None else set(_LETTERS.findall(body))
    forms = {w for w in _CAPITALISED.findall(body) if w.lower() not in written}
    forms.update(_NAME.findall(byline))
    return forms


def display_forms(frequencies: dict[str, int], cased: dict[str, int]) -> dict[str, str]:
    """lower-case word -> how to show it, for words that more than half of the articles holding them
    write with capitals (cased: articles per written form, as cased_forms gives them)."""
    best: dict[str, tuple[int, str]] = {}
    for form, count in cased.items():
        key = form.lower()
        if count > best.get(key, (0, ""))[0]:
            best[key] = (count, form)
    return {key: form for key, (count, form) in best.items() if count * 2 > frequencies.get(key, 0)}


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (adjacent transpositions count as one edit)."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


class Vocabulary:
    """Indexed words with their document frequencies, and their one-letter deletions."""

    def __init__(self, frequencies: dict[str, int], cased: dict[str, int] | None = None) -> None:
        self.frequencies = frequencies
        self.display = display_forms(frequencies, cased or {})
        for city in cities():  # a city is a proper noun even before an article names it
            self.display[fold(city.name)] = city.name
        self.sorted_words = sorted(frequencies)
        self.by_delete: dict[str, list[str]] = defaultdict(list)
        for word in frequencies:
            if MIN_LENGTH <= len(word) <= MAX_LENGTH:
                for variant in _deletes(word):
                    self.by_delete[variant].append(word)

    @classmethod
    def from_file(cls, path: Path) -> Vocabulary:
        """Load a generation's vocabulary.json ({word: number of articles}, lower-case words and, apart,
        the forms written with capitals as cased_forms counts them); empty when missing."""
        try:
            counts: dict[str, int] = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            counts = {}
        frequencies = {w: n for w, n in counts.items() if w.islower()}
        cased = {w: n for w, n in counts.items() if not w.islower()}
        # City names are always worth suggesting, even before an article mentions one.
        for city in cities():
            frequencies.setdefault(fold(city.name), 1)
        return cls(frequencies, cased)

    def shown(self, word: str) -> str:
        """A lower-case word as the articles write it ("datong" -> "Datong", "gdp" -> "GDP")."""
        return self.display.get(word, word)

    def complete(self, prefix: str, limit: int = 8) -> list[str]:
        """Indexed words starting with prefix, most frequent first."""
        prefix = prefix.lower()
        if not prefix:
            return []
        start = bisect.bisect_left(self.sorted_words, prefix)
        matches = []
        for word in self.sorted_words[start:]:
            if not word.startswith(prefix):
                break
            matches.append(word)
        return sorted(matches, key=lambda w: (-self.frequencies[w], w))[:limit]

    def correct(self, word: str) -> str | None:
        """The most frequent indexed word within two edits of an unknown word, or None."""
        word = word.lower()
        if word in self.frequencies or not (MIN_LENGTH <= len(word) <= MAX_LENGTH) or not word.isalpha():
            return None
        first = _deletes(word)
        second = {d2 for d1 in first for d2 in _deletes(d1)} if len(word) > 4 else set()
        candidates: set[str] = set()
        for probe in {word} | first | second:
            if probe in self.frequencies:
                candidates.add(probe)
            candidates.update(self.by_delete.get(probe, ()))
        best: tuple[int, int, str] | None = None
        limit = 1 if len(word) <= 4 else 2
        for candidate in candidates:
            d = distance(word, candidate)
            if 0 < d <= limit:
                key = (d, -self.frequencies[candidate], candidate)
                if best is None or key < best:
                    best = key
        return best[2] if best else None


# ---------------------------------------------------------------- completions for the search box

MAX_TYPED = 200  # characters of the typed text that are completed
MAX_COMPLETIONS = 8
MAX_TITLES = 5
MIN_FILL_PREFIX = 3  # shorter last words start too many words to search the bodies for
VALUE_FIELDS = ("city", "source", "year")  # completed as a whole value, not word by word
# Very common function words that say nothing about an article. With the analyser's own stop
# words (never indexed, so a query of them finds nothing) they are never offered.
COMMON_WORDS = frozenset("""
    about above after again against all almost along already also although am among amongst another any
    anyway because been before being below besides between both but could did do does doing done down
    during each either else etc ever every few further furthermore had has having he hence her here hers
    herself him himself his how however i into its itself just last least less many me meanwhile might
    mine more moreover most mostly much must my myself neither nevertheless no nonetheless nor now off
    often once one only onto other others otherwise our ours ourselves out over own per perhaps rather
    said same she should since so some still such than their theirs them themselves then there thereby
    therefore these they those though through throughout thus too toward towards under until unto upon
    very via was were what whatever whereas whether which while who whom whose why within without would
""".split())
NOT_COMPLETED = frozenset(STOP_WORDS) | COMMON_WORDS
_LAST_WORD = re.compile(r"(\w+)$")
_QUOTES = '"“”„«»＂'  # what the parser reads as a quote
_BARE_VALUE = re.compile(r"\w+")


@dataclass(frozen=True)
class LastWord:
    """The word being typed at the end of the search box, and what it stands for there."""

    head: str  # the text before it, kept as typed in every completion
    prefix: str  # what has been typed of it (for a city:, source: or year: value, all of the value)
    field: str | None  # title, body, author, city, source or year when limited to one, else None
    negated: bool  # excluded with - or NOT
    phrase: bool  # inside a quote not yet closed


def last_word(text: str) -> LastWord | None:
    """The word at the end of text as the query parser reads it; None after a space, an operator or punctuation."""
    match = _LAST_WORD.search(text)
    if not match:
        return None
    parsed = parse(text)
    found = _leaf_ending_at(parsed.tree, len(parsed.text), False)
    if found is None:
        return None  # "coal OR", "coal NOT": the parser read an operator, not a word
    leaf, negated = found
    phrase = isinstance(leaf, Phrase)
    head, prefix = text[: match.start()], match.group(1)
    if leaf.field in VALUE_FIELDS:
        if phrase:  # source:"china d: the value is all of the quoted text
            quote = max(text.rfind(q) for q in _QUOTES)
            head, prefix = text[:quote], text[quote + 1:].lstrip()
        elif text.endswith(leaf.text):
            head, prefix = text[: len(text) - len(leaf.text)], leaf.text
    return LastWord(head=head, prefix=prefix, field=leaf.field, negated=negated, phrase=phrase)


def _leaf_ending_at(node: Node, end: int, negated: bool) -> tuple[Word | Phrase, bool] | None:
    if isinstance(node, Group):
        for child in reversed(node.children):
            found = _leaf_ending_at(child, end, negated)
            if found is not None:
                return found
        return None
    if isinstance(node, Not):
        return _leaf_ending_at(node.child, end, not negated)
    return (node, negated) if node.span[1] == end else None


def city_completions(prefix: str, limit: int = MAX_COMPLETIONS) -> list[str]:
    """Gazetteer names starting with prefix: cities, then county-level divisions, each by name (those
    matched by another spelling after), in Chinese when typed in Chinese."""
    key = fold(prefix)
    if not key:
        return []
    city_level = [(c.name, c.zh, c.variants) for c in cities()]
    divisions = [d for c in cities() for d in c.divisions]
    found: list[str] = []
    for names in (city_level, divisions):
        matches: list[tuple[int, str]] = []
        for name, zh, variants in names:
            if fold(name).startswith(key):
                matches.append((0, name))
            elif any(fold(v).startswith(key) for v in variants):  # "Tatung", "Lvliang"
                matches.append((1, name))
            elif zh.startswith(key):
                matches.append((0, zh))
        found += [name for _rank, name in sorted(matches, key=lambda m: (m[0], fold(m[1])))]
    return list(dict.fromkeys(found))[:limit]


def facet_completions(backend: SearchBackend, field: str, prefix: str, limit: int = MAX_COMPLETIONS) -> list[str]:
    """Sources or years of the index with a word starting with prefix, in the search page's facet order."""
    key = fold(prefix)
    data = backend.search(SearchRequest(per_page=1, highlight=False, suggest=False, facets=True))
    values = [str(v["value"]) for v in data["facets"].get(field, []) if v["count"]]
    return [v for v in values if fold(v).startswith(key) or any(w.startswith(key) for w in fold(v).split())][:limit]


def _values(backend: SearchBackend, word: LastWord) -> list[str]:
    """What the last word may become: words of the right vocabulary, or values of its field."""
    if word.field == "city":
        return city_completions(word.prefix)
    if word.field in ("source", "year"):
        return facet_completions(backend, word.field, word.prefix)
    if word.field == "author":
        return backend.complete_words("author", word.prefix, MAX_COMPLETIONS)
    # Ask for enough that dropping every listed word still leaves a full list (the vocabulary sorts
    # all the prefix's words either way, so the larger limit costs nothing).
    limit = MAX_COMPLETIONS + len(NOT_COMPLETED)
    if word.field in ("title", "body"):
        words = backend.complete_words(word.field, word.prefix, limit)
    else:
        words = backend.complete(word.prefix, limit)
    words = [w for w in words if w.lower() not in NOT_COMPLETED]
    if word.field is None and not word.negated:
        # A city before the common words sharing its first letters ("Dat": Datong, then date, data), and
        # in Chinese when typed in Chinese (太 -> 太原): the archive is about them.
        places = [p for p in city_completions(word.prefix) if p in city_names() or HAN_CHARACTER.search(p)]
        offered = {fold(p) for p in places}
        words = places + [w for w in words if fold(w) not in offered]
    return words[:MAX_COMPLETIONS]




def _quoted(value: str) -> str:
    """A field value as the parser reads it whole: bare when one word, else in quotes."""
    return value if _BARE_VALUE.fullmatch(value) else '"' + value.replace('"', "") + '"'


def _hits(backend: SearchBackend, q: str) -> list[Result]:
    """The first articles q finds; none for a relaxed answer, which matches only some of the words."""
    req = SearchRequest(q=q, per_page=MAX_TITLES, highlight=False, facets=False, suggest=False)
    data = backend.search(req)
    return [] if data["relaxed"] else data["results"]


def _searches_something(q: str) -> bool:
    """True when q asks for articles, not only excludes some (a list of everything but X says nothing)."""
    return any(not isinstance(child, Not) for child in parse(q).tree.children)


def _titles(backend: SearchBackend, word: LastWord, words: list[str]) -> list[dict[str, Any]]:
    """Articles for the box: for a searched word, headlines with a word starting with it, then
    (from 3 letters) the articles the typed text finds with it as a prefix; otherwise the articles
    its first completion finds, never ones merely containing an excluded word."""
    if word.field in (None, "title", "body") and not word.negated and not word.phrase:
        # The core's prefix syntax, so titles follow the index's analysis; the word itself too, as
        # a whole word is indexed by its stem ("industrial*" alone misses "industri").
        headlines = f"title:({word.prefix}* OR {word.prefix})"
        fill = f"{word.head}({word.prefix}* OR {word.prefix})"
        hits = _hits(backend, headlines) if word.field != "body" else []
        if len(hits) < MAX_TITLES and len(word.prefix) >= MIN_FILL_PREFIX and fill != headlines:
            # Room left: the articles the typed text itself finds, its last word as a prefix
            # ("air" lists the airport articles even when no headline has a word starting with it).
            seen = {h["id"] for h in hits}
            hits += [h for h in _hits(backend, fill) if h["id"] not in seen]
    elif words:
        # An excluded word, a phrase, a field value: what the first completion would search.
        preview = words[0] + ('"' if word.phrase else "")
        hits = _hits(backend, preview) if _searches_something(preview) else []
    else:
        hits = []
    return [{"id": h["id"], "title": h["title"]} for h in hits[:MAX_TITLES]]


def completions(backend: SearchBackend, typed: str) -> dict[str, Any]:
    """Completions for the search box: {"query": the typed text (first 200 characters), "words": it with
    its last word completed, "titles": [{"id", "title"}] of articles to open}."""
    text = typed[:MAX_TYPED]
    data: dict[str, Any] = {"query": text, "words": [], "titles": []}
    word = last_word(text)
    if word is None:
        return data
    values = _values(backend, word)
    data["words"] = [word.head + (_quoted(v) if word.field in VALUE_FIELDS else v) for v in values]
    data["titles"] = _titles(backend, word, data["words"])
    return data
