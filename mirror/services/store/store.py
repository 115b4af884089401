"""The `Store` class: the checks on what callers pass, the SQL for feedback and saved items, and the
methods that run it, so that the rest of the app sees plain values and `StoreError` only.

Every row has an owner, and every method that reads or changes a person's rows takes `owner` and
matches it in SQL: asked for somebody else's item, the store answers as if it did not exist.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mirror.services.store.backends import backend_for, transaction
from mirror.services.store.classes import ClassTables
from mirror.services.store.clock import Clock, now
from mirror.services.store.errors import StoreError
from mirror.services.store.migrations import migrate, schema_version
from mirror.services.store.records import UNKNOWN_OWNER, Feedback, SavedItem
from mirror.services.store.urls import database_url_from_env
from mirror.text import spreadsheet_safe

__all__ = ["MAX_TITLE_CHARS", "Store"]

MAX_TITLE_CHARS = 200
MAX_OWNER_CHARS = 200
_EVERY_ROW = 2**62  # the LIMIT that means "all rows" (both databases take a 64-bit integer there)

# --- SQL: with the migrations, the only place that knows table and column names ------------------

_FEEDBACK_COLUMNS = "id, created_at, session_id, model, prompt, reply, params, seed, score, comment, owner, class_code"
_ITEM_COLUMNS = "id, created_at, updated_at, session_id, title, prompt, text, model, params, seed, owner, class_code"

_ADD_FEEDBACK = ("INSERT INTO feedback (created_at, session_id, model, prompt, reply, params, seed, score, comment, "
                 "owner, class_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_LIST_FEEDBACK = (f"SELECT {_FEEDBACK_COLUMNS} FROM feedback WHERE owner = ? "
                  "ORDER BY created_at DESC, id DESC LIMIT ?")
_SAVE_ITEM = ("INSERT INTO saved_items (created_at, updated_at, session_id, title, prompt, text, model, params, seed, "
              "owner, class_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_UPDATE_ITEM = ("UPDATE saved_items SET title = COALESCE(?, title), text = COALESCE(?, text), updated_at = ? "
                "WHERE id = ? AND owner = ?")
_GET_ITEM = f"SELECT {_ITEM_COLUMNS} FROM saved_items WHERE id = ? AND owner = ?"
_LIST_ITEMS = f"SELECT {_ITEM_COLUMNS} FROM saved_items WHERE owner = ? ORDER BY created_at DESC, id DESC LIMIT ?"
_ALL_ITEMS = f"SELECT {_ITEM_COLUMNS} FROM saved_items WHERE owner = ? ORDER BY created_at DESC, id DESC"
_DELETE_ITEM = "DELETE FROM saved_items WHERE id = ? AND owner = ?"
# {where} is "" (every class) or a class filter; the teacher's view reads both ways.
_ALL_OWNERS_ITEMS = f"SELECT {_ITEM_COLUMNS} FROM saved_items {{where}} ORDER BY created_at DESC, id DESC LIMIT ?"
_ALL_OWNERS_FEEDBACK = f"SELECT {_FEEDBACK_COLUMNS} FROM feedback {{where}} ORDER BY created_at DESC, id DESC LIMIT ?"
_IN_CLASS = "WHERE class_code = ?"
_CLEAR = ("DELETE FROM saved_items {where}", "DELETE FROM feedback {where}")
_ADD_ATTEMPT = "INSERT INTO teacher_attempts (at, who) VALUES (?, ?)"
_COUNT_ATTEMPTS = "SELECT COUNT(*), SUM(CASE WHEN who = ? THEN 1 ELSE 0 END) FROM teacher_attempts WHERE at >= ?"
_ADD_SECRET = "INSERT INTO app_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"
_GET_SECRET = "SELECT value FROM app_secrets WHERE name = ?"
_MISSING = "Saved item {} does not exist (it may have been deleted)."


# --- checks on the caller's values (a bad one is a bug in the caller: ValueError) ----------------

def _params_json(params: Mapping[str, Any] | None) -> str:
    try:
        return json.dumps(dict(params or {}), sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"params must be a JSON-serialisable dict: {exc}") from exc


def _check_seed(seed: int | None) -> int | None:
    # 64 bits signed: what both databases store (and the sampler accepts 0 to 2**63-1).
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not -2**63 <= seed < 2**63):
        raise ValueError(f"seed must be an integer (64 bits) or None, got {seed!r}")
    return seed


def _check_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValueError("The title is empty: give the item a title.")
    if len(title) > MAX_TITLE_CHARS:
        raise ValueError(f"The title is too long: {len(title)} characters, at most {MAX_TITLE_CHARS}.")
    return title


def _check_text(text: str) -> str:
    # The text is stored exactly as typed; only a blank one is refused.
    if not isinstance(text, str) or not text.strip():
        raise ValueError("The text is empty: there is nothing to save.")
    return text


def _check_owner(owner: str) -> str:
    """A person's id. "unknown" (the rows from before there were owners) is nobody's to read or write."""
    if not isinstance(owner, str) or not owner.strip() or len(owner) > MAX_OWNER_CHARS:
        raise ValueError(f"owner must be a person's id (1 to {MAX_OWNER_CHARS} characters), got {owner!r}")
    if owner == UNKNOWN_OWNER:
        raise ValueError(f"{UNKNOWN_OWNER!r} owns the rows from before there were owners; it is no person's id")
    return owner


def _check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive integer, got {limit!r}")
    return limit


def _csv(columns: str, rows: list[tuple[Any, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([name.strip() for name in columns.split(",")])
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in row])  # params is already JSON text
    return out.getvalue()


# --- the store -----------------------------------------------------------------------------------

class Store:
    """Feedback and saved items in one database, safe to share between threads.

    `url` defaults to `database_url_from_env()`. `clock` stamps every `created_at`, `updated_at` and
    `applied_at`; it defaults to `now` (UTC, ISO 8601) and is kept as the public attribute `clock`,
    so a test can give a fake one here or set it later.

    Every method takes plain values and keeps no reference to them. On `StoreError` nothing was
    written and the caller still has the user's text: keep it on screen and let the user retry.
    """

    def __init__(self, url: str | None = None, *, clock: Clock = now):
        self.url = url if url is not None else database_url_from_env()
        self.clock = clock
        self._backend = backend_for(self.url)
        self._sql = self._backend.dialect.sql
        self._backend.prepare()
        migrate(self._backend, self.clock)
        self.classes = ClassTables(self._backend, lambda: self.clock())  # the classroom's tables

    def __repr__(self) -> str:
        return f"Store({self.target!r})"

    @property
    def path(self) -> Path | None:
        """The SQLite file; None for PostgreSQL."""
        return self._backend.path

    @property
    def target(self) -> str:
        """The database for messages: the SQLite file, or the PostgreSQL URL without its password."""
        return self._backend.target

    # -- plumbing

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._backend.connection() as conn:
            return conn.execute(self._sql(sql), params).fetchall()

    def schema_version(self) -> int:
        """The schema version of the database (`SCHEMA_VERSION` once it is open)."""
        return schema_version(self._backend)

    # -- feedback

    def add_feedback(self, *, owner: str, session_id: str, model: str, prompt: str, reply: str, score: int,
                     params: Mapping[str, Any] | None = None, seed: int | None = None,
                     comment: str | None = None, class_code: str | None = None) -> int:
        """Record a thumbs up (score 1) or down (0) on a reply; returns its id. Keep the input on StoreError."""
        if isinstance(score, bool) or score not in (0, 1):
            raise ValueError(f"score must be 1 (thumbs up) or 0 (thumbs down), got {score!r}")
        if comment is not None:
            comment = comment.strip() or None  # a blank comment is no comment
        row = (self.clock(), session_id, model, prompt, reply, _params_json(params), _check_seed(seed), int(score),
               comment, _check_owner(owner), class_code)
        with transaction(self._backend) as conn:
            return self._backend.insert(conn, self._sql(_ADD_FEEDBACK), row)

    def list_feedback(self, limit: int = 100, *, owner: str) -> list[Feedback]:
        """The owner's latest feedback, newest first."""
        rows = self._query(_LIST_FEEDBACK, (_check_owner(owner), _check_limit(limit)))
        return [Feedback(*row[:6], json.loads(row[6]), *row[7:]) for row in rows]

    # -- saved items

    def save_item(self, *, owner: str, title: str, text: str, prompt: str = "", model: str = "",
                  params: Mapping[str, Any] | None = None, seed: int | None = None,
                  session_id: str | None = None, class_code: str | None = None) -> int:
        """Save a generated (and maybe edited) text for `owner`; returns its id. Keep the text on StoreError."""
        stamp = self.clock()
        row = (stamp, stamp, session_id, _check_title(title), prompt, _check_text(text), model,
               _params_json(params), _check_seed(seed), _check_owner(owner), class_code)
        with transaction(self._backend) as conn:
            return self._backend.insert(conn, self._sql(_SAVE_ITEM), row)

    def update_item(self, item_id: int, *, owner: str, title: str | None = None, text: str | None = None) -> None:
        """Change the title and/or the text of one of `owner`'s saved items. Keep the input on StoreError."""
        if title is None and text is None:
            raise ValueError("Nothing to update: give a new title or a new text.")
        title = _check_title(title) if title is not None else None
        text = _check_text(text) if text is not None else None
        with transaction(self._backend) as conn:
            cursor = conn.execute(self._sql(_UPDATE_ITEM), (title, text, self.clock(), item_id, _check_owner(owner)))
            if cursor.rowcount == 0:
                raise StoreError(_MISSING.format(item_id))

    def get_item(self, item_id: int, *, owner: str) -> SavedItem:
        """One of `owner`'s saved items; StoreError when it is not there or is somebody else's."""
        rows = self._query(_GET_ITEM, (item_id, _check_owner(owner)))
        if not rows:
            raise StoreError(_MISSING.format(item_id))
        return self._item(rows[0])

    def list_items(self, limit: int = 500, *, owner: str) -> list[SavedItem]:
        """`owner`'s saved items, newest first."""
        return [self._item(row) for row in self._query(_LIST_ITEMS, (_check_owner(owner), _check_limit(limit)))]

    def delete_item(self, item_id: int, *, owner: str) -> None:
        """Delete one of `owner`'s saved items; StoreError when it is not there or is somebody else's."""
        with transaction(self._backend) as conn:
            if conn.execute(self._sql(_DELETE_ITEM), (item_id, _check_owner(owner))).rowcount == 0:
                raise StoreError(_MISSING.format(item_id))

    def secret(self, name: str) -> str:
        """A random secret the app keeps in the database (made on first use; the same for every replica)."""
        with transaction(self._backend) as conn:
            conn.execute(self._sql(_ADD_SECRET), (name, secrets.token_urlsafe(32)))
            return conn.execute(self._sql(_GET_SECRET), (name,)).fetchone()[0]

    def items_csv(self, *, owner: str) -> str:
        """`owner`'s saved items as CSV (header row first, newest first), safe to open in a spreadsheet."""
        return _csv(_ITEM_COLUMNS, self._query(_ALL_ITEMS, (_check_owner(owner),)))

    # -- the teacher's view: everybody's rows (the caller has checked that a teacher asks)

    @staticmethod
    def _in_class(sql: str, class_code: str | None, *params: Any) -> tuple[str, tuple[Any, ...]]:
        if class_code is None:
            return sql.format(where=""), params
        return sql.format(where=_IN_CLASS), (class_code, *params)

    def everyones_items(self, limit: int = 5000, class_code: str | None = None) -> list[SavedItem]:
        """Every saved item ("unknown" owner included), or one class's, newest first."""
        return [self._item(row) for row in self._query(*self._in_class(_ALL_OWNERS_ITEMS, class_code,
                                                                         _check_limit(limit)))]

    def everyones_feedback(self, limit: int = 5000, class_code: str | None = None) -> list[Feedback]:
        """All feedback, or one class's, newest first."""
        rows = self._query(*self._in_class(_ALL_OWNERS_FEEDBACK, class_code, _check_limit(limit)))
        return [Feedback(*row[:6], json.loads(row[6]), *row[7:]) for row in rows]

    def everyones_csv(self, kind: str, class_code: str | None = None) -> str:
        """Every saved item ("items") or all feedback ("feedback"), or one class's, as spreadsheet-safe CSV."""
        columns, sql = {"items": (_ITEM_COLUMNS, _ALL_OWNERS_ITEMS),
                        "feedback": (_FEEDBACK_COLUMNS, _ALL_OWNERS_FEEDBACK)}[kind]
        return _csv(columns, self._query(*self._in_class(sql, class_code, _EVERY_ROW)))

    def clear(self, class_code: str | None = None) -> None:
        """Delete the saved items and feedback of one class (None: of everybody), in one transaction."""
        with transaction(self._backend) as conn:
            for statement in _CLEAR:
                sql, params = self._in_class(statement, class_code)
                conn.execute(self._sql(sql), params)

    def note_wrong_passcode(self, who: str) -> None:
        with transaction(self._backend) as conn:
            conn.execute(self._sql(_ADD_ATTEMPT), (self.clock(), who))

    def wrong_passcodes_since(self, since: str, who: str) -> tuple[int, int]:
        """(wrong teacher passcodes since `since` from anybody, and from `who`)."""
        total, mine = self._query(_COUNT_ATTEMPTS, (who, since))[0]
        return int(total or 0), int(mine or 0)

    @staticmethod
    def _item(row: tuple[Any, ...]) -> SavedItem:
        return SavedItem(*row[:8], json.loads(row[8]), *row[9:])
