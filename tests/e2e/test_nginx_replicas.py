"""deploy/nginx for real: Debian's nginx in front of two Streamlit replicas, driven in Chromium.

The module starts two replicas of the app (`streamlit run Home.py`, one shared
cookie secret) and nginx with the config rendered from
deploy/nginx/nginx.conf.template, all on 127.0.0.1 and free ports, with nginx's
prefix, logs and temp folders in a temporary folder. Then:

- plain HTTP (urllib): /healthz answers "ok"; a request without the affinity
  cookie gets one (Set-Cookie: mirror_replica=...); one cookie always lands on
  one replica, and different cookies reach both replicas;
- Chromium (Playwright): a chat through nginx gets a reply over the proxied
  WebSocket, and reloads stay on the replica the page first landed on (the
  X-Mirror-Upstream response header, and nginx's access log for every request
  and WebSocket that carried the browser's cookie);
- a burst of rapid requests gets 429 Too Many Requests from nginx;
- last, one replica is stopped: its clients are served by the other one.

Needs Debian's nginx and chromium: without them these tests skip and say why,
unless CI (or E2E_REQUIRE_BROWSER=1) is set, where they fail.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pagekit import expect, expect_chat_ready, expect_idle, expect_shown, reply_after

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy" / "nginx"
ARTIFACTS = REPO_ROOT / "test-artifacts"
AFFINITY_COOKIE = "mirror_replica"
UPSTREAM_HEADER = "X-Mirror-Upstream"

REPLICA_COUNT = 2
REPLICA_START_TIMEOUT_S = 120
NGINX_START_TIMEOUT_S = 15
# The first page view loads the bundled model (20-60 s on 2 busy cores); a reply
# to a short question is then generated at 3.5-16 tokens/s: 180 s in all.
CHAT_READY_TIMEOUT_MS = 120_000
FIRST_REPLY_TIMEOUT_MS = 180_000
RELOADS = 4
QUESTION = "Say hello in five words."
# Cookie values tried until both replicas have been seen (2 replicas: a miss
# of all 32 has probability 2**-31).
COOKIE_TRIES = 32
BURST_MAX_REQUESTS = 200
BURST_WAVE = 50

def _strict() -> bool:
    """In CI a missing nginx or chromium is a failure, never a silent skip."""
    return bool(os.environ.get("CI")) or os.environ.get("E2E_REQUIRE_BROWSER") == "1"


def _skip_or_fail(reason: str) -> None:
    if _strict():
        pytest.fail(f"{reason} (CI / E2E_REQUIRE_BROWSER is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def _nginx_binary() -> str | None:
    # /usr/sbin is not on every user's PATH.
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")


def _load_renderer():
    spec = importlib.util.spec_from_file_location("mirror_nginx_render", DEPLOY / "render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_ports(n: int) -> list[int]:
    # Hold all sockets open until every port is picked, so the ports differ.
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _streamlit_cmd() -> list[str]:
    exe = REPO_ROOT / ".venv" / "bin" / "streamlit"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "streamlit"]


def _tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def upstream(self) -> str | None:
        return self.headers.get(UPSTREAM_HEADER)

    def affinity_cookie(self) -> str | None:
        for value in self.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            if name.strip() == AFFINITY_COOKIE:
                return rest.split(";", 1)[0]
        return None


# Only ever 127.0.0.1: never a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _get(url: str, cookie: str | None = None, timeout: float = 10) -> Response:
    request = urllib.request.Request(url)
    if cookie is not None:
        request.add_header("Cookie", f"{AFFINITY_COOKIE}={cookie}")
    try:
        with _OPENER.open(request, timeout=timeout) as r:
            return Response(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        with e:
            return Response(e.code, e.headers, e.read())


@dataclass
class Stack:
    base_url: str
    replicas: list[str]
    run_dir: Path
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def access_log(self) -> Path:
        return self.run_dir / "logs" / "access.log"

    @property
    def error_log(self) -> Path:
        return self.run_dir / "logs" / "error.log"

    def log_entries(self) -> list[dict]:
        entries = []
        for line in self.access_log.read_text(errors="replace").splitlines():
            if line.strip():
                entries.append(json.loads(line))
        return entries


def _stop(procs: list[subprocess.Popen]) -> None:
    """TERM each still-running process group we started; KILL the groups that outlive 20 s."""
    running = [p for p in procs if p.poll() is None]
    for proc in running:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # start_new_session: the group id is the pid
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 20
    for proc in running:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            # The whole group: a KILLed nginx master would leave its workers running.
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _wait_healthy(url: str, proc: subprocess.Popen, what: str, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with code {proc.returncode} before it was healthy; log:\n{_tail(log)}")
        try:
            response = _get(url, timeout=2)
            if response.status == 200 and response.body.decode().strip() == "ok":
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{what} was not healthy after {timeout_s:.0f}s; log:\n{_tail(log)}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def nginx_stack():
    """Two replicas with one cookie secret, nginx in front; yields a Stack. Everything is stopped after."""
    nginx = _nginx_binary()
    if nginx is None:
        _skip_or_fail("Debian's nginx is not installed (`make test` installs it as root; otherwise: "
                      "sudo apt-get install --no-install-recommends nginx)")
    ARTIFACTS.mkdir(exist_ok=True)
    # Not under pytest's tmp_path: nginx's workers run as `nobody` when started as root and
    # must reach their temp folders, and pytest's base folder is private to root.
    run_dir = Path(tempfile.mkdtemp(prefix="mirror-nginx-"))
    run_dir.chmod(0o755)
    (run_dir / "logs").mkdir()

    nginx_port, *replica_ports = _free_ports(1 + REPLICA_COUNT)
    replicas = [f"127.0.0.1:{port}" for port in replica_ports]
    stack = Stack(base_url=f"http://127.0.0.1:{nginx_port}", replicas=replicas, run_dir=run_dir)
    env = dict(
        os.environ,
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        # One secret for all replicas. Streamlit refuses --server.cookieSecret on the
        # command line (it would show in `ps`); this is the same setting.
        STREAMLIT_SERVER_COOKIE_SECRET=secrets.token_hex(32),
        # One store shared by the replicas, and not the user's own.
        MIRROR_DATABASE_URL=f"sqlite:///{run_dir / 'mirror.sqlite3'}",
    )
    try:
        for port in replica_ports:
            log_path = run_dir / f"replica-{port}.log"
            with open(log_path, "wb") as log:
                stack.procs.append(subprocess.Popen(
                    _streamlit_cmd() + [
                        "run", "Home.py",
                        "--server.port", str(port),
                        "--server.address", "127.0.0.1",
                        "--server.headless", "true",
                        "--browser.gatherUsageStats", "false",
                        "--server.fileWatcherType", "none",
                    ],
                    cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,
                ))
        for port, proc in zip(replica_ports, stack.procs):
            _wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", proc, f"replica on port {port}",
                          run_dir / f"replica-{port}.log", REPLICA_START_TIMEOUT_S)

        renderer = _load_renderer()
        conf = renderer.write_instance(run_dir, renderer.render(f"127.0.0.1:{nginx_port}", replicas, workers=1))
        check = subprocess.run([nginx, "-t", "-p", str(run_dir), "-c", str(conf)],
                               capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, f"nginx -t rejects the rendered config:\n{check.stderr}"

        nginx_log = run_dir / "nginx-stderr.log"
        with open(nginx_log, "wb") as log:
            stack.procs.append(subprocess.Popen(
                [nginx, "-p", str(run_dir), "-c", str(conf), "-g", "daemon off;"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            ))
        _wait_healthy(f"{stack.base_url}/healthz", stack.procs[-1], "nginx", stack.error_log,
                      NGINX_START_TIMEOUT_S)
        yield stack
    finally:
        _stop(stack.procs)
        # Keep the config and logs next to the screenshots, then drop the run folder.
        keep = {"nginx.conf": run_dir / "nginx.conf", "access.log": stack.access_log,
                "error.log": stack.error_log, "stderr.log": run_dir / "nginx-stderr.log"}
        keep.update({f"replica-{i}.log": run_dir / f"replica-{port}.log"
                     for i, port in enumerate(replica_ports, 1)})
        for name, path in keep.items():
            if path.is_file():
                shutil.copy(path, ARTIFACTS / f"nginx-stack-{name}")
        shutil.rmtree(run_dir, ignore_errors=True)


def test_health_cookie_and_spread_over_replicas(nginx_stack):
    base = nginx_stack.base_url

    health = _get(f"{base}/healthz")
    assert health.status == 200 and health.body.decode().strip() == "ok", (health.status, health.body)
    assert health.upstream() in nginx_stack.replicas

    # No cookie: nginx picks a replica and pins the client to it with a cookie.
    first = _get(f"{base}/")
    assert first.status == 200
    cookie = first.affinity_cookie()
    assert cookie, f"no {AFFINITY_COOKIE} cookie set: {first.headers.get_all('Set-Cookie')}"
    set_cookie = next(v for v in first.headers.get_all("Set-Cookie") if v.startswith(f"{AFFINITY_COOKIE}="))
    assert "HttpOnly" in set_cookie and "Path=/" in set_cookie, set_cookie

    # With that cookie: the same replica every time, and no new cookie.
    again = [_get(f"{base}/healthz", cookie=cookie) for _ in range(5)]
    assert {r.upstream() for r in again} == {first.upstream()}
    assert all(r.affinity_cookie() is None for r in again)

    # A malformed cookie is replaced.
    bad = _get(f"{base}/healthz", cookie="not valid!")
    assert bad.affinity_cookie(), "a malformed affinity cookie was kept"

    # Different cookies spread over the replicas: try values until every replica is seen.
    seen: dict[str, str] = {}
    for i in range(COOKIE_TRIES):
        value = f"probe{i:04d}"
        seen.setdefault(_get(f"{base}/healthz", cookie=value).upstream(), value)
        if set(seen) >= set(nginx_stack.replicas):
            break
    assert set(seen) == set(nginx_stack.replicas), f"{COOKIE_TRIES} cookies reached only {sorted(seen)}"
    # ...and each of those cookies keeps its replica.
    for upstream, value in seen.items():
        assert _get(f"{base}/healthz", cookie=value).upstream() == upstream


def test_chat_through_nginx_stays_on_one_replica(nginx_stack, request, artifacts_dir):
    if shutil.which("chromium") is None:
        _skip_or_fail("Debian's chromium is not installed (`make test` installs it as root; "
                      "otherwise: sudo apt-get install chromium)")
    page = request.getfixturevalue("browser_page")
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    base = nginx_stack.base_url

    response = page.goto(f"{base}/Chat", wait_until="domcontentloaded")
    assert response is not None and response.status == 200, response and response.status
    replica = response.headers.get(UPSTREAM_HEADER.lower())
    assert replica in nginx_stack.replicas, f"page served by {replica!r}, not one of {nginx_stack.replicas}"
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    affinity = cookies.get(AFFINITY_COOKIE)
    assert affinity, f"the browser has no {AFFINITY_COOKIE} cookie: {cookies}"

    expect_chat_ready(page, CHAT_READY_TIMEOUT_MS)
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(QUESTION)
    box.press("Enter")
    # The assistant's reply is finished: the message after the user's shows its caption
    # ("N tokens · X tokens/s ..."), the run is over, and the reply has text.
    reply = reply_after(page, 0, QUESTION, FIRST_REPLY_TIMEOUT_MS)
    expect_shown(page, reply.get_by_test_id("stCaptionContainer").filter(has_text="tokens/s"),
                 FIRST_REPLY_TIMEOUT_MS)
    expect_idle(page, FIRST_REPLY_TIMEOUT_MS)
    expect(reply.get_by_test_id("stMarkdownContainer").first).to_have_text(re.compile(r"\S"),
                                                                            timeout=FIRST_REPLY_TIMEOUT_MS)
    # Let lazily loaded widgets (the download buttons' code) arrive before the screenshot. The
    # viewport only: a full-page shot resizes the page, and Streamlit redraws columns as blanks.
    try:
        page.wait_for_load_state("networkidle", timeout=10_000)
    except PlaywrightTimeoutError:
        pass
    page.screenshot(path=str(artifacts_dir / "nginx-chat.png"))

    # The page itself asks nginx which replica its cookie is pinned to.
    in_page = page.evaluate(
        "async () => { const r = await fetch('/healthz', {credentials: 'same-origin'});"
        f" return [r.status, await r.text(), r.headers.get('{UPSTREAM_HEADER}')]; }}"
    )
    assert in_page == [200, "ok", replica], in_page

    for i in range(RELOADS):
        response = page.reload(wait_until="domcontentloaded")
        assert response is not None and response.status == 200, f"reload {i + 1}: {response and response.status}"
        assert response.headers.get(UPSTREAM_HEADER.lower()) == replica, f"reload {i + 1} moved replicas"
        # Each reload is a new Streamlit session: wait until its WebSocket is up and the page ran.
        expect_chat_ready(page, CHAT_READY_TIMEOUT_MS)
    assert {c["name"]: c["value"] for c in page.context.cookies()}.get(AFFINITY_COOKIE) == affinity

    # nginx's own record: every request with this browser's cookie, the WebSockets
    # included (one per page load, the chat's among them), went to that replica.
    page.goto("about:blank")  # closes the last WebSocket, so nginx logs it
    deadline = time.monotonic() + 10
    while True:
        mine = [e for e in nginx_stack.log_entries() if e["affinity"] == affinity]
        sockets = [e for e in mine if e["request"].startswith("GET /_stcore/stream ")]
        if len(sockets) >= RELOADS + 1 or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert len(sockets) >= RELOADS + 1, f"expected {RELOADS + 1} WebSockets in the access log, got {sockets}"
    assert all(e["status"] == 101 for e in sockets), sockets
    assert {e["upstream"] for e in mine} == {replica}, sorted({e["upstream"] for e in mine})
    assert not [e for e in mine if e["status"] == 429], "the browser was rate limited"


def test_votes_through_both_replicas_count(nginx_stack, request):
    """Two students whose browsers nginx sends to different replicas vote in one round: both count."""
    if shutil.which("chromium") is None:
        _skip_or_fail("Debian's chromium is not installed (`make test` installs it as root; "
                      "otherwise: sudo apt-get install chromium)")
    from mirror.services import classroom
    from mirror.services.store import Store

    store = Store(f"sqlite:///{nginx_stack.run_dir / 'mirror.sqlite3'}")  # the replicas' shared database
    code = classroom.open_class(store, "p-TTTTTTTTTTTTTTTT")
    round_id = classroom.start_round(store, code, "The capital of France is")
    browser = request.getfixturevalue("chromium_browser")
    pages: dict[str, object] = {}  # one student page per replica
    contexts = []
    try:
        for _ in range(16):  # a new context gets a new affinity cookie, so sooner or later the other replica
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            contexts.append(context)
            page = context.new_page()
            response = page.goto(f"{nginx_stack.base_url}/Class", wait_until="domcontentloaded")
            replica = response.headers.get(UPSTREAM_HEADER.lower())
            if replica in pages:
                continue
            pages[replica] = page
            if len(pages) == len(nginx_stack.replicas):
                break
        assert set(pages) == set(nginx_stack.replicas), f"only reached {sorted(pages)}"
        for n, (replica, page) in enumerate(sorted(pages.items())):
            box = page.get_by_role("textbox", name="Class code")
            expect_shown(page, box, CHAT_READY_TIMEOUT_MS)
            box.fill(code)
            page.get_by_role("textbox", name="Your name").fill(f"Student {n}")
            page.get_by_role("button", name="Join").click()
            guess = page.get_by_role("textbox", name="Your guess")
            expect_shown(page, guess, CHAT_READY_TIMEOUT_MS)
            guess.fill("Paris")
            page.get_by_role("button", name="Send my guess").click()
            expect_shown(page, page.get_by_text("Your guess: Paris"), CHAT_READY_TIMEOUT_MS)
        assert store.classes.count_votes(round_id) == len(nginx_stack.replicas)
        assert sorted(name for _, name in store.classes.members(code)) == ["Student 0", "Student 1"]
    finally:
        for context in contexts:
            context.close()


def test_through_the_proxy_only_the_printed_passcode_makes_a_teacher(nginx_stack, request):
    """No passcode is configured: each replica prints its own one-time passcode in its terminal (here, its
    log). A visitor through nginx is never the teacher by being there: the Projector refuses them and the
    Teacher page asks for the passcode; the one printed by the replica they landed on lets them in."""
    if shutil.which("chromium") is None:
        _skip_or_fail("Debian's chromium is not installed (`make test` installs it as root; "
                      "otherwise: sudo apt-get install chromium)")
    browser = request.getfixturevalue("chromium_browser")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        response = page.goto(f"{nginx_stack.base_url}/Projector", wait_until="domcontentloaded")
        replica = response.headers.get(UPSTREAM_HEADER.lower())
        assert replica in nginx_stack.replicas
        expect_shown(page, page.get_by_text("The Projector page is for the teacher"), CHAT_READY_TIMEOUT_MS)
        expect(page.get_by_role("button", name="Open a class")).to_have_count(0)

        page.goto(f"{nginx_stack.base_url}/Teacher", wait_until="domcontentloaded")
        box = page.get_by_label("Teacher passcode")
        expect_shown(page, box, CHAT_READY_TIMEOUT_MS)
        expect_shown(page, page.get_by_text("printed in the terminal"), CHAT_READY_TIMEOUT_MS)
        box.fill("not-the-passcode")
        page.get_by_role("button", name="Sign in").click()
        expect_shown(page, page.get_by_text("That is not the teacher passcode"), CHAT_READY_TIMEOUT_MS)

        log = nginx_stack.run_dir / f"replica-{replica.rsplit(':', 1)[1]}.log"
        printed = re.search(r"teacher passcode of this server is\s+(\S+)", log.read_text(errors="replace"))
        assert printed, f"the replica printed no passcode:\n{_tail(log)}"
        box.fill(printed.group(1))
        page.get_by_role("button", name="Sign in").click()
        expect_shown(page, page.get_by_role("button", name="Sign out"), CHAT_READY_TIMEOUT_MS)
    finally:
        context.close()


def test_burst_gets_429(nginx_stack):
    # Sent 50 at a time, so the burst outruns the refill however slow this machine is.
    statuses: list[int] = []
    limited: list[Response] = []
    with ThreadPoolExecutor(max_workers=BURST_WAVE) as pool:
        while len(statuses) < BURST_MAX_REQUESTS and not limited:
            wave = list(pool.map(lambda _: _get(f"{nginx_stack.base_url}/", cookie="burst0001"),
                                 range(BURST_WAVE)))
            statuses += [r.status for r in wave]
            limited = [r for r in wave if r.status == 429]
    assert limited, f"{len(statuses)} rapid requests and no 429: {sorted(set(statuses))}"
    assert 200 in statuses, "not one request of the burst was let through"
    assert set(statuses) <= {200, 429}, sorted(set(statuses))
    # nginx answered the 429s itself: no replica was asked.
    assert {r.upstream() for r in limited} == {None}, {r.upstream() for r in limited}
    assert "limiting requests" in nginx_stack.error_log.read_text(errors="replace")
    # The health check is not rate limited.
    assert _get(f"{nginx_stack.base_url}/healthz").status == 200


def test_replica_down_its_clients_move_over(nginx_stack):
    """Passive health check: a replica that stops answering is skipped; its cookies land on another."""
    base = nginx_stack.base_url
    victim, survivor = nginx_stack.replicas[0], nginx_stack.replicas[1]
    pinned = next((f"down{i:04d}" for i in range(COOKIE_TRIES)
                   if _get(f"{base}/healthz", cookie=f"down{i:04d}").upstream() == victim), None)
    assert pinned, f"no cookie landed on {victim}"

    _stop([nginx_stack.procs[0]])  # the replica listening on `victim`
    answers = [_get(f"{base}/healthz", cookie=pinned) for _ in range(5)]
    assert [r.status for r in answers] == [200] * 5, [r.status for r in answers]
    # The first answer says nginx tried the dead replica, then the survivor
    # ($upstream_addr lists both); later ones go straight to the survivor.
    assert all(r.upstream().split(", ")[-1] == survivor for r in answers), [r.upstream() for r in answers]
    assert "connect() failed" in nginx_stack.error_log.read_text(errors="replace")

