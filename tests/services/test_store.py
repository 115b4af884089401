"""The feedback and saved-items store on real databases: a SQLite file and a throw-away PostgreSQL
server (tests/postgres.py; skipped with the reason when it is not installed, a failure under CI).
Round trips, CSV, migrations, errors, threads and a killed process run on both; WAL and SQLite's own
errors on SQLite only, connection failures on PostgreSQL only."""

from __future__ import annotations

import csv
import io
import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from mirror.services.store import (SCHEMA_VERSION, UNKNOWN_OWNER, Feedback, SavedItem, Store, StoreError, backends,
                                   database_url_from_env, migrations)
from tests.concurrency import run_at_once
from tests.postgres import PASSWORD, PostgresServer, free_port, skip_or_fail, start_server

ROOT = Path(__file__).resolve().parents[2]
SQLITE = "sqlite:///"
OWNER = "p-test-owner"  # every row these tests write belongs to one person


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole session (about 2 s to start); each test gets its own database."""
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "mirror.sqlite3"  # the "data" folder does not exist yet


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, db_path: Path) -> str:
    """An empty database of each kind: a SQLite file not created yet, an emptied PostgreSQL database."""
    if request.param == "sqlite":
        return f"{SQLITE}{db_path}"
    return request.getfixturevalue("postgres").fresh_database()


@pytest.fixture
def store(url: str) -> Store:
    return Store(url)


@pytest.fixture
def sqlite_store(db_path: Path) -> Store:
    return Store(f"{SQLITE}{db_path}")


def _psycopg():
    try:
        import psycopg
    except ImportError as exc:
        skip_or_fail(f"psycopg is not installed ({exc}): run `make setup`")
    return psycopg


@contextmanager
def raw(url: str) -> Iterator[Any]:
    """A plain driver connection in autocommit mode, to look at or tamper with a database."""
    if url.startswith(SQLITE):
        path = Path(url[len(SQLITE):])
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None)
    else:
        conn = _psycopg().connect(url, autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


def run_script(url: str, sql: str) -> None:
    with raw(url) as conn:
        if isinstance(conn, sqlite3.Connection):
            conn.executescript(sql)
        else:
            conn.execute(sql)  # several statements are fine without parameters


def names(url: str, kind: str) -> set[str]:
    """The tables or indexes ("table" / "index") in the database."""
    if url.startswith(SQLITE):
        sql = f"SELECT name FROM sqlite_master WHERE type = '{kind}'"
    elif kind == "table":
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    else:
        sql = "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
    with raw(url) as conn:
        return {name for (name,) in conn.execute(sql).fetchall()}


def _item(**overrides) -> dict:
    record = dict(title="Ode to the mirror", text="Mirror, mirror\non the wall", prompt="Write a poem",
                  model="SmolLM2-135M-Instruct", params={"temperature": 0.7, "top_k": 50}, seed=42,
                  session_id="session-a")
    record.update(overrides)
    return record


# --- round trips ---------------------------------------------------------------------------------

def test_feedback_round_trip_newest_first(store: Store):
    first = store.add_feedback(session_id="s1", model="m", prompt="user: hi", reply="Hello!",
                               params={"temperature": 0.7, "stop": ["\n"]}, seed=7, score=1, comment="nice", owner=OWNER)
    second = store.add_feedback(session_id="s2", model="m2", prompt="user: 2+2?", reply="5", score=0, owner=OWNER)

    newest, oldest = store.list_feedback(owner=OWNER)
    assert (newest.id, oldest.id) == (second, first)
    assert oldest == Feedback(id=first, created_at=oldest.created_at, session_id="s1", model="m", prompt="user: hi",
                              reply="Hello!", params={"temperature": 0.7, "stop": ["\n"]}, seed=7, score=1,
                              comment="nice", owner=OWNER)
    assert newest.params == {} and newest.seed is None and newest.comment is None and newest.score == 0
    assert oldest.created_at.endswith("+00:00")  # UTC ISO text
    assert [f.id for f in store.list_feedback(limit=1, owner=OWNER)] == [second]


def test_saved_item_round_trip_newest_first(store: Store):
    first = store.save_item(**_item(title="  Ode to the mirror  "), owner=OWNER)
    second = store.save_item(**_item(title="Second", text="  kept exactly as typed \n", seed=None, session_id=None,
                                     params=None), owner=OWNER)

    item = store.get_item(first, owner=OWNER)
    assert item == SavedItem(id=first, created_at=item.created_at, updated_at=item.created_at,
                             session_id="session-a", title="Ode to the mirror", prompt="Write a poem",
                             text="Mirror, mirror\non the wall", model="SmolLM2-135M-Instruct",
                             params={"temperature": 0.7, "top_k": 50}, seed=42, owner=OWNER)
    other = store.get_item(second, owner=OWNER)
    assert other.text == "  kept exactly as typed \n"
    assert other.seed is None and other.session_id is None and other.params == {}
    assert [i.id for i in store.list_items(owner=OWNER)] == [second, first]
    assert [i.id for i in store.list_items(limit=1, owner=OWNER)] == [second]


def test_update_changes_fields_and_updated_at(store: Store, monkeypatch):
    clock = iter(["2030-01-01T00:00:00.000000+00:00", "2030-01-02T00:00:00.000000+00:00",
                  "2030-01-03T00:00:00.000000+00:00"])
    monkeypatch.setattr(store, "clock", lambda: next(clock))
    item_id = store.save_item(**_item(), owner=OWNER)

    store.update_item(item_id, text="Edited text", owner=OWNER)
    item = store.get_item(item_id, owner=OWNER)
    assert (item.title, item.text) == ("Ode to the mirror", "Edited text")
    assert item.created_at.startswith("2030-01-01") and item.updated_at.startswith("2030-01-02")

    store.update_item(item_id, title="New title", owner=OWNER)
    item = store.get_item(item_id, owner=OWNER)
    assert (item.title, item.text) == ("New title", "Edited text")
    assert item.updated_at.startswith("2030-01-03") and item.created_at.startswith("2030-01-01")


def test_delete_and_missing_items(store: Store):
    item_id = store.save_item(**_item(), owner=OWNER)
    store.delete_item(item_id, owner=OWNER)
    assert store.list_items(owner=OWNER) == []
    for call in (lambda: store.get_item(item_id, owner=OWNER), lambda: store.delete_item(item_id, owner=OWNER),
                 lambda: store.update_item(item_id, title="x", owner=OWNER)):
        with pytest.raises(StoreError, match=f"Saved item {item_id} does not exist"):
            call()
    # An id is never reused, so a stale page cannot edit a newer item.
    assert store.save_item(**_item(), owner=OWNER) != item_id


@pytest.mark.parametrize("overrides, message", [
    (dict(title=""), "title is empty"),
    (dict(title="   \n"), "title is empty"),
    (dict(title="x" * 201), "title is too long"),
    (dict(text=""), "text is empty"),
    (dict(text=" \n\t"), "text is empty"),
    (dict(params={"bad": object()}), "JSON-serialisable"),
    (dict(seed="7"), "seed must be an integer"),
])
def test_save_validation(store: Store, overrides, message):
    with pytest.raises(ValueError, match=message):
        store.save_item(**_item(**overrides), owner=OWNER)
    assert store.list_items(owner=OWNER) == []


def test_title_of_200_characters_is_fine(store: Store):
    assert store.get_item(store.save_item(**_item(title="t" * 200), owner=OWNER), owner=OWNER).title == "t" * 200


def test_seeds_use_all_64_bits(store: Store):
    # The sampler takes seeds up to 2**63-1; PostgreSQL's INTEGER would stop at 2**31-1.
    for seed in (2**63 - 1, -2**63, 2**31):
        assert store.get_item(store.save_item(**_item(seed=seed), owner=OWNER), owner=OWNER).seed == seed
    feedback_id = store.add_feedback(session_id="s", model="m", prompt="p", reply="r", score=1, seed=2**63 - 1, owner=OWNER)
    assert [f.seed for f in store.list_feedback(owner=OWNER) if f.id == feedback_id] == [2**63 - 1]
    for seed in (2**63, -2**63 - 1):
        with pytest.raises(ValueError, match="seed must be an integer"):
            store.save_item(**_item(seed=seed), owner=OWNER)


@pytest.mark.parametrize("score", [2, -1, True, 0.5, "1", None])
def test_feedback_score_validation(store: Store, score):
    with pytest.raises(ValueError, match="score must be 1"):
        store.add_feedback(session_id="s", model="m", prompt="p", reply="r", score=score, owner=OWNER)
    assert store.list_feedback(owner=OWNER) == []


def test_update_validation(store: Store):
    item_id = store.save_item(**_item(), owner=OWNER)
    with pytest.raises(ValueError, match="Nothing to update"):
        store.update_item(item_id, owner=OWNER)
    with pytest.raises(ValueError, match="title is empty"):
        store.update_item(item_id, title=" ", owner=OWNER)
    with pytest.raises(ValueError, match="text is empty"):
        store.update_item(item_id, text="", owner=OWNER)
    assert store.get_item(item_id, owner=OWNER).text == _item()["text"]


# --- CSV -----------------------------------------------------------------------------------------

def test_csv_parses_back_and_neutralises_formulas(store: Store):
    plain = store.save_item(**_item(text='He said "hi",\nthen left'), owner=OWNER)
    evil = store.save_item(**_item(title="=HYPERLINK(\"http://x\")", text="+1+1", prompt="-2", model="@SUM(A1)",
                                   session_id="\tcmd", seed=-3), owner=OWNER)

    rows = list(csv.reader(io.StringIO(store.items_csv(owner=OWNER))))
    assert rows[0] == ["id", "created_at", "updated_at", "session_id", "title", "prompt", "text", "model",
                       "params", "seed", "owner", "class_code"]
    assert len(rows) == 3
    by_id = {int(row[0]): dict(zip(rows[0], row)) for row in rows[1:]}
    assert by_id[plain]["text"] == 'He said "hi",\nthen left'
    assert by_id[plain]["params"] == '{"temperature": 0.7, "top_k": 50}'
    assert by_id[plain]["seed"] == "42"
    bad = by_id[evil]
    assert bad["title"] == "'=HYPERLINK(\"http://x\")"
    assert (bad["text"], bad["prompt"], bad["model"], bad["session_id"]) == ("'+1+1", "'-2", "'@SUM(A1)", "'\tcmd")
    assert bad["seed"] == "-3"  # a number, not a formula
    assert store.get_item(evil, owner=OWNER).title == "=HYPERLINK(\"http://x\")"  # only the export is changed


def test_csv_of_empty_store_is_just_the_header(store: Store):
    assert list(csv.reader(io.StringIO(store.items_csv(owner=OWNER)))) == [
        ["id", "created_at", "updated_at", "session_id", "title", "prompt", "text", "model", "params", "seed", "owner", "class_code"]]


# --- schema and migrations -----------------------------------------------------------------------

# Databases as version 1 of the app left them, written by hand for each database.
_V1_DATA = """
INSERT INTO schema_version VALUES (1, '2025-01-01T00:00:00+00:00');
INSERT INTO saved_items (created_at, session_id, title, prompt, text, model, params, seed)
    VALUES ('2025-01-02T03:04:05.000000+00:00', NULL, 'Old poem', 'p', 'Roses', 'gpt2', '{"top_p": 0.9}', 1);
