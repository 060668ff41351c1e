"""Keep the lake lean: expire old snapshots (except those a manifest pins), merge small files, delete what no
snapshot needs. Free of Dagster.

DuckLake never deletes data by itself: every re-run of a partition, every dbt build and every killed write leaves
files behind (a partition re-run five times holds five copies). Expiring a snapshot gives up time travel to it;
mixture manifests record the snapshot they read, so those snapshots are kept and their shards stay reproducible.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from curation.lake.client import ALIAS, Lake

DEFAULT_MAX_AGE = timedelta(days=7)


@dataclass(frozen=True)
class MaintenanceReport:
    snapshots_before: int
    snapshots_after: int
    expired: int
    kept_pinned: tuple[int, ...]
    files_before: int
    files_after: int
    bytes_before: int
    bytes_after: int

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def disk_usage(lake: Lake) -> tuple[int, int]:
    """(files, bytes) under the lake's local data path; (0, 0) for object storage (not listed here)."""
    _, data_path = lake.attach_target()
    if "://" in data_path:
        return 0, 0
    files = [p for p in Path(data_path).rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def pinned_snapshots(con, table: str = "mixture_summaries", column: str = "lake_snapshot_id") -> set[int]:
    """Snapshots that mixture manifests were computed from (none while no manifest exists)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' AND table_name = ?",
        [ALIAS, table],
    ).fetchone()[0]
    if not exists:
        return set()
    return {int(r[0]) for r in con.execute(f"SELECT DISTINCT {column} FROM {table}").fetchall() if r[0] is not None}


def maintain(lake: Lake, max_age: timedelta = DEFAULT_MAX_AGE, keep: Iterable[int] = ()) -> MaintenanceReport:
    """Expire snapshots older than `max_age` except the current one, pinned ones and `keep`; merge adjacent small
    files; delete the files expired snapshots alone referenced and files no snapshot knows (killed writes).
    Runs under the writer lock, so no pipeline write is in flight while orphans are removed."""
    if max_age < timedelta(0):
        raise ValueError(f"max_age must not be negative, got {max_age}")
    files_before, bytes_before = disk_usage(lake)
    with lake.connect() as con:
        lake_name = f"'{ALIAS}'"
        snapshots = [r[0] for r in con.execute(f"SELECT snapshot_id FROM ducklake_snapshots({lake_name})").fetchall()]
        current = lake.snapshot_id(con)
        pinned = pinned_snapshots(con) | {int(k) for k in keep}
        cutoff_seconds = max_age.total_seconds()
        old = [
            r[0]
            for r in con.execute(
                f"SELECT snapshot_id FROM ducklake_snapshots({lake_name}) "
                "WHERE snapshot_time <= now() - to_seconds(?::DOUBLE) ORDER BY 1",
                [cutoff_seconds],
            ).fetchall()
        ]
        expire = [s for s in old if s != current and s not in pinned]
        if expire:
            con.execute(f"CALL ducklake_expire_snapshots({lake_name}, versions => ?::BIGINT[])", [expire])
        con.execute(f"CALL ducklake_merge_adjacent_files({lake_name})")
        con.execute(f"CALL ducklake_cleanup_old_files({lake_name}, cleanup_all => true)")
        con.execute(f"CALL ducklake_delete_orphaned_files({lake_name}, cleanup_all => true)")
        after = con.execute(f"SELECT count(*) FROM ducklake_snapshots({lake_name})").fetchone()[0]
    files_after, bytes_after = disk_usage(lake)
    return MaintenanceReport(
        snapshots_before=len(snapshots),
        snapshots_after=after,
        expired=len(expire),
        kept_pinned=tuple(sorted(s for s in pinned if s in set(snapshots))),
        files_before=files_before,
        files_after=files_after,
        bytes_before=bytes_before,
        bytes_after=bytes_after,
    )
