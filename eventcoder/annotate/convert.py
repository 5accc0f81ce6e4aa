"""Label Studio JSON exports turned into validated tables, with every annotation accounted for.

Reader. An export is one JSON array of tasks, each holding its annotations, each holding a flat
list of results. A plain ``orjson.loads`` builds tens of millions of Python objects for a large
export (about 29 s and 6.6 GB for 811 MB), so the export is read with DuckDB's ``read_json``
and an explicit column spec: the parser streams the array, keeps only the keys named below, types
them as it goes, and ``unnest`` flattens tasks -> annotations -> results into one columnar
table without a Python object per value. The per-region results are then pivoted to one row per
event region with conditional aggregation in the same SQL (the pivot is generated from the
labeling config's control names). polars reads the result zero-copy through Arrow and the
codebook validator runs on it. Small files and in-memory task lists go through the same code (a
task list is written to a temporary file first), so what the tests check is what runs at scale.
``bench/bench_convert.py`` measures it against ``orjson.loads``: on a 1.46 GB synthetic export
(100,000 tasks x 3 annotations x 2 events, 11 results per event; 2-core machine) ``orjson.loads``
took 196 s with a 12.5 GB peak, the whole convert 35 s with a 4.1 GB peak (2.8x the file), with
DuckDB capped at 1.5x the file size (it spills beyond that).

Counting. Every annotation ends up in exactly one of three states, so that
``total = accepted + rejected + skipped``:

- **skipped**: cancelled by the coder (``was_cancelled``); listed in ``skipped``.
- **rejected**: at least one problem of severity error in any of its results or events. The
  annotation is the unit because a coder's judgement covers the whole article: keeping the good
  half of an annotation would make the coder look as if they missed an event. Its problems are in
  ``rejects``; its events that had no problem of their own get one row with rule
  ``annotation-rejected``, so every event is accounted for too.
- **accepted**: everything else, including an annotation submitted with no event (the coder found
  none). Its events are the rows of ``annotations``.

A region label the config does not offer is not a reject but an :class:`ExportFormatError`: the
export was made with another config, whose regions this codebook cannot read.

Rule ids the converter adds to the validator's (``required-field``, ``field-type``) and the
codebook's own (``sub-event-type-known``, ...):

=====================  ==========================================================================
unknown-control        a result's ``from_name`` is no control of the labeling config
choice-not-in-config   a choice the control does not offer (rule of the field's vocabulary if any)
orphan-control         a per-region value whose region id is no Event region of the annotation
repeated-control       the same control filled more than once for one region
span-mismatch          a region's offsets do not cut its own text out of the article (neither
                       in code points nor, for articles with characters outside the BMP, in
                       UTF-16 code units)
not-per-region         a field control filled for the whole task instead of for an Event region
annotation-rejected    an event with no problem of its own, in a rejected annotation
utf16-offsets          (warning) a region's offsets fit its text only in UTF-16 code units;
                       kept as code points
=====================  ==========================================================================

Offsets. ``span_start``/``span_end`` in ``annotations`` and ``mentions`` are Unicode code point
offsets into the article text (Python's ``text[span_start:span_end]``), which is also what Label
Studio 1.23.2's editor sends. Read from the sources shipped in its own package
(``web/dist/apps/labelstudio/358.js.map``, the same files as ``web/libs/editor/src`` of
HumanSignal/label-studio): on mouse-up the Text tag's view (``tags/object/RichText/view.jsx``)
calls ``fixCodePointsInRange`` on the selection (``utils/selection-tools.js``: "In python and
other modern tools complex unicode symbols handled as code points, not UTF chars"), and
``addRegion`` (``RichText/model.js``) takes the region's ``start``/``end`` from
``rangeToGlobalOffset``, whose ``findGlobalOffset`` counts every text node as
``[...node.textContent].length``, in code points. Older editors counted UTF-16 code units
(label-studio issues #1008 and #1347; pull request #1559, "Store code points instead of js
length"). The server stores whatever it is sent, so UTF-16 offsets still arrive: in exports of
projects coded with those versions, and from any client that counts as JavaScript's
``String.length`` does. An article
with a character outside the Basic Multilingual Plane (an emoji, a mathematical letter, a CJK
extension character) gives such offsets away: they cut the wrong text. So a region whose
offsets do not cut its own text in code points, in an article with such a character, is read
again in UTF-16 code units (:func:`utf16_to_code_points`, only for those regions, each such
article's text read once); if that cuts exactly its text, the offsets are kept as code points
and a warning with rule ``utf16-offsets`` names the region and its original offsets. Otherwise,
and for every article without such a character, the offsets are a ``span-mismatch``. Recorded:
``tests/data/ls_export_unicode.json``, where a coder marked "Russian jets" after three such
characters in the real 1.23.2 editor (headless Chromium) and it stored 21-33, the code points
(UTF-16 would be 27-39). Cost, measured on 30,000 tasks (489 MB, 90,000 annotations): 6.2 s
either way when no article has such a character; 7.1 s when every article has one before
every region and every offset is in UTF-16 (all recounted), against 6.3 s before this check.

Text as shown. The same editor counts every character in its offsets (line breaks, ``\\r\\n`` as
two characters as in Python, repeated spaces), but stores a region's text as the selection is
shown: runs of spaces read as one, spaces next to a line break dropped, each line break written
as the two characters ``\\n`` (:func:`editor_text`). A region whose offsets cut a text that the
editor shows as its stored text is right, and takes the article's own text. Recorded in the real
editor: ``tests/data/ls_export_paragraphs_*.json`` (LF, CRLF, doubled spaces and a tab, lines
holding one space, no-break spaces, which it keeps).

Mentions. Regions labelled with a mention label (``Actor``, ``Place``, ``Date``, ``Fatalities``,
see :mod:`eventcoder.annotate.config`) carry no field; they become the ``mentions`` table, one row
per region and label of an accepted annotation (task_id, article_id, annotation_id, coder,
region, label, span_start, span_end, text), written as ``mentions.parquet``. A mention whose
offsets do not cut its text is a ``span-mismatch`` (field ``mention``) like an Event region's: the
table promises offsets that can be trusted.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import orjson
import polars as pl

from eventcoder.annotate.config import (
    EVENT_LABEL,
    LABELS_NAME,
    Control,
    control_field,
    labeling_config,
    parse_controls,
)
from eventcoder.errors import ExportFormatError, InputError
from eventcoder.schema.codebook import Codebook
from eventcoder.schema.tables import PROVENANCE, table_columns
from eventcoder.schema.validate import validate

REJECT_SCHEMA: dict[str, pl.DataType] = {
    "task_id": pl.Int64(),
    "article_id": pl.String(),
    "annotation_id": pl.Int64(),
    "coder": pl.String(),
    "event_key": pl.String(),
    "field": pl.String(),
    "rule": pl.String(),
    "value": pl.String(),
    "message": pl.String(),
}
KEY = ["task_id", "annotation_id", "event_key"]
MENTION_SCHEMA: dict[str, pl.DataType] = {
    "task_id": pl.Int64(),
    "article_id": pl.String(),
    "annotation_id": pl.Int64(),
    "coder": pl.String(),
    "region": pl.String(),
    "label": pl.String(),
    "span_start": pl.Int64(),
    "span_end": pl.Int64(),
    "text": pl.String(),
}

# What the reader keeps of each result: the region and every kind of value a control can give.
_RESULT = (
    "STRUCT(id VARCHAR, from_name VARCHAR, to_name VARCHAR, type VARCHAR, "
    'value STRUCT(start BIGINT, "end" BIGINT, text JSON, labels VARCHAR[], '
    "choices VARCHAR[], number JSON, datetime VARCHAR))[]"
)
_COLUMNS = {
    "id": "BIGINT",
    "project": "BIGINT",
    "data": "JSON",
    "annotations": (
        f"STRUCT(id BIGINT, completed_by JSON, result {_RESULT}, "
        "was_cancelled BOOLEAN, created_at VARCHAR, updated_at VARCHAR, "
        "lead_time DOUBLE)[]"
    ),
    "predictions": "JSON",  # full objects in a snapshot, bare ids in a quick export
}
_RESULT_JSON = orjson.dumps(
    [
        {
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
    ]
).decode()
# A character outside the Basic Multilingual Plane: two UTF-16 code units, one code point.
_ASTRAL = r"[\x{10000}-\x{10FFFF}]"
_PREDICTION = '[{"id": "BIGINT", "model_version": "VARCHAR", "score": "DOUBLE", "result": "JSON"}]'


@dataclass(frozen=True)
class Conversion:
    """What an export became. ``total == accepted + rejected + skipped`` (annotations)."""

    annotations: pl.DataFrame
    rejects: pl.DataFrame
    skipped: pl.DataFrame
    predictions: pl.DataFrame
    warnings: pl.DataFrame
    total: int
    accepted: int
    rejected: int
    events_accepted: int = 0
    events_rejected: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
    # One row per accepted annotation (task, article, coder, events found), those with no event
    # included: event detection needs to know who coded an article and found nothing in it.
    coded: pl.DataFrame = field(default_factory=pl.DataFrame)
    # One row per mention region (Actor, Place, Date, Fatalities) of an accepted annotation.
    mentions: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=MENTION_SCHEMA))

    @property
    def skipped_count(self) -> int:
        return self.skipped.height

    def reconciliation(self) -> str:
        """The one-line account of every annotation in the export."""
        return (
            f"{self.total:,} annotations: {self.accepted:,} accepted, {self.rejected:,} rejected, "
            f"{self.skipped_count:,} skipped"
        )

    def summary(self) -> dict[str, Any]:
        """Plain-data counts, for ``--json`` and reports."""
        return {
            "annotations": self.total,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "skipped": self.skipped_count,
            "events_accepted": self.events_accepted,
            "events_rejected": self.events_rejected,
            "rejects": self.rejects.height,
            "warnings": self.warnings.height,
            "predictions": self.predictions.height,
            "mentions": self.mentions.height,
        }


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _controls(cb: Codebook, config: str | None) -> dict[str, Control]:
    return parse_controls(config if config is not None else labeling_config(cb))


def _fail(path: Path, err: Exception) -> ExportFormatError:
    first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return ExportFormatError(
        f"{path}: not a complete Label Studio JSON export ({first[:160]}); export it again as JSON",
        path=str(path),
    )


_TEXT_VALUE = """
    CASE
      WHEN r.value.choices IS NOT NULL THEN array_to_string(r.value.choices, '; ')
      WHEN r.value.number IS NOT NULL THEN json_extract_string(r.value.number, '$')
      WHEN r.value.datetime IS NOT NULL THEN r.value.datetime
      WHEN json_type(r.value.text) = 'ARRAY'
        THEN array_to_string(from_json(r.value.text, '["VARCHAR"]'), '; ')
      ELSE json_extract_string(r.value.text, '$')
    END"""


def _load(
    con: duckdb.DuckDBPyConnection, path: Path, cb: Codebook, controls: dict[str, Control]
) -> None:
    """Read the export into DuckDB tables ``ann`` (one row per annotation) and ``res``."""
    cols = ", ".join(f"'{k}': '{v}'" for k, v in _COLUMNS.items())
    task_fields = [f.name for f in cb.fields_by_origin("assisted", "coded")]
    data_cols = ", ".join(
        f"json_extract_string(data, '$.{n}') AS \"data__{n}\"" for n in task_fields
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
             json_type(r.value.text) AS text_type, {_TEXT_VALUE} AS value
      FROM (SELECT annotation_id, unnest(result) AS r FROM ann)
    """)
    # The nested columns are unnested now; dropping them frees most of the parsed export.
    con.execute("ALTER TABLE ann DROP COLUMN result; ALTER TABLE tasks DROP COLUMN annotations")


