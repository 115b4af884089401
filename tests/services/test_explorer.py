"""The explorer's tables and figures are the sampler's own numbers; metrics on hand-made token lists."""

import math

import pytest
import torch

from mirror.services import explorer as ex
from mirror.services.prompts import prompt_for_text
from mirror.engine.generation import Generation
from mirror.engine.sampling import STAGES, SamplingParams, run_pipeline

VOCAB = 97
PARAMS = [
    SamplingParams(),
    SamplingParams(temperature=1.3, top_k=10, top_p=0.8, repetition_penalty=1.5, no_repeat_ngram_size=2),
    SamplingParams(temperature=0.4, top_k=0, top_p=0.5, repetition_penalty=1.0, no_repeat_ngram_size=0),
    SamplingParams(temperature=0.0, repetition_penalty=1.3, no_repeat_ngram_size=1),  # greedy
]


def random_case(seed: int) -> tuple[list[int], torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, 8, (24,), generator=gen).tolist()  # few distinct ids: n-grams repeat
    return ids, torch.randn(VOCAB, generator=gen) * 3


def names(ids):
    return [f"t{i} x" for i in ids]  # a space, so visible_whitespace has something to do


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: f"T{p.temperature}-k{p.top_k}-p{p.top_p}")
@pytest.mark.parametrize("seed", range(3))
def test_stage_table_equals_run_pipeline(params, seed):
    ids, raw = random_case(seed)
    stages = run_pipeline(torch.tensor(ids), raw, params)
    shown = ex.top_token_ids(stages, 40)
    table = ex.stage_table(stages, shown, names(shown))
    assert list(table["stage"].unique()) == list(STAGES)
    for stage in STAGES:
        rows = table[table["stage"] == stage]
        expected = torch.softmax(stages.logits(stage)[0], dim=-1)[shown]
        assert rows["token_id"].tolist() == shown
        assert rows["prob"].tolist() == expected.tolist()  # exactly, not approximately
        assert rows["removed"].tolist() == torch.isneginf(stages.logits(stage)[0, shown]).tolist()
    assert table["token"].iloc[0].endswith("␣x")


def test_shown_tokens_are_the_raw_top_n_and_cutoffs_are_prefixes():
    ids, raw = random_case(7)
    params = SamplingParams(temperature=1.0, top_k=12, top_p=0.9, repetition_penalty=1.4, no_repeat_ngram_size=2)
    stages = run_pipeline(torch.tensor(ids), raw, params)
    shown = ex.top_token_ids(stages, 30)
    assert set(shown) == set(torch.topk(raw, 30).indices.tolist())
    table = ex.stage_table(stages, shown, names(shown))
    for stage in ("top_k", "top_p"):
        removed = table.loc[table["stage"] == stage, "removed"].tolist()
        kept = removed.index(True)
        assert not any(removed[:kept]) and all(removed[kept:])  # survivors are a prefix of the order
        cut_here = (table.loc[table["stage"] == stage, "status"] == "removed here").any()
        assert ex.cutoff_rank(table, stage) == (kept if cut_here else None)
    assert ex.cutoff_rank(table, "top_k") is not None  # k = 12 of 30 shown
    assert ex.cutoff_rank(table, "raw") is None
    top_k = table[table["stage"] == "top_k"]
    assert set(top_k.loc[top_k["removed"], "status"]) <= {"removed here", "removed earlier"}


def test_a_ban_by_an_earlier_stage_is_not_drawn_as_a_top_k_cut():
    ids, raw = [5, 6, 5], torch.zeros(VOCAB)
    raw[6] = 5.0  # the favourite would repeat the bigram (5, 6): the n-gram ban removes it
    stages = run_pipeline(torch.tensor(ids), raw, SamplingParams(top_k=50, top_p=1.0, no_repeat_ngram_size=2))
    shown = ex.top_token_ids(stages, 20)
    table = ex.stage_table(stages, shown, names(shown))
    assert shown[-1] == 6 and table.loc[table["stage"] == "top_k", "removed"].tolist()[-1]
    assert ex.cutoff_rank(table, "no_repeat_ngram") == 19
    assert ex.cutoff_rank(table, "top_k") is None


