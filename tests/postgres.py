"""A throw-away PostgreSQL server for the tests, from Debian's `postgresql` package.

`PostgresServer.start()` runs initdb and the server in a fresh temporary folder: TCP only on
127.0.0.1 at a free port (password login, scram-sha-256), the unix socket inside that folder (trust,
for the admin connection that creates databases), fsync off. `fresh_database()` gives each test an
empty database (one database owned by a non-superuser with a password, its schema dropped and
created again: some 10 ms, where CREATE DATABASE takes a few hundred) and returns its
`postgresql://user:password@127.0.0.1:port/db` URL. `stop()` stops the server and removes the folder.

PostgreSQL refuses to run as root, so as root initdb and the server run as the `postgres` system
user (created by the package) through `runuser`; as anyone else they run as that user.

`find_binaries()` returns None when the server programs are not installed, so that the tests can
skip with the reason, or fail under CI (`CI` set): see `skip_or_fail`.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

USER = "mirror"
DATABASE = "mirror_test"
PASSWORD = "s3cret-pw-for-tests"  # tests check that it never shows in an error message
START_TIMEOUT_S = 60


def skip_or_fail(reason: str) -> None:
    """Skip, or fail when `CI` is set: CI must never go green without having tested PostgreSQL."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def find_binaries() -> Path | None:
    """The folder with initdb and pg_ctl: the newest /usr/lib/postgresql/<ver>/bin, else PATH."""
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                     key=lambda path: [int(p) if p.isdigit() else 0 for p in Path(path).parent.name.split(".")])
    for folder in reversed(folders):
        if all((Path(folder) / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).parent
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.dir: Path | None = None
        self.port = 0
        self._as_user: list[str] = []
        self._running = False

    @property
    def data(self) -> Path:
        assert self.dir is not None
        return self.dir / "data"

    @property
    def socket_dir(self) -> Path:
        assert self.dir is not None
        return self.dir / "socket"

    @property
    def log(self) -> Path:
        assert self.dir is not None
        return self.dir / "server.log"

    def _run(self, *args: str, timeout: float = START_TIMEOUT_S) -> None:
        cmd = [*self._as_user, str(self.bin_dir / args[0]), *args[1:]]
        result = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited with {result.returncode}:\n{result.stdout}\n{result.stderr}"
                               f"\n--- server log ---\n{self._log_tail()}")

    def _log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def start(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="mirror-pg-"))
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                self._remove_dir()
                skip_or_fail("Running as root and there is no `postgres` user to run the PostgreSQL server as")
            self._as_user = ["runuser", "-u", "postgres", "--"]
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        os.chmod(self.dir, 0o700)
        self.socket_dir.mkdir()
        if self._as_user:
            os.chown(self.socket_dir, owner.pw_uid, owner.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth-local=trust",
                  "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        atexit.register(self.stop)  # should the session end without its finaliser
        for attempt in range(3):  # the free port may be taken between the check and the start
            self.port = free_port()
            options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.socket_dir} "
                       "-c fsync=off -c full_page_writes=off -c max_connections=60 -c shared_buffers=32MB")
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                          "-w", "-t", str(START_TIMEOUT_S), "start", timeout=START_TIMEOUT_S + 10)
                self._running = True
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        self.admin(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'")
        self.admin(f"CREATE DATABASE {DATABASE} OWNER {USER} TEMPLATE template0")

    def admin(self, sql: str, dbname: str = "postgres") -> None:
        """Run SQL (one or more statements) as the superuser, over the unix socket."""
        import psycopg

        with psycopg.connect(host=str(self.socket_dir), port=self.port, user="postgres", dbname=dbname,
                             autocommit=True) as conn:
            conn.execute(sql)

    def url(self, dbname: str, password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{dbname}"

    def fresh_database(self) -> str:
        """The test database, emptied (tables, indexes, sequences); returns its URL (with the password).

        Only one at a time: the previous test's URL now points at an empty database too.
        """
        self.admin(f"DROP SCHEMA public CASCADE; CREATE SCHEMA public AUTHORIZATION {USER}", dbname=DATABASE)
        return self.url(DATABASE)

    def stop(self) -> None:
        if self._running:
            self._running = False
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
            except (RuntimeError, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self._remove_dir()

    def _remove_dir(self) -> None:
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


def start_server() -> PostgresServer:
    """A running server, or a skip (a failure under CI) saying what is missing."""
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        skip_or_fail(f"psycopg is not installed ({exc}): run `make setup`")
    bin_dir = find_binaries()
    if bin_dir is None:
        skip_or_fail("The PostgreSQL server is not installed (Debian package `postgresql`, listed in "
                     "scripts/system-packages.txt; `make test` installs it as root)")
    server = PostgresServer(bin_dir)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server
