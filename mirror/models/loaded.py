"""A loaded model: the model, its tokenizer and facts about it, bound to the one thread that owns them.

Every model call goes through `LoadedModel.run`, which executes it on the one thread that loaded the
model. Two reasons: fast tokenizers are not safe to call from several threads at once, and with
several torch threads a forward pass on a thread other than the loading one was measured slower.
Streamlit runs each page script on its own thread, so without an owner thread both would bite.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import torch

from mirror.config import DEFAULT_MAX_BATCH, DEFAULT_PREFIX_CACHE_MB
from mirror.engine.detokenize import decode_whole
from mirror.i18n import current_language
from mirror.engine.scheduler import Scheduler

T = TypeVar("T")
END_OF_TURN_TOKENS = ("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>")


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
    note: str = ""  # in English; `note_in` gives it in another language
    runtime: str = "torch"
    speed_choices: str = ""  # CPU-specific choices made by measurement at load time, and why
    # The same in every language the app speaks, for the model card (language -> text; not in `to_dict`).
    speed_choices_shown: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    note_shown: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def note_in(self, language: str) -> str:
        """`note` in `language` (in English where it was not written in that language)."""
        return self.note_shown.get(language, self.note)

    def speed_choices_in(self, language: str) -> str:
        """`speed_choices` in `language` (in English where it was not written in that language)."""
        return self.speed_choices_shown.get(language, self.speed_choices)

    def to_dict(self) -> dict[str, Any]:
        return {name: value for name, value in asdict(self).items() if name not in ("speed_choices_shown", "note_shown")}


class LoadedModel:
    """A model, its tokenizer and facts about it, bound to the one thread that owns them."""

    def __init__(self, model: Any, tokenizer: Any, info: ModelInfo, executor: ThreadPoolExecutor,
                 owner: threading.Thread, max_batch: int = DEFAULT_MAX_BATCH,
                 prefix_cache_mb: int = DEFAULT_PREFIX_CACHE_MB):
        self.model = model
        self.tokenizer = tokenizer
        self.info = info
        self._executor = executor
        self._owner = owner
        self.end_ids: tuple[int, ...] = end_token_ids(model, tokenizer)
        # The one scheduler that steps every session's requests on this model.
        self.scheduler = Scheduler(self, max_batch, prefix_cache_bytes=prefix_cache_mb * 2**20)
        self._prefix_cache_mb = prefix_cache_mb

    @property
    def device(self) -> torch.device:
        return self.model.device

    @property
    def note(self) -> str:
        """What the model card says about this choice, in the current language (`info.note` is English:
        the model is shared by every session, whatever language each one speaks)."""
        return self.info.note_in(current_language())

    @property
    def context_length(self) -> int:
        return self.info.context_length

    def with_batch(self, max_batch: int, prefix_cache_mb: int | None = None) -> "LoadedModel":
        """The same model, tokenizer and owner thread behind a scheduler of its own with room for
        `max_batch` requests and its own prefix cache (a benchmark or test compares batch sizes without
        changing this one)."""
        return LoadedModel(self.model, self.tokenizer, self.info, self._executor, self._owner, max_batch,
                           self._prefix_cache_mb if prefix_cache_mb is None else prefix_cache_mb)

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


def parameter_count(model: Any) -> int:
    """The model's parameters: a torch module's tensors, or what a native runtime reports (`n_params`)."""
    if isinstance(model, torch.nn.Module):
        return sum(p.numel() for p in model.parameters())
    return int(getattr(model, "n_params", 0))


def context_length(model: Any, tokenizer: Any) -> int:
    config = model.config
    for attr in ("max_position_embeddings", "n_positions", "n_ctx", "seq_length"):
        value = getattr(config, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    value = getattr(tokenizer, "model_max_length", 0)
    return value if 0 < value < 10**7 else 2048


def wrap_model(model: Any, tokenizer: Any, name: str = "in-memory", max_batch: int = DEFAULT_MAX_BATCH,
               prefix_cache_mb: int = DEFAULT_PREFIX_CACHE_MB) -> LoadedModel:
    """Wrap an already built model (tests, notebooks) as a LoadedModel with its own owner thread."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"mirror-model-{name}")
    owner = executor.submit(threading.current_thread).result()
    if isinstance(model, torch.nn.Module):
        model.eval()
    info = ModelInfo(name, "memory", name, str(model.device), str(model.dtype).removeprefix("torch."),
                     parameter_count(model), context_length(model, tokenizer), 0.0, False,
                     bool(getattr(tokenizer, "chat_template", None)))
    return LoadedModel(model, tokenizer, info, executor, owner, max_batch, prefix_cache_mb)
