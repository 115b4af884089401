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
import functools
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
#
# A parameter is either one number for every row or a (B, 1) tensor with one value per row (a batch
# of requests with their own settings). Row values that switch a stage off (penalty 1, top-k 0,
# top-p 1, temperature 1) leave that row's logits exactly as they were.

RowValue = float | int | torch.Tensor


def _off(value: RowValue, off: float) -> bool:
    """Whether the stage is switched off for every row."""
    if isinstance(value, torch.Tensor):
        return bool((value == off).all())
    return value == off


def apply_repetition_penalty(ids: torch.Tensor, logits: torch.Tensor, penalty: RowValue) -> torch.Tensor:
    """Divide positive / multiply negative logits of every token present in `ids` (B,T) by `penalty`.

    Ids past the logits' vocabulary go to a spare column and are dropped, as in transformers (an
    embedding larger than lm_head). Repeated ids are harmless: each copy writes the same value.
    """
    if _off(penalty, 1.0) or ids.shape[-1] == 0:
        return logits
    vocab = logits.shape[-1]
    if int(ids.max()) < vocab:  # the usual case: no spare column needed, one copy fewer
        score = torch.gather(logits, 1, ids)
        score = torch.where(score < 0, score * penalty, score / penalty)
        return logits.scatter(1, ids, score)
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


def apply_temperature(logits: torch.Tensor, temperature: RowValue) -> torch.Tensor:
    """Divide by the temperature (a row with 0, greedy, or 1 is left as it is: argmax decides there)."""
    if isinstance(temperature, torch.Tensor):
        if _off(temperature, 1.0):
            return logits
        return logits / torch.where(temperature == 0.0, 1.0, temperature)
    if temperature in (0.0, 1.0):
        return logits
    return logits / temperature


def apply_top_k(logits: torch.Tensor, top_k: int | torch.Tensor) -> torch.Tensor:
    """Keep the k highest logits (ties with the k-th are kept, as in transformers); k 0 keeps all.

    `top_k` is one number or a (B,) tensor: one `topk` for the largest k, then each row's own k-th value.
    """
    return top_k_ranked(logits, top_k)[0]


Ranked = tuple[torch.Tensor, torch.Tensor]  # (values, ids) of each row's highest logits, largest first


def top_k_ranked(logits: torch.Tensor, top_k: int | torch.Tensor) -> tuple[torch.Tensor, Ranked | None]:
    """`apply_top_k`, and the ranking its `topk` made (None when it made none)."""
    vocab = logits.shape[-1]
    if not isinstance(top_k, torch.Tensor):
        if top_k <= 0:
            return logits, None
        ranked = torch.topk(logits, min(top_k, vocab))
        return logits.masked_fill(logits < ranked[0][..., -1, None], -math.inf), (ranked[0], ranked[1])
    k = top_k.to(device=logits.device, dtype=torch.long).clamp(max=vocab)
    active = k > 0
    if not bool(active.any()):
        return logits, None
    values, ids = torch.topk(logits, int(k.max()))  # each row's values, largest first
    kth = values.gather(1, (k.clamp(min=1) - 1)[:, None])
    kth = torch.where(active[:, None], kth, -math.inf)
    return logits.masked_fill(logits < kth, -math.inf), (values, ids)


def _top_p_removed(ascending: torch.Tensor, top_p: RowValue) -> torch.Tensor:
    """Which of the ascending-sorted logits top-p removes (never the most likely one).

    The probabilities are normalised by a sequential sum, so leading -inf entries (0 probability) do
    not change a single bit: a row gives the same cut alone, in a batch, sorted whole or in part.
    """
    shifted = (ascending - ascending[..., -1:]).exp()
    cumulative = (shifted / shifted.cumsum(dim=-1)[..., -1:]).cumsum(dim=-1)
    # 1 - p is taken in double precision, then rounded to float32, as transformers' `<= (1 - top_p)`
    # does; a row with p = 1 removes nothing.
    p = torch.as_tensor(top_p, dtype=torch.float64, device=ascending.device)
    threshold = torch.where(p < 1.0, 1.0 - p, -math.inf).to(cumulative.dtype)
    removed = cumulative <= threshold
    removed[..., -1:] = False
    return removed


