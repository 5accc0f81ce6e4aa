"""Renderers shared by several stages: the table of failures by rule and field.

``validate`` and ``convert`` print the same table, from
:func:`eventcoder.schema.failures.count_failures` (rows or annotations in the last column).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from eventcoder.cli.app import console

if TYPE_CHECKING:
    import polars as pl

COLOURS = {"error": "red", "warning": "yellow"}


def render_failures(counts: pl.DataFrame) -> None:
    """Print ``counts`` (rule, field, severity, failures, and a count of what they touch)."""
    if not counts.height:
        return
    unit = counts.columns[4]
    table = Table("rule", "field", "severity", "failures", unit, title="Failures by rule and field")
    for rule, field, severity, failures, touched in counts.iter_rows():
        colour = COLOURS.get(severity, "default")
        table.add_row(
            rule, field or "-", f"[{colour}]{severity}[/]", f"{failures:,}", f"{touched:,}"
        )
    console.print(table)
