"""What changed between two releases: events added, removed, and changed field by field."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from eventcoder.datasets.ids import ID

CHANGES_SCHEMA = {
    ID: pl.String,
    "change": pl.String,  # added | removed | changed
    "field": pl.String,
    "old": pl.String,
    "new": pl.String,
}
# Assigned at publication, so never reported as a change of the event itself.
IGNORED = ("timestamp",)
LISTED = 200  # entries per section written out in CHANGELOG.md; the rest are in changes.parquet


@dataclass(frozen=True)
class Changes:
    """One row per added event, removed event, and changed (event, field)."""

    table: pl.DataFrame
    previous: str | None

    def ids(self, change: str) -> list[str]:
        """Sorted ids of events with this kind of change."""
        part = self.table.filter(pl.col("change") == change)
        return sorted(part[ID].unique().to_list(), key=_id_key)

    @property
    def counts(self) -> dict[str, int]:
        return {c: len(self.ids(c)) for c in ("added", "removed", "changed")}


def _id_key(event_id: str) -> tuple[str, int]:
    digits = event_id.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return (event_id[: len(event_id) - len(digits)], int(digits) if digits.isdigit() else -1)


def diff_events(old: pl.DataFrame | None, new: pl.DataFrame, previous: str | None) -> Changes:
    """Return the changes from ``old`` to ``new`` (both events tables keyed by event id)."""
    if old is None:
        added = new.select(ID, change=pl.lit("added"))
        return Changes(_fill(added), previous)
    fields = [c for c in new.columns if c in old.columns and c != ID and c not in IGNORED]
    added = new.join(old.select(ID), on=ID, how="anti").select(ID, change=pl.lit("added"))
    removed = old.join(new.select(ID), on=ID, how="anti").select(ID, change=pl.lit("removed"))

    def long(frame: pl.DataFrame, value: str) -> pl.DataFrame:
        return frame.select(ID, *(pl.col(f).cast(pl.String) for f in fields)).unpivot(
            on=fields, index=ID, variable_name="field", value_name=value
        )

    changed = (
        long(new, "new")
        .join(long(old, "old"), on=[ID, "field"], how="inner")
        .filter(pl.col("old").ne_missing(pl.col("new")))
        .select(ID, pl.lit("changed").alias("change"), "field", "old", "new")
    )
    table = pl.concat([_fill(added), _fill(removed), changed.cast(CHANGES_SCHEMA)])
    return Changes(table, previous)


def _fill(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        *(pl.lit(None, pl.String).alias(c) for c in ("field", "old", "new"))
    ).cast(CHANGES_SCHEMA)


def changelog_section(changes: Changes, name: str, version: str, date: str) -> str:
    """The Markdown section of one release: counts, then every id added, removed or changed."""
    c = changes.counts
    against = f"against {changes.previous}" if changes.previous else "first release"
    lines = [
        f"## {name} {version} ({date})",
        "",
        f"{c['added']} event(s) added, {c['removed']} removed, {c['changed']} changed ({against}).",
        "",
    ]
    for kind in ("added", "removed"):
        ids = changes.ids(kind)
        if ids:
            shown = ", ".join(ids[:LISTED])
            more = f" and {len(ids) - LISTED} more (changes.parquet)" if len(ids) > LISTED else ""
            lines += [f"### {kind.capitalize()}", "", shown + more, ""]
    changed = changes.table.filter(pl.col("change") == "changed")
    if changed.height:
        lines += ["### Changed", ""]
        order = {i: n for n, i in enumerate(changes.ids("changed"))}
        rows = sorted(changed.iter_rows(named=True), key=lambda r: (order[r[ID]], r["field"]))
        for r in rows[:LISTED]:
            lines.append(f"- {r[ID]}: {r['field']} {_show(r['old'])} -> {_show(r['new'])}")
        if len(rows) > LISTED:
            lines.append(f"- and {len(rows) - LISTED} more field change(s) (changes.parquet)")
        lines.append("")
    return "\n".join(lines)


def _show(value: str | None) -> str:
    return "(blank)" if value is None else repr(value)


def changelog(section: str, previous_text: str | None) -> str:
    """The whole CHANGELOG.md: this release's section on top of the previous release's log."""
    head = "# Changelog\n\n"
    older = ""
    if previous_text:
        older = previous_text.removeprefix(head).lstrip("\n")
    return head + section.rstrip("\n") + "\n" + ("\n" + older if older else "")
