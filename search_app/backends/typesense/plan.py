"""A parsed query as Typesense search parameters: q, query_by, weights, prefix, filters and sort."""

from __future__ import annotations

import re
from typing import Any

from search_app.backends.typesense.schema import TIER_FIELDS, TIERS, centrality_field
from search_app.ingest.gazetteer import canonical_city, fold
from search_app.ingest.sources import normalise_source
from search_app.models import SearchRequest
from search_app.query.analysis import analyse
from search_app.query.contract import EPOCH, nothing_to_search
from search_app.query.parser import Group, Not, ParsedQuery, Phrase, Word

TITLE_WEIGHT = 3
RELAX_THRESHOLD = 100_000  # drop words until this many articles match (i.e. as far as it goes)
TOKEN = re.compile(r"\w+(?:\.?\w+)*")


def quote(value: str) -> str:
    """A value as a Typesense filter reads it whole (backquoted; a backquote inside is dropped)."""
    return "`" + value.replace("`", "") + "`"


def is_filter_or(group: Group) -> bool:
    """True for an OR of values of one of city:, source: or year: (a filter of any of them)."""
    leaves = [c for c in group.children if isinstance(c, (Word, Phrase))]
    fields = {c.field for c in leaves}
    return bool(leaves) and len(leaves) == len(group.children) and len(fields) == 1 and fields <= {"city", "source", "year"}


