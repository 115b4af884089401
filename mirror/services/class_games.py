"""The class's two sampler games, next to "Guess the next word" (`classroom`).

- **Be the sampler** (`VOTE_GAME`): the class sees the sampler's top candidates for the next token,
  without their probabilities, and each student votes once. The reveal sets the votes beside the
  sampler's probabilities; the class's choice is written and the mirror goes on from it.
- **The class is the sampler** (`DRAW_GAME`): each student draws one token from the next-token
  distribution under the round's settings, with a seed of their own, by the engine's sampler
  (`explorer.draw`, the draw `Generation` makes). The projector sets the class's draws beside the
  sampler's probabilities, with their total variation distance.

Every probability is the sampler's final one (`run_pipeline`, with the model's end tokens protected
as in generation). A round's set-up (model, settings, candidates) and every ballot (token, seed,
probability) live in the database, so any replica can take a vote or a draw and show the round.
"""

from __future__ import annotations

import json
import math
import secrets
import threading
import weakref
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

import torch

from mirror.engine.generation import Generation
from mirror.engine.sampling import SamplerStages, SamplingParams
from mirror.i18n import t
from mirror.models import LoadedModel
from mirror.services import explorer
from mirror.services.classroom import (ClassError, check_class, current_round, open_round, refuse_outcome,
                                      student_round, typed_prompt)
from mirror.services.store import Store
from mirror.services.store.classes import Ballot, RoundRow

VOTE_GAME = "vote"  # Be the sampler
DRAW_GAME = "draw"  # The class is the sampler
SAMPLER_GAMES = (VOTE_GAME, DRAW_GAME)
VOTE_CHOICES = 5  # candidates the class votes among
HISTOGRAM_TOKENS = 10  # tokens the draw histogram names; the rest are "other"
GOES_ON_TOKENS = 12  # what the mirror writes after the class's choice, for the class to read
SEED_LIMIT = 2**31  # a draw's seed: what the sidebar's seed box takes, so a draw can be replayed there


@dataclass(frozen=True)
class Candidate:
    token_id: int
    text: str  # the token decoded alone
    prob: float  # the sampler's final probability of drawing it


@dataclass(frozen=True)
class SamplerSetup:
    """What a sampler round was started with: the model, the settings and the named candidates."""

    model: str
    params: dict[str, Any]  # SamplingParams fields (no seed: each draw has its own)
    candidates: tuple[Candidate, ...]  # most likely first
    support: int  # how many tokens the sampler may draw at all

    def sampling(self) -> SamplingParams:
        return SamplingParams(**self.params)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None) -> "SamplerSetup":
        data = json.loads(text or "{}")
        return cls(model=data["model"], params=data["params"], support=data["support"],
                   candidates=tuple(Candidate(**c) for c in data["candidates"]))


# --- the sampler's distribution for a round's prompt -------------------------------------------------

_stages_memo: "weakref.WeakKeyDictionary[LoadedModel, dict[tuple[str, SamplingParams], SamplerStages]]" = (
    weakref.WeakKeyDictionary())
_memo_lock = threading.Lock()
_MEMO_ROUNDS = 4  # per model: a class plays one round at a time, a few classes may play at once


def round_stages(lm: LoadedModel, prompt: str, params: SamplingParams) -> SamplerStages:
    """The sampler's stages for the token after `prompt`: one forward pass per round and model in this
    process (30 draws ask for the same distribution), then `run_pipeline`, as generation runs it."""
    key = (prompt, params.replace(seed=None, max_new_tokens=1))
    with _memo_lock:
        found = _stages_memo.get(lm, {}).get(key)
    if found is not None:
        return found
    ids = lm.encode(prompt)
    stages = explorer.pipeline(ids, explorer.next_token_logits(lm, ids), params, lm.end_ids)
    with _memo_lock:
        kept = _stages_memo.setdefault(lm, {})
        kept[key] = stages
        while len(kept) > _MEMO_ROUNDS:
            kept.pop(next(iter(kept)))
    return stages


def top_candidates(lm: LoadedModel, stages: SamplerStages, count: int) -> tuple[Candidate, ...]:
    """The `count` tokens the sampler is likeliest to draw (probability above 0), most likely first."""
    probs = stages.probs[0]
    ranked = torch.argsort(probs, descending=True, stable=True)[:count].tolist()
    chosen = [i for i in ranked if probs[i] > 0]
    texts = lm.token_strings(chosen)
    return tuple(Candidate(i, text, float(probs[i])) for i, text in zip(chosen, texts))


