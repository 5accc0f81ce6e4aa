"""Table schemas rendered from a codebook: pandera (polars backend) and Arrow.

Two tables carry coded events:

- ``events``: the ACLED-style event table, one row per event, the codebook's fields in order.
- ``annotations``: one row per coder per coded event; the provenance columns below, then the
  codebook's fields (the ones assigned at release, such as the event id, left out).

Cross-field rules become dataframe-level pandera checks named ``rule-id@field``, built from the
same expressions the validator evaluates (:mod:`eventcoder.schema.rules`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import polars as pl
import pyarrow as arrow

with warnings.catch_warnings():
    # pandera imports pyspark.pandas whenever pyspark is installed (the test extra has it), and
    # pyspark warns about pandas 3 on import; eventcoder uses neither through pandera.
    warnings.filterwarnings("ignore", "PySpark does not yet fully support", FutureWarning)
    import pandera.polars as pa

from eventcoder.schema.codebook import Codebook, Field
from eventcoder.schema.rules import Check, compile_checks

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


def pandera_check(check: Check) -> pa.Check:
    """A dataframe-level pandera check that passes on rows where ``check`` finds no violation."""
    expr = ~check.violation

    def run(data: pa.PolarsData, _expr: pl.Expr = expr) -> pl.LazyFrame:
        return data.lazyframe.select(_expr.alias("ok"))

    return pa.Check(run, name=check.name, error=check_label(check))


def check_label(check: Check) -> str:
    """How pandera reports a failed check: ``rule-id@field: message``."""
    return f"{check.name}: {check.rule.message}"


def schema(
    cb: Codebook,
    table: str = "events",
    *,
    skip_fields: Iterable[str] = (),
    checks: list[Check] | None = None,
) -> pa.DataFrameSchema:
    """The pandera schema of ``table``: typed columns, required fields, every rule as a check.

    ``skip_fields`` leaves out the required-ness of fields an input cannot have (and the rules
    that use them); ``checks`` reuses already compiled checks.
    """
    skip = set(skip_fields)
    columns: dict[str, pa.Column] = {}
    if table == "annotations":
        for name, dtype, required, description in PROVENANCE:
            columns[name] = pa.Column(
                dtype, nullable=not required, required=required, description=description
            )
    for f in table_fields(cb, table):
        columns[f.name] = pa.Column(
            polars_dtype(f),
            nullable=not f.required or f.name in skip,
            required=f.name not in skip,
            description=f.description or None,
            title=f.name,
        )
    if checks is None:
        checks = compile_checks(cb, skip_fields=skip)
    return pa.DataFrameSchema(
        columns,
        checks=[pandera_check(c) for c in checks],
        name=f"{cb.name}:{table}",
        strict=False,
        description=f"{table} table of codebook {cb.label}",
    )


def events_schema(
    cb: Codebook, *, skip_fields: Iterable[str] = (), checks: list[Check] | None = None
) -> pa.DataFrameSchema:
    """The pandera schema of the ACLED-style ``events`` table."""
    return schema(cb, "events", skip_fields=skip_fields, checks=checks)


def annotations_schema(
    cb: Codebook, *, skip_fields: Iterable[str] = (), checks: list[Check] | None = None
) -> pa.DataFrameSchema:
    """The pandera schema of the per-coder ``annotations`` table."""
    return schema(cb, "annotations", skip_fields=skip_fields, checks=checks)


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
