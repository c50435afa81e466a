"""The deployment files of docs/deploy/ pass their own tools' checks: systemd-analyze verify, nginx -t."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import CLI

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
