"""Training shards from a manifest: every copy of every document as a row, shuffled within its phase, cut into
files of bounded size, with an index a trainer reads without this project.

    <folder>/index.json              recipe, its hash, lake snapshot, per phase its shards (rows, tokens, sha256)
    <folder>/manifest_summary.json   the manifest's summary (targets, achieved, shortfalls)
    <folder>/<phase>/part-00000.parquet (or .jsonl.gz; or .bin + .idx: token ids, curation.tokens.megatron, with
                                         .rows.parquet: the document copy of each sequence)

The shuffle is seeded (md5 of recipe seed, phase, doc_id, copy), so the same manifest gives the same files, byte
for byte. A shard closes once its texts reach `max_bytes` (UTF-8; for megatron, its token bytes), so a shard
holds at most max_bytes plus one document. Texts are the lake's, without their repeated boilerplate lines
(document_boilerplate) unless the recipe says `boilerplate_lines: keep`, then fixed on the way out
(curation/output: ftfy, e-mail and IP placeholders, `|` table lines; the fixed form `document_output_fixes` stored
for that very text where it has one). The folder is replaced as a whole: a
failure midway leaves the previous shards as they were.
"""

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curation.dedup.boilerplate import clean_text_sql
from curation.lake import tables
from curation.lake.sql import sql_string
from curation.mixtures.recipe import MixtureRecipe
from curation.output import fixes
from curation.tokens import megatron
from curation.tokens.tokenizer_files import TokenizerFile, encode_arrays, open_tokenizer

SHARD = pa.schema(
    [
        ("doc_id", pa.string()),
        ("copy", pa.int32()),  # 0 .. repeats-1 within the phase and stream
        ("stream", pa.string()),
        ("domain", pa.string()),
        ("language", pa.string()),
        ("tokens", pa.int64()),
        ("text", pa.string()),
    ]
)
INDEX = "index.json"
TOKENIZE_BATCH = 1024  # rows per encode_batch call: the tokenizer's threads share a batch
SUMMARY = "manifest_summary.json"


class ShardError(RuntimeError):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write(table: pa.Table, path: Path, fmt: str) -> None:
    if fmt == "parquet":
        pq.write_table(table, path, compression="zstd", row_group_size=8192)
        return
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        for row in table.to_pylist():
            out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")


