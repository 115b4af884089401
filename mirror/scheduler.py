"""One scheduler per loaded model: every session's requests are stepped together, one token each per tick.

Sessions submit a `Generation` and read its steps from the request's outbox (`Generation.stream`).
The scheduler runs on the model's owner thread, one *tick* at a time:

1. requests cancelled since the last tick leave the batch;
2. every running request gets one token from **one batched forward pass** (its own KV cache rows,
   left-padded to a common length, with an attention mask and its own position ids);
3. waiting requests are admitted, first come first served, while the batch has room: each is
   prefilled alone (its prompt in one pass, which also gives its first token) and its cache joins the
   batch for the next tick.

Each tick is a separate job on the owner thread's queue, so the model's other work (tokenising,
scoring a text for the Token Inspector) slots in between ticks instead of waiting for every reply to
end. Fairness: every running request gets exactly one token per tick; waiting requests are admitted
in arrival order.

Sampling stays per request (its own parameters, seeded generator and penalties), so a request gives
the same tokens alone and inside a batch, up to the float rounding of a batched matrix product (a
test holds this on the bundled model). A batch of one with no padding runs exactly the single-request
forward pass, so a lone request still equals `model.generate`.

A model that batches its own sequences (it has `decode_batch(caches, tokens)`, as a llama.cpp context
holding one KV sequence per request can) gets the same ticks through `_SeqBatch`, up to its number of
sequences (16 for the llama.cpp runtimes, `n_seq`). Other models whose cache cannot be batched
(sliding-window caches) are stepped one request after another within each tick.
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from mirror.generation import Generation
    from mirror.models import LoadedModel

END = object()  # the last item in a request's outbox


def _batchable_cache(cache: Any) -> bool:
    """A transformers DynamicCache whose layers are all plain, full-length key/value tensors."""
    from transformers.cache_utils import DynamicCache, DynamicLayer

    return isinstance(cache, DynamicCache) and all(type(layer) is DynamicLayer for layer in cache.layers)


@dataclass
class _Batch:
    """Running requests whose KV caches live together, left-padded: row i's real tokens are mask[i] == 1."""

    rows: list["Generation"] = field(default_factory=list)
    cache: Any = None  # DynamicCache with (rows, heads, length, head_dim) tensors per layer
    mask: torch.Tensor | None = None  # (rows, length) of 0/1

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, gen: "Generation") -> None:
        """Move a prefilled request's own cache into the batch (padding whichever side is shorter)."""
        own = gen._cache
        gen._cache = None
        length = own.layers[0].keys.shape[-2]
        own_mask = torch.ones(1, length, dtype=torch.long, device=own.layers[0].keys.device)
        if self.cache is None:
            self.rows, self.cache, self.mask = [gen], own, own_mask
            return
        width = self.mask.shape[1]
        grow_batch, grow_own = max(0, length - width), max(0, width - length)
        for mine, theirs in zip(self.cache.layers, own.layers):
            mine.keys = torch.cat([_left_pad(mine.keys, grow_batch), _left_pad(theirs.keys, grow_own)])
            mine.values = torch.cat([_left_pad(mine.values, grow_batch), _left_pad(theirs.values, grow_own)])
        self.mask = torch.cat([_left_pad(self.mask, grow_batch), _left_pad(own_mask, grow_own)])
        self.rows.append(gen)

    def keep(self, keep: list[int]) -> None:
        """Keep only these rows, then drop leading columns that are padding in every remaining row."""
        if len(keep) == len(self.rows):
            return
        self.rows = [self.rows[i] for i in keep]
        if not keep:
            self.cache = self.mask = None
            return
        index = torch.tensor(keep, device=self.mask.device)
        self.mask = self.mask.index_select(0, index)
        first = int(self.mask.argmax(dim=1).min())  # first real column of the row that starts earliest
        self.mask = self.mask[:, first:]
        for layer in self.cache.layers:
            layer.keys = layer.keys.index_select(0, index)[:, :, first:]
            layer.values = layer.values.index_select(0, index)[:, :, first:]

    def next_logits(self, model: Any) -> torch.Tensor:
        """One decode step for every row: (rows, vocab) float32 logits for each row's next token."""
        last = torch.cat([gen._ids[:, -1:] for gen in self.rows])
        positions = self.mask.sum(dim=1, keepdim=True)  # real tokens already cached = the new token's position
        self.mask = torch.cat([self.mask, self.mask.new_ones(len(self.rows), 1)], dim=1)
        kwargs: dict[str, Any] = {"use_cache": True, "past_key_values": self.cache}
        if self.rows[0]._keep_one:
            kwargs["logits_to_keep"] = 1
        if len(self.rows) > 1 or not bool(self.mask.all()):
            kwargs.update(attention_mask=self.mask, position_ids=positions)
        out = model(input_ids=last, **kwargs)
        self.cache = out.past_key_values
        return out.logits[:, -1].to(dtype=torch.float32, copy=True)


@dataclass
class _SeqBatch:
    """Running requests of a model that batches its own sequences (llama.cpp: one KV sequence each).

    Such a model offers `decode_batch(caches, tokens) -> (rows, vocab) logits`, one new token per
    sequence in one pass; each request's cache (its sequence handle) stays on the request.
    """

    rows: list["Generation"] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, gen: "Generation") -> None:
        self.rows.append(gen)

    def keep(self, keep: list[int]) -> None:
        self.rows = [self.rows[i] for i in keep]

    def next_logits(self, model: Any) -> torch.Tensor:
        tokens = [int(gen._ids[0, -1]) for gen in self.rows]
        return model.decode_batch([gen._cache for gen in self.rows], tokens).to(dtype=torch.float32)