INSERT INTO feedback (created_at, session_id, model, prompt, reply, params, seed, score, comment)
    VALUES ('2025-01-02T03:04:06.000000+00:00', 's', 'gpt2', 'hi', 'hello', '{}', NULL, 1, NULL);
"""
V1_SCHEMA = {
    "sqlite": """
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, session_id TEXT NOT NULL,
    model TEXT NOT NULL, prompt TEXT NOT NULL, reply TEXT NOT NULL, params TEXT NOT NULL, seed INTEGER,
    score INTEGER NOT NULL CHECK (score IN (0, 1)), comment TEXT);
CREATE TABLE saved_items (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, session_id TEXT,
    title TEXT NOT NULL, prompt TEXT NOT NULL, text TEXT NOT NULL, model TEXT NOT NULL, params TEXT NOT NULL,
    seed INTEGER);
""" + _V1_DATA,
    "postgresql": """
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
CREATE TABLE feedback (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, created_at TEXT NOT NULL,
    session_id TEXT NOT NULL, model TEXT NOT NULL, prompt TEXT NOT NULL, reply TEXT NOT NULL, params TEXT NOT NULL,
    seed BIGINT, score INTEGER NOT NULL CHECK (score IN (0, 1)), comment TEXT);
CREATE TABLE saved_items (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, created_at TEXT NOT NULL,
    session_id TEXT, title TEXT NOT NULL, prompt TEXT NOT NULL, text TEXT NOT NULL, model TEXT NOT NULL,
    params TEXT NOT NULL, seed BIGINT);
