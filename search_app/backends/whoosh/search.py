"""The one entry point of searching the Whoosh index: a SearchRequest in, the contract's SearchResponse out."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh import query as wq

from search_app.backends.whoosh import feedback
from search_app.backends.whoosh.columns import DocMask, ids_of, top_k
from search_app.backends.whoosh.compile import Compiler
from search_app.backends.whoosh.ranking import Scored, pair_terms, rank, scorable_terms
from search_app.backends.whoosh.reader import Generation, IndexHandle, PinnedHandle
from search_app.backends.whoosh.schema import from_stored
from search_app.backends.whoosh.similar import key_words, most_like
from search_app.errors import NotFound
from search_app.ingest.gazetteer import canonical_city
from search_app.ingest.sources import normalise_source
from search_app.models import Article, SearchRequest
from search_app.query.analysis import analyse
from search_app.query.contract import (
    EPOCH,
    RELATED,
    SUGGEST_BELOW,
    ArticleView,
    FacetValue,
    Related,
    Result,
    SearchResponse,
    Suggestion,
    article_view,
    facet,
    nothing_to_search,
    related,
    response,
    result,
    suggestion,
    validate,
)
from search_app.query.parser import Group, ParsedQuery, corrected_text, is_restriction, parse
from search_app.query.plan import is_description, open_compounds, searched_cities, topic_tree, topic_words, word_pairs
from search_app.query.snippets import find_matches, highlight_all, mark, query_terms, snippet


class _Filters:
    """The documents each active filter allows, as masks (None where a filter is not set)."""

    def __init__(self, gen: Generation, searcher: Any, req: SearchRequest, cities: list[str], sources: list[str]) -> None:
        facets = gen.facets
        self.sets: dict[str, DocMask | None] = {
            "city": facets["city"].docs(cities) if cities else None,
            "source": facets["source"].docs(sources) if sources else None,
            "year": facets["year"].docs([str(y) for y in req.years]) if req.years else None,
            "date": None,
        }
        if req.date_from or req.date_to:
            first = (req.date_from - EPOCH).days if req.date_from else None
            last = (req.date_to - EPOCH).days if req.date_to else None
            self.sets["date"] = gen.date_docs(searcher, first, last)

    @property
    def active(self) -> bool:
        """True when any filter narrows the results."""
        return any(s is not None for s in self.sets.values())

    def apply(self, docs: DocMask, skip: str | None = None) -> DocMask:
        """docs narrowed by every filter except `skip`."""
        for name, allowed in self.sets.items():
            if allowed is not None and name != skip:
                docs = docs & allowed
        return docs


def _page(req: SearchRequest) -> tuple[int, int]:
    return (req.page - 1) * req.per_page, req.page * req.per_page


def _by_date(gen: Generation, searcher: Any, matched: DocMask, start: int, wanted: int,
             sort: str) -> list[tuple[int, float | None]]:
    """The page's hits by date (undated last), straight from the cached sort column."""
    keys = gen.sort_keys(searcher, "sort_newest" if sort == "newest" else "sort_oldest")
    ids = ids_of(matched)
    best = top_k(ids, wanted, keys[ids])
    return [(int(docnum), None) for docnum in best[start:wanted]]


def _by_centrality(gen: Generation, searcher: Any, matched: DocMask, start: int, wanted: int,
                   cities: tuple[str, ...]) -> list[tuple[int, float | None]]:
    """The page's hits by how central the searched cities are to them (summed), then newest first."""
    ids = ids_of(matched)
    score = gen.centrality(searcher, cities[0])[ids]
    for city in cities[1:]:
        score = score + gen.centrality(searcher, city)[ids]
    newest = gen.sort_keys(searcher, "sort_newest")
    order = top_k(np.arange(len(ids)), wanted, -score, newest[ids])
    return [(int(ids[i]), float(score[i])) for i in order[start:wanted]]


def _result(fields: dict[str, Any], score: float | None, terms: frozenset[str], highlight: bool) -> Result:
    article = from_stored(fields)
    if not highlight:
        return result(article, title_html=mark(article.title, []), score=score, snippet="")
    return result(article, title_html=mark(article.title, find_matches(article.title, terms)), score=score,
                  snippet=snippet(article.body, terms))


