"""Reading a Label Studio JSON export into DuckDB tables, without a Python object per value.

An export is one JSON array of tasks, each holding its annotations, each holding a flat list of
results. DuckDB's ``read_json`` with an explicit column spec streams the array, keeps only the
keys named below, types them as it goes, and ``unnest`` flattens tasks -> annotations ->
results into the tables ``tasks``, ``ann`` (one row per annotation) and ``res`` (one row per
result). Why not ``orjson.loads``: ``docs/convert.md``; figures: ``bench/bench_convert.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import orjson
import polars as pl

from eventcoder.errors import ExportFormatError
from eventcoder.schema.codebook import Codebook

# The shapes the reader keeps, as DuckDB's JSON structure specs: a type name, a one-element
# list for a list, a dict for a struct. Keys left out are skipped by the parser.
_Spec = str | list[Any] | dict[str, Any]

# A result: the region and every kind of value a control can give.
_RESULT: _Spec = {
    "id": "VARCHAR",
    "from_name": "VARCHAR",
    "to_name": "VARCHAR",
    "type": "VARCHAR",
    "value": {
        "start": "BIGINT",
        "end": "BIGINT",
        "text": "JSON",
        "labels": ["VARCHAR"],
        "choices": ["VARCHAR"],
        "number": "JSON",
        "datetime": "VARCHAR",
    },
}
_ANNOTATION: _Spec = {
    "id": "BIGINT",
    "completed_by": "JSON",
    "result": [_RESULT],
    "was_cancelled": "BOOLEAN",
    "created_at": "VARCHAR",
    "updated_at": "VARCHAR",
    "lead_time": "DOUBLE",
}
_TASK: dict[str, _Spec] = {
    "id": "BIGINT",
    "project": "BIGINT",
    "data": "JSON",
    "annotations": [_ANNOTATION],
    "predictions": "JSON",  # full objects in a snapshot, bare ids in a quick export
}
_PREDICTION: _Spec = {
    "id": "BIGINT",
    "model_version": "VARCHAR",
    "score": "DOUBLE",
    "result": "JSON",
}


def _sql_type(spec: _Spec) -> str:
    """The DuckDB type of a spec: ``{"a": ["VARCHAR"]}`` gives ``STRUCT("a" VARCHAR[])``."""
    if isinstance(spec, str):
        return spec
    if isinstance(spec, list):
        return f"{_sql_type(spec[0])}[]"
    return "STRUCT(" + ", ".join(f"{sql_name(k)} {_sql_type(v)}" for k, v in spec.items()) + ")"


# ``from_json`` takes the spec as JSON text: the results and predictions stored as JSON.
RESULT_JSON = orjson.dumps([_RESULT]).decode()
PREDICTION_JSON = orjson.dumps([_PREDICTION]).decode()
# A character outside the Basic Multilingual Plane: two UTF-16 code units, one code point.
_ASTRAL = r"[\x{10000}-\x{10FFFF}]"


def _fail(path: Path, err: Exception) -> ExportFormatError:
    first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return ExportFormatError(
        f"{path}: not a complete Label Studio JSON export ({first[:160]}); export it again as JSON",
        path=str(path),
    )


TEXT_VALUE = """
    CASE
      WHEN r.value.choices IS NOT NULL THEN array_to_string(r.value.choices, '; ')
      WHEN r.value.number IS NOT NULL THEN json_extract_string(r.value.number, '$')
      WHEN r.value.datetime IS NOT NULL THEN r.value.datetime
      WHEN json_type(r.value.text) = 'ARRAY'
        THEN array_to_string(from_json(r.value.text, '["VARCHAR"]'), '; ')
      ELSE json_extract_string(r.value.text, '$')
    END"""


def load_export(con: duckdb.DuckDBPyConnection, path: Path, cb: Codebook) -> None:
    """Read the export into DuckDB tables ``ann`` (one row per annotation) and ``res``."""
    cols = ", ".join(f"{sql_text(k)}: {sql_text(_sql_type(v))}" for k, v in _TASK.items())
    task_fields = [f.name for f in cb.fields_by_origin("assisted", "coded")]
    data_cols = ", ".join(
        f"json_extract_string(data, '$.{n}') AS {sql_name('data__' + n)}" for n in task_fields
    )
    try:
        con.execute(
            f"""
          CREATE TEMP TABLE tasks AS
          SELECT id AS task_id, project AS project_id,
                 json_extract_string(data, '$.id') AS article_id,
                 json_extract_string(data, '$.text') AS article_text,
                 coalesce(regexp_matches(json_extract_string(data, '$.text'), '{_ASTRAL}'),
                          false) AS astral,
                 {data_cols}, annotations, predictions
          FROM read_json(?, format='array', columns={{{cols}}}, maximum_object_size=67108864)
        """,
            [str(path)],
        )
    except duckdb.Error as err:
        raise _fail(path, err) from None
    coder = (
        "coalesce(json_extract_string(a.completed_by, '$.email'), "
        "json_extract_string(a.completed_by, '$'))"
    )
    con.execute(f"""
      CREATE TEMP TABLE ann AS
      SELECT t.task_id, t.project_id, t.article_id, a.id AS annotation_id, {coder} AS coder,
             coalesce(a.was_cancelled, false) AS was_cancelled,
             a.created_at, a.updated_at, a.lead_time, a.result
      FROM (SELECT task_id, project_id, article_id, unnest(annotations) AS a FROM tasks) t
    """)
    con.execute(f"""
      CREATE TEMP TABLE res AS
      SELECT annotation_id, r.id AS region, r.from_name, r.type,
             r.value.start AS span_start, r.value."end" AS span_end,
             r.value.labels AS labels, r.value.choices AS choices,
             json_extract_string(r.value.text, '$') AS span_text,
             json_type(r.value.text) AS text_type, {TEXT_VALUE} AS value
      FROM (SELECT annotation_id, unnest(result) AS r FROM ann)
    """)
    # The nested columns are unnested now; dropping them frees most of the parsed export.
    con.execute("ALTER TABLE ann DROP COLUMN result; ALTER TABLE tasks DROP COLUMN annotations")


def check_brackets(path: Path) -> None:
    """Fail fast on a file that is not one JSON array (empty, an object, cut off at the end)."""
    with path.open("rb") as fh:
        head = fh.read(4096).lstrip()
        fh.seek(max(0, path.stat().st_size - 4096))
        tail = fh.read().rstrip()
    if not head.startswith(b"[") or not tail.endswith(b"]"):
        what = (
            "empty"
            if not head
            else "not a JSON list of tasks"
            if not head.startswith(b"[")
            else "cut off before its end"
        )
        raise ExportFormatError(
            f"{path}: not a complete Label Studio JSON export (the file is {what}); export it "
            "again as JSON",
            path=str(path),
        )


def frame(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    """The result of ``sql`` as a polars frame (zero-copy through Arrow)."""
    return pl.from_arrow(con.sql(sql).to_arrow_table())  # type: ignore[return-value]


def sql_text(value: str) -> str:
    """``value`` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def sql_name(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'
