"""Loading a model by name on its own owner thread: torch (with the bundled weight cache) or llama.cpp.

`load_model` is the one way the app gets a model. A native runtime (llama.cpp) is first tried in a
child process (`canary.py`), so a library that crashes on this CPU costs a note, not the app.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import torch

from mirror.config import BUNDLED_GGUF, Settings
from mirror.i18n import LANGUAGES, Phrase, phrase, t
from mirror.models.canary import check_runtime
from mirror.models.fastlinear import choose_layout
from mirror.models.gemma import load_gemma
from mirror.models.gguf_f16 import f16_gguf
from mirror.models.llamacpp import LLAMACPP_RUNTIMES, RUNTIMES, LlamaCppCausalLM
from mirror.models.machine import torch_threads
from mirror.models.loaded import LoadedModel, ModelInfo, context_length, parameter_count
from mirror.models.resolve import ModelLoadError, ModelSpec, bundled_folder, choose_device, choose_dtype, resolve_model
from mirror.models.weight_cache import bundled_cache_dir, cache_is_valid, read_weight_cache, write_weight_cache


def _load_bundled(cache_root: Path | None) -> tuple[Any, Any, bool]:
    from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedTokenizerFast

    if cache_root is not None:
        # The cache holds a tokenizer.json: the fast class directly, skipping AutoTokenizer's slow lookup.
        cached = read_weight_cache(bundled_cache_dir(cache_root), PreTrainedTokenizerFast)
        if cached is not None:
            return cached[0], cached[1], True
    source = bundled_folder()
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=BUNDLED_GGUF)
    model = AutoModelForCausalLM.from_pretrained(source, gguf_file=BUNDLED_GGUF, dtype=torch.float32)
    if cache_root is not None:
        write_weight_cache(model, tokenizer, bundled_cache_dir(cache_root))
    return model, tokenizer, False


def _load_pretrained(spec: ModelSpec, dtype: torch.dtype) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(spec.location, trust_remote_code=False)
        model = AutoModelForCausalLM.from_pretrained(spec.location, dtype=dtype, trust_remote_code=False)
    except Exception as error:  # transformers and huggingface_hub raise many kinds; all mean "cannot load"
        tried = (phrase("models.load.tried_folder", location=spec.location) if spec.kind == "local" else
                 phrase("models.load.tried_hub", location=spec.location))
        offline = phrase("models.load.offline") if spec.kind != "local" and os.environ.get("HF_HUB_OFFLINE") else ""
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelLoadError(phrase("models.load.failed", name=spec.name, tried=tried, offline=offline,
                                    detail=first_line)) from error
    return model, tokenizer


def _load_llamacpp(spec: ModelSpec, cache_root: Path | None, f16: bool = False) -> tuple[Any, Any, bool]:
    """The bundled GGUF in llama.cpp (or its F16 copy, built once into the cache), with the tokenizer
    transformers made from the same file."""
    from transformers import AutoTokenizer

    folder = bundled_cache_dir(cache_root) if cache_root is not None else None
    if folder is not None and cache_is_valid(folder):
        tokenizer, from_cache = AutoTokenizer.from_pretrained(folder), True
    else:
        tokenizer, from_cache = AutoTokenizer.from_pretrained(bundled_folder(), gguf_file=BUNDLED_GGUF), False
    try:
        gguf = bundled_folder() / BUNDLED_GGUF
        if f16:
            gguf, f16_cached = f16_gguf(gguf, cache_root)
            from_cache = from_cache and f16_cached
        model = LlamaCppCausalLM(str(gguf), eos_token_id=int(tokenizer.eos_token_id))
    except RuntimeError as error:
        raise ModelLoadError(str(error)) from error
    return model, tokenizer, from_cache


def _load_on_this_thread(spec: ModelSpec, device: str, dtype: torch.dtype, cache_root: Path | None,
                         runtime: str = "torch", linear_layout: str = "auto") -> tuple[Any, Any, bool, dict[str, str]]:
    """(model, tokenizer, from cache, speed choices made, in every language) on the thread that will run the model."""
    from transformers.utils import logging as hf_logging

    # The thread count changes the arithmetic (how BLAS and attention split their sums), and a thread keeps
    # the count in effect when it first ran torch: the owner thread gets this machine's count, whatever the
    # caller had set, so every load computes the same numbers.
    torch.set_num_threads(torch_threads())
    hf_logging.disable_progress_bar()  # the UI shows its own progress; the bars only clutter logs and the CLI
    if runtime in ("llamacpp", "llamacpp-f16"):
        model, tokenizer, from_cache = _load_llamacpp(spec, cache_root, f16=runtime == "llamacpp-f16")
        return model, tokenizer, from_cache, {language: t("home.speed.llamacpp", language, features=model.cpu_features)
                                              for language in LANGUAGES}
    if spec.kind in ("bundled", "package"):  # package: the optional Gemma (mirror/models/gemma.py)
        model, tokenizer, from_cache = (_load_bundled if spec.kind == "bundled" else load_gemma)(cache_root)
        model = model.to(dtype)
    else:
        model, tokenizer = _load_pretrained(spec, dtype)
        from_cache = False
    model = model.to(device).eval()
    choices: dict[str, str] = {}
    if device == "cpu":
        # Timed here, on the owner thread, on this CPU: which BLAS call is faster differs between CPUs.
        layout = choose_layout(model, linear_layout)
        choices = {language: layout.summary(language) for language in LANGUAGES}
    return model, tokenizer, from_cache, choices


def _trusted_runtime(runtime: str, spec: ModelSpec, cache_root: Path | None) -> tuple[str, Phrase | None]:
    """(runtime to load, note): a native runtime is first tried in a child process (mirror/models/canary.py);
    if it crashes or hangs there, the default runtime is loaded instead and the note says why."""
    if runtime not in LLAMACPP_RUNTIMES:
        return runtime, None
    if spec.kind != "bundled":
        raise ModelLoadError(phrase("models.runtime.bundled_only", name=spec.name))
    if importlib.util.find_spec("llama_cpp") is None:
        raise ModelLoadError(phrase("models.runtime.needs_llamacpp"))
    verdict = check_runtime(runtime, cache_root)
    if verdict.ok:
        return runtime, None
    note = verdict.message(fallback="torch")
    logging.getLogger("mirror").warning("%s", note.text("en"))
    return "torch", note


def load_model(name: str | None = None, device: str | None = None, dtype: str | None = None,
               cache_dir: Path | None | Literal["default"] = "default", runtime: str | None = None) -> LoadedModel:
    """Load a model by name (bundled by default) on its own owner thread. Raises ModelLoadError.

    `runtime` (or MIRROR_RUNTIME): torch (default), torch-bf16, llamacpp or llamacpp-f16 (bundled GGUF only).
    """
    settings = Settings.from_env()
    runtime = (runtime or settings.runtime).lower()
    if runtime not in RUNTIMES:
        raise ModelLoadError(phrase("models.runtime.unknown", runtime=runtime, choices=", ".join(RUNTIMES)))
    spec = resolve_model(name if name is not None else settings.model)
    cache_root = settings.cache_dir if cache_dir == "default" else cache_dir
    started = time.perf_counter()
    runtime, refused = _trusted_runtime(runtime, spec, cache_root)
    notes = {language: " ".join(note.text(language) for note in (spec.note, refused) if note) for language in LANGUAGES}
    chosen_device = "cpu" if runtime.startswith("llamacpp") else choose_device(device or settings.device)
    chosen_dtype = choose_dtype(chosen_device, "bfloat16" if runtime == "torch-bf16" else dtype or settings.dtype)

    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"mirror-model-{spec.name}")
    owner = executor.submit(threading.current_thread).result()
    try:
        model, tokenizer, from_cache, speed_choices = executor.submit(
            _load_on_this_thread, spec, chosen_device, chosen_dtype, cache_root, runtime,
            settings.linear_layout).result()
    except BaseException:
        executor.shutdown(wait=False)
        raise
    info = ModelInfo(
        name=spec.name,
        source=spec.kind,
        location=spec.location,
        device=str(chosen_device),
        dtype={"llamacpp": "Q4_1 GGUF (llama.cpp)", "llamacpp-f16": "F16 GGUF (llama.cpp)"}.get(
            runtime, str(chosen_dtype).removeprefix("torch.")),
        parameters=parameter_count(model),
        context_length=context_length(model, tokenizer),
        load_seconds=time.perf_counter() - started,
        from_cache=from_cache,
        has_chat_template=bool(getattr(tokenizer, "chat_template", None)),
        note=notes["en"],
        note_shown=notes,
        runtime=runtime,
        speed_choices=speed_choices.get("en", ""),
        speed_choices_shown=speed_choices,
    )
    return LoadedModel(model, tokenizer, info, executor, owner, settings.max_batch, settings.prefix_cache_mb)
