"""What only the Typesense backend does: its three-node cluster, typo tolerance, and a clear error when the
cluster cannot be reached. Every other search behaviour is specified once for both engines, in
tests/backends/test_behaviour.py (differences asserted there, never skipped).
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import drop_alias

from search_app.errors import SearchAppError
from search_app.models import SearchRequest


def run(backend: Any, q: str = "", **kw: Any) -> dict[str, Any]:
    return backend.search(SearchRequest(q=q, **kw))


def test_cluster_has_one_leader_and_two_followers(ts_cluster: Any, ts_backend: Any) -> None:
    states = sorted(ts_cluster.state(i) for i in range(3))
    assert states == [1, 4, 4]
    assert ts_cluster.version() == "0.24.1"
    assert run(ts_backend, "airport")["generation"].startswith("articles_")  # the collection behind the alias
    health = ts_backend.health()
    assert health["ok"] and health["nodes"] == {"healthy": 3, "total": 3}


@pytest.mark.parametrize(
    ("q", "suggestion"),
    [
        ("logistcs", {"query": "logistics", "total": 3}),
        ("Taiyaun", {"query": "Taiyuan", "total": 4}),
        ("kyrgystan", {"query": "kyrgyzstan", "total": 1}),
        ("logistics", None),
        ("taiyuan", None),
        ("nonexistentword", None),
    ],
)
def test_typo_tolerance_and_suggestion(ts_backend: Any, q: str, suggestion: dict[str, Any] | None) -> None:
    """Difference: Typesense answers the misspelling with the corrected results and names the correction."""
    response = run(ts_backend, q)
    assert response["suggestion"] == suggestion
    if suggestion:
        assert response["total"] == suggestion["total"]


def test_unreachable_cluster_is_a_clear_error() -> None:
    from bench.typesense_cluster import free_ports
    from search_app.backends.typesense.backend import TypesenseBackend, TypesenseUnavailable

    backend = TypesenseBackend([f"http://127.0.0.1:{p}" for p in free_ports(2)], "k", num_retries=1,
                               retry_interval_seconds=0.05, connection_timeout_seconds=0.5)
    with backend, pytest.raises(TypesenseUnavailable) as info:
        run(backend, "airport")
    assert isinstance(info.value, SearchAppError) and "cannot be reached" in info.value.message
    assert "127.0.0.1" not in info.value.message and "127.0.0.1" in (info.value.detail or "")  # the CLI shows the detail
    assert backend.health()["ok"] is False


PUNCTUATED = {
    "a.txt": "Coal–fired plants close\nSource: Shanxi Daily\nTime: 2021-01-01\nThe province’s coal–fired plants and a U.S. buyer.\n",
    "b.txt": "Wheat fields\nSource: Shanxi Daily\nTime: 2021-01-02\nA wheat-producing county and the city's steel/iron works.\n",
    "c.txt": "Quiet day\nSource: Shanxi Daily\nTime: 2021-01-03\nNothing joined by punctuation here, only plain words.\n",
}


def test_words_joined_by_punctuation_are_found_as_on_whoosh(ts_cluster: Any, tmp_path: Any) -> None:
    """Hyphens, slashes, apostrophes (straight and curly), en dashes and dotted abbreviations part words as on Whoosh."""
    from search_app.backends.typesense.backend import TypesenseBackend
    from search_app.backends.whoosh.backend import WhooshBackend
    from search_app.backends.whoosh.indexer import build

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name, text in PUNCTUATED.items():
        (seeds / name).write_text(text, encoding="utf-8")
    build(seeds, tmp_path / "index")
    typesense = TypesenseBackend(ts_cluster.client_nodes(), ts_cluster.api_key, alias="punctuation")
    whoosh = WhooshBackend(tmp_path / "index")
    try:
        typesense.build(seeds)
        found = {}
        for q in ["coal", "fired", "province", "wheat", "producing", "steel", "iron", "city", "U.S.", '"coal fired"']:
            answers = [sorted(r["id"] for r in engine.search(SearchRequest(q=q, suggest=False))["results"])
                       for engine in (whoosh, typesense)]
            found[q] = answers[1] if answers[0] == answers[1] else answers
        assert found == {"coal": ["a"], "fired": ["a"], "province": ["a"], "wheat": ["b"], "producing": ["b"], "steel": ["b"],
                         "iron": ["b"], "city": ["b"], "U.S.": ["a"], '"coal fired"': ["a"]}
        shown = typesense.get_article("a")
        assert (shown["title"], "province’s" in shown["body"]) == ("Coal–fired plants close", True)  # as written
    finally:
        drop_alias(typesense, whoosh)


def test_a_second_writer_is_refused_at_once_and_a_dead_writers_lock_expires(ts_cluster: Any, seeds_dir: Any) -> None:
    import time

    from typesense import exceptions as ts_errors

    from search_app.backends.typesense.backend import TypesenseBackend
    from search_app.backends.typesense.writelock import WriterLock, writer_lock
    from search_app.errors import BuildLocked

    first = TypesenseBackend(ts_cluster.client_nodes(), ts_cluster.api_key, alias="locking")
    second = TypesenseBackend(ts_cluster.client_nodes(), ts_cluster.api_key, alias="locking")
    try:
        with writer_lock(first, "build"):
            for write in (second.build, second.update):
                started = time.monotonic()
                with pytest.raises(BuildLocked, match=r"Another build by .* pid \d+ \(\w+\) is writing to the search cluster"):
                    write(seeds_dir)
                assert time.monotonic() - started < 2  # refused at once, not after a wait
        assert second.build(seeds_dir).total == 5  # released: the next writer goes ahead
        dead = WriterLock(first, "update")
        dead.acquire()  # a writer that then died: its lease ran out without a renewal
        first._collection(dead.name).documents.upsert({"id": "lock", "holder": dead.holder, "expires": int(time.time()) - 1})
        lock_doc = first._collection(dead.name).documents["lock"]

        def expires() -> float:
            try:
                return float(lock_doc.retrieve()["expires"])
            except ts_errors.ObjectNotFound:  # a follower that has not applied the upsert yet
                return float("inf")

        deadline = time.monotonic() + 10
        while any(expires() > time.time() for _ in range(6)):  # every node has the expiry
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert second.update(seeds_dir).total == 5
        with writer_lock(first, "build"):  # the update released the lock it took over: the next writer gets it
            pass
    finally:
        drop_alias(second, first)


def test_the_serving_key_searches_but_cannot_write_or_delete(ts_cluster: Any, seeds_dir: Any) -> None:
    import time

    from search_app.backends.typesense.backend import TypesenseBackend
    from search_app.backends.typesense.client import TypesenseKeyRefused, TypesenseUnavailable
    from search_app.ingest.records import ingest

    nodes = ts_cluster.client_nodes()
    writer = TypesenseBackend(nodes, ts_cluster.api_key, alias="keyed", search_key="keyed-serving-key")
    server = TypesenseBackend(nodes, "keyed-serving-key", alias="keyed")
    try:
        writer.build(seeds_dir)
        writer.build(seeds_dir)  # the key exists already: a second build keeps it
        assert sorted(r["id"] for r in run(server, "airport")["results"]) == ["003_b8c9e442042d1bdf", "004_860ced496ef7d71d"]
        assert server.get_article("003_b8c9e442042d1bdf")["id"] == "003_b8c9e442042d1bdf"
        assert (server.health()["status"], server.stats()["articles"]) == ("ok", 5)
        name = server.collection_name()
        article = ingest(seeds_dir).articles[0]
        for write in (lambda: server.index_batch([article], name), lambda: server.delete([article.id], name),
                      lambda: server._drop(name), lambda: server.create_collection("keyed_intruder"),
                      lambda: server.build(seeds_dir)):
            started = time.monotonic()
            with pytest.raises(TypesenseKeyRefused):
                write()
            assert time.monotonic() - started < 5  # refused, not retried as if the cluster were down
        other = TypesenseBackend(nodes, "keyed-serving-key")  # the session's "articles" alias: not this key's
        with other, pytest.raises(TypesenseUnavailable):  # to this key, it is not there
            run(other, "airport")
        assert (writer.stats()["articles"], writer.collection_name()) == (5, name)  # nothing changed
    finally:
        drop_alias(writer, server)


def generated_folder(seeds_dir: Any, target: Any, count: int = 300) -> None:
    """`count` articles in the seeds' text format, each a fixed-random mix of the seeds' sentences."""
    import random
    import re

    from search_app.ingest.records import ingest

    sentences = [s.strip() for a in ingest(seeds_dir).articles for s in re.split(r"(?<=[.!?])\s+", a.body) if len(s) > 30]
    rng = random.Random(2026)
    target.mkdir()
    for n in range(count):
        words = rng.choice(sentences).split()
        title = " ".join(words[:rng.randint(4, 8)]).strip(",.;:")
        body = " ".join(rng.sample(sentences, rng.randint(2, 9)))
        day = 1 + n % 28
        (target / f"g{n:04d}.txt").write_text(f"{title}\nSource: Shanxi Daily\nTime: 2022-03-{day:02d}\n{body}\n", "utf-8")


STEMMED_AND_OR = ["industries", "transfers", "airports", "trains", "launched", "economies", "logistics OR kyrgyzstan",
                  "(airport OR railway) taiyuan", "kyrgyzstan OR optical OR transfer", "industrial -transfers"]


def test_stemmed_and_or_queries_find_what_whoosh_finds_on_a_generated_folder(ts_cluster: Any, seeds_dir: Any,
                                                                               tmp_path: Any) -> None:
    """Same articles, same totals and facets, and top 10 overlapping by 80% at least (90% on average)."""
    from search_app.backends.typesense.backend import TypesenseBackend
    from search_app.backends.whoosh.backend import WhooshBackend
    from search_app.backends.whoosh.indexer import build

    folder = tmp_path / "generated"
    generated_folder(seeds_dir, folder)
    build(folder, tmp_path / "index")
    typesense = TypesenseBackend(ts_cluster.client_nodes(), ts_cluster.api_key, alias="generated")
    whoosh = WhooshBackend(tmp_path / "index")
    try:
        assert typesense.build(folder).total == 300
        overlaps = {}
        for q in STEMMED_AND_OR:
            every = [engine.search(SearchRequest(q=q, per_page=100, suggest=False)) for engine in (whoosh, typesense)]
            assert every[0]["total"] > 0, q
            # Whoosh lists the articles with some of the words after those with all (README, Backends): compare the latter.
            strict = [r["some_words_from"] if r["some_words_from"] is not None else r["total"] for r in every]
            found = [(n, r["facets"], {x["id"] for x in r["results"][:n]} if n <= 100 else None) for n, r in zip(strict, every)]
            assert found[1] == found[0], q  # the same articles when all are on the page
            tops = [[x["id"] for x in engine.search(SearchRequest(q=q, suggest=False))["results"][:n]]
                    for n, engine in zip(strict, (whoosh, typesense))]
            overlaps[q] = len(set(tops[0]) & set(tops[1])) / max(len(tops[0]), len(tops[1]))
        assert min(overlaps.values()) >= 0.8 and sum(overlaps.values()) / len(overlaps) >= 0.9, overlaps
    finally:
        drop_alias(typesense, whoosh)


def test_a_snapshot_reads_the_collection_it_began_on(ts_cluster: Any, seeds_copy: Any) -> None:
    """An export's pages (SearchBackend.snapshot): a rebuild's switch is not seen, and the dropped collection says so."""
    from search_app.backends.typesense.backend import TypesenseBackend

    typesense = TypesenseBackend(ts_cluster.client_nodes(), ts_cluster.api_key, alias="snapshot")
    try:
        typesense.build(seeds_copy)
        with typesense.snapshot() as held:
            began = held.collection_name()
            assert run(held, "airport")["total"] == 2
            (seeds_copy / "extra.txt").write_text("Airport news\n\nUpdated: 2024-01-02\n\nA new airport opens.\n", "utf-8")
            typesense.build(seeds_copy)  # a new collection behind the alias; the old one is dropped
            assert (run(typesense, "airport")["total"], typesense.collection_name() != began) == (3, True)
            with pytest.raises(SearchAppError) as dropped:
                run(held, "airport")
            assert dropped.value.message == "The index was rebuilt while this was being read: run it again."
        assert typesense.pinned is None and run(typesense, "airport")["generation"] != began
    finally:
        drop_alias(typesense)


def test_articles_in_subfolders_are_read_and_deleted(ts_cluster: Any, seeds_copy: Any) -> None:
    """An id holds its subfolder ('news/2021/a'): its document's URL must escape the '/'."""
    from search_app.backends.typesense.backend import TypesenseBackend

    (seeds_copy / "news" / "2021").mkdir(parents=True)
    (seeds_copy / "news" / "2021" / "tram.txt").write_text(
        "Taiyuan opens a tram line\n\nUpdated: 2021-05-06\n\nThe first tram line of Taiyuan opened today.\n", "utf-8")
    typesense = TypesenseBackend(ts_cluster.client_nodes(), ts_cluster.api_key, alias="subfolders")
    try:
        typesense.build(seeds_copy)
        article = typesense.get_article("news/2021/tram", "tram")
        assert (article["title"], article["date"]) == ("Taiyuan opens a tram line", "2021-05-06")
        (seeds_copy / "news" / "2021" / "tram.txt").unlink()
        report = typesense.update(seeds_copy)
        assert (report.removed, report.total, run(typesense, "tram")["total"]) == (1, 5, 0)
        with pytest.raises(SearchAppError) as missing:
            typesense.get_article("news/2021/tram")
        assert missing.value.status == 404
    finally:
        drop_alias(typesense)
