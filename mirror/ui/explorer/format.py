"""How the explorer writes probabilities, numbers and tokens (in the current language)."""

from __future__ import annotations

import math

from mirror.i18n import current_language, fmt_percent
from mirror.text import escape_markdown, visible_whitespace


def percent(value: float | None, digits: int = 1) -> str:
    """A share as a percentage for the locale ("45.2%", "45,2 %"); "–" when there is none."""
    return fmt_percent(None if value is None or math.isnan(value) else value, digits)


def number(value: float) -> str:
    """A setting's value as short as it goes (`:g`), with the locale's decimal mark: 0.7 or 0,7."""
    text = f"{value:g}"
    return text.replace(".", ",") if current_language() == "ru" else text


def token_markdown(token: str) -> str:
    """A token as inert Markdown with its whitespace drawn."""
    return escape_markdown(visible_whitespace(token))
