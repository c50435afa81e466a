"""Word completions of one field (title, body or author) on Typesense: TypesenseBackend.complete_words.

Kept apart from typesense.py so the search box's needs stay in one small place; it asks the
cluster through the backend's own multi-search, as TypesenseBackend.complete does for all text.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from ..gazetteer import fold
from ..schema import TOKEN_PATTERN

if TYPE_CHECKING:
    from .typesense import TypesenseBackend

WORD_FIELDS = ("title", "body", "author")
HITS = 50  # articles whose words are counted
_TOKEN = re.compile(TOKEN_PATTERN)


def complete_words(backend: TypesenseBackend, field: str, prefix: str, limit: int = 8) -> list[str]:
    """Words of one field starting with prefix, most frequent among the articles that have one first; [] for other fields."""
    prefix = fold(prefix)
    if field not in WORD_FIELDS or not prefix.isalnum():
        return []
    res = backend._multi([{"q": prefix, "query_by": field, "prefix": "true", "num_typos": 0, "per_page": HITS,
                           "include_fields": field, "highlight_fields": "none"}])[0]
    counts: Counter[str] = Counter()
    for hit in res.get("hits", []):
        text = fold(str(hit["document"].get(field) or ""))
        counts.update({w for w in _TOKEN.findall(text) if w.startswith(prefix) and w.isalpha()})
    return [w for w, _n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]]
