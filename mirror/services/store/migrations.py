"""The numbered schema migrations, the schema version they lead to, and `migrate()` that applies the
missing ones, kept in one place so that the history of the schema reads top to bottom.

`MIGRATIONS` and `SCHEMA_VERSION` are read from this module at each call of `migrate()`, so setting
them here (as tests do) takes effect at once.
"""

from __future__ import annotations

from mirror.services.store.backends import Backend, transaction
from mirror.services.store.clock import Clock, now
from mirror.services.store.errors import StoreError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate", "schema_version"]

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
    [  # 3: every row has an owner (a person's id); rows from before there were owners belong to "unknown"
        "ALTER TABLE saved_items ADD COLUMN owner TEXT",
        "UPDATE saved_items SET owner = 'unknown' WHERE owner IS NULL",
        "ALTER TABLE feedback ADD COLUMN owner TEXT",
        "UPDATE feedback SET owner = 'unknown' WHERE owner IS NULL",
        "CREATE INDEX saved_items_owner ON saved_items (owner, created_at)",
        "CREATE INDEX feedback_owner ON feedback (owner, created_at)",
        # Secrets the app makes itself (the key that signs a visitor's identity), shared by every replica.
        "CREATE TABLE app_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ],
    [  # 4: wrong teacher passcodes, so that tries are limited across every replica
        """CREATE TABLE teacher_attempts (
            id {pk},
            at TEXT NOT NULL,
            who TEXT NOT NULL
        )""",
        "CREATE INDEX teacher_attempts_at ON teacher_attempts (at)",
    ],
    [  # 5: classes, their members, the rounds and votes of "Guess the next word"; work kept per class
        "ALTER TABLE saved_items ADD COLUMN class_code TEXT",
        "ALTER TABLE feedback ADD COLUMN class_code TEXT",
        "CREATE TABLE classes (code TEXT PRIMARY KEY, teacher TEXT NOT NULL, created_at TEXT NOT NULL)",
        """CREATE TABLE class_members (
            code TEXT NOT NULL,
            person TEXT NOT NULL,
            name TEXT NOT NULL,
            joined_at TEXT NOT NULL,
            PRIMARY KEY (code, person)
        )""",
        """CREATE TABLE rounds (
            id {pk},
            code TEXT NOT NULL,
            prompt TEXT NOT NULL,
            opened_at TEXT NOT NULL,
            closed_at TEXT,
            result TEXT
        )""",
        "CREATE INDEX rounds_code ON rounds (code, id)",
        """CREATE TABLE votes (
            round_id {int64} NOT NULL,
            person TEXT NOT NULL,
            guess TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (round_id, person)
        )""",
    ],
    [  # 6: the class games: which game a round plays (NULL: "Guess the next word") and its set-up
        # (the sampler's settings and candidates, JSON); a ballot's detail (the token, seed and probability, JSON)
        "ALTER TABLE rounds ADD COLUMN game TEXT",
        "ALTER TABLE rounds ADD COLUMN setup TEXT",
        "ALTER TABLE votes ADD COLUMN detail TEXT",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)

_CREATE_VERSION_TABLE = ("CREATE TABLE IF NOT EXISTS schema_version "
                         "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
_GET_VERSION = "SELECT MAX(version) FROM schema_version"
_SET_VERSION = "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)"


def schema_version(backend: Backend) -> int:
    """The version the database is at (0: none applied); the database must have been migrated once."""
    with backend.connection() as conn:
        return conn.execute(backend.dialect.sql(_GET_VERSION), ()).fetchall()[0][0] or 0


def migrate(backend: Backend, clock: Clock = now) -> None:
    """Bring the (prepared) database to `SCHEMA_VERSION`, one migration per transaction, each with its
    schema_version row stamped by `clock`; StoreError if the database is newer than this build."""
    sql = backend.dialect.sql
    # The version is read again inside each transaction, under the dialect's lock, so two
    # processes starting at once apply each migration exactly once.
    while True:
        with transaction(backend) as conn:
            if backend.dialect.migration_lock:
                conn.execute(backend.dialect.migration_lock)
            conn.execute(_CREATE_VERSION_TABLE)
            version = conn.execute(_GET_VERSION).fetchone()[0] or 0
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"The database {backend.target} comes from a newer Magic Mirror (schema version "
                    f"{version}, this build knows up to {SCHEMA_VERSION}); refusing to downgrade it.")
            if version == SCHEMA_VERSION:
                return
            for statement in MIGRATIONS[version]:
                conn.execute(sql(statement))
            conn.execute(sql(_SET_VERSION), (version + 1, clock()))