# --------------------------------------------------------------------------------------------
# Converting
# --------------------------------------------------------------------------------------------


def read_export(
    path: str | Path,
    cb: Codebook,
    config: str | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> Conversion:
    """The conversion of the export file at ``path`` (see :func:`export_to_annotations`)."""
    path = Path(path)
    if not path.exists():
        raise ExportFormatError(f"{path}: no such file", path=str(path))
    _check_brackets(path)
    say = on_progress or (lambda _msg: None)
    controls = _controls(cb, config)
    con = duckdb.connect()
    try:
        threads = os.cpu_count() or 1
        # DuckDB spills to disk past its limit; 1.5x the file keeps the whole convert within
        # about 3x the export's size once polars holds the (much smaller) event rows.
        limit = max(512 << 20, int(path.stat().st_size * 1.5))
        con.execute(
            f"SET threads = {threads}; SET preserve_insertion_order = false; "
            f"SET memory_limit = '{limit >> 20}MB'"
        )
        say("reading export")
        _load(con, path, cb, controls)
        say("checking results")
        return _convert(con, path, cb, controls, say)
    finally:
        con.close()


def _check_brackets(path: Path) -> None:
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


def export_to_annotations(
    tasks: Sequence[dict[str, Any]] | str | Path,
    cb: Codebook,
    config: str | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> Conversion:
    """Annotation rows, rejects, skipped annotations and predictions from a Label Studio export.

    ``tasks`` is an export's task list or the path of an export file; ``config`` the labeling
    config the project used (default: the one generated from ``cb``). Raises
    :class:`ExportFormatError` for a file that is not a complete export, or an export made with
    another labeling config.
    """
    if isinstance(tasks, (str, Path)):
        return read_export(tasks, cb, config, on_progress)
    with tempfile.TemporaryDirectory(prefix="eventcoder-export-") as tmp:
        path = Path(tmp) / "export.json"
        path.write_bytes(orjson.dumps(list(tasks)))
        return read_export(path, cb, config, on_progress)


def _frame(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    return pl.from_arrow(con.sql(sql).to_arrow_table())  # type: ignore[return-value]


def _convert(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    cb: Codebook,
    controls: dict[str, Control],
    say: Callable[[str], None],
) -> Conversion:
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

    field_controls = {n: control_field(n, cb) for n in names if n != LABELS_NAME}
    field_controls = {n: f for n, f in field_controls.items() if f is not None}
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
            {"from_name": list(field_controls), "field": list(field_controls.values())},
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

    # Event regions: one per (annotation, region id) labelled Event.
    con.execute(f"""
      CREATE TEMP TABLE ev AS
      SELECT r.annotation_id, r.region, first(r.span_start) AS span_start,
             first(r.span_end) AS span_end, first(r.span_text) AS evidence
      FROM res r
      WHERE r.from_name = '{LABELS_NAME}' AND list_contains(r.labels, '{EVENT_LABEL}')
      GROUP BY ALL
    """)
    # Mention regions: one per (annotation, region id, label) with a label other than Event.
    con.execute(f"""
      CREATE TEMP TABLE men AS
      SELECT annotation_id, region, label, first(span_start) AS span_start,
             first(span_end) AS span_end, first(span_text) AS text
      FROM (SELECT annotation_id, region, span_start, span_end, span_text,
                   unnest(labels) AS label
            FROM res WHERE from_name = '{LABELS_NAME}')
      WHERE label <> '{EVENT_LABEL}'
      GROUP BY ALL
    """)
    recounted = _recount_utf16(con)
    _restore_editor_text(con)
    # Structural problems, one row each (value as text), before any pivoting.
    problems = _frame(
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
         OR substring(t.article_text, e.span_start + 1, e.span_end - e.span_start)
            IS DISTINCT FROM e.evidence
      UNION ALL
      SELECT m.annotation_id, m.region, 'mention', 'span-mismatch', m.text,
             m.label || ' mention: offsets ' || coalesce(m.span_start::VARCHAR, '?') || '-'
               || coalesce(m.span_end::VARCHAR, '?') || ' do not cut this text out of the article'
      FROM men m JOIN ann a USING (annotation_id) JOIN tasks t ON t.task_id = a.task_id
      WHERE m.span_start IS NULL OR m.span_end IS NULL OR m.text IS NULL
         OR substring(t.article_text, m.span_start + 1, m.span_end - m.span_start)
            IS DISTINCT FROM m.text
    """,
    )
    bad_choices = _frame(
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

    # One row per Event region: the pivot, generated from the config's controls.
    fields = sorted(set(field_controls.values()))
    pivots = ",\n".join(
        f"first(r.value) FILTER (WHERE f.field = '{name}') AS \"{name}\"" for name in fields
    )
    task_fields = [f.name for f in cb.fields_by_origin("assisted", "coded")]
    say("building event rows")
    events = _frame(
        con,
        f"""
      WITH vals AS (
        SELECT r.annotation_id, r.region, f.field, r.value
        FROM res r JOIN _fields f USING (from_name)
      ),
      piv AS (
        SELECT annotation_id, region{"," if pivots else ""}
               {pivots.replace("r.value", "value").replace("f.field", "field")}
        FROM vals GROUP BY annotation_id, region
      )
      SELECT a.project_id, a.task_id, a.article_id, a.annotation_id, a.coder,
             e.region AS event_key, e.span_start, e.span_end, e.evidence,
             a.created_at, a.updated_at, a.lead_time,
             {", ".join(f'p."{n}"' for n in fields) or "NULL AS _none"},
             {", ".join(f't."data__{n}"' for n in task_fields)}
      FROM ev e JOIN ann a USING (annotation_id)
      JOIN tasks t ON t.task_id = a.task_id
      LEFT JOIN piv p ON p.annotation_id = e.annotation_id AND p.region = e.region
    """,
    )
    annotations_meta = _frame(
        con,
        """
      SELECT task_id, article_id, annotation_id, coder, was_cancelled, created_at, updated_at,
             lead_time FROM ann""",
    )
    mentions = _frame(
        con,
        "SELECT annotation_id, region, label, span_start, span_end, text FROM men",
    )
    predictions = _predictions(con)
    return _assemble(cb, events, problems, annotations_meta, predictions, say, mentions, recounted)


def utf16_to_code_points(
    text: str, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Code-point offsets into ``text`` of UTF-16 offsets ``starts``/``ends``, and which are valid.

    A UTF-16 offset ``u`` is ``u`` minus the low surrogates before it (each character outside
    the BMP is a high and a low surrogate, two units for one code point). A pair is invalid if
    an offset is negative, past the end, splits a surrogate pair, or ends before it starts.
    """
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    units = np.frombuffer(text.encode("utf-16-le"), dtype="<u2")
    n = units.size
    low = (units >= 0xDC00) & (units < 0xE000)
    before = np.concatenate([[0], np.cumsum(low, dtype=np.int64)])
    s, e = np.clip(starts, 0, n), np.clip(ends, 0, n)
    ok = (starts >= 0) & (ends >= starts) & (ends <= n)
    if n:
        # an offset at a low surrogate would cut a character in two
        ok &= ~((s < n) & low[np.minimum(s, n - 1)]) & ~((e < n) & low[np.minimum(e, n - 1)])
    return s - before[s], e - before[e], ok


_RECOUNTED = {
    "annotation_id": pl.Int64,
    "region": pl.String,
    "kind": pl.String,
    "utf16_start": pl.Int64,
    "utf16_end": pl.Int64,
    "span_start": pl.Int64,
    "span_end": pl.Int64,
}


_SPACES = re.compile(r"[ \t]+")
_AROUND_BREAKS = re.compile(r" ?([\r\n]) ?")


def editor_text(text: str) -> str:
    """The region text Label Studio's editor stores for a region whose article text is ``text``.

    The editor's offsets count every character of the article, but the text it stores is the
    selection as shown: runs of spaces and tabs read as one space, spaces next to a line break
    dropped, and each line feed and carriage return written as the two characters ``\\n``.
    """
    shown = _AROUND_BREAKS.sub(r"\1", _SPACES.sub(" ", text))
    return shown.replace("\n", "\\n").replace("\r", "\\n")


# The same in SQL (RE2), for every region at once.
_EDITOR_TEXT_SQL = r"""
  replace(replace(regexp_replace(regexp_replace({0}, '[ \t]+', ' ', 'g'),
                                 ' ?([\r\n]) ?', '\1', 'g'),
                  chr(10), '\n'), chr(13), '\n')
"""

# Regions whose stored text is the editor's view of the text their offsets cut take the
# article's own text.
_RESTORE_TEXT = r"""
  UPDATE {table} SET {text} = x.cut
  FROM (
    SELECT r.annotation_id, r.region, {label_key} AS label_key,
           substring(t.article_text, r.span_start + 1, r.span_end - r.span_start) AS cut,
           r.{text} AS stored
    FROM {table} r JOIN ann a USING (annotation_id) JOIN tasks t ON t.task_id = a.task_id
  ) x
  WHERE x.annotation_id = {table}.annotation_id AND x.region = {table}.region
    AND x.label_key = {table_label_key}
    AND x.cut IS DISTINCT FROM x.stored
    AND {shown} = x.stored
"""


def _restore_editor_text(con: duckdb.DuckDBPyConnection) -> None:
    """Give each region whose stored text is the editor's view of its cut the article's text.

    Label Studio 1.23.2's editor stores the selection as shown (``selection.toString()``, line
    breaks escaped as ``\\n`` by ``utils/selection-tools.js`` and ``RichText/domManager.ts`` of
    its shipped sources): spaces collapsed, line breaks escaped (see :func:`editor_text`), while
    its offsets count every character, line breaks and repeated spaces included. Recorded in
    the real editor: ``tests/data/ls_export_paragraphs_*.json``. Such a region's offsets are
    right: the region takes the text they cut. A region whose offsets cut anything else stays
    as it is, and the span check calls it a mismatch.
    """
    for table, text, label in (("ev", "evidence", None), ("men", "text", "label")):
        con.execute(
            _RESTORE_TEXT.format(
                table=table,
                text=text,
                label_key=f"r.{label}" if label else "''",
                table_label_key=f"{table}.{label}" if label else "''",
                shown=_EDITOR_TEXT_SQL.format("x.cut"),
            )
        )


def _recount_utf16(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Regions whose offsets only fit their text as UTF-16 units, now updated to code points.

    Only regions that do not fit in code points, in articles with a character outside the BMP,
    are looked at (the rest never cost more than the one comparison the span check makes
    anyway); each such article's text is read once.
    """
    suspects = _frame(
        con,
        """
      WITH s AS (
        SELECT 'event' AS kind, annotation_id, region, span_start, span_end, evidence AS text
        FROM ev
        UNION ALL
        SELECT DISTINCT 'mention', annotation_id, region, span_start, span_end, text FROM men
      )
      SELECT a.task_id, s.* FROM s JOIN ann a USING (annotation_id)
      JOIN tasks t ON t.task_id = a.task_id
      WHERE t.astral AND s.span_start IS NOT NULL AND s.span_end IS NOT NULL
        AND s.text IS NOT NULL
        AND substring(t.article_text, s.span_start + 1, s.span_end - s.span_start)
            IS DISTINCT FROM s.text
    """,
    )
    if suspects.height == 0:
        return pl.DataFrame(schema=_RECOUNTED)
    con.register("_suspect_tasks", suspects.select("task_id").unique().to_arrow())
    texts = dict(
        con.execute(
            "SELECT task_id, article_text FROM tasks WHERE task_id IN "
            "(SELECT task_id FROM _suspect_tasks)"
        ).fetchall()
    )
    # One pass per article over plain arrays: a polars group per article costs more than this.
    suspects = suspects.sort("task_id")
    tasks = suspects["task_id"].to_numpy()
    starts, ends = suspects["span_start"].to_numpy(), suspects["span_end"].to_numpy()
    cuts = suspects["text"].to_list()
    cp_start = np.empty(len(tasks), dtype=np.int64)
    cp_end = np.empty(len(tasks), dtype=np.int64)
    fits = np.zeros(len(tasks), dtype=bool)
    bounds = np.flatnonzero(np.diff(tasks)) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(tasks)], strict=True):
        text = texts[int(tasks[lo])]
        s, e, ok = utf16_to_code_points(text, starts[lo:hi], ends[lo:hi])
        cp_start[lo:hi], cp_end[lo:hi] = s, e
        for k in np.flatnonzero(ok):
            cut = text[s[k] : e[k]]
            moved = s[k] != starts[lo + k] or e[k] != ends[lo + k]
            fits[lo + k] = moved and cuts[lo + k] in (cut, editor_text(cut))
    parts = [
        suspects.with_columns(pl.Series("cp_start", cp_start), pl.Series("cp_end", cp_end)).filter(
            pl.Series(fits)
        )
    ]
    found = (
        pl.concat(parts)
        .select(
            "annotation_id",
            "region",
            "kind",
            pl.col("span_start").alias("utf16_start"),
            pl.col("span_end").alias("utf16_end"),
            pl.col("cp_start").alias("span_start"),
            pl.col("cp_end").alias("span_end"),
        )
        .cast(_RECOUNTED)
    )  # type: ignore[arg-type]
    con.register("_recounted", found.to_arrow())
    for kind, table in (("event", "ev"), ("mention", "men")):
        con.execute(f"""
          UPDATE {table} SET span_start = r.span_start, span_end = r.span_end
          FROM _recounted r
          WHERE r.kind = '{kind}' AND r.annotation_id = {table}.annotation_id
            AND r.region = {table}.region
        """)
    return found


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


def _predictions(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One row per prediction result, kept apart from human annotations."""
    return _frame(
        con,
        f"""
      WITH p AS (
        SELECT task_id, article_id, unnest(from_json(predictions, '{_PREDICTION}')) AS p
        FROM tasks WHERE json_type(predictions -> '$[0]') = 'OBJECT'
      ),
      r AS (SELECT task_id, article_id, p.id AS prediction_id, p.model_version, p.score,
                   unnest(from_json(p.result, '{_RESULT_JSON}')) AS r FROM p)
      SELECT task_id, article_id, prediction_id, model_version, score, r.id AS region,
             r.from_name, r.value.start AS span_start, r.value."end" AS span_end,
             array_to_string(r.value.labels, '; ') AS labels, {_TEXT_VALUE} AS value
      FROM r
    """,
    )


def _assemble(
    cb: Codebook,
    events: pl.DataFrame,
    problems: pl.DataFrame,
    meta: pl.DataFrame,
    predictions: pl.DataFrame,
    say: Callable[[str], None],
    mentions: pl.DataFrame,
    recounted: pl.DataFrame,
) -> Conversion:
    columns = table_columns(cb, "annotations")
    # Fields left blank by the coder fall back to the article's own value (source, country...).
    fill = [
        pl.coalesce(pl.col(n), pl.col(f"data__{n}")).alias(n)
        if n in events.columns
        else pl.col(f"data__{n}").alias(n)
        for n in (f.name for f in cb.fields_by_origin("assisted", "coded"))
    ]
    events = events.with_columns(fill).drop([c for c in events.columns if c.startswith("data__")])
    prov_types = {name: dtype for name, dtype, *_ in PROVENANCE}
    events = events.with_columns(
        pl.col("created_at").str.to_datetime(time_zone="UTC", strict=False),
        pl.col("updated_at").str.to_datetime(time_zone="UTC", strict=False),
    ).with_columns(
        pl.col(n).cast(t, strict=False) for n, t in prov_types.items() if n in events.columns
    )
    # Values stay text until the validator types them, so "many" becomes a field-type failure.
    present = [c for c in columns if c in events.columns]
    events = events.select(present)
    say("validating")
    result = validate(events, cb, table="annotations")
    by_row = ["task_id", "article_id", "annotation_id", "coder", "event_key"]
    # Uniqueness rules compare events of one coder's annotation: across coders the same event
    # is coded on purpose, several times.
    unique = {r.id: r for r in cb.rules if r.kind == "unique"}
    failures = pl.concat(
        [
            result.failures.filter(~pl.col("rule").is_in(list(unique))),
            _unique_failures(
                # Rejected rows hold what the coder wrote (text), accepted rows typed values.
                pl.concat(
                    [result.accepted, result.rejected.drop("row", "reasons")],
                    how="diagonal_relaxed",
                ),
                list(unique.values()),
                present,
            ),
        ],
        how="diagonal_relaxed",
    )
    errors = failures.filter(pl.col("severity") == "error")
    warnings = failures.filter(pl.col("severity") == "warning").select(
        *by_row, "field", "rule", "value", "message"
    )
    owners = meta.select("task_id", "article_id", "annotation_id", "coder")
    utf16 = recounted.join(owners, on="annotation_id", how="left").select(
        "task_id",
        "article_id",
        "annotation_id",
        "coder",
        pl.col("region").alias("event_key"),
        pl.when(pl.col("kind") == "event")
        .then(pl.lit("evidence"))
        .otherwise(pl.lit("mention"))
        .alias("field"),
        pl.lit("utf16-offsets").alias("rule"),
        pl.format("{}-{}", "utf16_start", "utf16_end").alias("value"),
        pl.format(
            "offsets counted in UTF-16 code units; kept as code points {}-{}",
            "span_start",
            "span_end",
        ).alias("message"),
    )
    warnings = pl.concat([warnings, utf16], how="vertical_relaxed")

    accepted_rows = result.accepted.join(
        failures.filter(pl.col("severity") == "error").select(KEY).unique(), on=KEY, how="anti"
    )
    result = type(result)(accepted_rows, result.rejected, failures, result.notes)
    structural = problems.join(owners, on="annotation_id", how="left")
    rejects = pl.concat(
        [
            errors.select(*by_row, "field", "rule", "value", "message"),
            structural.select(*REJECT_SCHEMA),
        ],
        how="vertical_relaxed",
    ).cast(REJECT_SCHEMA)  # type: ignore[arg-type]
    rejects = rejects.unique(
        subset=["annotation_id", "event_key", "field", "rule", "value"],
        keep="first",
        maintain_order=True,
    )

    done = meta.filter(~pl.col("was_cancelled"))
    bad_ann = rejects.select("annotation_id").unique()
    all_events = result.accepted.select(KEY).vstack(result.rejected.select(KEY))
    rejected_events = rejects.select(KEY).unique()
    held = result.accepted.join(bad_ann, on="annotation_id", how="semi").join(
        rejected_events, on=KEY, how="anti"
    )
    withdrawn = held.select(
        *by_row,
        pl.lit(None, pl.String).alias("field"),
        pl.lit("annotation-rejected").alias("rule"),
        pl.lit(None, pl.String).alias("value"),
        pl.lit("another result of this annotation was rejected").alias("message"),
    )
    rejects = pl.concat([rejects, withdrawn.cast(REJECT_SCHEMA)])  # type: ignore[arg-type]
    rejects = rejects.sort(
        ["task_id", "annotation_id", "event_key", "rule", "field"], nulls_last=True
    )
    accepted = result.accepted.join(bad_ann, on="annotation_id", how="anti")
    accepted = accepted.select([c for c in columns if c in accepted.columns])
    accepted = accepted.sort(["task_id", "annotation_id", "span_start", "event_key"])
    rejected_ann = done.join(bad_ann, on="annotation_id", how="semi").height
    skipped = meta.filter(pl.col("was_cancelled")).drop("was_cancelled")
    skipped = skipped.with_columns(
        pl.col("created_at").str.to_datetime(time_zone="UTC", strict=False),
        pl.col("updated_at").str.to_datetime(time_zone="UTC", strict=False),
    )
    events_total = all_events.height
    coded = (
        done.join(bad_ann, on="annotation_id", how="anti")
        .select("task_id", "article_id", "annotation_id", "coder")
        .join(accepted.group_by("annotation_id").len("events"), on="annotation_id", how="left")
        .with_columns(pl.col("events").fill_null(0).cast(pl.Int64))
        .sort("task_id", "annotation_id")
    )
    mentions = (
        mentions.join(
            coded.select("annotation_id", "task_id", "article_id", "coder"),
            on="annotation_id",
            how="inner",
        )
        .select(*MENTION_SCHEMA)
        .cast(MENTION_SCHEMA)  # type: ignore[arg-type]
        .sort("task_id", "annotation_id", "span_start", "region", "label", nulls_last=True)
    )
    return Conversion(
        annotations=accepted,
        rejects=rejects,
        skipped=skipped.sort("annotation_id"),
        predictions=predictions.sort("task_id", "prediction_id", "region"),
        warnings=warnings,
        total=meta.height,
        accepted=done.height - rejected_ann,
        rejected=rejected_ann,
        events_accepted=accepted.height,
        events_rejected=events_total - accepted.height,
        notes=result.notes,
        coded=coded,
        mentions=mentions,
    )


def _unique_failures(rows: pl.DataFrame, rules: list, present: list[str]) -> pl.DataFrame:
    """Failures of uniqueness rules, checked within each annotation."""
    parts = []
    for rule in rules:
        fields = [f for f in rule.params["fields"] if f in present]
        if len(fields) != len(rule.params["fields"]):
            continue
        dup = rows.filter(pl.len().over("annotation_id", *fields) > 1)
        parts.append(
            dup.select(
                "task_id",
                "article_id",
                "annotation_id",
                "coder",
                "event_key",
                pl.lit(", ".join(fields)).alias("field"),
                pl.lit(rule.id).alias("rule"),
                pl.lit(rule.severity).alias("severity"),
                pl.concat_str(
                    [pl.col(f).cast(pl.String).fill_null("") for f in fields], separator=", "
                ).alias("value"),
                pl.lit(rule.message).alias("message"),
            )
        )
    return (
        pl.concat(parts)
        if parts
        else pl.DataFrame(schema={"rule": pl.String, "severity": pl.String})
    )


def read_annotations(path: str | Path, cb: Codebook) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Return ``(annotations, coded)`` of an annotations Parquet table or an LS export.

    ``coded`` lists the accepted annotations, events or not (event detection counts a coder who
    found nothing): from the export itself, or from the ``coded.parquet`` that ``eventcoder
    convert`` writes beside the annotations table; None when there is none. The one reader of
    annotations for agreement, adjudication and releases.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file", path=str(path))
    if path.suffix.lower() == ".json":
        conv = read_export(path, cb)
        return conv.annotations, conv.coded
    try:
        frame = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(
            f"{path}: not an annotations Parquet table or a Label Studio JSON export ({first})",
            path=str(path),
        ) from None
    missing = [c for c in ("article_id", "coder", "event_key") if c not in frame.columns]
    if missing:
        raise InputError(
            f"{path}: lacks column(s) {', '.join(missing)}; pass the annotations table written "
            "by `eventcoder convert` or the export itself",
            path=str(path),
        )
    beside = path.with_name("coded.parquet")
    return frame, pl.read_parquet(beside) if beside.exists() and beside != path else None


def write_conversion(conv: Conversion, folder: str | Path) -> dict[str, Path]:
    """Write the conversion's tables as Parquet files in ``folder``, atomically; return paths."""
    from eventcoder.files import atomic_write_parquet

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "annotations": conv.annotations,
        "rejects": conv.rejects,
        "skipped": conv.skipped,
        "predictions": conv.predictions,
        "warnings": conv.warnings,
        "coded": conv.coded,
        "mentions": conv.mentions,
    }
    return {
        name: atomic_write_parquet(frame, folder / f"{name}.parquet")
        for name, frame in tables.items()
    }
