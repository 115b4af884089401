"""The running requests of one scheduler, as one batch: their KV caches side by side, or their sequences.

`KVBatch` holds transformers caches left-padded into one `DynamicCache`; `SequenceBatch` is for a
model that keeps one KV sequence per request itself (llama.cpp). Both give one token per row per
`next_logits` call, through `engine.forward`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import torch

from mirror.engine import forward
from mirror.engine.protocols import CausalLM, ScheduledRequest, SequenceBatching



class _Written:
    """A layer's keys or values: the written part of a buffer that may have spare room after it."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = "_" + name

    def __get__(self, layer: Any, owner: type | None = None) -> Any:
        if layer is None:
            return self
        store = layer.__dict__.get(self.slot)  # [buffer, written length]
        return None if store is None else store[0][:, :, : store[1]]

    def __set__(self, layer: Any, tensor: torch.Tensor | None) -> None:
        layer.__dict__[self.slot] = None if tensor is None else [tensor, tensor.shape[-2]]


class GrowingLayer:
    """What a transformers cache layer does with its keys and values, with room to spare at the end.

    transformers' `DynamicLayer.update` concatenates every new token onto the whole cache, so each
    decode step copies every row's keys and values of every layer. This layer writes the new token
    into spare room instead and grows by a share of its length when the room runs out (an amortised
    copy); `keys`/`values` are views of the written part, the same numbers the attention reads.
    """

    ROOM = 64  # tokens of spare room at least, each time the layer grows

    @staticmethod
    @functools.cache
    def make(base: type) -> type:
        """A subclass of the cache's own layer class (`DynamicLayer`) with this behaviour."""
        return type("Growing" + base.__name__, (GrowingLayer, base), {})

    def __init__(self, keys: torch.Tensor, values: torch.Tensor) -> None:
        super().__init__()
        self.dtype, self.device = keys.dtype, keys.device
        self.is_initialized = True
        self.keys, self.values = keys, values

    keys = _Written()
    values = _Written()

    @staticmethod
    def _write(store: list, new: torch.Tensor) -> None:
        buffer, length = store
        count = new.shape[-2]
        if length + count > buffer.shape[-2]:
            grown = buffer.new_empty((*buffer.shape[:2], length + count + max(GrowingLayer.ROOM, length // 2),
                                      buffer.shape[-1]))
            grown[:, :, :length] = buffer[:, :, :length]
            store[0] = buffer = grown
        buffer[:, :, length: length + count] = new
        store[1] = length + count

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any,
               **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
        self._write(self.__dict__["_keys"], key_states)
        self._write(self.__dict__["_values"], value_states)
        return self.keys, self.values


def growing_cache(cache: Any) -> Any:
    """The same cache with every layer turned into a `GrowingLayer` over the same tensors."""
    cache.layers = [GrowingLayer.make(type(layer))(layer.keys, layer.values) for layer in cache.layers]
    return cache


def batchable_cache(cache: Any) -> bool:
    """A transformers DynamicCache whose layers are all plain, full-length key/value tensors."""
    from transformers.cache_utils import DynamicCache, DynamicLayer

    return isinstance(cache, DynamicCache) and all(type(layer) is DynamicLayer for layer in cache.layers)


@dataclass
class KVBatch:
    """Running requests whose KV caches live together, left-padded: row i's real tokens are mask[i] == 1."""

    rows: list[ScheduledRequest] = field(default_factory=list)
    cache: Any = None  # DynamicCache with (rows, heads, length, head_dim) tensors per layer
    mask: torch.Tensor | None = None  # (rows, length) of 0/1

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, gen: ScheduledRequest) -> None:
        """Move a prefilled request's own cache into the batch (padding whichever side is shorter)."""
        own = gen.take_cache()
        length = own.layers[0].keys.shape[-2]
        self.add_rows([gen], own, torch.ones(1, length, dtype=torch.long, device=own.layers[0].keys.device))

    def add_rows(self, gens: list[ScheduledRequest], cache: Any, mask: torch.Tensor) -> None:
        """Move requests and their cache (rows in `gens` order, `mask` marking real tokens) into the batch."""
        if self.cache is None:
            self.rows, self.cache, self.mask = list(gens), growing_cache(cache), mask
            return
        width, length = self.mask.shape[1], mask.shape[1]
        grow_batch, grow_new = max(0, length - width), max(0, width - length)
        for mine, theirs in zip(self.cache.layers, cache.layers):
            mine.keys = torch.cat([left_pad(mine.keys, grow_batch), left_pad(theirs.keys, grow_new)])
            mine.values = torch.cat([left_pad(mine.values, grow_batch), left_pad(theirs.values, grow_new)])
        self.mask = torch.cat([left_pad(self.mask, grow_batch), left_pad(mask, grow_new)])
        self.rows.extend(gens)

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

    def next_logits(self, model: CausalLM) -> torch.Tensor:
        """One decode step for every row: (rows, vocab) float32 logits for each row's next token."""
        last = torch.cat([gen.ids[:, -1:] for gen in self.rows])
        positions = self.mask.sum(dim=1, keepdim=True)  # real tokens already cached = the new token's position
        self.mask = torch.cat([self.mask, self.mask.new_ones(len(self.rows), 1)], dim=1)
        logits, self.cache = forward.batch_next_logits(model, last, self.cache, self.mask, positions)
        return logits