@dataclass
class _Plan:
    """How one request is matched and ordered, decided before any posting is read."""

    parsed: ParsedQuery
    q: wq.Query | None  # None: no words (list everything) or nothing searchable
    described: bool  # a written request: its topic words ranked, not all required
    unsearchable: bool  # typed text of which nothing is indexed ("the", "x", "*")
    sort: str
    by_city: tuple[str, ...] | None  # a city searched alone: ordered by how central it is
    scored: list[Scored]  # the terms BM25F sums
    tree: Group  # what is searched: the query (or its topic words) with compounds opened into their parts
    tiered: bool  # keywords of two or more parts: the articles with some of the words follow those with all
    bonus: list[Scored]  # what adds to any match's score besides its words: compounds' (and pairs') parts together


@dataclass
class _Found:
    """What the query matched: the text matches, those the filters allow, and how."""

    q: wq.Query | None
    scored: list[Scored]
    text_docs: DocMask
    matched: DocMask
    relaxed: bool


def search(handle: IndexHandle | PinnedHandle, req: SearchRequest, time_limit: float = 2.0) -> SearchResponse:
    """Answer one search request: parse, plan, filter, match, relax, rank, page, shape, suggest."""
    started = time.perf_counter()
    req, request_notices = validate(req)
    parsed = parse(req.q)
    with handle.session() as (gen, searcher):
        compiler = Compiler(gen.lexicon, gen.sources)
        plan = _plan(parsed, compiler, req)
        cities = sorted({c for c in (canonical_city(v) or v for v in req.cities)})
        sources = sorted({normalise_source(s) or s for s in req.sources})
        filters = _Filters(gen, searcher, req, cities, sources)
        memo: dict[Any, Any] = {}  # posting lists read once per request
        found = _match(gen, searcher, plan, filters, req, memo, time_limit)
        found = _with_feedback(gen, searcher, plan, found, filters, memo, started + time_limit)
        some = _relax(gen, searcher, compiler, plan, filters, memo) if plan.tiered else None
        if some is not None and not found.matched.any():
            found, some = some, None  # no article has every word: the ones with some of them, as before
        elif some is not None:
            some = _Found(some.q, some.scored, some.text_docs, some.matched & ~found.matched, relaxed=True)
        hits, timed_out = _order_tiers(gen, searcher, plan, [found, *([some] if some is not None else [])], req, memo,
                                       started + time_limit)
        terms = query_terms(found.q) | (query_terms(some.q) if some is not None else frozenset())
        results = [_result(searcher.stored_fields(docnum), score, terms, req.highlight) for docnum, score in hits]
        # The facets count the articles with every word (the first part of the list; all of it when none has
        # every word): what ticking a value narrows to among them, at the cost of today's search, not of the
        # (often far larger) set with some of the words. The total counts every article listed.
        facets = _facets(gen, filters, found.text_docs, cities, sources, req) if req.facets else {}
        every = int(np.count_nonzero(found.matched))
        total = every + (int(np.count_nonzero(some.matched)) if some is not None else 0)
        # A relaxed keyword query found no article with every word: it is checked for spelling as one finding none.
        strict_total = 0 if found.relaxed and not plan.described else every
        some_from = (0 if found.relaxed else every if some is not None and total > every else None) \
            if plan.tiered else None
        suggested = None
        if req.suggest and strict_total < SUGGEST_BELOW and parsed.words():
            suggested = _suggest(gen, searcher, parsed, filters, strict_total)
    return response(req, query=parsed.text, total=total, some_words_from=some_from, sort=plan.sort,
                    by_city=bool(plan.by_city),
                    results=results, facets=facets, suggested=suggested, relaxed=found.relaxed, timed_out=timed_out,
                    notices=_notices(request_notices, plan, compiler.notices, timed_out), generation=gen.name,
                    started=started)


def _plan(parsed: ParsedQuery, compiler: Compiler, req: SearchRequest) -> _Plan:
    """The compiled query and the order it asks for."""
    # A written request is matched by its topic words from the start; keywords first with every word.
    opened, compounds = open_compounds(parsed.tree)
    described = not parsed.is_empty and _relaxable(opened) and is_description(parsed)
    tree, _compounds = open_compounds(topic_tree(parsed)) if described else (opened, compounds)
    q = compiler.compile(tree, relaxed=described) if not parsed.is_empty else None
    sort = "newest" if q is None and req.sort == "relevance" else req.sort
    scored = scorable_terms(q) if q is not None else []
    # A compound's parts standing side by side rank higher ("large-deflection"), as a description's neighbours do.
    bonus = pair_terms([analyse(a) + analyse(b) for a, b in word_pairs(parsed)]) if described else []
    bonus += pair_terms(compounds) if q is not None else []
    return _Plan(
        parsed=parsed, q=q, described=described, sort=sort, scored=scored + bonus, tree=tree, bonus=bonus,
        tiered=q is not None and not described and _relaxable(opened),
        # Typed text of which nothing is searchable ("the", "x", "*", a lone "OR") finds nothing, and says
        # why, rather than quietly listing the whole archive as an empty query does.
        unsearchable=q is None and bool(parsed.text),
        # A search for a city alone has no word to weigh: its articles go by how central the city is.
        by_city=searched_cities(parsed) if q is not None and sort == "relevance" else None,
    )


