"""The sampler: pure functions from (input ids, raw logits, params) to every stage of the distribution.

The order of the stages is the one transformers' `generate` uses, written down once in `STAGES`:
repetition penalty -> no-repeat-n-gram -> temperature -> top-k -> top-p -> softmax. Each stage is
the same arithmetic as the matching transformers logits processor, so the numbers the explorer
shows are the numbers the sampler used. Inputs are never changed in place.

One deliberate addition: `protected_ids` (end-of-sequence and end-of-turn tokens) are exempt from
the repetition penalty and the n-gram ban. Without it, a chat whose prompt already contains
`<|im_end|>` several times penalises or bans the token that ends the reply, and the model can
never stop.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from mirror.config import (
    MAX_NEW_TOKENS,
    NO_REPEAT_NGRAM_SIZE,
    PARAM_RANGES,
    PRESETS,
    REPETITION_PENALTY,
    TEMPERATURE,
    TOP_K,
    TOP_P,
    ParamRange,
)

STAGES: tuple[str, ...] = (
    "raw",
    "repetition_penalty",
    "no_repeat_ngram",
    "temperature",
    "top_k",
    "top_p",
)

LOG2 = math.log(2.0)
TOP_P_SUBSET = 4096  # top-p sorts only the finite logits when at most this many survive top-k


class ParameterError(ValueError):
    """A decoding parameter is outside its allowed range; the message names it and the range."""


def _check(spec: ParamRange, value: object) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"{spec.name} must be a number from {spec.describe()}, got {value!r}")
    if spec.is_int and float(value) != int(value):
        raise ParameterError(f"{spec.name} must be a whole number from {spec.describe()}, got {value!r}")
    if math.isnan(value) or not spec.low <= value <= spec.high:
        raise ParameterError(f"{spec.name} must be from {spec.describe()}, got {value!r}")
    return int(value) if spec.is_int else float(value)


@dataclass(frozen=True)
class SamplingParams:
    """Decoding parameters, validated on construction. temperature 0 means greedy decoding."""

    temperature: float = TEMPERATURE.default
    top_k: int = int(TOP_K.default)
    top_p: float = TOP_P.default
    repetition_penalty: float = REPETITION_PENALTY.default
    no_repeat_ngram_size: int = int(NO_REPEAT_NGRAM_SIZE.default)
    max_new_tokens: int = int(MAX_NEW_TOKENS.default)
    seed: int | None = None

    def __post_init__(self) -> None:
        for name, spec in PARAM_RANGES.items():
            object.__setattr__(self, name, _check(spec, getattr(self, name)))
        if self.seed is not None:
            if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2**63:
                raise ParameterError(f"seed must be a whole number from 0 to 2**63-1 or empty, got {self.seed!r}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0

    @classmethod
    def preset(cls, name: str, **overrides: object) -> "SamplingParams":
        """The named preset (Strict, Balanced, Creative; any case), with optional overrides."""
        match = {k.lower(): k for k in PRESETS}.get(name.strip().lower())
        if match is None:
            raise ParameterError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
        return cls(**{**PRESETS[match], **overrides})

    def replace(self, **changes: object) -> "SamplingParams":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, float | int | None]:
        return dataclasses.asdict(self)

    def generate_kwargs(self) -> dict[str, object]:
        """The same settings as keyword arguments of transformers' `model.generate`."""
        kwargs: dict[str, object] = dict(
            max_new_tokens=self.max_new_tokens,
            repetition_penalty=self.repetition_penalty,
            no_repeat_ngram_size=self.no_repeat_ngram_size,
        )
        if self.greedy:
            return dict(kwargs, do_sample=False, temperature=None, top_k=None, top_p=None)
        return dict(kwargs, do_sample=True, temperature=self.temperature, top_k=self.top_k, top_p=self.top_p)


# --- one small function per stage; each returns a new tensor ------------------------------------


def apply_repetition_penalty(ids: torch.Tensor, logits: torch.Tensor, penalty: float) -> torch.Tensor:
    """Divide positive / multiply negative logits of every token present in `ids` (B,T) by `penalty`."""
    if penalty == 1.0 or ids.shape[-1] == 0:
        return logits
    vocab = logits.shape[-1]
    # Ids past the logits' vocabulary (embedding larger than lm_head) go to a spare column, as in transformers.
    padded = torch.nn.functional.pad(logits, (0, 1))
    ids = ids.clamp(max=vocab)
    score = torch.gather(padded, 1, ids)
    score = torch.where(score < 0, score * penalty, score / penalty)
    return padded.scatter(1, ids, score)[..., :vocab]


def banned_ngram_mask(ids: torch.Tensor, ngram_size: int, vocab: int) -> torch.Tensor:
    """(B,V) bool: tokens that would complete an n-gram already present in `ids` (B,T)."""
    mask = torch.zeros((ids.shape[0], vocab + 1), dtype=torch.bool, device=ids.device)
    length = ids.shape[-1]
    if ngram_size <= 0 or length < ngram_size:
        return mask[:, :vocab]
    prefix = ids[:, length + 1 - ngram_size :]
    windows = ids.unfold(dimension=1, size=ngram_size, step=1)
    matches = (windows[..., :-1] == prefix.unsqueeze(1)).all(dim=-1)
    mask.scatter_(1, torch.where(matches, windows[..., -1].clamp(max=vocab), vocab), True)
    return mask[:, :vocab]


