"""Where the site says it is: a forged Host header gets no link to its host, forwarded headers count only from trusted proxies."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from search_app.config import Settings
from search_app.web.app import create_app

ATOM = "{http://www.w3.org/2005/Atom}"
PAGES = ["/?q=airport", "/feed.atom?q=airport", "/api/export?q=airport&format=csv", "/api/search?q=airport",
         "/article/003_b8c9e442042d1bdf", "/healthz"]


@pytest.fixture()
def site(built_index: Path, tmp_path: Path) -> Iterator[Any]:
    """make(**settings) -> a test client of the app over the seed index with those settings (access log in tmp_path)."""
    apps = []

    def make(**settings: Any) -> FlaskClient:
        app = create_app({"SETTINGS": Settings(index=built_index, access_log=tmp_path / "access.log", log_client_address=True,
                                               **settings)})
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        app.extensions["search_app"].close()


def _links(client: FlaskClient, host: str, **headers: str) -> dict[str, Any]:
    """The absolute links of the page (print URLs), the feed (self, alternate, entries) under a Host header."""
    page = client.get("/?q=airport", headers={"Host": host, **headers}).get_data(as_text=True)
    feed = ET.fromstring(client.get("/feed.atom?q=airport", headers={"Host": host, **headers}).data)
    return {
        "print": sorted({part.split('"')[0].split("?")[0] for part in page.split('data-print-url="')[1:]}),
        "feed": sorted({link.get("href").split("?")[0] for link in feed.iter(f"{ATOM}link")}),
    }


@pytest.mark.parametrize("path", PAGES)
def test_a_forged_host_is_refused_and_never_linked(site: Any, path: str) -> None:
    response = site().get(path, headers={"Host": "evil.example"})
    body = response.get_data(as_text=True)  # read whole (an export streams)
    assert response.status_code == 400
    assert "evil.example" not in body and "SEARCH_APP_ALLOWED_HOSTS" in body


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:8000", "localhost:5000"])
def test_the_local_addresses_are_answered_by_default(site: Any, host: str) -> None:
    assert site().get("/healthz", headers={"Host": host}).status_code == 200
    root = "http://" + host
    assert _links(site(), host) == {"print": [f"{root}/article/003_b8c9e442042d1bdf", f"{root}/article/004_860ced496ef7d71d"],
                                    "feed": [f"{root}/", f"{root}/article/003_b8c9e442042d1bdf",
                                             f"{root}/article/004_860ced496ef7d71d", f"{root}/feed.atom"]}


def test_the_public_url_makes_every_link_whatever_the_host(site: Any) -> None:
    client = site(public_url="https://news.example.org", allowed_hosts=("*",))
    root = "https://news.example.org"
    assert _links(client, "evil.example") == {
        "print": [f"{root}/article/003_b8c9e442042d1bdf", f"{root}/article/004_860ced496ef7d71d"],
        "feed": [f"{root}/", f"{root}/article/003_b8c9e442042d1bdf", f"{root}/article/004_860ced496ef7d71d",
                 f"{root}/feed.atom"]}
    assert site(public_url="https://news.example.org").get("/healthz", headers={"Host": "news.example.org"}).status_code == 200


def test_the_export_url_column_comes_from_the_public_url(site: Any) -> None:
    client = site(public_url="https://news.example.org", allowed_hosts=("*",))
    response = client.get("/api/export?q=airport&format=csv", headers={"Host": "evil.example"})
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert sorted(row["url"].split("?")[0] for row in rows) == [
        "https://news.example.org/article/003_b8c9e442042d1bdf", "https://news.example.org/article/004_860ced496ef7d71d"]


FORWARDED = {"X-Forwarded-For": "198.51.100.9, 203.0.113.7", "X-Forwarded-Proto": "https, https",
             "X-Forwarded-Host": "news.example.org, news.example.org"}


@pytest.mark.parametrize(("proxies", "client_address", "root"), [
    (0, "127.0.0.1", "http://localhost"),  # nobody vouches for the headers: they are ignored
    (1, "203.0.113.7", "https://news.example.org"),  # one proxy: its own entry (the last) is the client
    (2, "198.51.100.9", "https://news.example.org"),
])
def test_forwarded_headers_count_only_from_trusted_proxies(site: Any, tmp_path: Path, proxies: int, client_address: str,
                                                           root: str) -> None:
    client = site(trusted_proxies=proxies, allowed_hosts=("localhost", "news.example.org"))
    assert _links(client, "localhost", **FORWARDED)["feed"][0] == f"{root}/"
    logged = [json.loads(line) for line in (tmp_path / "access.log").read_text(encoding="utf-8").splitlines()]
    assert {line["client"] for line in logged} == {client_address}


def test_a_forwarded_host_is_checked_like_a_host(site: Any) -> None:
    client = site(trusted_proxies=1)
    response = client.get("/?q=airport", headers={"X-Forwarded-Host": "evil.example"})
    assert (response.status_code, "evil.example" in response.get_data(as_text=True)) == (400, False)
