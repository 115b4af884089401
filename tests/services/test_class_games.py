"""The sampler games ("Be the sampler", "The class is the sampler"), names in a class, and the class record.

Every probability is checked against `run_pipeline` over the model's own logits (transformers' forward),
and every draw against `torch.multinomial` with the draw's seed: what transformers' `generate` draws.
"""

from __future__ import annotations

import csv
import io
import math

import pytest
import torch

from mirror.engine.sampling import SamplingParams, run_pipeline
from mirror.services.class_games import (DRAW_GAME, GOES_ON_TOKENS, VOTE_CHOICES, VOTE_GAME, Candidate, Draw,
                                         SamplerSetup, close_draws, draw_for, draw_of, next_from_choice,
                                         reveal_votes, start_sampler_round, summarise_draws, vote_for)
from mirror.services.class_record import COLUMNS, class_record, clear_record, record_csv
from mirror.services.classroom import ClassError, cast_vote, join_class, open_class, reveal, start_round
from mirror.services.store import Store

TEACHER = "p-TTTTTTTTTTTTTTTT"
PROMPT = "Once upon a time there was a"
MODEL = "SmolLM2"


@pytest.fixture
def store(tmp_path):
    return Store(f"sqlite:///{tmp_path / 'mirror.sqlite3'}")


def student(n: int) -> str:
    return f"p-student{n:09d}"


def a_class(store: Store, students: int) -> str:
    code = open_class(store, TEACHER)
    for n in range(students):
        join_class(store, code, student(n), f"Student {n}")
    return code


def sampler_probs(lm, prompt: str, params: SamplingParams) -> torch.Tensor:
    """Independently: transformers' forward for the logits, then the sampler's pipeline (end tokens
    protected, as in generation)."""
    ids = lm.encode(prompt)
    def forward() -> torch.Tensor:
        with torch.inference_mode():
            return lm.model(torch.tensor([ids])).logits[0, -1].float()

    logits = lm.run(forward).clone()
    return run_pipeline(torch.tensor(ids), logits, params, lm.end_ids).probs[0]


def test_names_are_plain_and_unique_in_a_class(store):
    code = a_class(store, 1)  # "Student 0"
    with pytest.raises(ClassError, match="called student 0 already"):
        join_class(store, code, student(1), "student 0")
    for markup in ("<b>Bo</b>", "a > b"):
        with pytest.raises(ClassError, match="cannot hold the characters < >"):
            join_class(store, code, student(1), markup)
    join_class(store, code, student(0), "Student 0")  # the same student joining again keeps the name
    join_class(store, code, student(1), "Bo")
    assert store.classes.members(code) == [(student(0), "Student 0"), (student(1), "Bo")]


def test_be_the_sampler_candidates_votes_reveal_and_the_next_round(store, bundled):
    lm = bundled
    params = SamplingParams(temperature=0.8, top_k=40, top_p=0.9, repetition_penalty=1.0)
    code = a_class(store, 7)
    round_id = start_sampler_round(store, lm, code, PROMPT, params, VOTE_GAME, MODEL)
    setup = SamplerSetup.from_json(store.classes.latest_round(code).setup)

    probs = sampler_probs(lm, PROMPT, params)
    expected = torch.argsort(probs, descending=True, stable=True)[:VOTE_CHOICES].tolist()
    assert [c.token_id for c in setup.candidates] == expected
    for c in setup.candidates:
        assert c.prob == pytest.approx(float(probs[c.token_id]), rel=1e-5)
        assert c.text == lm.tokenizer.decode([c.token_id])
    assert setup.support == int((probs > 0).sum()) and setup.model == MODEL

    first, second = setup.candidates[0], setup.candidates[1]
    for n in range(5):
        vote_for(store, code, student(n), second.token_id if n < 3 else first.token_id)
    with pytest.raises(ClassError, match="guessed in this round already"):
        vote_for(store, code, student(0), first.token_id)
    with pytest.raises(ClassError, match="not one of this round's candidates"):
        vote_for(store, code, student(5), 12345678)
    with pytest.raises(ClassError, match="another game"):
        cast_vote(store, code, student(5), "dog")
    with pytest.raises(ClassError, match="Join the class"):
        vote_for(store, code, "p-stranger", first.token_id)

    result = reveal_votes(store, lm, code)
    assert result.voters == 5 and result.choice.token_id == second.token_id  # 3 votes against 2
    rows = {r.token_id: r for r in result.rows}
    assert rows[second.token_id].votes == 3 and rows[second.token_id].share == pytest.approx(0.6)
    assert rows[first.token_id].prob == first.prob
    assert 0 < len(lm.encode(result.goes_on)) <= GOES_ON_TOKENS + 1
    assert reveal_votes(store, lm, code) == result  # revealed once; asked again, the stored result
    with pytest.raises(ClassError, match="Too late"):
        vote_for(store, code, student(6), first.token_id)

    next_id = next_from_choice(store, lm, code, params, MODEL)
    following = store.classes.latest_round(code)
    assert next_id > round_id and following.game == VOTE_GAME
    assert following.prompt == lm.decode(lm.encode(PROMPT) + [second.token_id])


