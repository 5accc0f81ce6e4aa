"""Validate event tables against a codebook: every row accepted or rejected, every failure named.

``validate(frame, codebook)`` reads the layouts users hold (ACLED's current 31-column export with
actor types as text or numeric codes, the 2019-2022 layout; headers in any case; dates in the
forms spreadsheets write), brings values to the codebook's canonical spellings, derives what the
codebook can derive (:mod:`eventcoder.schema.prepare`, which records each such change), runs the
pandera schema lazily and returns accepted rows, rejected rows as the input wrote them with their
reasons, one failure row per (row, rule, field) with the offending value, and the changes table.

Two rule ids are built in, besides the codebook's own: ``required-field`` (a required field is
blank) and ``field-type`` (a value cannot be read as the field's type: ``fatalities`` = "many",
a date before 1900 or after today).

Rows are numbered from 1, in input order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from eventcoder.hashing import row_hash
from eventcoder.schema.codebook import Codebook
from eventcoder.schema.failures import count_failures
from eventcoder.schema.pandera_schemas import column_failure_cases
from eventcoder.schema.prepare import (
    CHANGE_SCHEMA,
    FAILURE_SCHEMA,
    ROW,
    TYPE_RULE,
    Prepared,
    prepare,
)
from eventcoder.schema.reading import open_table, read_table
from eventcoder.schema.rules import HELPER_PREFIX, Check, compile_checks
from eventcoder.schema.tables import PROVENANCE_NAMES

REQUIRED_RULE = "required-field"
__all__ = [
    "FAILURE_SCHEMA",
    "REQUIRED_RULE",
    "ROW",
    "TYPE_RULE",
    "Prepared",
    "ValidationResult",
    "prepare",
    "read_table",
    "validate",
    "validate_file",
    "write_result",
]


@dataclass(frozen=True)
class ValidationResult:
    """What validation found. ``accepted.height + rejected.height`` is the input's row count."""

    accepted: pl.DataFrame
    rejected: pl.DataFrame
    failures: pl.DataFrame
    notes: tuple[str, ...] = ()
    # Every value of an accepted row that differs from the input: row, field, before, after,
    # reason, source (see eventcoder.schema.prepare).
    changes: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=CHANGE_SCHEMA))

    @property
    def errors(self) -> pl.DataFrame:
        """Failures that rejected their row."""
        return self.failures.filter(pl.col("severity") == "error")

    @property
    def warnings(self) -> pl.DataFrame:
        """Failures recorded on rows that were still accepted or rejected for other reasons."""
        return self.failures.filter(pl.col("severity") == "warning")

    @property
    def total(self) -> int:
        return self.accepted.height + self.rejected.height

    def counts_by_rule(self) -> pl.DataFrame:
        """One row per rule: severity, failures, distinct rows affected; errors first, then the
        most frequent."""
        return count_failures(self.failures, key=ROW, label="rows", by=("rule", "severity"))

    def summary(self) -> dict[str, object]:
        """Plain-data summary: counts and per-rule failures."""
        return {
            "rows": self.total,
            "accepted": self.accepted.height,
            "rejected": self.rejected.height,
            "warnings": self.warnings.height,
            "changes": self.changes.height,
            "rules": self.counts_by_rule().to_dicts(),
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------------------------
# Validating
# --------------------------------------------------------------------------------------------


def validate(
    frame: pl.DataFrame,
    cb: Codebook,
    table: str = "events",
    on_progress: Callable[[str], None] | None = None,
    *,
    date_format: str | None = None,
    source: str | None = None,
) -> ValidationResult:
    """Validate every row of ``frame`` against the codebook; return accepted, rejected, failures.

    Never raises for rows that break rules (that is what the result is for); raises
    :class:`InputError` only for input that cannot be read as the codebook's table (required
    columns missing, a column of a type its field cannot take, an ambiguous date format).
    ``date_format`` (strftime codes) forces how text dates are read; ``source`` names the input
    in messages.
    """
    say = on_progress or (lambda _msg: None)
    say("preparing")
    prepared = prepare(frame, cb, table, date_format=date_format, source=source)
    data = prepared.frame
    checks = compile_checks(cb, skip_fields=prepared.absent)
    say("checking rules")
    failures = _run_schema(data, cb, table, checks, prepared.absent)
    failures = pl.concat([prepared.type_failures, failures], how="vertical")
    # A value that could not be typed is blank after typing; "required" would blame it twice.
    typed_bad = prepared.type_failures.select(ROW, "field").with_columns(pl.lit(True).alias("_dup"))
    failures = (
        failures.join(typed_bad, on=[ROW, "field"], how="left")
        .filter(~((pl.col("rule") == REQUIRED_RULE) & pl.col("_dup").fill_null(False)))
        .drop("_dup")
    )
    out = data.select([c for c in data.columns if not c.startswith(HELPER_PREFIX)])
    failures = _attach_provenance(failures, out)
    failures = failures.sort([ROW, "severity", "rule", "field"])
    error_rows = (
        failures.filter(pl.col("severity") == "error")
        .group_by(ROW)
        .agg(pl.col("rule").unique(maintain_order=True).str.join("; ").alias("reasons"))
    )
    # A mask rather than joins: the accepted rows keep their order without sorting a wide frame.
    bad = pl.zeros(out.height, pl.Boolean, eager=True).scatter(error_rows[ROW] - 1, True)
    accepted = out.filter(~bad)
    # Rejected rows keep what the input said: no spelling, fill or derivation reaches them.
    written = prepared.written
    rejected = (
        written.select(out.columns)
        .with_row_index(ROW, offset=1)
        .filter(bad)
        .with_columns(pl.col(ROW).cast(pl.Int64))
        .join(error_rows, on=ROW, how="left", maintain_order="left")
    )
    changes = prepared.changes
    if changes.height and error_rows.height:
        changes = changes.filter(~pl.col(ROW).is_in(error_rows[ROW].implode()))
    return ValidationResult(accepted, rejected, failures, prepared.notes, changes)


def _run_schema(
    data: pl.DataFrame, cb: Codebook, table: str, checks: list[Check], absent: frozenset[str]
) -> pl.DataFrame:
    """Failures of the pandera column schema (types, required) and of every rule check.

    pandera checks the columns; the rule checks, the very expressions the pandera schema's
    dataframe checks wrap (``pandera_schemas.schema``), are evaluated here together, with the
    shortcuts of :func:`_violating_rows`. pandera's polars backend runs each check as its own
    query and serialises every failing row, which costs 40x more on a million rows; tests prove
    both paths, and the shortcuts, find the same failures.
    """
    parts = [_column_failures(data, cb, table, absent)]
    if checks:
        for check, idx in zip(checks, _violating_rows(data, cb, checks), strict=True):
            if idx.len():
                parts.append(
                    pl.DataFrame(
                        {
                            "_i": idx.cast(pl.Int64),
                            "rule": check.rule.id,
                            "severity": check.rule.severity,
                            "rfield": check.field,
                            "message": check.rule.message,
                        }
                    )
                )
    rows = pl.concat([p.cast(_INTERNAL) for p in parts])
    values = _values_at(data, rows)
    return values.select(
        (pl.col("_i") + 1).alias(ROW),
        "rule",
        "severity",
        pl.col("rfield").alias("field"),
        "value",
        "message",
    ).cast(FAILURE_SCHEMA)


def _violating_rows(data: pl.DataFrame, cb: Codebook, checks: list[Check]) -> list[pl.Series]:
    """For each check, the indices of the rows that break it.

    The same answer as evaluating every ``check.violation`` on every row, found with less work:

    - a check that reads only vocabulary fields (few distinct values by construction) depends on
      a row only through that row's combination of them, so it is first run on the distinct
      combinations; only checks that some combination breaks are then run on the rows;
    - a uniqueness check compares 64-bit hashes of the key and confirms exactly on the rows
      whose hash repeats (equal keys hash equally, so no duplicate is missed).
    """
    vocab = {f.name for f in cb.fields if f.vocabulary and f.name in data.columns}
    screened = [
        i
        for i, c in enumerate(checks)
        if c.row_local and set(c.violation.meta.root_names()) <= vocab
    ]
    skip: set[int] = set()
    if screened:
        used = sorted({n for i in screened for n in checks[i].violation.meta.root_names()})
        combos = data.select(used).unique()
        # Few rows per combination (a small table) would make the screen cost what it saves.
        if combos.height <= data.height // 4:
            broken = combos.select(checks[i].violation.any().alias(str(i)) for i in screened)
            skip = {i for i in screened if not broken[str(i)][0]}
    direct = [i for i, c in enumerate(checks) if i not in skip and c.row_local]
    masks = data.select(checks[i].violation.alias(str(i)) for i in direct) if direct else None
    none = pl.Series("", [], pl.UInt32)
    out = []
    for i, check in enumerate(checks):
        if i in skip:
            out.append(none)
        elif check.unique_key is not None:
            out.append(_duplicated_rows(data, list(check.unique_key)))
        else:
            assert masks is not None  # every row-local check that is not skipped is in it
            out.append(masks.get_column(str(i)).arg_true())
    return out


def _duplicated_rows(data: pl.DataFrame, fields: list[str]) -> pl.Series:
    """Rows whose key (not entirely blank) occurs more than once, as the ``unique`` kind says."""
    hashes = data.select(row_hash(fields)).to_series()
    if hashes.n_unique() == hashes.len():
        return pl.Series("", [], pl.UInt32)
    candidates = hashes.is_duplicated().arg_true()
    key = pl.struct(fields) if len(fields) > 1 else pl.col(fields[0])
    any_set = pl.any_horizontal([pl.col(f).is_not_null() for f in fields])
    exact = data.select(fields)[candidates].select(key.is_duplicated() & any_set).to_series()
    found: pl.Series = candidates.filter(exact)
    return found


_INTERNAL = pl.Schema(
    {
        "_i": pl.Int64,
        "rule": pl.String,
        "severity": pl.String,
        "rfield": pl.String,
        "message": pl.String,
    }
)


def _column_failures(
    data: pl.DataFrame, cb: Codebook, table: str, absent: frozenset[str]
) -> pl.DataFrame:
    """Run the pandera column schema (no rule checks) lazily; its failures as internal rows."""
    cases = column_failure_cases(data, cb, table, absent)
    if cases is None:
        return pl.DataFrame(schema=_INTERNAL)
    cases = cases.filter(pl.col("index").is_not_null())
    required = pl.col("check") == "not_nullable"
    return cases.select(
        pl.col("index").cast(pl.Int64).alias("_i"),
        pl.when(required).then(pl.lit(REQUIRED_RULE)).otherwise(pl.lit(TYPE_RULE)).alias("rule"),
        pl.lit("error").alias("severity"),
        pl.col("column").alias("rfield"),
        pl.when(required)
        .then(pl.concat_str(pl.col("column"), pl.lit(" is required")))
        .otherwise(pl.concat_str(pl.col("column"), pl.lit(" has the wrong type: "), "check"))
        .alias("message"),
    )


def _values_at(data: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """Add the offending value (fields joined by ', ' when a rule blames several)."""
    parts = []
    for rfield, group in rows.partition_by("rfield", as_dict=True).items():
        names = [n for n in str(rfield[0]).split(", ") if n in data.columns]
        idx = group["_i"]
        if names:
            picked = data.select(names)[idx].select(
                pl.concat_str(
                    [pl.col(n).cast(pl.String).fill_null("") for n in names], separator=", "
                )
            )
            group = group.with_columns(picked.to_series().alias("value"))
        else:
            group = group.with_columns(pl.lit(None, pl.String).alias("value"))
        parts.append(group)
    if not parts:
        return rows.with_columns(pl.lit(None, pl.String).alias("value"))
    return pl.concat(parts)


def _attach_provenance(failures: pl.DataFrame, data: pl.DataFrame) -> pl.DataFrame:
    """Name the task, annotation and coder of each failure when the table carries them."""
    cols = [
        c
        for c in ("task_id", "article_id", "annotation_id", "coder", "event_key")
        if c in data.columns and c in PROVENANCE_NAMES
    ]
    if not cols:
        return failures
    prov = data.select(cols).with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    rest = [c for c in FAILURE_SCHEMA if c != ROW]
    return failures.join(prov, on=ROW, how="left").select(ROW, *cols, *rest)


def validate_file(
    path: str | Path,
    cb: Codebook,
    table: str = "events",
    *,
    encoding: str | None = None,
    date_format: str | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> ValidationResult:
    """Read a table file (:func:`~eventcoder.schema.reading.open_table`) and validate it."""
    read = open_table(path, encoding=encoding)
    result = validate(read.frame, cb, table, on_progress, date_format=date_format, source=str(path))
    return replace(result, notes=(*read.notes, *result.notes))


def write_result(
    result: ValidationResult, folder: str | Path, stem: str = "events"
) -> dict[str, Path]:
    """Write accepted, rejected, warnings and changes as Parquet files in ``folder``; return
    their paths.

    The four appear together or not at all (:func:`eventcoder.files.output_set`).
    """
    from eventcoder.files import output_set

    with output_set(folder) as out:
        return {
            kind: out.parquet(getattr(result, kind), f"{stem}.{kind}.parquet")
            for kind in ("accepted", "rejected", "warnings", "changes")
        }
