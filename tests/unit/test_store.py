"""The feedback and saved-items store, on a real SQLite file: round trips, CSV, migrations, errors,
threads and a killed process."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from mirror import store as store_module
from mirror.store import SCHEMA_VERSION, Feedback, SavedItem, Store, StoreError, database_url_from_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "mirror.sqlite3"  # the "data" folder does not exist yet


@pytest.fixture
def store(db_path: Path) -> Store:
    return Store(f"sqlite:///{db_path}")


def _item(**overrides) -> dict:
    record = dict(title="Ode to the mirror", text="Mirror, mirror\non the wall", prompt="Write a poem",
                  model="SmolLM2-135M-Instruct", params={"temperature": 0.7, "top_k": 50}, seed=42,
                  session_id="session-a")
    record.update(overrides)
    return record


# --- round trips ---------------------------------------------------------------------------------

def test_feedback_round_trip_newest_first(store: Store):
    first = store.add_feedback(session_id="s1", model="m", prompt="user: hi", reply="Hello!",
                               params={"temperature": 0.7, "stop": ["\n"]}, seed=7, score=1, comment="nice")
    second = store.add_feedback(session_id="s2", model="m2", prompt="user: 2+2?", reply="5", score=0)

    newest, oldest = store.list_feedback()
    assert (newest.id, oldest.id) == (second, first)
    assert oldest == Feedback(id=first, created_at=oldest.created_at, session_id="s1", model="m", prompt="user: hi",
                              reply="Hello!", params={"temperature": 0.7, "stop": ["\n"]}, seed=7, score=1,
                              comment="nice")
    assert newest.params == {} and newest.seed is None and newest.comment is None and newest.score == 0
    assert oldest.created_at.endswith("+00:00")  # UTC ISO text
    assert [f.id for f in store.list_feedback(limit=1)] == [second]


def test_saved_item_round_trip_newest_first(store: Store):
    first = store.save_item(**_item(title="  Ode to the mirror  "))
    second = store.save_item(**_item(title="Second", text="  kept exactly as typed \n", seed=None, session_id=None,
                                     params=None))

    item = store.get_item(first)
    assert item == SavedItem(id=first, created_at=item.created_at, updated_at=item.created_at,
                             session_id="session-a", title="Ode to the mirror", prompt="Write a poem",
                             text="Mirror, mirror\non the wall", model="SmolLM2-135M-Instruct",
                             params={"temperature": 0.7, "top_k": 50}, seed=42)
    other = store.get_item(second)
    assert other.text == "  kept exactly as typed \n"
    assert other.seed is None and other.session_id is None and other.params == {}
    assert [i.id for i in store.list_items()] == [second, first]
    assert [i.id for i in store.list_items(limit=1)] == [second]


def test_update_changes_fields_and_updated_at(store: Store, monkeypatch):
    clock = iter(["2030-01-01T00:00:00.000000+00:00", "2030-01-02T00:00:00.000000+00:00",
                  "2030-01-03T00:00:00.000000+00:00"])
    monkeypatch.setattr(store_module, "_now", lambda: next(clock))
    item_id = store.save_item(**_item())

    store.update_item(item_id, text="Edited text")
    item = store.get_item(item_id)
    assert (item.title, item.text) == ("Ode to the mirror", "Edited text")
    assert item.created_at.startswith("2030-01-01") and item.updated_at.startswith("2030-01-02")

    store.update_item(item_id, title="New title")
    item = store.get_item(item_id)
    assert (item.title, item.text) == ("New title", "Edited text")
    assert item.updated_at.startswith("2030-01-03") and item.created_at.startswith("2030-01-01")


def test_delete_and_missing_items(store: Store):
    item_id = store.save_item(**_item())
    store.delete_item(item_id)
    assert store.list_items() == []
    for call in (lambda: store.get_item(item_id), lambda: store.delete_item(item_id),
                 lambda: store.update_item(item_id, title="x")):
        with pytest.raises(StoreError, match=f"Saved item {item_id} does not exist"):
            call()
    # An id is never reused, so a stale page cannot edit a newer item.
    assert store.save_item(**_item()) != item_id


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
        store.save_item(**_item(**overrides))
    assert store.list_items() == []


def test_title_of_200_characters_is_fine(store: Store):
    assert store.get_item(store.save_item(**_item(title="t" * 200))).title == "t" * 200


@pytest.mark.parametrize("score", [2, -1, True, 0.5, "1", None])
def test_feedback_score_validation(store: Store, score):
    with pytest.raises(ValueError, match="score must be 1"):
        store.add_feedback(session_id="s", model="m", prompt="p", reply="r", score=score)
    assert store.list_feedback() == []


def test_update_validation(store: Store):
    item_id = store.save_item(**_item())
    with pytest.raises(ValueError, match="Nothing to update"):
        store.update_item(item_id)
    with pytest.raises(ValueError, match="title is empty"):
        store.update_item(item_id, title=" ")
    with pytest.raises(ValueError, match="text is empty"):
        store.update_item(item_id, text="")
    assert store.get_item(item_id).text == _item()["text"]


# --- CSV -----------------------------------------------------------------------------------------

def test_csv_parses_back_and_neutralises_formulas(store: Store):
    plain = store.save_item(**_item(text='He said "hi",\nthen left'))
    evil = store.save_item(**_item(title="=HYPERLINK(\"http://x\")", text="+1+1", prompt="-2", model="@SUM(A1)",
                                   session_id="\tcmd", seed=-3))

    rows = list(csv.reader(io.StringIO(store.items_csv())))
    assert rows[0] == ["id", "created_at", "updated_at", "session_id", "title", "prompt", "text", "model",
                       "params", "seed"]
    assert len(rows) == 3
    by_id = {int(row[0]): dict(zip(rows[0], row)) for row in rows[1:]}
    assert by_id[plain]["text"] == 'He said "hi",\nthen left'
    assert by_id[plain]["params"] == '{"temperature": 0.7, "top_k": 50}'
    assert by_id[plain]["seed"] == "42"
    bad = by_id[evil]
    assert bad["title"] == "'=HYPERLINK(\"http://x\")"
    assert (bad["text"], bad["prompt"], bad["model"], bad["session_id"]) == ("'+1+1", "'-2", "'@SUM(A1)", "'\tcmd")
    assert bad["seed"] == "-3"  # a number, not a formula
    assert store.get_item(evil).title == "=HYPERLINK(\"http://x\")"  # only the export is changed


def test_csv_of_empty_store_is_just_the_header(store: Store):
    assert list(csv.reader(io.StringIO(store.items_csv()))) == [
        ["id", "created_at", "updated_at", "session_id", "title", "prompt", "text", "model", "params", "seed"]]


# --- schema and migrations -----------------------------------------------------------------------

V1_SCHEMA = """
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
INSERT INTO schema_version VALUES (1, '2025-01-01T00:00:00+00:00');
CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, session_id TEXT NOT NULL,
    model TEXT NOT NULL, prompt TEXT NOT NULL, reply TEXT NOT NULL, params TEXT NOT NULL, seed INTEGER,
    score INTEGER NOT NULL CHECK (score IN (0, 1)), comment TEXT);
