"""Persistence of user feedback (thumbs up/down on a reply) and saved work (an edited generation).

Two backends, chosen by the URL in `MIRROR_DATABASE_URL`, with the same schema and migrations:

- SQLite (the default, `sqlite:///path/to/file.sqlite3`): one file;
- PostgreSQL (`postgresql://user:password@host:port/database`, through psycopg 3, which is imported
  only when such a URL is used).

Both are safe for the many threads of a Streamlit server:

- every operation opens its own connection, does its work and closes it, so no connection is ever
  shared between threads;
- every write is one committed transaction (SQLite: WAL and `synchronous=FULL`; PostgreSQL:
  `synchronous_commit=on`), so a save that returned survives a crash of the process or a power loss;
- writers wait up to `BUSY_TIMEOUT_S` for each other (a lock) instead of failing at once; reaching a
  PostgreSQL server gives up after `CONNECT_TIMEOUT_S`;
- each migration runs in one transaction under a lock, so two processes starting at once on an old
  database apply it exactly once.

Every storage failure raises `StoreError`, whose message is one line a UI can show as is. Bad input
(an empty title, a score of 2) is a bug in the caller and raises `ValueError`.

Methods take plain values and never keep or change them: on `StoreError` the caller still holds what
the user typed and should keep it on screen, so nothing is lost when the disk is full or the
database is busy.

The SQL lives in this module only, in one section, written with `?` placeholders; `_Dialect`
turns it into each driver's form. Error messages name the database without the password of a URL.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from mirror.text import redact_url, spreadsheet_safe

ENV_VAR = "MIRROR_DATABASE_URL"
BUSY_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 5  # PostgreSQL: whole seconds (libpq), at least 2
MAX_TITLE_CHARS = 200

__all__ = ["BUSY_TIMEOUT_S", "CONNECT_TIMEOUT_S", "ENV_VAR", "MAX_TITLE_CHARS", "SCHEMA_VERSION", "Feedback",
           "SavedItem", "Store", "StoreError", "database_url_from_env"]


class StoreError(RuntimeError):
    """A storage failure, with a one-line message fit for the UI. The caller's input is untouched."""


@dataclass(frozen=True)
class Feedback:
    id: int
    created_at: str  # UTC, ISO 8601
    session_id: str
    model: str
    prompt: str
    reply: str
    params: dict[str, Any]
    seed: int | None
    score: int  # 1 thumbs up, 0 thumbs down
    comment: str | None


@dataclass(frozen=True)
class SavedItem:
    id: int
    created_at: str  # UTC, ISO 8601
    updated_at: str
    session_id: str | None
    title: str
    prompt: str
    text: str
    model: str
    params: dict[str, Any]
    seed: int | None


def database_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """`MIRROR_DATABASE_URL`, else a SQLite file under `$XDG_DATA_HOME/magic-mirror/`."""
    env = os.environ if environ is None else environ
    url = env.get(ENV_VAR, "").strip()
    if url:
        return url
    data_home = Path(env.get("XDG_DATA_HOME", "").strip() or Path.home() / ".local" / "share")
    return "sqlite:///" + str(data_home / "magic-mirror" / "mirror.sqlite3")


# --- SQL: the only place that knows table and column names -------------------------------------

@dataclass(frozen=True)
class _Dialect:
    placeholder: str  # what `?` becomes in the driver's paramstyle
    primary_key: str  # an auto-incrementing integer id that is never reused
    int64: str  # a signed 64-bit integer column (a seed can be up to 2**63-1)
    begin: str  # starts a write transaction
    migration_lock: str | None  # first statement of a migration's transaction; None: `begin` locks already
    insert_returning_id: str  # appended to an INSERT so that it returns the new id ("": use lastrowid)
    session: str  # run on each new connection; a `?` is the busy timeout as text, e.g. '5000ms'

    def sql(self, text: str) -> str:
        """Statements are written with `?` placeholders; this turns them into the driver's style."""
        text = text.replace("{pk}", self.primary_key).replace("{int64}", self.int64)
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)