def apply_no_repeat_ngram(ids: torch.Tensor, logits: torch.Tensor, ngram_size: int) -> torch.Tensor:
    if ngram_size <= 0:
        return logits
    return logits.masked_fill(banned_ngram_mask(ids, ngram_size, logits.shape[-1]), -math.inf)


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    if temperature in (0.0, 1.0):  # 0 = greedy: the distribution is not reshaped, argmax decides
        return logits
    return logits / temperature


def apply_top_k(logits: torch.Tensor, top_k: int) -> torch.Tensor:
    """Keep the k highest logits (ties with the k-th are kept, as in transformers)."""
    if top_k <= 0:
        return logits
    k = min(top_k, logits.shape[-1])
    kth = torch.topk(logits, k)[0][..., -1, None]
    return logits.masked_fill(logits < kth, -math.inf)


def apply_top_p(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """Keep the smallest set of most likely tokens whose probability reaches top_p (at least one)."""
    if top_p >= 1.0:
        return logits
    survivors = int(torch.isfinite(logits).sum(dim=-1).max())
    if survivors <= TOP_P_SUBSET and survivors < logits.shape[-1]:
        # After top-k only a few logits are finite: sort just those (-inf ones carry no probability and
        # sort first in the full version, so the cut is the same) instead of the whole vocabulary.
        values, idx = torch.topk(logits, survivors, dim=-1)
        values, idx = values.flip(-1), idx.flip(-1)  # ascending, like the full sort
        remove_sorted = values.softmax(dim=-1).cumsum(dim=-1) <= (1 - top_p)
        remove_sorted[..., -1:] = False
        return logits.scatter(1, idx, values.masked_fill(remove_sorted, -math.inf))
    sorted_logits, sorted_idx = torch.sort(logits, descending=False)
    cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    remove_sorted = cumulative <= (1 - top_p)
    remove_sorted[..., -1:] = False
    remove = remove_sorted.scatter(1, sorted_idx, remove_sorted)
    return logits.masked_fill(remove, -math.inf)


def _exempt(before: torch.Tensor, after: torch.Tensor, protected: torch.Tensor | None) -> torch.Tensor:
    """Give the protected tokens back the logits they had before a stage."""
    if protected is None or protected.numel() == 0 or after is before:
        return after
    out = after.clone()
    out[:, protected] = before[:, protected]
    return out


@dataclass(frozen=True)
class SamplerStages:
    """Every stage of one next-token distribution. Tensors are (B,V) float32 logits; `probs` is final."""

    raw: torch.Tensor
    repetition_penalty: torch.Tensor
    no_repeat_ngram: torch.Tensor
    temperature: torch.Tensor
    top_k: torch.Tensor
    top_p: torch.Tensor
    probs: torch.Tensor
    greedy: bool

    def logits(self, stage: str) -> torch.Tensor:
        if stage not in STAGES:
            raise KeyError(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}")
        return getattr(self, stage)

    def stage_probs(self, stage: str) -> torch.Tensor:
        """Softmax of one stage's logits (removed tokens get 0)."""
        return torch.softmax(self.logits(stage), dim=-1)


def run_pipeline(
    input_ids: torch.Tensor,
    raw_logits: torch.Tensor,
    params: SamplingParams,
    protected_ids: Sequence[int] | torch.Tensor = (),
) -> SamplerStages:
    """All sampler stages for the next token after `input_ids` ((T,) or (B,T)), from `raw_logits` ((V,) or (B,V))."""
    ids = input_ids if input_ids.dim() == 2 else input_ids.unsqueeze(0)
    raw = raw_logits if raw_logits.dim() == 2 else raw_logits.unsqueeze(0)
    raw = raw.to(torch.float32)
    ids = ids.to(raw.device)
    protected = torch.as_tensor(list(protected_ids) if not isinstance(protected_ids, torch.Tensor) else protected_ids,
                                dtype=torch.long, device=raw.device)

    penalised = _exempt(raw, apply_repetition_penalty(ids, raw, params.repetition_penalty), protected)
    no_ngram = _exempt(penalised, apply_no_repeat_ngram(ids, penalised, params.no_repeat_ngram_size), protected)
    if params.greedy:
        # Greedy decoding: temperature, top-k and top-p do not apply; the final distribution is the argmax.
        probs = torch.zeros_like(no_ngram)
        probs.scatter_(1, no_ngram.argmax(dim=-1, keepdim=True), 1.0)
        return SamplerStages(raw, penalised, no_ngram, no_ngram, no_ngram, no_ngram, probs, greedy=True)
    tempered = apply_temperature(no_ngram, params.temperature)
    top_k = apply_top_k(tempered, params.top_k)
    top_p = apply_top_p(top_k, params.top_p)
    return SamplerStages(raw, penalised, no_ngram, tempered, top_k, top_p, torch.softmax(top_p, dim=-1), greedy=False)


def choose_token(stages: SamplerStages, generator: torch.Generator | None) -> torch.Tensor:
    """Pick the next token (B,): argmax when greedy, otherwise one draw from the final distribution.

    The draw is `torch.multinomial(probs, 1)` exactly as in transformers' `generate`, so the same seed
    gives the same token.
    """
    if stages.greedy:
        return stages.probs.argmax(dim=-1)
    return torch.multinomial(stages.probs, num_samples=1, generator=generator).squeeze(1)


def entropy_bits(probs: torch.Tensor) -> torch.Tensor:
    """Shannon entropy in bits along the last dimension (0 log 0 = 0)."""
    return torch.special.entr(probs).sum(dim=-1) / LOG2