def _match(gen: Generation, searcher: Any, plan: _Plan, filters: _Filters, req: SearchRequest,
           memo: dict[Any, Any], time_limit: float) -> _Found:
    """The documents the query matches, narrowed by the filters."""
    q = plan.q
    everything = np.zeros(gen.size, bool) if plan.unsearchable else gen.all_docs  # no words: every article, newest
    text_docs = gen.docs(searcher, q, memo) if q is not None else everything
    return _Found(q, plan.scored, text_docs, filters.apply(text_docs), plan.described)


def _relax(gen: Generation, searcher: Any, compiler: Compiler, plan: _Plan, filters: _Filters,
           memo: dict[Any, Any]) -> _Found | None:
    """The articles with any of the topic words (restrictions kept), or None if none has one."""
    loose = compiler.compile(topic_tree(ParsedQuery(plan.parsed.text, plan.tree)), relaxed=True)
    if loose is None:
        return None
    docs = gen.docs(searcher, loose, memo)
    matched = filters.apply(docs)
    return _Found(loose, scorable_terms(loose) + plan.bonus, docs, matched, relaxed=True) if matched.any() else None


def _order_tiers(gen: Generation, searcher: Any, plan: _Plan, tiers: list[_Found], req: SearchRequest,
                 memo: dict[Any, Any], deadline: float) -> tuple[list[tuple[int, float | None]], bool]:
    """The requested page of the matches, each tier (every word, then some) in the plan's order after the one before."""
    start, stop = _page(req)
    hits: list[tuple[int, float | None]] = []
    timed_out = False
    before = 0  # matches in the tiers already passed
    for tier in tiers:
        size = int(np.count_nonzero(tier.matched))
        if stop > before and start < before + size:
            found, late = _order(gen, searcher, plan, tier, max(0, start - before), min(size, stop - before), memo,
                                 deadline)
            hits += found
            timed_out = timed_out or late
        before += size
    return hits, timed_out


def _order(gen: Generation, searcher: Any, plan: _Plan, found: _Found, start: int, stop: int,
           memo: dict[Any, Any], deadline: float) -> tuple[list[tuple[int, float | None]], bool]:
    """The matches from start to stop (ranks, 0-based) in the plan's order; timed out?"""
    if not found.matched.any():
        return [], False
    if plan.sort != "relevance":
        return _by_date(gen, searcher, found.matched, start, stop, plan.sort), False
    if plan.by_city:
        return _by_centrality(gen, searcher, found.matched, start, stop, plan.by_city), False
    best, timed_out = _ranked(gen, searcher, found.scored, found.matched, stop, memo, deadline)
    return [(docnum, score) for docnum, score in best[start:stop]], timed_out


def _with_feedback(gen: Generation, searcher: Any, plan: _Plan, found: _Found, filters: _Filters,
                   memo: dict[Any, Any], deadline: float) -> _Found:
    """A description's matches and scored terms with its pseudo-relevance feedback added (feedback.py); others as found."""
    if found.q is None or not feedback.applies(plan.described, plan.sort, plan.by_city, int(np.count_nonzero(found.matched))):
        return found
    first, timed_out = _ranked(gen, searcher, found.scored, found.matched, feedback.DOCS, memo, deadline)
    if timed_out or not first:
        return found
    texts = [" ".join((f.get("title", ""), f.get("body", ""))) for f in (searcher.stored_fields(d) for d, _s in first)]
    model = feedback.relevance_model(texts, [score for _docnum, score in first])
    words = feedback.expansion(model, feedback.never_added(found.q, found.scored))
    if not words:
        return found
    # New matches only among the articles that meet what the query requires; the filters apply as to any match.
    added = gen.docs(searcher, feedback.matching(words), memo)
    required = feedback.required(plan.tree, Compiler(gen.lexicon, gen.sources))
    if required is not None:
        added = added & gen.docs(searcher, required, memo)
    text_docs = found.text_docs | added
    scored = found.scored + feedback.feedback_terms(words, len(topic_words(plan.parsed)))
    return _Found(found.q, scored, text_docs, filters.apply(text_docs), found.relaxed)


