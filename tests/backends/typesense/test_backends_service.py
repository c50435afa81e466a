"""configuration, the CLI and the web app on either backend; /healthz when the cluster is gone."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from search_app.cli import main
from search_app.config import Settings, settings_from_env
from search_app.web.app import create_app

AIRPORT = ["003_b8c9e442042d1bdf", "004_860ced496ef7d71d"]


def test_settings_from_env_reads_the_backend_variables() -> None:
    settings = settings_from_env({"SEARCH_APP_BACKEND": "Typesense",
                                  "SEARCH_APP_TYPESENSE_NODES": "http://a:8108, http://b:8108,",
                                  "SEARCH_APP_TYPESENSE_API_KEY": "k", "SEARCH_APP_TYPESENSE_ALIAS": "news"})
    assert (settings.backend, settings.typesense_nodes, settings.typesense_api_key, settings.typesense_alias) == (
        "typesense", ("http://a:8108", "http://b:8108"), "k", "news")
    assert settings_from_env({}).backend == "whoosh"
    assert settings.with_overrides(typesense_nodes="http://c:1").typesense_nodes == ("http://c:1",)


def test_typesense_without_nodes_is_a_clear_cli_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["--backend", "typesense", "search", "coal"], env={"SEARCH_APP_TYPESENSE_NODES": ""})
    assert result.exit_code == 1 and "No Typesense nodes configured" in result.output


def _cli_env(backend: str, ts_cluster: Any | None, tmp_path: Path) -> dict[str, str]:
    """Environment for one backend; Typesense gets its own alias so the shared one is left alone."""
    env = {"SEARCH_APP_BACKEND": backend, "SEARCH_APP_INDEX": str(tmp_path / "index")}
    if ts_cluster is not None:
        env.update(SEARCH_APP_TYPESENSE_NODES=",".join(ts_cluster.urls()), SEARCH_APP_TYPESENSE_API_KEY=ts_cluster.api_key,
                   SEARCH_APP_TYPESENSE_ALIAS=f"cli_{tmp_path.name[-12:].replace('-', '_')}")
    return env


@pytest.mark.parametrize("backend_name", ["whoosh", "typesense"])
def test_cli_build_update_stats_search(request: pytest.FixtureRequest, runner: CliRunner, seeds_copy: Path,
                                       tmp_path: Path, backend_name: str) -> None:
    cluster = request.getfixturevalue("ts_cluster") if backend_name == "typesense" else None
    env = _cli_env(backend_name, cluster, tmp_path)

    def cli(*args: str) -> Any:
        result = runner.invoke(main, ["--seeds", str(seeds_copy), *args], env=env)
        assert result.exit_code == 0, result.output
        return json.loads(result.output) if "--json" in args else result.output

    built = cli("build", "--json")
    assert (built["action"], built["total"], built["cities"]["Taiyuan"]) == ("build", 5, 4)
    assert sorted(r["id"] for r in cli("search", "airport", "--json")["results"]) == AIRPORT
    # One changed file, one new, one deleted: the update applies exactly those.
    changed = seeds_copy / "003_b8c9e442042d1bdf.txt"
    changed.write_text(changed.read_text("utf-8") + "\n\nA zeppelin was seen over the airport.\n", "utf-8")
    (seeds_copy / "900_new.txt").write_text("Zeppelin lands in Datong\n\nUpdated: 2023-05-06\n\nA zeppelin landed.\n", "utf-8")
    next(seeds_copy.glob("000_*")).unlink()
    updated = cli("update", "--json")
    assert (updated["added"], updated["changed"], updated["removed"], updated["unchanged"], updated["total"]) == (1, 1, 1, 3, 5)
    assert sorted(r["id"] for r in cli("search", "zeppelin", "--json")["results"]) == ["003_b8c9e442042d1bdf", "900_new"]
    again = cli("update", "--json")
    assert (again["added"], again["changed"], again["removed"], again["unchanged"]) == (0, 0, 0, 5)
    stats = cli("stats", "--json")
    assert (stats["articles"], stats["date_max"]) == (5, "2023-05-06")
    assert "Built:" in cli("stats") and "result(s)" in cli("search", "zeppelin")


def _typesense_app(nodes: list[str], api_key: str) -> Any:
    settings = Settings(backend="typesense", typesense_nodes=tuple(nodes), typesense_api_key=api_key)
    return create_app({"SETTINGS": settings, "TESTING": True})


def test_web_app_on_typesense(ts_cluster: Any, ts_backend: Any) -> None:
    app = _typesense_app(ts_cluster.urls(), ts_cluster.api_key)
    client = app.test_client()
    try:
        health = client.get("/healthz")
        assert health.status_code == 200
        data = health.get_json()
        assert (data["status"], data["backend"], data["articles"]) == ("ok", "typesense", 5)
        assert data["nodes"] == {"healthy": 3, "total": 3}  # how many, not where
        found = client.get("/api/search?q=airport&city=Taiyuan").get_json()
        assert sorted(r["id"] for r in found["results"]) == AIRPORT and found["facets"]["city"][0]["value"] == "Taiyuan"
        assert client.get("/api/suggest?q=airp").get_json()["words"] == ["airport", "airports"]
        page = client.get("/?q=airport")
        assert page.status_code == 200 and "<mark>airport</mark>" in page.get_data(as_text=True).lower()
        assert client.get(f"/article/{AIRPORT[0]}?q=airport").status_code == 200
        assert client.get("/api/articles/nope").status_code == 404
        assert client.get("/feed.atom?q=airport").status_code == 200
    finally:
        app.extensions["search_app"].close()


def test_healthz_is_503_when_the_cluster_is_unreachable(caplog: pytest.LogCaptureFixture) -> None:
    pytest.importorskip("typesense")  # the optional extra; CI installs it
    from bench.typesense_cluster import free_ports

    ports = free_ports(3)
    app = _typesense_app([f"http://127.0.0.1:{p}" for p in ports], "k")
    app.extensions["search_app"].client.config.num_retries = 0  # answer at once: nothing listens there
    client = app.test_client()
    try:
        with caplog.at_level(logging.WARNING):
            response = client.get("/healthz")
            search = client.get("/api/search?q=coal")
        # The public learns that the cluster is down and how much of it, never where it runs.
        assert (response.status_code, response.get_json()["error"]["message"]) == (
            503, "The search cluster is unavailable: only 0 of 3 nodes are healthy.")
        assert (search.status_code, search.get_json()["error"]["message"]) == (
            503, "The search cluster cannot be reached right now: please try again in a moment.")
        assert all(str(p) not in response.get_data(as_text=True) + search.get_data(as_text=True) for p in ports)
        # The operator's log has the addresses.
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert f"Typesense cluster at http://127.0.0.1:{ports[0]}" in logged and "0 of 3 nodes are healthy" in logged
        assert "cannot be reached or has no leader" in logged
    finally:
        app.extensions["search_app"].close()


def test_whoosh_healthz_names_its_backend(client: Any) -> None:
    assert client.get("/healthz").get_json()["backend"] == "whoosh"



def test_the_server_searches_with_the_search_key_and_writers_with_the_admin_key() -> None:
    pytest.importorskip("typesense")
    from search_app.backends import open_backend

    settings = Settings(backend="typesense", typesense_nodes=("http://127.0.0.1:1",), typesense_api_key="admin",
                        typesense_search_key="search")
    server, writer = open_backend(settings, serving=True), open_backend(settings)
    try:
        assert (server.api_key, server.search_key) == ("search", "")  # type: ignore[attr-defined]
        assert (writer.api_key, writer.search_key) == ("admin", "search")  # type: ignore[attr-defined]
    finally:
        server.close()
        writer.close()
