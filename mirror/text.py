"""Making model output and user text safe to show: inert Markdown, visible whitespace."""

from __future__ import annotations

import re

# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping them all makes the
# text inert (no links, no emphasis, no HTML, no LaTeX `$`), while it still reads exactly as written.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&\"'=])")


def escape_markdown(text: str) -> str:
    """Text to pass to st.markdown so that it shows literally, keeping line breaks."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    # Markdown joins single newlines; a trailing double space keeps each line break.
    return escaped.replace("\r\n", "\n").replace("\n", "  \n")


def visible_whitespace(token: str) -> str:
    """A token with its spaces, tabs and newlines drawn, for tables and charts."""
    return token.replace(" ", "␣").replace("\t", "⇥").replace("\r", "↵").replace("\n", "⏎")


def spreadsheet_safe(value: object) -> object:
    """Neutralise a text cell that a spreadsheet would run as a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