def start_sampler_round(store: Store, lm: LoadedModel, code: str, prompt: str, params: SamplingParams,
                        game: str, model: str) -> int:
    """A new round of `game` (VOTE_GAME or DRAW_GAME) on `prompt` under `params`, with the model the
    teacher uses (`model`, the name the pool knows it by)."""
    if game not in SAMPLER_GAMES:
        raise ValueError(f"not a sampler game: {game!r}")
    check_class(store, code)
    text = typed_prompt(prompt)
    settings = params.replace(seed=None)
    stages = round_stages(lm, text, settings)
    support = int((stages.probs[0] > 0).sum())
    if game == VOTE_GAME and support < 2:
        raise ClassError(t("classroom.error.one_candidate"))
    count = VOTE_CHOICES if game == VOTE_GAME else HISTOGRAM_TOKENS
    setup = SamplerSetup(model, settings.to_dict() | {"seed": None}, top_candidates(lm, stages, count), support)
    return open_round(store, code, text, game, setup.to_json())


def sampler_setup(current: RoundRow) -> SamplerSetup:
    if current.game not in SAMPLER_GAMES:
        raise ClassError(t("classroom.error.other_game"))
    return SamplerSetup.from_json(current.setup)


# --- Be the sampler --------------------------------------------------------------------------------------


def vote_for(store: Store, code: str, person: str, token_id: int) -> Candidate:
    """The student's one vote in the current "Be the sampler" round; ClassError for a second or late
    vote, another game's round, or a token that is not a candidate."""
    current = student_round(store, code, person)
    if current.game != VOTE_GAME:
        raise ClassError(t("classroom.error.other_game"))
    chosen = next((c for c in sampler_setup(current).candidates if c.token_id == token_id), None)
    if chosen is None:
        raise ClassError(t("classroom.error.not_a_candidate"))
    refuse_outcome(store.classes.vote(current.id, person, chosen.text, json.dumps({"token_id": token_id})))
    return chosen


@dataclass(frozen=True)
class VoteRow:
    token_id: int
    text: str
    prob: float  # the sampler's
    votes: int
    share: float  # of the class's votes


@dataclass(frozen=True)
class VoteResult:
    prompt: str
    voters: int
    rows: tuple[VoteRow, ...]  # the candidates, most likely first
    choice: VoteRow | None  # the class's choice (most votes; a tie goes to the likelier token); None without votes
    goes_on: str  # what the mirror writes after the class's choice
    params: dict[str, Any]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "VoteResult":
        data = json.loads(text)
        rows = tuple(VoteRow(**r) for r in data["rows"])
        choice = VoteRow(**data["choice"]) if data["choice"] else None
        return cls(data["prompt"], data["voters"], rows, choice, data["goes_on"], data["params"])


def ballot_token(ballot: Ballot) -> int:
    return int(json.loads(ballot.detail or "{}")["token_id"])


def vote_rows(setup: SamplerSetup, ballots: list[Ballot]) -> tuple[VoteRow, ...]:
    counts = Counter(ballot_token(b) for b in ballots)
    total = len(ballots)
    return tuple(VoteRow(c.token_id, c.text, c.prob, counts[c.token_id], counts[c.token_id] / total if total else 0.0)
                 for c in setup.candidates)


def class_choice(rows: tuple[VoteRow, ...]) -> VoteRow | None:
    voted = [r for r in rows if r.votes]
    return max(voted, key=lambda r: (r.votes, r.prob)) if voted else None


def reveal_votes(store: Store, lm: LoadedModel, code: str) -> VoteResult:
    """Close the "Be the sampler" round: the votes beside the sampler's probabilities, the class's choice
    and what the mirror writes after it (with the round's settings and a seed of its own)."""
    current = current_round(store, code)
    if current.game != VOTE_GAME:
        raise ClassError(t("classroom.error.other_game"))
    if current.result is not None:
        return VoteResult.from_json(current.result)
    setup = sampler_setup(current)
    rows = vote_rows(setup, store.classes.ballots(current.id))
    choice = class_choice(rows)
    goes_on = ""
    if choice is not None and choice.token_id not in lm.end_ids:
        params = setup.sampling().replace(max_new_tokens=GOES_ON_TOKENS, seed=secrets.randbelow(SEED_LIMIT))
        goes_on = Generation(lm, lm.encode(current.prompt) + [choice.token_id], params).run_to_end().text
    result = VoteResult(current.prompt, sum(r.votes for r in rows), rows, choice, goes_on, setup.params)
    if not store.classes.close_round(current.id, result.to_json()):
        closed = current_round(store, code)  # revealed through another replica meanwhile: show that one
        if closed.result is not None:
            return VoteResult.from_json(closed.result)
    return result


