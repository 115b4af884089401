"""The sampler's stages against transformers' own logits processors, validation and end-token protection."""

import itertools
import math

import pytest
import torch
from transformers.generation.logits_process import (
    NoRepeatNGramLogitsProcessor,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from mirror.config import PRESETS
from mirror.engine.sampling import (
    STAGES,
    apply_top_k,
    apply_top_p,
    ParameterError,
    SamplingParams,
    choose_token,
    entropy_bits,
    run_pipeline,
)

VOCAB = 97


def reference_stages(ids: torch.Tensor, raw: torch.Tensor, p: SamplingParams) -> dict[str, torch.Tensor]:
    """The same stages computed by chaining transformers' processors, in generate's order."""
    out = {"raw": raw}
    x = raw
    if p.repetition_penalty != 1.0:
        x = RepetitionPenaltyLogitsProcessor(p.repetition_penalty)(ids, x.clone())
    out["repetition_penalty"] = x
    if p.no_repeat_ngram_size > 0:
        x = NoRepeatNGramLogitsProcessor(p.no_repeat_ngram_size)(ids, x.clone())
    out["no_repeat_ngram"] = x
    if p.temperature != 1.0:
        x = TemperatureLogitsWarper(p.temperature)(ids, x.clone())
    out["temperature"] = x
    if p.top_k:
        x = TopKLogitsWarper(p.top_k)(ids, x.clone())
    out["top_k"] = x
    if p.top_p < 1.0:
        x = TopPLogitsWarper(p.top_p)(ids, x.clone())
    out["top_p"] = x
    return out


def assert_close_logits(a: torch.Tensor, b: torch.Tensor) -> None:
    assert torch.equal(torch.isinf(a), torch.isinf(b)), "different tokens removed"
    finite = torch.isfinite(a)
    assert torch.allclose(a[finite], b[finite], atol=1e-6, rtol=0)


COMBOS = list(itertools.product(
    [0.1, 0.7, 1.0, 1.5, 2.0],  # temperature
    [0, 1, 5, 50, 200],  # top_k
    [0.05, 0.5, 0.95, 1.0],  # top_p
    [1.0, 1.2, 2.0],  # repetition_penalty
    [0, 1, 2, 3],  # no_repeat_ngram_size
))


@pytest.mark.parametrize("seed", range(3))
def test_every_stage_matches_transformers_processors(seed):
    gen = torch.Generator().manual_seed(seed)
    for t, k, top_p, rp, n in COMBOS:
        # Few distinct ids so that n-grams really repeat; logits with a realistic spread.
        ids = torch.randint(0, 8, (1, 24), generator=gen)
        raw = torch.randn(1, VOCAB, generator=gen) * 3
        params = SamplingParams(temperature=t, top_k=k, top_p=top_p, repetition_penalty=rp, no_repeat_ngram_size=n)
        ours = run_pipeline(ids, raw, params)
        ref = reference_stages(ids, raw, params)
        for stage in STAGES:
            assert_close_logits(ours.logits(stage), ref[stage])
        assert torch.allclose(ours.probs, torch.softmax(ref["top_p"], dim=-1), atol=1e-6)


def test_inputs_are_never_changed_in_place():
    ids = torch.tensor([[1, 2, 1, 2, 3]])
    raw = torch.randn(1, VOCAB)
    ids_copy, raw_copy = ids.clone(), raw.clone()
    run_pipeline(ids, raw, SamplingParams(temperature=0.5, top_k=5, top_p=0.5, repetition_penalty=1.5,
                                          no_repeat_ngram_size=2), protected_ids=[3])
    assert torch.equal(ids, ids_copy) and torch.equal(raw, raw_copy)


def test_one_dimensional_inputs_are_accepted():
    stages = run_pipeline(torch.tensor([4, 5, 4]), torch.randn(VOCAB), SamplingParams())
    assert stages.probs.shape == (1, VOCAB)
    assert math.isclose(float(stages.probs.sum()), 1.0, rel_tol=1e-5)


def test_greedy_is_argmax_of_the_penalised_logits():
    ids = torch.tensor([[7, 8, 9]])
    raw = torch.zeros(1, VOCAB)
    raw[0, 7] = 5.0  # best raw token, but it is in the text: the penalty (2.0) halves it
    raw[0, 11] = 3.0
    stages = run_pipeline(ids, raw, SamplingParams(temperature=0, repetition_penalty=2.0, no_repeat_ngram_size=0))
    assert stages.greedy
    assert int(choose_token(stages, None)) == 11
    assert float(stages.probs[0, 11]) == 1.0 and float(stages.probs.sum()) == 1.0


def test_sampling_draws_like_generate_with_the_same_seed():
    probs_logits = torch.randn(1, VOCAB)
    stages = run_pipeline(torch.tensor([[1]]), probs_logits, SamplingParams(temperature=1.0, top_k=0, top_p=1.0,
                                                                             repetition_penalty=1.0,
                                                                             no_repeat_ngram_size=0))
    ours = [int(choose_token(stages, torch.Generator().manual_seed(42))) for _ in range(3)]
    torch.manual_seed(42)
    theirs = int(torch.multinomial(torch.softmax(probs_logits, -1), 1)[0, 0])
    assert ours == [theirs] * 3


def test_end_tokens_stay_reachable_under_penalty_and_ngram_ban():
    eos = 2
    # "... . <eos> ... ." : after ".", the bigram ". <eos>" was seen, so the n-gram ban forbids <eos>,
    # and <eos> is in the text, so the repetition penalty lowers it.
    ids = torch.tensor([[5, 9, eos, 6, 9]])
    raw = torch.zeros(1, VOCAB)
    raw[0, eos] = 4.0
    params = SamplingParams(temperature=0.7, top_k=50, top_p=0.95, repetition_penalty=1.5, no_repeat_ngram_size=2)
    unprotected = run_pipeline(ids, raw, params)
    assert float(unprotected.probs[0, eos]) == 0.0  # what plain transformers would do: the chat could never end
    protected = run_pipeline(ids, raw, params, protected_ids=[eos])
    assert float(protected.no_repeat_ngram[0, eos]) == 4.0
    assert float(protected.probs[0, eos]) > 0.5
    # Other repeated tokens are still penalised.
    assert float(protected.repetition_penalty[0, 9]) == float(unprotected.repetition_penalty[0, 9])


@pytest.mark.parametrize("field,value,allowed", [
    ("temperature", -0.1, "0.0 to 2.0"), ("temperature", 2.5, "0.0 to 2.0"), ("temperature", float("nan"), "0.0"),
    ("top_k", -1, "0 to 200"), ("top_k", 201, "0 to 200"), ("top_k", 2.5, "whole number"),
    ("top_p", 0.0, "0.05 to 1.0"), ("top_p", 1.5, "0.05 to 1.0"),
    ("repetition_penalty", 0.9, "1.0 to 2.0"), ("repetition_penalty", 2.1, "1.0 to 2.0"),
    ("no_repeat_ngram_size", 7, "0 to 6"), ("max_new_tokens", 0, "1 to 1024"), ("max_new_tokens", 1025, "1 to 1024"),
    ("temperature", "hot", "number"), ("top_k", True, "number"), ("seed", -1, "seed"), ("seed", 1.5, "seed"),
])
def test_out_of_range_parameters_are_named_with_their_range(field, value, allowed):
    with pytest.raises(ParameterError) as error:
        SamplingParams(**{field: value})
    assert field in str(error.value) and allowed in str(error.value)


def test_presets_and_balanced_is_the_seed_recommendation():
    balanced = SamplingParams.preset("balanced")
    assert (balanced.temperature, balanced.top_k, balanced.top_p, balanced.repetition_penalty,
            balanced.no_repeat_ngram_size) == (0.7, 50, 0.95, 1.2, 2)
    assert SamplingParams() == balanced
    for name in PRESETS:
        SamplingParams.preset(name)
    assert SamplingParams.preset("Creative", seed=5).seed == 5
    with pytest.raises(ParameterError, match="unknown preset"):
        SamplingParams.preset("Wild")


def test_generate_kwargs_for_greedy_and_sampling():
    assert SamplingParams(temperature=0).generate_kwargs()["do_sample"] is False
    kwargs = SamplingParams(temperature=0.9, top_k=10).generate_kwargs()
    assert kwargs["do_sample"] is True and kwargs["temperature"] == 0.9 and kwargs["top_k"] == 10


def test_entropy_in_bits():
    assert math.isclose(float(entropy_bits(torch.full((8,), 1 / 8))), 3.0, rel_tol=1e-6)
    assert float(entropy_bits(torch.tensor([1.0, 0.0]))) == 0.0


def test_top_p_on_top_k_survivors_equals_the_full_sort(monkeypatch):
    """The fast path (sorting only what top-k left) removes exactly the tokens the full sort removes."""
    import mirror.engine.sampling as sampling

    generator = torch.Generator().manual_seed(7)
    for case in range(200):
        logits = torch.randn(3, 5000, generator=generator) * (0.5 + case % 4)
        top_k, ranked = sampling.top_k_ranked(logits, [1, 5, 50, 400][case % 4])
        top_p = [0.1, 0.5, 0.9, 0.99][(case // 4) % 4]
        fast = apply_top_p(top_k, top_p)
        reused = apply_top_p(top_k, top_p, ranked)  # sorting top-k's own ranking instead
        assert torch.equal(reused, fast), f"case {case}"
        monkeypatch.setattr(sampling, "TOP_P_SUBSET", 0)
        full = apply_top_p(top_k, top_p)
        monkeypatch.setattr(sampling, "TOP_P_SUBSET", 4096)
        assert torch.equal(torch.isinf(fast), torch.isinf(full)), f"case {case}"
        assert torch.equal(fast[torch.isfinite(fast)], full[torch.isfinite(full)])


# --- the batch sampler: one call for many rows, each row as if alone --------------------------------


def test_the_fast_draw_is_multinomials_draw_and_leaves_the_generator_in_the_same_state():
    """`draw_rows` against `torch.multinomial` itself, for sparse (top-k survivors) and
    dense (more than MATH_LOG_SUPPORT candidates) distributions of a real vocabulary's size."""
    from mirror.engine.sampling import MATH_LOG_SUPPORT, draw_rows

    vocab = 49152
    data = torch.Generator().manual_seed(3)
    for case in range(60):
        logits = torch.randn(vocab, generator=data) * (1 + case % 3)
        keep = [1, 7, 50, 600, MATH_LOG_SUPPORT + 1, vocab][case % 6]
        logits = apply_top_k(logits[None], keep)[0]
        probs = torch.softmax(logits, dim=-1)
        theirs_gen, ours_gen = torch.Generator().manual_seed(case), torch.Generator().manual_seed(case)
        for _ in range(3):  # consecutive draws from one generator, as a reply makes them
            theirs = int(torch.multinomial(probs[None], 1, generator=theirs_gen)[0, 0])
            ours = draw_rows(probs[None], [ours_gen])[0]
            assert ours == theirs, f"case {case}"
        assert torch.equal(ours_gen.get_state(), theirs_gen.get_state())


def _mixed_batch() -> tuple[list[torch.Tensor], torch.Tensor, list[SamplingParams], list[tuple[int, ...]]]:
    generator = torch.Generator().manual_seed(11)
    lengths = [5, 1, 12, 9, 30, 3]
    rows = [torch.randint(0, VOCAB, (n,), generator=generator) for n in lengths]
    raw = torch.randn(len(rows), VOCAB, generator=generator) * 3
    params = [
        SamplingParams.preset("Balanced"),
        SamplingParams(temperature=0.0, repetition_penalty=1.3, no_repeat_ngram_size=2),
        SamplingParams(temperature=1.7, top_k=0, top_p=0.5, repetition_penalty=1.0, no_repeat_ngram_size=0),
        SamplingParams(temperature=0.3, top_k=3, top_p=1.0, repetition_penalty=2.0, no_repeat_ngram_size=3),
        SamplingParams.preset("Creative"),
        SamplingParams(temperature=1.0, top_k=1, top_p=0.05, repetition_penalty=1.2, no_repeat_ngram_size=1),
    ]
    protected = [(2,), (2,), (), (2, 5), (2,), ()]
    return rows, raw, params, protected


def test_each_row_of_a_mixed_batch_is_bit_for_bit_the_row_alone():
    rows, raw, params, protected = _mixed_batch()
    together = run_pipeline(rows, raw, params, protected)
    assert together.greedy_rows == tuple(p.greedy for p in params) and not together.greedy
    assert torch.allclose(together.final_entropy_bits(), entropy_bits(together.probs), atol=1e-5)
    for i, (ids, p) in enumerate(zip(rows, params)):
        alone = run_pipeline(ids, raw[i], p, protected[i])
        for stage in (*STAGES, "probs"):
            batch_row = getattr(together, stage)[i]
            assert torch.equal(batch_row, getattr(alone, stage)[0]), f"row {i}, stage {stage}"
        if not p.greedy:  # and alone, each row is still what transformers' processors give
            assert_close_logits(alone.top_p, reference_stages(ids[None], raw[i : i + 1], p)["top_p"])


@pytest.mark.parametrize("inference", [False, True], ids=["plain", "inference-mode"])
def test_a_batch_draws_each_row_with_its_own_generator(inference):
    rows, raw, params, protected = _mixed_batch()
    with torch.inference_mode(inference):  # as the scheduler runs it: the draw threads must follow
        together = run_pipeline(rows, raw, params, protected)
        tokens = choose_token(together, [torch.Generator().manual_seed(40 + i) for i in range(len(rows))]).tolist()
    for i, (ids, p) in enumerate(zip(rows, params)):
        alone = run_pipeline(ids, raw[i], p, protected[i])
        assert tokens[i] == int(choose_token(alone, torch.Generator().manual_seed(40 + i))[0]), f"row {i}"
        if p.greedy:
            assert tokens[i] == int(together.no_repeat_ngram[i].argmax())


def test_banned_ids_are_the_tokens_the_ban_mask_marks():
    from mirror.engine.sampling import banned_ngram_ids, banned_ngram_mask

    generator = torch.Generator().manual_seed(5)
    for case in range(100):
        ids = torch.randint(0, 6 + case % 20, (1 + case % 40,), generator=generator)
        for n in (1, 2, 3):
            mask = banned_ngram_mask(ids[None], n, VOCAB)[0]
            assert banned_ngram_ids(ids, n, VOCAB).tolist() == mask.nonzero().reshape(-1).tolist(), (case, n)

