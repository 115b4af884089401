"""The streaming generation loop: one `Step` per token, with the sampler's own numbers.

All per-request state (ids, KV cache, random generator, stop flag, text already shown) lives in one
`Generation` object, so that a scheduler can later step many of them in one batched forward. Each
step runs on the model's owner thread (`ModelHandle.run`). The text shown is decided in
`engine.detokenize`; the logits come from `engine.forward`.
"""

from __future__ import annotations

import queue
import secrets
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from mirror.engine import forward
from mirror.engine.detokenize import VisibleText, tokenizer_bytes_reader
from mirror.engine.protocols import ModelHandle
from mirror.engine.request import FinishReason, Outbox, OutboxClosed
from mirror.engine.sampling import LOG2, SamplingParams, SamplerStages, choose_token, run_pipeline

TOP_ALTERNATIVES = 10


@dataclass(frozen=True)
class Alternative:
    token_id: int
    token: str
    prob: float  # under the final sampler distribution
    raw_prob: float  # under the raw model distribution


@dataclass(frozen=True)
class Step:
    index: int  # 0-based position among the new tokens
    token_id: int
    token: str  # the token decoded alone (may be a partial character)
    text: str  # text this step makes visible; all steps' texts join to the final text
    prob: float  # probability of the chosen token under the final sampler distribution
    raw_prob: float  # ... and under the raw model distribution
    rank: int  # 1-based rank of the chosen token under the raw distribution
    entropy: float  # entropy of the raw distribution, bits
    sampler_entropy: float  # entropy of the final distribution, bits
    alternatives: tuple[Alternative, ...]  # top tokens by raw probability
    elapsed: float  # seconds since the generation started
    seconds: float  # seconds this step took
    unfinished_bytes: int = 0  # bytes of a character not finished yet after this step, held back from `text`

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "token_id": self.token_id, "token": self.token, "text": self.text,
            "prob": self.prob, "raw_prob": self.raw_prob, "rank": self.rank, "entropy": self.entropy,
            "sampler_entropy": self.sampler_entropy, "elapsed": self.elapsed, "seconds": self.seconds,
            "alternatives": [a.__dict__ for a in self.alternatives],
        }


@dataclass
class GenerationResult:
    text: str
    token_ids: list[int]
    finish_reason: FinishReason
    prompt_tokens: int
    dropped_prompt_tokens: int
    seed: int
    params: SamplingParams
    seconds: float
    time_to_first_token: float | None
    queued_seconds: float = 0.0  # waiting for a place in the scheduler's batch
    reused_prompt_tokens: int = 0  # prompt tokens not prefilled: their keys and values were kept from earlier
    dropped_bytes: int = 0  # bytes of an unfinished character the reply ended in, left out of `text`

    @property
    def new_tokens(self) -> int:
        return len(self.token_ids)

    @property
    def tokens_per_second(self) -> float:
        return self.new_tokens / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text, "token_ids": self.token_ids, "finish_reason": self.finish_reason,
            "prompt_tokens": self.prompt_tokens, "dropped_prompt_tokens": self.dropped_prompt_tokens,
            "new_tokens": self.new_tokens, "seed": self.seed, "params": self.params.to_dict(),
            "seconds": self.seconds, "tokens_per_second": self.tokens_per_second,
            "time_to_first_token": self.time_to_first_token, "queued_seconds": self.queued_seconds,
            "reused_prompt_tokens": self.reused_prompt_tokens,
            "dropped_bytes": self.dropped_bytes,
        }


