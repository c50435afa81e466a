"""Browser fixtures: the real app behind waitress, over a private index, driven by Chromium.

One Chromium and one server per session keep the browser tests fast. Every page made
through `new_page` records console errors and uncaught page errors; the test fails if any
appear (pass `allow_console=[regex, ...]` for an error the page is expected to log, such
as the failed load of a deliberate 404).

Chromium is Debian's (`apt-get install chromium`; `.ci/run` installs it), never a browser
downloaded by Playwright. Without Chromium or Playwright the tests are skipped locally but
fail when CI == "true", so a CI run can never pass by skipping them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
SCREENSHOTS = ROOT / "tests" / "screenshots"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# The hostile article: markup in the title and body must come out as literal text.
HOSTILE_ID = "zz_hostile"
HOSTILE_TITLE = '<script>window.__pwned=1</script> Hostile <img src=x onerror="window.__pwned=2"> headline'
HOSTILE_BODY = (
    "Reporters in Taiyuan found this markup pasted into a page: <script>window.__pwned=3</script> "
    "and a link whose text reads javascript:alert(1) next to it.\n\n"
    # RTL override, right-to-left marks and zero-width characters around plain words.
    "Mixed direction text: \u202eTaiyuan reversed\u202c, \u200fmark\u200f, zero\u200bwidth\u200cjoin\u200dner "
    "and \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 beside Taiyuan.\n\n"
    "The hostile headline is a test fixture and not real news from Taiyuan."
)

# Unbroken text longer than a phone is wide, in a title and a body: it must wrap, not widen the page.
LONG_ID = "zz_longwords"
LONG_WORD = "Quokka" + "supercalifragilistic" * 8
LONG_URL = "http://www.chinadaily.com.cn/a/202209/29/WS63352c7ea310fd2b29e7a3f1.html"
LONG_TITLE = f"{LONG_WORD} quokka report"
LONG_BODY = (f"The quokka column quotes {LONG_WORD} at length and links {LONG_URL} in full.\n\n"
             f"A second quokka paragraph repeats {LONG_URL}?from={'x' * 120} for good measure.")


def _in_ci() -> bool:
    return os.environ.get("CI") == "true"


def _unavailable(reason: str) -> None:
    """Skip locally; fail in CI, where the browser tests must run."""
    if _in_ci():
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


# ---------------------------------------------------------------- the app under test

@pytest.fixture(scope="session")
def browser_seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the seeds plus the hostile article and one of long unbroken words (JSON files, so
    the titles are exact)."""
    target = tmp_path_factory.mktemp("browser") / "seeds"
    shutil.copytree(SEEDS, target)
    hostile = {
        "title": HOSTILE_TITLE,
        "body": HOSTILE_BODY,
        "date": "2023-03-15",
        "source": "Fixture Wire",
        "author": "<b>Mallory</b>",
    }
    (target / f"{HOSTILE_ID}.json").write_text(json.dumps(hostile, ensure_ascii=False), "utf-8")
    long_words = {"title": LONG_TITLE, "body": LONG_BODY, "source": "Fixture Wire"}  # undated, no city
    (target / f"{LONG_ID}.json").write_text(json.dumps(long_words), "utf-8")
    return target


@pytest.fixture(scope="session")
def browser_index(browser_seeds: Path) -> Path:
    from search_app.backends.whoosh.indexer import build

    index_dir = browser_seeds.parent / "index"
    report = build(browser_seeds, index_dir)
    assert not report.skipped, f"the browser seeds should all index: {report.skipped}"
    return index_dir


@pytest.fixture(scope="session")
def live_server(browser_seeds: Path, browser_index: Path) -> Iterator[str]:
    """The real app served by waitress (4 threads) on a free port; yields its base URL."""
    try:
        import waitress

        from search_app.config import Settings
        from search_app.web.app import create_app
    except ImportError as exc:  # the web app is not there yet, or waitress is missing
        pytest.fail(f"cannot import the web app or waitress: {exc}", pytrace=False)

    app = create_app({"SETTINGS": Settings(seeds=browser_seeds, index=browser_index), "TESTING": True})
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="waitress-browser-tests", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)
        ext = app.extensions.get("search_app")
        if ext is not None and hasattr(ext, "close"):
            ext.close()