def apply_top_p(logits: torch.Tensor, top_p: RowValue, ranked: Ranked | None = None) -> torch.Tensor:
    """Keep the smallest set of most likely tokens whose probability reaches top_p (at least one).

    `ranked`: the top-k stage's ranking of the logits before it (`top_k_ranked`); when it holds every
    token the top-k stage kept, those are sorted instead of the vocabulary (the same cut, bit for bit).
    """
    if bool((torch.as_tensor(top_p) >= 1.0).all()):
        return logits
    survivors = int((logits > -math.inf).sum(dim=-1).max())
    if ranked is not None and survivors <= ranked[1].shape[-1]:
        idx = ranked[1].flip(-1)  # ascending; the tokens top-k cut in a row are -inf and come first
        values = logits.gather(1, idx)
        return logits.scatter(1, idx, values.masked_fill(_top_p_removed(values, top_p), -math.inf))
    if survivors <= TOP_P_SUBSET and survivors < logits.shape[-1]:
        # After top-k only a few logits are finite: sort just those instead of the whole vocabulary.
        values, idx = torch.topk(logits, survivors, dim=-1)
        values, idx = values.flip(-1), idx.flip(-1)  # ascending, like the full sort
        return logits.scatter(1, idx, values.masked_fill(_top_p_removed(values, top_p), -math.inf))
    sorted_logits, sorted_idx = torch.sort(logits, descending=False)
    removed_sorted = _top_p_removed(sorted_logits, top_p)
    return logits.masked_fill(removed_sorted.scatter(1, sorted_idx, removed_sorted), -math.inf)


def _exempt(before: torch.Tensor, after: torch.Tensor, protected: torch.Tensor | None) -> torch.Tensor:
    """Give the protected tokens back the logits they had before a stage.

    `protected` is a 1-D tensor of ids (the same for every row) or a (B,V) bool mask (per row).
    """
    if protected is None or protected.numel() == 0 or after is before:
        return after
    # `after` is the stage's own new tensor, so it is changed in place.
    if protected.dtype == torch.bool:
        after[protected] = before[protected]
        return after
    after[:, protected] = before[:, protected]
    return after


@dataclass(frozen=True)
class SamplerStages:
    """Every stage of one next-token distribution per row. Tensors are (B,V) float32 logits; `probs` is final.

    `greedy_rows` says which rows decode greedily: their later stages equal `no_repeat_ngram` and
    their `probs` is the one-hot argmax.
    """

    raw: torch.Tensor
    repetition_penalty: torch.Tensor
    no_repeat_ngram: torch.Tensor
    temperature: torch.Tensor
    top_k: torch.Tensor
    top_p: torch.Tensor
    probs: torch.Tensor
    greedy_rows: tuple[bool, ...]

    @property
    def greedy(self) -> bool:
        """Every row decodes greedily."""
        return all(self.greedy_rows)

    @functools.cached_property
    def support(self) -> torch.Tensor:
        """(N, 2) the (row, token) pairs with a final probability above 0, row by row, tokens ascending."""
        return self.probs.nonzero()

    def final_entropy_bits(self) -> torch.Tensor:
        """(B,) entropy of each row's final distribution, summed over its support only."""
        rows, tokens = self.support[:, 0], self.support[:, 1]
        p = self.probs[rows, tokens]
        return -torch.zeros(self.probs.shape[0], dtype=p.dtype, device=p.device).index_add_(0, rows, p * p.log()) / LOG2

    def logits(self, stage: str) -> torch.Tensor:
        if stage not in STAGES:
            raise KeyError(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}")
        return getattr(self, stage)

    def stage_probs(self, stage: str) -> torch.Tensor:
        """Softmax of one stage's logits (removed tokens get 0)."""
        return torch.softmax(self.logits(stage), dim=-1)


@dataclass(frozen=True)
class RowParams:
    """The decoding parameters of a batch's rows as (B,1) tensors, so each stage is one call for all rows.

    A greedy row gets temperature 1, top-k 0 and top-p 1 (those stages leave it alone); its final
    distribution is the argmax.
    """

    temperature: torch.Tensor
    top_k: torch.Tensor  # (B,) long
    top_p: torch.Tensor
    repetition_penalty: torch.Tensor
    ngram_sizes: tuple[int, ...]
    greedy_rows: tuple[bool, ...]

    @classmethod
    def of(cls, params: Sequence[SamplingParams], device: torch.device | str) -> "RowParams":
        greedy = tuple(p.greedy for p in params)

        def column(values: list[float]) -> torch.Tensor:
            return torch.tensor(values, dtype=torch.float32, device=device)[:, None]

        return cls(
            temperature=column([1.0 if g else p.temperature for p, g in zip(params, greedy)]),
            top_k=torch.tensor([0 if g else p.top_k for p, g in zip(params, greedy)], dtype=torch.long, device=device),
            top_p=torch.tensor([1.0 if g else p.top_p for p, g in zip(params, greedy)], dtype=torch.float64,
                               device=device)[:, None],
            repetition_penalty=column([p.repetition_penalty for p in params]),
            ngram_sizes=tuple(p.no_repeat_ngram_size for p in params),
            greedy_rows=greedy,
        )


