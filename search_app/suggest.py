"""'Did you mean': spelling corrections drawn from the index's own words.

Candidates within two edits are found through a table of one-letter deletions of every
indexed word (a symmetric-delete scheme), so a suggestion costs a few dictionary lookups
instead of a scan of the vocabulary.
"""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from pathlib import Path

from .gazetteer import cities, fold

MIN_LENGTH = 3
MAX_LENGTH = 30


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

    def __init__(self, frequencies: dict[str, int]) -> None:
        self.frequencies = frequencies
        self.sorted_words = sorted(frequencies)
        self.by_delete: dict[str, list[str]] = defaultdict(list)
        for word in frequencies:
            if MIN_LENGTH <= len(word) <= MAX_LENGTH:
                for variant in _deletes(word):
                    self.by_delete[variant].append(word)

    @classmethod
    def from_file(cls, path: Path) -> "Vocabulary":
        """Load a generation's vocabulary.json ({word: number of articles}); empty when missing."""
        try:
            frequencies: dict[str, int] = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            frequencies = {}
        # City names are always worth suggesting, even before an article mentions one.
        for city in cities():
            frequencies.setdefault(fold(city.name), 1)
        return cls(frequencies)

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
