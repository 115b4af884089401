"""The Hugging Face Docker Space of the dashboard (`make space-streamlit`): its front matter parses and
names what exists, the image's user is uid 1000 as Spaces run it, and every file the Dockerfile copies
is in the folder. Building and running the image is `make docker-check`'s kind of work; docs/deploy-spaces.md
says what was run by hand."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def space(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("space") / "space-streamlit"
    done = subprocess.run(["bash", str(REPO / "scripts" / "space-streamlit.sh"), str(out)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return out


def front_matter(readme: Path) -> dict:
    match = re.match(r"^---\n(.*?)\n---\n", readme.read_text(), re.DOTALL)
    assert match, "the README must start with YAML front matter"
    return yaml.safe_load(match.group(1))


def test_front_matter_is_a_docker_space_on_the_apps_port(space):
    meta = front_matter(space / "README.md")
    assert meta["sdk"] == "docker" and "app_file" not in meta
    dockerfile = (space / "Dockerfile").read_text()
    assert f"EXPOSE {meta['app_port']}" in dockerfile and f"--server.port={meta['app_port']}" in dockerfile
    assert len(meta["short_description"]) <= 60  # the Hub refuses a longer one
    assert meta["title"] and meta["emoji"] and meta["colorFrom"] and meta["colorTo"]


def test_the_image_user_is_uid_1000_and_owns_data_and_cache(space):
    dockerfile = (space / "Dockerfile").read_text()
    assert "ARG APP_UID=1000\n" in dockerfile and "ARG APP_UID=10001" not in dockerfile
    assert "--uid ${APP_UID}" in dockerfile
    assert re.search(r"install -d -o mirror -g mirror /opt/magic-mirror/cache /data", dockerfile)
    assert "ARG APP_UID=10001\n" in (REPO / "Dockerfile").read_text()  # the repository's image keeps 10001


def test_every_file_the_dockerfile_copies_is_in_the_space(space):
    dockerfile = (space / "Dockerfile").read_text()
    sources = []
    for line in dockerfile.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            sources += line.split()[1:-1]
    assert sources
    for source in sources:
        if "[" in source:  # an optional input (docker-build-extr[a]): may be absent
            continue
        assert (space / source).exists(), f"the Dockerfile copies {source}, which the Space lacks"
    assert not list(space.rglob("__pycache__"))
