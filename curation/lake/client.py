"""DuckLake access for assets, dbt and benchmarks. Free of Dagster.

The embedded default catalog is a SQLite file (`sqlite:data/lake/catalog.sqlite`) in WAL mode: any number of
processes read it (a plain DuckDB client included) while the pipeline writes, and the pipeline writes while they
read. Pipeline writers take an exclusive file lock beside the catalog, so parallel partition runs wait their turn
instead of conflicting. A DuckDB catalog file (a plain path, e.g. `catalog.ducklake`) admits one process at a
time, so every session on it takes the lock; server catalogs (`postgres:dbname=...`) take none.
Extensions load from the installed `duckdb-extension-*` packages: nothing is downloaded at run time.
"""

import fcntl
import os
import queue
import shutil
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import duckdb
import pyarrow as pa

from curation.lake.sql import sql_literal, sql_string

ALIAS = "lake"
AFTER = "lake_after"  # the second attachment of `Lake.compare`
BatchSource = Iterable[pa.RecordBatch | pa.Table | dict] | Callable[[duckdb.DuckDBPyConnection], Iterable]
_REMOTE_CATALOGS = ("postgres:", "mysql:")
_SQLITE = "sqlite:"
# DuckDB derives an extension's entry point from its file name; these packages ship a file named by the alias
_ENTRY_NAMES = {"sqlite": "sqlite_scanner", "postgres": "postgres_scanner"}
_PARQUET_OPTIONS = {"parquet_compression": "zstd", "parquet_compression_level": "1"}  # ~6x smaller than HTML
_END = object()
_INIT_ATTEMPTS = 10
# Extension files whose DuckDB signature this process has checked, with the (inode, size, mtime) they had then.
# Checking costs ~0.13 s per file and connection (it hashes the whole ~35 MB binary); a file already checked and
# unchanged since is loaded without checking again, so a partition run's many connections pay it once.
_VERIFIED: dict[str, tuple[int, int, int]] = {}
_HELD: dict[Path, int] = {}  # writer locks this process holds, by lock file: sessions inside exclusive() re-enter
_HELD_GUARD = threading.Lock()


class LakeError(RuntimeError):
    pass


