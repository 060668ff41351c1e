"""Band keys stored band by band: linking a new partition reads each band's keys, not all of them, per join."""

import pyarrow as pa
import pyarrow.parquet as pq

from curation.dedup import minhash
from curation.dedup.band_files import DOCUMENTS_PER_FILE, TABLE_OPTIONS, BandKeyFiles
from curation.dedup.clusters import partition_candidates
from curation.lake import tables
from curation.lake.client import ALIAS, Lake

KEYS = tables.DEDUP_BAND_KEYS


def _batches(documents: int, per_batch: int = 256):
    """Fingerprint batches of documents whose texts are distinct enough to share no band key."""
    config = minhash.MinHashConfig()
    for start in range(0, documents, per_batch):
        ids = range(start, min(start + per_batch, documents))
        texts = [" ".join(f"w{i}x{j}" for j in range(12)) for i in ids]
        batch = pa.table(
            {
                "doc_id": [f"d{i:05d}" for i in ids],
                "crawl_file": ["p1"] * len(texts),
                "fetch_date": pa.array([None] * len(texts), pa.timestamp("us", tz="UTC")),
                "text": texts,
            }
        )
        signatures, keys = minhash.fingerprint(batch, config)
        yield signatures.num_rows, keys.append_column("minhash_config", [[config.name] * keys.num_rows])


def test_band_key_files_hold_one_band_per_row_group_and_linking_still_finds_pairs(tmp_path):
    lake = Lake("sqlite:" + str(tmp_path / "catalog.sqlite"), str(tmp_path / "files"))
    lake.set_table_options(KEYS.name, KEYS.schema, TABLE_OPTIONS)
    lake.set_table_options(KEYS.name, KEYS.schema, TABLE_OPTIONS)  # already set: no second change
    files, written = BandKeyFiles(), []
    for documents, keys in _batches(DOCUMENTS_PER_FILE + 300):
        written += [full] if (full := files.add(keys, documents)) is not None else []
    written.append(files.flush())
    assert [t.num_rows for t in written] == [17 * DOCUMENTS_PER_FILE, 17 * 300] and files.flush() is None
    with lake.transaction("band keys") as con:
        for table in written:
            con.from_arrow(table).insert_into(KEYS.name)
    with lake.connect(read_only=True) as con:
        options = con.execute(
            f"SELECT option_name, value FROM ducklake_options('{ALIAS}') WHERE scope_entry = 'main.{KEYS.name}'"
        ).fetchall()
        listed = con.execute(f"SELECT data_file FROM ducklake_list_files('{ALIAS}', '{KEYS.name}')").fetchall()
        paths = [row[0] for row in listed]
        messages = con.execute(f"SELECT commit_message FROM ducklake_snapshots('{ALIAS}')").fetchall()
    assert options == list(TABLE_OPTIONS.items())
    assert messages == [(None,), (None,), ("band keys",)]  # the options make no snapshot of their own
    full_file = next(p for p in paths if pq.ParquetFile(p).metadata.num_rows == 17 * DOCUMENTS_PER_FILE)
    metadata = pq.ParquetFile(full_file).metadata
    band = metadata.schema.names.index("band")
    ranges = [
        (metadata.row_group(i).column(band).statistics.min, metadata.row_group(i).column(band).statistics.max)
        for i in range(metadata.num_row_groups)
    ]
    assert ranges == [(b, b) for b in range(17)]  # the Parquet reader skips the other bands' row groups by min/max

    # a document of a new partition that copies one stored document's band keys is its candidate, once
    with lake.transaction("a new partition") as con:
        copy = written[0].filter(pa.compute.equal(written[0]["doc_id"], "d00007"))
        copy = copy.set_column(0, "doc_id", pa.array(["new"] * copy.num_rows))
        copy = copy.set_column(1, "crawl_file", pa.array(["p2"] * copy.num_rows))
        con.from_arrow(copy).insert_into(KEYS.name)
        signatures = pa.table(  # noqa: F841 (read by DuckDB's replacement scan)
            {
                "doc_id": ["d00007", "new"],
                "crawl_file": ["p1", "p2"],
                "exact_hash": ["a", "b"],
                "minhash_config": [minhash.MinHashConfig().name] * 2,
            }
        )
        con.execute(f"CREATE TABLE {tables.DEDUP_SIGNATURES.name} AS SELECT * FROM signatures")
        pairs = partition_candidates(con, "p2")
    assert sorted(zip(pairs["doc_a"].to_pylist(), pairs["doc_b"].to_pylist(), strict=True)) in (
        [("new", "d00007")],
        [("d00007", "new")],
    )
