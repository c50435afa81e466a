"""Word completions on Typesense: TypesenseBackend.complete and complete_words.

Kept apart from backend.py so the search box's needs stay in one small place; it asks the
cluster through the backend's own multi-search. Typesense holds no vocabulary: the words are
counted in the first articles that have one starting with the prefix, and shown as those
articles write them (suggest.cased_forms, the rule the Whoosh index's vocabulary uses).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from search_app.ingest.gazetteer import fold
from search_app.query.analysis import TOKEN_PATTERN
from search_app.query.suggest import cased_forms, display_forms

if TYPE_CHECKING:
    from search_app.backends.typesense.backend import TypesenseBackend

WORD_FIELDS = ("title", "body", "author")
HITS = 50  # articles whose words are counted
_TOKEN = re.compile(TOKEN_PATTERN)


def complete(backend: TypesenseBackend, prefix: str, limit: int = 8) -> list[str]:
    """Words of titles and bodies starting with prefix, most frequent among the articles that have one first."""
    return _words(backend, "title,body", ("title", "body"), prefix, limit)


def complete_words(backend: TypesenseBackend, field: str, prefix: str, limit: int = 8) -> list[str]:
    """Words of one field starting with prefix, most frequent among the articles that have one first; [] for other fields."""
    if field not in WORD_FIELDS:
        return []
    return _words(backend, field, (field,), prefix, limit)


def _words(backend: TypesenseBackend, query_by: str, counted: tuple[str, ...], prefix: str, limit: int) -> list[str]:
    prefix = fold(prefix)
    if not prefix.isalnum():
        return []
    fields = query_by.split(",")
    res = backend._multi([{"q": prefix, "query_by": query_by, "prefix": ",".join("true" for _ in fields),
                           "num_typos": 0, "per_page": HITS, "include_fields": "title,body,author",
                           "highlight_fields": "none"}])[0]
    counts: Counter[str] = Counter()
    cased: Counter[str] = Counter()
    for hit in res.get("hits", []):
        doc: dict[str, Any] = hit["document"]
        text = " ".join(str(doc.get(f) or "") for f in counted)
        written = set(_TOKEN.findall(text))
        counts.update({w.lower() for w in written if fold(w).startswith(prefix) and w.isalpha()})
        # How the article writes them: inside its sentences and its byline, never a headline's Title Case.
        forms = cased_forms(str(doc.get("body") or ""), str(doc.get("author") or ""), written)
        cased.update(f for f in forms if fold(f).startswith(prefix))
    shown = display_forms(counts, cased)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [shown.get(w, w) for w, _n in ranked]
