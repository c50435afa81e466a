"""Ranking: BM25F from posting lists equals the formula computed from the text; the ranking decisions hold."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from whoosh import query as wq
from whoosh.util.numeric import byte_to_length, length_to_byte

from search_app.backends.whoosh.compile import Compiler
from search_app.backends.whoosh.indexer import build
from search_app.backends.whoosh.ranking import scorable_terms
from search_app.backends.whoosh.reader import IndexHandle
from search_app.backends.whoosh.search import search
from search_app.models import SearchRequest
from search_app.query.analysis import analyse
from search_app.query.bm25 import FIELD_B, FIELD_WEIGHT, K1
from search_app.query.parser import parse

CITIES = ["Taiyuan", "Datong", "Changzhi", "Jincheng", "Linfen", "Yuncheng", "Jinzhong", "Yangquan"]
WORDS = ["coal", "steel", "freight", "rail", "logistics", "airport", "export", "prices", "output", "zone"]


def index_of(tmp_path_factory: pytest.TempPathFactory, files: dict[str, str], procs: int = 1) -> IndexHandle:
    """A handle on an index built from {name: text} article files."""
    seeds = tmp_path_factory.mktemp("seeds")
    for name, text in files.items():
        (seeds / name).write_text(text, "utf-8")
    index_dir = tmp_path_factory.mktemp("index")
    build(seeds, index_dir, procs=procs)
    return IndexHandle(index_dir)


def ids(handle: IndexHandle, q: str, **kw: Any) -> list[str]:
    """Result ids of a query, best first."""
    return [r["id"] for r in search(handle, SearchRequest(q=q, per_page=100, **kw))["results"]]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexHandle]:
    """300 generated articles of varied lengths and word counts, built with two workers (two segments)."""
    files = {}
    for n in range(300):
        words = " ".join(WORDS[(n * k) % len(WORDS)] for k in range(1, 2 + n % 9))
        city = CITIES[n % len(CITIES)]
        title = f"{WORDS[n % len(WORDS)].title()} report {n} from {city}"
        files[f"a{n:03d}.txt"] = (f"{title}\n\nUpdated: 2021-{n % 12 + 1:02d}-03\n\n{city} officials said {words}.\n\n"
                                  + "Filler sentence about the province. " * (n % 7) + "\n")
    handle = index_of(tmp_path_factory, files, procs=2)
    yield handle
    handle.close()


def expected_bm25f(handle: IndexHandle, q: str) -> dict[str, float]:
    """BM25F of every matching article, computed from its stored title and body text (not from postings).

    Every count (term counts, field lengths, document frequencies, averages) is taken from the text;
    each length is then rounded as the index keeps it (Whoosh's one-byte approximation). A word's
    document frequency is its largest in any of the fields searched.
    """
    gen = handle.generation()
    with gen.searcher() as searcher:
        compiled = Compiler(gen.lexicon, gen.sources).compile(parse(q).tree)
        assert compiled is not None and all(not gates for _t, gates in scorable_terms(compiled))  # no AND under an OR
        # Every article listed: those with every word, then those with some (the relaxed compile's matches).
        listed = Compiler(gen.lexicon, gen.sources).compile(parse(q).tree, relaxed=True)
        assert listed is not None
        matching = sorted(gen.docs(searcher, listed).nonzero()[0].tolist())
        reader = searcher.reader()
        docs = {d: searcher.stored_fields(d) for d in range(reader.doc_count_all())}
        counts = {d: {f: Counter(analyse(fields.get(f, ""))) for f in FIELD_WEIGHT} for d, fields in docs.items()}
        lengths = {d: {f: byte_to_length(length_to_byte(c[f].total())) if c[f].total() else 0 for f in FIELD_WEIGHT}
                   for d, c in counts.items()}
        average = {f: sum(c[f].total() for c in counts.values()) / len(docs) for f in FIELD_WEIGHT}
        asked = Counter((t.text, t.fieldname) for t, _gates in scorable_terms(compiled) if t.fieldname in FIELD_WEIGHT)
        words = {text: max(n for (w, _f), n in asked.items() if w == text) for text, _f in asked}
        fields = {text: [f for w, f in asked if w == text] for text in words}
        out = {}
        for d in matching:
            score = 0.0
            for word, times in words.items():
                df = max(sum(1 for c in counts.values() if c[f][word]) for f in fields[word])
                tf = sum(FIELD_WEIGHT[f] * counts[d][f][word] / (1 - FIELD_B[f] + FIELD_B[f] * lengths[d][f] / average[f])
                         for f in fields[word])
                score += times * math.log(1 + (len(docs) - df + 0.5) / (df + 0.5)) * tf * (K1 + 1) / (tf + K1)
            out[docs[d]["id"]] = round(score, 4)
        return out


@pytest.mark.parametrize("q", ["coal", "coal export", "freight OR airport", "prices -coal", "zone NOT rail",
                               "steel OR rail OR prices", "(steel OR rail) prices", "title:report coal", "coal coal export"])
def test_fast_ranking_equals_bm25f_from_the_text(generated: IndexHandle, q: str) -> None:
    expected = expected_bm25f(generated, q)
    got = {r["id"]: r["score"] for page in (1, 2, 3) for r in search(generated, SearchRequest(q=q, per_page=100, page=page))["results"]}
    assert got == pytest.approx(expected, abs=2e-4)


@pytest.mark.parametrize("q", ["city:taiyuan coal", "Datong", "log*", '"officials said"', '"report 1"',
                               '"coal report" OR zone', '"said coal" city:linfen', '"filler sentence" output'])
def test_other_queries_take_the_fast_path(generated: IndexHandle, q: str) -> None:
    gen = generated.generation()
    compiled = Compiler(gen.lexicon, gen.sources).compile(parse(q).tree)
    assert compiled is not None and scorable_terms(compiled)
    response = search(generated, SearchRequest(q=q, per_page=100))
    scores = [r["score"] for r in response["results"]]
    assert scores == sorted(scores, reverse=True) and response["total"] >= len(scores) > 0


def test_a_term_under_an_and_within_an_or_counts_only_where_the_and_matches() -> None:
    """Summing every present term would over-score "steel OR (rail prices)" for a document without prices."""
    and_part = wq.And([wq.Term("body", "rail"), wq.Term("body", "price")])
    nested = wq.Or([wq.Term("body", "steel"), and_part])
    assert scorable_terms(nested) == [(wq.Term("body", "steel"), ()), (wq.Term("body", "rail"), (and_part,)),
                                      (wq.Term("body", "price"), (and_part,))]
    flat = wq.And([wq.Or([wq.Term("body", "steel"), wq.Term("title", "steel")]), wq.Term("body", "rail")])
    assert [(t.text, gates) for t, gates in scorable_terms(flat)] == [("steel", ()), ("steel", ()), ("rail", ())]
    excluded = wq.AndNot(wq.Term("body", "rail"), wq.Term("body", "steel"))
    assert scorable_terms(wq.Or([excluded, wq.Term("body", "zone")]))[0] == (wq.Term("body", "rail"), (excluded,))


def test_and_within_or_scores_the_and_only_where_it_matches(tmp_path_factory: pytest.TempPathFactory) -> None:
    files = {"mill.txt": "Plant news\n\nSteel mill.\n", "rail.txt": "Plant news\n\nSteel rail.\n",
             "both.txt": "Plant news\n\nRail prices.\n", "other.txt": "Plant news\n\nRail yard.\n"}
    handle = index_of(tmp_path_factory, files)
    try:
        results = search(handle, SearchRequest(q="steel OR (rail prices)", per_page=10))["results"]
        scores = {r["id"]: r["score"] for r in results}
        assert sorted(scores) == ["both", "mill", "rail"]  # "Rail yard" has neither steel nor prices
        assert scores["rail"] == pytest.approx(scores["mill"])  # its "rail" is not part of a match
        assert scores["both"] > scores["mill"]  # two words matched, each as rare as steel
    finally:
        handle.close()


# ---------------------------------------------------------------- the ranking decisions, on small archives

FILLER = "The provincial government published the figures on Monday. " * 3


@pytest.fixture(scope="module")
def decisions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexHandle]:
    """A few articles built to separate one ranking decision each."""
    files = {
        # Two articles alike but for which of two words they repeat.
        "alpha.txt": f"Mining report one\n\n{FILLER}Smelter smelter smelter and a colliery nearby.\n",
        "beta.txt": f"Mining report two\n\n{FILLER}Colliery colliery colliery and a smelter nearby.\n",
        # A table headed with the word against an article about it.
        "table.txt": "Datong Coal Co 4th Qtr Net\n\nShr 12 cts vs 10 cts\nNet 4.1 mln vs 3.2 mln\n",
        "feature.txt": ("Jincheng's coal industry looks beyond the mines\n\n"
                        + "Coal built Jincheng, and coal still pays most of its wages. " * 2 + FILLER * 4
                        + "The city's coal mines now feed power plants and chemical works. " + FILLER * 4
                        + "Officials expect coal output to fall as the city diversifies.\n"),
        # Request words in an article that is not about the topic of the question.
        "about-articles.txt": ("Articles and papers describing interests\n\nWhat articles, papers and documents would "
                               "you describe as interesting? Find articles describing what interested readers.\n"),
        "safety.txt": ("Mine safety inspections widen in Shanxi\n\n" + FILLER
                       + "Inspectors checked safety at every coal mine in Shanxi after the accident.\n"),
        "inspections.txt": "Food inspections in Taiyuan\n\n" + FILLER + "Inspectors visited markets.\n",
        # Keyword queries: two words that only one article holds together.
        "new-york.txt": "Trade fair in New York\n\n" + FILLER + "Shanxi firms travelled to New York for the fair.\n",
        "new-plant.txt": "A new plant in Datong\n\n" + FILLER + "The plant is new.\n",
        # A headline alone is an article too.
        "brief.txt": "Smelter strike ends in Yangquan\n",
    }
    handle = index_of(tmp_path_factory, files)
    yield handle
    handle.close()


def test_a_repeated_query_word_counts_each_time(decisions: IndexHandle) -> None:
    # Alike but for which word they repeat: the word typed twice decides.
    assert ids(decisions, "smelter smelter colliery")[:2] == ["alpha", "beta"]
    assert ids(decisions, "smelter colliery colliery")[:2] == ["beta", "alpha"]


def test_an_article_about_the_word_beats_a_table_headed_with_it(decisions: IndexHandle) -> None:
    assert ids(decisions, "coal")[:2] == ["feature", "table"]


def test_request_words_do_not_change_a_description(decisions: IndexHandle) -> None:
    question = ids(decisions, "What articles describe safety inspections of coal mines in Shanxi? I am interested in papers")
    keywords = ids(decisions, "safety inspections coal mines Shanxi")
    assert question == keywords and question[0] == "safety" and "about-articles" not in question


def test_a_description_finds_articles_with_some_of_its_words(decisions: IndexHandle) -> None:
    response = search(decisions, SearchRequest(q="safety inspections coal mines Shanxi"))
    assert (response["relaxed"], [r["id"] for r in response["results"]][:2]) == (True, ["safety", "feature"])
    assert "inspections" in [r["id"] for r in response["results"]]  # one word of five is still an answer


@pytest.mark.parametrize(("q", "every", "some"), [
    ("new york", ["new-york"], ["new-plant"]), ("york new", ["new-york"], ["new-plant"]),
    ("smelter colliery", ["alpha", "beta"], ["brief"]), ('"new york"', ["new-york"], [])])
def test_a_short_query_lists_the_articles_with_every_word_first(decisions: IndexHandle, q: str, every: list[str],
                                                                 some: list[str]) -> None:
    """Keywords keep their promise as an order, not a filter: every word first, then some (a phrase stays exact)."""
    response = search(decisions, SearchRequest(q=q))
    listed = [r["id"] for r in response["results"]]
    assert (sorted(listed[:len(every)]), sorted(listed[len(every):])) == (every, some)
    assert (response["some_words_from"], response["relaxed"], response["total"]) == (
        len(every) if some else None, False, len(every) + len(some))


def test_a_headline_alone_is_found(decisions: IndexHandle) -> None:
    assert ids(decisions, "Yangquan strike") == ["brief"]
    assert ids(decisions, "smelter")[-1] == "brief" or "brief" in ids(decisions, "smelter")


def test_equal_scores_list_the_newest_first(tmp_path_factory: pytest.TempPathFactory) -> None:
    files = {f"d{n}.txt": f"Report {n}\n\nUpdated: 2021-0{n}-01\n\nNews from Pingyao county.\n" for n in (3, 1, 4, 2)}
    handle = index_of(tmp_path_factory, files)
    try:
        response = search(handle, SearchRequest(q="city:Jinzhong"))
        assert [r["id"] for r in response["results"]] == ["d4", "d3", "d2", "d1"]
        assert len({r["score"] for r in response["results"]}) == 1
    finally:
        handle.close()
