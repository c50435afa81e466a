"""Hostile paths: article ids that try to leave the index (../, encoded slashes, NUL bytes) reach
no file and answer 404, in the Flask app and through the real server (raw request lines)."""

from __future__ import annotations

import http.client
import json
import shutil
from typing import Any

import pytest
from helpers import article_text, copy_seeds, running_server

from search_app.backends.whoosh.indexer import build
from search_app.config import Settings
from search_app.web.app import create_app

SECRET = "zanzibarquartz"  # only in a file beside the seeds folder and the index, never in them


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Seeds with an article in a subfolder, a secret file next to them, the index, and an app."""
    base = tmp_path_factory.mktemp("paths")
    seeds = copy_seeds(base / "seeds")
    (seeds / "2023" / "xinhua").mkdir(parents=True)
    (seeds / "2023" / "xinhua" / "0142.txt").write_text(
        article_text("Taiyuan metro opens", "Taiyuan opened its second metro line on Monday."), "utf-8")
    (base / "secret.txt").write_text(f"root:x:0:0 {SECRET}\n", "utf-8")
    (seeds / "secret.txt.bak").write_text(SECRET, "utf-8")  # not an article type: never indexed
    build(seeds, base / "index")
    shutil.copy(base / "secret.txt", base / "index" / "secret.txt")
    app = create_app({"SETTINGS": Settings(seeds=seeds, index=base / "index"), "TESTING": True})
    yield {"base": base, "seeds": seeds, "index": base / "index", "client": app.test_client()}
    app.extensions["search_app"].close()


HOSTILE_IDS = [
    "..%2F..%2Fetc%2Fpasswd", "../../etc/passwd", "..%2f..%2f..%2fetc%2fpasswd", "%2E%2E/%2E%2E/etc/passwd",
    "%00", "003_b8c9e442042d1bdf%00", "003_b8c9e442042d1bdf%00.txt", "%2Fetc%2Fpasswd", "/etc/passwd",
    "..%5C..%5Cwindows%5Cwin.ini", "2023%2Fxinhua%2F..%2F..%2F..%2Fsecret", "../secret", "..%2Fsecret",
    "../index/secret", "secret", "secret.txt", "..", ".", "%2e%2e", "CURRENT", "../index/CURRENT", ".lock",
    "003_b8c9e442042d1bdf.txt", "003_b8c9e442042d1bdf/", "003_b8c9e442042d1bdf/..", "2023/xinhua/../0142",
    "2023//xinhua//0142", "%252e%252e%252fsecret", "%C0%AE%C0%AE/secret", "\u202e0142", "a" * 5000,
    "0142%0d%0aSet-Cookie:%20x=1", "%ff%fe", "manifest.json", "g-*/meta.json",
]


def _assert_not_found(status: int, body: bytes, content_type: str, api: bool) -> None:
    assert status == 404, body[:300]
    assert SECRET.encode() not in body and b"root:x:0:0" not in body
    assert b"Traceback" not in body
    if api:
        assert content_type.startswith("application/json")
        data = json.loads(body)
        assert list(data) == ["error"] and data["error"]["status"] == 404 and data["error"]["message"]
    else:
        assert content_type.startswith("text/html")


@pytest.mark.parametrize("raw", HOSTILE_IDS)
@pytest.mark.parametrize("prefix", ["/article/", "/api/articles/"])
def test_hostile_ids_are_404_in_the_app(site: Any, prefix: str, raw: str) -> None:
    response = site["client"].get(prefix + raw)
    if response.status_code == 308:  # werkzeug merges '//' by redirecting to the same route, which then is a 404
        assert response.headers["Location"].startswith("http://localhost" + prefix)
        response = site["client"].get(prefix + raw, follow_redirects=True)
    _assert_not_found(response.status_code, response.get_data(), response.content_type, prefix.startswith("/api"))
    assert "Set-Cookie" not in response.headers


def test_ids_with_a_slash_still_work(site: Any) -> None:
    """The same routes serve real ids containing '/' (so the 404s above are not a blanket refusal)."""
    data = site["client"].get("/api/articles/2023/xinhua/0142").get_json()
    assert (data["id"], data["path"], data["title"]) == ("2023/xinhua/0142", "2023/xinhua/0142.txt", "Taiyuan metro opens")
    assert site["client"].get("/article/2023/xinhua/0142").status_code == 200
    assert site["client"].get("/api/articles/2023%2Fxinhua%2F0142").get_json()["id"] == "2023/xinhua/0142"


def test_secret_files_are_not_searchable(site: Any) -> None:
    assert site["client"].get(f"/api/search?q={SECRET}").get_json()["total"] == 0
    assert site["client"].get("/api/suggest?q=zanzib").get_json()["words"] == []


@pytest.mark.parametrize("path", ["/static/../../index/secret.txt", "/static/..%2F..%2Findex%2Fsecret.txt",
                                  "/static/%2e%2e/%2e%2e/etc/passwd", "/static/app.css%00", "/static//etc/passwd"])
def test_static_files_stay_in_their_folder(site: Any, path: str) -> None:
    response = site["client"].get(path, follow_redirects=True)
    assert response.status_code in (400, 404)
    assert SECRET.encode() not in response.get_data() and b"root:" not in response.get_data()


def test_raw_request_lines_through_the_real_server(site: Any) -> None:
    """urllib and the test client normalise paths; http.client sends the request line as written."""
    with running_server(site["seeds"], site["index"]) as server:
        results = {}
        for prefix in ("/article/", "/api/articles/"):
            for raw in HOSTILE_IDS + ["..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f" * 12 + "etc/passwd"]:
                path = prefix + raw
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
                try:
                    connection.putrequest("GET", path.replace("\u202e", "%E2%80%AE"), skip_accept_encoding=True)
                    connection.endheaders()
                    response = connection.getresponse()
                    body = response.read()
                    results[path] = response.status
                    if response.status == 308:  # '//' merged: a redirect to the same route
                        assert (response.getheader("Location") or "").startswith(server.base + prefix)
                    elif response.status != 400:  # waitress may refuse a malformed request line itself
                        _assert_not_found(response.status, body, response.getheader("Content-Type") or "",
                                          prefix.startswith("/api"))
                    assert SECRET.encode() not in body and b"root:x" not in body
                finally:
                    connection.close()
        status, health = server.get_json("/healthz")
        log = server.stop()
    assert status == 200 and health["articles"] == 6
    assert {p: s for p, s in results.items() if s != 404} == {
        "/article//etc/passwd": 308, "/api/articles//etc/passwd": 308,
        "/article/%2Fetc%2Fpasswd": 308, "/api/articles/%2Fetc%2Fpasswd": 308}
    assert "Traceback" not in log
