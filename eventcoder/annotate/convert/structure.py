"""Structural checks: is this one export of this codebook's labeling config, result by result.

Two outcomes. An export this codebook cannot read as its own is refused with an
:class:`ExportFormatError`, one line naming the task, annotation or name at fault: a task with
no id or no article text, two different tasks (or two annotations) sharing an id, an article id
naming two texts, a result from a control, of a type or on an object the config does not have,
a region label it does not offer. A task repeated whole is taken once, with a note. A result
that fits the config but not the coding (a choice the control does not offer, a value for no
Event region, a control filled twice, offsets that do not cut the region's text, an annotation
whose ``result`` is null) is a problem row that rejects its annotation.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from eventcoder.annotate.config import EVENT_LABEL, LABELS_NAME, Control, control_field
from eventcoder.annotate.convert.reading import frame, sql_name
from eventcoder.errors import ExportFormatError
from eventcoder.schema.codebook import Codebook

_SHOWN = 5  # ids named in a message before "and N more"


def _listed(values: list[object]) -> str:
    shown = ", ".join(str(v) for v in values[:_SHOWN])
    return shown + (f" and {len(values) - _SHOWN} more" if len(values) > _SHOWN else "")


def check_tasks(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Refuse tasks that cannot be told apart or have no article; take whole repeats once.

    Returns notes, one per task id that appeared more than once with identical content.
    """
    missing = con.execute("""
        SELECT count(*) FILTER (WHERE task_id IS NULL),
               min(task_id) FILTER (WHERE article_text IS NULL),
               min(task_id) FILTER (WHERE no_data)
        FROM tasks""").fetchone()
    assert missing is not None
    if missing[2] is not None:
        # Label Studio's JSON-MIN and CSV exports flatten each annotation onto its task's
        # columns: no data object, no annotation list, nothing convert could account for.
        raise ExportFormatError(
            f"{path}: task {missing[2]} has no data object: not a Label Studio JSON export "
            "(a JSON-MIN or CSV export holds no annotation list); export the project as JSON",
            path=str(path),
            task=missing[2],
        )
    if missing[0]:
        raise ExportFormatError(
            f"{path}: {missing[0]} task(s) without an id: not a Label Studio export; export the "
            "project again as JSON",
            path=str(path),
        )
    if missing[1] is not None:
        raise ExportFormatError(
            f"{path}: task {missing[1]}: no article text (data.text): made for another labeling "
            "config; convert it with the codebook of its project",
            path=str(path),
            task=missing[1],
        )
    # Everything convert reads of a task, equal in every copy, or the copies are two tasks:
    # its own columns, and each of its flat result rows repeated once per copy. Only repeated
    # ids are compared: DISTINCT keeps what it compares in memory.
    repeats = con.execute("""
        SELECT task_id, count(*) FROM tasks GROUP BY task_id HAVING count(*) > 1
        ORDER BY task_id""").fetchall()
    if not repeats:
        _check_articles(con, path)
        return []
    con.register(
        "_repeats",
        pl.DataFrame(
            repeats, schema={"task_id": pl.Int64, "copies": pl.Int64}, orient="row"
        ).to_arrow(),
    )
    differing = [
        task
        for (task,) in con.execute(f"""
        SELECT task_id FROM tasks WHERE task_id IN (SELECT task_id FROM _repeats)
        GROUP BY task_id HAVING count(DISTINCT ({_columns(con, "tasks")})) > 1
        UNION
        SELECT f.task_id FROM flat f JOIN _repeats USING (task_id)
        GROUP BY f.task_id, f.i, f.j, _repeats.copies
        HAVING count(*) <> _repeats.copies OR count(DISTINCT ({_columns(con, "flat", "f.")})) > 1
        ORDER BY task_id""").fetchall()
    ]
    if differing:
        raise ExportFormatError(
            f"{path}: task id(s) {_listed(differing)} each name different tasks: an export must "
            "hold each task once; export the project again",
            path=str(path),
            task=differing[0],
        )
    _check_articles(con, path)
    con.execute("""
        DELETE FROM tasks WHERE task_id IN (SELECT task_id FROM _repeats)
          AND rowid NOT IN (SELECT min(rowid) FROM tasks GROUP BY task_id);
        DELETE FROM flat WHERE task_id IN (SELECT task_id FROM _repeats)
          AND rowid NOT IN (SELECT min(rowid) FROM flat
                            WHERE task_id IN (SELECT task_id FROM _repeats)
                            GROUP BY task_id, i, j)""")
    return [
        f"task {task} appears {copies} times with the same content; taken once"
        for task, copies in repeats
    ]


def draft_notes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """A note counting the drafts (annotations saved, never submitted), which are not converted.

    Label Studio exports a coder's unsubmitted work beside the task's annotations; it is no
    coding yet, but a task whose coder only saved a draft would otherwise look uncoded, unsaid.
    """
    row = con.execute(
        "SELECT sum(drafts), count(*) FILTER (WHERE drafts > 0) FROM tasks"
    ).fetchone()
    if not row or not row[0]:
        return []
    return [
        f"{row[0]:,} draft(s) in {row[1]:,} task(s), saved but never submitted, are not "
        "converted; ask their coders to submit them and export again to include them"
    ]


