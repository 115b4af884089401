"""The explorer's widget values, kept across lazy tabs and page switches; the ones every tab reads."""

from __future__ import annotations

from typing import Any

from mirror.ui import state

DEFAULTS: dict[str, Any] = {"chat": False, "seed": 42, "top_n": 30, "tokens": 48}
KEPT = state.KeptValues(state.EXPLORER_KEPT, state.EXPLORER_PREFIX, lambda: dict(DEFAULTS))


def page_seed() -> int:
    """One seed for the whole page: the token drawn, every side-by-side column, the step-through."""
    return int(KEPT.value("seed"))


def new_tokens() -> int:
    """The length of each text the page writes (kept apart from the sidebar's maximum)."""
    return int(KEPT.value("tokens"))