class Plan:
    """A parsed query as Typesense parameters: q, query_by, prefix, and filters from field syntax."""

    def __init__(self, parsed: ParsedQuery, sources: list[str]) -> None:
        self.sources = sources
        self.text = parsed.text
        self.notices: list[str] = []
        self.filters: list[str] = []
        self.impossible = False
        self.tokens: list[str] = []  # plain words and "phrases" (with quotes)
        self.excluded: list[str] = []
        self.prefix: str | None = None
        self.fields: set[str] = set()
        self.words: list[str] = []  # the words to mark in snippets
        self.or_warned = False
        self.scoring: list[str] = []  # the index terms of the words and phrases that rank (repeats kept)
        self.named_cities: list[str] = []  # cities typed as words (the Whoosh index adds its city tag's weight)
        self.phrased = False  # a phrase, or a title:/body: word: matched as written
        self._plain: list[tuple[str, bool]] = []  # unfielded words (text, negated), tokenised in _finish
        for child in parsed.tree.children:
            self._node(child, negated=False)
        self._finish()
        self.positives = len(self.tokens) + (1 if self.prefix else 0)
        self.relaxable = self.positives >= 2
        parts = self.tokens + ([self.prefix] if self.prefix else []) + self.excluded
        self.q = " ".join(parts) if (self.tokens or self.prefix) else "*"
        if self.excluded and not (self.tokens or self.prefix):
            # Typesense has no "everything except -word" query; city:/source:/year: exclusions still filter.
            self.notices.append("A query of only excluded words is not supported on Typesense: the exclusions were ignored.")
        text_fields = self.fields or {"title", "body"}
        # Unfielded words also find reporters by name, as on Whoosh (bylines are moved out of the body).
        others = ["cities", "author"] if not self.fields else []
        if self.phrased:
            self.query_by = [f for f in ("title", "body") if f in text_fields] + others
        else:
            self.query_by = [*TIER_FIELDS, *others]

    def params(self, relax: bool) -> dict[str, Any]:
        """The search parameters; relax lets Typesense drop words when no article has them all."""
        weights = {"title": TITLE_WEIGHT, "body": 1, "cities": 1, "author": 1}
        if not self.phrased:
            # The weight fields rank as their tiers; a city or byline match as a word of middling weight.
            weights = {**{f: 1 + i for i, f in enumerate(TIER_FIELDS)}, "cities": TIERS // 2, "author": TIERS // 2}
        out = {
            "q": self.q,
            "query_by": ",".join(self.query_by),
            "query_by_weights": ",".join(str(weights[f]) for f in self.query_by),
            "prefix": ",".join("true" if self.prefix else "false" for _ in self.query_by),
            "drop_tokens_threshold": RELAX_THRESHOLD if relax else 0,
            "typo_tokens_threshold": 1,
            "num_typos": 2,
        }
        if not self.phrased:
            out["text_match_type"] = "max_weight"  # candidates by their heaviest word, then _reranked
        return out

    @property
    def stemmed(self) -> bool:
        """True when the words are searched as the index's terms in the weight fields (no phrase, no field)."""
        return not self.phrased and self.q != "*"

    def highlight_words(self) -> frozenset[str]:
        """The query's words, lower case, to mark in titles and snippets."""
        return frozenset(w.lower() for w in self.words)

    def _node(self, node: Any, negated: bool) -> None:
        if isinstance(node, Not):
            self._node(node.child, not negated)
        elif isinstance(node, Group):
            if node.op == "or" and not negated:
                if self._or_filter(node):
                    return
                if not self.or_warned:
                    self.notices.append("On Typesense, an OR of more than three alternatives is searched as all the "
                                        "words together, dropped when no article has them all.")
                    self.or_warned = True
            for child in node.children:
                self._node(child, negated)
        elif node.field in ("city", "source", "year"):
            self._keyword(node.field, node.text, negated)
        else:
            self._text(node, negated)

    def _or_filter(self, group: Group) -> bool:
        if not is_filter_or(group):
            return False
        leaves = [c for c in group.children if isinstance(c, (Word, Phrase))]
        name = str(leaves[0].field)
        parts = [value for leaf in leaves if (value := self._value(name, leaf.text)) is not None]
        if not parts:
            self.impossible = True
            return True
        field = {"city": "cities", "source": "source", "year": "year"}[name]
        self.filters.append(f"{field}:=[{','.join(parts)}]")
        return True

    def _value(self, name: str, text: str) -> str | None:
        if name == "city":
            city = canonical_city(text)
            if city is None:
                self.notices.append(f"Unknown city '{text}': try a Shanxi city such as Taiyuan or 太原.")
                return None
            return quote(city)
        if name == "year":
            value = text.strip()
            return value if value.isdigit() and len(value) <= 4 else None
        label = normalise_source(text) or text
        exact = [s for s in self.sources if fold(s) == fold(label)]
        partial = exact or [s for s in self.sources if fold(text) in fold(s)]
        if not partial:
            self.notices.append(f"No articles from source '{text}'.")
            return None
        return ",".join(quote(s) for s in partial)

    def _keyword(self, name: str, text: str, negated: bool) -> None:
        value = self._value(name, text)
        field = {"city": "cities", "source": "source", "year": "year"}[name]
        if value is None:
            if not negated:
                self.impossible = True
            return
        self.filters.append(f"{field}:{'!=' if negated else '='}[{value}]")

    def _text(self, node: Word | Phrase, negated: bool) -> None:
        if node.field in ("title", "body"):
            self.fields.add(node.field)
            self.phrased = True
        words = TOKEN.findall(node.text)
        if not words:
            return
        if isinstance(node, Phrase):
            self.phrased = True
            if negated:
                self.excluded.append(f'-"{node.text}"')
            else:
                self.tokens.append('"' + " ".join(words) + '"')
                self.words.extend(words)
                self.scoring.extend(analyse(node.text))
            return
        if node.prefix and not negated:
            if self.prefix is None:
                self.prefix = words[0].lower()
                self.words.append(words[0])
                return
            self.notices.append(f"Only one word* per query on Typesense: '{node.text}*' was searched as a whole word.")
        self._plain.extend((w, negated) for w in words)

    def _finish(self) -> None:
        """The plain words as tokens: stems in the weight fields, or words as written beside a phrase or field."""
        typed = any(not negated for _w, negated in self._plain)
        for w, negated in self._plain:
            city = canonical_city(w, divisions=False) if not self.fields else None
            shown = city or w  # 太原, Lvliang -> the city's canonical name
            terms = analyse(shown) if not self.phrased else [shown]
            if negated:
                self.excluded.extend(f"-{t}" for t in terms)
                continue
            self.tokens.extend(terms)
            self.scoring.extend(analyse(shown))
            self.words.append(shown)
            if city:
                self.words.append(w)
                self.named_cities.append(city)
        if typed and not (self.tokens or self.prefix or self.filters or self.impossible):
            # Only stop words, single letters or punctuation: nothing of it is indexed, as on Whoosh.
            self.impossible = True
            self.notices.append(nothing_to_search(self.text))


class Selection:
    """The request's facet selections and date range as Typesense filters, with a query plan's own."""

    def __init__(self, req: SearchRequest) -> None:
        self.cities = sorted({canonical_city(v) or v for v in req.cities})
        self.sources = sorted({normalise_source(s) or s for s in req.sources})
        self.years = [str(int(y)) for y in req.years]
        self.facet_filters = {
            "city": f"cities:=[{','.join(quote(c) for c in self.cities)}]" if self.cities else None,
            "source": f"source:=[{','.join(quote(s) for s in self.sources)}]" if self.sources else None,
            "year": f"year:=[{','.join(self.years)}]" if self.years else None,
        }
        self.dates = date_filters(req)

    def selected(self) -> dict[str, list[str]]:
        """The selected values per facet, in the facets' order."""
        return {"city": self.cities, "source": self.sources, "year": self.years}

    @property
    def filtered_facets(self) -> list[str]:
        """The facets something is selected in (each counted by a search of its own), in the facets' order."""
        return [name for name, selected in self.facet_filters.items() if selected is not None]

    def filter_by(self, plan: Plan, skip: str | None = None) -> str:
        """The filter_by of a search: the plan's filters, the dates and every facet's selection but `skip`'s."""
        parts = plan.filters + self.dates + [f for name, f in self.facet_filters.items() if f and name != skip]
        return " && ".join(f"({p})" for p in parts)


FACET_FIELDS = {"city": "cities", "source": "source", "year": "year"}


def date_filters(req: SearchRequest) -> list[str]:
    """The date range as Typesense filters on day numbers."""
    out = []
    if req.date_from:
        out.append(f"date:>={(req.date_from - EPOCH).days}")
    if req.date_to:
        out.append(f"date:<={(req.date_to - EPOCH).days}")
    return out


def sort_by(sort: str, cities: tuple[str, ...] | None = None) -> str:
    """The sort_by of a request: the cities' centrality for a city searched alone, else the date or the text match."""
    if cities:
        # Typesense sorts by at most three fields and cannot sum two: with two cities the first
        # one's centrality decides, the second's breaks ties (Whoosh sums them).
        return ",".join(f"{centrality_field(c)}:desc" for c in cities[:2]) + ",sort_newest:asc"
    if sort == "newest":
        return "sort_newest:asc,seq:asc"
    if sort == "oldest":
        return "sort_oldest:asc,seq:asc"
    return "_text_match:desc,seq:asc"