def test_figures_against_independent_computation():
    ids, raw = random_case(3)
    params = SamplingParams(temperature=0.8, top_k=30, top_p=0.7, repetition_penalty=1.2, no_repeat_ngram_size=0)
    stages = run_pipeline(torch.tensor(ids), raw, params)
    chosen = ex.draw(stages, 5)
    fig = ex.figures(stages, chosen)

    def softmax(values):
        top = max(values)
        exps = [math.exp(v - top) for v in values]
        return [e / sum(exps) for e in exps]

    def entropy(probs):
        return -sum(p * math.log2(p) for p in probs if p > 0)

    raw_p = softmax(raw.double().tolist())
    assert fig.entropy_raw == pytest.approx(entropy(raw_p), abs=1e-5)
    # Repetition penalty by hand, then temperature, top-k and top-p by sorting.
    logits = raw.double().tolist()
    for token in set(ids):
        logits[token] = logits[token] * 1.2 if logits[token] < 0 else logits[token] / 1.2
    tempered = softmax([v / 0.8 for v in logits])
    order = sorted(range(VOCAB), key=lambda i: -tempered[i])
    top_k = order[:30]
    assert fig.survivors_top_k == 30
    assert fig.mass_kept_top_k == pytest.approx(sum(tempered[i] for i in top_k), abs=1e-5)
    top_k_mass = sum(tempered[i] for i in top_k)
    renorm = [tempered[i] / top_k_mass for i in top_k]
    kept, total = [], 0.0
    for token, p in zip(top_k, renorm):
        if total >= 0.7:
            break
        kept.append(token)
        total += p
    assert fig.survivors_top_p == len(kept)
    assert fig.mass_kept == pytest.approx(sum(tempered[i] for i in kept), abs=1e-5)
    final = [0.0] * VOCAB
    for token in kept:
        final[token] = tempered[token] / sum(tempered[i] for i in kept)
    assert fig.entropy_final == pytest.approx(entropy(final), abs=1e-5)
    assert chosen in kept and fig.chosen_prob == pytest.approx(final[chosen], abs=1e-6)
    assert fig.chosen_raw_prob == pytest.approx(raw_p[chosen], abs=1e-6)


def test_greedy_figures():
    ids, raw = random_case(1)
    stages = run_pipeline(torch.tensor(ids), raw, SamplingParams(temperature=0.0, repetition_penalty=1.0,
                                                                  no_repeat_ngram_size=0))
    fig = ex.figures(stages, ex.draw(stages, 0))
    assert fig.greedy and fig.chosen_id == int(raw.argmax()) and fig.chosen_prob == 1.0 and fig.entropy_final == 0.0


def test_temperature_curve_is_monotonic_and_matches_the_pipeline():
    ids, raw = random_case(2)
    params = SamplingParams(temperature=0.7, top_k=20, top_p=0.9)
    curve = ex.temperature_curve(ids, raw, params)
    assert curve["temperature"].tolist() == list(ex.TEMPERATURES)
    assert curve["entropy_full"].is_monotonic_increasing and curve["entropy_full"].diff().dropna().gt(0).all()
    assert curve["top1_full"].is_monotonic_decreasing
    row = curve[curve["temperature"] == 0.7].iloc[0]
    fig = ex.figures(run_pipeline(torch.tensor(ids), raw, params), 0)
    assert row["entropy_final"] == fig.entropy_final


def test_distinct_n_and_repeated_ngram_rate_on_hand_made_lists():
    assert ex.distinct_n([1, 2, 3, 4], 1) == 1.0
    assert ex.distinct_n([1, 1, 1, 1], 1) == 0.25
    assert ex.distinct_n([1, 2, 1, 2, 1], 2) == 2 / 4
    assert math.isnan(ex.distinct_n([1], 2))
    assert ex.repeated_ngram_rate([1, 2, 3, 4, 5], 2) == 0.0
    assert ex.repeated_ngram_rate([1, 2, 3, 1, 2, 3], 2) == 2 / 5
    assert ex.repeated_ngram_rate(list("abcdabcd"), 4) == 1 / 5
    assert ex.repeated_ngram_rate(list("abcabcabc"), 3) == 4 / 7
    assert math.isnan(ex.repeated_ngram_rate([1, 2, 3], 4))
    metrics = ex.text_metrics([5, 6, 5, 6], [math.log(0.5)] * 4)
    assert (metrics.tokens, metrics.distinct_1, metrics.distinct_2) == (4, 0.5, 2 / 3)
    assert metrics.perplexity == pytest.approx(2.0)
    assert math.isnan(ex.text_metrics([], []).perplexity)


# --- with a tiny model --------------------------------------------------------------------------------


def test_logits_table_and_first_draw_match_the_generation_loop(tiny_llama):
    lm = tiny_llama
    prompt = prompt_for_text(lm, "Hello mirror, tell me", chat=False, max_new_tokens=8)
    raw = ex.next_token_logits(lm, prompt.ids)
    with torch.inference_mode():
        direct = lm.model(input_ids=torch.tensor([prompt.ids])).logits[0, -1]
    assert torch.allclose(raw, direct, atol=1e-5, rtol=0)  # lm_head on one row vs all rows: last-bit differences
    params = SamplingParams(temperature=1.2, top_k=40, top_p=0.9, seed=11, max_new_tokens=8)
    stages = ex.pipeline(prompt.ids, raw, params, lm.end_ids)
    shown = ex.top_token_ids(stages, 25)
    table = ex.stage_table(stages, shown, lm.token_strings(shown))
    final = table[table["stage"] == "top_p"]
    assert final["prob"].tolist() == stages.probs[0, shown].tolist()
    step = Generation(lm, list(prompt.ids), params).step()
    assert step.token_id == ex.draw(stages, 11)
    assert step.prob == pytest.approx(float(stages.probs[0, step.token_id]), abs=1e-6)


