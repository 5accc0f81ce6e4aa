"""Failures counted for a person: one row per rule and field, however they were found.

``validate`` finds failures per row of a table, ``convert`` per annotation of an export; both
are summed up here the same way, so both commands print the same table.
"""

from __future__ import annotations

import polars as pl

SEVERITY_ORDER = {"error": 0, "warning": 1}


def count_failures(
    failures: pl.DataFrame,
    *,
    key: str,
    label: str,
    by: tuple[str, ...] = ("rule", "field", "severity"),
) -> pl.DataFrame:
    """Return one row per rule, field and severity: ``failures``, and ``label`` distinct ``key``s.

    ``failures`` needs the columns ``rule``, ``field`` (null for a rule about a whole row or
    annotation), ``severity`` and ``key``. Errors come first, then warnings; within each, the
    most frequent first, then by rule and field. ``by`` without ``field`` counts per rule.
    """
    order = ["_order", "failures", *(c for c in ("rule", "field") if c in by)]
    return (
        failures.group_by(*by)
        .agg(pl.len().alias("failures"), pl.col(key).n_unique().alias(label))
        .with_columns(pl.col("severity").replace_strict(SEVERITY_ORDER, default=2).alias("_order"))
        .sort(order, descending=[False, True] + [False] * (len(order) - 2), nulls_last=True)
        .drop("_order")
    )
