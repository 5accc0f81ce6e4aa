"""Reading a Label Studio JSON export into DuckDB tables, without a Python object per value.

An export is one JSON array of tasks, each holding its annotations, each holding a flat list of
results. DuckDB's ``read_json`` with an explicit column spec streams the array, keeps only the
keys named below and types them as it goes; one pass, through ``unnest``, gives the tables
``tasks``, ``ann`` (one row per annotation) and ``res`` (one row per result). Why not
``orjson.loads``, and where the memory goes: ``docs/convert.md``; figures:
``bench/bench_convert.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import orjson
import polars as pl

from eventcoder.annotate.config import LABELS_NAME
from eventcoder.errors import ExportFormatError, ResourceError
from eventcoder.schema.codebook import Codebook

# The shapes the reader keeps, as DuckDB's JSON structure specs: a type name, a one-element
# list for a list, a dict for a struct. Keys left out are skipped by the parser.
_Spec = str | list[Any] | dict[str, Any]

# Ids and offsets are read as text and made whole numbers by ``whole_number`` (below): typed
# BIGINT, the parser rounds 128.5 to 129 and reads true as 1, an offset or an id changed unseen.
# A result: the region and every kind of value a control can give.
_RESULT: dict[str, _Spec] = {
    "id": "VARCHAR",
    "from_name": "VARCHAR",
    "to_name": "VARCHAR",
    "type": "VARCHAR",
    "value": {
        "start": "VARCHAR",
        "end": "VARCHAR",
        "text": "JSON",
        "labels": ["VARCHAR"],
        "choices": ["VARCHAR"],
        "number": "JSON",
        "datetime": "VARCHAR",
    },
}
_ANNOTATION: _Spec = {
    "id": "VARCHAR",
    "completed_by": "JSON",
    "result": [_RESULT],
    "was_cancelled": "VARCHAR",  # typed BOOLEAN, 0.5, 2 and "t" read as true: see at_first
    "created_at": "VARCHAR",
    "updated_at": "VARCHAR",
    "lead_time": "DOUBLE",
}
_TASK: dict[str, _Spec] = {
    "id": "VARCHAR",
    "project": "VARCHAR",
    "data": "JSON",  # its keys are checked once per task: see _refuse_repeated_keys
    "annotations": [_ANNOTATION],
    "predictions": "JSON",  # full objects in a snapshot, bare ids in a quick export
    # Annotations saved but never submitted: counted for a note, their content skipped.
    "drafts": [{"id": "JSON"}],
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
# Predictions are a model's, kept apart from the coding, with offsets typed as the parser reads.
_VALUE = _RESULT["value"]
assert isinstance(_VALUE, dict)
RESULT_JSON = orjson.dumps(
    [{**_RESULT, "value": {**_VALUE, "start": "BIGINT", "end": "BIGINT"}}]
).decode()
PREDICTION_OBJECT = orjson.dumps(_PREDICTION).decode()
# read_json's buffer: what it parses at a time, per thread (a task may be larger). Larger
# buffers cost memory and no speed.
_BUFFER = 16 << 20
# A character outside the Basic Multilingual Plane: two UTF-16 code units, one code point.
_ASTRAL = r"[\x{10000}-\x{10FFFF}]"


@contextmanager
def connection(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection for converting the export at ``path``, its memory sized to the machine.

    DuckDB keeps its tables within ``memory_limit`` and spills the rest to a temporary folder of
    its own (removed afterwards). Running out of memory or disk anyway raises
    :class:`ResourceError`, which names the machine, never the export.
    """
    available = available_memory()
    limit = memory_limit(path.stat().st_size, available)
    spill = tempfile.mkdtemp(prefix="eventcoder-spill-")
    con = duckdb.connect()
    try:
        con.execute(
            f"SET threads = {os.cpu_count() or 1}; SET preserve_insertion_order = false; "
            f"SET memory_limit = '{limit >> 20}MB'; SET temp_directory = {sql_text(spill)}; "
            "SET TimeZone = 'UTC'"
        )
        yield con
    except (duckdb.OutOfMemoryException, MemoryError):
        raise ResourceError(
            f"{path}: ran out of memory converting it ({limit >> 20:,} MB allowed of "
            f"{available >> 20:,} MB available); the export is not at fault: free memory or "
            "use a machine with more",
            resource="memory",
            path=path,
        ) from None
    except duckdb.IOException as err:
        if "space left" not in str(err):
            raise
        raise ResourceError(
            f"{path}: no disk space left to spill to in {tempfile.gettempdir()}; the export is "
            "not at fault: free disk space there or point TMPDIR at a larger disk",
            resource="disk",
            path=path,
        ) from None
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def memory_limit(size: int, available: int) -> int:
    """DuckDB's memory limit in bytes for an export of ``size`` bytes on this machine.

    1.5x the export (beyond that DuckDB spills), at least 2 GB, and never more than 60% of the
    memory available: polars holds the event rows beside it. The floor is for what DuckDB
    cannot spill: a scan holds up to 2,048 tasks with all their results at once, for long
    articles with many regions about 600 MB, the whole export when it has fewer tasks. The
    limit caps DuckDB; it does not make it use that much.
    """
    return max(256 << 20, min(max(2 << 30, size * 3 // 2), available * 6 // 10))


_CGROUP = Path("/sys/fs/cgroup")


def available_memory() -> int:
    """Bytes of memory this process can still use: the system's, or its cgroup's if less."""
    found = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            cap = (_CGROUP / limit_file).read_text().strip()
            if cap.isdigit():
                found.append(int(cap) - int((_CGROUP / usage_file).read_text().strip()))
        except (OSError, ValueError):
            continue
    if not found:
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            found.append(4 << 30)
    return max(0, min(found))


# Checks made in the parse itself, so that they cost no pass of their own, raise DuckDB's
# error() with this prefix and what is wrong where; _fail makes it the user's one line.
_REFUSED = "eventcoder-refused: "
# An id or offset must be a whole number as JSON writes one (128, or 128.0 and 1.28e2, the same
# number): anything else (128.5, true, "abc", 2^63) is refused naming where it is.
# The first branch is the common case, digits alone (a cast, no float arithmetic: this runs on
# every result); a point or an exponent (128.0, 1.28e2) and anything else take the second.
WHOLE_MACRO = f"""
    CREATE OR REPLACE TEMP MACRO whole_number(x, what) AS
    coalesce(
      CASE WHEN strpos(x, '.') = 0 AND strpos(x, 'e') = 0 AND strpos(x, 'E') = 0
           THEN TRY_CAST(x AS BIGINT) END,
      CASE WHEN x IS NULL THEN NULL
           WHEN TRY_CAST(x AS DOUBLE) = floor(TRY_CAST(x AS DOUBLE))
                AND TRY_CAST(x AS BIGINT) IS NOT NULL THEN TRY_CAST(x AS BIGINT)
           ELSE error('{_REFUSED}' || what || ' ' || left(x, 40) || ' does not fit a Label '
                      || 'Studio export (ids and offsets are whole numbers)') END)"""


def _fail(path: Path, err: Exception) -> ExportFormatError:
    first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    first = re.sub(r' in file "[^"]*"', "", first)  # the path leads the message already
    if _REFUSED in first:
        return ExportFormatError(
            f"{path}: {first.split(_REFUSED, 1)[1]}; this file was not written by a Label "
            "Studio server as it is",
            path=str(path),
        )
    twice = re.search(r'record/value (\d+): Object .* has duplicate key "(.*)"', first)
    if twice:
        # Readers differ on which copy counts (DuckDB the first, Python and Label Studio the
        # last): the coders may have seen another value than the one convert would read.
        return ExportFormatError(
            f"{path}: task number {twice[1]} in the file: an object gives the key {twice[2]!r} "
            "twice, and JSON readers differ on which copy counts; this file was not written by "
            "a Label Studio server as it is",
            path=str(path),
        )
    text = re.search(
        r"at byte (\d+)[^:]*: (invalid UTF-8 encoding|no low surrogate|invalid high surrogate)",
        first,
    )
    if text:
        # Bytes that are no UTF-8 (a file saved as Latin-1 or cp1252 by an editor) or a lone
        # half of a UTF-16 pair: exporting again gives the same file, so say what and where.
        what = (
            "bytes that are not UTF-8"
            if text[2].startswith("invalid UTF-8")
            else ("a lone surrogate escape (half of a UTF-16 pair, no character)")
        )
        return ExportFormatError(
            f"{path}: the text near byte {int(text[1]):,} holds {what}; save the file as UTF-8, "
            "or mend that text where it was written",
            path=str(path),
        )
    if "transform error" in first:
        # Well-formed JSON holding a value no Label Studio server writes (an offset of 2^63,
        # text where an id goes): exporting again would give the same file, so don't ask.
        return ExportFormatError(
            f"{path}: a value does not fit a Label Studio export ({first[:160]}); "
            "this file was not written by a Label Studio server as it is",
            path=str(path),
        )
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


def _read(con: duckdb.DuckDBPyConnection, path: Path, sql: str, spec: dict[str, _Spec]) -> None:
    """Run ``sql`` with ``{source}`` as a parse of the export keeping the keys of ``spec``."""
    cols = ", ".join(f"{sql_text(k)}: {sql_text(_sql_type(v))}" for k, v in spec.items())
    # records='true': every element must be an object (a task), never a bare value.
    source = (
        f"read_json(?, format='array', records='true', columns={{{cols}}}, "
        f"maximum_object_size={_BUFFER})"
    )
    # One thread parses: the parser holds a chunk of 2,048 tasks per thread in memory, which
    # for long articles with many regions is hundreds of MB each; one thread keeps the peak
    # near one chunk and, on a shared machine, reads as fast (docs/convert.md, Memory).
    setting = con.execute("SELECT current_setting('threads')").fetchone()
    threads = int(setting[0]) if setting else 1
    con.execute("SET threads = 1")
    try:
        with _literal(path) as literal:
            con.execute(sql.replace("{source}", source), [str(literal)])
    except (duckdb.OutOfMemoryException, duckdb.IOException):
        raise  # the machine's limits, not the file's fault: see connection()
    except duckdb.Error as err:
        raise _fail(path, err) from None
    finally:
        con.execute(f"SET threads = {threads}")


# Characters DuckDB's file readers take as a glob pattern in a path.
_GLOB = re.compile(r"[*?\[\]{}]")


@contextmanager
def _literal(path: Path) -> Iterator[Path]:
    """``path`` as DuckDB reads it literally: a name such as ``export[1].json`` is a pattern.

    read_json expands a path as a glob, so ``export[1].json`` read ``export1.json`` beside it,
    and ``ex*.json`` every file it matched, as one export. A path holding such characters is
    read through a link of a plain name in a folder of its own.
    """
    if not _GLOB.search(str(path.resolve())):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="eventcoder-export-") as tmp:
        link = Path(tmp) / "export.json"
        link.symlink_to(path.resolve())
        yield link


# A timestamp of an export (Label Studio writes 2026-11-25T13:02:11.120937Z), written again in
# that one form, in UTC, for the annotations table's created_at and updated_at: polars reads a
# column in the form of its first value, so 2026-11-25 13:02:11 beside it became a blank time,
# unseen, and so did 'yesterday' or a month 13, which are refused. A time without an offset is
# UTC (the connection's time zone), as polars reads it.
_ISO_TIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$"


def _timestamp(column: str) -> str:
    """SQL: ``column`` as ``%Y-%m-%dT%H:%M:%S.%fZ`` in UTC; refused if it is no timestamp."""
    parsed = f"TRY_CAST({column} AS TIMESTAMPTZ)"
    return (
        f"CASE WHEN {column} IS NULL THEN NULL "
        f"WHEN regexp_matches({column}, '{_ISO_TIME}') AND {parsed} IS NOT NULL "
        f"THEN strftime(timezone('UTC', {parsed}), '%Y-%m-%dT%H:%M:%S.%fZ') "
        f"ELSE error('{_REFUSED}task ' || task_id || ', annotation ' || annotation_id "
        f"|| ': {column} ''' || left({column}, 40) || ''' is not a timestamp') END"
    )


def _annotation_columns() -> str:
    """The SQL of an annotation's own columns, on its first result's row (``j = 1``) only."""
    # completed_by is an object (snapshot) or a bare user id (quick export), so it stays JSON;
    # an object giving a key twice would name the coder by whichever copy is read first.
    coder = (
        "CASE WHEN json_type(completed_by) = 'OBJECT' AND len(json_keys(completed_by)) "
        "<> len(list_distinct(json_keys(completed_by))) "
        f"THEN error('{_REFUSED}task ' || task_id || ', annotation ' || annotation_id "
        "|| ': completed_by gives a key twice, and a JSON reader may keep either copy') "
        # The coder: the user's email, else their id (as a quick export gives it); an object
        # naming neither names no one (a coder '{"id": 2}' or '{}' was made up of its JSON).
        "WHEN json_type(completed_by) = 'OBJECT' THEN coalesce("
        "json_extract_string(completed_by, '$.email'), json_extract_string(completed_by, '$.id')) "
        "ELSE json_extract_string(completed_by, '$') END"
    )
    # The annotation's columns are taken out of its struct before its results are unnested:
    # carrying the struct (results and all) onto every result row costs a copy per row.
    at_first = {
        "coder": coder,
        # Skipped or not decides how an annotation is counted: only true and false (as JSON
        # booleans or, as some clients post them, strings) say it; null is Label Studio's default.
        "was_cancelled": (
            "CASE WHEN was_cancelled IS NULL THEN false "
            "WHEN lower(was_cancelled) IN ('true', 'false') THEN lower(was_cancelled) = 'true' "
            f"ELSE error('{_REFUSED}task ' || task_id || ', annotation ' || annotation_id "
            "|| ': was_cancelled ''' || left(was_cancelled, 40) "
            "|| ''' is neither true nor false') END"
        ),
        "created_at": _timestamp("created_at"),
        "updated_at": _timestamp("updated_at"),
        "lead_time": "lead_time",
        "no_result": "no_result",
    }
    return ", ".join(f"CASE WHEN j = 1 THEN {v} END AS {k}" for k, v in at_first.items())


def _take_tasks(con: duckdb.DuckDBPyConnection, path: Path, cb: Codebook) -> None:
    """``tasks`` from each task's first row of ``flat``; those columns then leave ``flat``."""
    _refuse_repeated_keys(con, path)
    task_fields = [f.name for f in cb.fields_by_origin("assisted", "coded")]
    data_cols = ", ".join(
        f"json_extract_string(data, {sql_text('$.' + n)}) AS {sql_name('data__' + n)}"
        for n in task_fields
    )
    con.execute(f"""
      CREATE TEMP TABLE tasks AS
      SELECT task_id, project AS project_id,
             json_extract_string(data, '$.id') AS article_id,
             json_extract_string(data, '$.text') AS article_text,
             coalesce(regexp_matches(json_extract_string(data, '$.text'), '{_ASTRAL}'),
                      false) AS astral,
             data IS NULL AS no_data, {data_cols}, predictions, drafts
      FROM flat WHERE i = 1 AND j = 1
    """)
    # The task's columns live in ``tasks`` now; ``flat`` keeps what the checks compare.
    con.execute(
        "ALTER TABLE flat DROP COLUMN data; ALTER TABLE flat DROP COLUMN predictions; "
        "ALTER TABLE flat DROP COLUMN drafts"
    )


def _refuse_repeated_keys(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse a task whose ``data`` gives a key twice (``{"text": "a", "text": "b"}``).

    DuckDB reads the first copy; Label Studio, its editor and Python keep the last: the coders
    would have seen another article than the one their offsets are checked against. Checked
    once per task here (the data stays JSON in the parse, which is cheaper than a struct).
    """
    twice = con.execute("""
        SELECT task_id, key FROM (
          SELECT rowid AS element, task_id, unnest(json_keys(data)) AS key FROM flat
          WHERE i = 1 AND j = 1 AND json_type(data) = 'OBJECT')
        GROUP BY element, task_id, key HAVING count(*) > 1
        ORDER BY task_id, key LIMIT 1""").fetchone()
    if twice:
        raise ExportFormatError(
            f"{path}: task {twice[0]}: its data gives the key {twice[1]!r} twice, and JSON "
            "readers differ on which copy counts; this file was not written by a Label Studio "
            "server as it is",
            path=str(path),
            task=twice[0],
        )


def read_export_tables(con: duckdb.DuckDBPyConnection, path: Path, cb: Codebook) -> None:
    """Read the export in one pass into the DuckDB tables ``flat`` and ``tasks``.

    ``flat`` has one row per result, ``(task_id, i, j)`` its task, annotation position and
    result position; an annotation without results, and a task without annotations, keep one
    row with no result, so nothing disappears in the unnesting. A task's own columns are on its
    first row only (``i = 1 AND j = 1``), an annotation's on its first row (``j = 1``), and a
    region's text only on its label result (the editor repeats it on every per-region result),
    so long articles with many regions cost little more than their text. ``tasks`` is then one
    row per task element, taken from those first rows; no table ever holds annotations nested
    (docs/convert.md, Memory).
    """
    labels = sql_text(LABELS_NAME)
    first = _annotation_columns()
    task_first = ", ".join(
        f"CASE WHEN i = 1 AND j = 1 THEN {c} END AS {c}"
        for c in ("project", "data", "predictions", "drafts")
    )
    results = "CASE WHEN len(a.result) > 0 THEN a.result ELSE [NULL] END"
    where = (
        "'task ' || task_id || ', annotation ' || coalesce(annotation_id::VARCHAR, '?') "
        "|| ', region ' || coalesce(r.id, '?') || ': '"
    )
    con.execute(WHOLE_MACRO)
    _read(
        con,
        path,
        f"""
          CREATE TEMP TABLE flat AS
          WITH t AS (
            SELECT whole_number(id, 'task id') AS task_id,
                   whole_number(project, 'task ' || id || ': project') AS project,
                   data, predictions, coalesce(len(drafts), 0) AS drafts,
                   CASE WHEN len(annotations) > 0 THEN annotations ELSE [NULL] END AS anns
            FROM {{source}}
          ),
          ta AS (
            SELECT task_id, project, data, predictions, drafts,
                   unnest(anns) AS a, generate_subscripts(anns, 1) AS i
            FROM t
          ),
          tar AS (
            SELECT task_id, project, data, predictions, drafts, i,
                   whole_number(a.id, 'task ' || task_id || ': annotation id') AS annotation_id,
                   a IS NOT NULL AS has_annotation,
                   a.completed_by AS completed_by, a.was_cancelled AS was_cancelled,
                   a.created_at AS created_at, a.updated_at AS updated_at,
                   a.lead_time AS lead_time, a.result IS NULL AS no_result,
                   unnest({results}) AS r, generate_subscripts({results}, 1) AS j
            FROM ta
          )
          SELECT task_id, i, j, {task_first}, annotation_id, has_annotation,
                 {first}, r IS NOT NULL AS has_result,
                 r.id AS region, r.from_name, r.to_name, r.type,
                 whole_number(r.value.start, {where} || 'start') AS span_start,
                 whole_number(r.value."end", {where} || 'end') AS span_end,
                 r.value.labels AS labels, r.value.choices AS choices,
                 CASE WHEN r.from_name = {labels} THEN json_extract_string(r.value.text, '$')
                 END AS span_text,
                 CASE WHEN r.from_name <> {labels} THEN {TEXT_VALUE} END AS value
          FROM tar
        """,
        _TASK,
    )
    _take_tasks(con, path, cb)


def split_results(con: duckdb.DuckDBPyConnection) -> None:
    """``ann`` (a table, one row per annotation) and ``res`` (a view, one row per result).

    ``res`` is a view over ``flat``, not a copy of it: every query that reads it reads a few of
    its columns, and a copy of the largest table would cost its size in memory and time.
    """
    con.execute("""
      CREATE TEMP TABLE ann AS
      SELECT f.task_id, t.project_id, t.article_id, f.annotation_id, f.coder, f.was_cancelled,
             f.created_at, f.updated_at, f.lead_time, f.no_result
      FROM flat f JOIN tasks t USING (task_id)
      WHERE f.j = 1 AND f.has_annotation
    """)
    con.execute("""
      CREATE TEMP VIEW res AS
      SELECT task_id, annotation_id, region, from_name, to_name, type, span_start, span_end,
             labels, choices, span_text, value
      FROM flat WHERE has_result
    """)


# What a file that is no JSON text starts with, and what to do about it: Label Studio writes
# UTF-8 without a byte-order mark, so these come from an editor, a spreadsheet or a download.
_NOT_JSON = (
    (b"\xef\xbb\xbf", "starts with a byte-order mark", "save it as UTF-8 without one"),
    (b"\xff\xfe", "is UTF-16 text", "save it as UTF-8"),
    (b"\xfe\xff", "is UTF-16 text", "save it as UTF-8"),
    (b"\x1f\x8b", "is gzip-compressed", "decompress it first"),
    (b"PK\x03\x04", "is a zip archive", "extract the JSON export from it first"),
)


def check_brackets(path: Path) -> None:
    """Fail fast on a file that is not one JSON list of tasks ending where the file ends.

    Only a regular file is opened: a folder cannot be read, and a named pipe or a device
    (``/dev/zero``) would block or be read for ever.
    """
    if not path.is_file():
        raise ExportFormatError(
            f"{path}: not a regular file (a folder, a pipe or a device); pass the export file",
            path=str(path),
        )
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
            fh.seek(max(0, path.stat().st_size - 4096))
            tail = fh.read().rstrip()
    except OSError as err:
        raise ExportFormatError(
            f"{path}: cannot be read ({err.strerror or type(err).__name__})", path=str(path)
        ) from None
    for start, what, advice in _NOT_JSON:
        if head.startswith(start):
            raise ExportFormatError(
                f"{path}: not a Label Studio JSON export as it is: the file {what}; {advice}",
                path=str(path),
            )
    head = head.lstrip()
    # The closing bracket must close the list of tasks: right after a task (``}``) or after the
    # opening bracket of an empty list. ``[...] junk ]`` and ``[...]]`` end in ``]`` too.
    before = tail[:-1].rstrip()
    closed = tail.endswith(b"]") and (before.endswith(b"}") or before == b"[")
    if head.startswith(b"[") and closed:
        return
    if not head:
        what = "the file is empty"
    elif head.startswith(b"{"):
        what = "the file is one JSON object, not a list of tasks"
    elif not head.startswith(b"["):
        what = "the file is not a JSON list of tasks"
    elif head[1:].lstrip().startswith(b"["):
        what = "its elements are lists, not tasks"
    elif re.search(rb"\}\s*\]", tail):
        what = f"bytes follow the list of tasks: the file ends in {_ending(tail)}"
    elif tail.endswith(b"]"):
        what = f"its last element is no task: the file ends in {_ending(tail)}"
    else:
        what = f"the file is cut off before its end: it ends in {_ending(tail)}"
    raise ExportFormatError(
        f"{path}: not a complete Label Studio JSON export ({what}); export it again as JSON",
        path=str(path),
    )


def _ending(tail: bytes) -> str:
    return repr(tail[-20:].decode("utf-8", "replace"))


def frame(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    """The result of ``sql`` as a polars frame (zero-copy through Arrow)."""
    table = pl.from_arrow(con.sql(sql).to_arrow_table())
    assert isinstance(table, pl.DataFrame)  # an Arrow table becomes a frame, never a Series
    return table


def sql_text(value: str) -> str:
    """``value`` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def sql_name(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'