# BEGIN IMMEDIATE takes the write lock at the start, so a waiting writer waits for the busy timeout
# rather than failing when its read lock cannot be upgraded; it also serialises migrations. AUTOINCREMENT
# stops SQLite from reusing the id of a deleted item (a stale page would otherwise edit someone else's
# poem). FULL fsyncs the WAL at every commit; NORMAL (common with WAL) can lose the last commits on
# power loss. The busy timeout itself is an argument of sqlite3.connect.
_SQLITE = _Dialect(placeholder="?", primary_key="INTEGER PRIMARY KEY AUTOINCREMENT", int64="INTEGER",
                   begin="BEGIN IMMEDIATE", migration_lock=None, insert_returning_id="",
                   session="PRAGMA synchronous=FULL")

# An identity column comes from a sequence, which never hands out an id twice. Plain BEGIN: row locks
# are taken as rows are written; lock_timeout bounds every wait for a lock (the busy timeout);
# synchronous_commit=on makes a commit wait for its WAL flush, whatever the server's default. The
# advisory lock (per database, released at commit or rollback) makes a second process that starts at
# the same time wait for the first one's migration, then find the schema up to date; it is taken
# before CREATE TABLE IF NOT EXISTS, which is not safe against a concurrent twin.
_POSTGRES = _Dialect(placeholder="%s", primary_key="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                     int64="BIGINT", begin="BEGIN",
                     migration_lock="SELECT pg_advisory_xact_lock(120299659095922)",  # b"mirror" as an integer
                     insert_returning_id=" RETURNING id",
                     session="SELECT set_config('lock_timeout', ?, false), "
                             "set_config('synchronous_commit', 'on', false)")

