"""The pandera schemas (polars backend) of the tables, rendered from a codebook.

Cross-field rules become dataframe-level pandera checks named ``rule-id@field``, built from the
same expressions the validator evaluates (:mod:`eventcoder.schema.rules`). Kept apart from
:mod:`eventcoder.schema.tables` because importing pandera takes a third of a second (it imports
pandas): commands that never validate, and ``--help``, do without it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import polars as pl

with warnings.catch_warnings():
    # pandera imports pyspark.pandas whenever pyspark is installed (the test extra has it), and
    # pyspark warns about pandas 3 on import; eventcoder uses neither through pandera.
    warnings.filterwarnings("ignore", "PySpark does not yet fully support", FutureWarning)
    import pandera.polars as pa

from eventcoder.schema.codebook import Codebook
from eventcoder.schema.rules import Check, compile_checks
from eventcoder.schema.tables import PROVENANCE, polars_dtype, table_fields


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


def column_failure_cases(
    data: pl.DataFrame, cb: Codebook, table: str, absent: Iterable[str]
) -> pl.DataFrame | None:
    """pandera's failure cases of the column schema (types, required; no rule checks), or None.

    ``absent`` are the fields the input cannot have (see :func:`schema`'s ``skip_fields``).
    """
    try:
        schema(cb, table, skip_fields=absent, checks=[]).validate(data, lazy=True)
    except pa.errors.SchemaErrors as err:
        return pl.DataFrame(err.failure_cases)
    return None


def warm_up() -> None:
    """Do pandera's one-time set-up now: its backends register on the first validation, which
    takes a quarter of a second where hypothesis is installed (pandera imports its strategies).
    """
    pa.DataFrameSchema({"_": pa.Column(pl.Int64)}).validate(pl.DataFrame(schema={"_": pl.Int64}))
