"""Making model output and user text safe to show: inert Markdown, visible whitespace, URLs without secrets."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

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


def redact_url(url: str, keep_user: bool = False) -> str:
    """scheme://host:port/path for messages: no password, no query or fragment (either may hold a
    secret), and the user name only with `keep_user` (a database login names its user)."""
    parts = urlsplit(url)
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0] if keep_user else ""
    return f"{parts.scheme}://{user + '@' if user else ''}{hostport}{parts.path}"
