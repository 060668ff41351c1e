"""Lake snapshots named the way people remember them: an id, a time, or words from the commit message."""

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from curation.lake.client import ALIAS


class SnapshotError(ValueError):
    pass


@dataclass(frozen=True)
class Snapshot:
    id: int
    time: datetime
    message: str | None

    def label(self) -> str:
        when = self.time.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"{self.id} ({when}{': ' + self.message if self.message else ''})"


def snapshots(con: duckdb.DuckDBPyConnection, alias: str = ALIAS) -> list[Snapshot]:
    """Every snapshot the lake still holds (expired ones are gone), oldest first."""
    rows = con.execute(
        f"SELECT snapshot_id, snapshot_time, commit_message FROM ducklake_snapshots('{alias}') ORDER BY 1"
    ).fetchall()
    return [Snapshot(int(i), t, m) for i, t, m in rows]


def _as_time(spec: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(spec.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def resolve(history: list[Snapshot], spec: str) -> Snapshot:
    """`spec`: a snapshot id; `latest`, `previous`; an ISO time (the last snapshot at or before it); or words of a
    commit message (the latest snapshot with exactly that message, else the latest whose message contains them;
    case-insensitive)."""
    if not history:
        raise SnapshotError("the lake has no snapshots yet: materialize an asset first")
    spec = spec.strip()
    if spec == "latest":
        return history[-1]
    if spec == "previous":
        if len(history) < 2:
            raise SnapshotError("the lake has a single snapshot: there is no previous one")
        return history[-2]
    if spec.isdigit():
        found = next((s for s in history if s.id == int(spec)), None)
        if found is None:
            raise SnapshotError(
                f"no snapshot {spec} in the lake (it holds {history[0].id}..{history[-1].id}; expired ones are gone)"
            )
        return found
    moment = _as_time(spec)
    if moment is not None:
        before = [s for s in history if s.time <= moment]
        if not before:
            raise SnapshotError(f"no snapshot at or before {moment.isoformat()}: the oldest is {history[0].label()}")
        return before[-1]
    exact = [s for s in history if s.message and s.message.lower() == spec.lower()]
    matches = exact or [s for s in history if s.message and spec.lower() in s.message.lower()]
    if not matches:
        raise SnapshotError(f"no snapshot's commit message contains {spec!r}")
    return matches[-1]
