"""The two backends, SQLite and PostgreSQL, and `backend_for(url)` that picks one: each opens a fresh
connection per operation and turns its driver's errors into one-line `StoreError`s, so that the
store above them never sees a driver.

`BUSY_TIMEOUT_S` and `CONNECT_TIMEOUT_S` are read from this module at each connection, so setting
them here (as tests do) takes effect at once.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from mirror.services.store.dialects import POSTGRES, SQLITE
from mirror.services.store.errors import StoreError
from mirror.services.store.urls import ENV_VAR, url_secrets
from mirror.text import redact_url

__all__ = ["BUSY_TIMEOUT_S", "CONNECT_TIMEOUT_S", "Backend", "PostgresBackend", "SQLiteBackend", "backend_for",
           "transaction"]

BUSY_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 5  # PostgreSQL: whole seconds (libpq), at least 2


class SQLiteBackend:
    """One SQLite file (WAL, `synchronous=FULL`); `path` need not exist yet."""

    dialect = SQLITE

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
            self.switch_to_wal(conn)

    def switch_to_wal(self, conn: sqlite3.Connection) -> None:
        """`PRAGMA journal_mode=WAL`, tried again until `BUSY_TIMEOUT_S` while the file is busy.

        SQLite makes this switch without calling its busy handler: when several processes open the same
        new file at once, one of them can fail at once with "database is locked" (the connection's
        timeout never applies). Once the file is in WAL the statement changes nothing and passes at once.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        pause = 0.001
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL").fetchall()
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """A fresh connection for one operation, closed afterwards; sqlite3 errors become StoreError."""
        try:
            # isolation_level=None: no implicit BEGIN; transactions are explicit (see `transaction`),
            # which also makes DDL in a migration part of its transaction.
            with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)) as conn:
                conn.execute(self.dialect.session)  # per connection, so on every one
                yield conn
        except sqlite3.Error as exc:
            raise StoreError(self.describe(exc)) from exc

    def insert(self, conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> int:
        """Run an INSERT (already in the driver's style) and return the new row's id."""
        cursor = conn.execute(sql, params)
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def describe(self, exc: sqlite3.Error) -> str:
        """A one-line message for the UI about a sqlite3 error."""
        text = str(exc).lower()
        if _is_busy(exc):
            return (f"The database is busy: another writer held it for more than {BUSY_TIMEOUT_S:g} s. "
                    "Please try again.")
        if "full" in text:
            return f"Cannot write to the database {self.path}: the disk is full."
        if "unable to open" in text or "readonly" in text or "read-only" in text:
            return f"Cannot open the database {self.path} for writing: check that the location exists and is writable."
        if "not a database" in text or "malformed" in text:
            return f"The file {self.path} is not a valid Magic Mirror database."
        return f"Database error on {self.path}: {exc}."


class PostgresBackend:
    """A PostgreSQL database through psycopg 3, imported by `prepare` only; messages never show the password."""

    dialect = POSTGRES
    path: Path | None = None

    def __init__(self, url: str):
        self.url = url
        self.target = redact_url(url, keep_user=True)
        self._secrets = url_secrets(url)
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
            # autocommit: no implicit BEGIN; transactions are explicit (see `transaction`), DDL included.
            with closing(psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)) as conn:
                conn.execute(self.dialect.sql(self.dialect.session), (f"{round(BUSY_TIMEOUT_S * 1000)}ms",))
                yield conn
        except psycopg.Error as exc:
            raise StoreError(self.describe(exc)) from exc

    def insert(self, conn: Any, sql: str, params: Sequence[Any]) -> int:
        """Run an INSERT (already in the driver's style) and return the new row's id."""
        return conn.execute(sql + self.dialect.insert_returning_id, params).fetchone()[0]

    def describe(self, exc: Exception) -> str:
        """A one-line message for the UI about a psycopg (or any) error, with the password masked."""
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


def _is_busy(exc: sqlite3.Error) -> bool:
    """Whether SQLite failed because another connection held the file (SQLITE_BUSY or SQLITE_LOCKED)."""
    text = str(exc).lower()
    return "locked" in text or "busy" in text


Backend = SQLiteBackend | PostgresBackend


def backend_for(url: str) -> Backend:
    """The backend for a database URL (not prepared yet: call its `prepare()`); StoreError if the URL is unusable."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme in ("postgresql", "postgres"):
        return PostgresBackend(url)
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
    return SQLiteBackend(Path(raw).expanduser())


@contextmanager
def transaction(backend: Backend) -> Iterator[Any]:
    """One write transaction on a fresh connection: committed when the block ends, rolled back if it raises."""
    with backend.connection() as conn:
        conn.execute(backend.dialect.begin)
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
