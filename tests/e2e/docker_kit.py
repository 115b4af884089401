"""Building and running the project's Docker image on this machine, for the image test and `make docker-check`.

Each step says what it did; a step that cannot be done here raises `DockerUnavailable` with the reason
(the test then skips, or fails under CI unless MIRROR_SKIP_DOCKER=1 says to skip).

- `ensure_dockerd`: a running Docker engine, started here (as root) when none answers.
- `ensure_base_image`: $MIRROR_DOCKER_BASE, else the Dockerfile's default Python image if it is present
  locally, else an image made from Debian's packages by scripts/docker-base.sh (kept between runs): no
  registry is reachable from these machines.
- `prepare_build_extras`: docker-build-extra/ with the CA bundle pip trusts here and the local torch
  wheel, for the build stage only (the final image gets neither).
- `build_image`: `docker build --network host` with the base as a build argument; its time and size.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BASE = "python:3.11.7-slim-bookworm"  # the Dockerfile's ARG BASE_IMAGE default
DEBIAN_BASE = "magic-mirror-base:bookworm"
EXTRAS = ROOT / "docker-build-extra"
IMAGE = "magic-mirror:check"
APP_UID = "10001"


class DockerUnavailable(Exception):
    """Docker cannot be used on this machine; the message says why."""


def docker(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args[:3])} failed ({done.returncode}): "
                           f"{(done.stderr or done.stdout).strip()[-2000:]}")
    return done


def _engine_answers() -> bool:
    try:
        return docker("info", "--format", "{{.ServerVersion}}", timeout=20, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def ensure_dockerd(log: Path) -> str:
    """The engine's version, starting `dockerd` (as root) when no engine answers."""
    if shutil.which("docker") is None:
        raise DockerUnavailable("no docker client: install Debian's docker.io (make test does, as root)")
    if not _engine_answers():
        if shutil.which("dockerd") is None:
            raise DockerUnavailable("no Docker engine answers and dockerd is not installed (Debian's docker.io)")
        if os.geteuid() != 0:
            raise DockerUnavailable("no Docker engine answers, and only root can start dockerd here")
        log.parent.mkdir(parents=True, exist_ok=True)
        # Detached through a shell that returns at once: the engine outlives the test run, and no
        # Popen object of ours is left running when the test process ends.
        subprocess.run(["sh", "-c", 'nohup dockerd >>"$1" 2>&1 &', "sh", str(log)], check=True,
                       start_new_session=True)
        deadline = time.monotonic() + 90
        while not _engine_answers():
            if time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-1500:]
                raise DockerUnavailable(f"dockerd did not start within 90 s; its log ends:\n{tail}")
            time.sleep(1)
    return docker("info", "--format", "{{.ServerVersion}}").stdout.strip()


def _image_present(tag: str) -> bool:
    return docker("image", "inspect", tag, check=False).returncode == 0


def ensure_base_image() -> tuple[str, str]:
    """(base image tag, how it was found)."""
    wanted = os.environ.get("MIRROR_DOCKER_BASE")
    if wanted:
        if not _image_present(wanted):
            raise DockerUnavailable(f"MIRROR_DOCKER_BASE={wanted} is not a local image")
        return wanted, "MIRROR_DOCKER_BASE"
    if _image_present(DEFAULT_BASE):
        return DEFAULT_BASE, "the Dockerfile's default, present locally"
    if _image_present(DEBIAN_BASE):
        return DEBIAN_BASE, "made from Debian's packages by an earlier run"
    if os.geteuid() != 0 or shutil.which("debootstrap") is None:
        raise DockerUnavailable(f"no Python base image here ({DEFAULT_BASE} cannot be pulled without a registry), "
                                "and building one needs root and debootstrap")
    start = time.monotonic()
    done = subprocess.run(["bash", str(ROOT / "scripts/docker-base.sh"), DEBIAN_BASE], capture_output=True,
                          text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"scripts/docker-base.sh failed: {(done.stderr or done.stdout)[-2000:]}")
    return DEBIAN_BASE, f"made from Debian's packages now, in {time.monotonic() - start:.0f} s"


