"""Events from results: Event regions, mention regions, one row per event, predictions.

Each Event region of an annotation becomes one row; the per-region controls that fill its
fields are pivoted into columns in SQL built from the codebook's controls. Mention regions
(``Actor``, ``Place``, ...) carry no field and become the ``mentions`` table. Predictions are
kept apart from human annotations.
"""

from __future__ import annotations

import duckdb
import polars as pl

from eventcoder.annotate.config import EVENT_LABEL, LABELS_NAME
from eventcoder.annotate.convert.reading import (
    PREDICTION_OBJECT,
    RESULT_JSON,
    TEXT_VALUE,
    frame,
    sql_name,
    sql_text,
)
from eventcoder.schema.codebook import Codebook


def region_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Build the DuckDB tables ``ev`` (Event regions) and ``men`` (mention regions)."""
    labels, event = sql_text(LABELS_NAME), sql_text(EVENT_LABEL)
    # Event regions: one per (annotation, region id) labelled Event.
    con.execute(f"""
      CREATE TEMP TABLE ev AS
      SELECT r.annotation_id, r.region, first(r.span_start) AS span_start,
             first(r.span_end) AS span_end, first(r.span_text) AS evidence
      FROM res r
      WHERE r.from_name = {labels} AND list_contains(r.labels, {event})
      GROUP BY ALL
    """)
    # Mention regions: one per (annotation, region id, label) with a label other than Event.
    con.execute(f"""
      CREATE TEMP TABLE men AS
      SELECT annotation_id, region, label, first(span_start) AS span_start,
             first(span_end) AS span_end, first(span_text) AS text
      FROM (SELECT annotation_id, region, span_start, span_end, span_text,
                   unnest(labels) AS label
            FROM res WHERE from_name = {labels})
      WHERE label <> {event}
      GROUP BY ALL
    """)


def event_rows(
    con: duckdb.DuckDBPyConnection, cb: Codebook, field_controls: dict[str, str]
) -> pl.DataFrame:
    """One row per Event region: its annotation, span, the fields its controls fill, task data."""
    # Each field's column is the value of whichever of its controls the region has: a field
    # can have several controls (one sub-event control per event type, shown conditionally).
    controls_of: dict[str, list[str]] = {}
    for control, name in sorted(field_controls.items()):
        controls_of.setdefault(name, []).append(control)
    fields = sorted(controls_of)
    pivot = ", ".join(
        [
            "annotation_id",
            "region",
            *(
                f"first(value) FILTER (WHERE from_name IN ({_texts(controls_of[n])})) "
                f"AS {sql_name(n)}"
                for n in fields
            ),
        ]
    )
    task_fields = [sql_name(f"data__{f.name}") for f in cb.fields_by_origin("assisted", "coded")]
    return frame(
        con,
        f"""
      WITH piv AS (
        SELECT {pivot} FROM res
        WHERE from_name IN ({_texts(list(field_controls)) or "NULL"})
        GROUP BY annotation_id, region
      )
      SELECT a.project_id, a.task_id, a.article_id, a.annotation_id, a.coder,
             e.region AS event_key, e.span_start, e.span_end, e.evidence,
             a.created_at, a.updated_at, a.lead_time,
             {", ".join(f"p.{sql_name(n)}" for n in fields) or "NULL AS _none"},
             {", ".join(f"t.{n}" for n in task_fields)}
      FROM ev e JOIN ann a USING (annotation_id)
      JOIN tasks t ON t.task_id = a.task_id
      LEFT JOIN piv p ON p.annotation_id = e.annotation_id AND p.region = e.region
    """,
    )


def _texts(values: list[str]) -> str:
    return ", ".join(sql_text(v) for v in values)


def annotation_rows(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One row per annotation: task, article, coder, cancelled or not, times."""
    return frame(
        con,
        """
      SELECT task_id, article_id, annotation_id, coder, was_cancelled, created_at, updated_at,
             lead_time FROM ann""",
    )


def mention_rows(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One row per mention region and label (no owner columns yet)."""
    return frame(
        con,
        "SELECT annotation_id, region, label, span_start, span_end, text FROM men",
    )


def prediction_rows(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One row per prediction result, kept apart from human annotations."""
    return frame(
        con,
        f"""
      WITH each AS (
        SELECT task_id, article_id, unnest(from_json(predictions, '["JSON"]')) AS p
        FROM tasks WHERE json_type(predictions) = 'ARRAY'
      ),
      p AS (
        -- objects only, each on its own: a quick export lists predictions by id
        SELECT task_id, article_id, from_json(p, '{PREDICTION_OBJECT}') AS p
        FROM each WHERE json_type(p) = 'OBJECT'
      ),
      r AS (SELECT task_id, article_id, p.id AS prediction_id, p.model_version, p.score,
                   unnest(from_json(p.result, '{RESULT_JSON}')) AS r FROM p)
      SELECT task_id, article_id, prediction_id, model_version, score, r.id AS region,
             r.from_name, r.value.start AS span_start, r.value."end" AS span_end,
             array_to_string(r.value.labels, '; ') AS labels, {TEXT_VALUE} AS value
      FROM r
    """,
    )
