"""llama.cpp multi-sequence batching: one context holds n_seq requests; one decode steps them all."""

import gc
import importlib.util
import os

import pytest
import torch

from mirror.models.llamacpp import LlamaSeq

pytestmark = pytest.mark.slow

if importlib.util.find_spec("llama_cpp") is None:
    if os.environ.get("CI"):
        raise RuntimeError("llama-cpp-python is not installed (requirements-llamacpp.txt: make llamacpp)")
    pytest.skip("llama-cpp-python is not installed", allow_module_level=True)

PROMPTS = [
    "Once upon a time, in a small village at the edge of a dark forest, there lived an old woman who",
    "The sea is",
    "def add(a, b):\n    return a + b\n\ndef multiply(a, b):",
    "My favourite book is the one my grandmother gave me when I was seven, because",
]
TOL = 0.1  # max |Δ logit|; measured 0.027-0.043 (a batch of rows and a single row round differently)


@pytest.fixture(scope="module")
def f16():
    from mirror.models import load_model

    return load_model(runtime="llamacpp-f16")


def _prefill(model, ids):
    out = model(input_ids=torch.tensor([ids]), past_key_values=None, logits_to_keep=1)
    assert out.logits.shape == (1, 1, model.vocab) and isinstance(out.past_key_values, LlamaSeq)
    return out.past_key_values, out.logits[0, -1]


def test_batched_decode_equals_each_sequence_alone(f16):
    model = f16.model
    prompts = [f16.encode(p) for p in PROMPTS]

    def alone(ids):
        handle, logits = _prefill(model, ids)
        rows, token = [], int(logits.argmax())
        for _ in range(16):
            out = model(input_ids=torch.tensor([[token]]), past_key_values=handle, logits_to_keep=1)
            assert out.past_key_values is handle
            rows.append(out.logits[0, -1].clone())
            token = int(rows[-1].argmax())
        model.release(handle)
        return torch.stack(rows)

    def batched():
        handles, tokens = [], []
        for ids in prompts:
            handle, logits = _prefill(model, ids)
            handles.append(handle)
            tokens.append(int(logits.argmax()))
        rows = []
        for _ in range(16):
            logits = model.decode_batch(handles, tokens)
            assert logits.shape == (len(handles), model.vocab) and logits.dtype == torch.float32
            rows.append(logits)
            tokens = logits.argmax(-1).tolist()
        assert [len(h.tokens) for h in handles] == [len(p) + 16 for p in prompts]
        for h in handles:
            model.release(h)
        return torch.stack(rows, dim=1)  # (B, 16, V)

    def check():
        singles = [alone(ids) for ids in prompts]
        together = batched()
        for i, single in enumerate(singles):
            assert float((together[i] - single).abs().max()) <= TOL
            assert torch.equal(together[i].argmax(-1), single.argmax(-1))  # same greedy tokens
        assert model.free_slots == model.n_seq

    f16.run(check)


def test_slots_are_released_reused_and_reclaimed(f16):
    model = f16.model
    ids = f16.encode("The sea is")

    def check():
        gc.collect()
        assert model.free_slots == model.n_seq
        for _ in range(model.n_seq + 4):  # more requests than slots, one after another
            handle, _ = _prefill(model, ids)
            model.release(handle)
            model.release(handle)  # twice is harmless
            assert handle.seq_id is None and model.free_slots == model.n_seq
        with pytest.raises(ValueError, match="released"):
            model(input_ids=torch.tensor([[5]]), past_key_values=handle, logits_to_keep=1)

        handles = [_prefill(model, ids)[0] for _ in range(model.n_seq)]
        assert sorted(h.seq_id for h in handles) == list(range(model.n_seq))
        with pytest.raises(RuntimeError, match="slots are in use"):
            _prefill(model, ids)
        full = model(input_ids=torch.tensor([ids])).logits  # scoring still works: its own scratch slot
        assert full.shape == (1, len(ids), model.vocab)

        abandoned = handles.pop(3).seq_id
        gc.collect()
        assert model.free_slots == 1
        handle, logits = _prefill(model, ids)  # takes the abandoned slot, its old KV gone
        assert handle.seq_id == abandoned
        assert float((logits - full[0, -1]).abs().max()) <= TOL
        for h in handles + [handle]:
            model.release(h)
        assert model.free_slots == model.n_seq

    f16.run(check)


def test_scoring_equals_token_by_token_steps(f16):
    """All rows of one pass equal one-row decode steps of a sequence (tolerance of test_runtimes.py)."""
    model = f16.model
    ids = f16.encode(PROMPTS[0] + " was very kind to everyone.")

    def check():
        other, _ = _prefill(model, f16.encode(PROMPTS[2]))  # another request holds a slot meanwhile
        out = model(input_ids=torch.tensor([ids]))
        assert out.past_key_values is None
        full = out.logits[0]
        handle, first = _prefill(model, ids[:5])
        rows = [first]
        for token in ids[5:]:
            out = model(input_ids=torch.tensor([[token]]), past_key_values=handle, logits_to_keep=1)
            rows.append(out.logits[0, -1])
        steps = torch.stack(rows[:-1])
        assert float((steps - full[4:-1]).abs().max()) <= 0.1
        assert torch.equal(steps.argmax(-1), full[4:-1].argmax(-1))
        assert handle == ids and handle.tokens == ids
        # half of them by decode_batch next to the other request: the same rows again
        h2, first2 = _prefill(model, ids[:5])
        batch_rows = [first2]
        for token in ids[5:]:
            batch_rows.append(model.decode_batch([other, h2], [7, token])[1])
        assert float((torch.stack(batch_rows[:-1]) - full[4:-1]).abs().max()) <= 0.1
        for h in (other, handle, h2):
            model.release(h)

    f16.run(check)


def test_the_scheduler_batches_llamacpp_requests_and_each_gets_its_own_tokens(f16):
    """Sessions in threads, through the scheduler: one decode per tick for all, the same tokens as alone."""
    import threading

    from mirror.engine.generation import Generation
    from mirror.engine.sampling import SamplingParams

    params = SamplingParams(temperature=0.0, max_new_tokens=12, repetition_penalty=1.0, no_repeat_ngram_size=0)
    prompts = [f16.encode(text) for text in PROMPTS]

    def alone(ids):
        gen = Generation(f16, ids, params)
        while f16.run(gen.step) is not None:
            pass
        return gen.result().token_ids

    expected = [alone(ids) for ids in prompts]
    f16 = f16.with_batch(16)
    assert f16.scheduler.capacity == 16
    gens = [Generation(f16, ids, params).start() for ids in prompts]
    threads = [threading.Thread(target=g.run_to_end) for g in gens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [g.result().token_ids for g in gens] == expected
    assert f16.scheduler.largest_batch >= 3
