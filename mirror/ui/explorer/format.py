"""How the explorer writes probabilities and tokens."""

from __future__ import annotations

import math

from mirror.text import escape_markdown, visible_whitespace


def percent(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.1%}"


def token_markdown(token: str) -> str:
    """A token as inert Markdown with its whitespace drawn."""
    return escape_markdown(visible_whitespace(token))
