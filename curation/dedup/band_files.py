"""How band keys are laid out in the lake so that linking reads only the bands it needs. Free of Dagster.

A new partition is linked two bands at a time (`clusters.BANDS_PER_JOIN`), each join reading `band BETWEEN low AND
high` from every stored band-key file. Written in fingerprint order, every row group of every file holds all 17
bands, so each of the nine joins read every stored key. Written band by band (files of `DOCUMENTS_PER_FILE`
documents, sorted by band) with one band's keys per row group (`ROW_GROUP_ROWS`), the Parquet reader skips the row
groups of other bands by their min/max statistics: each join reads its two bands' keys, and a partition's
linking reads each stored key about once.
"""

import pyarrow as pa

DOCUMENTS_PER_FILE = 2048  # band keys of 8 fingerprint batches per file: 17 x 2,048 rows, about 0.6 MB
ROW_GROUP_ROWS = DOCUMENTS_PER_FILE  # one band of one file per row group (DuckDB's smallest row group is 2,048)
TABLE_OPTIONS = {"parquet_row_group_size": str(ROW_GROUP_ROWS)}  # DuckLake table-scoped option of dedup_band_keys


class BandKeyFiles:
    """Collects fingerprint batches' band keys; hands them back band-sorted, one file's worth at a time."""

    def __init__(self, documents_per_file: int = DOCUMENTS_PER_FILE):
        self.documents_per_file = documents_per_file
        self.pending: list[pa.Table] = []
        self.documents = 0

    def add(self, keys: pa.Table, documents: int) -> pa.Table | None:
        """Keys of one batch (of `documents` documents); a band-sorted file's worth once enough have come."""
        self.pending.append(keys)
        self.documents += documents
        return self.flush() if self.documents >= self.documents_per_file else None

    def flush(self) -> pa.Table | None:
        """Whatever is collected, sorted by band (stable: documents keep their order within a band)."""
        if not self.pending:
            return None
        keys = pa.concat_tables(self.pending).sort_by([("band", "ascending")])
        self.pending, self.documents = [], 0
        return keys