def next_from_choice(store: Store, lm: LoadedModel, code: str, params: SamplingParams, model: str) -> int | None:
    """The next "Be the sampler" round on the text with the class's choice written; None when there is
    nothing to write (no votes, or the class chose to end the text)."""
    current = current_round(store, code)
    if current.game != VOTE_GAME or current.result is None:
        raise ClassError(t("classroom.error.reveal_first"))
    result = VoteResult.from_json(current.result)
    if result.choice is None or result.choice.token_id in lm.end_ids:
        return None
    text = lm.decode(lm.encode(current.prompt) + [result.choice.token_id], skip_special_tokens=False)
    return start_sampler_round(store, lm, code, text, params, VOTE_GAME, model)


# --- The class is the sampler ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draw:
    token_id: int
    text: str
    seed: int
    prob: float  # the sampler's probability of this token


def draw_for(store: Store, lm: LoadedModel, code: str, person: str, seed: int | None = None) -> Draw:
    """The student's one draw in the current round, by the engine's sampler with a seed of their own
    (a fresh random one unless given). `lm` must be the round's model."""
    current = student_round(store, code, person)
    if current.game != DRAW_GAME:
        raise ClassError(t("classroom.error.other_game"))
    if current.closed_at is not None:
        raise ClassError(t("classroom.error.too_late"))
    if store.classes.vote_of(current.id, person) is not None:
        raise ClassError(t("classroom.error.guessed_already"))
    setup = sampler_setup(current)
    stages = round_stages(lm, current.prompt, setup.sampling())
    seed = secrets.randbelow(SEED_LIMIT) if seed is None else seed
    token = explorer.draw(stages, seed)
    drawn = Draw(token, lm.token_strings([token])[0], seed, float(stages.probs[0, token]))
    detail = json.dumps({"token_id": token, "seed": seed, "prob": drawn.prob})
    refuse_outcome(store.classes.vote(current.id, person, drawn.text, detail))
    return drawn


def draw_of(ballot: Ballot) -> Draw:
    detail = json.loads(ballot.detail or "{}")
    return Draw(int(detail["token_id"]), ballot.answer, int(detail["seed"]), float(detail["prob"]))


@dataclass(frozen=True)
class HistogramRow:
    token_id: int | None  # None: every token the set-up does not name
    text: str
    prob: float  # the sampler's
    draws: int
    share: float  # of the class's draws


@dataclass(frozen=True)
class DrawSummary:
    draws: int
    rows: tuple[HistogramRow, ...]  # the named candidates, then "other" when anything is left
    distance: float  # total variation distance between the class's draws and the sampler (nan: no draws)


def summarise_draws(setup: SamplerSetup, draws: list[Draw], other_label: str = "other") -> DrawSummary:
    """The class's draws beside the sampler's probabilities.

    The total variation distance is over the whole vocabulary: half the sum of |share − probability|,
    where a token nobody drew counts its whole probability (each draw carries its token's probability,
    so tokens outside the named candidates count exactly too).
    """
    total = len(draws)
    counts = Counter(d.token_id for d in draws)
    named = {c.token_id for c in setup.candidates}
    rows = [HistogramRow(c.token_id, c.text, c.prob, counts[c.token_id], counts[c.token_id] / total if total else 0.0)
            for c in setup.candidates]
    other_prob = max(0.0, 1.0 - sum(c.prob for c in setup.candidates))
    other_draws = sum(n for token, n in counts.items() if token not in named)
    if other_prob > 0 or other_draws:
        rows.append(HistogramRow(None, other_label, other_prob, other_draws, other_draws / total if total else 0.0))
    if not total:
        return DrawSummary(0, tuple(rows), math.nan)
    prob_of = {d.token_id: d.prob for d in draws}
    drawn_gap = sum(abs(n / total - prob_of[token]) for token, n in counts.items())
    undrawn = max(0.0, 1.0 - sum(prob_of.values()))
    return DrawSummary(total, tuple(rows), 0.5 * (drawn_gap + undrawn))


def close_draws(store: Store, code: str) -> None:
    """No more draws in the current round (the teacher stops it; the summary stays readable)."""
    current = current_round(store, code)
    if current.game != DRAW_GAME:
        raise ClassError(t("classroom.error.other_game"))
    if current.closed_at is None:
        store.classes.close_round(current.id, json.dumps({"draws": store.classes.count_votes(current.id)}))
