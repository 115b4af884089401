"""The engine's contracts: what it asks of a model, of a loaded model, and what a reply stream offers.

The engine never imports the loaders (`mirror.models`): it works on anything that has these shapes.
`LoadedModel` is the `ModelHandle` of the app; tests hand in fakes of the same shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from typing import Any, Protocol, TypeVar, runtime_checkable

import torch

from mirror.engine.request import FinishReason

T = TypeVar("T")


class CausalLM(Protocol):
    """A transformers-style causal LM: `model(input_ids=..., past_key_values=..., ...)` returns an
    output with `.logits` (batch, positions, vocab) and `.past_key_values`. `logits_to_keep` is
    optional (`engine.forward` asks the signature once)."""

    device: torch.device

    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

    def forward(self, *args: Any, **kwargs: Any) -> Any: ...


@runtime_checkable
class SequenceBatching(Protocol):
    """A model that batches its own sequences (a llama.cpp context with one KV sequence per request):
    one new token for each of up to `n_seq` sequences in one pass."""

    n_seq: int

    def decode_batch(self, caches: Sequence[Any], tokens: Sequence[int]) -> torch.Tensor: ...


class ScheduledRequest(Protocol):
    """A request as the scheduler steps it (`engine.generation.Generation`)."""

    cache: Any  # its own KV cache (or the model's sequence handle) while it is not in a batch cache
    prompt_ids: list[int]

    @property
    def ids(self) -> torch.Tensor: ...  # (1, n): the prompt and the tokens written so far

    @property
    def cancelled(self) -> bool: ...

    @property
    def finished(self) -> bool: ...

    def step(self) -> Any: ...  # its own forward pass and the next token; None once finished

    @staticmethod
    def step_batch(rows: Sequence["ScheduledRequest"], raw: torch.Tensor, began: float) -> list[Any]:
        """The next token of every row from the batch's logits (rows, vocab), sampled together."""
        ...

    def take_cache(self) -> Any: ...

    def start_from(self, cache: Any, tokens: int) -> None: ...  # begin from a kept prefix's cache

    @property
    def cached_tokens(self) -> int: ...  # tokens of `ids` already computed

    def mark_prefilled(self) -> None: ...  # its prompt went through a batch's prefill

    def deliver(self, step: Any) -> None: ...

    def end(self, reason: FinishReason = FinishReason.CANCELLED) -> None: ...

    def fail(self, error: BaseException) -> None: ...


class RequestQueue(Protocol):
    """The scheduler of one model, as a request sees it (`engine.scheduler.Scheduler`)."""

    capacity: int

    def add_request(self, request: ScheduledRequest) -> None: ...

    def place_in_queue(self, request: ScheduledRequest) -> int | None: ...

    @property
    def running(self) -> int: ...

    @property
    def waiting(self) -> int: ...


class ModelHandle(Protocol):
    """A model bound to its owner thread, as the engine needs it (`mirror.models.LoadedModel`)."""

    model: CausalLM
    tokenizer: Any
    end_ids: tuple[int, ...]  # the tokens that end a reply (and that the sampler never penalises)
    scheduler: RequestQueue

    @property
    def device(self) -> torch.device: ...

    @property
    def context_length(self) -> int: ...

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> "Future[T]": ...

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T: ...


class ReplyStream(Protocol):
    """A reply being written, local (`engine.Generation`) or by a server (`services.remote.RemoteGeneration`).

    Pages show any of them the same way: iterate `stream` (`on_wait(place in the queue)` is called
    while the reply waits for room, where there is a queue), `cancel` when the page stops, then `result`.
    """

    def stream(self, on_wait: Callable[[int], None] | None = None) -> Iterator[Any]: ...

    def cancel(self) -> None: ...

    def result(self) -> Any: ...

    def replies_running(self) -> int:
        """How many replies the engine writing this one is writing now (0 where it cannot tell)."""
        ...
