"""Prompt beginnings whose keys and values are already computed, for the next request that starts the same way.

Every chat prompt of a class starts with the same system prompt, and each turn of a conversation
starts with the whole conversation before it. `PrefixCache` keeps the KV cache of recent prompts and
finds, for a new prompt, the longest kept beginning of it, cut at a multiple of `block` tokens: the
request then prefills only the rest, which shortens its time to the first token.

Kept tensors are never written to: a request starts from its own copy, so any number of requests can
start from one entry. Entries are forgotten least recently used first, past `max_bytes`.

A prefill in two parts (the kept beginning, then the rest) gives the one-pass prefill's logits up to
float rounding, like a batch does (a test measures it); a request that finds nothing prefills in one
pass exactly as before. Call it on the model's owner thread only.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

BLOCK = 8  # tokens: prompts are kept and found at multiples of this length


@dataclass
class _Entry:
    ids: tuple[int, ...]  # the kept beginning
    layers: list[tuple[torch.Tensor, torch.Tensor]]  # per layer (1, heads, len(ids), head_dim) keys, values
    size: int  # bytes
    hashes: set[int] = field(default_factory=set)  # the block beginnings this entry answers for


@dataclass(frozen=True)
class PrefixStats:
    entries: int
    bytes: int
    hits: int
    misses: int
    reused_tokens: int  # prompt tokens not prefilled thanks to the cache, over all hits


class PrefixCache:
    """Keys and values of recent prompts, found again by their beginning."""

    def __init__(self, max_bytes: int, block: int = BLOCK):
        self.max_bytes = max(0, int(max_bytes))
        self.block = max(1, int(block))
        self._by_hash: dict[int, tuple[_Entry, int]] = {}  # hash of ids[:n] -> (entry, n)
        self._entries: collections.OrderedDict[int, _Entry] = collections.OrderedDict()  # least recent first
        self._bytes = 0
        self._hits = self._misses = self._reused = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def stats(self) -> PrefixStats:
        return PrefixStats(len(self._entries), self._bytes, self._hits, self._misses, self._reused)

    def _hashes(self, ids: Sequence[int], longest: int) -> list[int]:
        """Hash of ids[:n] for n = block, 2 block, ... up to `longest`, each chained onto the previous."""
        out, running = [], 0
        for end in range(self.block, longest + 1, self.block):
            running = hash((running, tuple(ids[end - self.block: end])))
            out.append(running)
        return out

    def lookup(self, ids: Sequence[int]) -> tuple[int, Any] | None:
        """(n, a new DynamicCache holding the keys and values of ids[:n]) for the longest kept beginning
        of `ids` that leaves at least one token to compute, or None."""
        if not self.enabled:
            return None
        hashes = self._hashes(ids, len(ids) - 1)
        for count, key in zip(range(len(hashes) * self.block, 0, -self.block), reversed(hashes)):
            found = self._by_hash.get(key)
            if found is None or found[1] != count or found[0].ids[:count] != tuple(ids[:count]):
                continue
            entry = found[0]
            self._entries.move_to_end(id(entry))
            self._hits += 1
            self._reused += count
            return count, _cache_of([(k[:, :, :count], v[:, :, :count]) for k, v in entry.layers])
        self._misses += 1
        return None

    def store(self, ids: Sequence[int], layers: Sequence[tuple[torch.Tensor, torch.Tensor]]) -> None:
        """Keep the keys and values of `ids` (a prompt: per layer (1, heads, len(ids), head_dim) keys and
        values, batch row 0), cut to a multiple of the block. The first tokens are copied."""
        count = len(ids) // self.block * self.block
        if not self.enabled or count == 0:
            return
        hashes = self._hashes(ids, count)
        found = self._by_hash.get(hashes[-1])
        if found is not None and found[1] == count and found[0].ids == tuple(ids[:count]):
            self._entries.move_to_end(id(found[0]))
            return
        kept = [(keys[:1, :, :count].clone(), values[:1, :, :count].clone()) for keys, values in layers]
        size = sum(k.numel() * k.element_size() + v.numel() * v.element_size() for k, v in kept)
        if size > self.max_bytes:
            return
        entry = _Entry(tuple(ids[:count]), kept, size)
        for n, key in zip(range(self.block, count + 1, self.block), hashes):
            previous = self._by_hash.get(key)
            if previous is not None:  # the newest entry answers for a shared beginning
                self._release(previous[0], key)
            self._by_hash[key] = (entry, n)
            entry.hashes.add(key)
        self._entries[id(entry)] = entry
        self._bytes += size
        while self._bytes > self.max_bytes and self._entries:
            self._drop(next(iter(self._entries.values())))

    def _release(self, entry: _Entry, key: int) -> None:
        entry.hashes.discard(key)
        if not entry.hashes:  # no beginning leads to it any more
            self._drop(entry)

    def _drop(self, entry: _Entry) -> None:
        for key in entry.hashes:
            if self._by_hash.get(key, (None,))[0] is entry:
                del self._by_hash[key]
        entry.hashes.clear()
        if self._entries.pop(id(entry), None) is not None:
            self._bytes -= entry.size


def _cache_of(layers: list[tuple[torch.Tensor, torch.Tensor]]) -> Any:
    """A transformers DynamicCache holding copies of these keys and values."""
    from transformers.cache_utils import DynamicCache

    return DynamicCache(ddp_cache_data=layers)
