"""Region offsets: UTF-16 offsets recounted as code points, and the editor's view of a text.

Offsets in the tables are Unicode code points into the article (Python's ``text[start:end]``),
as Label Studio 1.23.2's editor sends them. Older editors and other clients counted UTF-16 code
units; the editor stores a region's text as the selection is shown. Both are recognised here,
region by region, and never guessed: the history and the recorded evidence are in
``docs/convert.md``.
"""

from __future__ import annotations

import re

import duckdb
import numpy as np
import numpy.typing as npt
import polars as pl

from eventcoder.annotate.convert.reading import frame


def utf16_to_code_points(
    text: str, starts: npt.ArrayLike, ends: npt.ArrayLike
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
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


_RECOUNTED = pl.Schema(
    {
        "annotation_id": pl.Int64(),
        "region": pl.String(),
        "kind": pl.String(),
        "utf16_start": pl.Int64(),
        "utf16_end": pl.Int64(),
        "span_start": pl.Int64(),
        "span_end": pl.Int64(),
    }
)


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


# The text a region's offsets cut out of its article, or NULL when they do not fit in it: an
# offset of 2**32 or more would stop DuckDB's substring with an error instead of rejecting the
# annotation like any other offset past the end (span-mismatch).
SPAN_CUT_MACRO = """
  CREATE MACRO span_cut(article, s, e) AS
    CASE WHEN s >= 0 AND e >= s AND e <= length(article)
         THEN substring(article, s + 1, e - s) END
"""

# The same in SQL (RE2), for every region at once.
EDITOR_TEXT_SQL = r"""
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
           span_cut(t.article_text, r.span_start, r.span_end) AS cut,
           r.{text} AS stored
    FROM {table} r JOIN ann a USING (annotation_id) JOIN tasks t ON t.task_id = a.task_id
  ) x
  WHERE x.annotation_id = {table}.annotation_id AND x.region = {table}.region
    AND x.label_key = {table_label_key}
    AND x.cut IS DISTINCT FROM x.stored
    AND {shown} = x.stored
"""


def restore_editor_text(con: duckdb.DuckDBPyConnection) -> None:
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
                shown=EDITOR_TEXT_SQL.format("x.cut"),
            )
        )


def recount_utf16(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Regions whose offsets only fit their text as UTF-16 units, now updated to code points.

    Only regions that do not fit in code points, in articles with a character outside the BMP,
    are looked at (the rest never cost more than the one comparison the span check makes
    anyway); each such article's text is read once.
    """
    suspects = frame(
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
        AND span_cut(t.article_text, s.span_start, s.span_end)
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
    )
    con.register("_recounted", found.to_arrow())
    for kind, table in (("event", "ev"), ("mention", "men")):
        con.execute(f"""
          UPDATE {table} SET span_start = r.span_start, span_end = r.span_end
          FROM _recounted r
          WHERE r.kind = '{kind}' AND r.annotation_id = {table}.annotation_id
            AND r.region = {table}.region
        """)
    return found
