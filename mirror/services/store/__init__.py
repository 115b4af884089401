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

The modules, bottom up (each imports only those before it, never this package):

- `errors`: `StoreError`;
- `records`: `Feedback` and `SavedItem`, the values handed back;
- `clock`: `now()`, the default timestamp (a `Store` takes another as `clock=`);
- `urls`: `database_url_from_env()` and which parts of a URL are secret;
- `dialects`: what differs in the SQL of SQLite and PostgreSQL (statements are written with `?`);
- `backends`: `SQLiteBackend`, `PostgresBackend`, `backend_for(url)`, the timeouts;
- `migrations`: the numbered `MIGRATIONS`, `SCHEMA_VERSION` and `migrate()`;
- `store`: the `Store` class, its checks and its SQL.

The constants re-exported here are for reading. The code reads `BUSY_TIMEOUT_S` and
`CONNECT_TIMEOUT_S` from `backends`, and `MIGRATIONS` and `SCHEMA_VERSION` from `migrations`, at call
time: change them there (as tests do), not here. Error messages name the database without the
password of a URL.
"""

from __future__ import annotations

from mirror.services.store.backends import (BUSY_TIMEOUT_S, CONNECT_TIMEOUT_S, Backend, PostgresBackend,
                                            SQLiteBackend, backend_for)
from mirror.services.store.clock import Clock, now
from mirror.services.store.errors import StoreError
from mirror.services.store.migrations import MIGRATIONS, SCHEMA_VERSION
from mirror.services.store.records import UNKNOWN_OWNER, Feedback, SavedItem
from mirror.services.store.store import MAX_TITLE_CHARS, Store
from mirror.services.store.urls import ENV_VAR, database_url_from_env

__all__ = ["UNKNOWN_OWNER", "BUSY_TIMEOUT_S", "CONNECT_TIMEOUT_S", "ENV_VAR", "MAX_TITLE_CHARS", "MIGRATIONS", "SCHEMA_VERSION",
           "Backend", "Clock", "Feedback", "PostgresBackend", "SQLiteBackend", "SavedItem", "Store", "StoreError",
           "backend_for", "database_url_from_env", "now"]
