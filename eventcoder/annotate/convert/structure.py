"""Structural checks: does the export fit the codebook's labeling config, result by result.

Two outcomes. An export this codebook cannot read at all (no result uses its controls, a region
label its config does not offer) is refused with an :class:`ExportFormatError`. A result that
does not fit (an unknown control, a choice the control does not offer, a value for no Event
region, a control filled twice, offsets that do not cut the region's text) is a problem row
that rejects its annotation.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from eventcoder.annotate.config import EVENT_LABEL, LABELS_NAME, Control, control_field
from eventcoder.annotate.convert.reading import frame
from eventcoder.errors import ExportFormatError
from eventcoder.schema.codebook import Codebook


def field_controls(cb: Codebook, controls: dict[str, Control]) -> dict[str, str]:
    """The codebook field each per-region control of the config fills, by control name."""
    found = {n: control_field(n, cb) for n in sorted(controls) if n != LABELS_NAME}
    return {n: f for n, f in found.items() if f is not None}


def check_config(
    con: duckdb.DuckDBPyConnection, path: Path, cb: Codebook, controls: dict[str, Control]
) -> None:
    """Raise :class:`ExportFormatError` if the export was made with another labeling config.

    Registers the config's controls, choices, fields and labels as the DuckDB tables
    ``_controls``, ``_choices``, ``_fields`` and ``_labels`` the other checks read.
    """
    names = sorted(controls)
    known_labels = list(controls[LABELS_NAME].choices) if LABELS_NAME in controls else []
    con.register("_controls", pl.DataFrame({"from_name": names}).to_arrow())
    # An export with results but none from our controls was made with another config.
    found = con.execute("""
        SELECT count(*) FILTER (WHERE from_name IN (SELECT from_name FROM _controls)),
               count(*), min(a.task_id) FILTER (WHERE r.from_name NOT IN
                                                 (SELECT from_name FROM _controls))
        FROM res r JOIN ann a USING (annotation_id)""").fetchall()[0]
    if found and found[1] and not found[0]:
        raise ExportFormatError(
            f"{path}: task {found[2]}: made with another labeling config (no result uses this "
            "codebook's controls); convert it with the codebook of its project",
            path=str(path),
            task=found[2],
        )
    if LABELS_NAME not in controls or EVENT_LABEL not in known_labels:
        raise ExportFormatError(
            f"{path}: the labeling config has no {EVENT_LABEL!r} label", path=str(path)
        )

    fields = field_controls(cb, controls)
    choice_rows = [(n, ch) for n, c in controls.items() if c.tag == "Choices" for ch in c.choices]
    con.register(
        "_choices",
        pl.DataFrame(
            {"from_name": [n for n, _ in choice_rows], "choice": [c for _, c in choice_rows]},
            schema={"from_name": pl.String, "choice": pl.String},
        ).to_arrow(),
    )
    con.register(
        "_fields",
        pl.DataFrame(
            {"from_name": list(fields), "field": list(fields.values())},
            schema={"from_name": pl.String, "field": pl.String},
        ).to_arrow(),
    )
    con.register("_labels", pl.DataFrame({"label": known_labels}).to_arrow())
    # A region label the config does not offer means the export was made with another version
    # of the config: its regions cannot be read as this codebook's, so refuse the file.
    unknown = con.execute(f"""
        SELECT a.task_id, l FROM (SELECT annotation_id, unnest(labels) AS l FROM res
                                  WHERE from_name = '{LABELS_NAME}') r
        JOIN ann a USING (annotation_id)
        WHERE l NOT IN (SELECT label FROM _labels) ORDER BY a.task_id LIMIT 1""").fetchall()
    if unknown:
        task, label = unknown[0]
        raise ExportFormatError(
            f"{path}: task {task}: unknown label {label!r} (the labeling config offers "
            f"{', '.join(known_labels)}); convert it with the codebook of its project",
            path=str(path),
            task=task,
        )


def structural_problems(con: duckdb.DuckDBPyConnection, cb: Codebook) -> pl.DataFrame:
    """One row per structural problem (annotation, region, field, rule, value, message)."""
    # Structural problems, one row each (value as text), before any pivoting.
    problems = frame(
        con,
        """
      WITH items AS (
        SELECT r.*, f.field, e.region IS NOT NULL AS has_event
        FROM res r LEFT JOIN _fields f USING (from_name)
        LEFT JOIN ev e ON e.annotation_id = r.annotation_id AND e.region = r.region
      )
      SELECT annotation_id, region AS event_key, from_name AS field, 'unknown-control' AS rule,
             value, 'no control called ' || from_name || ' in the labeling config' AS message
      FROM items WHERE from_name NOT IN (SELECT from_name FROM _controls)

      UNION ALL
      SELECT annotation_id, region, field, 'orphan-control', value,
             field || ' is set for region ' || coalesce(region, '(none)')
               || ', which is no Event region'
      FROM items WHERE field IS NOT NULL AND NOT has_event AND region IS NOT NULL
      UNION ALL
      SELECT annotation_id, region, field, 'not-per-region', value,
             field || ' is set for the whole article, not for an Event region'
      FROM items WHERE field IS NOT NULL AND region IS NULL
      UNION ALL
      SELECT annotation_id, region, field, 'repeated-control', string_agg(value, ' | '),
             field || ' is filled ' || count(*) || ' times for this region'
      FROM items WHERE field IS NOT NULL AND has_event
      GROUP BY annotation_id, region, field, from_name HAVING count(*) > 1
      UNION ALL
      SELECT e.annotation_id, e.region, 'evidence', 'span-mismatch',
             e.evidence,
             'offsets ' || e.span_start || '-' || e.span_end
               || ' do not cut this text out of the article'
      FROM ev e JOIN ann a USING (annotation_id) JOIN tasks t ON t.task_id = a.task_id
      WHERE e.span_start IS NULL OR e.span_end IS NULL OR e.evidence IS NULL
         OR span_cut(t.article_text, e.span_start, e.span_end)
            IS DISTINCT FROM e.evidence
      UNION ALL
      SELECT m.annotation_id, m.region, 'mention', 'span-mismatch', m.text,
             m.label || ' mention: offsets ' || coalesce(m.span_start::VARCHAR, '?') || '-'
               || coalesce(m.span_end::VARCHAR, '?') || ' do not cut this text out of the article'
      FROM men m JOIN ann a USING (annotation_id) JOIN tasks t ON t.task_id = a.task_id
      WHERE m.span_start IS NULL OR m.span_end IS NULL OR m.text IS NULL
         OR span_cut(t.article_text, m.span_start, m.span_end)
            IS DISTINCT FROM m.text
    """,
    )
    bad_choices = frame(
        con,
        """
      SELECT r.annotation_id, r.region AS event_key, f.field, r.from_name, ch AS value
      FROM (SELECT annotation_id, region, from_name, unnest(choices) AS ch
            FROM res WHERE choices IS NOT NULL) r
      JOIN _fields f USING (from_name)
      WHERE NOT EXISTS (SELECT 1 FROM _choices c WHERE c.from_name = r.from_name
                        AND c.choice = r.ch)
    """,
    )
    problems = pl.concat([problems, _choice_problems(bad_choices, cb)], how="diagonal_relaxed")
    return problems


def _choice_problems(bad: pl.DataFrame, cb: Codebook) -> pl.DataFrame:
    """Choice values a control does not offer, under the field's vocabulary rule id if any."""
    if bad.height == 0:
        return pl.DataFrame(
            schema={
                "annotation_id": pl.Int64,
                "event_key": pl.String,
                "field": pl.String,
                "rule": pl.String,
                "value": pl.String,
                "message": pl.String,
            }
        )
    rule_of = {r.params.get("field"): r for r in cb.rules if r.kind == "in_vocabulary"}
    rules = bad["field"].map_elements(
        lambda f: rule_of[f].id if f in rule_of else "choice-not-in-config", return_dtype=pl.String
    )
    return bad.select(
        "annotation_id",
        "event_key",
        "field",
        rules.alias("rule"),
        "value",
        pl.format("{} is not offered by control {}", "value", "from_name").alias("message"),
    )
