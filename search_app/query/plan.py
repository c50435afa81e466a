"""How a parsed query is matched: every word required (keywords), or its topic words ranked (a description).

People type two kinds of query. Keywords (`coal`, `new york`, `Taiyuan airport`) mean every word:
an article that lacks one is not an answer while some article has them all. A description or a
question ("I am interested in articles about the time sharing system of IBM computers") is a
request in sentences: no article holds every word of it, requiring them all finds nothing, and the
words that shape the request ("interested", "articles", "what", "describe") say nothing about the
topic. Such a query, and a keyword query relaxed because nothing has all its words, is matched as
an OR of its topic words and left to the ranking (BM25F sums each word's weight, so articles with
more and rarer words come first). Phrases, restrictions (city:, source:, -word) and bracketed OR
groups are never dropped.
"""

from __future__ import annotations

import re

from search_app.ingest.gazetteer import canonical_city
from search_app.query.analysis import analyse
from search_app.query.parser import Group, Node, Not, ParsedQuery, Phrase, Word, is_restriction

# From this many topic words on (a repeated word counted each time), a query reads as a description
# rather than keywords: about nine in ten typed searches have at most four words, while written
# requests run longer and repeat their key words ("parallel languages; languages for parallel computation").
DESCRIPTION_WORDS = 5

# Words that shape a request but do not name its topic: English function words beyond the
# index's own stop list (which already drops "the", "of", "and", ...), question words, and the
# vocabulary of asking for documents. Only ever dropped from descriptions and relaxed queries.
REQUEST_WORDS = frozenset("""
    about above after again against all also am any anything because been before being below between both
    but could did do does doing done during each either else etc ever every few further had has having
    he her here hers herself him himself his how however i i'd i'm i've into its itself just me more most
    much must my myself no nor now off once only other others ought our ours ourselves out over own
    per same she should since so some something such than their theirs them themselves then there
    these they those through too under until up upon very was were what whatever when where whether
    which while who whom whose why within without would
    interested article articles papers documents publications
    describe describes describing discuss discusses discussed discussing discussion
    find want wanted wish looking seeking please know like give tell
    relevant pertaining pertain pertains concerning regarding relating dealing
    particularly especially specifically
""".split())

_LETTERS = re.compile(r"\w+")


def is_request_word(word: Word) -> bool:
    """True for a plain word that only shapes a request ("what", "articles", "I'm")."""
    if word.field not in (None, "title", "body") or word.prefix:
        return False
    parts = [p for p in _LETTERS.findall(word.text.lower()) if len(p) > 1 or p == "i"]
    return bool(parts) and all(p in REQUEST_WORDS for p in parts)


def _topic_parts(tree: Group) -> list[Node]:
    """The top-level searched parts, brackets of plain words opened (in a sentence they are asides, not logic)."""
    parts: list[Node] = []
    for child in tree.children:
        if isinstance(child, Group) and child.op == "and" and not is_restriction(child):
            parts.extend(_topic_parts(child))
        else:
            parts.append(child)
    return parts


def topic_words(parsed: ParsedQuery) -> list[str]:
    """The index terms of the query's top-level topic words, repeats kept (request words and restrictions left out)."""
    terms: list[str] = []
    for part in _topic_parts(parsed.tree):
        if isinstance(part, Word) and not is_restriction(part) and not is_request_word(part):
            terms.extend(analyse(part.text) if not part.prefix else [part.text.lower()])
    return terms


def is_description(parsed: ParsedQuery) -> bool:
    """True when the query reads as a written request rather than keywords (see DESCRIPTION_WORDS)."""
    return parsed.tree.op == "and" and len(topic_words(parsed)) >= DESCRIPTION_WORDS


def topic_tree(parsed: ParsedQuery) -> Group:
    """The query without its request words (kept when nothing else would be left), brackets opened."""
    parts = _topic_parts(parsed.tree)
    kept = [p for p in parts if not (isinstance(p, Word) and is_request_word(p))]
    if not any(not is_restriction(p) for p in kept):
        kept = parts
    return Group("and", kept)


# A compound joins words with hyphens or slashes ("large-deflection", "re-entry", "input/output").
_COMPOUND = re.compile(r"\w+(?:[-\u2010\u2011\u2013/]\w+)+")
_JOINER = re.compile(r"[-\u2010\u2011\u2013/]")


def open_compounds(tree: Group) -> tuple[Group, list[list[str]]]:
    """The tree with each compound word searched as its parts, and each compound's index terms.

    "large-deflection" is about large deflections wherever the two words stand: its parts are
    searched as two words (under an OR, together as a bracket), and the caller ranks them higher
    where they stand side by side (pair_terms). A quoted phrase stays exact, and an excluded
    compound (`-re-entry`) stays the phrase it names.
    """
    compounds: list[list[str]] = []

    def opened(group: Group) -> Group:
        children: list[Node] = []
        for child in group.children:
            if isinstance(child, Group):
                children.append(opened(child))
                continue
            parts = _parts(child)
            if parts is None:
                children.append(child)
                continue
            compounds.append(analyse(child.text))  # type: ignore[union-attr]
            if group.op == "and":
                children.extend(parts)
            else:
                children.append(Group("and", list(parts)))
        return Group(group.op, children)

    return opened(tree), compounds


def _parts(node: Node) -> list[Node] | None:
    """A compound word's parts as words of their own (same field), or None for anything else."""
    if not isinstance(node, Word) or node.prefix or node.field not in (None, "title", "body"):
        return None
    if not _COMPOUND.fullmatch(node.text.strip(".,;:!?")) or len(analyse(node.text)) < 2:
        return None
    parts = [p for p in _JOINER.split(node.text) if analyse(p)]
    return [Word(p, node.field, False, node.span) for p in parts] if len(parts) >= 2 else None


_CLAUSE_END = re.compile(r"[,;:.?!]$")  # brackets are tokens of their own


def word_pairs(parsed: ParsedQuery) -> list[tuple[str, str]]:
    """Neighbouring topic words of a description within one clause ("operating systems", "time sharing").

    Stop words in between do not part a pair ("inspections of coal"): the index leaves them out of
    the word positions too. A request word, a phrase, a field or the end of a clause does.
    """
    pairs: list[tuple[str, str]] = []
    previous: str | None = None
    for part in _topic_parts(parsed.tree):
        if isinstance(part, Word) and not part.prefix and part.field is None and not is_request_word(part):
            if analyse(part.text):
                if previous is not None:
                    pairs.append((previous, part.text))
                previous = part.text
            if _CLAUSE_END.search(part.text):
                previous = None
        else:
            previous = None
    return pairs


def searched_cities(parsed: ParsedQuery) -> tuple[str, ...] | None:
    """The cities a query searches for when it searches for nothing else (`太原`, `city:Taiyuan`,
    `Datong OR Tatung -coal`), canonical and sorted; None when it has any other word.

    Every article of such a query has the city and no word to weigh: the ranking orders them by
    how central the city is to each article instead (gazetteer.locate_cities)."""
    found: set[str] = set()

    def visit(node: Node) -> bool:
        if isinstance(node, Not):
            return True  # an exclusion narrows, it does not ask for anything
        if isinstance(node, Group):
            return all(visit(child) for child in node.children)
        if isinstance(node, Word) and node.prefix:
            return False
        if isinstance(node, (Word, Phrase)) and node.field in (None, "city"):
            city = canonical_city(node.text, divisions=node.field == "city")
            if city is not None:
                found.add(city)
                return True
        return False

    return tuple(sorted(found)) if visit(parsed.tree) and found else None