def _facets(gen: Generation, filters: _Filters, text_docs: DocMask, cities: list[str], sources: list[str],
            req: SearchRequest) -> dict[str, list[FacetValue]]:
    """Each facet's values counted over the matches as every other filter narrows them."""
    selected = {"city": cities, "source": sources, "year": [str(y) for y in req.years]}
    unfiltered: np.ndarray | None = None  # without filters the three facets count the same matches
    out = {}
    for name, values in selected.items():
        base = filters.apply(text_docs, skip=name)
        if base is text_docs:
            unfiltered = ids_of(text_docs) if unfiltered is None else unfiltered
            ids = unfiltered
        else:
            ids = ids_of(base)
        out[name] = facet(name, gen.facets[name].counts(ids), values)
    return out


def _notices(request_notices: list[str], plan: _Plan, compiler_notices: list[str], timed_out: bool) -> list[str]:
    """What the reader is told about the request and its answer, each once."""
    notices = request_notices + plan.parsed.notices + compiler_notices
    if plan.unsearchable and not compiler_notices:
        notices.append(nothing_to_search(plan.parsed.text))
    if timed_out:
        notices.append("The search took too long and was cut short: results may be incomplete. Try more specific words.")
    return notices  # each once: contract.response drops a relaxed second compile's repeats


def _ranked(gen: Generation, searcher: Any, terms: list[Scored], matched: DocMask, wanted: int,
            memo: dict[Any, Any], deadline: float) -> tuple[list[tuple[int, float]], bool]:
    """The best `wanted` matches by BM25F (ranking.py), equal scores newest first."""

    def gate(part: wq.Query) -> DocMask:
        key = ("gate", part)  # a gate is asked for once per word and field under it
        if key not in memo:
            memo[key] = gen.docs(searcher, part, memo)
        return memo[key]  # type: ignore[no-any-return]

    return rank(searcher, terms, matched, wanted, lambda f, t: gen.postings(searcher.reader(), f, t, memo),
                lambda f: gen.field_norms(searcher, f), deadline, gate, gen.sort_keys(searcher, "sort_newest"))


def _relaxable(tree: Group) -> bool:
    """Worth relaxing: at least two searched parts (restrictions such as city: stay required anyway)."""
    return sum(1 for c in tree.children if not is_restriction(c)) >= 2


def _suggest(gen: Generation, searcher: Any, parsed: ParsedQuery, filters: _Filters, total: int) -> Suggestion | None:
    """A corrected query with more results than this one, or None."""
    vocabulary = gen.vocabulary()
    text = corrected_text(parsed, vocabulary.correct)
    if text is None:
        return None
    corrected = parse(text)
    q = Compiler(gen.lexicon, gen.sources).compile(corrected.tree)
    if q is None:
        return None
    count = int(np.count_nonzero(filters.apply(gen.docs(searcher, q))))
    return suggestion(corrected.text, count) if count > total else None


def get_article(handle: IndexHandle | PinnedHandle, article_id: str, q: str = "") -> ArticleView:
    """One article with its body as highlighted paragraphs and its related articles."""
    with handle.session() as (gen, searcher):
        docnum = searcher.document_number(id=article_id)
        if docnum is None:
            raise NotFound(f"No article with id {article_id!r}. Search for it from the home page.")
        article = from_stored(searcher.stored_fields(docnum))
        terms: frozenset[str] = frozenset()
        if q.strip():
            parsed = parse(q)
            compiled = Compiler(gen.lexicon, gen.sources).compile(parsed.tree) if not parsed.is_empty else None
            terms = query_terms(compiled)
        similar = _related(gen, searcher, docnum, article)
    return article_view(article, title_html=mark(article.title, find_matches(article.title, terms)),
                        paragraphs_html=[highlight_all(p, terms) for p in article.body.split("\n\n")],
                        related=similar, generation=gen.name)


def _related(gen: Generation, searcher: Any, docnum: int, article: Article, top: int = RELATED) -> list[Related]:
    """Articles most like this one: its key words searched for in the other bodies (similar.py)."""
    words = key_words(gen.lexicon, gen.size, article.title, article.body)
    allowed = gen.all_docs.copy()
    allowed[docnum] = False
    best = most_like(words, lambda word: gen.postings(searcher.reader(), "body", word), gen.similar_norms(), allowed, top)
    return [related(from_stored(searcher.stored_fields(d))) for d in best]