def extension_file(name: str) -> Path:
    """Path of a DuckDB extension shipped by the `duckdb-extension-<name>` package for this DuckDB version."""
    package = f"duckdb_extension_{name}"
    try:
        root = files(package)
    except ModuleNotFoundError as e:
        raise LakeError(
            f"the DuckDB extension '{name}' is needed: pip install duckdb-extension-{name}=={duckdb.__version__}"
        ) from e
    path = Path(str(root / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"))
    if not path.is_file():
        raise LakeError(f"{path} is missing: duckdb-extension-{name} must match duckdb {duckdb.__version__}")
    return path


def loadable_extension(name: str) -> Path:
    """The packaged extension under the file name DuckDB expects (`sqlite_scanner` for `sqlite`): a copy kept in
    this environment's own prefix, written atomically so that a process loading it never sees it half-written."""
    source = extension_file(name)
    entry = _ENTRY_NAMES.get(name)
    if entry is None:
        return source
    folder = Path(sys.prefix) / "var" / "curator-duckdb-extensions" / f"v{duckdb.__version__}"
    target = folder / f"{entry}.duckdb_extension"
    if not target.is_file() or target.stat().st_size != source.stat().st_size:
        folder.mkdir(parents=True, exist_ok=True)
        staged = folder / f".{entry}.{os.getpid()}.tmp"
        shutil.copyfile(source, staged)
        os.replace(staged, target)  # a loaded copy keeps its inode: replacing never breaks a running process
    return target


def _file_identity(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def install_extensions(directory: Path, names: Iterable[str] = ("ducklake",)) -> Path:
    """Install packaged extensions into an extension directory, for tools (dbt) that LOAD them by name offline."""
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"extension_directory": str(directory), "autoinstall_known_extensions": False})
    try:
        for name in names:
            con.execute(f"INSTALL {sql_string(str(loadable_extension(name)))}")
    finally:
        con.close()
    return directory


def prefetched(items: Iterable, depth: int = 2) -> Iterator:
    """Produce the next items in a background thread while the caller writes the current one.

    DuckDB releases the GIL while it encodes Parquet, so parsing and writing overlap on two cores.
    An exception in the producer is raised in the caller.
    """
    handoff: queue.Queue = queue.Queue(depth)
    failure: list[BaseException] = []
    stop = threading.Event()

    def produce():
        try:
            for item in items:
                if stop.is_set():
                    return
                handoff.put(item)
        except BaseException as e:  # handed to the consumer below
            failure.append(e)
        finally:
            handoff.put(_END)

    worker = threading.Thread(target=produce, name="lake-prefetch", daemon=True)
    worker.start()
    try:
        while (item := handoff.get()) is not _END:
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                handoff.get_nowait()
            except queue.Empty:
                worker.join(0.01)
    if failure:
        raise failure[0]


def read_partition(
    cursor: duckdb.DuckDBPyConnection,
    table: str,
    columns: Iterable[str],
    key_column: str,
    key: str,
    order_by: str | None,
    rows_per_batch: int = 256,
) -> Iterator[pa.RecordBatch]:
    """One partition of a lake table in batches of `rows_per_batch` rows ordered by `order_by` (a column unique
    within the partition), or in storage order when `order_by` is None: what a stage reads to write the next table.

    In storage order it is one streamed query: DuckDB holds the row groups in flight, and the lake's writers
    write one file (a row group) per inserted batch, so memory stays bounded by the batch (17x less CPU than
    bounded queries on a 5,000-document partition of 22 files).

    One query per batch, bounded by `order_by` values: DuckDB materializes a query's whole result before the first
    batch reaches Python, so a single query over a partition would hold all its payload (every page's HTML) at
    once. The bounds come from a first query over the ordering column alone; the lake's per-file statistics let
    each batch query skip the files outside its range."""
    if order_by is None:
        # DuckDB otherwise buffers its parallel scan's output to keep the order: 806 MB instead of 484 MB peak for
        # a 200,000-document partition. The setting is this session's only (lake sessions share DuckDB instances).
        cursor.execute("SET SESSION preserve_insertion_order = false")
        select = f"SELECT {', '.join(columns)} FROM {table} WHERE {key_column} = {sql_string(key)}"
        reader = cursor.execute(select).to_arrow_reader(rows_per_batch)
        for batch in reader:
            if batch.num_rows:
                yield batch
        return
    bounds = [
        row[0]
        for row in cursor.execute(
            f"SELECT {order_by} FROM (SELECT {order_by}, row_number() OVER (ORDER BY {order_by}) AS n "
            f"FROM {table} WHERE {key_column} = {sql_string(key)}) WHERE (n - 1) % {int(rows_per_batch)} = 0 "
            "ORDER BY 1"
        ).fetchall()
    ]
    select = f"SELECT {', '.join(columns)} FROM {table} WHERE {key_column} = {sql_string(key)}"
    for i, low in enumerate(bounds):
        query = f"{select} AND {order_by} >= {sql_literal(low)}"
        if i + 1 < len(bounds):
            query += f" AND {order_by} < {sql_literal(bounds[i + 1])}"
        batch = cursor.execute(f"{query} ORDER BY {order_by}").to_arrow_table()
        if batch.num_rows:
            yield batch


@contextmanager
def _committed(con: duckdb.DuckDBPyConnection, message: str | None) -> Iterator[None]:
    con.execute("BEGIN")
    try:
        yield
        if message:
            con.execute(f"CALL ducklake_set_commit_message({sql_string(ALIAS)}, 'curator', {sql_string(message)})")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")  # a failed COMMIT has ended the transaction already: nothing to roll back


def _is_conflict(error: duckdb.Error) -> bool:
    return "transaction conflict" in str(error).lower()


def _create_if_missing(con: duckdb.DuckDBPyConnection, table: str, schema: pa.Schema) -> None:
    """Create the table, or add the columns a newer contract has (a lake written by an older version): rows
    written before have NULL there. Columns are never dropped or retyped here."""
    empty = schema.empty_table()  # noqa: F841 (read by DuckDB's replacement scan)
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} AS SELECT * FROM empty LIMIT 0")
    present = set(_column_names(con, table))
    if len(present) < len(schema.names):
        described = con.execute("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM empty)").fetchall()
        for name, type_ in described:
            if name not in present:
                con.execute(f'ALTER TABLE {table} ADD COLUMN "{name}" {type_}')


