"""The teacher's passcode: kept only as a salted scrypt hash, compared in constant time, wrong tries limited.

The passcode comes from the deployment's secrets (`MIRROR_TEACHER_PASSCODE`); where none is set, the
server makes a one-time passcode when it starts and prints it in its terminal, as Jupyter prints its
token (`one_time_passcode`). The process keeps its hash, never the text. Wrong tries are written to the database, so the limit holds across replicas:
a person gets `PER_PERSON` wrong tries per `WINDOW_S`, and everybody together `IN_ALL` (a new browser
session is a new person, so the second limit is what stops guessing by opening new sessions).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from mirror.i18n import t, tn
from mirror.services.store import Store

WINDOW_S = 600
PER_PERSON = 5
IN_ALL = 30
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


# No 0/o, 1/l/i: a passcode read off a terminal and typed on another device.
PASSCODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def one_time_passcode(groups: int = 3, size: int = 4) -> str:
    """A random passcode such as "k7fq-29xw-m3tp" (about 74 bits), for a server started without one."""
    return "-".join("".join(secrets.choice(PASSCODE_ALPHABET) for _ in range(size)) for _ in range(groups))


class PasscodeRefused(Exception):
    """A wrong passcode, or too many wrong ones: the message says which, in words for the user (in the run's
    language)."""


def hash_passcode(passcode: str, salt: bytes) -> bytes:
    return hashlib.scrypt(passcode.encode(), salt=salt, **_SCRYPT)


@dataclass(frozen=True)
class TeacherPasscode:
    """The hash of the configured passcode and its salt (made once per process)."""

    salt: bytes
    digest: bytes = field(repr=False)

    @classmethod
    def of(cls, passcode: str) -> "TeacherPasscode":
        salt = secrets.token_bytes(16)
        return cls(salt, hash_passcode(passcode, salt))

    def matches(self, attempt: str) -> bool:
        # compare_digest: the time taken does not tell how close a guess was.
        return hmac.compare_digest(hash_passcode(attempt, self.salt), self.digest)


def check_passcode(store: Store, expected: TeacherPasscode, attempt: str, who: str) -> None:
    """Return when `attempt` is the passcode; raise PasscodeRefused (and count the try) otherwise."""
    since = (datetime.now(timezone.utc) - timedelta(seconds=WINDOW_S)).isoformat(timespec="microseconds")
    everybody, mine = store.wrong_passcodes_since(since, who)
    if mine >= PER_PERSON or everybody >= IN_ALL:
        minutes = math.ceil(WINDOW_S / 60)
        raise PasscodeRefused(tn("classroom.passcode.too_many", minutes))
    if not attempt or not expected.matches(attempt):
        store.note_wrong_passcode(who)
        left = PER_PERSON - mine - 1
        raise PasscodeRefused(t("classroom.passcode.wrong")
                              + (tn("classroom.passcode.tries_left", left) if left < 3 else ""))
