"""A parsed query (query.parser) compiled into a Whoosh query against one generation's vocabulary."""

from __future__ import annotations

from whoosh import query as wq

from search_app.backends.whoosh.flat import Lexicon
from search_app.ingest.gazetteer import canonical_city, fold
from search_app.ingest.sources import normalise_source
from search_app.query.analysis import WORDS, analyse
from search_app.query.parser import MAX_EXPANSIONS, TEXT_FIELDS, Group, Node, Not, Word, is_restriction


class Compiler:
    """Turns a parsed tree into a Whoosh query against one generation's vocabulary (its words and sources)."""

    def __init__(self, lexicon: Lexicon, sources: list[str]) -> None:
        self.lexicon = lexicon
        self.sources = sources
        self.notices: list[str] = []

    def compile(self, tree: Group, relaxed: bool = False) -> wq.Query | None:
        """The Whoosh query; with relaxed=True the top-level words are OR'ed (ranking puts the best matches first).

        Relaxing never drops a restriction: city:, source:, year:, author: and exclusions stay required.
        """
        if not relaxed:
            return self._group(tree, tree.op)
        loose = self._group(Group("or", [c for c in tree.children if not is_restriction(c)]), "or")
        strict = self._group(Group("and", [c for c in tree.children if is_restriction(c)]), "and")
        if loose is None or strict is None:
            return loose or strict
        return wq.And([loose, strict])

    def _group(self, group: Group, op: str) -> wq.Query | None:
        positives: list[wq.Query] = []
        negatives: list[wq.Query] = []
        for child in group.children:
            if isinstance(child, Not):
                compiled = self._node(child.child)
                if compiled is not None:
                    negatives.append(compiled)
            else:
                compiled = self._node(child)
                if compiled is not None:
                    positives.append(compiled)
        if not positives and not negatives:
            return None
        if not positives:
            base: wq.Query = wq.Every()
        elif len(positives) == 1:
            base = positives[0]
        elif op == "or":
            base = wq.Or(positives)
        else:
            base = wq.And(positives)
        if negatives:
            return wq.AndNot(base, negatives[0] if len(negatives) == 1 else wq.Or(negatives))
        return base

    def _node(self, node: Node) -> wq.Query | None:
        if isinstance(node, Group):
            return self._group(node, node.op)
        if isinstance(node, Not):
            inner = self._node(node.child)
            return wq.Not(inner) if inner is not None else None
        if node.field in ("city", "source", "year"):
            return self._keyword(node.field, node.text)
        if node.field == "author":
            terms = analyse(node.text, WORDS)
            return _sequence("author", terms) if terms else None
        fields = (node.field,) if node.field in TEXT_FIELDS else TEXT_FIELDS
        if isinstance(node, Word) and node.prefix:
            return self._prefix(fields, node.text.lower())
        terms = analyse(node.text)
        options: list[wq.Query] = [q for f in fields if (q := _sequence(f, terms)) is not None]
        if node.field is None:
            # Reporters are searched by name too: a byline is moved out of the body into the author field.
            byline = _sequence("author", analyse(node.text, WORDS)) if terms else None  # not for "the"
            if byline is not None:
                options.append(byline)
            city = canonical_city(node.text, divisions=False)
            if city:  # "太原", "Lvliang": the city's articles, whatever spelling they use
                options.append(wq.Term("city", city))
        if not options:
            return None
        return options[0] if len(options) == 1 else wq.Or(options)

    def _prefix(self, fields: tuple[str, ...], prefix: str) -> wq.Query | None:
        terms: list[wq.Query] = []
        for name in fields:
            words = self.lexicon.expand_prefix(name, prefix, MAX_EXPANSIONS + 1)
            if len(words) > MAX_EXPANSIONS:
                self.notices.append(f"'{prefix}*' stands for too many words; only the first {MAX_EXPANSIONS} were searched.")
                words = words[:MAX_EXPANSIONS]
            terms.extend(wq.Term(name, w) for w in words)
        if not terms:
            return wq.NullQuery
        return wq.Or(terms)

    def _keyword(self, name: str, value: str) -> wq.Query:
        if name == "city":
            city = canonical_city(value)
            if city is None:
                self.notices.append(f"Unknown city '{value}': try a Shanxi city such as Taiyuan or 太原.")
                return wq.NullQuery
            return wq.Term("city", city)
        if name == "year":
            return wq.Term("year", value.strip())
        label = normalise_source(value) or value
        exact = [s for s in self.sources if fold(s) == fold(label)]
        partial = exact or [s for s in self.sources if fold(value) in fold(s)]
        if not partial:
            self.notices.append(f"No articles from source '{value}'.")
            return wq.NullQuery
        return wq.Or([wq.Term("source", s) for s in partial]) if len(partial) > 1 else wq.Term("source", partial[0])


def _sequence(fieldname: str, terms: list[str]) -> wq.Query | None:
    if not terms:
        return None
    if len(terms) == 1:
        return wq.Term(fieldname, terms[0])
    return wq.Phrase(fieldname, terms)
