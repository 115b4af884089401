"""Kept prompt beginnings: found by their longest block-aligned prefix, never written to, forgotten by
memory, and a request that starts from one writes what a one-pass prefill writes."""

from __future__ import annotations

import threading

import pytest
import torch

from mirror.engine.generation import Generation
from mirror.engine.prefix_cache import PrefixCache
from mirror.engine.sampling import SamplingParams
from mirror.services.prompts import Message, build_prompt
from tests.conftest import build_tiny_llama

GREEDY = SamplingParams(temperature=0.0, max_new_tokens=12)


def prefill(model, ids: list[int]):
    with torch.inference_mode():
        return model(input_ids=torch.tensor([ids]), use_cache=True)


def kv_of(cache) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(layer.keys, layer.values) for layer in cache.layers]


def kv(output) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return kv_of(output.past_key_values)


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return build_tiny_llama(500).eval()


def test_the_longest_kept_beginning_is_found_and_one_token_is_always_left(tiny):
    cache = PrefixCache(max_bytes=2**30, block=4)
    prompt = list(range(10, 30))  # 20 tokens
    cache.store(prompt, kv(prefill(tiny, prompt)))
    assert cache.stats().entries == 1
    assert cache.lookup(list(range(50, 70))) is None  # nothing in common
    tokens, kept = cache.lookup(prompt[:11] + [99, 98])
    assert tokens == 8  # the longest multiple of 4 it shares
    assert kept.layers[0].keys.shape[-2] == 8
    tokens, _ = cache.lookup(prompt)  # the same prompt again: the last block is left to compute
    assert tokens == 16
    tokens, _ = cache.lookup(prompt + [7, 7, 7])
    assert tokens == 20
    assert cache.stats().hits == 3 and cache.stats().misses == 1 and cache.stats().reused_tokens == 44


def test_kept_tensors_are_the_prefills_and_never_change(tiny):
    cache = PrefixCache(max_bytes=2**30, block=4)
    prompt = list(range(1, 13))
    full = prefill(tiny, prompt).past_key_values
    cache.store(prompt, kv_of(full))
    tokens, kept = cache.lookup(prompt + [40])
    for layer, original in zip(kept.layers, full.layers):
        assert torch.equal(layer.keys, original.keys[:, :, :tokens])
    with torch.inference_mode():  # a request extends its own copy ...
        tiny(input_ids=torch.tensor([[40, 41]]), past_key_values=kept, use_cache=True)
    _, again = cache.lookup(prompt + [40])
    for layer, original in zip(again.layers, full.layers):  # ... and the kept beginning is untouched
        assert torch.equal(layer.keys, original.keys[:, :, :tokens])
        assert torch.equal(layer.values, original.values[:, :, :tokens])


def test_the_least_recently_used_are_forgotten_past_the_memory_limit(tiny):
    prompts = [[i] * 8 + list(range(100, 108)) for i in range(1, 5)]
    caches = [kv(prefill(tiny, p)) for p in prompts]
    one = PrefixCache(max_bytes=2**30, block=8)
    one.store(prompts[0], caches[0])
    size = one.stats().bytes
    cache = PrefixCache(max_bytes=int(2.5 * size), block=8)
    cache.store(prompts[0], caches[0])
    cache.store(prompts[1], caches[1])
    assert cache.lookup(prompts[0] + [5]) is not None  # used: now the most recent
    cache.store(prompts[2], caches[2])  # over the limit: prompts[1] goes, the least recently used
    assert cache.stats().entries == 2 and cache.stats().bytes <= cache.max_bytes
    assert cache.lookup(prompts[1] + [5]) is None
    assert cache.lookup(prompts[0] + [5]) is not None and cache.lookup(prompts[2] + [5]) is not None
    off = PrefixCache(max_bytes=0)
    off.store(prompts[0], caches[0])
    assert off.lookup(prompts[0] + [5]) is None and off.stats().entries == 0


def test_a_shared_beginning_points_to_the_newest_prompt_and_the_old_entry_goes(tiny):
    cache = PrefixCache(max_bytes=2**30, block=4)
    first, second = list(range(1, 9)), list(range(1, 9)) + [50, 51, 52, 53]
    cache.store(first, kv(prefill(tiny, first)))
    cache.store(second, kv(prefill(tiny, second)))
    assert cache.stats().entries == 1  # every beginning of the first is a beginning of the second
    assert cache.lookup(second + [9])[0] == 12


def chat(lm, *turns: str) -> list[int]:
    messages = [Message("user" if i % 2 == 0 else "assistant", t) for i, t in enumerate(turns)]
    return lm.encode(build_prompt(lm, messages).text)


def read(gen: Generation) -> list[int]:
    for _ in gen:
        pass
    return gen.result().token_ids


def test_a_request_that_starts_from_a_kept_beginning_gets_the_one_pass_logits(bundled):
    prompt = chat(bundled, "Tell me about the sea and the ships on it.")
    cache = PrefixCache(max_bytes=2**30)

    def logits_both_ways() -> tuple[torch.Tensor, torch.Tensor, int]:
        with torch.inference_mode():
            whole = prefill(bundled.model, prompt).logits[0, -1]
            cache.store(prompt[:24], kv(prefill(bundled.model, prompt[:24])))
            tokens, kept = cache.lookup(prompt)
            rest = bundled.model(input_ids=torch.tensor([prompt[tokens:]]), past_key_values=kept, use_cache=True)
            return whole, rest.logits[0, -1], tokens

    whole, parts, tokens = bundled.run(logits_both_ways)
    assert tokens == 24
    assert float((whole - parts).abs().max()) < 1e-4
    assert int(whole.argmax()) == int(parts.argmax())


def test_the_scheduler_reuses_the_system_prompt_and_the_earlier_turns(bundled):
    lm = bundled.with_batch(4, prefix_cache_mb=64)
    first = chat(lm, "What is a mirror?")
    alone = Generation(lm, first, GREEDY)
    while lm.run(alone.step) is not None:
        pass
    expected = alone.result().token_ids  # no scheduler, no prefix cache: the one-pass prefill
    assert read(Generation(lm, first, GREEDY)) == expected
    assert lm.scheduler.prefixes.stats().entries == 1
    other = Generation(lm, chat(lm, "Name three colours."), GREEDY)
    read(other)
    assert other.result().reused_prompt_tokens >= 16  # the system prompt and the chat template
    reply = lm.decode(expected)
    second_turn = Generation(lm, chat(lm, "What is a mirror?", reply, "And a window?"), GREEDY)
    read(second_turn)
    assert second_turn.result().reused_prompt_tokens >= len(first) - 8  # the whole first turn
    again = Generation(lm, first, GREEDY)
    assert read(again) == expected and again.result().reused_prompt_tokens > 0


def test_requests_starting_together_from_one_beginning_do_not_disturb_each_other(bundled):
    lm = bundled.with_batch(8, prefix_cache_mb=64)
    questions = ["Hi", "What is rain?", "Why is the sky blue?", "Name a bird.", "Count to five."]
    prompts = [chat(lm, q) for q in questions]
    expected = []
    for ids in prompts:
        gen = Generation(lm, ids, GREEDY)
        while lm.run(gen.step) is not None:
            pass
        expected.append(gen.result().token_ids)
    read(Generation(lm, prompts[0], GREEDY))  # keeps the shared beginning
    gens = [Generation(lm, ids, GREEDY) for ids in prompts]
    threads = [threading.Thread(target=read, args=(g,)) for g in gens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert all(g.result().reused_prompt_tokens > 0 for g in gens)
    assert [g.result().token_ids for g in gens] == expected
