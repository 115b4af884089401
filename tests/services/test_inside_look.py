"""The logit lens and attention weights against transformers' own computation, outside our code path.

The reference model is loaded again by the test with `attn_implementation="eager"` from the bundled
weight cache (stock linear layers, no layout choice), so nothing of the app's forward path is reused.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from mirror.config import Settings
from mirror.engine.forward import InternalsUnavailable
from mirror.engine.sampling import SamplingParams, run_pipeline
from mirror.models import wrap_model
from mirror.models.weight_cache import bundled_cache_dir
from mirror.services.inside import look as looking
from mirror.services.inside.look import (
    ATTENTION_MAX_TOKENS,
    LENS_MAX_TOKENS,
    TooLong,
    check_reachable,
    document_ids,
    layer_probs,
    look_inside,
    survival,
)
from tests.conftest import build_tiny_gpt2

TEXT = "Mirror, mirror on the wall, who is the fairest of them all? Привет, 🪞!"


@pytest.fixture(scope="module")
def reference():
    from transformers import AutoModelForCausalLM

    folder = bundled_cache_dir(Settings.from_env().cache_dir)
    return AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()


def reference_outputs(model, ids: list[int]):
    with torch.inference_mode():
        return model(input_ids=torch.tensor([ids]), output_hidden_states=True, output_attentions=True)


def lens_reference(model, out) -> torch.Tensor:
    """(layers, positions, vocab) lens probabilities: final norm + output layer on hidden_states, the model's
    own logits at the last layer."""
    norm, head = model.base_model.norm if hasattr(model.base_model, "norm") else model.base_model.ln_f, model.lm_head
    with torch.inference_mode():
        layers = [torch.softmax(head(norm(h[0])), dim=-1) for h in out.hidden_states[:-1]]
    return torch.stack(layers + [torch.softmax(out.logits[0], dim=-1)])


def test_lens_and_attention_equal_transformers_on_the_bundled_model(bundled, reference):
    looking.forget_looks()
    ids = document_ids(bundled, TEXT)
    look = look_inside(bundled, ids)
    assert look.token_ids == tuple(ids)
    out = reference_outputs(reference, ids)
    assert look.blocks == 30 and look.heads == 9 and look.lens.layers == 31
    expected = lens_reference(reference, out)
    # The last entry is the model's own output distribution.
    final = torch.softmax(out.logits[0], dim=-1)
    assert torch.allclose(look.lens.top_probs[-1], final.gather(1, look.lens.top_ids[-1]), atol=1e-5)
    assert torch.equal(look.lens.top_ids[-1, :, 0], final.argmax(dim=-1))
    # Every intermediate entry: final norm + output layer on transformers' hidden states.
    gathered = expected.gather(2, look.lens.top_ids)
    assert torch.allclose(look.lens.top_probs, gathered, atol=1e-4)
    assert torch.allclose(look.lens.top_probs[:, :, 0], expected.max(dim=-1).values, atol=1e-4)
    next_ids = torch.tensor(ids[1:] + [int(final[-1].argmax())])
    assert torch.equal(look.lens.next_ids, next_ids)
    assert torch.allclose(look.lens.next_probs, expected.gather(2, next_ids[None, :, None].expand(31, -1, 1))[..., 0],
                          atol=1e-4)
    # Attention: transformers' eager weights, every row a distribution over the positions up to it.
    reference_attention = torch.stack([a[0] for a in out.attentions])
    assert look.attention.shape == reference_attention.shape == (30, 9, len(ids), len(ids))
    assert torch.allclose(look.attention, reference_attention, atol=1e-5)
    assert torch.allclose(look.attention.sum(dim=-1), torch.ones(30, 9, len(ids)), atol=1e-5)
    assert float(torch.triu(look.attention, diagonal=1).abs().max()) == 0.0
    # The model is back on its own attention afterwards.
    assert bundled.model.config._attn_implementation == "sdpa"


def test_commitment_is_the_first_layer_of_the_final_top1_run(bundled):
    look = look_inside(bundled, document_ids(bundled, TEXT))
    top1 = look.lens.top_ids[:, :, 0]
    for p, layer in enumerate(look.lens.commitment()):
        final = top1[-1, p]
        assert bool((top1[layer:, p] == final).all())
        assert layer == 0 or top1[layer - 1, p] != final


def test_moving_between_positions_layers_and_heads_runs_no_forward_pass(bundled):
    looking.forget_looks()
    calls = []
    hook = bundled.model.register_forward_hook(lambda *_: calls.append(1))
    try:
        ids = document_ids(bundled, TEXT)
        look = look_inside(bundled, ids)
        assert len(calls) == 1
        for position in (0, 5, len(ids) - 1):
            assert look_inside(bundled, ids) is look
            look.attention_row(3, 2, position)
            look.head_means(position)
            layer_probs(bundled, look, 10, position)
            survival(bundled, look, 20, position, int(look.lens.final_top1[position]), SamplingParams())
        assert len(calls) == 1
    finally:
        hook.remove()


def test_one_layer_through_the_sampler(bundled):
    look = look_inside(bundled, document_ids(bundled, TEXT))
    position, layer = 4, 12
    probs = layer_probs(bundled, look, layer, position)
    assert torch.allclose(probs.topk(5).values, look.lens.top_probs[layer, position], atol=1e-5)
    params = SamplingParams(temperature=0.7, top_k=5, top_p=0.9)
    logits = torch.log(probs)
    stages = run_pipeline(torch.tensor(look.token_ids[: position + 1]), logits, params, protected_ids=bundled.end_ids)
    for token in (int(look.lens.top_ids[layer, position, 0]), int(look.lens.top_ids[layer, position, 4]),
                  int(probs.argmin())):
        result = survival(bundled, look, layer, position, token, params)
        assert result.raw_prob == pytest.approx(float(probs[token]), abs=1e-6)
        assert result.sampler_prob == pytest.approx(float(stages.probs[0, token]), abs=1e-5)
        assert result.survived == (float(stages.probs[0, token]) > 0)
        assert result.kept == int((stages.probs[0] > 0).sum()) <= 5
    assert not survival(bundled, look, layer, position, int(probs.argmin()), params).survived
    assert layer_probs(bundled, look, look.blocks, position).argmax() == look.lens.final_top1[position]


def test_gpt2_lens_and_attention_equal_transformers(tokenizer):
    model = build_tiny_gpt2(len(tokenizer))
    lm = wrap_model(model, tokenizer, name="tiny-gpt2")
    try:
        ids = document_ids(lm, "A tiny GPT-2 reads this.")
        look = look_inside(lm, ids)
        reference = build_tiny_gpt2(len(tokenizer))
        reference.set_attn_implementation("eager")
        out = reference_outputs(reference, ids)
        expected = lens_reference(reference, out)
        assert torch.allclose(look.lens.top_probs, expected.gather(2, look.lens.top_ids), atol=1e-5)
        assert torch.allclose(look.attention, torch.stack([a[0] for a in out.attentions]), atol=1e-5)
        assert look.blocks == 2 and look.heads == 4
    finally:
        lm.close()


def test_caps_and_bad_input_get_clear_errors(bundled, tiny_llama):
    with pytest.raises(ValueError, match="empty"):
        document_ids(bundled, "   ")
    with pytest.raises(ValueError, match="no tokens"):
        look_inside(bundled, [])
    with pytest.raises(TooLong, match=f"up to {LENS_MAX_TOKENS} tokens"):
        look_inside(bundled, [1] * (LENS_MAX_TOKENS + 1))
    with pytest.raises(ValueError, match="not in this model's vocabulary"):
        look_inside(bundled, [1, len(bundled.tokenizer) + 5])
    with pytest.raises(TooLong, match="up to 64 tokens"):  # the tiny model's own window
        look_inside(tiny_llama, [1] * 65)
    long_look = look_inside(bundled, document_ids(bundled, "word " * (ATTENTION_MAX_TOKENS + 10)))
    assert long_look.attention is None and long_look.lens.positions > ATTENTION_MAX_TOKENS
    with pytest.raises(TooLong, match=f"up to {ATTENTION_MAX_TOKENS} tokens"):
        long_look.head_means(3)


def test_a_model_without_hidden_states_is_refused_with_a_reason(tokenizer):
    class Native:
        """Stands in for a native runtime: logits only."""
        device = torch.device("cpu")
        dtype = torch.float32
        config = SimpleNamespace(max_position_embeddings=64)

        def __call__(self, input_ids, **_):
            raise AssertionError("not to be called")

    lm = wrap_model(Native(), tokenizer, name="native")
    try:
        with pytest.raises(InternalsUnavailable, match="no hidden states"):
            check_reachable(lm)
        with pytest.raises(InternalsUnavailable):
            look_inside(lm, [1, 2, 3])
    finally:
        lm.close()


def test_a_kept_look_is_never_given_for_another_model_at_the_same_address(tokenizer, monkeypatch):
    """A freed model's id() can be reused by the next one; the kept look checks the model itself."""
    looking.forget_looks()
    first = wrap_model(build_tiny_gpt2(len(tokenizer)), tokenizer, name="first")
    ids = document_ids(first, "The same text for two models.")
    look = look_inside(first, ids)
    second_model = build_tiny_gpt2(len(tokenizer))
    with torch.no_grad():
        for parameter in second_model.parameters():
            parameter.mul_(2)
    second = wrap_model(second_model, tokenizer, name="second")
    monkeypatch.setattr(looking, "id", lambda obj: 42, raising=False)  # as if both sat at one address
    try:
        assert look_inside(first, ids) is not look  # kept under the real id: a new key is computed once
        again = look_inside(first, ids)
        assert look_inside(first, ids) is again
        other = look_inside(second, ids)
        assert other is not again and not torch.equal(other.lens.top_probs, again.lens.top_probs)
    finally:
        first.close()
        second.close()
