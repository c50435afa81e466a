"""OR between words on Typesense 0.24, which has no OR: one search per alternative, merged exactly.

`steel OR (rail prices)` is two alternatives, `steel` and `rail prices`; brackets multiply out
(`(coal OR gas) Datong` is `coal Datong` or `gas Datong`). Each alternative is an ordinary search;
the page is the alternatives' best hits merged (by BM25F over every word the article holds, as
the Whoosh core sums an OR's parts, or by date or city when so sorted). The total and the facet
counts are exact, not estimated: by inclusion and exclusion, |A or B| = |A| + |B| - |A and B|,
each term one count-only search of the alternatives together, all in one multi-search. An OR
of city:, source: or year: values is a filter, never split (plan.Plan).
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations
from typing import TYPE_CHECKING, Any

from search_app.backends.typesense.plan import FACET_FIELDS, Plan, Selection, is_filter_or
from search_app.backends.typesense.rerank import WINDOW, count_searches, reranked
from search_app.backends.typesense.results import page_search, shaped_results
from search_app.backends.typesense.schema import centrality_field
from search_app.models import SearchRequest
from search_app.query.contract import facet
from search_app.query.parser import Group, Node, ParsedQuery
from search_app.query.plan import searched_cities

if TYPE_CHECKING:
    from search_app.backends.typesense.backend import TypesenseBackend

MAX_ALTERNATIVES = 3  # 7 counts (and 21 facet counts) for three; beyond, the words are searched together
DEPTH = 250  # hits fetched per alternative at most (Typesense's largest page): merged pages reach this far


def branches(tree: Group) -> list[ParsedQuery] | None:
    """The alternatives of a query with OR between words, or None (no such OR, or too many alternatives)."""
    parts = _expand(tree)
    if not 2 <= len(parts) <= MAX_ALTERNATIVES:
        return None
    return [ParsedQuery(text="", tree=Group("and", part)) for part in parts]


def _expand(node: Node) -> list[list[Node]]:
    if isinstance(node, Group) and node.op == "or" and not is_filter_or(node):
        return [part for child in node.children for part in _expand(child)][: MAX_ALTERNATIVES + 1]
    if isinstance(node, Group) and node.op == "and":
        out: list[list[Node]] = [[]]
        for child in node.children:
            out = [a + b for a in out for b in _expand(child)][: MAX_ALTERNATIVES + 1]
        return out
    return [[node]]


def search_any(backend: TypesenseBackend, req: SearchRequest, parsed: ParsedQuery, parts: list[ParsedQuery],
               sources: list[str]) -> dict[str, Any]:
    """The answer to a query of alternatives (backend._search_all's keys): merged hits, exact total and facets."""
    selection = Selection(req)
    by_city = searched_cities(parsed) if req.sort == "relevance" else None
    plans = [Plan(part, sources) for part in parts]
    live = [part for part, plan in zip(parts, plans) if not plan.impossible]
    # The alternatives together, for every non-empty set of them: the counts that add up to the union's.
    joint = {combo: Plan(ParsedQuery(parsed.text, Group("and", [c for i in combo for c in live[i].tree.children])), sources)
             for size in range(1, len(live) + 1) for combo in combinations(range(len(live)), size)}
    notices = [n for plan in plans for n in plan.notices]
    whole = joint.get(tuple(range(len(live))))
    if whole is None:
        return {"total": 0, "sort": req.sort, "by_city": bool(by_city), "results": [], "facets": _facets(req, selection, {}),
                "suggested": None, "relaxed": False, "timed_out": False, "notices": notices}
    # As deep as a single search's scoring window at least (rerank.WINDOW): each alternative's best by
    # BM25F lie among its heaviest candidates, not among its first page.
    depth = min(DEPTH, max(WINDOW, req.page * req.per_page))
    if req.page * req.per_page > DEPTH:
        notices.append(f"On Typesense, a search with OR shows its first {DEPTH} results; narrow it to see the rest.")
    singles = [joint[(i,)] for i in range(len(live))]
    # Without typo tolerance: a corrected word would make the sets the counts add up differ from the hits'.
    exact = {"num_typos": 0}
    searches = [{**page_search(plan, selection, req.sort, by_city, relax=False), **exact, "page": 1, "per_page": depth,
                 "search_cutoff_ms": int(backend.time_limit * 1000)} for plan in singles]
    counted = [(combo, plan) for combo, plan in joint.items() if not plan.impossible]
    for _combo, plan in counted:
        searches.append({**plan.params(False), **exact, "filter_by": selection.filter_by(plan), "per_page": 0})
        if req.facets:
            searches += [{**plan.params(False), **exact, "filter_by": selection.filter_by(plan, skip=name), "facet_by": field,
                          "max_facet_values": 1000, "per_page": 0} for name, field in FACET_FIELDS.items()]
    ranked = req.sort == "relevance" and not by_city
    if ranked:
        searches += count_searches(whole.scoring)
    answers = backend._multi(searches)
    pages, rest = answers[: len(singles)], answers[len(singles):]
    total = 0
    counts: dict[str, Counter[str]] = {name: Counter() for name in FACET_FIELDS}
    step = 4 if req.facets else 1
    for n, (combo, _plan) in enumerate(counted):
        sign = 1 if len(combo) % 2 else -1
        total += sign * int(rest[n * step]["found"])
        for name, answer in zip(FACET_FIELDS, rest[n * step + 1: n * step + step]):
            for f in answer.get("facet_counts", []):
                for c in f["counts"]:
                    counts[name][str(c["value"])] += sign * int(c["count"])
    merged = list({hit["document"]["id"]: hit for answer in pages for hit in answer.get("hits", [])}.values())
    if ranked:
        merged = reranked(merged, whole.scoring, None, rest[len(counted) * step:], tuple(whole.named_cities), typos=False)
    else:
        merged.sort(key=_order(req.sort, by_city))
    start = (req.page - 1) * req.per_page
    hits = merged[start:start + req.per_page]
    return {"total": total, "sort": req.sort, "by_city": bool(by_city),
            "results": shaped_results(hits, whole, req.highlight, by_city), "facets": _facets(req, selection, counts),
            "suggested": None, "relaxed": False,
            "timed_out": any(answer.get("search_cutoff") for answer in pages), "notices": notices}


def _facets(req: SearchRequest, selection: Selection, counts: dict[str, Counter[str]]) -> dict[str, Any]:
    if not req.facets:
        return {}
    selected = selection.selected()
    return {name: facet(name, {v: n for v, n in counts.get(name, Counter()).items() if n > 0}, selected[name])
            for name in FACET_FIELDS}


def _order(sort: str, by_city: tuple[str, ...] | None) -> Any:
    """The sort key of merged hits, as each alternative's sort_by orders them (plan.sort_by)."""
    def key(hit: dict[str, Any]) -> tuple[int, ...]:
        doc = hit["document"]
        if by_city:
            return (-sum(int(doc.get(centrality_field(c)) or 0) for c in by_city), int(doc.get("sort_newest") or 0))
        field = "sort_oldest" if sort == "oldest" else "sort_newest"
        return (int(doc.get(field) or 0), int(doc.get("seq") or 0))
    return key
