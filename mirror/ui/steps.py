"""A chat reply's per-token steps, read by name.

A reply keeps each token as a plain dict (`ReplyInfo.steps`, exported to JSON as it is) whose
alternatives are rows `[token_id, token, prob, raw_prob]`. This module alone knows that layout:
`stored_step` writes it and `ReplyStep.from_stored` reads it, so old exports still import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mirror.engine.generation import Step
from mirror.services.remote import RemoteStep

STEP_ALTERNATIVES = 5  # alternatives kept per token in the history and in exports


@dataclass(frozen=True)
class StepAlternative:
    """A token the model could have written instead (most likely first)."""

    token_id: int | None  # None from a remote server, which reports token texts only
    token: str
    prob: float | None  # under the sampler's final distribution; None from a remote server
    raw_prob: float | None  # under the raw model

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> StepAlternative:
        token_id, token, prob, raw_prob = row
        return cls(token_id, token, prob, raw_prob)

    def to_row(self) -> list[Any]:
        return [self.token_id, self.token, self.prob, self.raw_prob]


@dataclass(frozen=True)
class ReplyStep:
    """One token of a reply as the chat keeps it; a remote server leaves the sampler's figures None."""

    token_id: int | None
    token: str  # the token decoded alone
    text: str  # what it added to the reply's text
    prob: float | None  # under the sampler's final distribution
    raw_prob: float | None  # under the raw model
    rank: int | None  # 1-based, under the raw model; None when a server did not list the token
    entropy: float | None  # of the raw distribution, bits
    alternatives: tuple[StepAlternative, ...] = ()

    @classmethod
    def from_stored(cls, step: Mapping[str, Any]) -> ReplyStep:
        return cls(token_id=step.get("token_id"), token=step.get("token", ""), text=step.get("text", ""),
                   prob=step.get("prob"), raw_prob=step.get("raw_prob"), rank=step.get("rank"),
                   entropy=step.get("entropy"),
                   alternatives=tuple(StepAlternative.from_row(a) for a in step.get("alternatives") or ()))

    @classmethod
    def of(cls, step: Step | RemoteStep) -> ReplyStep:
        """What a reply keeps of a streamed step: its first `STEP_ALTERNATIVES` alternatives."""
        if isinstance(step, RemoteStep):
            top = step.alternatives[:STEP_ALTERNATIVES]
            return cls(None, step.token, step.text, None, step.raw_prob, step.rank, None,
                       tuple(StepAlternative(None, token, None, p) for token, p in top))
        return cls(step.token_id, step.token, step.text, step.prob, step.raw_prob, step.rank, step.entropy,
                   tuple(StepAlternative(a.token_id, a.token, a.prob, a.raw_prob)
                         for a in step.alternatives[:STEP_ALTERNATIVES]))

    def to_stored(self) -> dict[str, Any]:
        return {"token_id": self.token_id, "token": self.token, "text": self.text, "prob": self.prob,
                "raw_prob": self.raw_prob, "rank": self.rank, "entropy": self.entropy,
                "alternatives": [a.to_row() for a in self.alternatives]}


def stored_step(step: Step | RemoteStep) -> dict[str, Any]:
    """A streamed step in the stored format of `ReplyInfo.steps`."""
    return ReplyStep.of(step).to_stored()


def read_steps(stored: Iterable[Mapping[str, Any]]) -> list[ReplyStep]:
    return [ReplyStep.from_stored(s) for s in stored]
