"""What the running app writes about its requests: the access log's lines and the error log's, never a control character."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from search_app.config import Settings
from search_app.errors import IndexCorrupt
from search_app.web.app import create_app

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# The link: a fake hyperlink (OSC 8) in the "did you mean" parameter, then a C1 sequence.
FAKE_LINK = "%1B%5D8%3B%3Bhttp%3A%2F%2Fevil.example%2F%07click%20me%1B%5D8%3B%3B%07%C2%9B31m"


@pytest.fixture()
def logged_app(tmp_path: Path, built_index: Path) -> Iterator[Flask]:
    """The app over the seed index, writing an access log (with client addresses) to tmp_path/access.log."""
    app = create_app({"SETTINGS": Settings(index=built_index, access_log=tmp_path / "access.log", log_client_address=True)})
    yield app
    app.extensions["search_app"].close()


def test_the_access_log_holds_no_control_character_from_a_request(logged_app: Flask, tmp_path: Path) -> None:
    response = logged_app.test_client().get(f"/?q=airport&corrected_from={FAKE_LINK}")
    assert response.status_code == 200
    text = (tmp_path / "access.log").read_text(encoding="utf-8")
    assert CONTROL.findall(text.removesuffix("\n")) == []
    line = json.loads(text)
    assert (line["q"], line["corrected_from"]) == (
        "airport", "\\x1b]8;;http://evil.example/\\x07click me\\x1b]8;;\\x07\\x9b31m")


@pytest.mark.parametrize(("error", "logged"), [
    (RuntimeError("boom"), "Unhandled error on /fail/\\x1b]0;pwned\\x07\\x9b2J"),
    (IndexCorrupt("The index is damaged.", detail="segment 3: bad"), "503 /fail/\\x1b]0;pwned\\x07\\x9b2J: segment 3: bad"),
])
def test_error_log_lines_show_the_request_path_escaped(built_index: Path, caplog: pytest.LogCaptureFixture,
                                                       error: Exception, logged: str) -> None:
    app = create_app({"SETTINGS": Settings(index=built_index)})

    @app.get("/fail/<path:rest>")
    def fail(rest: str) -> str:
        raise error

    try:
        with caplog.at_level(logging.WARNING, logger="search_app.web.errors"):
            response = app.test_client().get("/fail/%1B%5D0%3Bpwned%07%C2%9B2J")
    finally:
        app.extensions["search_app"].close()
    assert response.status_code in (500, 503)
    assert [record.getMessage() for record in caplog.records] == [logged]
