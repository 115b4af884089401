"""The batching scheduler: many sessions' requests in one forward pass, each as if it ran alone."""

from __future__ import annotations

import math
import threading
import time
from types import SimpleNamespace

import pytest
import torch

from mirror.engine.generation import Generation
from mirror.services.prompts import Message, build_prompt
from mirror.models import LoadedModel, wrap_model
from mirror.engine.sampling import SamplingParams

QUESTIONS = [
    "Hi",
    "What is a mirror?",
    "Write a poem about rain falling on a quiet town at night, with a dog watching from the window.",
    "Why is the sky blue? Explain it for a child.",
    "Name three colours.",
    "Tell me about the sea and the ships that sail on it, and about the people who live by it.",
]


def chat_ids(lm: LoadedModel, question: str) -> list[int]:
    return lm.encode(build_prompt(lm, [Message("user", question)]).text)


def params_for(i: int, greedy: bool, tokens: int = 16) -> SamplingParams:
    params = SamplingParams.preset("Balanced", seed=100 + i, max_new_tokens=tokens)
    return params.replace(temperature=0.0) if greedy else params


def alone(lm: LoadedModel, ids: list[int], params: SamplingParams) -> list[int]:
    """The request run by itself, stepping its own cache (no scheduler involved)."""
    gen = Generation(lm, ids, params)
    while lm.run(gen.step) is not None:
        pass
    return gen.result().token_ids


def in_threads(target, count: int, timeout: float = 600) -> None:
    """target(i) in `count` threads at once, as many Streamlit sessions are; wait for all."""
    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)


def concurrently(lm: LoadedModel, prompts: list[list[int]], params: list[SamplingParams],
                 stagger: float = 0.03) -> list[Generation]:
    """Every request in its own thread (as Streamlit sessions are), started a little apart."""
    gens = [Generation(lm, ids, p) for ids, p in zip(prompts, params)]

    def read(i: int) -> None:
        time.sleep(stagger * i)
        for _ in gens[i]:
            pass

    in_threads(read, len(gens))
    return gens


@pytest.mark.parametrize("greedy", [True, False], ids=["greedy", "seeded-sampling"])
def test_batched_requests_equal_their_runs_alone(bundled, greedy):
    lm = bundled
    prompts = [chat_ids(lm, q) for q in QUESTIONS]
    params = [params_for(i, greedy) for i in range(len(prompts))]
    expected = [alone(lm, ids, p) for ids, p in zip(prompts, params)]
    lm = lm.with_batch(8)
    gens = concurrently(lm, prompts, params)
    assert lm.scheduler.largest_batch >= 3, "the requests were not batched"
    for i, gen in enumerate(gens):
        result = gen.result()
        assert result.token_ids == expected[i], f"request {i} differs inside the batch"
        assert result.finish_reason in ("eos", "length")
        assert result.text == lm.decode(result.token_ids)  # no other session's text leaked in


def test_cancel_one_of_four_leaves_the_others_untouched(bundled):
    lm = bundled
    prompts = [chat_ids(lm, q) for q in QUESTIONS[:4]]
    params = [params_for(i, greedy=False, tokens=24).replace(temperature=1.0, top_p=1.0, top_k=0) for i in range(4)]
    expected = [alone(lm, ids, p) for ids, p in zip(prompts, params)]
    lm = lm.with_batch(8)
    gens = [Generation(lm, ids, p) for ids, p in zip(prompts, params)]
    seen: list[list[int]] = [[] for _ in gens]

    def read(i: int) -> None:
        for step in gens[i]:
            seen[i].append(step.token_id)
            if i == 2 and len(seen[i]) == 3:
                gens[i].cancel()

    in_threads(read, 4)
    cancelled = gens[2].result()
    assert cancelled.finish_reason == "cancelled"
    assert cancelled.token_ids == seen[2] == expected[2][:3]
    for i in (0, 1, 3):
        assert gens[i].result().token_ids == expected[i] == seen[i]
    assert lm.scheduler.running == 0 and lm.scheduler.waiting == 0


def test_a_burst_of_thirty_requests_completes_and_waiting_ones_see_their_place(bundled):
    lm = bundled
    lm = lm.with_batch(8)
    prompts = [chat_ids(lm, QUESTIONS[i % len(QUESTIONS)]) for i in range(30)]
    gens = [Generation(lm, ids, params_for(i, greedy=False, tokens=6)) for i, ids in enumerate(prompts)]
    places: list[list[int]] = [[] for _ in gens]
    errors: list[BaseException] = []

    def read(i: int) -> None:
        try:
            for _ in gens[i].stream(on_wait=places[i].append, poll=0.05):
                pass
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    in_threads(read, 30)
    assert not errors
    results = [g.result() for g in gens]
    assert all(r.finish_reason in ("eos", "length") and r.new_tokens >= 1 for r in results)
    assert lm.scheduler.largest_batch == 8  # never more than the batch allows
    waited = [p for p in places if p]
    assert len(waited) >= 10, "most of a burst of 30 should have waited for a place"
    assert all(p[-1] <= p[0] for p in waited)  # a waiting request only moves up the queue
    assert max(max(p) for p in waited) > 8
    assert all(r.queued_seconds >= 0 for r in results)
    assert lm.scheduler.running == 0 and lm.scheduler.waiting == 0