def test_prepare_prompt_empty_and_cut_from_the_left(tiny_llama):
    with pytest.raises(ValueError, match="empty"):
        prompt_for_text(tiny_llama, "  \n", chat=False, max_new_tokens=8)
    text = " ".join(f"w{i}" for i in range(200))
    full = tiny_llama.encode(text)
    prompt = prompt_for_text(tiny_llama, text, chat=False, max_new_tokens=8)
    assert tiny_llama.info.context_length == 64
    assert prompt.total == len(full) and prompt.dropped == len(full) - 56
    assert list(prompt.ids) == full[-56:]
    chat = prompt_for_text(tiny_llama, "hi", chat=True, max_new_tokens=8)
    assert len(chat.ids) > len(tiny_llama.encode("hi"))


def test_continuation_logprobs_are_the_raw_model_given_the_prompt(tiny_llama):
    lm = tiny_llama
    prompt, new = lm.encode("The mirror says"), lm.encode(" hello hello")
    logprobs = ex.continuation_logprobs(lm, prompt, new)
    from mirror.services.scoring import start_token_id

    sequence = [start_token_id(lm.tokenizer), *prompt, *new]
    with torch.inference_mode():
        all_lp = torch.log_softmax(lm.model(input_ids=torch.tensor([sequence])).logits[0].float(), dim=-1)
    expected = [float(all_lp[len(sequence) - len(new) - 1 + i, t]) for i, t in enumerate(new)]
    assert logprobs == pytest.approx(expected, abs=1e-5)
    metrics = ex.measure(lm, prompt, new)
    assert metrics.mean_logprob == pytest.approx(sum(expected) / len(expected), abs=1e-5)
    assert metrics.perplexity == pytest.approx(math.exp(-metrics.mean_logprob))


def test_walk_pick_draw_undo_and_sampler_only_walk_equals_generation(tiny_llama):
    lm = tiny_llama
    params = SamplingParams(temperature=1.0, top_k=50, top_p=0.95, seed=3, max_new_tokens=5)
    prompt = prompt_for_text(lm, "Once upon a time", chat=False, max_new_tokens=5)
    walk = ex.Walk(prompt.ids, seed=3)
    for _ in range(5):
        walk.draw(ex.pipeline(walk.ids, ex.next_token_logits(lm, walk.ids), params, lm.end_ids))
    expected = Generation(lm, list(prompt.ids), params).run_to_end().token_ids
    assert walk.new_ids == expected[:5] and walk.picked_by == ["sampler"] * 5
    assert walk.finish_reason(lm.end_ids, 5, 64) == "length"
    walk.undo()
    walk.undo()
    redo = walk.draw(ex.pipeline(walk.ids, ex.next_token_logits(lm, walk.ids), params, lm.end_ids))
    assert redo == expected[3]  # undo restored the generator: the same draw again
    walk.pick(42)
    assert walk.new_ids[-1] == 42 and walk.picked_by[-1] == "you"
    walk.undo()
    assert walk.draw(ex.pipeline(walk.ids, ex.next_token_logits(lm, walk.ids), params, lm.end_ids)) == expected[4]


def test_grid_run_is_reproducible_and_summarised(tiny_llama):
    prompt = prompt_for_text(tiny_llama, "A mirror", chat=False, max_new_tokens=6)
    settings = {"Balanced": SamplingParams.preset("Balanced", max_new_tokens=6),
                "Creative": SamplingParams.preset("Creative", max_new_tokens=6)}
    progress = []
    runs = ex.grid_run(tiny_llama, prompt, settings, [1, 2], on_progress=lambda *a: progress.append(a))
    assert len(runs) == 4 and progress[-1][:2] == (4, 4)
    assert list(runs.columns[:2]) == ["setting", "seed"] and (runs["tokens"] <= 6).all()
    again = ex.grid_run(tiny_llama, prompt, settings, [1, 2])
    assert runs["text"].tolist() == again["text"].tolist()
    summary = ex.summarise_grid(runs)
    assert summary["setting"].tolist() == ["Balanced", "Creative"] and summary["runs"].tolist() == [2, 2]
    with pytest.raises(ValueError):
        ex.grid_run(tiny_llama, prompt, {}, [1])
