"""Shared fixtures: the seeds folder, copies of it, a CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The project's committed seeds folder (read-only use)."""
    return SEEDS


@pytest.fixture()
def seeds_copy(tmp_path: Path) -> Path:
    """A private, writable copy of the seeds folder."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture()
def runner() -> CliRunner:
    """A click runner for the search-app command line."""
    return CliRunner()