def _columns(con: duckdb.DuckDBPyConnection, table: str, prefix: str = "") -> str:
    """Every column of ``table`` but ``task_id``, quoted, for a row comparison."""
    names = [d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description]
    return ", ".join(prefix + sql_name(n) for n in names if n != "task_id")


def _check_articles(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse an article id naming two texts: agreement would align coders of two articles."""
    clash = con.execute("""
        SELECT article_id, list(DISTINCT task_id ORDER BY task_id) FROM tasks
        WHERE article_id IS NOT NULL GROUP BY article_id
        HAVING count(DISTINCT article_text) > 1 ORDER BY article_id LIMIT 1""").fetchone()
    if clash:
        article, tasks = clash
        raise ExportFormatError(
            f"{path}: article id {article!r} names different texts in tasks {_listed(tasks)}; "
            "give each article its own id",
            path=str(path),
            task=tasks[0],
        )


def check_annotations(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse annotations without an id, or two annotations sharing one."""
    row = con.execute("""
        SELECT min(task_id) FILTER (WHERE annotation_id IS NULL) FROM ann""").fetchone()
    if row and row[0] is not None:
        raise ExportFormatError(
            f"{path}: task {row[0]}: an annotation without an id: not a Label Studio export; "
            "export the project again as JSON",
            path=str(path),
            task=row[0],
        )
    shared = con.execute("""
        SELECT annotation_id, list(task_id ORDER BY task_id) FROM ann
        GROUP BY annotation_id HAVING count(*) > 1 ORDER BY annotation_id""").fetchall()
    if shared:
        ids = [a for a, _ in shared]
        annotation, tasks = shared[0]
        raise ExportFormatError(
            f"{path}: annotation id(s) {_listed(ids)} appear more than once (annotation "
            f"{annotation} in tasks {_listed(tasks)}): each annotation must have its own id; "
            "export the project again",
            path=str(path),
            task=tasks[0],
        )


def check_results(
    con: duckdb.DuckDBPyConnection, path: Path, controls: dict[str, Control], targets: set[str]
) -> None:
    """Refuse a result from a control, of a type or on an object the labeling config lacks.

    Label Studio stores whatever a client posts, so a result naming another config's control
    (or a bounding box on a control that happens to share a name) only shows up here.
    """
    con.register(
        "_kinds",
        pl.DataFrame(
            {"from_name": list(controls), "kind": [c.tag.lower() for c in controls.values()]},
            schema={"from_name": pl.String, "kind": pl.String},
        ).to_arrow(),
    )
    con.register(
        "_targets",
        pl.DataFrame({"to_name": sorted(targets)}, schema={"to_name": pl.String}).to_arrow(),
    )
    bad = con.execute("""
        SELECT r.task_id, r.annotation_id, r.from_name, r.to_name, r.type, k.kind
        FROM res r LEFT JOIN _kinds k USING (from_name)
        WHERE k.kind IS NULL OR r.type IS DISTINCT FROM k.kind
           OR r.to_name IS NULL OR r.to_name NOT IN (SELECT to_name FROM _targets)
        ORDER BY r.task_id, r.annotation_id LIMIT 1""").fetchone()
    if bad is None:
        return
    task, annotation, name, target, kind, expected = bad
    if expected is None:
        what = f"a result from control {name!r}, which the labeling config does not have"
    elif kind != expected:
        what = f"a {kind!r} result from control {name!r}, whose results are {expected!r}"
    else:
        what = f"a result on object {target!r}, which the labeling config does not have"
    raise ExportFormatError(
        f"{path}: task {task}, annotation {annotation}: {what}; convert it with the codebook "
        "(or --config) of its project",
        path=str(path),
        task=task,
    )


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
        SELECT r.annotation_id, r.region, r.from_name, r.value, f.field,
               e.region IS NOT NULL AS has_event
        FROM res r JOIN _fields f USING (from_name)
        LEFT JOIN ev e ON e.annotation_id = r.annotation_id AND e.region = r.region
      )
      SELECT annotation_id, NULL AS event_key, 'result' AS field, 'result-missing' AS rule,
             NULL AS value,
             'the annotation has no result list (result is null), which is not a coder '
               || 'finding no event' AS message
      FROM ann WHERE no_result AND NOT was_cancelled
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
      SELECT annotation_id, region, 'evidence', 'repeated-region',
             string_agg(DISTINCT coalesce(span_start::VARCHAR, '?') || '-'
                        || coalesce(span_end::VARCHAR, '?'), ' | '),
             'region ' || region || ' is drawn '
               || count(DISTINCT (span_start, span_end, span_text))
               || ' times, over different text: one id cannot be two regions'
      FROM res WHERE from_name = '{LABELS}' AND region IS NOT NULL
        -- the distinct counts only for regions labelled more than once (a few, if any)
        AND (annotation_id, region) IN (
          SELECT annotation_id, region FROM res
          WHERE from_name = '{LABELS}' AND region IS NOT NULL
          GROUP BY annotation_id, region HAVING count(*) > 1)
      GROUP BY annotation_id, region
      HAVING count(DISTINCT (span_start, span_end, span_text)) > 1
      UNION ALL
      SELECT e.annotation_id, e.region, 'evidence', 'span-mismatch',
             e.evidence,
             'offsets ' || coalesce(e.span_start::VARCHAR, '?') || '-'
               || coalesce(e.span_end::VARCHAR, '?') || ' do not cut this text out of the article'
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
    """.replace("{LABELS}", LABELS_NAME),
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


# What each key of a prediction, and of each of its results, may be: a JSON type of DuckDB's
# json_type, or absent. Parsed to the predictions table, any other silently became null (a
# score of "high", a start of "zero") or took its prediction with it (a result that is no list).
_INTEGER = ("UBIGINT", "BIGINT")
_PREDICTION_KEYS = {
    "$.id": (*_INTEGER, "NULL"),
    "$.score": (*_INTEGER, "DOUBLE", "NULL"),
    "$.result": ("ARRAY", "NULL"),
}
_PREDICTED_KEYS = {
    "$.id": ("VARCHAR", *_INTEGER),
    "$.from_name": ("VARCHAR",),
    "$.value": ("OBJECT",),
    "$.value.start": (*_INTEGER, "NULL"),
    "$.value.end": (*_INTEGER, "NULL"),
    "$.value.labels": ("ARRAY", "NULL"),
    "$.value.choices": ("ARRAY", "NULL"),
}


def _mistyped(column: str, keys: dict[str, tuple[str, ...]]) -> str:
    """SQL: the first key of ``keys`` whose JSON type in ``column`` is not allowed, or null."""
    paths = list(keys)
    cases = " ".join(
        f"WHEN t[{i}] IS NOT NULL AND t[{i}] NOT IN ({', '.join(repr(k) for k in allowed)}) "
        f"THEN '{path[2:]} as ' || lower(t[{i}])"
        for i, (path, allowed) in enumerate(keys.items(), start=1)
        if "NULL" in allowed
    )
    required = " ".join(
        f"WHEN t[{i}] IS NULL OR t[{i}] NOT IN ({', '.join(repr(k) for k in allowed)}) "
        f"THEN '{path[2:]} as ' || lower(coalesce(t[{i}], 'nothing'))"
        for i, (path, allowed) in enumerate(keys.items(), start=1)
        if "NULL" not in allowed
    )
    types = f"json_type({column}, [{', '.join(repr(p) for p in paths)}])"
    return f"(SELECT CASE {required} {cases} END FROM (SELECT {types} AS t))"


def check_predictions(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse a prediction, or a predicted result, holding a value of a type no server writes.

    A quick export lists predictions by id (bare numbers): those are left alone. A prediction
    given as an object must have the shape Label Studio exports, or the predictions table
    would hold nulls where the file holds values, unseen.
    """
    bad = con.execute(f"""
        WITH p AS (
          SELECT task_id, unnest(from_json(predictions, '["JSON"]')) AS p
          FROM tasks WHERE json_type(predictions) = 'ARRAY'
        ),
        obj AS (SELECT task_id, p FROM p WHERE json_type(p) = 'OBJECT'),
        r AS (
          SELECT task_id, p, unnest(from_json(p -> '$.result', '["JSON"]')) AS r
          FROM obj WHERE json_type(p, '$.result') = 'ARRAY'
        )
        SELECT task_id, p ->> '$.id', what FROM (
          SELECT task_id, p, {_mistyped("p", _PREDICTION_KEYS)} AS what FROM obj
          UNION ALL
          SELECT task_id, p, CASE WHEN json_type(r) <> 'OBJECT'
                                  THEN 'a result as ' || lower(json_type(r))
                                  ELSE 'a result with ' || {_mistyped("r", _PREDICTED_KEYS)}
                             END FROM r
        ) WHERE what IS NOT NULL
        UNION ALL
        SELECT task_id, NULL, 'predictions as ' || lower(json_type(predictions)) FROM tasks
        WHERE json_type(predictions) NOT IN ('ARRAY', 'NULL')
        ORDER BY 1 LIMIT 1""").fetchone()
    if bad is None:
        return
    task, prediction, what = bad
    for duck, said in (("varchar", "text"), ("ubigint", "a number"), ("bigint", "a number")):
        what = what.replace(f" as {duck}", f" as {said}")
    what = what.replace(" as double", " as a fraction")
    which = f"prediction {prediction}" if prediction is not None else "its predictions"
    raise ExportFormatError(
        f"{path}: task {task}, {which}: {what}, which no Label Studio export holds; this file "
        "was not written by a Label Studio server as it is",
        path=str(path),
        task=task,
    )