def prompt_budget(context: int, max_new_tokens: int) -> int:
    """The most prompt tokens a request may keep: room is left for the reply, but the prompt keeps
    at least half the context window, so a huge max_new_tokens cannot erase it."""
    return max(context - max_new_tokens, context // 2, 1)


def fit_prompt(prompt_ids: Sequence[int], context: int, max_new_tokens: int) -> tuple[list[int], int]:
    """Cut a prompt from the left to `prompt_budget`; return (ids, tokens dropped)."""
    dropped = max(0, len(prompt_ids) - prompt_budget(context, max_new_tokens))
    return list(prompt_ids[dropped:]), dropped


class Generation:
    """One request: iterate it to get `Step`s; `cancel()` from any thread stops it within one step."""

    def __init__(self, lm: ModelHandle, prompt_ids: Sequence[int], params: SamplingParams,
                 stop_strings: Sequence[str] = (), protect_end_tokens: bool = True,
                 alternatives: int = TOP_ALTERNATIVES):
        if len(prompt_ids) == 0:
            raise ValueError("the prompt is empty: give at least one token")
        self.lm = lm
        self.params = params
        self.context = lm.context_length
        ids, self.dropped_prompt_tokens = fit_prompt(prompt_ids, self.context, params.max_new_tokens)
        self.prompt_ids = ids
        self.seed = params.seed if params.seed is not None else secrets.randbelow(2**31)
        self.generator = torch.Generator(device=lm.device).manual_seed(self.seed)
        self.protected = lm.end_ids if protect_end_tokens else ()
        self.alternatives = alternatives
        self._ids = torch.tensor([ids], dtype=torch.long, device=lm.device)
        self._new: list[int] = []
        self._special_ids: set[int] | None = None  # learnt on the owner thread at the first step, ...
        self._read_bytes: Callable[[str], bytes | None] | None = None  # ... with how to read a token's bytes
        self._bytes: bytearray | None = None  # the new tokens' bytes (special ones left out, as in the text)
        self._unfinished: list[int] = []  # per step: bytes of an unfinished character at the end of the text
        self.cache: Any = None  # the KV cache (or the model's sequence handle) while this request runs alone
        self._cached = 0  # tokens of `_ids` already in `cache`
        self.reused_prompt_tokens = 0  # prompt tokens whose keys and values came from a prefix cache
        self._text = VisibleText(tuple(s for s in stop_strings if s))
        self._cancel = threading.Event()
        self._started: float | None = None
        self._submitted_at: float | None = None  # when the request joined its scheduler's queue
        self.outbox: Outbox | None = None  # steps from the scheduler to the reading thread (made by start)
        self._read_steps = 0  # steps the reading thread has taken from the outbox ...
        self._read_text = ""  # ... and the text they made visible
        self._first_token_at: float | None = None
        self._finished_at: float | None = None
        self.finish_reason: FinishReason | None = None

    # --- control -----------------------------------------------------------------------------------

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def finished(self) -> bool:
        return self.finish_reason is not None

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def ids(self) -> torch.Tensor:
        """(1, n) the prompt and the tokens written so far."""
        return self._ids

    def replies_running(self) -> int:
        return self.lm.scheduler.running

    def __iter__(self) -> Iterator[Step]:
        return self.stream()

    def stream(self, on_wait: Callable[[int], None] | None = None, poll: float = 0.25) -> Iterator[Step]:
        """Steps as the model's scheduler produces them (batched with other sessions' requests).

        While the request waits for a free place in the batch, `on_wait(place in the queue)` is called
        every `poll` seconds. Leaving the loop early (break, an exception, Streamlit stopping the
        script) cancels the request, so it stops holding a place in the batch.
        """
        scheduler = self.lm.scheduler
        outbox = self.start().outbox
        try:
            while True:
                try:
                    item = outbox.get(timeout=poll)
                except queue.Empty:
                    place = scheduler.place_in_queue(self)
                    if on_wait is not None and place is not None:
                        on_wait(place)
                    continue
                except OutboxClosed:
                    return
                if self._cancel.is_set():
                    continue  # computed before the scheduler saw the cancel: neither shown nor kept
                self._read_steps += 1
                self._read_text += item.text
                yield item
        finally:
            if not self.finished:
                self.cancel()

    def start(self) -> "Generation":
        """Hand the request to the model's scheduler now (iterating does it too); steps wait in its outbox."""
        if self.outbox is None:
            self.outbox = Outbox()
            self._submitted_at = time.perf_counter()
            self.lm.scheduler.add_request(self)
        return self

    def run_to_end(self) -> "GenerationResult":
        for _ in self:
            pass
        return self.result()

    def result(self) -> GenerationResult:
        end = self._finished_at or time.perf_counter()
        start = self._started or end
        # The time to first token counts from the request, queue included: it is what the user waited.
        asked = self._submitted_at or start
        text, ids, reason = self._text.shown, list(self._new), self.finish_reason or FinishReason.RUNNING
        if self._cancel.is_set() and self.outbox is not None and self._read_steps < len(ids):
            # The scheduler runs ahead of a slow reader; a cancelled request keeps what its reader saw.
            text, ids, reason = self._read_text, ids[: self._read_steps], FinishReason.CANCELLED
        unfinished = self._unfinished[: len(ids)]  # the bytes held back at the end of that text
        return GenerationResult(
            text=text, token_ids=ids, finish_reason=reason,
            prompt_tokens=len(self.prompt_ids), dropped_prompt_tokens=self.dropped_prompt_tokens, seed=self.seed,
            params=self.params, seconds=end - start,
            time_to_first_token=None if self._first_token_at is None else self._first_token_at - asked,
            queued_seconds=max(0.0, start - asked), reused_prompt_tokens=self.reused_prompt_tokens,
            dropped_bytes=unfinished[-1] if unfinished else 0,
        )

    # --- the scheduler's side (owner thread) -------------------------------------------------------

    def deliver(self, step: Step) -> None:
        """Hand a step to the reading thread."""
        self.outbox.put(step)

    def end(self, reason: FinishReason = FinishReason.CANCELLED) -> None:
        """End the request (with `reason` unless it has finished already) and close its outbox."""
        if not self.finished:
            self._finish(reason)
        self.outbox.close()

    def fail(self, error: BaseException) -> None:
        """End the request with an error: its reader raises it, then its stream ends."""
        if not self.finished:
            self._finish(FinishReason.ERROR)
        self.outbox.fail(error)

    def start_from(self, cache: Any, tokens: int) -> None:
        """Begin from a cache that already holds the first `tokens` prompt tokens (a kept prefix): the
        prefill then computes only the rest. Call before the first step."""
        if self._started is not None or not 0 < tokens < len(self.prompt_ids):
            raise ValueError(f"a request can start from 1 to {len(self.prompt_ids) - 1} cached tokens, before its first step")
        self.cache, self._cached, self.reused_prompt_tokens = cache, tokens, tokens

    @property
    def cached_tokens(self) -> int:
        """Tokens of `ids` whose keys and values are computed (in `cache`, or in a batch's cache)."""
        return self._cached

    def mark_prefilled(self) -> None:
        """Its whole prompt was prefilled in a batch's pass (the batch holds the cache): the next step
        needs only its newest token."""
        self.cache, self._cached = None, self._ids.shape[1]

    def take_cache(self) -> Any:
        """Hand the request's own KV cache to a batch (the request no longer holds it)."""
        cache, self.cache = self.cache, None
        return cache

    # --- one token ---------------------------------------------------------------------------------

    def _finish(self, reason: FinishReason) -> None:
        self.finish_reason = reason
        self._finished_at = time.perf_counter()
        self.cache = None  # free the KV cache as soon as the request ends

    def _next_logits(self) -> torch.Tensor:
        """One forward pass: the whole prompt first, then only the newest token, reusing the KV cache."""
        inputs = self._ids[:, self._cached:] if self.cache is not None else self._ids
        logits, self.cache = forward.next_logits(self.lm.model, inputs, self.cache)
        self._cached = self._ids.shape[1]
        return logits

    def step(self) -> Step | None:
        """Produce the next token, or None when the request has finished (call on the owner thread).

        Runs its own forward pass; the scheduler instead computes many requests' logits in one
        batched pass and samples all of them at once with `step_batch`.
        """
        if not self._begin_step():
            return None
        began = time.perf_counter()
        with torch.inference_mode():
            return self.step_batch([self], self._next_logits(), began)[0]

    @staticmethod
    def step_batch(rows: Sequence["Generation"], raw: torch.Tensor, began: float) -> list[Step]:
        """The next token of every request from their raw next-token logits (rows, vocab), computed
        together: one sampler call with each row's own parameters, each row's draw from its own
        generator, and the per-token figures for all rows at once. A row gets exactly the token it
        would get alone from the same logits."""
        with torch.inference_mode():
            stages = run_pipeline([gen.ids for gen in rows], raw, [gen.params for gen in rows],
                                  [gen.protected for gen in rows])
            tokens = choose_token(stages, [gen.generator for gen in rows]).tolist()
            facts = describe_rows(stages, tokens, max(gen.alternatives for gen in rows), rows[0].lm.tokenizer)
            return [gen.accept(token, fact, began) for gen, token, fact in zip(rows, tokens, facts)]

    def _begin_step(self) -> bool:
        if self.finished:
            return False
        if self._cancel.is_set():
            self._finish(FinishReason.CANCELLED)
            return False
        if self._started is None:
            self._started = time.perf_counter()
        return True

    def accept(self, token: int, step_facts: dict[str, Any], began: float) -> Step:
        """Record the chosen token, decide whether the request ends, and describe the step (its
        sampler figures `step_facts` from `describe_rows`; `began`: when the step's work started)."""
        if self._started is None:
            self._started = began
        self._ids = torch.cat([self._ids, self._ids.new_tensor([[token]])], dim=1)
        self._new.append(token)
        step_facts = dict(step_facts, alternatives=step_facts["alternatives"][: self.alternatives])

        reason = None
        if token in self.lm.end_ids:
            reason = FinishReason.EOS
        elif len(self._new) >= self.params.max_new_tokens:
            reason = FinishReason.LENGTH
        elif self._ids.shape[1] >= self.context:
            reason = FinishReason.CONTEXT
        tokenizer = self.lm.tokenizer
        full = tokenizer.decode(self._new, skip_special_tokens=True, clean_up_tokenization_spaces=False)
        piece, hit_stop = self._text.advance(full, final=reason is not None, data=self._add_bytes(token))
        self._unfinished.append(self._text.unfinished_bytes)
        if hit_stop:
            reason = FinishReason.STOP_STRING
        now = time.perf_counter()
        if self._first_token_at is None:
            self._first_token_at = now
        if reason is not None:
            self._finish(reason)
        return Step(index=len(self._new) - 1, token_id=token,
                    token=token_names(tokenizer, [token])[0], text=piece,
                    elapsed=now - self._started, seconds=now - began, unfinished_bytes=self._unfinished[-1],
                    **step_facts)

    def _add_bytes(self, token: int) -> bytearray | None:
        """Add the token's bytes to the reply's; None when the tokenizer does not tell them."""
        tokenizer = self.lm.tokenizer
        if self._special_ids is None:
            self._special_ids = set(tokenizer.all_special_ids)
            self._read_bytes = tokenizer_bytes_reader(tokenizer)
            self._bytes = bytearray() if self._read_bytes is not None else None
        if self._bytes is not None and self._read_bytes is not None and token not in self._special_ids:
            piece = self._read_bytes(tokenizer.convert_ids_to_tokens(token) or "")
            if piece is None:
                self._bytes = None
            else:
                self._bytes += piece
        return self._bytes


def describe_rows(stages: SamplerStages, tokens: Sequence[int], alternatives: int, tokenizer: Any) -> list[dict[str, Any]]:
    """The figures of each row's chosen token, computed for all rows at once: its probability under
    the final and the raw distribution, its raw rank, both entropies and the top raw alternatives."""
    log_probs = torch.log_softmax(stages.raw, dim=-1)
    raw_probs = log_probs.exp()
    final = stages.probs
    chosen = torch.tensor(list(tokens), dtype=torch.long, device=final.device)[:, None]
    top_logits, top_index = torch.topk(stages.raw, min(alternatives, raw_probs.shape[-1]))
    raw_entropy = -(raw_probs * log_probs).sum(dim=-1) / LOG2  # (a batched dot product is slower here)
    chosen_logit = stages.raw.gather(1, chosen)
    columns = dict(
        prob=final.gather(1, chosen)[:, 0].tolist(),
        raw_prob=raw_probs.gather(1, chosen)[:, 0].tolist(),
        rank=_raw_ranks(stages.raw, chosen_logit, top_logits),
        entropy=raw_entropy.clamp(min=0.0).tolist(),
        sampler_entropy=stages.final_entropy_bits().tolist(),
    )
    top_ids, top_final = top_index.tolist(), final.gather(1, top_index).tolist()
    top_raw = raw_probs.gather(1, top_index).tolist()
    names = iter(token_names(tokenizer, [i for row in top_ids for i in row]))
    return [
        dict({name: values[row] for name, values in columns.items()},
             alternatives=tuple(Alternative(i, next(names), f, r)
                                for i, r, f in zip(top_ids[row], top_raw[row], top_final[row])))
        for row in range(len(tokens))
    ]


def _raw_ranks(raw: torch.Tensor, chosen_logit: torch.Tensor, top_logits: torch.Tensor) -> list[int]:
    """1 + how many raw logits are above the chosen one, per row. When the chosen logit is at least
    the smallest of the top ones, every logit above it is among them, so the row counts there; only
    the other rows scan the whole vocabulary."""
    above_in_top = (top_logits > chosen_logit).sum(dim=-1)
    inside = (chosen_logit >= top_logits[:, -1:])[:, 0]
    ranks = (above_in_top + 1).tolist()
    for row in (~inside).nonzero().reshape(-1).tolist():
        ranks[row] = int((raw[row] > chosen_logit[row]).sum()) + 1
    return ranks


_NAMES: "weakref.WeakKeyDictionary[Any, dict[int, str]]" = weakref.WeakKeyDictionary()


def token_names(tokenizer: Any, ids: Sequence[int]) -> list[str]:
    """Each token decoded alone (as `tokenizer.decode([id])`), remembered per tokenizer: a batch asks
    for hundreds of them per token, mostly the same ones."""
    try:
        known = _NAMES.setdefault(tokenizer, {})
    except TypeError:  # a tokenizer that cannot be weakly referenced: no memory
        known = {}
    missing = list(dict.fromkeys(i for i in ids if i not in known))
    if missing:
        for i, name in zip(missing, tokenizer.batch_decode([[i] for i in missing], clean_up_tokenization_spaces=False)):
            known[i] = name
    return [known[i] for i in ids]