@dataclass
class SequenceBatch:
    """Running requests of a model that batches its own sequences (llama.cpp: one KV sequence each).

    Each request's cache (its sequence handle) stays on the request.
    """

    rows: list[ScheduledRequest] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, gen: ScheduledRequest) -> None:
        self.rows.append(gen)

    def keep(self, keep: list[int]) -> None:
        self.rows = [self.rows[i] for i in keep]

    def next_logits(self, model: SequenceBatching) -> torch.Tensor:
        tokens = [int(gen.ids[0, -1]) for gen in self.rows]
        return forward.sequence_batch_logits(model, [gen.cache for gen in self.rows], tokens)


def left_pad(tensor: torch.Tensor, columns: int) -> torch.Tensor:
    """Zero columns on the left of the sequence dimension (dim 2 of a cache tensor, dim 1 of a mask)."""
    if columns == 0:
        return tensor
    dim = 2 if tensor.dim() == 4 else 1
    shape = list(tensor.shape)
    shape[dim] = columns
    return torch.cat([tensor.new_zeros(shape), tensor], dim=dim)


@dataclass
class Prefilled:
    """Several prompts prefilled in one pass: their batch cache, its mask, and each row's next-token logits."""

    cache: Any
    mask: torch.Tensor  # (rows, length) 1 where a row has a real token
    logits: torch.Tensor  # (rows, vocab) float32

    def row_layers(self, row: int, count: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Row `row`'s keys and values of its first `count` real tokens, (1, heads, count, head_dim) per layer."""
        columns = self.mask[row].nonzero().reshape(-1)[:count]
        return [(layer.keys[row: row + 1].index_select(2, columns), layer.values[row: row + 1].index_select(2, columns))
                for layer in self.cache.layers]


def prefill_together(model: CausalLM, gens: list[ScheduledRequest], pad_id: int) -> Prefilled:
    """Prefill several requests in one forward pass: one read of the weights for all of them.

    Each request brings its prompt and perhaps a kept beginning (`cache` holding its first
    `cached_tokens`). Rows are aligned on the right: a row's kept keys and values are left-padded to
    the longest kept part, and its new tokens are left-padded to the longest new part (those pads sit
    between its kept part and its new tokens, masked like any padding; every real token keeps its own
    position).
    """
    kept = [gen.cached_tokens for gen in gens]
    new = [gen.ids[0, cached:] for gen, cached in zip(gens, kept)]
    width_kept, width_new = max(kept), max(len(ids) for ids in new)
    device = gens[0].ids.device
    input_ids = torch.full((len(gens), width_new), pad_id, dtype=torch.long, device=device)
    positions = torch.zeros((len(gens), width_new), dtype=torch.long, device=device)
    mask = torch.zeros((len(gens), width_kept + width_new), dtype=torch.long, device=device)
    for row, (cached, ids) in enumerate(zip(kept, new)):
        input_ids[row, width_new - len(ids):] = ids
        positions[row, width_new - len(ids):] = torch.arange(cached, cached + len(ids), device=device)
        mask[row, width_kept - cached: width_kept] = 1
        mask[row, width_kept + width_new - len(ids):] = 1
    cache = None
    if width_kept:
        from transformers.cache_utils import DynamicCache

        layers = []
        caches = [gen.take_cache() for gen in gens]
        template = next(c for c in caches if c is not None).layers
        for index, sample in enumerate(template):
            empty = sample.keys[:, :, :0]
            keys = [left_pad(c.layers[index].keys if c is not None else empty, width_kept - n) for c, n in zip(caches, kept)]
            values = [left_pad(c.layers[index].values if c is not None else empty, width_kept - n)
                      for c, n in zip(caches, kept)]
            layers.append((torch.cat(keys), torch.cat(values)))
        cache = DynamicCache(ddp_cache_data=layers)
    logits, cache = forward.prefill_batch_logits(model, input_ids, cache, mask, positions)
    return Prefilled(cache, mask, logits)
