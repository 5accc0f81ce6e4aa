"""What changed between two releases: events added, removed, and changed field by field."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from eventcoder.datasets.ids import ID
from eventcoder.hashing import row_hash


def changes_schema(id_col: str = ID) -> pl.Schema:
    """Columns of the changes table, keyed by the codebook's id column."""
    return pl.Schema(
        {
            id_col: pl.String(),
            "change": pl.String(),  # added | removed | changed
            "field": pl.String(),
            "old": pl.String(),
            "new": pl.String(),
        }
    )


# Assigned at publication, so never reported as a change of the event itself.
IGNORED = ("timestamp",)
LISTED = 200  # entries per section written out in CHANGELOG.md; the rest are in changes.parquet


@dataclass(frozen=True)
class Changes:
    """One row per added event, removed event, and changed (event, field)."""

    table: pl.DataFrame
    previous: str | None
    id_col: str = ID

    def ids(self, change: str, limit: int | None = None) -> list[str]:
        """Ids of events with this kind of change, in prefix then serial order."""
        id_col = self.id_col
        part = self.table.filter(pl.col("change") == change).select(id_col).unique()
        prefix = pl.col(id_col).str.strip_chars_end("0123456789")
        keyed = part.with_columns(
            _p=prefix,
            _s=pl.col(id_col).str.slice(prefix.str.len_chars()).cast(pl.Int64, strict=False),
        )
        if limit is not None:
            # The first few of a million ids: a partial sort, not a full one.
            return (
                keyed.bottom_k(limit, by=["_p", "_s", id_col])
                .sort("_p", "_s", id_col)[id_col]
                .to_list()
            )
        return keyed.sort("_p", "_s", id_col)[id_col].to_list()

    @property
    def counts(self) -> dict[str, int]:
        per = self.table.group_by("change").agg(pl.col(self.id_col).n_unique())
        found = dict(zip(per["change"].to_list(), per[self.id_col].to_list(), strict=True))
        return {c: int(found.get(c, 0)) for c in ("added", "removed", "changed")}


def diff_events(
    old: pl.DataFrame | None,
    new: pl.DataFrame,
    previous: str | None,
    *,
    id_col: str = ID,
    ignore: tuple[str, ...] = IGNORED,
) -> Changes:
    """Return the changes from ``old`` to ``new`` (both events tables keyed by ``id_col``).

    Columns in ``ignore`` (set at publication, like a timestamp) are never reported.
    """
    schema = changes_schema(id_col)
    if old is None:
        added = new.select(id_col, change=pl.lit("added"))
        return Changes(_fill(added, schema), previous, id_col)
    fields = [c for c in new.columns if c in old.columns and c != id_col and c not in ignore]
    added = new.join(old.select(id_col), on=id_col, how="anti").select(
        id_col, change=pl.lit("added")
    )
    removed = old.join(new.select(id_col), on=id_col, how="anti").select(
        id_col, change=pl.lit("removed")
    )

    # Find the events that changed by a row hash first; only those are compared field by field.
    fp = row_hash(fields).alias("_fp")
    both = new.select(id_col, fp).join(
        old.select(id_col, fp), on=id_col, how="inner", suffix="_old"
    )
    touched = both.filter(pl.col("_fp") != pl.col("_fp_old")).select(id_col)
    new_t, old_t = new.join(touched, on=id_col), old.join(touched, on=id_col)

    def long(frame: pl.DataFrame, value: str) -> pl.DataFrame:
        return frame.select(id_col, *(pl.col(f).cast(pl.String) for f in fields)).unpivot(
            on=fields, index=id_col, variable_name="field", value_name=value
        )

    changed = (
        long(new_t, "new")
        .join(long(old_t, "old"), on=[id_col, "field"], how="inner")
        .filter(pl.col("old").ne_missing(pl.col("new")))
        .select(id_col, pl.lit("changed").alias("change"), "field", "old", "new")
    )
    table = pl.concat([_fill(added, schema), _fill(removed, schema), changed.cast(schema)])
    return Changes(table, previous, id_col)


def _fill(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    return frame.with_columns(
        *(pl.lit(None, pl.String).alias(c) for c in ("field", "old", "new"))
    ).cast(schema)


def changelog_section(changes: Changes, name: str, version: str, date: str) -> str:
    """The Markdown section of one release: counts, then every id added, removed or changed."""
    id_col = changes.id_col
    c = changes.counts
    against = f"against {changes.previous}" if changes.previous else "first release"
    lines = [
        f"## {name} {version} ({date})",
        "",
        f"{c['added']} event(s) added, {c['removed']} removed, {c['changed']} changed ({against}).",
        "",
    ]
    for kind in ("added", "removed"):
        ids = changes.ids(kind, LISTED)
        if ids:
            more = c[kind] - len(ids)
            tail = f" and {more} more (changes.parquet)" if more > 0 else ""
            lines += [f"### {kind.capitalize()}", "", ", ".join(ids) + tail, ""]
    if c["changed"]:
        ids = changes.ids("changed", LISTED)
        order = pl.DataFrame(
            {id_col: ids, "_o": range(len(ids))}, schema={id_col: pl.String, "_o": pl.Int64}
        )
        rows = (
            changes.table.filter(pl.col("change") == "changed")
            .join(order, on=id_col)
            .sort("_o", "field")
            .head(LISTED)
        )
        total = changes.table.filter(pl.col("change") == "changed").height
        lines += ["### Changed", ""]
        for r in rows.iter_rows(named=True):
            lines.append(f"- {r[ID]}: {r['field']} {_show(r['old'])} -> {_show(r['new'])}")
        if total > rows.height:
            lines.append(f"- and {total - rows.height} more field change(s) (changes.parquet)")
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
