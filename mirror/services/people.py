"""Who a visitor is: a person id, kept by their browser as a signed token, so a reload keeps it.

When Streamlit's authentication (`st.login`, an OIDC provider in secrets) has logged a visitor in,
their person id comes from their e-mail (`u-...`, the same on every device) and no token is needed.
Otherwise a visitor is a random person id (`p-...`). The page puts
`<id>.<signature>` in the URL (`?me=...`); on a reload the server checks the signature (HMAC-SHA256
under a key only the server knows) before it believes the id, so nobody can claim another person's
id by typing one. The key is `MIRROR_SECRET_KEY` when set, else a random one the store keeps in the
database, so every replica signs and checks alike. Whoever has the whole URL is that person: it is
a key, like a magic link, and the page says so.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets

PERSON_PREFIX = "p-"
SECRET_NAME = "identity-key"  # the store's secret that signs identities
_ID = re.compile(r"^p-[A-Za-z0-9_-]{16}$")
_SIGNATURE_BYTES = 18


def person_for_email(email: str) -> str:
    """The person id of a logged-in user: derived from the e-mail (case-insensitive), never the e-mail itself."""
    digest = hashlib.sha256(f"email:{email.strip().lower()}".encode()).digest()[:12]
    return "u-" + base64.urlsafe_b64encode(digest).decode()


def teacher_emails(value: str | None) -> frozenset[str]:
    """`MIRROR_TEACHERS`: e-mails separated by commas, semicolons or spaces, compared case-insensitively."""
    return frozenset(e.lower() for e in re.split(r"[\s,;]+", value or "") if e)


def new_person_id() -> str:
    return PERSON_PREFIX + secrets.token_urlsafe(12)


def _signature(person_id: str, key: str) -> str:
    mac = hmac.new(key.encode(), f"person:{person_id}".encode(), hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def sign(person_id: str, key: str) -> str:
    """The token a browser keeps for `person_id`."""
    if not _ID.match(person_id):
        raise ValueError(f"not a person id: {person_id!r}")
    return f"{person_id}.{_signature(person_id, key)}"


def verify(token: str | None, key: str) -> str | None:
    """The person id in `token` when its signature is right; None for anything else (never raises)."""
    if not token or not isinstance(token, str) or token.count(".") != 1:
        return None
    person_id, signature = token.split(".")
    if not _ID.match(person_id):
        return None
    # compare_digest: the time taken says nothing about how much of a forged signature was right.
    return person_id if hmac.compare_digest(signature, _signature(person_id, key)) else None


def signing_key(stored: str | None, environ: dict[str, str] | None = None) -> str | None:
    """MIRROR_SECRET_KEY when set, else the key kept in the store (None: identities last one session)."""
    env = os.environ if environ is None else environ
    return (env.get("MIRROR_SECRET_KEY") or "").strip() or stored
