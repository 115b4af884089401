"""Scoring against independent computations: the model's own loss, a plain softmax, and windowing."""

import math

import pytest
import torch

from mirror.services.scoring import score_ids, score_text, start_token_id


def test_perplexity_matches_the_models_loss(bundled):
    text = "The quick brown fox jumps over the lazy dog. Mirrors reflect light."
    scored = score_text(bundled, text)
    ids = [start_token_id(bundled.tokenizer)] + bundled.encode(text)

    def loss():
        with torch.inference_mode():
            x = torch.tensor([ids])
            labels = x.clone()
            labels[0, 0] = -100  # the start token is context, not scored
            return float(bundled.model(input_ids=x, labels=labels).loss)

    assert len(scored.tokens) == len(ids) - 1
    assert math.isclose(scored.perplexity, math.exp(bundled.run(loss)), rel_tol=1e-4)


def test_each_token_matches_a_plain_softmax(tiny_llama):
    ids = tiny_llama.encode("a mirror shows what is in front of it")
    scored = score_ids(tiny_llama, ids)
    full = [start_token_id(tiny_llama.tokenizer)] + ids
    with torch.inference_mode():
        logits = tiny_llama.model(input_ids=torch.tensor([full])).logits[0]
    probs = torch.softmax(logits.float(), -1)
    for position, token in enumerate(scored.tokens):
        dist = probs[position]
        assert token.token_id == ids[position]
        assert math.isclose(token.prob, float(dist[token.token_id]), rel_tol=1e-4)
        order = torch.argsort(dist, descending=True).tolist()
        assert token.rank == order.index(token.token_id) + 1
        assert [a[0] for a in token.alternatives] == order[:10]
        assert math.isclose(token.surprisal, -math.log2(token.prob), rel_tol=1e-4)
        entropy = float(-(dist * torch.log2(dist)).sum())
        assert math.isclose(token.entropy, entropy, rel_tol=1e-3)


def test_sliding_window_covers_every_token_and_equals_one_pass_when_it_fits(tiny_llama):
    ids = tiny_llama.encode("word " * 150)[:150]  # the tiny model's window is 64 positions
    windowed = score_ids(tiny_llama, ids)
    assert windowed.windows > 1
    assert [t.index for t in windowed.tokens] == list(range(150))
    assert [t.token_id for t in windowed.tokens] == ids
    short = ids[:40]
    assert score_ids(tiny_llama, short).windows == 1
    # The first window's tokens are scored exactly as in one pass.
    one = score_ids(tiny_llama, short)
    assert [round(t.logprob, 5) for t in windowed.tokens[:40]] == [round(t.logprob, 5) for t in one.tokens]


def test_empty_text_is_refused(tiny_llama):
    with pytest.raises(ValueError, match="empty"):
        score_text(tiny_llama, " \n ")
