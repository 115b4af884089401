"""Fixtures for the browser tests: a real Streamlit server and a headless Chromium page.

The server is the app as a user runs it (`streamlit run Home.py`), on a free
port, offline. The browser is Debian's /usr/bin/chromium driven by Playwright;
`playwright install` is never used (it downloads a browser build, which this
network does not allow).

Without chromium or playwright the browser tests are skipped with the reason,
unless E2E_REQUIRE_BROWSER=1 (set by `make test` under CI), where they fail so
that CI never goes green without having driven the real page.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
SERVER_START_TIMEOUT_S = 120

CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root in CI
    "--headless",
    "--disable-gpu",
    # The network is closed: without these Chromium keeps trying to reach
    # Google's services and logs refused connections.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def _require_browser() -> bool:
    return os.environ.get("E2E_REQUIRE_BROWSER") == "1"


def _skip_or_fail(reason: str) -> None:
    if _require_browser():
        pytest.fail(f"{reason} (E2E_REQUIRE_BROWSER=1, so this is a failure, not a skip)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _streamlit_cmd() -> list[str]:
    exe = REPO_ROOT / ".venv" / "bin" / "streamlit"
    if exe.exists():
        return [str(exe)]
    # Not run from the project's venv: use the interpreter running the tests.
    return [sys.executable, "-m", "streamlit"]


def _tail(path: Path, n: int = 60) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(lines[-n:])


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Expose each phase's report on the item so fixtures can see a failure
    # (used to take a screenshot when a browser test fails).
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """test-artifacts/ at the repo root (git-ignored): screenshots and server logs."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def streamlit_server():
    """Start `streamlit run Home.py` on a free port; yield its base URL."""
    with serve_app("streamlit-server.log") as base_url:
        yield base_url


@pytest.fixture(scope="module")
def one_at_a_time_server():
    """The app with a batch of one (MIRROR_MAX_BATCH=1): a second reply has to wait its turn."""
    with serve_app("streamlit-one-at-a-time.log", MIRROR_MAX_BATCH="1") as base_url:
        yield base_url


TEACHER_PASSCODE = "e2e-owl-lantern"


@pytest.fixture
def teacher_passcode() -> str:
    """The teacher passcode `own_database_server` is started with."""
    return TEACHER_PASSCODE


@pytest.fixture(scope="module")
def own_database_server(tmp_path_factory):
    """The app on a database of its own (a test then knows exactly what is saved in it), with a teacher
    passcode (`TEACHER_PASSCODE`)."""
    database = tmp_path_factory.mktemp("own-database") / "mirror.sqlite3"
    with serve_app("streamlit-own-database.log", MIRROR_DATABASE_URL=f"sqlite:///{database}",
                   MIRROR_TEACHER_PASSCODE=TEACHER_PASSCODE) as base_url:
        yield base_url


@contextlib.contextmanager
def serve_app(log_name: str, **extra_env: str):
    """Run `streamlit run Home.py` on a free port until the block ends; yield its base URL."""
    if not (REPO_ROOT / "Home.py").exists():
        pytest.fail("Home.py is missing: nothing to serve")

    ARTIFACTS.mkdir(exist_ok=True)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = ARTIFACTS / log_name
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", **extra_env)
    cmd = _streamlit_cmd() + [
        "run",
        "Home.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]

    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT_S
            while True:
                if proc.poll() is not None:
                    pytest.fail(
                        f"streamlit exited with code {proc.returncode} before it was healthy;"
                        f" log ({log_path}):\n{_tail(log_path)}"
                    )
                try:
                    with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as r:
                        if r.status == 200 and r.read().decode().strip() == "ok":
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"streamlit was not healthy after {SERVER_START_TIMEOUT_S}s;"
                        f" log ({log_path}):\n{_tail(log_path)}"
                    )
                time.sleep(0.5)

            yield base_url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


# Module scope: Playwright's sync API keeps its own event loop while open;
# closing it after the browser tests keeps it away from the other suites.
@pytest.fixture(scope="module")
def chromium_browser():
    """One headless Debian Chromium per test module, driven by Playwright."""
    executable = shutil.which("chromium")
    if executable is None:
        _skip_or_fail(
            "Debian's chromium is not installed (`make test` installs it as root;"
            " otherwise: sudo apt-get install chromium)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _skip_or_fail(f"playwright is not importable ({exc}); run `make setup`")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(request, chromium_browser):
    """A fresh page (1280x900) in its own context; screenshot on failure."""
    ARTIFACTS.mkdir(exist_ok=True)
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            try:
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failure.png"), full_page=True)
            except Exception as exc:  # the page may be gone; the failure itself matters more
                print(f"could not take a failure screenshot: {exc}")
        context.close()


def pytest_terminal_summary(terminalreporter):
    """The Docker image test's figures, printed last: what it was built from, then its build time and size."""
    report = getattr(sys.modules.get("test_docker_image"), "REPORT", None)
    if not report:
        return
    terminalreporter.section("Docker image")
    last = ("build time", "image size")
    for key in [k for k in report if k not in last] + [k for k in last if k in report]:
        terminalreporter.write_line(f"{key}: {report[key]}")
