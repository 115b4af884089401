"""The running requests of one scheduler, as one batch: their KV caches side by side, or their sequences.

`KVBatch` holds transformers caches left-padded into one `DynamicCache`; `SequenceBatch` is for a
model that keeps one KV sequence per request itself (llama.cpp). Both give one token per row per
`next_logits` call, through `engine.forward`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from mirror.engine import forward
from mirror.engine.protocols import CausalLM, ScheduledRequest, SequenceBatching



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
        own_mask = torch.ones(1, length, dtype=torch.long, device=own.layers[0].keys.device)
        if self.cache is None:
            self.rows, self.cache, self.mask = [gen], own, own_mask
            return
        width = self.mask.shape[1]
        grow_batch, grow_own = max(0, length - width), max(0, width - length)
        for mine, theirs in zip(self.cache.layers, own.layers):
            mine.keys = torch.cat([left_pad(mine.keys, grow_batch), left_pad(theirs.keys, grow_own)])
            mine.values = torch.cat([left_pad(mine.values, grow_batch), left_pad(theirs.values, grow_own)])
        self.mask = torch.cat([left_pad(self.mask, grow_batch), left_pad(own_mask, grow_own)])
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
