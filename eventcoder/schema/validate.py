"""Validate event tables against a codebook: every row accepted or rejected, every failure named.

``validate(frame, codebook)`` reads the layouts users hold (ACLED's current 31-column export with
actor types as text or numeric codes, the 2019-2022 layout, dates as ``2021-06-10`` or
``10 June 2021``), brings values to the codebook's canonical spellings, derives what the codebook
can derive, runs the pandera schema lazily and returns accepted rows, rejected rows with their
reasons, and one failure row per (row, rule, field) with the offending value.

Two rule ids are built in, besides the codebook's own: ``required-field`` (a required field is
blank) and ``field-type`` (a value cannot be read as the field's type: ``fatalities`` = "many").

Rows are numbered from 1, in input order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandera.polars as pa
import polars as pl

from eventcoder.errors import InputError
from eventcoder.hashing import row_hash
from eventcoder.schema.codebook import Codebook, Field
from eventcoder.schema.rules import (
    HELPER_PREFIX,
    Check,
    add_reference_columns,
    compile_checks,
    derivations,
)
from eventcoder.schema.tables import (
    PROVENANCE,
    PROVENANCE_NAMES,
    polars_dtype,
    schema,
)

ROW = "row"
_BAD = "__ec_bad_"
REQUIRED_RULE = "required-field"
TYPE_RULE = "field-type"
DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%d-%b-%y", "%d/%m/%Y", "%Y/%m/%d")
FAILURE_SCHEMA = {
    ROW: pl.Int64,
    "rule": pl.String,
    "severity": pl.String,
    "field": pl.String,
    "value": pl.String,
    "message": pl.String,
}


@dataclass(frozen=True)
class ValidationResult:
    """What validation found. ``accepted.height + rejected.height`` is the input's row count."""

    accepted: pl.DataFrame
    rejected: pl.DataFrame
    failures: pl.DataFrame
    notes: tuple[str, ...] = ()

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
        """One row per rule: severity, failures, distinct rows affected; most frequent first."""
        return (
            self.failures.group_by("rule", "severity")
            .agg(pl.len().alias("failures"), pl.col(ROW).n_unique().alias("rows"))
            .sort(["severity", "failures", "rule"], descending=[False, True, False])
        )

    def summary(self) -> dict[str, object]:
        """Plain-data summary: counts and per-rule failures."""
        return {
            "rows": self.total,
            "accepted": self.accepted.height,
            "rejected": self.rejected.height,
            "warnings": self.warnings.height,
            "rules": self.counts_by_rule().to_dicts(),
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def read_table(path: str | Path) -> pl.DataFrame:
    """Read an events table (CSV, TSV or Parquet); CSV cells stay text until validation."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file", path=path)
    try:
        if path.suffix.lower() == ".parquet":
            return pl.read_parquet(path)
        sep = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
        return pl.read_csv(path, infer_schema=False, separator=sep, encoding="utf8-lossy")
    except (pl.exceptions.PolarsError, OSError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"{path}: cannot read it as a table ({first})", path=path) from None


# --------------------------------------------------------------------------------------------
# Preparing: layouts, spellings, types, derivations
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A frame brought to the codebook's columns and types, before rules run."""

    frame: pl.DataFrame
    type_failures: pl.DataFrame
    absent: frozenset[str]
    notes: tuple[str, ...]


def _derivable(cb: Codebook) -> set[str]:
    out = {f for f, _ in derivations(cb)}
    gaz = cb.references.gazetteer
    if gaz is not None and any(
        r.kind in ("place_known", "coordinates_near_place") for r in cb.rules
    ):
        out |= {c for c in gaz.columns if c in cb.field_names}
    return out


def _parse(col: pl.Expr, ftype: str, source: pl.DataType) -> pl.Expr:
    if ftype == "string":
        return col.cast(pl.String)
    if ftype == "date":
        if source == pl.Date:
            return col
        if source in (pl.Datetime, pl.Datetime("us"), pl.Datetime("ns"), pl.Datetime("ms")):
            return col.cast(pl.Date)
        text = col.cast(pl.String)
        return pl.coalesce([text.str.to_date(fmt, strict=False) for fmt in DATE_FORMATS])
    if ftype == "integer":
        if source.is_integer():
            return col.cast(pl.Int64)
        number = _number(col, source)
        return pl.when(number == number.round(0)).then(number.cast(pl.Int64, strict=False))
    if ftype == "number":
        return _number(col, source)
    if ftype == "boolean":
        text = col.cast(pl.String).str.to_lowercase().str.strip_chars()
        return (
            pl.when(text.is_in(["true", "1", "yes"]))
            .then(True)
            .when(text.is_in(["false", "0", "no"]))
            .then(False)
        )
    raise ValueError(ftype)  # pragma: no cover - field types are checked at load


def prepare(frame: pl.DataFrame, cb: Codebook, table: str = "events") -> Prepared:
    """Bring ``frame`` to the codebook's columns, spellings and types; derive what can be derived.

    Raises :class:`InputError` when a field that coders must fill is missing as a column.
    """
    notes: list[str] = []
    renames = {}
    for f in cb.fields:
        if f.name not in frame.columns:
            alias = next((a for a in f.aliases if a in frame.columns), None)
            if alias:
                renames[alias] = f.name
    if renames:
        frame = frame.rename(renames)
        notes.append(
            "renamed legacy columns: " + ", ".join(f"{a} -> {b}" for a, b in renames.items())
        )

    derivable = _derivable(cb)
    must_have = [f.name for f in cb.fields if f.required and f.origin == "coded"]
    if table == "annotations":
        must_have = [name for name, _, req, _ in PROVENANCE if req] + must_have
    missing = [c for c in must_have if c not in frame.columns]
    if missing:
        raise InputError(f"missing required column(s): {', '.join(missing)}")
    absent = {f.name for f in cb.fields if f.name not in frame.columns}
    derived_absent = sorted(absent & derivable)
    skipped = sorted(absent - derivable)
    if derived_absent:
        notes.append("derived columns absent from the input: " + ", ".join(derived_absent))
    if skipped:
        notes.append(
            "columns absent from the input, left blank and not checked: " + ", ".join(skipped)
        )

    frame = frame.with_columns(pl.lit(None, polars_dtype(cb.field(c))).alias(c) for c in absent)
    # Text read from CSV is trimmed; a typed frame (Parquet) is taken as written, since trimming
    # a million long strings costs more than the whole rule set. Blank means missing in both.
    from_text = all(dtype == pl.String for dtype in frame.schema.values())
    original = frame
    frame, flagged = _type_fields(frame, cb, from_text)
    type_failures = _type_failures(original, flagged, cb)

    for name, dtype, _, _ in PROVENANCE:
        if name in frame.columns and table == "annotations":
            frame = frame.with_columns(pl.col(name).cast(dtype, strict=False))
    frame = add_reference_columns(frame, cb)
    # A derivation fills blanks only; a column with none (a full export) is left alone.
    frame = frame.with_columns(
        pl.coalesce(pl.col(field), expr.cast(frame.schema[field], strict=False)).alias(field)
        for field, expr in derivations(cb)
        if frame[field].null_count()
    )
    return Prepared(frame, type_failures, frozenset(absent - derivable), tuple(notes))


def _number(col: pl.Expr, source: pl.DataType) -> pl.Expr:
    if source.is_numeric():
        return col.cast(pl.Float64)
    return col.cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)