def _padded_ids(rows: Sequence[torch.Tensor], device: torch.device) -> torch.Tensor:
    """(B, longest) ids, shorter rows left-padded with their own first id (a repeat the penalty ignores)."""
    flat = [r.reshape(-1).to(device) for r in rows]
    longest = max(r.shape[0] for r in flat)
    if all(r.shape[0] == longest for r in flat):
        return torch.stack(flat)
    return torch.stack([torch.cat([r[:1].expand(longest - r.shape[0]), r]) if r.shape[0] else r for r in flat])


def banned_ngram_ids(ids: torch.Tensor, ngram_size: int, vocab: int) -> torch.Tensor:
    """The distinct tokens that would complete an n-gram already present in `ids` (T,): those
    `banned_ngram_mask` marks, as a list of ids."""
    length = ids.shape[-1]
    if ngram_size <= 0 or length < ngram_size:
        return ids.new_zeros(0)
    windows = ids.unfold(dimension=0, size=ngram_size, step=1)
    matches = (windows[:, :-1] == ids[length + 1 - ngram_size:]).all(dim=-1)
    banned = windows[matches, -1]
    return banned[banned < vocab].unique()


def _ngram_bans(rows: Sequence[torch.Tensor], sizes: Sequence[int], vocab: int) -> tuple[torch.Tensor, torch.Tensor] | None:
    """(row indices, token ids) of each row's n-gram bans over its own ids (rows differ in length
    and n); None when nothing is banned in any row (the stage is then the identity)."""
    if all(n <= 0 for n in sizes):
        return None
    banned = [banned_ngram_ids(r.reshape(-1), n, vocab) for r, n in zip(rows, sizes)]
    if not any(b.numel() for b in banned):
        return None
    row_index = torch.cat([torch.full((b.numel(),), i, dtype=torch.long, device=b.device) for i, b in enumerate(banned)])
    return row_index, torch.cat(banned)


def _protected_tensor(protected: object, rows: int, vocab: int, device: torch.device) -> torch.Tensor:
    """Ids for every row (a sequence of ints or a 1-D tensor), or a (B,V) mask from one id list per row."""
    if isinstance(protected, torch.Tensor):
        return protected.to(device=device, dtype=torch.long)
    items = list(protected)  # type: ignore[call-overload]
    if items and not isinstance(items[0], int):  # one list per row
        if all(tuple(r) == tuple(items[0]) for r in items):
            return torch.as_tensor(list(items[0]), dtype=torch.long, device=device)
        mask = torch.zeros(rows, vocab, dtype=torch.bool, device=device)
        for i, row in enumerate(items):
            mask[i, [t for t in row if t < vocab]] = True
        return mask
    return torch.as_tensor(items, dtype=torch.long, device=device)


def run_pipeline(
    input_ids: torch.Tensor | Sequence[torch.Tensor],
    raw_logits: torch.Tensor,
    params: SamplingParams | Sequence[SamplingParams],
    protected_ids: Sequence[int] | torch.Tensor | Sequence[Sequence[int]] = (),
) -> SamplerStages:
    """All sampler stages for the next token of each row, in one call for the whole batch.

    `input_ids`: (T,) or (B,T), or one tensor per row when the rows differ in length; `raw_logits`:
    (V,) or (B,V); `params`: one for every row or one per row; `protected_ids`: ids for every row or
    one list per row. Each row's result is bit for bit what that row gives alone.
    """
    raw = raw_logits if raw_logits.dim() == 2 else raw_logits.unsqueeze(0)
    raw = raw.to(torch.float32)
    batch, vocab = raw.shape
    if isinstance(input_ids, torch.Tensor):
        rows = list(input_ids if input_ids.dim() == 2 else input_ids.unsqueeze(0))
    else:
        rows = list(input_ids)
    per_row = [params] * batch if isinstance(params, SamplingParams) else list(params)
    if len(rows) != batch or len(per_row) != batch:
        raise ValueError(f"{batch} rows of logits, {len(rows)} of ids and {len(per_row)} of parameters")
    rp = RowParams.of(per_row, raw.device)
    protected = _protected_tensor(protected_ids, batch, vocab, raw.device)

    penalised = _exempt(raw, apply_repetition_penalty(_padded_ids(rows, raw.device), raw,
                                                      rp.repetition_penalty), protected)
    bans = _ngram_bans(rows, rp.ngram_sizes, vocab)
    if bans is None:
        no_ngram = penalised
    else:
        no_ngram = penalised.clone()
        no_ngram[bans] = -math.inf
        no_ngram = _exempt(penalised, no_ngram, protected)
    if all(rp.greedy_rows):
        # Greedy decoding: temperature, top-k and top-p do not apply; the final distribution is the argmax.
        return SamplerStages(raw, penalised, no_ngram, no_ngram, no_ngram, no_ngram, _one_hot_argmax(no_ngram),
                             greedy_rows=rp.greedy_rows)
    tempered = apply_temperature(no_ngram, rp.temperature)
    top_k, ranked = top_k_ranked(tempered, rp.top_k)
    top_p = apply_top_p(top_k, rp.top_p, ranked)
    probs = torch.softmax(top_p, dim=-1)
    if any(rp.greedy_rows):
        greedy = torch.tensor(rp.greedy_rows, device=raw.device)[:, None]
        probs = torch.where(greedy, _one_hot_argmax(no_ngram), probs)
    return SamplerStages(raw, penalised, no_ngram, tempered, top_k, top_p, probs, greedy_rows=rp.greedy_rows)