def test_a_tie_goes_to_the_likelier_token_and_no_votes_write_nothing(store, bundled):
    params = SamplingParams(temperature=1.0, top_k=0, top_p=1.0, repetition_penalty=1.0)
    code = a_class(store, 2)
    start_sampler_round(store, bundled, code, PROMPT, params, VOTE_GAME, MODEL)
    setup = SamplerSetup.from_json(store.classes.latest_round(code).setup)
    vote_for(store, code, student(0), setup.candidates[2].token_id)
    vote_for(store, code, student(1), setup.candidates[1].token_id)
    assert reveal_votes(store, bundled, code).choice.token_id == setup.candidates[1].token_id

    start_sampler_round(store, bundled, code, PROMPT, params, VOTE_GAME, MODEL)
    empty = reveal_votes(store, bundled, code)
    assert empty.choice is None and empty.goes_on == "" and empty.voters == 0
    assert next_from_choice(store, bundled, code, params, MODEL) is None


def test_greedy_settings_leave_nothing_to_vote_on(store, bundled):
    code = a_class(store, 1)
    with pytest.raises(ClassError, match="only one token"):
        start_sampler_round(store, bundled, code, PROMPT, SamplingParams(temperature=0.0), VOTE_GAME, MODEL)
    with pytest.raises(ClassError, match="Type a prompt"):
        start_sampler_round(store, bundled, code, "  \n", SamplingParams(), VOTE_GAME, MODEL)


def test_the_class_is_the_sampler_draws_are_the_engines_seeded_draws(store, bundled):
    lm = bundled
    params = SamplingParams(temperature=1.3, top_k=0, top_p=1.0, repetition_penalty=1.0)
    students = 24
    code = a_class(store, students)
    start_sampler_round(store, lm, code, PROMPT, params, DRAW_GAME, MODEL)
    probs = sampler_probs(lm, PROMPT, params)

    draws = [draw_for(store, lm, code, student(n)) for n in range(students)]
    for d in draws:
        expected = int(torch.multinomial(probs, 1, generator=torch.Generator().manual_seed(d.seed)))
        assert d.token_id == expected, f"seed {d.seed}"
        assert d.prob == pytest.approx(float(probs[d.token_id]), rel=1e-5)
    assert len({d.seed for d in draws}) > 1  # each student's own seed
    with pytest.raises(ClassError, match="already"):
        draw_for(store, lm, code, student(0))

    current = store.classes.latest_round(code)
    stored = [draw_of(b) for b in store.classes.ballots(current.id)]
    assert sorted(stored, key=lambda d: d.seed) == sorted(draws, key=lambda d: d.seed)
    summary = summarise_draws(SamplerSetup.from_json(current.setup), stored)
    assert summary.draws == students == sum(r.draws for r in summary.rows)
    assert sum(r.prob for r in summary.rows) == pytest.approx(1.0, abs=1e-5)

    # The distance over the whole vocabulary, from the full distribution.
    empirical = torch.zeros_like(probs, dtype=torch.float64)
    for d in draws:
        empirical[d.token_id] += 1 / students
    assert summary.distance == pytest.approx(0.5 * float((empirical - probs.double()).abs().sum()), abs=1e-5)

    close_draws(store, code)
    with pytest.raises(ClassError, match="Too late"):
        draw_for(store, lm, code, student(0))