# Ordered migrations; migration N brings the schema to version N. Never edit one that has shipped:
# append a new one. Each runs in one transaction together with its schema_version row. ({pk} and
# {int64} come from the dialect; for SQLite they are what migration 1 always said.)
MIGRATIONS: list[list[str]] = [
    [  # 1: the two tables
        """CREATE TABLE feedback (
            id {pk},
            created_at TEXT NOT NULL,
            session_id TEXT NOT NULL,
            model TEXT NOT NULL,
            prompt TEXT NOT NULL,
            reply TEXT NOT NULL,
            params TEXT NOT NULL,
            seed {int64},
            score INTEGER NOT NULL CHECK (score IN (0, 1)),
            comment TEXT
        )""",
        """CREATE TABLE saved_items (
            id {pk},
            created_at TEXT NOT NULL,
            session_id TEXT,
            title TEXT NOT NULL,
            prompt TEXT NOT NULL,
            text TEXT NOT NULL,
            model TEXT NOT NULL,
            params TEXT NOT NULL,
            seed {int64}
        )""",
    ],
    [  # 2: remember when a saved item was last edited (old rows: when created); index the lists' order
        "ALTER TABLE saved_items ADD COLUMN updated_at TEXT",
        "UPDATE saved_items SET updated_at = created_at WHERE updated_at IS NULL",
        "CREATE INDEX saved_items_created_at ON saved_items (created_at)",
        "CREATE INDEX feedback_created_at ON feedback (created_at)",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)

_CREATE_VERSION_TABLE = ("CREATE TABLE IF NOT EXISTS schema_version "
                         "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
_GET_VERSION = "SELECT MAX(version) FROM schema_version"
_SET_VERSION = "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)"

_FEEDBACK_COLUMNS = "id, created_at, session_id, model, prompt, reply, params, seed, score, comment"
_ITEM_COLUMNS = "id, created_at, updated_at, session_id, title, prompt, text, model, params, seed"

_ADD_FEEDBACK = ("INSERT INTO feedback (created_at, session_id, model, prompt, reply, params, seed, score, comment) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
_LIST_FEEDBACK = f"SELECT {_FEEDBACK_COLUMNS} FROM feedback ORDER BY created_at DESC, id DESC LIMIT ?"
_SAVE_ITEM = ("INSERT INTO saved_items (created_at, updated_at, session_id, title, prompt, text, model, params, seed) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
_UPDATE_ITEM = ("UPDATE saved_items SET title = COALESCE(?, title), text = COALESCE(?, text), updated_at = ? "
                "WHERE id = ?")
_GET_ITEM = f"SELECT {_ITEM_COLUMNS} FROM saved_items WHERE id = ?"
_LIST_ITEMS = f"SELECT {_ITEM_COLUMNS} FROM saved_items ORDER BY created_at DESC, id DESC LIMIT ?"
_ALL_ITEMS = f"SELECT {_ITEM_COLUMNS} FROM saved_items ORDER BY created_at DESC, id DESC"
_DELETE_ITEM = "DELETE FROM saved_items WHERE id = ?"


# --- backends ----------------------------------------------------------------------------------

class _SQLiteBackend:
    dialect = _SQLITE

    def __init__(self, path: Path):
        self.path = path
        self.target = str(path)

    def prepare(self) -> None:
        """Create the folder and switch the file to WAL (a property of the file; it persists)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"Cannot create the folder for the database {self.path}: "
                             f"{exc.strerror or exc}.") from exc
        if self.path.is_dir():
            raise StoreError(f"Cannot open the database {self.path}: it is a folder, not a file.")
        with self.connection() as conn:
            conn.execute("PRAGMA journal_mode=WAL")

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """A fresh connection for one operation, closed afterwards; sqlite3 errors become StoreError."""
        try:
            # isolation_level=None: no implicit BEGIN; transactions are explicit (see Store._write),
            # which also makes DDL in a migration part of its transaction.
            with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)) as conn:
                conn.execute(self.dialect.session)  # per connection, so on every one
                yield conn
        except sqlite3.Error as exc:
            raise StoreError(self.describe(exc)) from exc

    def insert(self, conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> int:
        cursor = conn.execute(sql, params)
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def describe(self, exc: sqlite3.Error) -> str:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            return (f"The database is busy: another writer held it for more than {BUSY_TIMEOUT_S:g} s. "
                    "Please try again.")
        if "full" in text:
            return f"Cannot write to the database {self.path}: the disk is full."
        if "unable to open" in text or "readonly" in text or "read-only" in text:
            return f"Cannot open the database {self.path} for writing: check that the location exists and is writable."
        if "not a database" in text or "malformed" in text:
            return f"The file {self.path} is not a valid Magic Mirror database."
        return f"Database error on {self.path}: {exc}."


def _url_secrets(url: str) -> list[str]:
    """The password of a URL (as written and percent-decoded, from the user part or `?password=`)."""
    parts = urlsplit(url)
    found = []
    userinfo = parts.netloc.rpartition("@")[0]
    if ":" in userinfo:
        found.append(userinfo.split(":", 1)[1])
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "password":
            found.append(value)
    return sorted({form for secret in found for form in (secret, unquote(secret)) if form}, key=len, reverse=True)


class _PostgresBackend:
    dialect = _POSTGRES
    path: Path | None = None

    def __init__(self, url: str):
        self.url = url
        self.target = redact_url(url, keep_user=True)
        self._secrets = _url_secrets(url)
        self._psycopg: Any = None

    def prepare(self) -> None:
        """Import psycopg (only now: SQLite users do not need it)."""
        try:
            import psycopg
        except ImportError as exc:
            raise StoreError("A postgresql:// database needs the psycopg package, which is not installed: "
                             "pip install 'psycopg[binary]' (see requirements.txt).") from exc
        self._psycopg = psycopg

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A fresh connection for one operation, closed afterwards; psycopg errors become StoreError."""
        psycopg = self._psycopg
        try:
            # autocommit: no implicit BEGIN; transactions are explicit (see Store._write), DDL included.
            with closing(psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)) as conn:
                conn.execute(self.dialect.sql(self.dialect.session), (f"{round(BUSY_TIMEOUT_S * 1000)}ms",))
                yield conn
        except psycopg.Error as exc:
            raise StoreError(self.describe(exc)) from exc

    def insert(self, conn: Any, sql: str, params: Sequence[Any]) -> int:
        return conn.execute(sql + self.dialect.insert_returning_id, params).fetchone()[0]

    def describe(self, exc: Exception) -> str:
        detail = " ".join(str(exc).split()).rstrip(".")  # one line
        for secret in self._secrets:
            detail = detail.replace(secret, "***")
        state = getattr(exc, "sqlstate", None) or ""
        text = detail.lower()
        if state in ("55P03", "40001", "40P01") or "lock timeout" in text:
            return (f"The database is busy: another writer held it for more than {BUSY_TIMEOUT_S:g} s. "
                    "Please try again.")
        if state == "53100":
            return f"Cannot write to the database {self.target}: the server's disk is full."
        if state.startswith("28") or "authentication failed" in text or "no password supplied" in text:
            return (f"Cannot log in to the database {self.target}: check the user and password in "
                    f"{ENV_VAR} ({detail}).")
        if state == "3D000" or re.search(r'database ".*" does not exist', text):
            return f"The database {self.target} does not exist on the server: create it first ({detail})."
        if state == "42501":
            return f"Not allowed to use the database {self.target}: {detail}."
        if state.startswith("08") or (not state and self._psycopg is not None and isinstance(exc, self._psycopg.OperationalError)):
            return (f"Cannot reach the PostgreSQL server of {self.target}: {detail}. "
                    "Check that it is running and reachable.")
        return f"Database error on {self.target}: {detail}."


_Backend = _SQLiteBackend | _PostgresBackend


def _backend_for(url: str) -> _Backend:
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme in ("postgresql", "postgres"):
        return _PostgresBackend(url)
    if scheme.startswith("postgres"):  # e.g. SQLAlchemy's postgresql+psycopg://; not echoing a password
        raise StoreError(f"Unsupported database URL (scheme {scheme!r}): "
                         "expected postgresql://user:password@host:port/database.")
    prefix = "sqlite:///"
    if scheme == "sqlite" and not url.lower().startswith(prefix):
        raise StoreError("Malformed SQLite URL: use sqlite:///relative/path or sqlite:////absolute/path.")
    if not url.lower().startswith(prefix):
        raise StoreError(f"Unsupported database URL (scheme {scheme or 'missing'!r}): "
                         "expected sqlite:///path/to/file.sqlite3 or postgresql://user:password@host/database.")
    # "sqlite:///rel/path" is relative to the working folder, "sqlite:////abs/path" absolute (as in
    # SQLAlchemy); "sqlite:///" + "/abs/path" is the same thing.
    raw = url[len(prefix):].split("?", 1)[0]
    if not raw.strip():
        raise StoreError("The database URL names no file: expected sqlite:///path/to/file.sqlite3.")
    if raw == ":memory:":
        raise StoreError("An in-memory database cannot be used: each operation opens its own connection.")
    return _SQLiteBackend(Path(raw).expanduser())


# --- the store ---------------------------------------------------------------------------------

def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


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


def _check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive integer, got {limit!r}")
    return limit


class Store:
    """Feedback and saved items in one database, safe to share between threads.

    Every method takes plain values and keeps no reference to them. On `StoreError` nothing was
    written and the caller still has the user's text: keep it on screen and let the user retry.
    """

    def __init__(self, url: str | None = None):
        self.url = url if url is not None else database_url_from_env()
        self._backend = _backend_for(self.url)
        self._sql = self._backend.dialect.sql
        self._backend.prepare()
        self._migrate()

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

    @contextmanager
    def _write(self) -> Iterator[Any]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._backend.connection() as conn:
            conn.execute(self._backend.dialect.begin)
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._backend.connection() as conn:
            return conn.execute(self._sql(sql), params).fetchall()

    def schema_version(self) -> int:
        return self._query(_GET_VERSION)[0][0] or 0

    def _migrate(self) -> None:
        # The version is read again inside each transaction, under the dialect's lock, so two
        # processes starting at once apply each migration exactly once.
        while True:
            with self._write() as conn:
                if self._backend.dialect.migration_lock:
                    conn.execute(self._backend.dialect.migration_lock)
                conn.execute(_CREATE_VERSION_TABLE)
                version = conn.execute(_GET_VERSION).fetchone()[0] or 0
                if version > SCHEMA_VERSION:
                    raise StoreError(
                        f"The database {self.target} comes from a newer Magic Mirror (schema version "
                        f"{version}, this build knows up to {SCHEMA_VERSION}); refusing to downgrade it.")
                if version == SCHEMA_VERSION:
                    return
                for statement in MIGRATIONS[version]:
                    conn.execute(self._sql(statement))
                conn.execute(self._sql(_SET_VERSION), (version + 1, _now()))

    # -- feedback

    def add_feedback(self, *, session_id: str, model: str, prompt: str, reply: str, score: int,
                     params: Mapping[str, Any] | None = None, seed: int | None = None,
                     comment: str | None = None) -> int:
        """Record a thumbs up (score 1) or down (0) on a reply; returns its id. Keep the input on StoreError."""
        if isinstance(score, bool) or score not in (0, 1):
            raise ValueError(f"score must be 1 (thumbs up) or 0 (thumbs down), got {score!r}")
        if comment is not None:
            comment = comment.strip() or None  # a blank comment is no comment
        row = (_now(), session_id, model, prompt, reply, _params_json(params), _check_seed(seed), int(score), comment)
        with self._write() as conn:
            return self._backend.insert(conn, self._sql(_ADD_FEEDBACK), row)

    def list_feedback(self, limit: int = 100) -> list[Feedback]:
        """The latest feedback, newest first."""
        rows = self._query(_LIST_FEEDBACK, (_check_limit(limit),))
        return [Feedback(*row[:6], json.loads(row[6]), *row[7:]) for row in rows]

    # -- saved items

    def save_item(self, *, title: str, text: str, prompt: str = "", model: str = "",
                  params: Mapping[str, Any] | None = None, seed: int | None = None,
                  session_id: str | None = None) -> int:
        """Save a generated (and maybe edited) text; returns its id. Keep the text on StoreError."""
        now = _now()
        row = (now, now, session_id, _check_title(title), prompt, _check_text(text), model,
               _params_json(params), _check_seed(seed))
        with self._write() as conn:
            return self._backend.insert(conn, self._sql(_SAVE_ITEM), row)

    def update_item(self, item_id: int, *, title: str | None = None, text: str | None = None) -> None:
        """Change the title and/or the text of a saved item. Keep the input on StoreError."""
        if title is None and text is None:
            raise ValueError("Nothing to update: give a new title or a new text.")
        title = _check_title(title) if title is not None else None
        text = _check_text(text) if text is not None else None
        with self._write() as conn:
            cursor = conn.execute(self._sql(_UPDATE_ITEM), (title, text, _now(), item_id))
            if cursor.rowcount == 0:
                raise StoreError(f"Saved item {item_id} does not exist (it may have been deleted).")

    def get_item(self, item_id: int) -> SavedItem:
        rows = self._query(_GET_ITEM, (item_id,))
        if not rows:
            raise StoreError(f"Saved item {item_id} does not exist (it may have been deleted).")
        return self._item(rows[0])

    def list_items(self, limit: int = 500) -> list[SavedItem]:
        """Saved items, newest first."""
        return [self._item(row) for row in self._query(_LIST_ITEMS, (_check_limit(limit),))]

    def delete_item(self, item_id: int) -> None:
        with self._write() as conn:
            if conn.execute(self._sql(_DELETE_ITEM), (item_id,)).rowcount == 0:
                raise StoreError(f"Saved item {item_id} does not exist (it may have been deleted).")

    def items_csv(self) -> str:
        """All saved items as CSV (header row first, newest first), safe to open in a spreadsheet."""
        items = self._query(_ALL_ITEMS)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([name.strip() for name in _ITEM_COLUMNS.split(",")])
        for row in items:
            writer.writerow([spreadsheet_safe(value) for value in row])  # params is already JSON text
        return out.getvalue()

    @staticmethod
    def _item(row: tuple[Any, ...]) -> SavedItem:
        return SavedItem(*row[:8], json.loads(row[8]), row[9])
