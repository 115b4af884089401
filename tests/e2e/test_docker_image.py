"""The Docker image, built and used: healthy, a chat through it in Chromium, non-root, read-only app files,
saved work that outlives the container on the /data volume; its build time and size printed last.

It starts dockerd and makes a base image from Debian's packages where needed (tests/e2e/docker_kit.py).
Where Docker cannot be used it skips with the reason; under CI that is a failure unless
MIRROR_SKIP_DOCKER=1 (documented in docs/deploy-docker.md) says to skip.
"""

from __future__ import annotations

import os
import re
import uuid

import pytest
from docker_kit import (
    APP_UID,
    EXTRAS,
    ROOT,
    DockerUnavailable,
    build_image,
    docker,
    ensure_base_image,
    ensure_dockerd,
    prepare_build_extras,
    published_port,
    wait_healthy,
)
from pagekit import expect
from test_chat_browser import ANSWER_TIMEOUT_MS, _open_chat, _reply_done, _screenshot, _send, _set_max_new_tokens

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(1800)]  # the build takes minutes

REQUIRED = bool(os.environ.get("CI")) and os.environ.get("MIRROR_SKIP_DOCKER") != "1"
QUESTION = "Say hello to the class."
REPLY_TOKENS = 8
# What the session report prints last (tests/e2e/conftest.py), filled in as the test learns it.
REPORT: dict[str, str] = {}


@pytest.fixture(scope="module")
def image(artifacts_dir):
    try:
        version = ensure_dockerd(artifacts_dir / "dockerd.log")
        base, how = ensure_base_image()
    except DockerUnavailable as reason:
        if REQUIRED:
            pytest.fail(f"{reason} (MIRROR_SKIP_DOCKER=1 skips the image test)", pytrace=False)
        pytest.skip(str(reason))
    extras = prepare_build_extras()
    built = build_image(base, artifacts_dir / "docker-build.log")
    REPORT.update({
        "engine": f"Docker {version}, legacy builder",
        "base image": f"{base} ({how})",
        "build inputs (build stage only)": ", ".join(extras) or "none",
        "largest layers": "; ".join(f"{size / 1e6:,.0f} MB {what.strip()[:60]}" for what, size in built.layers[:4]),
        "build time": f"{built.seconds:.0f} s",
        "image size": f"{built.size_bytes / 1e9:.2f} GB ({built.size_bytes:,} bytes)",
    })
    return built


@pytest.fixture
def volume(image):
    name = f"mm-check-data-{uuid.uuid4().hex[:8]}"
    docker("volume", "create", name)
    yield name
    docker("volume", "rm", "-f", name, check=False)


def start_container(image, volume: str) -> str:
    name = f"mm-check-{uuid.uuid4().hex[:8]}"
    # A short health interval: the image's own 30 s would make the test wait for its first probe.
    docker("run", "-d", "--name", name, "--health-interval", "2s", "-p", "127.0.0.1::8501", "-v", f"{volume}:/data",
           image.tag)
    return name


def in_container(name: str, *command: str):
    return docker("exec", name, *command, check=False)


