"""Repeated boilerplate lines over every partition: which lines a host's template or the whole corpus repeats, and
per document which of its lines manifests and shards leave out (curation.dedup.boilerplate)."""

import dagster as dg
from pydantic import Field

from assets.dedup import GROUP
from assets.metadata import column_schema, markdown_table
from assets.resources import LakeResource
from curation.dedup.boilerplate import BoilerplateRule, boilerplate_statements
from curation.lake import tables

BOILERPLATE_LINES, PER_DOCUMENT = tables.BOILERPLATE_LINES, tables.DOCUMENT_BOILERPLATE
CHECK_EXAMPLES = "every_boilerplate_line_has_its_example"


class BoilerplateConfig(dg.Config):
    """Documents (duplicate clusters) that must share a line for it to count as boilerplate."""

    host_min_documents: int = Field(default=3, ge=2, description="documents of one host sharing the line")
    corpus_min_documents: int = Field(default=10, ge=2, description="documents of the whole corpus sharing it")

    def rule(self) -> BoilerplateRule:
        return BoilerplateRule(self.host_min_documents, self.corpus_min_documents)


def _spec(table: tables.Table, description: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        table.name,
        description=description,
        deps=[tables.DOCUMENT_LINES.name, tables.DEDUP_CLUSTERS.name],
        group_name=GROUP,
        kinds={"ducklake", "sql"},
        automation_condition=dg.AutomationCondition.eager(),
        metadata={
            "dagster/table_name": f"lake.{table.relation}",
            "dagster/column_schema": column_schema(table.schema),
        },
    )


@dg.multi_asset(
    name="boilerplate",
    specs=[
        _spec(
            BOILERPLATE_LINES,
            "Lines repeated in at least host_min_documents documents of one host or corpus_min_documents of the "
            "corpus (near-duplicates counted once), each with the threshold it passed and an example.",
        ),
        _spec(
            PER_DOCUMENT,
            "Per document with boilerplate lines: how many, their characters and words, and their positions, which "
            "manifests and shards leave out. The lake keeps every text whole.",
        ),
    ],
    check_specs=[dg.AssetCheckSpec(CHECK_EXAMPLES, asset=BOILERPLATE_LINES.name, blocking=True)],
)
def boilerplate(context: dg.AssetExecutionContext, config: BoilerplateConfig, lake: LakeResource):
    store = lake.lake()
    store.create_missing_tables(
        {t.name: t.schema for t in (tables.DOCUMENT_LINES, tables.DEDUP_CLUSTERS, BOILERPLATE_LINES, PER_DOCUMENT)}
    )
    rule = config.rule()
    with store.transaction(message="boilerplate lines over all partitions") as con:
        for statement in boilerplate_statements(rule):
            con.execute(statement)
        found = con.execute("SELECT count(*) FROM found_lines").fetchone()[0]
    with store.connect(read_only=True) as con:
        by_scope = con.execute(
            f"SELECT scope, count(*), count(DISTINCT host) FROM {BOILERPLATE_LINES.relation} GROUP BY 1 ORDER BY 1"
        ).fetchall()
        stored = sum(n for _, n, _ in by_scope)
        documents, lines, chars = con.execute(
            f"SELECT count(*), coalesce(sum(boilerplate_lines), 0), coalesce(sum(boilerplate_chars), 0) "
            f"FROM {PER_DOCUMENT.relation}"
        ).fetchone()
        total_chars = con.execute(f"SELECT coalesce(sum(char_count), 0) FROM {tables.DOCUMENTS.relation}").fetchone()[0]
        top = con.execute(
            f"SELECT scope, host, documents, example FROM {BOILERPLATE_LINES.relation} "
            "ORDER BY documents DESC, scope, host, example LIMIT 15"
        ).fetchall()
        heaviest = con.execute(
            f"SELECT doc_id, host, boilerplate_lines, boilerplate_chars FROM {PER_DOCUMENT.relation} "
            "ORDER BY boilerplate_chars DESC, doc_id LIMIT 10"
        ).fetchall()
    yield dg.MaterializeResult(
        asset_key=BOILERPLATE_LINES.name,
        metadata={
            "dagster/row_count": stored,
            "host_min_documents": rule.host_min_documents,
            "corpus_min_documents": rule.corpus_min_documents,
            "lines_by_scope": markdown_table(["scope", "lines", "hosts"], by_scope),
            "most_repeated": markdown_table(["scope", "host", "documents", "line"], top),
        },
    )
    yield dg.MaterializeResult(
        asset_key=PER_DOCUMENT.name,
        metadata={
            "dagster/row_count": documents,
            "boilerplate_lines_dropped": int(lines),
            "boilerplate_char_share": round(chars / total_chars, 4) if total_chars else None,
            "most_boilerplate": markdown_table(["document", "host", "lines dropped", "characters"], heaviest),
        },
    )
    yield dg.AssetCheckResult(
        check_name=CHECK_EXAMPLES,
        asset_key=dg.AssetKey(BOILERPLATE_LINES.name),
        passed=stored == found,
        metadata={"lines_found": found, "lines_stored_with_example": stored},
    )
