"""One scheduler per loaded model: every session's requests are stepped together, one token each per tick.

Sessions submit a `Generation` and read its steps from the request's outbox (`Generation.stream`).
The scheduler runs on the model's owner thread, one *tick* at a time:

1. requests cancelled since the last tick leave the batch;
2. every running request gets one token from **one batched forward pass** (its own KV cache rows,
   left-padded to a common length, with an attention mask and its own position ids);
3. waiting requests are admitted, first come first served, while the batch has room: each is
   prefilled alone (its prompt in one pass, which also gives its first token) and its cache joins the
   batch for the next tick. A prompt that begins like a recent one (the system prompt, the earlier
   turns of a conversation) starts from that beginning's kept keys and values
   (`engine.prefix_cache`) and prefills only the rest.

Each tick is a separate job on the owner thread's queue, so the model's other work (tokenising,
scoring a text for the Token Inspector) slots in between ticks instead of waiting for every reply to
end. Fairness: every running request gets exactly one token per tick; waiting requests are admitted
in arrival order.

Sampling is one call for the whole batch (`Generation.step_batch`: each row keeps its own parameters,
penalties and seeded generator), so a request gives the same tokens alone and inside a batch, up to
the float rounding of a batched matrix product (a test holds this on the bundled model). A batch of one with no padding runs exactly the single-request
forward pass, so a lone request still equals `model.generate`.

A model that batches its own sequences (`protocols.SequenceBatching`: `decode_batch(caches, tokens)`, as a llama.cpp context
holding one KV sequence per request can) gets the same ticks through `kv_batch.SequenceBatch`, up to its number of
sequences (16 for the llama.cpp runtimes, `n_seq`). Other models whose cache cannot be batched
(sliding-window caches) are stepped one request after another within each tick.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from mirror.engine.kv_batch import KVBatch, SequenceBatch, batchable_cache, prefill_together
from mirror.engine.prefix_cache import PrefixCache
from mirror.engine.protocols import ModelHandle, ScheduledRequest, SequenceBatching
from mirror.engine.request import FinishReason



@dataclass(frozen=True)
class Tick:
    """What one tick did: tokens written per running request, requests admitted and ended."""

    stepped: int = 0  # running requests that got a token in the batched pass or one after another
    admitted: int = 0  # waiting requests prefilled and now running
    ended: int = 0  # requests that finished, were cancelled or failed


class Scheduler:
    """Owns the stepping of one model's requests; `add_request` from any thread, ticks on the owner.

    Made by `mirror.models.load_model` / `wrap_model` with the batch size the settings ask for.
    """

    def __init__(self, lm: ModelHandle, max_batch: int = 32, prefix_cache_bytes: int = 0):
        self.lm = lm
        self.max_batch = max(1, int(max_batch))
        self._own_sequences = isinstance(lm.model, SequenceBatching)
        # Kept prompt beginnings (transformers caches only: a native runtime keeps its own sequences).
        self.prefixes = PrefixCache(0 if self._own_sequences else prefix_cache_bytes)
        # Several arrivals are prefilled in one pass once a first prefill showed that this model's
        # cache is a plain transformers cache (a sliding-window cache is not).
        self._prefill_together = False
        self.prefilled_together = 0  # requests admitted through a shared prefill pass (for tests and benchmarks)
        own_limit = lm.model.n_seq if self._own_sequences else self.max_batch
        self.capacity = min(self.max_batch, int(own_limit))
        self._lock = threading.Lock()
        self._waiting: collections.deque[ScheduledRequest] = collections.deque()
        self._batch: KVBatch | SequenceBatch = self._new_batch()
        self._solo: list[ScheduledRequest] = []  # running requests whose cache cannot join a batch
        self._tick_queued = False
        self.largest_batch = 0
        self.last_tick = Tick()

    def _new_batch(self) -> KVBatch | SequenceBatch:
        return SequenceBatch() if self._own_sequences else KVBatch()

    # --- any thread --------------------------------------------------------------------------------

    def add_request(self, gen: ScheduledRequest) -> None:
        """Queue a request; its steps arrive in its outbox (`Generation.start` calls this)."""
        with self._lock:
            self._waiting.append(gen)
            self._queue_tick()

    def abort(self, gen: ScheduledRequest) -> None:
        """Stop a request from any thread: it leaves the batch (or the queue) at the next tick."""
        gen.cancel()

    def place_in_queue(self, gen: ScheduledRequest) -> int | None:
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
                ended = self._drop_cancelled()
                stepped, finished = self._step_running()
                admitted, closed = self._admit()
            self.last_tick = Tick(stepped=stepped, admitted=admitted, ended=ended + finished + closed)
        except BaseException as error:  # noqa: BLE001 - every waiting reader must hear of it, then it goes on
            self._fail_all(error)
        with self._lock:
            if self._waiting or self.running:
                self._queue_tick()

    def _take_out(self, leaving: Callable[[ScheduledRequest], bool]) -> list[ScheduledRequest]:
        """Remove the running requests for which `leaving(gen)` is true from the batch and the solo list."""
        # Asked once per request: a cancel from another thread must not land between choosing and removing.
        gone = [gen for gen in (*self._batch.rows, *self._solo) if leaving(gen)]
        if gone:
            self._batch.keep([i for i, gen in enumerate(self._batch.rows) if all(gen is not g for g in gone)])
            self._solo = [gen for gen in self._solo if all(gen is not g for g in gone)]
        return gone

    def _drop_cancelled(self) -> int:
        running = self._take_out(lambda g: g.cancelled)
        with self._lock:
            waiting = [g for g in self._waiting if g.cancelled]
            for gen in waiting:
                self._waiting.remove(gen)
        for gen in (*running, *waiting):
            gen.end(FinishReason.CANCELLED)
        return len(running) + len(waiting)

    def _step_running(self) -> tuple[int, int]:
        stepped = len(self._batch) + len(self._solo)
        if len(self._batch):
            self.largest_batch = max(self.largest_batch, len(self._batch))
            began = time.perf_counter()
            logits = self._batch.next_logits(self.lm.model)
            rows = self._batch.rows
            for gen, step in zip(rows, rows[0].step_batch(rows, logits, began)):
                gen.deliver(step)
        for gen in self._solo:
            step = gen.step()
            if step is not None:
                gen.deliver(step)
        finished = self._take_out(lambda g: g.finished)
        for gen in finished:
            gen.end()
        return stepped, len(finished)

    def _admit(self) -> tuple[int, int]:
        """Admit waiting requests while there is room: prefill them, deliver their first tokens."""
        with self._lock:
            room = self.capacity - self.running
            arriving = [self._waiting.popleft() for _ in range(min(room, len(self._waiting)))]
        arriving = [gen for gen in arriving if not self._closed_early(gen)]
        if not arriving:
            return 0, 0
        for gen in arriving:
            kept = self.prefixes.lookup(gen.prompt_ids)
            if kept is not None:
                gen.start_from(*reversed(kept))
        if self._prefill_together and len(arriving) > 1:
            try:
                return self._admit_together(arriving)
            except Exception as error:  # noqa: BLE001 - these requests fail; the running ones go on
                for gen in arriving:
                    gen.fail(error)
                return 0, len(arriving)
        admitted = closed = 0
        for gen in arriving:
            done = self._admit_alone(gen)
            admitted, closed = admitted + (not done), closed + done
        return admitted, closed

    def _closed_early(self, gen: ScheduledRequest) -> bool:
        if gen.cancelled:
            gen.end(FinishReason.CANCELLED)
            return True
        return False

    def _admit_alone(self, gen: ScheduledRequest) -> bool:
        """Prefill one request by itself (its prompt, or what a kept beginning leaves of it, in one pass,
        which also gives its first token); True if it has ended already."""
        try:
            step = gen.step()
            if gen.cache is not None and batchable_cache(gen.cache):
                self.prefixes.store(gen.prompt_ids, [(layer.keys, layer.values) for layer in gen.cache.layers])
                # Its cache is a plain transformers cache: later arrivals can be prefilled together.
                self._prefill_together = self.capacity > 1 and not self._own_sequences
        except Exception as error:  # noqa: BLE001 - this request fails; the others go on
            gen.fail(error)
            return True
        if step is not None:
            gen.deliver(step)
        if gen.finished:
            gen.end()
            return True
        if self.capacity > 1 and (self._own_sequences or batchable_cache(gen.cache)):
            self._batch.add(gen)
        else:
            self._solo.append(gen)
        return False

    def _admit_together(self, arriving: list[ScheduledRequest]) -> tuple[int, int]:
        """Prefill several requests in one pass (one read of the weights for all), then sample their
        first tokens together; they join the batch for the next tick."""
        began = time.perf_counter()
        done = prefill_together(self.lm.model, arriving, pad_id=self.lm.end_ids[0] if self.lm.end_ids else 0)
        for row, gen in enumerate(arriving):
            self.prefixes.store(gen.prompt_ids, done.row_layers(row, len(gen.prompt_ids)))
            gen.mark_prefilled()
        self.prefilled_together += len(arriving)
        steps = arriving[0].step_batch(arriving, done.logits, began)
        for gen, step in zip(arriving, steps):
            gen.deliver(step)
        self._batch.add_rows(arriving, done.cache, done.mask)
        finished = self._take_out(lambda g: g.finished)
        for gen in finished:
            gen.end()
        return len(arriving) - len(finished), len(finished)

    def _fail_all(self, error: BaseException) -> None:
        """A failed forward pass ends every request in flight with the error (the model stays usable)."""
        with self._lock:
            victims = [*self._batch.rows, *self._solo]
        self._batch = self._new_batch()
        self._solo = []
        for gen in victims:
            gen.fail(error)
