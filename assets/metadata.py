"""Asset metadata a data engineer reads at a glance: column schemas, row counts, Markdown previews."""

import dagster as dg
import pyarrow as pa


def column_schema(schema: pa.Schema) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(f.name, str(f.type)) for f in schema])


def markdown_table(columns: list[str], rows: list[tuple], max_chars: int = 80) -> dg.MetadataValue:
    def cell(value) -> str:
        text = "" if value is None else str(value)
        text = text.replace("|", "\\|").replace("\n", " ")
        return text if len(text) <= max_chars else text[: max_chars - 3] + "..."

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return dg.MetadataValue.md("\n".join(lines))