def write_shards(
    con: duckdb.DuckDBPyConnection, rows: pa.Table, recipe: MixtureRecipe, summary: dict, folder: Path
) -> dict:
    """Write the shards of manifest `rows` (texts from `documents` as `con` sees the lake); return the index."""
    con.register("_manifest", rows)
    seed, max_bytes, fmt = recipe.seed, recipe.shards.max_bytes, recipe.shards.format
    text, boilerplate = "d.text", ""
    if recipe.boilerplate_lines == "drop":  # the lake keeps the text whole; the trainer reads it without them
        text = clean_text_sql("d.text", "b.line_numbers")
        boilerplate = f"LEFT JOIN {tables.DOCUMENT_BOILERPLATE.relation} AS b USING (doc_id)"
    tokenizer = None
    size = "strlen(t.text)"  # what a shard's max_bytes bounds: text bytes, or token bytes for megatron
    if fmt == "megatron":
        tokenizer = open_tokenizer(recipe.token_counting.tokenizer, recipe.token_counting.eos_token)
        size = f"(c.tokens + 1) * {tokenizer.dtype.itemsize}"
    _fixed_texts(
        con,
        f"SELECT d.doc_id, {text} AS text FROM {tables.DOCUMENTS.relation} AS d {boilerplate} "
        "WHERE d.doc_id IN (SELECT doc_id FROM _manifest)",
    )
    con.execute(
        f"""
CREATE OR REPLACE TEMP TABLE shard_rows AS
WITH copies AS (
    SELECT m.phase, m.doc_id, c.copy::INTEGER AS copy, m.stream, m.domain, m.language, m.tokens
    FROM _manifest AS m, range(m.repeats) AS c(copy)
),
keyed AS (
    SELECT c.*, t.text, {size} AS bytes,
           md5_number('{seed}:' || c.phase || ':' || c.doc_id || ':' || c.copy) AS shuffle
    FROM copies AS c JOIN fixed_texts AS t USING (doc_id)
)
SELECT *, (coalesce(sum(bytes) OVER (PARTITION BY phase ORDER BY shuffle, doc_id, copy
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) // {max_bytes})::INTEGER
          AS shard
FROM keyed"""  # the window emits rows in phase and shuffle order, so shards lie together: no second sort
    )
    con.unregister("_manifest")
    con.execute("DROP TABLE fixed_texts")  # shard_rows holds the texts now, in shard order
    expected = pc.sum(rows["repeats"]).as_py() or 0
    written = con.execute("SELECT count(*) FROM shard_rows").fetchone()[0]
    if written != expected:
        raise ShardError(
            f"{expected - written} document copies have no text in `documents` at this lake snapshot "
            "(documents deleted since the manifest was computed?)"
        )
    suffix = {"parquet": ".parquet", "jsonl": ".jsonl.gz", "megatron": ""}[fmt]
    folder = Path(folder)
    staging = folder.with_name(f".{folder.name}.writing")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    phases = []
    for phase in recipe.phase_names():
        shards = []
        counts = con.execute(
            "SELECT shard, count(*), sum(tokens)::BIGINT, sum(bytes)::BIGINT FROM shard_rows "
            f"WHERE phase = {sql_string(phase)} GROUP BY shard ORDER BY shard"
        ).fetchall()
        if counts:
            (staging / phase).mkdir()
        for shard, n, tokens, text_bytes in counts:
            table = (
                con.execute(  # rows stored in shard order: the table's zone maps skip the other shards
                    f"SELECT {', '.join(SHARD.names)} FROM shard_rows WHERE phase = {sql_string(phase)} "
                    f"AND shard = {int(shard)} ORDER BY shuffle, doc_id, copy"
                )
                .to_arrow_table()
                .cast(SHARD)
            )
            name = f"{phase}/part-{shard:05d}{suffix}"
            if fmt == "megatron":
                shards.append(_write_tokens(table, staging, name, tokenizer))
                continue
            _write(table, staging / name, fmt)
            shards.append(
                {
                    "file": name,
                    "rows": n,
                    "tokens": int(tokens),
                    "text_bytes": int(text_bytes or 0),
                    "file_bytes": (staging / name).stat().st_size,
                    "sha256": _sha256(staging / name),
                }
            )
        phases.append(
            {
                "phase": phase,
                "rows": sum(s["rows"] for s in shards),
                "tokens": sum(s["tokens"] for s in shards),
                "shards": shards,
            }
        )
    index = {
        "recipe": recipe.name,
        "recipe_sha256": recipe.sha256,
        "lake_snapshot_id": summary["lake_snapshot_id"],
        "code_version": summary["code_version"],
        "format": fmt,
        "boilerplate_lines": recipe.boilerplate_lines,
        "output_fixes": fixes.version(),
        **(_token_layout(tokenizer) if tokenizer else {}),
        "max_bytes": max_bytes,
        "columns": {f.name: str(f.type) for f in SHARD} if fmt != "megatron" else None,
        "order": "phases in recipe order; rows shuffled within a phase (md5 of seed, phase, doc_id, copy)",
        "phases": phases,
    }
    con.execute("DROP TABLE shard_rows")
    (staging / INDEX).write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
    (staging / SUMMARY).write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    swap_folder(staging, folder)
    shutil.rmtree(staging, ignore_errors=True)  # now the previous shards
    return index


def _fixed_texts(con: duckdb.DuckDBPyConnection, texts_sql: str, rows_per_batch: int = 1024) -> None:
    """Create `fixed_texts` (doc_id, text): the texts of `texts_sql` (doc_id, text) with the output fixes applied.
    Where `document_output_fixes` holds a text's fixed form, made by today's fixes from this very text, it is taken
    as it is, in DuckDB; only the others come to Python, batch by batch, to be fixed."""
    known, stored = fixes.stored_fixes_sql(con, "t.text", "t.doc_id")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE fixed_texts AS "
        f"SELECT t.doc_id, coalesce({fixes.KNOWN}, t.text) AS text, {fixes.KNOWN} IS NOT NULL AS fixed FROM "
        f"(SELECT t.doc_id, t.text, {known} FROM ({texts_sql}) AS t {stored}) AS t"
    )
    reader = con.execute("SELECT doc_id, text FROM fixed_texts WHERE NOT fixed").to_arrow_reader(rows_per_batch)
    fixed = [fixes.output_texts(batch) for batch in reader if batch.num_rows]
    if fixed:
        schema = pa.schema([("doc_id", pa.string()), ("text", pa.string())])
        con.register("_fixed_here", pa.concat_tables([t.select(schema.names).cast(schema) for t in fixed]))
        con.execute(
            "UPDATE fixed_texts SET text = f.text, fixed = TRUE FROM _fixed_here AS f "
            "WHERE fixed_texts.doc_id = f.doc_id"
        )
        con.unregister("_fixed_here")