def _normalise(col: pl.Expr, f: Field, cb: Codebook, source: pl.DataType) -> pl.Expr:
    """A field's raw values as canonical text or values: trimmed, blank and null codes to null,
    codes and aliases to the vocabulary's canonical spelling."""
    if source == pl.String:
        col = col.str.strip_chars()
        col = pl.when(col == "").then(None).otherwise(col)
    vocab = cb.vocabularies.get(f.vocabulary) if f.vocabulary else None
    if vocab is None:
        return col
    text = col.cast(pl.String)
    nulls = [str(c) for c in vocab.null_codes]
    spell = {k: str(v) for k, v in vocab.spellings().items() if k != str(v)}
    out = text.replace(spell) if spell else text
    return pl.when(text.is_in(nulls)).then(None).otherwise(out) if nulls else out


def _typed_by_value(
    frame: pl.DataFrame, f: Field, cb: Codebook, distinct: pl.Series
) -> tuple[pl.Expr | None, pl.Series]:
    """Type a field value by value: the field's distinct values are few (a vocabulary) or repeat a
    great deal (dates), so each is read once and the column mapped, instead of reading every row.

    Returns the typed expression (None when the column is already canonical) and the raw values
    that cannot be read as the field's type.
    """
    source = frame.schema[f.name]
    target = polars_dtype(f)
    small = pl.DataFrame({"raw": distinct}).drop_nulls()
    norm = _normalise(pl.col("raw"), f, cb, source)
    # A vocabulary's spellings are text, whatever the column's type.
    parsed = _parse(norm, f.type, pl.String if f.vocabulary else source)
    small = small.select("raw", norm.alias("norm"), parsed.cast(target).alias("typed"))
    bad = small.filter(pl.col("norm").is_not_null() & pl.col("typed").is_null())["raw"]
    unchanged = source == target and (
        small.select((pl.col("raw").cast(target) == pl.col("typed")).fill_null(False).all()).item()
    )
    if unchanged:
        return None, bad
    col = pl.col(f.name).replace_strict(
        small["raw"], small["typed"], default=None, return_dtype=target
    )
    return col, bad


