"""The classroom's tables (classes, members, rounds, votes) and their SQL: `Store.classes`.

The state of a class lives here, not in a process, so every replica sees the same rounds and votes.
A vote (a guess, a vote for a candidate or a draw: a "ballot") is one INSERT that only lands while
its round is open and the voter has no ballot in it yet, so a late or second one is refused by the
database itself, whichever replica it reaches. Likewise a name is taken only when no other member
of the class has it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from mirror.services.store.backends import Backend, transaction

__all__ = ["Ballot", "ClassRow", "ClassTables", "GUESS_GAME", "JoinOutcome", "RoundRow", "VoteOutcome"]

VoteOutcome = Literal["counted", "again", "closed"]
JoinOutcome = Literal["joined", "name_taken"]
GUESS_GAME = "guess"  # what a round from before there were games plays (its game column is NULL)

_ADD_CLASS = "INSERT INTO classes (code, teacher, created_at) VALUES (?, ?, ?) ON CONFLICT (code) DO NOTHING"
_GET_CLASS = "SELECT code, teacher, created_at FROM classes WHERE code = ?"
_JOIN = ("INSERT INTO class_members (code, person, name, joined_at) VALUES (?, ?, ?, ?) "
         "ON CONFLICT (code, person) DO UPDATE SET name = excluded.name")
_NAME_TAKEN = "SELECT 1 FROM class_members WHERE code = ? AND person <> ? AND LOWER(name) = LOWER(?)"
_MEMBERS = "SELECT person, name FROM class_members WHERE code = ? ORDER BY joined_at, person"
_LATEST_MEMBERSHIP = ("SELECT m.code, m.name FROM class_members m JOIN classes c ON c.code = m.code "
                      "WHERE m.person = ? AND c.created_at >= ? ORDER BY m.joined_at DESC LIMIT 1")
_LATEST_OPENED = "SELECT code FROM classes WHERE teacher = ? AND created_at >= ? ORDER BY created_at DESC LIMIT 1"
_ALL_CLASSES = "SELECT code, teacher, created_at FROM classes ORDER BY created_at DESC LIMIT ?"
_NAMES = "SELECT person, name FROM class_members ORDER BY joined_at"
_IS_MEMBER = "SELECT name FROM class_members WHERE code = ? AND person = ?"
_CLOSE_OPEN = "UPDATE rounds SET closed_at = ? WHERE code = ? AND closed_at IS NULL"
_OPEN_ROUND = "INSERT INTO rounds (code, prompt, opened_at, game, setup) VALUES (?, ?, ?, ?, ?)"
_ROUND_COLUMNS = "id, code, prompt, opened_at, closed_at, result, COALESCE(game, 'guess'), setup"
_LATEST_ROUND = f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE code = ? ORDER BY id DESC LIMIT 1"
_ROUNDS = f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE code = ? ORDER BY id"
_VOTE = ("INSERT INTO votes (round_id, person, guess, at, detail) SELECT ?, ?, ?, ?, ? "
         "WHERE EXISTS (SELECT 1 FROM rounds WHERE id = ? AND closed_at IS NULL) "
         "ON CONFLICT (round_id, person) DO NOTHING")
_VOTE_OF = "SELECT guess FROM votes WHERE round_id = ? AND person = ?"
_VOTES = "SELECT person, guess FROM votes WHERE round_id = ? ORDER BY at, person"
_BALLOTS = "SELECT person, guess, detail, at FROM votes WHERE round_id = ? ORDER BY at, person"
_BALLOT_OF = "SELECT person, guess, detail, at FROM votes WHERE round_id = ? AND person = ?"
_CLEAR_VOTES = "DELETE FROM votes WHERE round_id IN (SELECT id FROM rounds WHERE code = ?)"
_CLEAR_ROUNDS = "DELETE FROM rounds WHERE code = ?"
_COUNT_VOTES = "SELECT COUNT(*) FROM votes WHERE round_id = ?"
_CLOSE_ROUND = "UPDATE rounds SET closed_at = ?, result = ? WHERE id = ? AND closed_at IS NULL"


@dataclass(frozen=True)
class ClassRow:
    code: str
    teacher: str  # the person id of the teacher who opened it
    created_at: str


@dataclass(frozen=True)
class RoundRow:
    id: int
    code: str
    prompt: str
    opened_at: str
    closed_at: str | None  # None while votes are taken
    result: str | None  # the revealed result, as JSON
    game: str = GUESS_GAME  # which class game the round plays
    setup: str | None = None  # what the round was started with (settings, candidates), as JSON


@dataclass(frozen=True)
class Ballot:
    """One student's guess, vote or draw in a round."""

    person: str
    answer: str  # the guess typed, or the candidate's or drawn token's text
    detail: str | None  # JSON: the token id, the draw's seed and probability (None for a guess)
    at: str