def _column_names(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], batch: pa.RecordBatch | pa.Table) -> None:
    """Append a batch by column name. Through a relation, not a registered view: DuckDB keeps every registered
    Arrow object alive until the transaction ends, which would hold a whole partition's batches in memory."""
    missing = [c for c in columns if c not in batch.schema.names]
    unknown = [c for c in batch.schema.names if c not in columns]
    if missing or unknown:
        raise LakeError(f"a batch does not fit {table}: missing {missing or 'none'}, unknown {unknown or 'none'}")
    con.from_arrow(batch.select(columns)).insert_into(table)


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """The columns the lake's `main` table has as `con` sees it; empty where there is no such table."""
    rows = con.execute(
        f"SELECT column_name FROM duckdb_columns() WHERE database_name = {sql_string(ALIAS)} "
        f"AND schema_name = 'main' AND table_name = {sql_string(table)}"
    ).fetchall()
    return {row[0] for row in rows}


def _main_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main'", [ALIAS]
        ).fetchall()
    }


def _write_ahead_log(path: Path) -> None:
    """SQLite in WAL mode: readers never block the writer and the writer never blocks readers (persistent)."""
    con = sqlite3.connect(path, timeout=30)
    try:
        if con.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            con.execute("PRAGMA journal_mode=WAL")
    finally:
        con.close()