def test_a_fixed_seed_draws_the_same_token_on_any_replica(store, bundled, tmp_path):
    params = SamplingParams(temperature=1.0, top_k=50, top_p=0.95)
    code = a_class(store, 2)
    start_sampler_round(store, bundled, code, PROMPT, params, DRAW_GAME, MODEL)
    replica = Store(f"sqlite:///{tmp_path / 'mirror.sqlite3'}")
    assert (draw_for(store, bundled, code, student(0), seed=7).token_id
            == draw_for(replica, bundled, code, student(1), seed=7).token_id)


def test_the_draw_summary_by_hand():
    setup = SamplerSetup("m", {}, (Candidate(1, "a", 0.5), Candidate(2, "b", 0.3)), support=3)
    draws = [Draw(1, "a", 0, 0.5), Draw(1, "a", 1, 0.5), Draw(3, "c", 2, 0.2), Draw(2, "b", 3, 0.3)]
    summary = summarise_draws(setup, draws)
    assert [(r.token_id, r.draws, r.share) for r in summary.rows] == [(1, 2, 0.5), (2, 1, 0.25), (None, 1, 0.25)]
    assert summary.rows[-1].prob == pytest.approx(0.2)
    # |0.5-0.5| + |0.25-0.3| + |0.25-0.2| = 0.1, halved
    assert summary.distance == pytest.approx(0.05)
    assert math.isnan(summarise_draws(setup, []).distance)
    assert summarise_draws(setup, [Draw(1, "a", 0, 0.5)]).distance == pytest.approx(0.5)


def test_the_class_record_has_every_answer_of_every_game_and_can_be_cleared(store, bundled):
    lm = bundled
    code = a_class(store, 3)
    start_round(store, code, "The capital of France is")
    cast_vote(store, code, student(0), "Paris")
    cast_vote(store, code, student(1), "=cmd()")
    guessed = reveal(store, lm, code)
    params = SamplingParams(temperature=0.9, top_k=20, top_p=0.9)
    start_sampler_round(store, lm, code, PROMPT, params, VOTE_GAME, MODEL)
    setup = SamplerSetup.from_json(store.classes.latest_round(code).setup)
    vote_for(store, code, student(2), setup.candidates[0].token_id)
    voted = reveal_votes(store, lm, code)
    start_sampler_round(store, lm, code, PROMPT, params, DRAW_GAME, MODEL)
    drawn = draw_for(store, lm, code, student(0))
    start_round(store, code, "Nobody answers this")

    rows = class_record(store, code)
    assert [(r["round"], r["game"], r["student"]) for r in rows] == [
        (1, "guess", "Student 0"), (1, "guess", "Student 1"), (2, "vote", "Student 2"), (3, "draw", "Student 0"),
        (4, "guess", None)]
    paris = rows[0]
    assert paris["answer"] == "Paris" and paris["model_choice"] == guessed.top_word
    assert paris["answer_probability"] == next(w.model_prob for w in guessed.words if w.word.lower() == "paris")
    assert paris["round_score"] == guessed.class_score
    assert rows[2]["class_choice"] == voted.choice.text and rows[2]["answer_probability"] == setup.candidates[0].prob
    assert rows[2]["temperature"] == 0.9 and rows[2]["model"] == MODEL
    assert rows[3]["answer"] == drawn.text and rows[3]["seed"] == drawn.seed and rows[3]["answer_probability"] == drawn.prob
    assert rows[3]["round_score"] == pytest.approx(1 - drawn.prob)  # one draw: TVD is 1 - its probability

    table = list(csv.DictReader(io.StringIO(record_csv(store, code))))
    assert list(table[0]) == list(COLUMNS) and len(table) == 5
    assert table[1]["answer"] == "'=cmd()"  # a spreadsheet would run it: neutralised

    assert clear_record(store, code) == 4
    assert class_record(store, code) == [] and store.classes.latest_round(code) is None
    assert len(store.classes.members(code)) == 3  # the class itself stays
