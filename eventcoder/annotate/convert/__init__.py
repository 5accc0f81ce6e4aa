"""Label Studio JSON exports turned into validated tables, with every annotation accounted for.

The package, in pipeline order: :mod:`.reading` (the export into DuckDB tables),
:mod:`.structure` (does each result fit the labeling config), :mod:`.events` (event and mention
regions, one row per event), :mod:`.offsets` (UTF-16 offsets, the editor's text; the evidence
for both is in ``docs/convert.md``), :mod:`.assemble` (validation and the accounting below),
:mod:`.conversion` (the result and its tables).

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

Offsets. ``span_start``/``span_end`` are Unicode code points into the article text, as Label
Studio 1.23.2's editor sends them; offsets in UTF-16 code units and region text stored as the
editor shows it are recognised region by region (``docs/convert.md``).

Mentions. Regions labelled with a mention label (``Actor``, ``Place``, ``Date``, ``Fatalities``,
see :mod:`eventcoder.annotate.config`) carry no field; they become the ``mentions`` table, one row
per region and label of an accepted annotation (task_id, article_id, annotation_id, coder,
region, label, span_start, span_end, text), written as ``mentions.parquet``. A mention whose
offsets do not cut its text is a ``span-mismatch`` (field ``mention``) like an Event region's: the
table promises offsets that can be trusted.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import orjson
import polars as pl

from eventcoder.annotate.config import Control, labeling_config, parse_controls
from eventcoder.annotate.convert.assemble import assemble
from eventcoder.annotate.convert.conversion import (
    KEY,
    MENTION_SCHEMA,
    REJECT_SCHEMA,
    Conversion,
    write_conversion,
)
from eventcoder.annotate.convert.events import (
    annotation_rows,
    event_rows,
    mention_rows,
    prediction_rows,
    region_tables,
)
from eventcoder.annotate.convert.offsets import (
    SPAN_CUT_MACRO,
    editor_text,
    recount_utf16,
    restore_editor_text,
    utf16_to_code_points,
)
from eventcoder.annotate.convert.reading import check_brackets, load_export
from eventcoder.annotate.convert.structure import (
    check_config,
    field_controls,
    structural_problems,
)
from eventcoder.errors import ExportFormatError, InputError
from eventcoder.schema.codebook import Codebook

__all__ = [
    "KEY",
    "MENTION_SCHEMA",
    "REJECT_SCHEMA",
    "Conversion",
    "editor_text",
    "export_to_annotations",
    "read_annotations",
    "read_export",
    "utf16_to_code_points",
    "write_conversion",
]


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _controls(cb: Codebook, config: str | None) -> dict[str, Control]:
    return parse_controls(config if config is not None else labeling_config(cb))


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
    check_brackets(path)
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
        con.execute(SPAN_CUT_MACRO)
        say("reading export")
        load_export(con, path, cb)
        say("checking results")
        return _convert(con, path, cb, controls, say)
    finally:
        con.close()


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


def _convert(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    cb: Codebook,
    controls: dict[str, Control],
    say: Callable[[str], None],
) -> Conversion:
    check_config(con, path, cb, controls)
    fields = field_controls(cb, controls)
    region_tables(con)
    recounted = recount_utf16(con)
    restore_editor_text(con)
    problems = structural_problems(con, cb)
    say("building event rows")
    events = event_rows(con, cb, fields)
    return assemble(
        cb,
        events,
        problems,
        annotation_rows(con),
        prediction_rows(con),
        say,
        mention_rows(con),
        recounted,
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