def _left_pad(tensor: torch.Tensor, columns: int) -> torch.Tensor:
    """Zero columns on the left of the sequence dimension (dim 2 of a cache tensor, dim 1 of a mask)."""
    if columns == 0:
        return tensor
    dim = 2 if tensor.dim() == 4 else 1
    shape = list(tensor.shape)
    shape[dim] = columns
    return torch.cat([tensor.new_zeros(shape), tensor], dim=dim)


class Scheduler:
    """Owns the stepping of one model's requests; `submit` from any thread, the ticks run on the owner."""

    def __init__(self, lm: "LoadedModel", max_batch: int = 16):
        self.lm = lm
        self.max_batch = max(1, int(max_batch))
        self._own_sequences = hasattr(lm.model, "decode_batch")  # the model batches its own sequences
        self.capacity = min(self.max_batch, int(getattr(lm.model, "n_seq", self.max_batch)))
        self._lock = threading.Lock()
        self._waiting: collections.deque["Generation"] = collections.deque()
        self._batch: _Batch | _SeqBatch = self._new_batch()
        self._solo: list["Generation"] = []  # running requests whose cache cannot join a batch
        self._tick_queued = False
        self.largest_batch = 0

    def _new_batch(self) -> "_Batch | _SeqBatch":
        return _SeqBatch() if self._own_sequences else _Batch()

    # --- any thread --------------------------------------------------------------------------------

    def submit(self, gen: "Generation") -> None:
        gen._submitted_at = time.perf_counter()
        with self._lock:
            self._waiting.append(gen)
            self._queue_tick()

    def place_in_queue(self, gen: "Generation") -> int | None:
        """1-based place among the requests waiting for room in the batch; None once it runs."""
        with self._lock:
            for place, waiting in enumerate(self._waiting, start=1):
                if waiting is gen:
                    return place
        return None

    @property
    def running(self) -> int:
        return len(self._batch) + len(self._solo)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def _queue_tick(self) -> None:
        """Put one tick on the owner thread's queue unless one is already there (hold the lock)."""
        if not self._tick_queued:
            self._tick_queued = True
            self.lm.submit(self._tick)

    # --- owner thread ------------------------------------------------------------------------------

    def _tick(self) -> None:
        with self._lock:
            self._tick_queued = False
        try:
            with torch.inference_mode():
                self._drop_cancelled()
                self._step_running()
                self._admit()
        except BaseException as error:  # noqa: BLE001 - every waiting reader must hear of it, then it goes on
            self._fail_all(error)
        with self._lock:
            if self._waiting or self.running:
                self._queue_tick()

    def _take_out(self, leaving: Any) -> list["Generation"]:
        """Remove the running requests for which `leaving(gen)` is true from the batch and the solo list."""
        # Asked once per request: a cancel from another thread must not land between choosing and removing.
        gone = [gen for gen in (*self._batch.rows, *self._solo) if leaving(gen)]
        if gone:
            self._batch.keep([i for i, gen in enumerate(self._batch.rows) if all(gen is not g for g in gone)])
            self._solo = [gen for gen in self._solo if all(gen is not g for g in gone)]
        return gone

    def _drop_cancelled(self) -> None:
        for gen in self._take_out(lambda g: g.cancelled):
            self._close(gen, "cancelled")
        with self._lock:
            waiting = [g for g in self._waiting if g.cancelled]
            for gen in waiting:
                self._waiting.remove(gen)
        for gen in waiting:
            self._close(gen, "cancelled")

    def _step_running(self) -> None:
        if len(self._batch):
            self.largest_batch = max(self.largest_batch, len(self._batch))
            began = time.perf_counter()
            logits = self._batch.next_logits(self.lm.model)
            for i, gen in enumerate(self._batch.rows):
                gen._outbox.put(gen.step_with_logits(logits[i: i + 1], began))
        for gen in self._solo:
            step = gen.step()
            if step is not None:
                gen._outbox.put(step)
        for gen in self._take_out(lambda g: g.finished):
            self._close(gen)

    def _admit(self) -> None:
        while self.running < self.capacity:
            with self._lock:
                if not self._waiting:
                    return
                gen = self._waiting.popleft()
            try:
                step = gen.step()  # prefill alone: the prompt in one pass, which also gives the first token
            except Exception as error:  # noqa: BLE001 - this request fails; the others go on
                self._fail(gen, error)
                continue
            if step is not None:
                gen._outbox.put(step)
            if gen.finished:
                self._close(gen)
            elif self.capacity > 1 and (self._own_sequences or _batchable_cache(gen._cache)):
                self._batch.add(gen)
            else:
                self._solo.append(gen)

    def _close(self, gen: "Generation", reason: str | None = None) -> None:
        if not gen.finished:
            gen._finish(reason or "cancelled")
        gen._outbox.put(END)

    def _fail_all(self, error: BaseException) -> None:
        """A failed forward pass ends every request in flight with the error (the model stays usable)."""
        with self._lock:
            victims = [*self._batch.rows, *self._solo]
        self._batch = self._new_batch()
        self._solo = []
        for gen in victims:
            self._fail(gen, error)

    def _fail(self, gen: "Generation", error: BaseException) -> None:
        """End one request with an error: its reader raises it, then its stream ends."""
        if not gen.finished:
            gen._finish("error")
        gen._outbox.put(error)
        gen._outbox.put(END)
