"""The deployment files of docs/deploy/ pass their own tools' checks: systemd-analyze verify, nginx -t."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import CLI, free_port, kill_group, running_server

DEPLOY = Path(__file__).resolve().parents[1] / "docs" / "deploy"
UNITS = ["search-app.service", "search-app-rebuild.service", "search-app-rebuild.timer"]


def _tool(name: str, package: str) -> str:
    found = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
    if found is None:
        message = f"{name} is not installed: apt-get install {package}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def test_systemd_units_verify(tmp_path: Path) -> None:
    analyze = _tool("systemd-analyze", "systemd")
    for name in UNITS:  # the installed CLI stands in for /srv/search-app's (verify checks that it can run)
        text = (DEPLOY / name).read_text(encoding="utf-8").replace("/srv/search-app/.venv/bin/search-app", str(CLI))
        (tmp_path / name).write_text(text, encoding="utf-8")
    checked = subprocess.run([analyze, "verify", *[str(tmp_path / n) for n in UNITS]], capture_output=True, text=True,
                             timeout=60)
    assert (checked.returncode, checked.stderr, checked.stdout) == (0, "", "")


def test_systemd_verify_does_catch_a_mistake(tmp_path: Path) -> None:
    analyze = _tool("systemd-analyze", "systemd")
    unit = tmp_path / "search-app.service"
    unit.write_text((DEPLOY / "search-app.service").read_text(encoding="utf-8"), encoding="utf-8")  # /srv path: absent
    checked = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert checked.returncode != 0 and "is not executable" in checked.stderr


def test_nginx_configuration_is_accepted(tmp_path: Path) -> None:
    nginx = _tool("nginx", "nginx")
    main = tmp_path / "nginx.conf"
    main.write_text(f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
                    f"http {{\n    access_log off;\n    include {DEPLOY / 'nginx.conf'};\n}}\n", encoding="utf-8")
    checked = subprocess.run([nginx, "-t", "-q", "-p", str(tmp_path), "-c", str(main)], capture_output=True, text=True,
                             timeout=60)
    assert (checked.returncode, checked.stderr) == (0, "")


def _unit_settings(*names: str) -> dict[str, str]:
    """The values search-app.service gives these SEARCH_APP_* settings."""
    lines = (DEPLOY / "search-app.service").read_text(encoding="utf-8").splitlines()
    given = dict(line.removeprefix("Environment=").split("=", 1) for line in lines if line.startswith("Environment=SEARCH_APP_"))
    return {name: given[name] for name in names}


@contextlib.contextmanager
def _nginx(tmp_path: Path, listen: str, upstream: int) -> Iterator[None]:
    """nginx running the deploy site (listening on `listen`, proxying to 127.0.0.1:upstream) until the block ends."""
    nginx = _tool("nginx", "nginx")
    site = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    site = site.replace("listen 80;", f"listen {listen};").replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    assert f"listen {listen};" in site and f":{upstream};" in site
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    temp = " ".join(f"{kind}_temp_path {tmp_path / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(f"daemon off;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
                                         f"events {{}}\nhttp {{\n    access_log off;\n    {temp}\n"
                                         f"    include {tmp_path / 'site.conf'};\n}}\n", encoding="utf-8")
    process = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], start_new_session=True,
                               stderr=subprocess.PIPE)
    host, port = listen.rsplit(":", 1)
    try:
        deadline = time.monotonic() + 10
        while True:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            with contextlib.suppress(OSError), socket.create_connection((host, int(port)), timeout=1):
                break
            assert time.monotonic() < deadline, "nginx did not listen within 10 s"
            time.sleep(0.05)
        yield
    finally:
        process.terminate()
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            kill_group(process.pid)
            process.communicate(timeout=10)


def _through(listen: str, path: str, host: str, **headers: str) -> tuple[int, str]:
    """(status, body) of a GET through nginx, sent from 127.0.0.3 (a client other than nginx's own 127.0.0.1)."""
    address, port = listen.rsplit(":", 1)
    connection = http.client.HTTPConnection(address, int(port), timeout=10, source_address=("127.0.0.3", 0))
    try:
        connection.request("GET", path, headers={"Host": host, **headers})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8")
    finally:
        connection.close()


@pytest.mark.slow
def test_behind_the_nginx_site_links_clients_and_static_files_come_through(tmp_path: Path, seeds_dir: Path,
                                                                           built_index: Path) -> None:
    settings = _unit_settings("SEARCH_APP_TRUSTED_PROXIES", "SEARCH_APP_PUBLIC_URL")
    public = settings["SEARCH_APP_PUBLIC_URL"]
    log = tmp_path / "access.log"
    env = {**settings, "SEARCH_APP_ACCESS_LOG": str(log), "SEARCH_APP_LOG_CLIENT_ADDRESS": "1"}
    listen = f"127.0.0.2:{free_port()}"
    with running_server(seeds_dir, built_index, env=env) as server, _nginx(tmp_path, listen, server.port):
        site = public.split("://")[1]
        static = _through(listen, "/static/app.css", site)
        page = _through(listen, "/?q=airport", site, **{"X-Forwarded-For": "6.6.6.6"})  # a client's own claim: not believed
        forged = _through(listen, "/?q=airport", "evil.example")
    assert static[0] == 200 and page[0] == 200
    assert sorted(part.split("?")[0] for part in page[1].split('data-print-url="')[1:]) == [
        f"{public}/article/003_b8c9e442042d1bdf", f"{public}/article/004_860ced496ef7d71d"]
    assert forged[0] == 400 and "evil.example" not in forged[1]
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(line["route"], line["status"], line["client"]) for line in lines if line["route"] != "/healthz"] == [
        ("/static/<path:filename>", 200, "127.0.0.3"), ("/", 200, "127.0.0.3"), ("(unmatched)", 400, "127.0.0.3")]