class ClassTables:
    """Reads and writes of the classroom tables; every write is one transaction."""

    def __init__(self, backend: Backend, clock: Callable[[], str]):
        self._backend = backend
        self._sql = backend.dialect.sql
        self._clock = clock

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._backend.connection() as conn:
            return conn.execute(self._sql(sql), params).fetchall()

    def add_class(self, code: str, teacher: str) -> bool:
        """False when the code is taken already."""
        with transaction(self._backend) as conn:
            return conn.execute(self._sql(_ADD_CLASS), (code, teacher, self._clock())).rowcount == 1

    def get_class(self, code: str) -> ClassRow | None:
        rows = self._query(_GET_CLASS, (code,))
        return ClassRow(*rows[0]) if rows else None

    def join(self, code: str, person: str, name: str) -> JoinOutcome:
        """Join, or rename yourself; "name_taken" when another member has the name (in any case)."""
        with transaction(self._backend) as conn:
            if conn.execute(self._sql(_NAME_TAKEN), (code, person, name)).fetchall():
                return "name_taken"
            conn.execute(self._sql(_JOIN), (code, person, name, self._clock()))
            return "joined"

    def members(self, code: str) -> list[tuple[str, str]]:
        return [(person, name) for person, name in self._query(_MEMBERS, (code,))]

    def latest_membership(self, person: str, since: str) -> tuple[str, str] | None:
        """(code, name) of the class `person` joined last, among classes made since `since`."""
        rows = self._query(_LATEST_MEMBERSHIP, (person, since))
        return (rows[0][0], rows[0][1]) if rows else None

    def latest_opened(self, teacher: str, since: str) -> str | None:
        rows = self._query(_LATEST_OPENED, (teacher, since))
        return rows[0][0] if rows else None

    def recent_classes(self, limit: int = 50) -> list[ClassRow]:
        return [ClassRow(*row) for row in self._query(_ALL_CLASSES, (limit,))]

    def names(self) -> dict[str, str]:
        """Every member's latest name, by person id."""
        return dict(self._query(_NAMES, ()))

    def member_name(self, code: str, person: str) -> str | None:
        rows = self._query(_IS_MEMBER, (code, person))
        return rows[0][0] if rows else None

    def open_round(self, code: str, prompt: str, game: str = GUESS_GAME, setup: str | None = None) -> int:
        """A new round for the class; a round still open is closed without a result."""
        with transaction(self._backend) as conn:
            stamp = self._clock()
            conn.execute(self._sql(_CLOSE_OPEN), (stamp, code))
            return self._backend.insert(conn, self._sql(_OPEN_ROUND), (code, prompt, stamp, game, setup))

    def rounds(self, code: str) -> list[RoundRow]:
        """Every round of the class, oldest first."""
        return [RoundRow(*row) for row in self._query(_ROUNDS, (code,))]

    def clear(self, code: str) -> int:
        """Delete the class's rounds and their ballots (its members stay); returns how many rounds went."""
        with transaction(self._backend) as conn:
            conn.execute(self._sql(_CLEAR_VOTES), (code,))
            return conn.execute(self._sql(_CLEAR_ROUNDS), (code,)).rowcount

    def latest_round(self, code: str) -> RoundRow | None:
        rows = self._query(_LATEST_ROUND, (code,))
        return RoundRow(*rows[0]) if rows else None

    def vote(self, round_id: int, person: str, guess: str, detail: str | None = None) -> VoteOutcome:
        with transaction(self._backend) as conn:
            if conn.execute(self._sql(_VOTE), (round_id, person, guess, self._clock(), detail, round_id)).rowcount == 1:
                return "counted"
            voted = conn.execute(self._sql(_VOTE_OF), (round_id, person)).fetchall()
            return "again" if voted else "closed"

    def vote_of(self, round_id: int, person: str) -> str | None:
        """The person's guess in the round, or None."""
        rows = self._query(_VOTE_OF, (round_id, person))
        return rows[0][0] if rows else None

    def votes(self, round_id: int) -> list[tuple[str, str]]:
        return [(person, guess) for person, guess in self._query(_VOTES, (round_id,))]

    def ballots(self, round_id: int) -> list[Ballot]:
        return [Ballot(*row) for row in self._query(_BALLOTS, (round_id,))]

    def ballot_of(self, round_id: int, person: str) -> Ballot | None:
        """The person's ballot in the round, or None."""
        rows = self._query(_BALLOT_OF, (round_id, person))
        return Ballot(*rows[0]) if rows else None

    def count_votes(self, round_id: int) -> int:
        return int(self._query(_COUNT_VOTES, (round_id,))[0][0])

    def close_round(self, round_id: int, result: str) -> bool:
        """Close the round with its result; False when it was closed already (somebody revealed it first)."""
        with transaction(self._backend) as conn:
            return conn.execute(self._sql(_CLOSE_ROUND), (self._clock(), result, round_id)).rowcount == 1