def _type_fields(
    frame: pl.DataFrame, cb: Codebook, from_text: bool
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every codebook field in its type; second frame: a flag column per field with bad values.

    The common case costs little: vocabulary fields and dates are typed per distinct value, and
    numbers try a plain cast first, taking the slow path (trim, whole-number floats) only when
    some value needs it.
    """
    by_value = [f for f in cb.fields if f.vocabulary or f.type == "date"]
    by_value = [f for f in by_value if frame.schema[f.name] != polars_dtype(f) or f.vocabulary]
    lists = frame.select(pl.col(f.name).unique().implode() for f in by_value)
    distinct = [lists[f.name][0] for f in by_value]
    done = {f.name for f in by_value}
    numeric = [f for f in cb.fields if f.type in ("integer", "number") and f.name not in done]
    fast = {
        f.name: pl.col(f.name).cast(polars_dtype(f), strict=False)
        for f in numeric
        if frame.schema[f.name] == pl.String
    }
    misses = (
        frame.select(
            (pl.col(n).is_not_null() & e.is_null()).sum().alias(n) for n, e in fast.items()
        ).row(0, named=True)
        if fast
        else {}
    )

    typed: list[pl.Expr] = []
    flags: list[pl.Expr] = []
    for f, values in zip(by_value, distinct, strict=True):
        expr, bad = _typed_by_value(frame, f, cb, values)
        if expr is not None:
            typed.append(expr.alias(f.name))
        if bad.len():
            flags.append(pl.col(f.name).is_in(bad.implode()).alias(f"{_BAD}{f.name}"))
    for f in cb.fields:
        if f.name in done:
            continue
        source = frame.schema[f.name]
        col = pl.col(f.name)
        if f.name in fast and not misses[f.name]:
            typed.append(fast[f.name].alias(f.name))
            continue
        if source == pl.String:
            col = col.str.strip_chars() if from_text else col
            col = pl.when(col == "").then(None).otherwise(col)
        parsed = _parse(col, f.type, source)
        typed.append(parsed.alias(f.name))
        if f.type != "string" and source != polars_dtype(f):
            flags.append((col.is_not_null() & parsed.is_null()).alias(f"{_BAD}{f.name}"))
    other_text = [
        pl.col(c).str.strip_chars()
        for c, dtype in frame.schema.items()
        if from_text and dtype == pl.String and c not in cb.field_names
    ]
    flagged = frame.select(flags) if flags else pl.DataFrame()
    return frame.with_columns(*typed, *other_text), flagged


def _type_failures(original: pl.DataFrame, flagged: pl.DataFrame, cb: Codebook) -> pl.DataFrame:
    parts = []
    for name in [c for c in flagged.columns if c.startswith(_BAD)]:
        rows = flagged[name].arg_true()
        if rows.len() == 0:
            continue
        field = name.removeprefix(_BAD)
        parts.append(
            pl.DataFrame(
                {
                    ROW: (rows + 1).cast(pl.Int64),
                    "rule": TYPE_RULE,
                    "severity": "error",
                    "field": field,
                    "value": original[field].cast(pl.String).gather(rows),
                    "message": f"{field} is not a valid {cb.field(field).type}",
                },
                schema=FAILURE_SCHEMA,
            )
        )
    return pl.concat(parts) if parts else pl.DataFrame(schema=FAILURE_SCHEMA)


# --------------------------------------------------------------------------------------------
# Validating
# --------------------------------------------------------------------------------------------


def validate(
    frame: pl.DataFrame,
    cb: Codebook,
    table: str = "events",
    on_progress: Callable[[str], None] | None = None,
) -> ValidationResult:
    """Validate every row of ``frame`` against the codebook; return accepted, rejected, failures.

    Never raises for rows that break rules (that is what the result is for); raises
    :class:`InputError` only when the input lacks required columns.
    """
    say = on_progress or (lambda _msg: None)
    say("preparing")
    prepared = prepare(frame, cb, table)
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
    rejected = (
        out.with_row_index(ROW, offset=1)
        .filter(bad)
        .with_columns(pl.col(ROW).cast(pl.Int64))
        .join(error_rows, on=ROW, how="left", maintain_order="left")
    )
    return ValidationResult(accepted, rejected, failures, prepared.notes)


def _run_schema(
    data: pl.DataFrame, cb: Codebook, table: str, checks: list[Check], absent: frozenset[str]
) -> pl.DataFrame:
    """Failures of the pandera column schema (types, required) and of every rule check.

    pandera checks the columns; the rule checks, the very expressions the pandera schema's
    dataframe checks wrap (``tables.schema``), are evaluated here together, with the shortcuts
    of :func:`_violating_rows`. pandera's polars backend runs each check as its own query and
    serialises every failing row, which costs 40x more on a million rows; tests prove both
    paths, and the shortcuts, find the same failures.
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
    rows = pl.concat([p.cast(_INTERNAL) for p in parts])  # type: ignore[arg-type]
    values = _values_at(data, rows)
    return values.select(
        (pl.col("_i") + 1).alias(ROW),
        "rule",
        "severity",
        pl.col("rfield").alias("field"),
        "value",
        "message",
    ).cast(FAILURE_SCHEMA)  # type: ignore[arg-type]


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
            out.append(masks.get_column(str(i)).arg_true())  # type: ignore[union-attr]
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
    return candidates.filter(exact)


_INTERNAL = {
    "_i": pl.Int64,
    "rule": pl.String,
    "severity": pl.String,
    "rfield": pl.String,
    "message": pl.String,
}


def _column_failures(
    data: pl.DataFrame, cb: Codebook, table: str, absent: frozenset[str]
) -> pl.DataFrame:
    """Run the pandera column schema (no rule checks) lazily; its failures as internal rows."""
    try:
        schema(cb, table, skip_fields=absent, checks=[]).validate(data, lazy=True)
        return pl.DataFrame(schema=_INTERNAL)
    except pa.errors.SchemaErrors as err:
        cases = pl.DataFrame(err.failure_cases)
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


def validate_file(path: str | Path, cb: Codebook, table: str = "events") -> ValidationResult:
    """Read and validate a table file."""
    return validate(read_table(path), cb, table)


def write_result(
    result: ValidationResult, folder: str | Path, stem: str = "events"
) -> dict[str, Path]:
    """Write accepted, rejected and warnings as Parquet files in ``folder``; return their paths.

    The three appear together or not at all (:func:`eventcoder.files.output_set`).
    """
    from eventcoder.files import output_set

    with output_set(folder) as out:
        return {
            kind: out.parquet(getattr(result, kind), f"{stem}.{kind}.parquet")
            for kind in ("accepted", "rejected", "warnings")
        }