CREATE TABLE saved_items (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, session_id TEXT,
    title TEXT NOT NULL, prompt TEXT NOT NULL, text TEXT NOT NULL, model TEXT NOT NULL, params TEXT NOT NULL,
    seed INTEGER);
INSERT INTO saved_items (created_at, session_id, title, prompt, text, model, params, seed)
    VALUES ('2025-01-02T03:04:05.000000+00:00', NULL, 'Old poem', 'p', 'Roses', 'gpt2', '{"top_p": 0.9}', 1);
INSERT INTO feedback (created_at, session_id, model, prompt, reply, params, seed, score, comment)
    VALUES ('2025-01-02T03:04:06.000000+00:00', 's', 'gpt2', 'hi', 'hello', '{}', NULL, 1, NULL);
"""


def test_new_database_is_at_latest_version_with_wal(store: Store, db_path: Path):
    assert store.schema_version() == SCHEMA_VERSION == 2
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")] == [1, 2]
    conn.close()
    assert Store(f"sqlite:///{db_path}").schema_version() == SCHEMA_VERSION  # reopening changes nothing


def test_v1_database_is_migrated_with_data_intact(tmp_path: Path):
    path = tmp_path / "v1.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(V1_SCHEMA)
    conn.close()

    store = Store(f"sqlite:///{path}")
    assert store.schema_version() == SCHEMA_VERSION
    [old] = store.list_items()
    assert (old.title, old.text, old.model, old.params, old.seed) == ("Old poem", "Roses", "gpt2", {"top_p": 0.9}, 1)
    assert old.updated_at == old.created_at == "2025-01-02T03:04:05.000000+00:00"  # backfilled by migration 2
    [feedback] = store.list_feedback()
    assert (feedback.reply, feedback.score, feedback.params) == ("hello", 1, {})

    new_id = store.save_item(**_item())
    assert [i.id for i in store.list_items()] == [new_id, old.id]
    with sqlite3.connect(path) as conn:
        indexes = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    conn.close()
    assert {"saved_items_created_at", "feedback_created_at"} <= indexes


def test_database_from_a_newer_version_is_refused(store: Store, db_path: Path):
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO schema_version VALUES (?, '2099-01-01')", (SCHEMA_VERSION + 1,))
    conn.close()
    with pytest.raises(StoreError, match="newer Magic Mirror.*refusing to downgrade"):
        Store(f"sqlite:///{db_path}")


def test_failed_migration_leaves_the_database_as_it_was(store: Store, db_path: Path, monkeypatch):
    broken = ["CREATE TABLE half_done (x INTEGER)", "THIS IS NOT SQL"]
    monkeypatch.setattr(store_module, "MIGRATIONS", [*store_module.MIGRATIONS, broken])
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(StoreError, match="Database error"):
        Store(f"sqlite:///{db_path}")
    with sqlite3.connect(db_path) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert "half_done" not in tables  # the DDL was rolled back with the rest of its migration
    assert store.schema_version() == SCHEMA_VERSION


# --- URLs and the environment --------------------------------------------------------------------

def test_url_from_env_variable(monkeypatch, tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'env.sqlite3'}"
    monkeypatch.setenv("MIRROR_DATABASE_URL", url)
    assert database_url_from_env() == url
    store = Store()
    assert store.path == tmp_path / "env.sqlite3" and store.path.exists()


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
    Store("sqlite:///rel/dir/db.sqlite3").save_item(**_item())
    assert (tmp_path / "rel" / "dir" / "db.sqlite3").exists()


@pytest.mark.parametrize("url, message", [
    ("postgresql://user:secret@db/mirror", "PostgreSQL support is not available yet"),
    ("postgres://db/mirror", "PostgreSQL support is not available yet"),
    ("mysql://db/mirror", "Unsupported database URL"),
    ("sqlite://relative.db", "Malformed SQLite URL"),
    ("sqlite:///", "names no file"),
    ("sqlite:///:memory:", "in-memory"),
])
def test_bad_urls(url, message):
    with pytest.raises(StoreError, match=message) as caught:
        Store(url)
    assert "secret" not in str(caught.value)


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


def test_locked_too_long_is_a_store_error(store: Store, db_path: Path, monkeypatch):
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.1)
    holder = sqlite3.connect(db_path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer that does not let go
        with pytest.raises(StoreError, match="database is busy"):
            store.save_item(**_item())
    finally:
        holder.rollback()
        holder.close()
    store.save_item(**_item())  # and works again once the lock is released


# --- concurrency and durability -----------------------------------------------------------------

def test_eight_threads_writing_at_once(store: Store):
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            start.wait()
            for i in range(25):
                store.save_item(**_item(title=f"t{n}-{i}", session_id=f"s{n}"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    items = store.list_items()
    assert len(items) == 200
    assert {i.title for i in items} == {f"t{n}-{i}" for n in range(8) for i in range(25)}


def test_saved_item_survives_a_killed_process(db_path: Path):
    code = textwrap.dedent("""
        import os, signal, sys
        from mirror.store import Store
        store = Store(sys.argv[1])
        item_id = store.save_item(title="Crash", text="still here", prompt="p", model="m",
                                  params={"temperature": 1.0}, seed=3)
        print(item_id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code, f"sqlite:///{db_path}"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == -9, result.stderr
    item = Store(f"sqlite:///{db_path}").get_item(int(result.stdout))
    assert (item.title, item.text, item.params, item.seed) == ("Crash", "still here", {"temperature": 1.0}, 3)


@pytest.mark.parametrize("error, message", [
    ("database or disk is full", "the disk is full"),
    ("database is locked", "database is busy"),
    ("attempt to write a readonly database", "for writing"),
    ("disk I/O error", "Database error on"),
])
def test_sqlite_errors_become_one_line_messages(tmp_path: Path, error, message):
    text = store_module._SQLiteBackend(tmp_path / "db").describe(sqlite3.OperationalError(error))
    assert message in text and "\n" not in text
