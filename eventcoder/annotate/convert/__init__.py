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

What cannot be read as an export of this codebook's config is not a reject but an
:class:`ExportFormatError` (exit 2, one line): duplicate task or annotation ids, a result from a
control, of a type or on an object the config does not have, a region label it does not offer,
bytes after the closing ``]``, a file that is no regular file or not UTF-8 JSON (a byte-order
mark, UTF-16, gzip), a JSON-MIN or CSV export, an id or offset that is no whole number, a
``was_cancelled`` other than true or false, an annotation time that is no timestamp, a key
given twice where convert reads it, a prediction of another shape (:mod:`.structure`,
:mod:`.reading`). Reading such a value would change it unseen (``128.5`` rounded to 128,
``0.5`` read as cancelled, the first of two ``text`` keys where the editor showed the last);
accepting another config's file would read its regions as this codebook's, or one article's
regions against another's text. A task repeated whole is taken once, with a note in
``notes``. Every event is accounted for under any rule severity: uniqueness rules compare
events within one annotation (coders code the same events on purpose), and an event leaves
only as a row of ``annotations`` or with a row in ``rejects``.

Rule ids the converter adds to the validator's (``required-field``, ``field-type``) and the
codebook's own (``sub-event-type-known``, ...):

=====================  ==========================================================================
result-missing         a submitted annotation whose ``result`` is null (not "no event found")
choice-not-in-config   a choice the control does not offer (rule of the field's vocabulary if any)
orphan-control         a per-region value whose region id is no Event region of the annotation
repeated-control       the same control filled more than once for one region
repeated-region        one region id drawn over different text (offsets or text) in one annotation:
                       read as one region, all but one would vanish
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

import importlib
import tempfile
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import orjson
import polars as pl

from eventcoder.annotate.config import Control, labeling_config, parse_controls
from eventcoder.annotate.convert.assemble import Extracted, build_conversion
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
from eventcoder.annotate.convert.reading import (
    check_brackets,
    connection,
    read_export_tables,
    split_results,
)
from eventcoder.annotate.convert.structure import (
    check_annotations,
    check_config,
    check_predictions,
    check_results,
    check_tasks,
    draft_notes,
    field_controls,
    structural_problems,
)
from eventcoder.errors import ExportFormatError, InputError, ResourceError
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
    "used_note",
    "utf16_to_code_points",
    "write_conversion",
]


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _targets(xml: str) -> set[str]:
    """The object tags (``toName``) the config's controls label: results name one of them."""
    return {
        name.strip()
        for el in ET.fromstring(xml).iter()
        for name in el.attrib.get("toName", "").split(",")
        if name.strip()
    }


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
    xml = config if config is not None else labeling_config(cb)
    try:
        controls, targets = parse_controls(xml), _targets(xml)
    except ET.ParseError as err:
        raise InputError(
            f"the labeling config is not XML ({err}); pass the project's config"
        ) from None
    meanwhile = _import_validator()
    with connection(path) as con:
        con.execute(SPAN_CUT_MACRO)
        say("reading export")
        read_export_tables(con, path, cb)
        notes = check_tasks(con, path)
        notes += draft_notes(con)
        split_results(con)
        check_annotations(con, path)
        say("checking results")
        parts = _extract(con, path, cb, controls, targets, say, notes)
    # DuckDB's tables are gone now: only the (much smaller) frames stay for validation.
    meanwhile.join()
    try:
        return build_conversion(cb, parts, say)
    except MemoryError:
        raise ResourceError(
            f"{path}: ran out of memory validating its events; the export is not at fault: "
            "free memory or use a machine with more",
            resource="memory",
            path=path,
        ) from None


def _import_validator() -> threading.Thread:
    """Import the validator and set pandera up (a third of a second or more) on another thread.

    DuckDB parses the export on one core and releases the GIL meanwhile, so this costs no time
    of its own on a machine with two cores or more; the thread is joined before validation.
    A failure is left for :func:`build_conversion` to meet again, on the main thread.
    """

    def run() -> None:
        try:
            importlib.import_module("eventcoder.schema.validation")
            importlib.import_module("eventcoder.schema.pandera_schemas").warm_up()
        except Exception:  # raised again, on the main thread, where validation needs it
            pass

    thread = threading.Thread(target=run, name="eventcoder-import-validator", daemon=True)
    thread.start()
    return thread


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


def _extract(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    cb: Codebook,
    controls: dict[str, Control],
    targets: set[str],
    say: Callable[[str], None],
    notes: list[str],
) -> Extracted:
    check_config(con, path, cb, controls)
    check_results(con, path, controls, targets)
    check_predictions(con, path)
    fields = field_controls(cb, controls)
    region_tables(con)
    recounted = recount_utf16(con)
    restore_editor_text(con)
    problems = structural_problems(con, cb)
    say("building event rows")
    return Extracted(
        events=event_rows(con, cb, fields),
        problems=problems,
        meta=annotation_rows(con),
        predictions=prediction_rows(con),
        mentions=mention_rows(con),
        recounted=recounted,
        notes=tuple(notes),
    )


def used_note(path: Path, conv: Conversion) -> str:
    """What became of an export's annotations when a later stage reads it directly: only the
    accepted ones go on, so the others are said, as ``convert`` says them."""
    return (
        f"{path.name}: {conv.reconciliation()}; the accepted ones are used "
        "(`eventcoder convert` writes the rejects and the skipped)"
    )


def read_annotations(
    path: str | Path, cb: Codebook, on_note: Callable[[str], None] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Return ``(annotations, coded)`` of an annotations Parquet table or an LS export.

    ``coded`` lists the accepted annotations, events or not (event detection counts a coder who
    found nothing): from the export itself, or from the ``coded.parquet`` that ``eventcoder
    convert`` writes beside the annotations table; None when there is none. The one reader of
    annotations for agreement, adjudication and releases.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file", path=str(path))
    # A named pipe would be waited on for ever, a device read for ever. (A folder of Parquet
    # files is read as one table; a folder named .json is refused by read_export.)
    if not path.is_file() and not path.is_dir():
        raise InputError(
            f"{path}: not a regular file (a pipe or a device); pass the annotations table or "
            "the export file",
            path=str(path),
        )
    if path.suffix.lower() == ".json":
        conv = read_export(path, cb)
        if on_note is not None:
            on_note(used_note(path, conv))
        return conv.annotations, conv.coded
    # glob=False: a folder named "run [draft]" is a folder, not a pattern matching nothing
    try:
        frame = pl.read_parquet(path, glob=False)
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
    coded = pl.read_parquet(beside, glob=False) if beside.exists() and beside != path else None
    return frame, coded