def test_absolute_position_models_batch_correctly(tokenizer):
    """GPT-2 style models take positions from position_ids: left padding must not shift them."""
    from tests.conftest import build_tiny_gpt2

    lm = wrap_model(build_tiny_gpt2(len(tokenizer)), tokenizer, "tiny-gpt2-batch")
    prompts = [tokenizer("a b c d e f g h i j").input_ids, tokenizer("hello").input_ids,
               tokenizer("one two three four").input_ids]
    params = [SamplingParams(temperature=0.0, max_new_tokens=8, repetition_penalty=1.0, no_repeat_ngram_size=0)] * 3
    expected = [alone(lm, ids, p) for ids, p in zip(prompts, params)]
    lm = lm.with_batch(4)
    gens = concurrently(lm, prompts, params, stagger=0.0)
    assert [g.result().token_ids for g in gens] == expected
    lm.close()


class _Breaks:
    """Wraps a model so that its forward pass fails on demand."""

    def __init__(self, model):
        self.model, self.broken = model, False

    def __getattr__(self, name):
        return getattr(self.model, name)

    def __call__(self, *args, **kwargs):
        if self.broken:
            raise RuntimeError("the forward pass failed")
        return self.model(*args, **kwargs)


def test_a_failed_forward_pass_reaches_the_reader_and_the_scheduler_goes_on(tokenizer):
    from tests.conftest import build_tiny_llama

    lm = wrap_model(build_tiny_llama(len(tokenizer)), tokenizer, "tiny-breaks")
    lm.model = _Breaks(lm.model)
    ids = tokenizer("a b c").input_ids
    params = SamplingParams(temperature=0.0, max_new_tokens=5, repetition_penalty=1.0, no_repeat_ngram_size=0)
    lm.model.broken = True
    with pytest.raises(RuntimeError, match="forward pass failed"):
        Generation(lm, ids, params).run_to_end()
    lm.model.broken = False
    assert Generation(lm, ids, params).run_to_end().new_tokens == 5
    lm.close()


class _Sequences(torch.nn.Module):
    """A fake model that batches its own sequences (as the llama.cpp adapter does): its logits depend on
    the sequence's tokens only, so every request must get exactly its own continuation."""

    def __init__(self, vocab: int, eos_id: int):
        super().__init__()
        self.vocab, self.n_seq, self.batches = vocab, 3, []
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.config = SimpleNamespace(max_position_embeddings=256)
        self.generation_config = SimpleNamespace(eos_token_id=eos_id)

    device = property(lambda self: self.weight.device)
    dtype = property(lambda self: self.weight.dtype)

    def _next(self, tokens: list[int]) -> torch.Tensor:
        logits = torch.zeros(self.vocab)
        logits[(sum(tokens) * 31 + len(tokens)) % 1000 + 100] = 10.0
        return logits

    def forward(self, input_ids, past_key_values=None, use_cache=True, logits_to_keep=None):
        tokens = (past_key_values or []) + input_ids[0].tolist()
        return SimpleNamespace(logits=self._next(tokens)[None, None], past_key_values=tokens)

    def decode_batch(self, caches: list[list[int]], tokens: list[int]) -> torch.Tensor:
        self.batches.append(len(caches))
        for cache, token in zip(caches, tokens):
            cache.append(token)
        return torch.stack([self._next(cache) for cache in caches])


def test_models_that_batch_their_own_sequences_get_one_pass_per_tick(tokenizer):
    lm = wrap_model(_Sequences(len(tokenizer), tokenizer.eos_token_id), tokenizer, "own-sequences")
    params = SamplingParams(temperature=0.0, max_new_tokens=12, repetition_penalty=1.0, no_repeat_ngram_size=0)
    prompts = [tokenizer(text).input_ids for text in ("a b c", "hello there", "one", "two words", "x")]
    expected = [alone(lm, ids, params) for ids in prompts]
    lm = lm.with_batch(8)
    assert lm.scheduler.capacity == 3  # the model's own number of sequences
    gens = concurrently(lm, prompts, [params] * 5, stagger=0.0)
    assert [g.result().token_ids for g in gens] == expected
    assert max(lm.model.batches) == 3  # never more sequences than the model holds
    lm.close()


