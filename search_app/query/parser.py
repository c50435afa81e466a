"""What people type, parsed into Whoosh queries: phrases, OR, NOT/-, field:value, prefix*, city names.

The parser never raises: unbalanced quotes or brackets, lone operators and stray punctuation
are read as plain words or dropped, and every problem worth knowing becomes a notice.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from search_app.models import MAX_QUERY_CHARS

MAX_TERMS = 64  # words and phrases searched from one query
MAX_EXPANSIONS = 256  # index words a prefix* may stand for
MIN_PREFIX = 1  # "c*" is bounded by MAX_EXPANSIONS and the time limit
FIELDS = ("title", "body", "city", "source", "author", "year")
TEXT_FIELDS = ("title", "body")
OR_WORDS = {"OR", "|", "||"}
AND_WORDS = {"AND", "&", "&&", "+"}
NOT_WORDS = {"NOT", "!"}

_TOKEN = re.compile(
    r"""(?P<lparen>\()|(?P<rparen>\))
      |(?P<neg>-)(?=[^\s\-])
      |(?P<field>(?i:title|body|city|source|author|year))[:：](?=[^\s)])
      |(?P<phrase>"[^"]*"?)
      |(?P<word>[^\s()"]+)""",
    re.X,
)
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad]")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "＂": '"', "（": "(", "）": ")"})


@dataclass
class Word:
    """A word (or prefix*), optionally limited to one field; span is its place in the query."""

    text: str
    field: str | None = None
    prefix: bool = False
    span: tuple[int, int] = (0, 0)


@dataclass
class Phrase:
    """Words that must appear together, in this order."""

    text: str
    field: str | None = None
    span: tuple[int, int] = (0, 0)


@dataclass
class Not:
    """Articles matching the child are excluded."""

    child: Node


@dataclass
class Group:
    """All children (op 'and') or any of them (op 'or')."""

    op: str
    children: list[Node] = field(default_factory=list)


Node = Word | Phrase | Not | Group


@dataclass
class ParsedQuery:
    """The tree of a query plus what the parser had to drop or change."""

    text: str
    tree: Group
    notices: list[str] = field(default_factory=list)

    def words(self) -> list[Word]:
        """The plain text words (no field, no prefix), in query order, for spelling suggestions."""
        found: list[Word] = []

        def walk(node: Node, negated: bool) -> None:
            if isinstance(node, Word) and not node.prefix and node.field in (None, "title", "body") and not negated:
                found.append(node)
            elif isinstance(node, Not):
                walk(node.child, True)
            elif isinstance(node, Group):
                for child in node.children:
                    walk(child, negated)

        walk(self.tree, False)
        return found

    @property
    def is_empty(self) -> bool:
        """True when nothing searchable is left."""
        return not self.tree.children


def corrected_text(parsed: ParsedQuery, correct: Callable[[str], str | None]) -> str | None:
    """The query text with each plain word that `correct` fixes replaced (keeping its capital); None if none."""
    text = parsed.text
    changed = False
    for word in sorted(parsed.words(), key=lambda w: w.span[0], reverse=True):  # right to left: spans stay valid
        fixed = correct(word.text)
        if fixed:
            start, end = word.span
            original = text[start:end]
            # Keep a field prefix ("title:") and replace only the word itself.
            head = original[: len(original) - len(word.text)] if original.endswith(word.text) else ""
            replacement = fixed.capitalize() if word.text[:1].isupper() else fixed
            text = text[:start] + head + replacement + text[end:]
            changed = True
    return text if changed else None


