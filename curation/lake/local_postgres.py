"""A PostgreSQL server for the lake catalog on this machine: for tests, and for users who want several processes
writing one lake at once (`curator postgres start`). Free of Dagster.

The server listens on a unix socket in its own folder only (`listen_addresses = ''`: no TCP port at all), with
`trust` authentication for that socket: whoever can enter the folder can connect, and the folder is private to
the server's user (mode 0700). PostgreSQL refuses to run as root, so under root the server runs as the `postgres`
system user (Debian's package creates it) through `runuser`, and its folder is owned by that user.
"""

import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE = "lake"
_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)  # Debian: newest major first


class PostgresError(RuntimeError):
    pass


def _binary(name: str) -> str:
    for folder in _BIN_DIRS:
        if (folder / name).is_file():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise PostgresError(f"PostgreSQL's {name} is not installed (Debian: apt-get install postgresql)")
    return found


@dataclass(frozen=True)
class LocalPostgres:
    """One server: its cluster in `folder / data`, its socket in `folder / socket`."""

    folder: Path

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def socket_dir(self) -> Path:
        return self.folder / "socket"

    def _server_user(self) -> str | None:
        """The system user the server runs as: `postgres` under root, else the caller (None)."""
        if os.geteuid() != 0:
            return None
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise PostgresError("PostgreSQL refuses to run as root and there is no 'postgres' user") from None
        return "postgres"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        user = self._server_user()
        command = ["runuser", "-u", user, "--", *args] if user else list(args)
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise PostgresError(f"{Path(args[0]).name} failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
        return done

    def _make_private_folder(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        user = self._server_user()
        for path in (self.folder, self.socket_dir):
            if user:
                entry = pwd.getpwnam(user)
                os.chown(path, entry.pw_uid, entry.pw_gid)
            path.chmod(0o700)

    def is_running(self) -> bool:
        return (self.data_dir / "postmaster.pid").exists() and (self.socket_dir / ".s.PGSQL.5432").exists()

    def start(self, databases: tuple[str, ...] = (DEFAULT_DATABASE,)) -> "LocalPostgres":
        """Initialise the cluster if the folder has none, start the server, create the databases missing."""
        if self.is_running():
            for name in databases:
                self.create_database(name)
            return self
        self._make_private_folder()
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                _binary("initdb"), "-D", str(self.data_dir), "--auth=trust", "--encoding=UTF8", "--no-sync", "-U",
                "postgres",
            )  # fmt: skip
        options = f"-c listen_addresses='' -c unix_socket_directories='{self.socket_dir}' -c max_connections=200"
        log = self.folder / "server.log"
        self._run(_binary("pg_ctl"), "-D", str(self.data_dir), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
        for name in databases:
            self.create_database(name)
        return self

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._run(_binary("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run(
            [_binary("psql"), "-h", str(self.socket_dir), "-U", "postgres", "-d", database, "-tAX", "-c", sql],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise PostgresError(f"psql failed: {done.stderr.strip()[-500:]}")
        return done.stdout.strip()

    def create_database(self, name: str) -> None:
        if not name.replace("_", "").isalnum():
            raise PostgresError(f"database name {name!r}: letters, digits and '_' only")
        for _attempt in range(20):  # CREATE DATABASE copies template1, which two callers at once cannot share
            if self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1":
                return
            try:
                self.psql(f'CREATE DATABASE "{name}"')
                return
            except PostgresError as error:
                if "already exists" in str(error):
                    return
                if "being accessed by other users" not in str(error):
                    raise
                time.sleep(0.1)
        raise PostgresError(f"database {name} could not be created: template1 stayed busy")

    def catalog(self, database: str = DEFAULT_DATABASE) -> str:
        """The lake catalog string for `CURATOR_LAKE_CATALOG` (DuckLake's `postgres:` libpq form)."""
        return f"postgres:dbname={database} host={self.socket_dir} user=postgres"
