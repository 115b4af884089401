"""A class and "Guess the next word": codes, joining, one vote each, the reveal against the model itself."""

from __future__ import annotations

import math

import pytest
import torch

from mirror.engine.sampling import SamplingParams
from mirror.services import classroom
from mirror.services.classroom import ClassError, cast_vote, check_class, join_class, open_class, reveal, start_round
from mirror.services.store import Store
from tests.concurrency import run_at_once

TEACHER = "p-TTTTTTTTTTTTTTTT"


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'mirror.sqlite3'}"


@pytest.fixture
def store(url):
    return Store(url)


def student(n: int) -> str:
    return f"p-student{n:09d}"


def test_a_code_is_four_clear_letters_and_joining_checks_it(store):
    code = open_class(store, TEACHER)
    assert len(code) == 4 and set(code) <= set(classroom.CODE_LETTERS)
    assert join_class(store, f" {code.lower()} ", student(1), "  Ada   L ") == code
    assert store.classes.members(code) == [(student(1), "Ada L")]
    for bad_code, message in [("", "Type the class code"), ("ZZZZ", "No class has the code ZZZZ")]:
        with pytest.raises(ClassError, match=message):
            join_class(store, bad_code, student(2), "Bo")
    with pytest.raises(ClassError, match="Type your name"):
        join_class(store, code, student(2), "   ")
    with pytest.raises(ClassError, match="at most 40"):
        join_class(store, code, student(2), "x" * 41)


def test_an_old_code_has_expired(url):
    old = Store(url, clock=lambda: "2020-01-01T00:00:00.000000+00:00")
    code = open_class(old, TEACHER)
    with pytest.raises(ClassError, match="has ended"):
        check_class(Store(url), code)


def test_thirty_students_vote_at_once_through_two_replicas_and_each_counts_once(url):
    replicas = [Store(url), Store(url)]  # two app processes on one database
    code = open_class(replicas[0], TEACHER)
    for n in range(30):
        join_class(replicas[n % 2], code, student(n), f"Student {n}")
    round_id = start_round(replicas[0], code, "The capital of France is")
    def vote(n: int) -> None:
        cast_vote(replicas[n % 2], code, student(n), "Paris" if n % 3 else "Lyon")

    assert run_at_once(30, vote) == []
    assert replicas[1].classes.count_votes(round_id) == 30
    assert sorted(g for _, g in replicas[0].classes.votes(round_id)).count("Lyon") == 10
    with pytest.raises(ClassError, match="guessed in this round already"):
        cast_vote(replicas[1], code, student(0), "Marseille")
    assert replicas[0].classes.count_votes(round_id) == 30


@pytest.mark.parametrize("guess, message", [("", "Type the word"), ("   ", "Type the word"),
                                            ("w" * 41, "at most 40")])
def test_a_bad_guess_is_refused_with_a_message(store, guess, message):
    code = open_class(store, TEACHER)
    join_class(store, code, student(1), "Ada")
    start_round(store, code, "Hello")
    with pytest.raises(ClassError, match=message):
        cast_vote(store, code, student(1), guess)


def test_only_members_vote_and_only_while_a_round_is_open(store, bundled):
    code = open_class(store, TEACHER)
    join_class(store, code, student(1), "Ada")
    with pytest.raises(ClassError, match="no round yet"):
        cast_vote(store, code, student(1), "Paris")
    start_round(store, code, "The capital of France is")
    with pytest.raises(ClassError, match="Join the class"):
        cast_vote(store, code, student(2), "Paris")
    cast_vote(store, code, student(1), "Paris")
    reveal(store, bundled, code)
    join_class(store, code, student(2), "Bo")
    with pytest.raises(ClassError, match="Too late"):
        cast_vote(store, code, student(2), "Paris")


