"""The Parameter Explorer's engine: one next-token distribution, every sampler stage as a table, and text metrics.

Nothing here recomputes a stage: every probability, removed flag and figure is read from
`mirror.engine.sampling.run_pipeline`'s `SamplerStages`, so the charts show exactly what the sampler uses.
The raw logits come from one forward pass (`next_token_logits`); the UI caches them, so moving a
slider only reruns the cheap stages. No Streamlit here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import torch

from mirror.engine import forward
from mirror.engine.generation import Generation
from mirror.engine.request import FinishReason
from mirror.engine.sampling import STAGES, SamplerStages, SamplingParams, choose_token, entropy_bits, run_pipeline
from mirror.i18n import t
from mirror.models import LoadedModel
from mirror.services.prompts import TextPrompt
from mirror.services.scoring import score_ids
from mirror.text import visible_whitespace

TOP_N_RANGE = (20, 50)
TEMPERATURES: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(1, 21))  # 0.1 .. 2.0
REPEAT_N = 4  # seq-rep-4 (Welleck et al., 2019): the share of 4-grams that already occurred


def stage_title(stage: str) -> str:
    """A sampler stage's title as the charts show it, in the current language ("After top-k")."""
    return t(f"explorer.stage.{stage}")


# --- the prompt and its one forward pass -------------------------------------------------------------


def next_token_logits(lm: LoadedModel, ids: Sequence[int]) -> torch.Tensor:
    """The raw next-token logits (V,) float32 on the CPU after `ids`: one forward pass on the owner thread."""
    if len(ids) == 0:
        raise ValueError(t("explorer.error.empty_prompt"))

    def one_pass() -> torch.Tensor:
        with torch.inference_mode():
            inputs = torch.tensor([list(ids)], dtype=torch.long, device=lm.device)
            logits, _ = forward.next_logits(lm.model, inputs, keep_cache=False)
            return logits[0].to(device="cpu")

    # Cloned outside inference mode, so later (non-inference) code may use the tensor freely.
    return lm.run(one_pass).clone()


def pipeline(ids: Sequence[int], raw: torch.Tensor, params: SamplingParams,
             protected: Sequence[int] = ()) -> SamplerStages:
    """The sampler's stages for the next token: `run_pipeline`, on CPU tensors."""
    return run_pipeline(torch.tensor(list(ids), dtype=torch.long), raw, params, protected)


def draw(stages: SamplerStages, seed: int) -> int:
    """The token the sampler draws with a fresh generator seeded `seed` (as `Generation`'s first step does)."""
    return int(choose_token(stages, torch.Generator().manual_seed(seed))[0])


# --- the stage table -----------------------------------------------------------------------------------


def candidate_order(stages: SamplerStages) -> torch.Tensor:
    """All token ids in the order top-k and top-p see them: by the logits after the penalties, best first.

    Temperature keeps this order, so the tokens top-k and top-p keep are always a prefix of it, which
    is what lets the chart draw each cut-off as one line.
    """
    key = stages.no_repeat_ngram[0]
    # Stable sort: ties keep the raw model's order.
    by_raw = torch.argsort(stages.raw[0], descending=True, stable=True)
    return by_raw[torch.argsort(key[by_raw], descending=True, stable=True)]


def top_token_ids(stages: SamplerStages, top_n: int) -> list[int]:
    """The `top_n` most likely tokens under the raw model, listed in candidate order."""
    top_n = min(top_n, stages.raw.shape[-1])
    chosen = set(torch.topk(stages.raw[0], top_n).indices.tolist())
    return [i for i in candidate_order(stages).tolist() if i in chosen]


def stage_table(stages: SamplerStages, token_ids: Sequence[int], token_texts: Sequence[str]) -> pd.DataFrame:
    """One row per (stage, token): the tidy data behind the charts, read straight from `stages`.

    Columns: stage, stage_title, rank (1 = first in candidate order), token_id, token (whitespace
    made visible), logit, prob (this stage's softmax), prob_before (previous stage), removed (the
    stage's logit is -inf), status ('kept', 'removed here', 'removed earlier').
    """
    if len(token_ids) != len(token_texts):
        raise ValueError("token_ids and token_texts must have the same length")
    index = torch.tensor(list(token_ids), dtype=torch.long)
    rows: list[pd.DataFrame] = []
    previous_probs: torch.Tensor | None = None
    previous_removed: torch.Tensor | None = None
    for stage in STAGES:
        logits = stages.logits(stage)[0, index]
        probs = stages.stage_probs(stage)[0, index]
        removed = torch.isinf(logits) & (logits < 0)
        before = probs if previous_probs is None else previous_probs
        was_removed = torch.zeros_like(removed) if previous_removed is None else previous_removed
        status = ["removed earlier" if w else "removed here" if r else "kept"
                  for r, w in zip(removed.tolist(), was_removed.tolist())]
        rows.append(pd.DataFrame({
            "stage": stage,
            "stage_title": stage_title(stage),
            "rank": range(1, len(index) + 1),
            "token_id": index.tolist(),
            "token": [visible_whitespace(t) for t in token_texts],
            "logit": logits.tolist(),
            "prob": probs.tolist(),
            "prob_before": before.tolist(),
            "removed": removed.tolist(),
            "status": status,
        }))
        previous_probs, previous_removed = probs, removed
    return pd.concat(rows, ignore_index=True)