""" + _V1_DATA,
}


def _kind(url: str) -> str:
    return "sqlite" if url.startswith(SQLITE) else "postgresql"


def _versions(url: str) -> list[int]:
    with raw(url) as conn:
        return [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version").fetchall()]


def test_new_database_is_at_latest_version(store: Store, url: str):
    assert store.schema_version() == SCHEMA_VERSION == 6
    assert _versions(url) == [1, 2, 3, 4, 5, 6]
    assert {"schema_version", "feedback", "saved_items"} <= names(url, "table")
    assert Store(url).schema_version() == SCHEMA_VERSION  # reopening changes nothing
    assert _versions(url) == [1, 2, 3, 4, 5, 6]


def test_sqlite_database_uses_wal(sqlite_store: Store, db_path: Path):
    with closing_sqlite(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@contextmanager
def closing_sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path)
    try:
        yield conn
    finally:
        conn.close()


def test_v1_database_is_migrated_with_data_intact(url: str):
    run_script(url, V1_SCHEMA[_kind(url)])

    store = Store(url)
    assert store.schema_version() == SCHEMA_VERSION
    with raw(url) as conn:
        [(old_id, title, text, model, created, updated, owner)] = conn.execute(
            "SELECT id, title, text, model, created_at, updated_at, owner FROM saved_items").fetchall()
        [(reply, score, feedback_owner)] = conn.execute("SELECT reply, score, owner FROM feedback").fetchall()
    assert (title, text, model) == ("Old poem", "Roses", "gpt2")
    assert updated == created == "2025-01-02T03:04:05.000000+00:00"  # backfilled by migration 2
    assert (reply, score) == ("hello", 1)
    assert owner == feedback_owner == UNKNOWN_OWNER  # migration 3: rows from before there were owners
    assert store.list_items(owner=OWNER) == [] and store.list_feedback(owner=OWNER) == []  # nobody's
    with pytest.raises(ValueError, match="no person's id"):
        store.list_items(owner=UNKNOWN_OWNER)

    new_id = store.save_item(**_item(), owner=OWNER)
    assert new_id != old_id
    assert [i.id for i in store.list_items(owner=OWNER)] == [new_id]
    assert {"saved_items_created_at", "feedback_created_at", "saved_items_owner", "feedback_owner"} <= names(url, "index")
    assert _versions(url) == [1, 2, 3, 4, 5, 6]


def test_database_from_a_newer_version_is_refused(store: Store, url: str):
    run_script(url, f"INSERT INTO schema_version VALUES ({SCHEMA_VERSION + 1}, '2099-01-01')")
    with pytest.raises(StoreError, match="newer Magic Mirror.*refusing to downgrade") as caught:
        Store(url)
    assert PASSWORD not in str(caught.value)


def test_failed_migration_leaves_the_database_as_it_was(store: Store, url: str, monkeypatch):
    broken = ["CREATE TABLE half_done (x INTEGER)", "THIS IS NOT SQL"]
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, broken])
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(StoreError, match="Database error") as caught:
        Store(url)
    assert PASSWORD not in str(caught.value) and "\n" not in str(caught.value)
    assert "half_done" not in names(url, "table")  # the DDL was rolled back with the rest of its migration
    assert store.schema_version() == SCHEMA_VERSION


def test_processes_starting_at_once_migrate_once(url: str):
    # Six stores open the same empty database at the same moment (as several app processes would):
    # each migration is applied once, and nobody fails.
    assert run_at_once(6, lambda _: Store(url)) == []
    assert _versions(url) == [1, 2, 3, 4, 5, 6]


def test_many_new_sqlite_files_opened_by_six_at_once(tmp_path: Path):
    # The switch to WAL on a new file raced: now and then one of six stores failed at once with
    # "database is locked" (CI saw it). Forty new files give the race many chances; the tests with a
    # scripted connection below check the retry itself.
    for n in range(40):
        url = f"sqlite:///{tmp_path / f'race{n}.sqlite3'}"
        assert run_at_once(6, lambda _, url=url: Store(url)) == [], f"file {n}"
        assert _versions(url) == [1, 2, 3, 4, 5, 6]


class _LockedConnection:
    """Answers PRAGMA journal_mode=WAL with SQLite's error `failures` times, then with "wal"."""

    def __init__(self, failures: float, error: str = "database is locked"):
        self.failures, self.error, self.calls = failures, error, 0

    def execute(self, sql: str) -> Any:
        assert sql == "PRAGMA journal_mode=WAL"
        self.calls += 1
        if self.calls <= self.failures:
            raise sqlite3.OperationalError(self.error)
        return sqlite3.connect(":memory:").execute("SELECT 'wal'")