# ---------------------------------------------------------------- the browser

@pytest.fixture(scope="module")
def launch_options() -> dict[str, Any]:
    """How the tests launch Debian's Chromium (for a test that needs a browser of its own)."""
    return {"executable_path": shutil.which("chromium") or "/usr/bin/chromium", "args": list(CHROMIUM_ARGS)}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium, for the one browser test module.

    Module scope, not session: Chromium and Playwright's driver are child processes of the
    test run, and tests that run after this module (tests/backends/whoosh/test_indexer.py counts the children
    of the pytest process) must not see them.
    """
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"Playwright for Python is not installed ({exc}); run `make install`")
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(executable):
        _unavailable("Debian's Chromium is not installed; run `apt-get install -y chromium fonts-noto-cjk`")
    manager = sync_playwright().start()
    try:
        try:
            chromium = manager.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            _unavailable(f"Chromium at {executable} does not start: {exc}")
        yield chromium
        chromium.close()
    finally:
        manager.stop()


@dataclass
class PageErrors:
    """What went wrong on one page: console errors and uncaught exceptions."""

    console: list[str] = field(default_factory=list)
    page: list[str] = field(default_factory=list)
    allow: list[re.Pattern[str]] = field(default_factory=list)

    def unexpected(self) -> list[str]:
        found = [f"console error: {m}" for m in self.console if not any(p.search(m) for p in self.allow)]
        return found + [f"page error: {m}" for m in self.page]


@pytest.fixture()
def new_page(browser: Any, live_server: str) -> Iterator[Callable[..., Any]]:
    """Factory: new_page(allow_console=(), **context_options) -> a page at the live server.

    Each call opens a fresh browser context (so options such as java_script_enabled=False,
    viewport or bypass_csp apply to it alone). The test fails at teardown if any page
    logged a console error (not matched by allow_console) or threw an uncaught error.
    """
    contexts: list[Any] = []
    records: list[PageErrors] = []

    def make(allow_console: tuple[str, ...] | list[str] = (), **options: Any) -> Any:
        options.setdefault("base_url", live_server)
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        errors = PageErrors(allow=[re.compile(p) for p in allow_console])
        page.on("console", lambda msg: errors.console.append(f"{msg.text} ({msg.location.get('url', '')})")
                if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.page.append(str(exc)))
        page.errors = errors  # type: ignore[attr-defined]
        records.append(errors)
        return page

    yield make
    for context in contexts:
        context.close()
    problems = [p for r in records for p in r.unexpected()]
    if problems:
        pytest.fail("the page logged errors:\n  " + "\n  ".join(problems), pytrace=False)


@pytest.fixture()
def page(new_page: Callable[..., Any]) -> Any:
    """A desktop page (1280x900) with JavaScript on and the page's own CSP in force."""
    return new_page()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's axe.min.js, as bundled in the axe-playwright-python package."""
    try:
        import axe_playwright_python
    except ImportError:
        _unavailable("axe-playwright-python (which bundles axe-core) is not installed; run `make install`")
    path = Path(axe_playwright_python.__file__).parent / "axe.min.js"
    if not path.is_file():
        found = sorted(Path(axe_playwright_python.__file__).parent.rglob("axe*.js"))
        if not found:
            _unavailable(f"no axe.min.js inside {path.parent}")
        path = found[0]
    return path.read_text("utf-8")


WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def axe_audit(axe_source: str) -> Callable[[Any, str], None]:
    """A check that runs axe-core's WCAG 2.1 A/AA rules on a page and fails listing any serious or critical violation."""

    def audit(page: Any, label: str) -> None:
        page.add_script_tag(content=axe_source)
        report = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_TAGS,
        )
        bad = [v for v in report["violations"] if v.get("impact") in ("serious", "critical")]
        lines = []
        for v in bad:
            lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
            for node in v["nodes"][:5]:
                lines.append(f"    {' '.join(map(str, node['target']))}: {node.get('failureSummary', '').splitlines()[-1:]}")
        assert not bad, f"axe on {label}:\n" + "\n".join(lines)

    return audit

