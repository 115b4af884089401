"""A class's record: every round of its three games with each student's answer, as rows and as CSV.

One row per answer (a guess, a vote or a draw), or one per round nobody answered. Each row carries the
round (game, prompt, settings), the model's choice, the class's choice, the round's score and the
student's answer with its probability, as the reveal computed them: nothing here asks the model again.
Scores: "Guess the next word" scores the class's mean model probability of its guesses; "Be the
sampler" the sampler's probability of the class's choice; "The class is the sampler" the total
variation distance between the class's draws and the sampler (0: the class drew exactly as it expects).
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from typing import Any

from mirror.services.class_games import (DRAW_GAME, VOTE_GAME, SamplerSetup, VoteResult, ballot_token, class_choice,
                                         draw_of, summarise_draws, vote_rows)
from mirror.services.classroom import RoundResult
from mirror.services.store import Store
from mirror.services.store.classes import Ballot, RoundRow
from mirror.text import spreadsheet_safe

COLUMNS = ("class", "round", "game", "opened_at", "prompt", "model", "temperature", "top_k", "top_p",
           "model_choice", "model_choice_probability", "class_choice", "round_score", "student", "answer",
           "answer_probability", "seed", "answered_at")


def class_record(store: Store, code: str) -> list[dict[str, Any]]:
    """The rows of the class's record, oldest round first (see the module's docstring)."""
    names = dict(store.classes.members(code))
    rows: list[dict[str, Any]] = []
    for number, current in enumerate(store.classes.rounds(code), start=1):
        ballots = store.classes.ballots(current.id)
        summary, answers = _round_summary(current, ballots)
        base = {"class": code, "round": number, "game": current.game, "opened_at": current.opened_at,
                "prompt": current.prompt, **summary}
        if not ballots:
            rows.append(dict.fromkeys(COLUMNS, None) | base)
        for ballot, (probability, seed) in zip(ballots, answers):
            rows.append(dict.fromkeys(COLUMNS, None) | base | {
                "student": names.get(ballot.person, ballot.person), "answer": ballot.answer,
                "answer_probability": probability, "seed": seed, "answered_at": ballot.at})
    return rows


def _round_summary(current: RoundRow, ballots: list[Ballot]) -> tuple[dict[str, Any], list[tuple[float | None, int | None]]]:
    """The round's own columns, and each ballot's (probability, seed)."""
    if current.game in (VOTE_GAME, DRAW_GAME):
        setup = SamplerSetup.from_json(current.setup)
        top = setup.candidates[0] if setup.candidates else None
        summary: dict[str, Any] = {
            "model": setup.model, "temperature": setup.params["temperature"], "top_k": setup.params["top_k"],
            "top_p": setup.params["top_p"], "model_choice": top.text if top else None,
            "model_choice_probability": top.prob if top else None}
        if current.game == VOTE_GAME:
            prob = {c.token_id: c.prob for c in setup.candidates}
            choice = (VoteResult.from_json(current.result).choice if current.result
                      else class_choice(vote_rows(setup, ballots)))
            summary |= {"class_choice": choice.text if choice else None, "round_score": choice.prob if choice else None}
            return summary, [(prob.get(ballot_token(b)), None) for b in ballots]
        draws = [draw_of(b) for b in ballots]
        most = Counter(d.text for d in draws).most_common(1)
        distance = summarise_draws(setup, draws).distance
        summary |= {"class_choice": most[0][0] if most else None,
                    "round_score": None if math.isnan(distance) else distance}
        return summary, [(d.prob, d.seed) for d in draws]
    if current.result is None:  # a guessing round not revealed: nothing computed yet
        return {}, [(None, None)] * len(ballots)
    result = RoundResult.from_json(current.result)
    prob = {row.word.strip().lower(): row.model_prob for row in result.words}
    summary = {"model_choice": result.top_word, "model_choice_probability": result.top_prob,
               "class_choice": result.favourite,
               "round_score": None if math.isnan(result.class_score) else result.class_score}
    return summary, [(prob.get(b.answer.strip().lower()), None) for b in ballots]


def record_csv(store: Store, code: str) -> str:
    """The class's record as CSV."""
    return rows_csv(class_record(store, code))


def rows_csv(rows: list[dict[str, Any]]) -> str:
    """Rows of `class_record` as CSV (UTF-8 text; cells a spreadsheet would run as formulas are neutralised)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return out.getvalue()


def clear_record(store: Store, code: str) -> int:
    """Delete the class's rounds and answers (its members stay); returns how many rounds went."""
    return store.classes.clear(code)

