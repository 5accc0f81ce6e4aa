"""Renderers shared by several stages: the table of failures by rule and field, the changes line.

``validate`` and ``convert`` print the same table, from
:func:`eventcoder.schema.failures.count_failures` (rows or annotations in the last column), and
the same line counting the values the codebook changed.
"""

from __future__ import annotations

from pathlib import Path
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


def say_changes(changes: pl.DataFrame, path: Path) -> None:
    """One line: how many values the codebook changed, by reason, and the table listing them."""
    if not changes.height:
        return
    counts = changes.group_by("reason").len().sort("len", "reason", descending=True)
    n = changes.height
    console.print(
        f"{n:,} value{'s' if n != 1 else ''} changed as the codebook declares ("
        + ", ".join(f"{k:,} {reason}" for reason, k in counts.iter_rows())
        + f"): {path.name}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