def test_the_switch_to_wal_is_tried_again_while_the_file_is_busy(tmp_path: Path):
    conn = _LockedConnection(failures=3)
    backends.SQLiteBackend(tmp_path / "db").switch_to_wal(conn)  # type: ignore[arg-type]
    assert conn.calls == 4


def test_the_switch_to_wal_gives_up_after_the_busy_timeout(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(backends, "BUSY_TIMEOUT_S", 0.2)
    conn = _LockedConnection(failures=float("inf"))
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        backends.SQLiteBackend(tmp_path / "db").switch_to_wal(conn)  # type: ignore[arg-type]
    assert 0.1 <= time.monotonic() - started < 5 and conn.calls > 2


def test_the_switch_to_wal_does_not_retry_other_errors(tmp_path: Path):
    conn = _LockedConnection(failures=1, error="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        backends.SQLiteBackend(tmp_path / "db").switch_to_wal(conn)  # type: ignore[arg-type]
    assert conn.calls == 1


# --- URLs and the environment --------------------------------------------------------------------

def test_url_from_env_variable(monkeypatch, tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'env.sqlite3'}"
    monkeypatch.setenv("MIRROR_DATABASE_URL", url)
    assert database_url_from_env() == url
    store = Store()
    assert store.path == tmp_path / "env.sqlite3" and store.path.exists()


def test_postgresql_url_from_env_variable(monkeypatch, postgres: PostgresServer):
    url = postgres.fresh_database()
    monkeypatch.setenv("MIRROR_DATABASE_URL", url)
    store = Store()
    item_id = store.save_item(**_item(), owner=OWNER)
    assert Store(url).get_item(item_id, owner=OWNER).title == "Ode to the mirror"
    assert store.path is None
    assert store.target == f"postgresql://mirror@127.0.0.1:{postgres.port}/{url.rsplit('/', 1)[1]}"
    assert PASSWORD not in repr(store) and "127.0.0.1" in repr(store)


def test_default_url_under_xdg_data_home(monkeypatch, tmp_path: Path):
    monkeypatch.delenv("MIRROR_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    expected = tmp_path / "xdg" / "magic-mirror" / "mirror.sqlite3"
    assert database_url_from_env() == f"sqlite:///{expected}"
    assert Store().path == expected and expected.exists()
    home = Path.home() / ".local" / "share" / "magic-mirror" / "mirror.sqlite3"
    assert database_url_from_env({}) == f"sqlite:///{home}"


def test_relative_sqlite_url_is_relative_to_working_folder(monkeypatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    Store("sqlite:///rel/dir/db.sqlite3").save_item(**_item(), owner=OWNER)
    assert (tmp_path / "rel" / "dir" / "db.sqlite3").exists()


@pytest.mark.parametrize("url, message", [
    ("postgresql+psycopg://user:secret@db/mirror", "Unsupported database URL"),
    ("mysql://user:secret@db/mirror", "Unsupported database URL"),
    ("sqlite://relative.db", "Malformed SQLite URL"),
    ("sqlite:///", "names no file"),
    ("sqlite:///:memory:", "in-memory"),
])
def test_bad_urls(url, message):
    with pytest.raises(StoreError, match=message) as caught:
        Store(url)
    assert "secret" not in str(caught.value)


def test_postgresql_without_psycopg_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # makes `import psycopg` fail
    with pytest.raises(StoreError, match="needs the psycopg package.*pip install") as caught:
        Store("postgresql://user:secret@127.0.0.1:1/mirror")
    assert "secret" not in str(caught.value)


def test_sqlite_does_not_import_psycopg(tmp_path: Path):
    code = "import sys; from mirror.services.store import Store; Store(sys.argv[1]); print('psycopg' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code, f"{SQLITE}{tmp_path / 'db.sqlite3'}"],
                            env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


@pytest.mark.parametrize("url, secret", [
    ("postgresql://mirror:p%40ss%3Aword@db.example:5432/mirror", ["p%40ss%3Aword", "p@ss:word"]),
    ("postgres://mirror@db.example/mirror?password=hunter2&sslmode=require", ["hunter2"]),
])
def test_postgresql_messages_never_show_the_password(url, secret):
    _psycopg()
    backend = backends.backend_for(url)
    backend.prepare()
    assert "db.example" in backend.target and "mirror@" in backend.target
    for exc in (RuntimeError(f"weird failure mentioning {' and '.join(secret)}\nsecond line"),
                _psycopg().OperationalError(f"connection to {secret[-1]} failed")):
        text = backend.describe(exc)
        assert not any(s in text for s in secret) and "***" in text and "\n" not in text, text
    for text in (backend.target, repr(backend.target)):
        assert not any(s in text for s in secret)


# --- failures --------------------------------------------------------------------------------------

def test_parent_that_is_a_file_gives_a_clear_error(tmp_path: Path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="Cannot create the folder for the database") as caught:
        Store(f"sqlite:///{blocker / 'sub' / 'db.sqlite3'}")
    assert "\n" not in str(caught.value)


def test_path_that_is_a_folder_gives_a_clear_error(tmp_path: Path):
    with pytest.raises(StoreError, match="it is a folder"):
        Store(f"sqlite:///{tmp_path}")


def test_file_that_is_not_a_database_gives_a_clear_error(tmp_path: Path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"these are not the tables you are looking for" * 100)
    with pytest.raises(StoreError, match="not a valid Magic Mirror database"):
        Store(f"sqlite:///{path}")


def test_locked_too_long_is_a_store_error(store: Store, url: str, monkeypatch):
    monkeypatch.setattr(backends, "BUSY_TIMEOUT_S", 0.1)
    with raw(url) as holder:  # another writer that does not let go
        if isinstance(holder, sqlite3.Connection):
            holder.execute("BEGIN IMMEDIATE")
        else:
            holder.execute("BEGIN")
            holder.execute("LOCK TABLE saved_items IN EXCLUSIVE MODE")
        try:
            started = time.monotonic()
            with pytest.raises(StoreError, match="database is busy"):
                store.save_item(**_item(), owner=OWNER)
            assert time.monotonic() - started < 5
        finally:
            holder.rollback()
    store.save_item(**_item(), owner=OWNER)  # and works again once the lock is released
    assert len(store.list_items(owner=OWNER)) == 1


def test_postgresql_server_down_is_a_store_error():
    _psycopg()
    started = time.monotonic()
    with pytest.raises(StoreError, match="Cannot reach the PostgreSQL server.*running") as caught:
        Store(f"postgresql://mirror:{PASSWORD}@127.0.0.1:{free_port()}/mirror")  # nothing listens there
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert PASSWORD not in message and "\n" not in message
    assert "postgresql://mirror@127.0.0.1:" in message


def test_postgresql_server_that_never_answers_times_out(monkeypatch):
    # The port accepts TCP connections (the kernel does the handshake) but nobody ever speaks.
    _psycopg()
    monkeypatch.setattr(backends, "CONNECT_TIMEOUT_S", 2)  # libpq's smallest
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        started = time.monotonic()
        with pytest.raises(StoreError, match="Cannot reach the PostgreSQL server") as caught:
            Store(f"postgresql://mirror:{PASSWORD}@127.0.0.1:{silent.getsockname()[1]}/mirror")
        elapsed = time.monotonic() - started
    assert 1.5 < elapsed < 10
    assert PASSWORD not in str(caught.value)


def test_postgresql_wrong_password_or_database(postgres: PostgresServer):
    url = postgres.fresh_database()
    wrong = "not-the-" + PASSWORD
    with pytest.raises(StoreError, match="Cannot log in to the database.*check the user and password") as caught:
        Store(url.replace(PASSWORD, wrong))
    assert wrong not in str(caught.value) and PASSWORD not in str(caught.value)
    with pytest.raises(StoreError, match="does not exist on the server") as caught:
        Store(postgres.url("no_such_database"))
    assert PASSWORD not in str(caught.value)


# --- concurrency and durability -----------------------------------------------------------------

def test_eight_threads_writing_at_once(store: Store):
    def worker(n: int) -> None:
        for i in range(25):
            store.save_item(**_item(title=f"t{n}-{i}", session_id=f"s{n}"), owner=OWNER)

    assert run_at_once(8, worker) == []
    items = store.list_items(owner=OWNER)
    assert len(items) == 200
    assert {i.title for i in items} == {f"t{n}-{i}" for n in range(8) for i in range(25)}
    assert len({i.id for i in items}) == 200


def test_saved_item_survives_a_killed_process(url: str):
    code = textwrap.dedent("""
        import os, signal, sys
        from mirror.services.store import Store
        store = Store(sys.argv[1])
        item_id = store.save_item(title="Crash", text="still here", prompt="p", model="m",
                                  params={"temperature": 1.0}, seed=3, owner="p-test-owner")
        print(item_id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code, url], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == -9, result.stderr
    item = Store(url).get_item(int(result.stdout), owner=OWNER)
    assert (item.title, item.text, item.params, item.seed) == ("Crash", "still here", {"temperature": 1.0}, 3)


@pytest.mark.parametrize("error, message", [
    ("database or disk is full", "the disk is full"),
    ("database is locked", "database is busy"),
    ("attempt to write a readonly database", "for writing"),
    ("disk I/O error", "Database error on"),
])
def test_sqlite_errors_become_one_line_messages(tmp_path: Path, error, message):
    text = backends.SQLiteBackend(tmp_path / "db").describe(sqlite3.OperationalError(error))
    assert message in text and "\n" not in text


# --- owners --------------------------------------------------------------------------------------

OTHER = "p-someone-else"


def test_a_person_sees_and_changes_only_their_own_items(store: Store):
    mine = store.save_item(**_item(title="Mine"), owner=OWNER)
    theirs = store.save_item(**_item(title="Theirs"), owner=OTHER)
    assert [i.title for i in store.list_items(owner=OWNER)] == ["Mine"]
    assert [i.title for i in store.list_items(owner=OTHER)] == ["Theirs"]
    assert "Theirs" not in store.items_csv(owner=OWNER) and "Mine" in store.items_csv(owner=OWNER)
    # Somebody else's id is answered as if it did not exist, whatever the call.
    for call in (lambda: store.get_item(theirs, owner=OWNER), lambda: store.delete_item(theirs, owner=OWNER),
                 lambda: store.update_item(theirs, title="Taken", owner=OWNER)):
        with pytest.raises(StoreError, match=f"Saved item {theirs} does not exist"):
            call()
    assert store.get_item(theirs, owner=OTHER).title == "Theirs"  # untouched
    store.delete_item(mine, owner=OWNER)
    assert store.list_items(owner=OWNER) == [] and len(store.list_items(owner=OTHER)) == 1


def test_feedback_is_listed_for_its_owner_only(store: Store):
    store.add_feedback(session_id="s", model="m", prompt="p", reply="mine", score=1, owner=OWNER)
    store.add_feedback(session_id="s", model="m", prompt="p", reply="theirs", score=0, owner=OTHER)
    assert [f.reply for f in store.list_feedback(owner=OWNER)] == ["mine"]
    assert [f.owner for f in store.list_feedback(owner=OTHER)] == [OTHER]


@pytest.mark.parametrize("owner", ["", "  ", None, 7, "x" * 201, UNKNOWN_OWNER])
def test_an_owner_must_be_a_persons_id(store: Store, owner):
    with pytest.raises(ValueError, match="owner|no person's id"):
        store.save_item(**_item(), owner=owner)
    with pytest.raises(ValueError, match="owner|no person's id"):
        store.list_items(owner=owner)


def test_a_secret_is_made_once_and_shared_by_every_store(store: Store, url: str):
    key = store.secret("identity-key")
    assert len(key) >= 40 and store.secret("identity-key") == key == Store(url).secret("identity-key")
    assert store.secret("another") != key


def test_the_teachers_view_has_everyones_rows_and_clearing_empties_both_tables(store: Store, url: str):
    store.save_item(**_item(title="Mine"), owner=OWNER)
    store.save_item(**_item(title="Theirs"), owner=OTHER)
    store.add_feedback(session_id="s", model="m", prompt="p", reply="r", score=1, owner=OTHER)
    run_script(url, "INSERT INTO saved_items (created_at, updated_at, title, prompt, text, model, params, owner) "
                    "VALUES ('2025-01-01T00:00:00.000000+00:00', '2025-01-01T00:00:00.000000+00:00', 'Old', '', "
                    "'from before owners', '', '{}', 'unknown')")
    assert [i.title for i in store.everyones_items()] == ["Theirs", "Mine", "Old"]
    assert [i.owner for i in store.everyones_items()][-1] == UNKNOWN_OWNER  # only the teacher sees these
    assert [f.owner for f in store.everyones_feedback()] == [OTHER]
    rows = list(csv.reader(io.StringIO(store.everyones_csv("items"))))
    assert rows[0][-2:] == ["owner", "class_code"] and len(rows) == 4
    assert len(list(csv.reader(io.StringIO(store.everyones_csv("feedback"))))) == 2
    store.clear()
    assert store.everyones_items() == [] and store.everyones_feedback() == []


def test_wrong_passcodes_are_counted_per_person_and_in_all(store: Store):
    before = store.clock()
    store.note_wrong_passcode("p-a")
    store.note_wrong_passcode("p-a")
    store.note_wrong_passcode("p-b")
    assert store.wrong_passcodes_since(before, "p-a") == (3, 2)
    assert store.wrong_passcodes_since(before, "p-c") == (3, 0)
    assert store.wrong_passcodes_since(store.clock(), "p-a") == (0, 0)


def test_work_is_kept_per_class_and_a_class_can_be_cleared_alone(store: Store):
    store.save_item(**_item(title="In ABCD"), owner=OWNER, class_code="ABCD")
    store.save_item(**_item(title="In WXYZ"), owner=OTHER, class_code="WXYZ")
    store.add_feedback(session_id="s", model="m", prompt="p", reply="r", score=1, owner=OWNER, class_code="ABCD")
    assert [i.title for i in store.everyones_items(class_code="ABCD")] == ["In ABCD"]
    assert [f.class_code for f in store.everyones_feedback(class_code="ABCD")] == ["ABCD"]
    assert store.everyones_feedback(class_code="WXYZ") == []
    assert "In WXYZ" not in store.everyones_csv("items", class_code="ABCD")
    store.clear("ABCD")
    assert [i.title for i in store.everyones_items()] == ["In WXYZ"] and store.everyones_feedback() == []


def test_class_tables_keep_games_ballots_and_names_in_both_databases(store: Store):
    """Migration 6's columns and the classroom queries that use them, on SQLite and PostgreSQL alike."""
    classes = store.classes
    assert classes.add_class("ABCD", "p-teacher")
    assert classes.join("ABCD", "p-1", "Ada") == "joined"
    assert classes.join("ABCD", "p-2", "ADA") == "name_taken"  # any case
    assert classes.join("ABCD", "p-1", "Ada L") == "joined"  # renaming yourself
    assert classes.join("ABCD", "p-2", "Ada") == "joined"  # the old name is free again
    guess = classes.open_round("ABCD", "Hello")
    drawn = classes.open_round("ABCD", "Once", "draw", '{"model": "m"}')
    assert classes.rounds("ABCD")[0].game == "guess" and classes.rounds("ABCD")[0].setup is None
    latest = classes.latest_round("ABCD")
    assert (latest.id, latest.game, latest.setup) == (drawn, "draw", '{"model": "m"}')
    assert classes.vote(guess, "p-1", "late") == "closed"  # opening the draw round closed the first
    assert classes.vote(drawn, "p-1", "cat", '{"token_id": 7, "seed": 9223372036854775807}') == "counted"
    assert classes.vote(drawn, "p-1", "dog") == "again"
    [ballot] = classes.ballots(drawn)
    assert (ballot.person, ballot.answer, ballot.detail) == ("p-1", "cat", '{"token_id": 7, "seed": 9223372036854775807}')
    assert classes.clear("ABCD") == 2
    assert classes.rounds("ABCD") == [] and classes.ballots(drawn) == []
    assert len(classes.members("ABCD")) == 2
