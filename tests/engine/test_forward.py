"""Logits in blocks of positions: the model's own logits, without holding (positions x vocabulary) at once."""

from __future__ import annotations

import pytest
import torch

from mirror.engine import forward
from tests.conftest import build_tiny_gpt2, build_tiny_llama


def build_tiny_gemma3(vocab: int, softcap: float | None):
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                              num_attention_heads=4, num_key_value_heads=1, head_dim=8,
                              max_position_embeddings=64, sliding_window=8, final_logit_softcapping=softcap)
    return Gemma3ForCausalLM(config).eval()


class ScaledLlama(torch.nn.Module):
    """A model whose forward scales the head's logits: splitting it into body + head would be wrong."""

    def __init__(self, vocab: int):
        super().__init__()
        self.inner = build_tiny_llama(vocab)
        self.base_model_prefix = "inner"

    @property
    def base_model(self):
        return self.inner.model

    def get_output_embeddings(self):
        return self.inner.lm_head

    def forward(self, input_ids, **kwargs):
        out = self.inner(input_ids=input_ids, **kwargs)
        out.logits = out.logits * 2
        return out


def blocked(model, ids, start, stop, rows):
    with torch.inference_mode():
        return list(forward.logits_in_blocks(model, ids, start, stop, rows))


def whole(model, ids):
    with torch.inference_mode():
        return forward.all_logits(model, ids)


def heads_rows(model) -> list[int]:
    """The number of positions each call of the model's output layer gets, recorded from now on."""
    seen: list[int] = []
    model.get_output_embeddings().register_forward_hook(lambda _m, args, _o: seen.append(args[0].shape[-2]))
    return seen


@pytest.mark.parametrize("build", [
    lambda: build_tiny_llama(300), lambda: build_tiny_gpt2(300),
    lambda: build_tiny_gemma3(300, softcap=None), lambda: build_tiny_gemma3(300, softcap=3.0),
], ids=["llama", "gpt2", "gemma3", "gemma3-softcap"])
def test_blocks_are_the_models_own_logits(build):
    model = build()
    ids = torch.randint(0, 300, (50,), generator=torch.Generator().manual_seed(1))
    rows = heads_rows(model)
    parts = blocked(model, ids, 3, 49, rows=16)
    # After the probe (8 positions through the model's own forward and through the split), the output
    # layer never sees more positions than a block; blocks count from the sequence's first position.
    assert rows == [8, 8, 16, 16, 16, 2]
    assert [p.shape for p in parts] == [(13, 300), (16, 300), (16, 300), (1, 300)]
    assert all(p.dtype == torch.float32 for p in parts)
    torch.testing.assert_close(torch.cat(parts), whole(model, ids)[3:49], rtol=0, atol=1e-5)
    assert forward.accepted_split(model) is not None


def test_soft_capping_is_applied_after_the_head():
    model = build_tiny_gemma3(300, softcap=3.0)
    ids = torch.arange(20)
    parts = blocked(model, ids, 0, 20, rows=8)
    assert forward.accepted_split(model).softcap == 3.0
    assert float(torch.cat(parts).abs().max()) < 3.0


def test_a_model_that_does_more_than_body_and_head_keeps_its_own_forward():
    model = ScaledLlama(300).eval()
    ids = torch.arange(30)
    parts = blocked(model, ids, 0, 30, rows=8)
    assert forward.accepted_split(model) is None
    torch.testing.assert_close(torch.cat(parts), whole(model, ids), rtol=0, atol=0)
    assert [p.shape[0] for p in parts] == [8, 8, 8, 6]


def test_a_position_gets_the_same_logits_whichever_part_of_the_sequence_is_asked_for():
    """The Inside page's word ablation scores a continuation after its prompt, the inspector the whole
    text: the shared positions must agree bit for bit (a product over fewer rows may round differently)."""
    model = build_tiny_llama(300)
    ids = torch.randint(0, 300, (40,), generator=torch.Generator().manual_seed(2))
    everything = torch.cat(blocked(model, ids, 0, 39, rows=16))
    for start in (1, 7, 16, 30):
        assert torch.equal(torch.cat(blocked(model, ids, start, 39, rows=16)), everything[start:])
    short = ids[:12]  # within one block: exactly the model's own forward pass
    assert torch.equal(torch.cat(blocked(model, short, 0, 12, rows=16)), whole(model, short))


def test_the_bundled_model_scores_in_blocks(bundled):
    ids = torch.tensor(bundled.encode("A mirror shows what stands in front of it, and a model shows what it read. " * 6))
    parts = bundled.run(blocked, bundled.model, ids, 1, len(ids) - 1, 64)
    torch.testing.assert_close(torch.cat(parts), bundled.run(whole, bundled.model, ids)[1:-1], rtol=0, atol=1e-4)
    assert forward.accepted_split(bundled.model) is not None