@dataclass(frozen=True)
class Lake:
    catalog: str
    data_path: str
    lock_timeout_s: float = 600.0

    @property
    def is_local_catalog(self) -> bool:
        """A catalog in a file on this machine (SQLite or DuckDB), as opposed to a database server."""
        return not self.catalog.startswith(_REMOTE_CATALOGS)

    @property
    def is_sqlite_catalog(self) -> bool:
        return self.catalog.startswith(_SQLITE)

    def _catalog_path(self) -> Path:
        return Path(self.catalog.removeprefix(_SQLITE)).resolve()

    def attach_target(self) -> tuple[str, str]:
        """(catalog, data path) with local paths made absolute, for tools running in another directory."""
        if not self.is_local_catalog:
            return self.catalog, self._data_path()
        prefix = _SQLITE if self.is_sqlite_catalog else ""
        return prefix + str(self._catalog_path()), self._data_path()

    def catalog_extensions(self) -> tuple[str, ...]:
        """The DuckDB extensions that attaching this lake needs."""
        names = ["ducklake"]
        if self.is_sqlite_catalog:
            names.append("sqlite")
        elif self.catalog.startswith("postgres:"):
            names.append("postgres")
        return tuple(names)

    def _data_path(self) -> str:
        if "://" in self.data_path:
            return self.data_path.rstrip("/") + "/"
        return str(Path(self.data_path).resolve()) + "/"

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the lake for another process (dbt) that attaches it itself; a no-op for server catalogs."""
        with self._lock():
            yield

    @contextmanager
    def _lock(self, writing: bool = True) -> Iterator[None]:
        """The pipeline's writer lock. Readers of a SQLite catalog need none (WAL lets them read during a write);
        every session on a DuckDB catalog file needs it (one process at a time); servers arbitrate themselves."""
        if not self.is_local_catalog or (self.is_sqlite_catalog and not writing):
            yield
            return
        lock_path = self._catalog_path().with_name(self._catalog_path().name + ".lock")
        with _HELD_GUARD:
            held = _HELD.get(lock_path, 0)
            if held:  # this process holds it already (a session inside `exclusive()`): re-enter
                _HELD[lock_path] = held + 1
        if held:
            try:
                yield
            finally:
                with _HELD_GUARD:
                    _HELD[lock_path] -= 1
            return
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout_s
        with open(lock_path, "a") as handle:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise LakeError(
                            f"the lake catalog {self.catalog} stayed locked by another process for "
                            f"{self.lock_timeout_s:.0f} s ({lock_path})"
                        ) from None
                    time.sleep(0.05)
            with _HELD_GUARD:
                _HELD[lock_path] = 1
            try:
                yield
            finally:
                with _HELD_GUARD:
                    del _HELD[lock_path]
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def connect(self, read_only: bool = False, snapshot: int | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A DuckDB connection with the lake attached as `lake` and selected as the default catalog; with
        `snapshot`, read-only as the lake was at that snapshot (time travel, views included).

        On a SQLite or server catalog the connection is a cursor of a DuckDB instance this process keeps with the
        lake attached (one read-only, one writable): loading the extensions and the catalog's metadata costs ~50 ms
        per attach, which a partition run's ~28 sessions paid each. A cursor has its own transaction, temporary
        objects and session settings, and each transaction reads the catalog's latest snapshot, so sessions see
        every commit, their own process's and others'. A DuckDB catalog file (one process at a time) and time
        travel get an instance of their own, closed with the session."""
        read_only = read_only or snapshot is not None
        with self._lock(writing=not read_only):
            shared = self.is_sqlite_catalog or not self.is_local_catalog  # a DuckDB catalog file: one process
            if snapshot is not None or not shared:
                con = self._open(read_only, snapshot)
                try:
                    yield con
                finally:
                    con.close()
                return
            with _SESSIONS.cursor(self, read_only) as con:
                yield con

    def _open(self, read_only: bool, snapshot: int | None = None) -> duckdb.DuckDBPyConnection:
        """A new DuckDB instance with the extensions loaded and the lake attached."""
        extensions = self._extension_files()
        identities = {str(path): _file_identity(path) for path in extensions}  # before loading: see below
        verified = all(_VERIFIED.get(path) == identity for path, identity in identities.items())
        # no cache of Parquet file contents: a stage streams a partition once, and the cache would grow with it
        config = {
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "enable_external_file_cache": False,
        }
        if verified:  # only these files, checked earlier in this process and unchanged, are loaded
            config["allow_unsigned_extensions"] = True
        con = duckdb.connect(config=config)
        try:
            for path in extensions:
                con.execute(f"LOAD {sql_string(str(path))}")
            if not verified:  # DuckDB checked each signature; a file replaced meanwhile has a new identity
                _VERIFIED.update(identities)
            self._attach(con, read_only, snapshot)
        except BaseException:
            con.close()
            raise
        return con

    @contextmanager
    def compare(self, before: int, after: int) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection with the lake attached twice, as `before` and `after` (time travel to those
        snapshots, each with the views it had then), for queries that compare two versions of the corpus."""
        with self.connect(snapshot=before) as con:
            self._attach(con, read_only=True, snapshot=after, alias=AFTER)
            con.execute(f"USE {ALIAS}")
            yield con

    def _extension_files(self) -> list[Path]:
        paths = [loadable_extension(name) for name in self.catalog_extensions()]
        if self._data_path().startswith(("s3://", "gs://", "az://", "http")):
            paths.append(extension_file("httpfs"))
        return paths

    def _attach(
        self, con: duckdb.DuckDBPyConnection, read_only: bool, snapshot: int | None = None, alias: str = ALIAS
    ) -> None:
        catalog = self.catalog
        is_new = False
        if self.is_local_catalog:
            path = self._catalog_path()
            is_new = not path.exists()
            if is_new and read_only:
                raise LakeError(f"there is no lake at {path} yet: materialize an asset first")
            path.parent.mkdir(parents=True, exist_ok=True)
            Path(self._data_path()).mkdir(parents=True, exist_ok=True)
            catalog = str(path)
            if self.is_sqlite_catalog:
                catalog = _SQLITE + catalog
                if not read_only:
                    _write_ahead_log(path)
        options = [f"DATA_PATH {sql_string(self._data_path())}", "DATA_INLINING_ROW_LIMIT 0"]
        if read_only:
            options.append("READ_ONLY")
        if snapshot is not None:
            options.append(f"SNAPSHOT_VERSION {int(snapshot)}")
        statement = f"ATTACH {sql_string('ducklake:' + catalog)} AS {alias} ({', '.join(options)})"
        for attempt in range(_INIT_ATTEMPTS):
            try:
                con.execute(statement)
                break
            except duckdb.Error as error:
                if snapshot is not None and "snapshot" in str(error).lower():
                    raise LakeError(f"lake snapshot {snapshot} cannot be read: {error}") from error
                # on a server, writers that start together on a new lake race to create its catalog tables: the
                # losers attach the catalog the winner made
                racing = not self.is_local_catalog and "failed to initialize ducklake" in str(error).lower()
                if not racing or attempt == _INIT_ATTEMPTS - 1:
                    raise
                time.sleep(0.1 * (attempt + 1))
        con.execute(f"USE {alias}")
        if not read_only and (is_new or not self.is_local_catalog):
            self._set_parquet_options(con)

    def _set_parquet_options(self, con: duckdb.DuckDBPyConnection, attempts: int = 5) -> None:
        """zstd Parquet, set once when the lake is created (a server catalog: when a writer finds it unset). Both
        options in one transaction: a writer that attaches meanwhile never sees a zstd level without zstd."""
        for attempt in range(attempts):
            current = dict(
                con.execute(f"SELECT option_name, value FROM ducklake_options({sql_string(ALIAS)})").fetchall()
            )
            changes = [(option, value) for option, value in _PARQUET_OPTIONS.items() if current.get(option) != value]
            if not changes:
                return
            try:
                with _committed(con, None):
                    for option, value in changes:
                        con.execute(f"CALL {ALIAS}.set_option({sql_string(option)}, {sql_string(value)})")
                return
            except duckdb.TransactionException as error:
                if not _is_conflict(error) or attempt == attempts - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def snapshot_id(self, con: duckdb.DuckDBPyConnection) -> int:
        return con.execute(f"SELECT id FROM ducklake_current_snapshot({sql_string(ALIAS)})").fetchone()[0]

    def table_snapshots(self, con: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> dict[str, int | None]:
        """The snapshot that last changed each `main` table (created, inserted into, deleted from), as `con` sees
        the lake; None for a table that does not exist there."""
        current = self.snapshot_id(con)
        ids = dict(
            con.execute(
                f"SELECT table_name, table_id FROM ducklake_table_info({sql_string(ALIAS)}) WHERE schema_id = 0"
            ).fetchall()
        )
        history = con.execute(
            f"SELECT snapshot_id, changes FROM {ALIAS}.snapshots() WHERE snapshot_id <= ? ORDER BY 1", [current]
        ).fetchall()
        last: dict[str, int | None] = {}
        for table in tables:
            marks = {str(ids[table]), f"main.{table}"} if table in ids else set()
            last[table] = max(
                (sid for sid, changes in history if any(marks & set(v) for v in (changes or {}).values())),
                default=None,
            )
        return last

    def replace_partition(
        self,
        key_column: str,
        key: str,
        tables: dict[str, tuple[pa.Schema, BatchSource]],
        message: str | None = None,
        then: Iterable[str | Callable[[duckdb.DuckDBPyConnection], None]] = (),
    ) -> int:
        """Swap one partition's rows in every given table in one transaction; return the new snapshot id.

        Re-running replaces, never duplicates; any failure before COMMIT leaves the previous snapshot as it was.
        Batches are consumed lazily, so a whole crawl file never has to sit in memory. A batch source may be a
        function of a read cursor on this same session, for stages that read one lake table to write another, and
        may yield dicts of batches by table name, for stages that write several tables in one pass.
        `then`: SQL, or functions of the writing connection, run in the same transaction after the writes (views
        over what was written, links between the new rows and older ones).
        """
        if not self.is_local_catalog:  # server writers race to create new tables: settle that first, on its own
            self.create_missing_tables({table: schema for table, (schema, _) in tables.items()})
        with self.connect() as con:
            with _committed(con, message):
                columns = {}
                for table, (schema, _) in tables.items():
                    _create_if_missing(con, table, schema)  # under the writer lock: in the same transaction
                    con.execute(f"DELETE FROM {table} WHERE {key_column} = {sql_string(key)}")
                    columns[table] = _column_names(con, table)
                for table, (_, batches) in tables.items():
                    if callable(batches):
                        reader = con.cursor()
                        reader.execute(f"USE {ALIAS}")
                        batches = batches(reader)
                    for batch in prefetched(batches):
                        # a dict: rows for several of the tables from one pass (each written as it comes)
                        for name, rows in batch.items() if isinstance(batch, dict) else [(table, batch)]:
                            if name not in columns:
                                raise LakeError(f"a batch for {name}, which this write does not replace")
                            if rows.num_rows:
                                _insert(con, name, columns[name], rows)
                for statement in then:
                    statement(con) if callable(statement) else con.execute(statement)
            return self.snapshot_id(con)  # same session, lock still held: the snapshot this write made

    @contextmanager
    def transaction(self, message: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """One lake transaction: committed (with its message) when the block ends, rolled back if it raises."""
        with self.connect() as con, _committed(con, message):
            yield con

    def set_table_options(self, table: str, schema: pa.Schema, options: dict[str, str], attempts: int = 5) -> None:
        """DuckLake options scoped to one table (e.g. its Parquet row-group size), set where they differ, in a
        transaction of their own so that the next write uses them; the table is created first if missing."""
        self.create_missing_tables({table: schema})
        for attempt in range(attempts):
            try:
                with self.connect() as con:
                    current = dict(
                        con.execute(
                            f"SELECT option_name, value FROM ducklake_options({sql_string(ALIAS)}) "
                            f"WHERE scope = 'TABLE' AND scope_entry = {sql_string('main.' + table)}"
                        ).fetchall()
                    )
                    changes = [(option, value) for option, value in options.items() if current.get(option) != value]
                    if not changes:
                        return
                    with _committed(con, None):  # DuckLake makes no snapshot for options
                        for option, value in changes:
                            con.execute(
                                f"CALL {ALIAS}.set_option({sql_string(option)}, {sql_string(value)}, "
                                f"table_name => {sql_string(table)})"
                            )
                    return
            except duckdb.TransactionException as error:
                if not _is_conflict(error) or attempt == attempts - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def create_missing_tables(self, schemas: dict[str, pa.Schema], attempts: int = 5) -> None:
        """Empty tables with these schemas where none exist yet, in a transaction of their own: on a server catalog
        writers that start together on a new lake race to create them (and its options), and the losers find them
        on retry, on a freshly attached catalog."""
        for attempt in range(attempts):
            try:
                with self.connect() as con:
                    missing = [t for t in schemas if t not in _main_tables(con)]
                    if not missing:
                        return
                    with _committed(con, None):
                        for table in missing:
                            _create_if_missing(con, table, schemas[table])
                return
            except (duckdb.TransactionException, duckdb.BinderException) as error:
                racing = _is_conflict(error) or "compression level" in str(error).lower()
                if not racing or attempt == attempts - 1:
                    raise
                _SESSIONS.forget(self)  # attach again: the catalog as the race left it
                time.sleep(0.05 * (attempt + 1))

    def table_names(self) -> list[str]:
        with self.connect(read_only=True) as con:
            rows = con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = ? ORDER BY 1", [ALIAS]
            ).fetchall()
        return [r[0] for r in rows]


class _Sessions:
    """The DuckDB instances this process keeps with a lake attached, by (process, catalog, data path, read-only):
    connections are cursors of them. At most `limit` idle instances stay open (the least recently used idle one is
    closed first); one whose database failed is dropped."""

    def __init__(self, limit: int = 4):
        self.limit = limit
        self._guard = threading.Lock()
        self._roots: dict[tuple, list] = {}  # key -> [root connection, cursors in use]

    @contextmanager
    def cursor(self, lake: "Lake", read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        key = _session_key(lake, read_only)
        with self._guard:
            entry = self._roots.pop(key, None) if key else None  # re-inserted below: the dict's order is use order
        if entry is None:
            entry = [lake._open(read_only), 0]
            key = _session_key(lake, read_only)  # a catalog the attach created has its identity now
        with self._guard:
            if key:
                self._roots[key] = entry
            entry[1] += 1
            try:
                con = entry[0].cursor()
            except BaseException:
                entry[1] -= 1
                raise
        try:
            con.execute(f"USE {ALIAS}")
            yield con
        except duckdb.FatalException:
            self._drop(key, entry)
            raise
        finally:
            con.close()  # rolls back what the session left open
            with self._guard:
                entry[1] -= 1
                if entry[1] == 0 and (not key or self._roots.get(key) is not entry):
                    entry[0].close()  # never kept, or dropped or forgotten meanwhile
                self._trim()

    def forget(self, lake: "Lake") -> None:
        """Attach this lake anew next time (idle instances closed, busy ones left to their sessions)."""
        target = lake.attach_target()
        with self._guard:
            for key in [k for k, (_, users) in self._roots.items() if k[1:3] == target]:
                root, users = self._roots.pop(key)
                if users == 0:
                    root.close()

    def _drop(self, key: tuple | None, entry: list) -> None:
        with self._guard:
            if key and self._roots.get(key) is entry:
                del self._roots[key]

    def _trim(self) -> None:
        idle = [key for key, (_, users) in self._roots.items() if users == 0]
        for key in idle[: max(0, len(self._roots) - self.limit)]:
            self._roots.pop(key)[0].close()

    def close_all(self) -> None:
        """Close every idle instance (a process that is done with its lakes, or a test that deletes one)."""
        with self._guard:
            for key in [key for key, (_, users) in self._roots.items() if users == 0]:
                self._roots.pop(key)[0].close()


def _session_key(lake: "Lake", read_only: bool) -> tuple | None:
    """Process, catalog, data path, read-only, and for a local catalog its file's (device, inode): a lake deleted
    and created again at the same path is a new lake. None for a local catalog not created yet."""
    identity = None
    if lake.is_local_catalog:
        try:
            stat = lake._catalog_path().stat()
        except FileNotFoundError:
            return None
        identity = (stat.st_dev, stat.st_ino)
    return (os.getpid(), *lake.attach_target(), read_only, identity)


_SESSIONS = _Sessions()


def close_sessions() -> None:
    _SESSIONS.close_all()