def _pip_setting(name: str) -> str:
    done = subprocess.run(["python3", "-m", "pip", "config", "get", name], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def prepare_build_extras() -> list[str]:
    """Fill docker-build-extra/ with what pip needs here; what was put there."""
    shutil.rmtree(EXTRAS, ignore_errors=True)
    EXTRAS.mkdir()
    added: list[str] = []
    bundle = os.environ.get("PIP_CERT") or _pip_setting("global.cert") or os.environ.get("SSL_CERT_FILE", "")
    if bundle and Path(bundle).is_file():
        shutil.copyfile(bundle, EXTRAS / "ca.crt")
        added.append(f"ca.crt (from {bundle})")
    torch_pin = re.search(r"^torch==(\S+)", (ROOT / "requirements.txt").read_text(), re.M)
    wheels = EXTRAS / "wheels"
    for folder in filter(None, (os.environ.get("PIP_FIND_LINKS") or _pip_setting("global.find-links")).split()):
        for wheel in Path(folder).glob(f"torch-{torch_pin.group(1)}*-cp311-*.whl") if torch_pin else []:
            wheels.mkdir(exist_ok=True)
            target = wheels / wheel.name
            try:
                os.link(wheel, target)  # the same disk: no copy of ~180 MB
            except OSError:
                shutil.copyfile(wheel, target)
            added.append(f"wheels/{wheel.name}")
    return added


@dataclass(frozen=True)
class Built:
    tag: str
    seconds: float
    size_bytes: int
    layers: list[tuple[str, int]]  # (instruction, bytes), largest first


def _image_id(tag: str) -> str | None:
    done = docker("image", "inspect", "--format", "{{.Id}}", tag, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def build_image(base: str, log: Path, context: Path = ROOT, tag: str = IMAGE) -> Built:
    """Build the Dockerfile in `context` (the repository by default) as `tag`."""
    previous = _image_id(tag)
    start = time.monotonic()
    done = subprocess.run(["docker", "build", "--network", "host", "--build-arg", f"BASE_IMAGE={base}", "-t", tag,
                           str(context)], capture_output=True, text=True, timeout=1800,
                          env={**os.environ, "DOCKER_BUILDKIT": "0"})  # the legacy builder: no buildx needed
    seconds = time.monotonic() - start
    log.write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"docker build failed after {seconds:.0f} s; the log ends:\n{(done.stdout + done.stderr)[-3000:]}")
    if previous not in (None, _image_id(tag)):
        # The previous image, now untagged. Not `docker image prune`: it would also drop the build
        # stage's images, the cache that lets the next build skip the install.
        docker("image", "rm", previous, check=False)
    size = int(docker("image", "inspect", tag, "--format", "{{.Size}}").stdout.strip())
    history = docker("history", "--no-trunc", "--format", "{{json .}}", tag).stdout.splitlines()
    layers = []
    for line in history:
        entry = json.loads(line)
        layers.append((entry["CreatedBy"][-90:], _bytes(entry["Size"])))
    layers.sort(key=lambda layer: -layer[1])
    return Built(tag, seconds, size, layers)


def _bytes(size: str) -> int:
    number, unit = re.fullmatch(r"([\d.]+)\s*([kMGT]?B)", size.strip()).groups()
    return int(float(number) * {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}[unit])


def health(container: str) -> str:
    return docker("inspect", "--format", "{{.State.Health.Status}}", container).stdout.strip()


def wait_healthy(container: str, timeout_s: float = 240) -> float:
    """Seconds until Docker's HEALTHCHECK says healthy; fails with the container's log otherwise."""
    start = time.monotonic()
    while (status := health(container)) != "healthy":
        if status == "unhealthy" or time.monotonic() - start > timeout_s:
            logs = docker("logs", "--tail", "40", container, check=False)
            raise AssertionError(f"container {container} is {status} after {time.monotonic() - start:.0f} s:\n"
                                 f"{logs.stdout}{logs.stderr}")
        time.sleep(1)
    return time.monotonic() - start


def published_port(container: str) -> int:
    out = docker("port", container, "8501/tcp").stdout.strip().splitlines()[0]
    return int(out.rsplit(":", 1)[1])