def test_the_reveal_is_the_models_own_distribution(store, bundled):
    lm = bundled
    code = open_class(store, TEACHER)
    prompt = "The capital of France is"
    start_round(store, code, prompt)
    for n, guess in enumerate(["Paris", "Paris", "paris", "Lyon", "mirror"]):
        join_class(store, code, student(n), f"S{n}")
        cast_vote(store, code, student(n), guess)
    result = reveal(store, lm, code)

    # Independently: the model's logits for the prompt, and the product of a word's token probabilities.
    ids = lm.encode(prompt)
    with torch.inference_mode():
        probs = torch.softmax(lm.model(torch.tensor([ids])).logits[0, -1].float(), dim=-1)
    top = int(probs.argmax())
    assert result.top_word == lm.tokenizer.decode([top]).strip()
    assert result.top_prob == pytest.approx(float(probs[top]), rel=1e-4)

    def word_prob(word: str) -> float:
        seq, p = list(ids), 1.0
        for token in lm.encode(" " + word):
            with torch.inference_mode():
                p *= float(torch.softmax(lm.model(torch.tensor([seq])).logits[0, -1].float(), -1)[token])
            seq.append(token)
        return p

    rows = {r.word.lower(): r for r in result.words}
    assert len(lm.encode(" mirror")) >= 1
    for word in ("Paris", "Lyon", "mirror"):
        assert rows[word.lower()].model_prob == pytest.approx(word_prob(word), rel=1e-3)
    assert rows["paris"].votes == 3 and rows["paris"].class_share == pytest.approx(0.6)
    assert result.voters == 5 and result.favourite == "Paris"
    expected_score = (3 * word_prob("Paris") + word_prob("Lyon") + word_prob("mirror")) / 5
    assert result.class_score == pytest.approx(expected_score, rel=1e-3)
    assert result.favourite_is_top == (result.top_word.lower() == "paris")
    assert set(result.top_guessers) == ({"S0", "S1", "S2"} if result.favourite_is_top else set())
    assert reveal(store, lm, code) == result  # revealed once; asked again, the stored result
    assert not math.isnan(result.class_score)


def test_continue_writes_the_models_next_token_and_starts_the_next_round(store, bundled):
    code = open_class(store, TEACHER)
    first = start_round(store, code, "Once upon a time there was a")
    piece, second = classroom.continue_text(store, bundled, code, SamplingParams(temperature=0.0))
    assert piece.strip() and second is not None and second != first
    assert store.classes.latest_round(code).prompt == "Once upon a time there was a" + piece


def test_continue_writes_a_whole_character_when_one_token_is_half_of_it(store, scripted, tokenizer):
    """SmolLM2 writes most Cyrillic letters in two tokens: the piece is the whole letter, not "the text ended"."""
    word = " Париж"
    ids = tokenizer(word, add_special_tokens=False).input_ids
    assert tokenizer.decode(ids[:1]).endswith("\ufffd")  # the first token alone is part of a letter
    lm = scripted(word)
    try:
        code = open_class(store, TEACHER)
        start_round(store, code, "Столица Франции —")
        piece, second = classroom.continue_text(store, lm, code, SamplingParams(temperature=0.0))
        assert second is not None and piece == " П"  # the space and the letter, not the space alone
        assert store.classes.latest_round(code).prompt == "Столица Франции —" + piece
    finally:
        lm.close()


def test_continue_keeps_a_newline_the_model_writes(store, scripted):
    """A typed prompt loses a newline left at its end; what the model writes never does (else a greedy
    mirror would write the same newline again and again, and the round would never move on)."""
    lm = scripted("\nParis")
    try:
        code = open_class(store, TEACHER)
        start_round(store, code, "The capital of France is:\n")
        assert store.classes.latest_round(code).prompt == "The capital of France is:"
        piece, second = classroom.continue_text(store, lm, code, SamplingParams(temperature=0.0))
        assert piece == "\n" and second is not None
        assert store.classes.latest_round(code).prompt == "The capital of France is:\n"
    finally:
        lm.close()