def test_each_tick_reports_what_it_did(tokenizer):
    from mirror.engine.scheduler import Tick
    from tests.conftest import build_tiny_llama

    lm = wrap_model(build_tiny_llama(len(tokenizer)), tokenizer, "tiny-ticks", max_batch=4)
    params = SamplingParams(temperature=0.0, max_new_tokens=3, repetition_penalty=1.0, no_repeat_ngram_size=0)
    gen = Generation(lm, tokenizer("a b c").input_ids, params)
    assert gen.run_to_end().new_tokens == 3
    lm.run(lambda: None)  # the owner thread has finished the tick that ended the request
    # prefill (admitted, token 1), a batched step (token 2), a batched step that ends it (token 3)
    assert lm.scheduler.last_tick == Tick(stepped=1, admitted=0, ended=1)
    assert lm.scheduler.running == 0 and lm.scheduler.waiting == 0
    lm.close()


def test_the_figures_of_batched_steps_equal_a_direct_computation(bundled):
    """Every figure of every step of three replies written together (one sampler call per tick) against
    the model's own logits for the whole text, without a cache, through transformers' processors."""
    from transformers.generation.logits_process import (
        LogitsProcessorList, NoRepeatNGramLogitsProcessor, RepetitionPenaltyLogitsProcessor,
        TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper)

    lm = bundled.with_batch(4)
    prompts = [chat_ids(lm, q) for q in QUESTIONS[:3]]
    params = [SamplingParams.preset("Balanced", seed=7 + i, max_new_tokens=6) for i in range(3)]
    gens = [Generation(lm, ids, p, protect_end_tokens=False) for ids, p in zip(prompts, params)]
    steps: list[list] = [[] for _ in gens]
    in_threads(lambda i: steps[i].extend(gens[i]), len(gens))
    assert lm.scheduler.largest_batch >= 2, "the replies were not batched"
    for gen, prompt, p, written in zip(gens, prompts, params, steps):
        ids = torch.tensor([prompt + [s.token_id for s in written]])
        logits = lm.run(lambda: _all_logits(lm.model, ids))
        processors = LogitsProcessorList([
            RepetitionPenaltyLogitsProcessor(p.repetition_penalty), NoRepeatNGramLogitsProcessor(p.no_repeat_ngram_size),
            TemperatureLogitsWarper(p.temperature), TopKLogitsWarper(p.top_k), TopPLogitsWarper(p.top_p)])
        for j, step in enumerate(written):
            at = len(prompt) - 1 + j
            raw = logits[at]
            raw_p = torch.softmax(raw, -1)
            final = torch.softmax(processors(ids[:, : at + 1], raw[None].clone())[0], -1)
            token = step.token_id
            assert step.raw_prob == pytest.approx(float(raw_p[token]), abs=1e-4)
            assert step.prob == pytest.approx(float(final[token]), abs=1e-4)
            assert int((raw > raw[token] + 1e-4).sum()) + 1 <= step.rank <= int((raw > raw[token] - 1e-4).sum()) + 1
            assert step.entropy == pytest.approx(float(torch.special.entr(raw_p).sum()) / math.log(2), abs=1e-3)
            assert step.sampler_entropy == pytest.approx(float(torch.special.entr(final).sum()) / math.log(2), abs=1e-3)
            alternatives = [a.token_id for a in step.alternatives]
            assert len(alternatives) == 10 and float(raw_p[alternatives].min()) >= float(raw_p.topk(10).values[-1]) - 1e-5
            for a in step.alternatives:
                assert a.raw_prob == pytest.approx(float(raw_p[a.token_id]), abs=1e-4)
                assert a.prob == pytest.approx(float(final[a.token_id]), abs=1e-4)


def _all_logits(model, ids: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():  # on the owner thread, where the call runs
        return model(input_ids=ids).logits[0].float()


@pytest.mark.parametrize("greedy", [True, False], ids=["greedy", "seeded-sampling"])
def test_requests_arriving_together_are_prefilled_in_one_pass_and_equal_their_runs_alone(bundled, greedy):
    """Six requests queue while the model is busy, then are admitted in one tick: one prefill pass for
    all, some starting from a kept beginning (left-padded kept parts, padding between kept and new)."""
    lm = bundled.with_batch(8, prefix_cache_mb=64)
    prompts = [chat_ids(lm, q) for q in QUESTIONS]
    params = [params_for(i, greedy, tokens=10) for i in range(len(prompts))]
    expected = [alone(lm, ids, p) for ids, p in zip(prompts, params)]
    for gen in (Generation(lm, prompts[0], params[0]), Generation(lm, prompts[3], params[3])):
        gen.run_to_end()  # keeps two prompts' beginnings, and learns that this model's caches batch
    owner_free = threading.Event()
    lm.submit(owner_free.wait)
    gens = [Generation(lm, ids, p).start() for ids, p in zip(prompts, params)]
    owner_free.set()
    results = [gen.run_to_end() for gen in gens]
    assert lm.scheduler.prefilled_together == len(gens)
    assert {r.reused_prompt_tokens > 0 for r in results} == {True}  # the system prompt, at least
    assert len({r.reused_prompt_tokens for r in results}) > 1  # kept parts of different lengths
    for i, result in enumerate(results):
        assert result.token_ids == expected[i], f"request {i} differs after the shared prefill"
        assert result.text == lm.decode(result.token_ids)
