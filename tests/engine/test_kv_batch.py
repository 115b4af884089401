"""The batch cache's layers: new keys and values written into spare room give what concatenation gives."""

from __future__ import annotations

import torch
from transformers.cache_utils import DynamicCache

from mirror.engine.kv_batch import GrowingLayer, growing_cache


def test_written_room_holds_exactly_what_concatenation_would():
    generator = torch.Generator().manual_seed(0)
    first = [torch.randn(3, 2, 5, 4, generator=generator) for _ in range(2)]
    cache = growing_cache(DynamicCache(ddp_cache_data=[tuple(first)]))
    layer = cache.layers[0]
    assert isinstance(layer, GrowingLayer)
    keys, values = first
    for step in range(GrowingLayer.ROOM * 3):  # several growths of the buffer
        new = [torch.randn(3, 2, 1 + step % 2, 4, generator=generator) for _ in range(2)]
        seen_keys, seen_values = layer.update(*new)
        keys, values = torch.cat([keys, new[0]], dim=-2), torch.cat([values, new[1]], dim=-2)
        assert torch.equal(seen_keys, keys) and torch.equal(seen_values, values)
    assert cache.get_seq_length() == keys.shape[-2]
    layer.keys, layer.values = keys[:1], values[:1]  # a batch keeping one row sets the tensors anew
    layer.update(keys[:1, :, :1], values[:1, :, :1])
    assert torch.equal(layer.keys, torch.cat([keys[:1], keys[:1, :, :1]], dim=-2))