def cutoff_rank(table: pd.DataFrame, stage: str) -> int | None:
    """The rank of the last kept token in a stage, when the stage itself removes some shown tokens after it.

    Tokens banned earlier (n-gram) sort last and are not this stage's cut, so they do not count.
    """
    rows = table[table["stage"] == stage]
    kept = rows.loc[~rows["removed"], "rank"]
    if kept.empty or not (rows["status"] == "removed here").any():
        return None
    return int(kept.max())


# --- figures ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    vocab: int
    greedy: bool
    entropy_raw: float  # bits, raw model distribution
    entropy_final: float  # bits, the distribution the token is drawn from
    survivors_top_k: int  # tokens with a finite logit after top-k
    survivors_top_p: int  # ... after top-p
    mass_kept_top_k: float  # share of the temperature-stage probability that top-k keeps
    mass_kept: float  # ... that top-k and top-p together keep
    chosen_id: int
    chosen_prob: float  # under the final distribution
    chosen_raw_prob: float


def figures(stages: SamplerStages, chosen_id: int) -> Figures:
    """The numbers beside the charts, all read from `stages` (greedy: `probs` is the one-hot argmax)."""
    tempered = stages.stage_probs("temperature")[0]
    after_k = torch.isfinite(stages.top_k[0])
    after_p = torch.isfinite(stages.top_p[0])
    raw_probs = stages.stage_probs("raw")[0]
    return Figures(
        vocab=int(stages.raw.shape[-1]),
        greedy=stages.greedy,
        entropy_raw=float(entropy_bits(raw_probs)),
        entropy_final=float(entropy_bits(stages.probs[0])),
        survivors_top_k=int(after_k.sum()),
        survivors_top_p=int(after_p.sum()),
        mass_kept_top_k=float(tempered[after_k].sum()),
        mass_kept=float(tempered[after_p].sum()),
        chosen_id=chosen_id,
        chosen_prob=float(stages.probs[0, chosen_id]),
        chosen_raw_prob=float(raw_probs[chosen_id]),
    )


def temperature_curve(ids: Sequence[int], raw: torch.Tensor, params: SamplingParams, protected: Sequence[int] = (),
                      temperatures: Sequence[float] = TEMPERATURES) -> pd.DataFrame:
    """Entropy (bits) and top-1 probability per temperature, from the same raw logits and the other settings.

    'full' is the temperature stage (the whole distribution); 'final' is after top-k and top-p.
    """
    rows = []
    for temperature in temperatures:
        stages = pipeline(ids, raw, params.replace(temperature=float(temperature)), protected)
        full = stages.stage_probs("temperature")[0]
        final = stages.probs[0]
        rows.append({"temperature": float(temperature), "entropy_full": float(entropy_bits(full)),
                     "top1_full": float(full.max()), "entropy_final": float(entropy_bits(final)),
                     "top1_final": float(final.max())})
    return pd.DataFrame(rows)


# --- text metrics ---------------------------------------------------------------------------------------


def ngrams(tokens: Sequence[Any], n: int) -> list[tuple[Any, ...]]:
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(tokens: Sequence[Any], n: int) -> float:
    """Distinct n-grams / all n-grams (Li et al., 2016); NaN when the text has no n-gram."""
    grams = ngrams(tokens, n)
    return len(set(grams)) / len(grams) if grams else math.nan


def repeated_ngram_rate(tokens: Sequence[Any], n: int = REPEAT_N) -> float:
    """The share of n-grams that already occurred earlier in the text; NaN when there is none."""
    grams = ngrams(tokens, n)
    if not grams:
        return math.nan
    seen: set[tuple[Any, ...]] = set()
    repeats = 0
    for gram in grams:
        repeats += gram in seen
        seen.add(gram)
    return repeats / len(grams)


@dataclass(frozen=True)
class TextMetrics:
    tokens: int
    distinct_1: float
    distinct_2: float
    repeated_ngram_rate: float
    mean_logprob: float  # natural log, per token, under the raw model given the prompt
    perplexity: float

    def to_dict(self) -> dict[str, float | int]:
        return dict(self.__dict__)