def feedback_comments(name: str) -> list[str]:
    """The feedback comments in the container's database on /data, read inside the container."""
    script = ("import sqlite3; rows = sqlite3.connect('/data/mirror.sqlite3').execute("
              "'select comment from feedback').fetchall(); print('\\n'.join(r[0] or '' for r in rows))")
    done = in_container(name, "python", "-c", script)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_the_image_serves_a_chat_as_a_non_root_user_and_keeps_saved_work(image, volume, browser_page,
                                                                         artifacts_dir):
    container = start_container(image, volume)
    try:
        REPORT["healthy after"] = f"{wait_healthy(container):.0f} s"
        # Who runs it, and what it may change.
        assert in_container(container, "id", "-u").stdout.strip() == APP_UID
        assert docker("inspect", "--format", "{{.Config.User}}", container).stdout.strip() == "mirror"
        for path in ("/app/Home.py", "/app/mirror/config.py", "/app/app_pages/1_Chat.py"):
            assert in_container(container, "sh", "-c", f"test -w {path}").returncode != 0, f"{path} is writable"
            assert in_container(container, "sh", "-c", f"test -r {path}").returncode == 0, f"{path} is not readable"
        assert in_container(container, "sh", "-c", "touch /app/new-file").returncode != 0
        assert in_container(container, "sh", "-c", "test -w /data").returncode == 0
        # No build input and no test tool made it into the image.
        assert in_container(container, "sh", "-c", "ls /tmp/extra /app/docker-build-extra").returncode != 0
        assert in_container(container, "python", "-c", "import pytest").returncode != 0

        # A chat through it, in Chromium, then feedback saved to /data.
        page = browser_page
        base_url = f"http://127.0.0.1:{published_port(container)}"
        _open_chat(page, base_url)
        _set_max_new_tokens(page, REPLY_TOKENS)
        _send(page, QUESTION)
        done = _reply_done(page, 0, QUESTION)
        assert done["text"].strip() and "tokens/s" in done["caption"]
        comment = f"docker check {uuid.uuid4().hex[:6]}"
        page.get_by_role("button", name="Rate this reply").click()
        page.get_by_test_id("stFeedbackButton").first.click()  # thumbs up
        page.get_by_label("Comment (optional)").fill(comment)
        page.get_by_label("Comment (optional)").press("Tab")
        page.get_by_role("button", name="Send feedback").click()
        expect(page.get_by_text("Thank you: feedback saved.")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        _screenshot(page, artifacts_dir / "docker-chat.png")
        assert comment in feedback_comments(container)

        # The saved work outlives a restart, and a new container on the same volume.
        docker("restart", container, timeout=120)
        wait_healthy(container)
        assert comment in feedback_comments(container)
    finally:
        docker("rm", "-f", container, check=False)
    second = start_container(image, volume)
    try:
        wait_healthy(second)
        assert comment in feedback_comments(second)
    finally:
        docker("rm", "-f", second, check=False)
    assert re.search(r"\d", REPORT["image size"])


def test_the_hugging_face_space_image_runs_as_uid_1000_on_its_app_port(image, artifacts_dir, tmp_path):
    """`make space-streamlit`'s folder, built as Spaces build it (its own Dockerfile, no build arguments but
    the base image) and run as Spaces run it: as uid 1000, on the port its front matter names."""
    import shutil
    import subprocess
    import urllib.request

    import yaml

    space = tmp_path / "space"
    subprocess.run(["bash", str(ROOT / "scripts" / "space-streamlit.sh"), str(space)], check=True, timeout=120)
    if EXTRAS.is_dir():  # the same build inputs as the repository's image (a CA bundle, the torch wheel)
        def link_or_copy(source: str, target: str) -> None:
            try:
                os.link(source, target)  # the same disk: no copy of the torch wheel
            except OSError:
                shutil.copy2(source, target)

        shutil.copytree(EXTRAS, space / "docker-build-extra", copy_function=link_or_copy)
    port = yaml.safe_load((space / "README.md").read_text().split("---")[1])["app_port"]
    built = build_image(ensure_base_image()[0], artifacts_dir / "docker-space-build.log", context=space,
                        tag="magic-mirror-space:check")
    REPORT["Space image build time"] = f"{built.seconds:.0f} s"
    name = f"mm-space-{uuid.uuid4().hex[:8]}"
    docker("run", "-d", "--name", name, "--user", "1000", "--health-interval", "2s", "-p", f"127.0.0.1::{port}",
           built.tag)
    try:
        REPORT["Space image healthy after"] = f"{wait_healthy(name):.0f} s"
        assert in_container(name, "id", "-u").stdout.strip() == "1000"
        for path in ("/data", "/opt/magic-mirror/cache"):
            assert in_container(name, "sh", "-c", f"test -w {path}").returncode == 0, f"{path} is not writable"
        host_port = docker("port", name, f"{port}/tcp").stdout.strip().splitlines()[0].rsplit(":", 1)[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{host_port}/_stcore/health", timeout=10) as answer:
            assert answer.read().decode().strip() == "ok"
        # The weight cache was built into the image by the app user (uid 1000), so it can read and extend it.
        assert in_container(name, "sh", "-c", "test -n \"$(ls -A /opt/magic-mirror/cache)\"").returncode == 0
        logs = docker("logs", name, check=False)
        assert "Traceback" not in logs.stdout + logs.stderr
    finally:
        docker("rm", "-f", name, check=False)
        docker("image", "rm", "-f", built.tag, check=False)
