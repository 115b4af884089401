"""Where the database is (`MIRROR_DATABASE_URL` or the default SQLite file) and which parts of a URL
are secret, kept apart from the backends so that the UI can name the database without opening it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["ENV_VAR", "database_url_from_env", "url_secrets"]

ENV_VAR = "MIRROR_DATABASE_URL"


def database_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """`MIRROR_DATABASE_URL`, else a SQLite file under `$XDG_DATA_HOME/magic-mirror/`."""
    env = os.environ if environ is None else environ
    url = env.get(ENV_VAR, "").strip()
    if url:
        return url
    data_home = Path(env.get("XDG_DATA_HOME", "").strip() or Path.home() / ".local" / "share")
    return "sqlite:///" + str(data_home / "magic-mirror" / "mirror.sqlite3")


def url_secrets(url: str) -> list[str]:
    """The password of a URL (as written and percent-decoded, from the user part or `?password=`),
    longest first, so that replacing each in a message never leaves part of a longer one."""
    parts = urlsplit(url)
    found = []
    userinfo = parts.netloc.rpartition("@")[0]
    if ":" in userinfo:
        found.append(userinfo.split(":", 1)[1])
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "password":
            found.append(value)
    return sorted({form for secret in found for form in (secret, unquote(secret)) if form}, key=len, reverse=True)