def continuation_logprobs(lm: LoadedModel, prompt_ids: Sequence[int], new_ids: Sequence[int]) -> list[float]:
    """Log-probabilities of `new_ids` after `prompt_ids` under the raw model (no sampler), via `score_ids`."""
    if not new_ids:
        return []
    score = score_ids(lm, list(prompt_ids) + list(new_ids), top=1)
    # score_ids may leave the very first token unscored; the continuation's tokens are the last ones.
    return [t.logprob for t in score.tokens[-len(new_ids):]]


def text_metrics(new_ids: Sequence[int], logprobs: Sequence[float]) -> TextMetrics:
    mean = sum(logprobs) / len(logprobs) if logprobs else math.nan
    return TextMetrics(
        tokens=len(new_ids), distinct_1=distinct_n(new_ids, 1), distinct_2=distinct_n(new_ids, 2),
        repeated_ngram_rate=repeated_ngram_rate(new_ids), mean_logprob=mean,
        perplexity=math.exp(-mean) if logprobs else math.nan,
    )


def measure(lm: LoadedModel, prompt_ids: Sequence[int], new_ids: Sequence[int]) -> TextMetrics:
    return text_metrics(new_ids, continuation_logprobs(lm, prompt_ids, new_ids))


# --- grid run ---------------------------------------------------------------------------------------------


def grid_run(lm: LoadedModel, prompt: TextPrompt, settings: Mapping[str, SamplingParams], seeds: Sequence[int],
             on_progress: Callable[[int, int, str, int], None] | None = None) -> pd.DataFrame:
    """Generate once per (setting, seed) and measure each text; one row per run."""
    if not settings or not seeds:
        raise ValueError(t("explorer.error.no_settings"))
    total, rows = len(settings) * len(seeds), []
    # All runs are handed to the scheduler at once, so they are written together in batches.
    runs = [(name, int(seed), Generation(lm, prompt.ids, params.replace(seed=int(seed)),
                                         stop_strings=prompt.stop_strings).start())
            for name, params in settings.items() for seed in seeds]
    try:
        for done, (name, seed, run) in enumerate(runs, start=1):
            result = run.run_to_end()
            metrics = measure(lm, run.prompt_ids, result.token_ids)
            rows.append({"setting": name, "seed": seed, **metrics.to_dict(),
                         "finish": result.finish_reason, "text": result.text})
            if on_progress is not None:
                on_progress(done, total, name, seed)
    finally:
        for _, _, run in runs:
            run.cancel()  # a grid stopped half-way (the page's stop button) frees the model at once
    return pd.DataFrame(rows)


def summarise_grid(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean of every metric per setting (and the spread of distinct-2 across seeds)."""
    metrics = ["tokens", "distinct_1", "distinct_2", "repeated_ngram_rate", "mean_logprob", "perplexity"]
    summary = runs.groupby("setting", sort=False)[metrics].mean()
    summary["distinct_2_std"] = runs.groupby("setting", sort=False)["distinct_2"].std()
    summary.insert(0, "runs", runs.groupby("setting", sort=False).size())
    return summary.reset_index()


# --- be the sampler -----------------------------------------------------------------------------------


@dataclass
class Walk:
    """A step-through generation: the user or the sampler adds one token at a time; undo goes back.

    The sampler's draws share one generator seeded once, as in `Generation`; a token the user picks
    leaves the generator untouched. The generator state before each step is kept, so undo is exact.
    """

    prompt_ids: tuple[int, ...]
    seed: int
    new_ids: list[int] = field(default_factory=list)
    picked_by: list[str] = field(default_factory=list)  # "you" or "sampler", per token
    states: list[torch.Tensor] = field(default_factory=list)  # generator state before each step
    state: torch.Tensor = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.state is None:
            self.state = torch.Generator().manual_seed(self.seed).get_state()

    @property
    def ids(self) -> list[int]:
        return [*self.prompt_ids, *self.new_ids]

    def add(self, token_id: int, by: str, state_after: torch.Tensor | None = None) -> None:
        self.states.append(self.state)
        self.new_ids.append(int(token_id))
        self.picked_by.append(by)
        if state_after is not None:
            self.state = state_after

    def pick(self, token_id: int) -> None:
        self.add(token_id, "you")

    def draw(self, stages: SamplerStages) -> int:
        generator = torch.Generator()
        generator.set_state(self.state)
        token = int(choose_token(stages, generator)[0])
        self.add(token, "sampler", generator.get_state())
        return token

    def undo(self) -> None:
        if self.new_ids:
            self.new_ids.pop()
            self.picked_by.pop()
            self.state = self.states.pop()

    def finish_reason(self, end_ids: Sequence[int], max_new_tokens: int, context: int) -> FinishReason | None:
        if self.new_ids and self.new_ids[-1] in end_ids:
            return FinishReason.EOS
        if len(self.new_ids) >= max_new_tokens:
            return FinishReason.LENGTH
        if len(self.prompt_ids) + len(self.new_ids) >= context:
            return FinishReason.CONTEXT
        return None