def normalise_query(text: str) -> str:
    """NFKC, typographic quotes to plain ones, no invisible or control characters, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = _INVISIBLE.sub("", text)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return re.sub(r"\s+", " ", text).strip()


def parse(text: str) -> ParsedQuery:
    """Parse query text into a tree; never raises."""
    text = normalise_query(text)
    notices: list[str] = []
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0] or text[:MAX_QUERY_CHARS]
        notices.append(f"The query was cut to its first {MAX_QUERY_CHARS} characters.")
    tokens = [(m.lastgroup or "word", m.group(0), m.span()) for m in _TOKEN.finditer(text)]
    if _shouted(tokens):
        # In a query typed all in capitals ("EFFECT OF HEAT OR COLD ON ..."), AND, OR and NOT cannot be
        # told from the words around them: they are read as words (and dropped as stop words).
        tokens = [(kind, value.lower() if value in _OPERATOR_WORDS else value, span) for kind, value, span in tokens]
    parser = _Parser(tokens)
    tree = parser.parse()
    notices.extend(parser.notices)
    count = _count_leaves(tree)
    if count > MAX_TERMS:
        tree = _truncate(tree, MAX_TERMS)
        notices.append(f"Only the first {MAX_TERMS} words of the query were searched.")
    return ParsedQuery(text=text, tree=tree, notices=notices)


_OPERATOR_WORDS = {"AND", "OR", "NOT"}
SHOUTED_WORDS = 5  # from this many words on, a query without a lower-case letter is read as all capitals


def _shouted(tokens: list[tuple[str, str, tuple[int, int]]]) -> bool:
    """True for a query of several words in capitals only, where operator words cannot be told apart."""
    words = [value for kind, value, _span in tokens if kind in ("word", "phrase")]
    text = " ".join(words)
    return len(words) >= SHOUTED_WORDS and not any(c.islower() for c in text) and any(c.isupper() for c in text)


class _Parser:
    """Recursive descent over tokens: or := and (OR and)*; and := unary+; unary := (NOT|-) unary | primary."""

    def __init__(self, tokens: list[tuple[str, str, tuple[int, int]]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.notices: list[str] = []

    def peek(self) -> tuple[str, str, tuple[int, int]] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse(self) -> Group:
        groups = []
        while self.peek() is not None:
            node = self.or_expr()
            if node is not None:
                groups.append(node)
            nxt = self.peek()
            if nxt is not None and nxt[0] == "rparen":
                self.pos += 1  # a stray ")" is ignored
        flat: list[Node] = []
        for node in groups:
            flat.extend(node.children if isinstance(node, Group) and node.op == "and" else [node])
        return Group("and", flat)

    def or_expr(self) -> Node | None:
        parts = [self.and_expr()]
        while (tok := self.peek()) is not None and tok[0] == "word" and tok[1] in OR_WORDS:
            self.pos += 1
            parts.append(self.and_expr())
        kept = [p for p in parts if p is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else Group("or", kept)

    def and_expr(self) -> Node | None:
        parts: list[Node] = []
        while (tok := self.peek()) is not None:
            kind, value, _span = tok
            if kind == "rparen" or (kind == "word" and value in OR_WORDS):
                break
            if kind == "word" and value in AND_WORDS:
                self.pos += 1
                continue
            node = self.unary()
            if node is not None:
                parts.append(node)
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else Group("and", parts)

    def unary(self) -> Node | None:
        tok = self.peek()
        assert tok is not None
        kind, value, _span = tok
        if kind == "neg" or (kind == "word" and value in NOT_WORDS):
            self.pos += 1
            if self.peek() is None or self.peek()[0] == "rparen":  # type: ignore[index]
                return None  # a lone NOT or "-" at the end means nothing
            child = self.unary()
            return Not(child) if child is not None else None
        return self.primary()

    def primary(self) -> Node | None:
        kind, value, span = self.tokens[self.pos]
        self.pos += 1
        if kind == "lparen":
            if self.depth >= 8:
                return None  # brackets nested deeper than anyone means them: ignored
            self.depth += 1
            node = self.or_expr()
            self.depth -= 1
            if self.peek() is not None and self.peek()[0] == "rparen":  # type: ignore[index]
                self.pos += 1
            return node
        if kind == "field":
            name = value.rstrip(":：").lower()
            nxt = self.peek()
            if nxt is not None and nxt[0] == "lparen":  # title:(coal OR steel)
                group = self.primary()
                if group is not None:
                    _set_field(group, name)
                return group
            if nxt is None or nxt[0] not in ("word", "phrase"):
                return Word(name, span=span)
            self.pos += 1
            node = self._leaf(nxt[0], nxt[1], (span[0], nxt[2][1]))
            if node is not None:
                node.field = name
            return node
        return self._leaf(kind, value, span)

    def _leaf(self, kind: str, value: str, span: tuple[int, int]) -> Word | Phrase | None:
        if kind == "phrase":
            inner = value.strip('"').strip()
            if not value.endswith('"') or len(value) == 1:
                self.notices.append("An unclosed quote was ignored.")
            return Phrase(inner, span=span) if inner else None
        if kind in ("word", "neg") and value in OR_WORDS | AND_WORDS | NOT_WORDS:
            return None
        if value.endswith("*"):
            stem = value.rstrip("*")
            if len(stem) >= MIN_PREFIX and "*" not in stem and re.fullmatch(r"\w+", stem):
                return Word(stem, prefix=True, span=span)
            value = value.replace("*", "")
        return Word(value, span=span) if value.strip() else None


RESTRICTING_FIELDS = ("city", "source", "year", "author")


def is_restriction(node: Node) -> bool:
    """True for a top-level part that narrows rather than searches: an exclusion or city:/source:/year:/author:."""
    if isinstance(node, Not):
        return True
    if isinstance(node, Group):
        return bool(node.children) and all(is_restriction(c) for c in node.children)
    return node.field in RESTRICTING_FIELDS


def _set_field(node: Node, name: str) -> None:
    if isinstance(node, Group):
        for child in node.children:
            _set_field(child, name)
    elif isinstance(node, Not):
        _set_field(node.child, name)
    elif node.field is None:
        node.field = name


def _count_leaves(node: Node) -> int:
    if isinstance(node, Group):
        return sum(_count_leaves(c) for c in node.children)
    if isinstance(node, Not):
        return _count_leaves(node.child)
    return 1


def _truncate(node: Group, limit: int) -> Group:
    kept: list[Node] = []
    used = 0
    for child in node.children:
        size = _count_leaves(child)
        if used + size > limit:
            break
        kept.append(child)
        used += size
    return Group(node.op, kept)
