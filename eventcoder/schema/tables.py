"""Table layouts rendered from a codebook: columns, polars dtypes and the Arrow schema.

Two tables carry coded events:

- ``events``: the ACLED-style event table, one row per event, the codebook's fields in order.
- ``annotations``: one row per coder per coded event; the provenance columns below, then the
  codebook's fields (the ones assigned at release, such as the event id, left out).

The pandera schemas of the same tables are in :mod:`eventcoder.schema.pandera_schemas`.
"""

from __future__ import annotations

import polars as pl
import pyarrow as arrow

from eventcoder.schema.codebook import Codebook, Field

POLARS_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "integer": pl.Int64(),
    "number": pl.Float64(),
    "date": pl.Date(),
    "boolean": pl.Boolean(),
}

# name, dtype, required, description
PROVENANCE: tuple[tuple[str, pl.DataType, bool, str], ...] = (
    ("project_id", pl.Int64(), False, "Label Studio project id"),
    ("task_id", pl.Int64(), True, "Label Studio task id"),
    ("article_id", pl.String(), True, "The article's own id (task data 'id')"),
    ("annotation_id", pl.Int64(), True, "Label Studio annotation id"),
    ("coder", pl.String(), True, "The coder's e-mail (numeric id when the export lacks it)"),
    ("event_key", pl.String(), True, "The event's region id within the annotation"),
    ("span_start", pl.Int64(), False, "Start offset of the evidence span in the article text"),
    ("span_end", pl.Int64(), False, "End offset of the evidence span in the article text"),
    ("evidence", pl.String(), False, "Text of the evidence span"),
    ("created_at", pl.Datetime("us", "UTC"), False, "When the annotation was created"),
    ("updated_at", pl.Datetime("us", "UTC"), False, "When the annotation was last changed"),
    ("lead_time", pl.Float64(), False, "Seconds the coder spent on the annotation"),
)
PROVENANCE_NAMES = tuple(name for name, *_ in PROVENANCE)

TABLES = ("events", "annotations")


def polars_dtype(field: Field) -> pl.DataType:
    """The polars dtype of a codebook field."""
    return POLARS_TYPES[field.type]


def table_fields(cb: Codebook, table: str) -> tuple[Field, ...]:
    """The codebook fields a table holds, in codebook order."""
    if table == "events":
        return cb.fields
    if table == "annotations":
        return tuple(f for f in cb.fields if f.origin != "release")
    raise ValueError(f"unknown table {table!r}; expected one of {', '.join(TABLES)}")


def table_columns(cb: Codebook, table: str) -> dict[str, pl.DataType]:
    """Column name -> polars dtype of a table, in output order."""
    cols: dict[str, pl.DataType] = {}
    if table == "annotations":
        cols.update({name: dtype for name, dtype, *_ in PROVENANCE})
    cols.update({f.name: polars_dtype(f) for f in table_fields(cb, table)})
    return cols


def empty_table(cb: Codebook, table: str) -> pl.DataFrame:
    """An empty frame with a table's columns and types."""
    return pl.DataFrame(schema=table_columns(cb, table))


def arrow_schema(cb: Codebook, table: str = "events") -> arrow.Schema:
    """The Arrow schema of a table, with each column's description as metadata.

    Standard Arrow types only: text is ``large_string`` (what polars writes and every Arrow
    reader knows; Parquet stores it as plain UTF-8 whatever the Arrow type), never
    ``string_view`` or extension types.
    """
    descriptions = {f.name: f.description for f in cb.fields}
    descriptions.update({name: d for name, _, _, d in PROVENANCE})
    required = {f.name for f in cb.fields if f.required}
    required.update(name for name, _, req, _ in PROVENANCE if req)
    fields = []
    for name, dtype in table_columns(cb, table).items():
        arrow_type = (
            pl.DataFrame(schema={name: dtype})
            .to_arrow(compat_level=pl.CompatLevel.oldest())
            .schema.field(name)
            .type
        )
        fields.append(
            arrow.field(
                name,
                arrow_type,
                nullable=name not in required,
                metadata={"description": descriptions.get(name, "")},
            )
        )
    return arrow.schema(fields, metadata={"codebook": cb.label, "table": table})