def _one_hot_argmax(logits: torch.Tensor) -> torch.Tensor:
    probs = torch.zeros_like(logits)
    return probs.scatter_(1, logits.argmax(dim=-1, keepdim=True), 1.0)


MATH_LOG_SUPPORT = 4096  # up to this many candidate tokens, log1p is taken by the C library one by one


def draw_rows(probs: torch.Tensor, generators: Sequence[torch.Generator | None],
              support: torch.Tensor | None = None) -> list[int]:
    """One draw from each row of `probs` (B,V): the token `torch.multinomial(probs[i], 1,
    generator=generators[i])` gives, leaving each generator in the same state, at a fraction of its cost.

    `multinomial` with one sample draws q ~ Exp(1) for every token (one uniform double each, then
    -log1p(-u) rounded to float32) and takes the first argmax of p / q. Here the same uniforms are
    drawn (the same use of each generator), but the exponential and the ratio are formed only where
    p > 0 (`support`, the (row, token) pairs, if already known): elsewhere the ratio is 0 and cannot
    win. One case differs, with probability 2**-53 per token: a uniform of exactly 0 at a token of
    probability 0, where multinomial divides 0 by 0 and returns that impossible token.
    """
    rows, vocab = probs.shape
    uniform = torch.empty(rows, vocab, dtype=torch.float64, device=probs.device)
    for row, generator in enumerate(generators):
        uniform[row].uniform_(generator=generator)
    where = probs.nonzero() if support is None else support  # (N, 2), row by row, columns ascending
    row_of, column = where[:, 0], where[:, 1]
    counts = torch.bincount(row_of, minlength=rows)
    u = uniform[row_of, column]
    q = (-torch.log1p(-u)).to(torch.float32)
    small = (counts <= MATH_LOG_SUPPORT)[row_of]  # rows with few candidates: the C library's log1p,
    picked = u[small].tolist()  # the very function the exponential kernel calls, value by value
    q[small] = torch.tensor([-math.log1p(-x) for x in picked], dtype=torch.float64).to(q.device, torch.float32)
    # q = 0 (a uniform of exactly 0) gives p / 0 = inf, which wins, as in multinomial.
    ratio = (probs[row_of, column] / q).tolist()
    columns = column.tolist()
    chosen, start = [], 0
    for count in counts.tolist():
        segment = ratio[start: start + count]
        chosen.append(columns[start + segment.index(max(segment))])  # the first maximum, as argmax
        start += count
    return chosen


def choose_token(stages: SamplerStages,
                 generator: torch.Generator | None | Sequence[torch.Generator | None]) -> torch.Tensor:
    """Pick the next token of every row (B,): argmax when greedy, otherwise one draw from the final
    distribution with that row's generator (one generator, or one per row).

    The draw is the one `torch.multinomial(probs, 1)` makes in transformers' `generate` (`draw_rows`),
    so the same seed gives the same token.
    """
    generators = list(generator) if isinstance(generator, Sequence) else [generator] * len(stages.greedy_rows)
    tokens = stages.probs.argmax(dim=-1)
    if stages.greedy:
        return tokens
    if not any(stages.greedy_rows):
        return torch.tensor(draw_rows(stages.probs, generators, stages.support), dtype=tokens.dtype,
                            device=tokens.device)
    sampled = [i for i, greedy in enumerate(stages.greedy_rows) if not greedy]
    index = torch.tensor(sampled, device=tokens.device)
    drawn = draw_rows(stages.probs.index_select(0, index), [generators[i] for i in sampled])
    return tokens.index_copy(0, index, torch.tensor(drawn, dtype=tokens.dtype, device=tokens.device))


def entropy_bits(probs: torch.Tensor) -> torch.Tensor:
    """Shannon entropy in bits along the last dimension (0 log 0 = 0)."""
    # The same terms as torch.special.entr's, with the vectorised log (entr is a scalar loop); zeros
    # take log(1) = 0, since log(0) is a slow path and 0 * -inf is not 0.
    terms = probs * torch.where(probs > 0, probs, 1.0).log()
    return -terms.sum(dim=-1) / LOG2
