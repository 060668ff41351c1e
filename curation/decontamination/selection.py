"""What mixture manifests read from the scan: the documents flagged by the registered sets' current versions, and
the documents of partitions not yet scanned against one of them (a manifest refuses to guess that they are
clean)."""

from curation.lake import tables
from curation.lake.sql import sql_string

CONTAMINATION, SCANS = tables.CONTAMINATION.relation, tables.CONTAMINATION_SCANS.relation


class ContaminationNotScanned(RuntimeError):
    """Documents a recipe may select are in partitions not scanned against a registered set's current version."""


def _versions(versions: dict[str, str]) -> str:
    return ", ".join(f"({sql_string(name)}, {sql_string(version)})" for name, version in sorted(versions.items()))


def flagged_sql(versions: dict[str, str]) -> str:
    """doc_id of every document a registered set (at its current version) shares an n-gram with."""
    if not versions:
        return "SELECT NULL::VARCHAR AS doc_id WHERE FALSE"
    return (
        f"SELECT DISTINCT doc_id FROM {CONTAMINATION} WHERE (benchmark, benchmark_version) IN ({_versions(versions)})"
    )


def unscanned_sql(documents: str, versions: dict[str, str]) -> str:
    """How many rows of `documents` (a relation with crawl_file) lie in a partition some registered set's current
    version has not scanned, and the first such set."""
    if not versions:
        return "SELECT 0, NULL"
    return f"""
SELECT count(*), min(v.name)
FROM {documents} AS d, (VALUES {_versions(versions)}) AS v(name, version)
WHERE NOT EXISTS (
    SELECT 1 FROM {SCANS} AS s
    WHERE s.crawl_file = d.crawl_file AND s.benchmark = v.name AND s.benchmark_version = v.version
)"""