def _token_layout(tokenizer: TokenizerFile) -> dict:
    return {
        "tokenizer": tokenizer.id,
        "eos_token": tokenizer.eos_token,
        "eos_id": tokenizer.eos_id,
        "vocab_size": tokenizer.vocab_size,
        "dtype": tokenizer.dtype.name,
        "layout": "Megatron-LM indexed dataset (MMIDIDX): one sequence per document copy, its tokens then eos_id",
    }


def _write_tokens(table: pa.Table, staging: Path, prefix: str, tokenizer: TokenizerFile) -> dict:
    """One Megatron shard: each row's text tokenized (once per document in the shard), end-of-document token added;
    every count must be the manifest's, or the stored counts were made on another text."""
    writer = megatron.IndexedDatasetWriter(staging / prefix, tokenizer.dtype)
    eos = np.array([tokenizer.eos_id], dtype=tokenizer.dtype)
    written, cache = 0, {}
    for start in range(0, table.num_rows, TOKENIZE_BATCH):
        batch = table.slice(start, TOKENIZE_BATCH).select(["doc_id", "text", "tokens"]).to_pydict()
        new = {d: t for d, t in zip(batch["doc_id"], batch["text"], strict=True) if d not in cache}
        for doc_id, ids in zip(new, encode_arrays(tokenizer, list(new.values())), strict=True):
            cache[doc_id] = ids
        for doc_id, expected in zip(batch["doc_id"], batch["tokens"], strict=True):
            ids = cache[doc_id]
            if ids.size != expected:
                writer.close()
                raise ShardError(
                    f"document {doc_id} has {ids.size} tokens by {tokenizer.id}, the manifest counted {expected}: "
                    "materialize document_tokens and the manifest again"
                )
            writer.add(np.concatenate([ids, eos]))
            written += ids.size + 1
        if len(cache) > 4 * TOKENIZE_BATCH:  # copies of a document sit close together only by chance
            cache.clear()
    writer.close()
    bin_path, idx_path = megatron.files(staging / prefix)
    rows_path = staging / f"{prefix}.rows.parquet"  # which document copy each sequence is: lineage, not training
    pq.write_table(table.drop_columns(["text"]), rows_path, compression="zstd")
    return {
        "prefix": prefix,
        "file": f"{prefix}.bin",
        "index_file": f"{prefix}.idx",
        "rows": table.num_rows,
        "documents": len(set(table["doc_id"].to_pylist())),
        "tokens": written,
        "text_bytes": int(pc.sum(pc.binary_length(table["text"])).as_py() or 0),
        "file_bytes": bin_path.stat().st_size,
        "sha256": _sha256(bin_path),
        "index_bytes": idx_path.stat().st_size,
        "index_sha256": _sha256(idx_path),
        "rows_file": f"{prefix}.rows.parquet",
        "rows_sha256": _sha256(rows_path),
    }


def swap_folder(staged: Path, folder: Path) -> None:
    """Put `staged` in the place of `folder` so that `folder` is never missing: Linux's renameat2 exchanges the two
    in one step (the old contents end up at `staged`); elsewhere, or on a file system without it, a rename of the
    old folder aside and of the new one into place."""
    if folder.exists() and _exchange(staged, folder):
        return
    if folder.exists():
        aside = folder.with_name(f".{folder.name}.previous")
        shutil.rmtree(aside, ignore_errors=True)
        folder.rename(aside)
        staged.rename(folder)
        aside.rename(staged)
    else:
        staged.rename(folder)


_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def _exchange(a: Path, b: Path) -> bool:
    import ctypes
    import os

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0
