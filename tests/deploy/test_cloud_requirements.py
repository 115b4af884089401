"""Streamlit Community Cloud installs requirements.txt with uv. The file names the torch CPU index as an
extra index, and uv takes a package only from the first index that has it (the extra one is asked
first): a package that index carries in old versions only would come from there, silently.

Offline, with uv itself: two local indexes of small wheels stand in for PyPI and for the torch index,
which shadows requests and certifi with old versions, as the real one does. uv resolves our pins against
them the way Cloud's install reads requirements.txt. Without pins it takes the shadowing index's old
versions (the danger is real); with requirements.txt's pins it fails loudly, and Cloud then installs
with pip.
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
# What the torch CPU index carries besides torch (its dependencies and theirs, requests' included).
TORCH_INDEX_CARRIES = ("requests", "certifi", "urllib3", "idna", "charset-normalizer", "numpy", "pillow", "jinja2",
                       "markupsafe", "filelock", "fsspec", "networkx", "sympy", "mpmath", "typing-extensions")
OLD = {"requests": "2.28.1", "certifi": "2022.12.7"}  # the shadowing copies issues report on that index


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines() -> list[str]:
    return [line.split("#", 1)[0].strip() for line in (REPO / "requirements.txt").read_text().splitlines()
            if line.split("#", 1)[0].strip()]


def pins() -> dict[str, str]:
    found = {}
    for line in requirement_lines():
        if not line.startswith("-"):
            req = Requirement(line)
            found[canonical(req.name)] = str(req.specifier)
    return found


def add_wheel(index: Path, name: str, version: str) -> None:
    """A minimal wheel of `name` `version` in the PEP 503 index at `index` (its listing rewritten)."""
    folder = index / canonical(name)
    folder.mkdir(parents=True, exist_ok=True)
    dist = f"{name.replace('-', '_')}-{version}"
    with zipfile.ZipFile(folder / f"{dist}-py3-none-any.whl", "w") as wheel:
        wheel.writestr(f"{dist}.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        wheel.writestr(f"{dist}.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                                  "Tag: py3-none-any\n")
        wheel.writestr(f"{dist}.dist-info/RECORD", "")
    links = "".join(f'<a href="{w.name}">{w.name}</a>\n' for w in sorted(folder.glob("*.whl")))
    (folder / "index.html").write_text(f"<html><body>\n{links}</body></html>\n")
    (index / "index.html").write_text("".join(f'<a href="{p.name}/">{p.name}</a>\n'
                                              for p in sorted(index.iterdir()) if p.is_dir()))


@pytest.fixture
def indexes(tmp_path: Path) -> tuple[str, str]:
    """(a PyPI with both the old and our pinned versions, a torch index with only the old ones), as URLs."""
    pypi, torch_index = tmp_path / "pypi", tmp_path / "torch-cpu"
    for name, old in OLD.items():
        add_wheel(torch_index, name, old)
        add_wheel(pypi, name, old)
        add_wheel(pypi, name, pins()[name].removeprefix("=="))
    return pypi.as_uri(), torch_index.as_uri()


def uv_compile(tmp_path: Path, lines: list[str], pypi: str) -> subprocess.CompletedProcess[str]:
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    if not Path(uv).exists():
        pytest.skip("uv is not installed (requirements-dev.txt installs it)")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("\n".join(lines) + "\n")
    # As Cloud reads the file: its own --extra-index-url line, and PyPI as the index (here, the local one).
    return subprocess.run([uv, "pip", "compile", str(requirements), "--index-url", pypi, "--python-version", "3.11",
                           "--no-cache", "--no-header", "--offline", "--no-config"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)


def test_every_package_the_torch_index_carries_that_we_use_is_pinned():
    """Our installed dependency tree, walked from requirements.txt: each package in it that the torch index
    also carries has an exact pin."""
    wanted = [canonical(Requirement(line).name) for line in requirement_lines() if not line.startswith("-")]
    seen: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        wanted += [canonical(Requirement(r).name) for r in requires if "extra ==" not in r]
    ours = pins()
    unpinned = [n for n in TORCH_INDEX_CARRIES if n in seen and not ours.get(n, "").startswith("==")]
    assert not unpinned, f"pin these in requirements.txt (the torch index would shadow them): {unpinned}"
    assert {"requests", "certifi"} <= seen


def test_uv_takes_the_shadowing_indexs_old_versions_unless_pinned(tmp_path, indexes):
    pypi, torch_index = indexes
    extra = f"--extra-index-url {torch_index}"
    assert any(line.startswith("--extra-index-url https://download.pytorch.org/whl/cpu") for line in requirement_lines())

    loose = uv_compile(tmp_path, [extra, "requests", "certifi"], pypi)
    assert loose.returncode == 0, loose.stderr
    assert f"requests=={OLD['requests']}" in loose.stdout and f"certifi=={OLD['certifi']}" in loose.stdout

    ours = pins()
    pinned = uv_compile(tmp_path, [extra, f"requests{ours['requests']}", f"certifi{ours['certifi']}"], pypi)
    # Loud: no resolution at all, naming the package the extra index shadows (never an old version).
    assert pinned.returncode != 0 and OLD["requests"] not in pinned.stdout
    assert "requests" in pinned.stderr and "first index" in pinned.stderr


def test_with_pip_s_best_match_the_pins_install(tmp_path, indexes):
    """Cloud's fallback: pip takes the best version across both indexes, so the pins are met."""
    pypi, torch_index = indexes
    ours = pins()
    target = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "--isolated", "install", "--no-deps", "--no-cache-dir",
                           "--disable-pip-version-check", "--target", str(target), "--index-url", pypi,
                           "--extra-index-url", torch_index, f"requests{ours['requests']}",
                           f"certifi{ours['certifi']}"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    installed = dict(p.name.removesuffix(".dist-info").split("-") for p in target.glob("*.dist-info"))
    assert installed == {"requests": ours["requests"].removeprefix("=="),
                         "certifi": ours["certifi"].removeprefix("==")}
