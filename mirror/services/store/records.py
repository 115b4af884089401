"""The records the store hands back (`Feedback`, `SavedItem`): plain frozen values, so that callers
depend on their fields and never on a database row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["UNKNOWN_OWNER", "Feedback", "SavedItem"]

UNKNOWN_OWNER = "unknown"  # the owner migration 3 gave rows from before there were owners


@dataclass(frozen=True)
class Feedback:
    id: int
    created_at: str  # UTC, ISO 8601
    session_id: str
    model: str
    prompt: str
    reply: str
    params: dict[str, Any]
    seed: int | None
    score: int  # 1 thumbs up, 0 thumbs down
    comment: str | None
    owner: str  # the person's id; UNKNOWN_OWNER for rows from before there were owners
    class_code: str | None = None  # the class the person was in when they gave it


@dataclass(frozen=True)
class SavedItem:
    id: int
    created_at: str  # UTC, ISO 8601
    updated_at: str
    session_id: str | None
    title: str
    prompt: str
    text: str
    model: str
    params: dict[str, Any]
    seed: int | None
    owner: str  # the person's id; UNKNOWN_OWNER for rows from before there were owners
    class_code: str | None = None  # the class the person was in when they saved it
