"""The streaming generation loop: one `Step` per token, with the sampler's own numbers.

All per-request state (ids, KV cache, random generator, stop flag, text already shown) lives in one
`Generation` object, so that a scheduler can later step many of them in one batched forward. Each
step runs on the model's owner thread (`LoadedModel.run`).
"""

from __future__ import annotations

import inspect
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from mirror.models import LoadedModel
from mirror.scheduler import END
from mirror.sampling import SamplingParams, SamplerStages, choose_token, entropy_bits, run_pipeline
from mirror.utf8 import REPLACEMENT_CHAR, before_stop, drop_unfinished, tokenizer_bytes_reader

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
    finish_reason: str  # eos | stop_string | length | context | cancelled
    prompt_tokens: int
    dropped_prompt_tokens: int
    seed: int
    params: SamplingParams
    seconds: float
    time_to_first_token: float | None
    queued_seconds: float = 0.0  # waiting for a place in the scheduler's batch
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
            "dropped_bytes": self.dropped_bytes,
        }


def fit_prompt(prompt_ids: Sequence[int], context: int, max_new_tokens: int) -> tuple[list[int], int]:
    """Cut a prompt from the left so that it leaves room for the reply; return (ids, tokens dropped).

    The prompt keeps at least half the context window, so a huge max_new_tokens cannot erase it.
    """
    budget = max(context - max_new_tokens, context // 2, 1)
    dropped = max(0, len(prompt_ids) - budget)
    return list(prompt_ids[dropped:]), dropped


def _accepts_logits_to_keep(model: Any) -> bool:
    return "logits_to_keep" in inspect.signature(model.forward).parameters


@dataclass
class _TextState:
    """What part of the decoded text has been shown: UTF-8 safe, holding back possible stop strings."""

    stop_strings: tuple[str, ...]
    shown: str = ""
    unfinished_bytes: int = 0  # bytes of a character not finished yet at the end: held back, or dropped when final

    def advance(self, full: str, final: bool, data: bytes | None = None) -> tuple[str, bool]:
        """Return (new visible piece, hit a stop string) for the full decoded text so far.

        `data` are the bytes `full` was decoded from, when the tokenizer tells them: they say exactly
        which trailing U+FFFD is an unfinished character (without them, every trailing U+FFFD is).
        """
        hit = False
        for stop in self.stop_strings:
            at = full.find(stop, max(0, len(self.shown) - len(stop)))
            if at != -1:
                full, hit, final = full[:at], True, True
                data = before_stop(data, stop)
        # A character split over byte-level tokens decodes as U+FFFD until its last byte arrives.
        visible, self.unfinished_bytes = drop_unfinished(full, data)
        if not final:
            visible = self._hold_back_stop_start(visible.rstrip(REPLACEMENT_CHAR)).rstrip(REPLACEMENT_CHAR)
        if not visible.startswith(self.shown) or len(visible) <= len(self.shown):
            return "", hit
        piece = visible[len(self.shown):]
        self.shown = visible
        return piece, hit

    def _hold_back_stop_start(self, visible: str) -> str:
        """`visible` without a tail that may be the start of a stop string."""
        for stop in self.stop_strings:
            for size in range(min(len(stop) - 1, len(visible)), 0, -1):
                if visible.endswith(stop[:size]):
                    visible = visible[:-size]
                    break
        return visible


class Generation:
    """One request: iterate it to get `Step`s; `cancel()` from any thread stops it within one step."""

    def __init__(self, lm: LoadedModel, prompt_ids: Sequence[int], params: SamplingParams,
                 stop_strings: Sequence[str] = (), protect_end_tokens: bool = True,
                 alternatives: int = TOP_ALTERNATIVES):
        if len(prompt_ids) == 0:
            raise ValueError("the prompt is empty: give at least one token")
        self.lm = lm
        self.params = params
        self.context = lm.info.context_length
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
        self._cache: Any = None
        self._text = _TextState(tuple(s for s in stop_strings if s))
        self._cancel = threading.Event()
        self._keep_one = _accepts_logits_to_keep(lm.model)
        self._started: float | None = None
        self._submitted_at: float | None = None  # set by the scheduler when the request joins its queue
        self._outbox: queue.Queue[Any] | None = None  # steps from the scheduler to the reading thread
        self._read_steps = 0  # steps the reading thread has taken from the outbox ...
        self._read_text = ""  # ... and the text they made visible
        self._first_token_at: float | None = None
        self._finished_at: float | None = None
        self.finish_reason: str | None = None

    # --- control -----------------------------------------------------------------------------------

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def finished(self) -> bool:
        return self.finish_reason is not None

    def __iter__(self) -> Iterator[Step]:
        return self.stream()

    def stream(self, on_wait: Callable[[int], None] | None = None, poll: float = 0.25) -> Iterator[Step]:
        """Steps as the model's scheduler produces them (batched with other sessions' requests).

        While the request waits for a free place in the batch, `on_wait(place in the queue)` is called
        every `poll` seconds. Leaving the loop early (break, an exception, Streamlit stopping the
        script) cancels the request, so it stops holding a place in the batch.
        """
        scheduler = self.lm.scheduler
        self.start()
        try:
            while True:
                try:
                    item = self._outbox.get(timeout=poll)
                except queue.Empty:
                    place = scheduler.place_in_queue(self)
                    if on_wait is not None and place is not None:
                        on_wait(place)
                    continue
                if item is END:
                    self._outbox.put(END)  # iterating again ends at once
                    return
                if isinstance(item, BaseException):
                    raise item
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
        if self._outbox is None:
            self._outbox = queue.Queue()
            self.lm.scheduler.submit(self)
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
        text, ids, reason = self._text.shown, list(self._new), self.finish_reason or "running"
        if self._cancel.is_set() and self._outbox is not None and self._read_steps < len(ids):
            # The scheduler runs ahead of a slow reader; a cancelled request keeps what its reader saw.
            text, ids, reason = self._read_text, ids[: self._read_steps], "cancelled"
        unfinished = self._unfinished[: len(ids)]  # the bytes held back at the end of that text
        return GenerationResult(
            text=text, token_ids=ids, finish_reason=reason,
            prompt_tokens=len(self.prompt_ids), dropped_prompt_tokens=self.dropped_prompt_tokens, seed=self.seed,
            params=self.params, seconds=end - start,
            time_to_first_token=None if self._first_token_at is None else self._first_token_at - asked,
            queued_seconds=max(0.0, start - asked),
            dropped_bytes=unfinished[-1] if unfinished else 0,
        )

    # --- one token ---------------------------------------------------------------------------------

    def _finish(self, reason: str) -> None:
        self.finish_reason = reason
        self._finished_at = time.perf_counter()
        self._cache = None  # free the KV cache as soon as the request ends

    def _next_logits(self) -> torch.Tensor:
        """One forward pass: the whole prompt first, then only the newest token, reusing the KV cache."""
        inputs = self._ids if self._cache is None else self._ids[:, -1:]
        kwargs: dict[str, Any] = {"use_cache": True, "past_key_values": self._cache}
        if self._keep_one:
            kwargs["logits_to_keep"] = 1
        out = self.lm.model(input_ids=inputs, **kwargs)
        self._cache = out.past_key_values
        return out.logits[:, -1].to(dtype=torch.float32, copy=True)

    def forward_and_sample(self) -> tuple[int, SamplerStages]:
        return self._sample(self._next_logits())

    def _sample(self, raw: torch.Tensor) -> tuple[int, SamplerStages]:
        stages = run_pipeline(self._ids, raw, self.params, self.protected)
        return int(choose_token(stages, self.generator)[0]), stages

    def step(self) -> Step | None:
        """Produce the next token, or None when the request has finished (call on the owner thread).

        Runs its own forward pass; the scheduler instead computes many requests' logits in one
        batched pass and hands each its row through `step_with_logits`.
        """
        if not self._begin_step():
            return None
        began = time.perf_counter()
        with torch.inference_mode():
            return self._accept(*self.forward_and_sample(), began)

    def step_with_logits(self, raw: torch.Tensor, began: float) -> Step:
        """The next token from raw next-token logits (1, vocab) computed elsewhere for this request."""
        if self._started is None:
            self._started = began
        with torch.inference_mode():
            return self._accept(*self._sample(raw), began)

    def _begin_step(self) -> bool:
        if self.finished:
            return False
        if self._cancel.is_set():
            self._finish("cancelled")
            return False
        if self._started is None:
            self._started = time.perf_counter()
        return True

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def _accept(self, token: int, stages: SamplerStages, began: float) -> Step:
        """Record the chosen token, decide whether the request ends, and describe the step."""
        self._ids = torch.cat([self._ids, self._ids.new_tensor([[token]])], dim=1)
        self._new.append(token)
        step_facts = self._describe(token, stages)

        reason = None
        if token in self.lm.end_ids:
            reason = "eos"
        elif len(self._new) >= self.params.max_new_tokens:
            reason = "length"
        elif self._ids.shape[1] >= self.context:
            reason = "context"
        tokenizer = self.lm.tokenizer
        full = tokenizer.decode(self._new, skip_special_tokens=True, clean_up_tokenization_spaces=False)
        piece, hit_stop = self._text.advance(full, final=reason is not None, data=self._add_bytes(token))
        self._unfinished.append(self._text.unfinished_bytes)
        if hit_stop:
            reason = "stop_string"
        now = time.perf_counter()
        if self._first_token_at is None:
            self._first_token_at = now
        if reason is not None:
            self._finish(reason)
        return Step(index=len(self._new) - 1, token_id=token,
                    token=tokenizer.decode([token], clean_up_tokenization_spaces=False), text=piece,
                    elapsed=now - self._started, seconds=now - began, **step_facts)

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

    def _describe(self, token: int, stages: SamplerStages) -> dict[str, Any]:
        raw_probs = torch.softmax(stages.raw[0], dim=-1)
        final_probs = stages.probs[0]
        top = torch.topk(raw_probs, min(self.alternatives, raw_probs.shape[-1]))
        top_ids = top.indices.tolist()
        names = self.lm.tokenizer.batch_decode([[i] for i in top_ids], clean_up_tokenization_spaces=False)
        return dict(
            prob=float(final_probs[token]),
            raw_prob=float(raw_probs[token]),
            rank=int((stages.raw[0] > stages.raw[0, token]).sum()) + 1,
            entropy=float(entropy_bits(raw_probs)),
            sampler_entropy=float(entropy_bits(final_probs)),
            alternatives=tuple(
                Alternative(i, name, float(final_probs[i]), float(p))
                for i, name, p in zip(top_ids, names, top.values.tolist())
            ),
        )


def generate(lm: LoadedModel, prompt: str, params: SamplingParams, stop_strings: Sequence[str] = (),
             chat: bool = False) -> Generation:
    """A `Generation` for a text prompt; with `chat`, the prompt is wrapped as one user turn."""
    from mirror.history import build_prompt, Message  # prompt building lives with the chat history

    if not prompt.strip():
        raise ValueError("the prompt is empty")
    if chat:
        built = build_prompt(lm, [Message("user", prompt)])
        return Generation(lm, lm.encode(built.text), params, stop_strings=(*built.stop_strings, *stop_strings))
    return Generation(lm, lm.encode(prompt), params, stop_strings=stop_strings)
