"""Reading event tables as people hold them: one file, one table, every cell as written.

What is detected, and said once in a note when it is not the default:

- **the file**: a directory, an Excel workbook, a binary or unreadable file is refused in one line
  naming it (:class:`~eventcoder.errors.InputError`);
- **the encoding**: a byte-order mark (UTF-8, UTF-16) says it; otherwise UTF-8 when every byte
  fits, else Windows' Western code page cp1252 (what spreadsheets on Windows save), with a note;
  ``encoding=`` forces one. Encoding detectors such as charset-normalizer were tried and guess
  among dozens of code pages: on a short export they read ``Béni`` as cp775's ``Bķni``.
- **the delimiter**: ``,``, ``;`` (ACLED's export tool) or tab, whichever splits the header and
  the first rows into the same number of fields (quotes respected); a spreadsheet's ``sep=;``
  first line is honoured;
- **Parquet columns** that hold lists or structs, or a type the codebook field cannot take
  (``latitude`` as true/false, a date as a number), are refused naming the file and the column.

Header names are matched to the codebook's fields case- and space-insensitively, and to their
former names (``aliases``) in :func:`match_columns`, called by validation.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from eventcoder.errors import InputError
from eventcoder.schema.codebook import Codebook

SAMPLE_BYTES = 1 << 20  # read to check the encoding
SAMPLE_CHARS = 1 << 16  # parsed to find the delimiter
DELIMITERS = (",", ";", "\t")
_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_FALLBACK = "cp1252"
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Which stored types a codebook field of each type can be read from (text always can).
_READABLE: dict[str, Callable[[pl.DataType], bool]] = {
    "string": lambda d: d in (pl.String, pl.Categorical, pl.Enum, pl.Null) or d.is_numeric(),
    "integer": lambda d: d in (pl.String, pl.Null) or d.is_numeric(),
    "number": lambda d: d in (pl.String, pl.Null) or d.is_numeric(),
    "date": lambda d: d in (pl.String, pl.Null, pl.Date) or isinstance(d, pl.Datetime),
    "boolean": lambda d: d in (pl.String, pl.Null, pl.Boolean) or d.is_integer(),
}


@dataclass(frozen=True)
class TableFile:
    """A table read from a file: its cells, and what was detected to read it."""

    frame: pl.DataFrame
    encoding: str | None = None
    delimiter: str | None = None
    notes: tuple[str, ...] = ()


def open_table(path: str | Path, *, encoding: str | None = None) -> TableFile:
    """Read one table file (CSV/TSV text or Parquet); text cells stay text until validation.

    Raises :class:`InputError`, one line naming the file (and the column), when the path is not
    one readable table.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(
            f"{path}: is a directory; give one table file (CSV, TSV or Parquet)", path=str(path)
        )
    if not path.exists():
        raise InputError(f"{path}: no such file", path=str(path))
    try:
        with path.open("rb") as handle:
            head = handle.read(SAMPLE_BYTES)
    except OSError as err:
        raise InputError(
            f"{path}: cannot read it ({err.strerror or err})", path=str(path)
        ) from None
    if head.startswith(b"PAR1") or path.suffix.lower() == ".parquet":
        return TableFile(_read_parquet(path))
    if head.startswith(b"\x1f\x8b"):
        raise InputError(f"{path}: is gzip-compressed; decompress it first", path=str(path))
    if path.suffix.lower() == ".zip":
        raise InputError(
            f"{path}: is a zip archive; extract the table file from it", path=str(path)
        )
    if head.startswith(b"PK\x03\x04") or path.suffix.lower() in (".xlsx", ".xls", ".ods"):
        raise InputError(
            f"{path}: is a spreadsheet workbook, not a table file; save the sheet as CSV",
            path=str(path),
        )
    if not head.strip():
        raise InputError(f"{path}: is empty", path=str(path))
    return _read_text(path, head, encoding)


def read_table(path: str | Path, *, encoding: str | None = None) -> pl.DataFrame:
    """Read an events table (CSV, TSV or Parquet); CSV cells stay text until validation."""
    return open_table(path, encoding=encoding).frame


def _read_parquet(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(path, glob=False)
    except (pl.exceptions.PolarsError, OSError) as err:
        raise InputError(
            f"{path}: cannot read it as a Parquet table ({_first_line(err)})", path=str(path)
        ) from None
    for name, dtype in frame.schema.items():
        _refuse_cells(name, dtype, str(path))
    return frame


def _refuse_cells(name: str, dtype: pl.DataType, source: str | None) -> None:
    """Raise :class:`InputError` when column ``name`` holds lists, records or bytes."""
    if dtype.is_nested() or dtype in (pl.Binary, pl.Object):
        where = f"{source}: " if source else ""
        raise InputError(
            f"{where}column {name!r} holds {_kind(dtype)}, not one value per cell; "
            "write it as text (several values separated by '; ')",
            path=source,
        )


def _kind(dtype: pl.DataType) -> str:
    if isinstance(dtype, (pl.List, pl.Array)):
        return f"lists ({dtype})"
    if isinstance(dtype, pl.Struct):
        return f"records ({dtype})"
    return f"{dtype} values"


def check_column_types(frame: pl.DataFrame, cb: Codebook, source: str | None = None) -> None:
    """Raise :class:`InputError` naming the first column whose stored type its field cannot take."""
    where = f"{source}: " if source else ""
    for name, dtype in frame.schema.items():
        _refuse_cells(name, dtype, source)
        if name in cb.field_names:
            ftype = cb.field(name).type
            if not _READABLE[ftype](dtype):
                raise InputError(
                    f"{where}column {name!r} is stored as {dtype}, which cannot hold the "
                    f"codebook's {ftype} field {name}; store it as a {ftype} or as text",
                    path=source,
                )


# --------------------------------------------------------------------------------------------
# Text files: encoding and delimiter
# --------------------------------------------------------------------------------------------


def _read_text(path: Path, head: bytes, encoding: str | None) -> TableFile:
    notes: list[str] = []
    name: str | None
    data: str | None
    if encoding is not None:
        name = _codec(encoding, path)
        data = _decode_all(path, name)
    else:
        name, data = _detect(path, head, notes)
    text = head.decode(name or "utf-8", errors="replace") if data is None else data
    # Whether the sample below is the whole file (then its last row is complete).
    whole = len(text) <= SAMPLE_CHARS and (data is not None or len(head) < SAMPLE_BYTES)
    sample = text[:SAMPLE_CHARS].lstrip("\ufeff")
    if "\x00" in sample:
        raise InputError(f"{path}: is not a text table (it holds binary data)", path=str(path))
    skip = 0
    hint = re.match(r"sep=(.)\r?\n", sample)
    if hint:
        delimiter, skip = hint.group(1), 1
    else:
        delimiter = _delimiter(sample, path, whole)
    if delimiter != ",":
        notes.append(f"{path.name}: {_NAMES.get(delimiter, repr(delimiter))}-separated")
    source: Any = path if data is None else io.BytesIO(data.encode("utf-8"))
    try:
        frame = _parse_csv(source, delimiter, skip)
    except pl.exceptions.ComputeError as err:
        if data is None and "utf-8" in str(err).lower():
            # The first megabyte was UTF-8 and a later byte is not: read it all as the fallback.
            data = _decode_all(path, _FALLBACK)
            notes.append(_fallback_note(path))
            return _finish(path, data, delimiter, skip, _FALLBACK, notes)
        raise _unreadable(path, delimiter, err) from None
    except pl.exceptions.PolarsError as err:
        raise _unreadable(path, delimiter, err) from None
    return TableFile(_drop_unnamed(frame, notes), name or "utf-8", delimiter, tuple(notes))


def _finish(
    path: Path, data: str, delimiter: str, skip: int, name: str, notes: list[str]
) -> TableFile:
    try:
        frame = _parse_csv(io.BytesIO(data.encode("utf-8")), delimiter, skip)
    except pl.exceptions.PolarsError as err:
        raise _unreadable(path, delimiter, err) from None
    return TableFile(_drop_unnamed(frame, notes), name, delimiter, tuple(notes))


def _parse_csv(source: Any, delimiter: str, skip: int) -> pl.DataFrame:
    """UTF-8 text as a table of text cells (a file's path, or text decoded and re-encoded)."""
    # A user's file name is a name, never a pattern: `export[draft].csv` is that one file
    # (polars ignores ``glob`` for bytes).
    return pl.read_csv(
        source,
        glob=False,
        separator=delimiter,
        infer_schema=False,
        encoding="utf8",
        skip_rows=skip,
        raise_if_empty=False,
    )


def _unreadable(path: Path, delimiter: str, err: Exception) -> InputError:
    what = _NAMES.get(delimiter, repr(delimiter))
    return InputError(
        f"{path}: cannot read it as a {what}-separated table ({_first_line(err)})", path=str(path)
    )


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _codec(encoding: str, path: Path) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"{path}: unknown encoding {encoding!r}", path=str(path)) from None


def _decode_all(path: Path, name: str) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode(name)
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InputError(
            f"{path}: line {line} is not {name} (byte {raw[err.start]:#04x}); "
            "pass the file's encoding with --encoding",
            path=str(path),
        ) from None


def _detect(path: Path, head: bytes, notes: list[str]) -> tuple[str | None, str | None]:
    """The encoding to read with, and the decoded text when polars cannot read the file as is
    (None: read the file itself as UTF-8)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            if name == "utf-8-sig":
                return None, None  # polars skips a UTF-8 byte-order mark itself
            notes.append(f"{path.name}: read as {name.upper()} (its byte-order mark says so)")
            return name, _decode_all(path, name)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=len(head) < SAMPLE_BYTES)
        return None, None
    except UnicodeDecodeError:
        pass
    notes.append(_fallback_note(path))
    try:
        return _FALLBACK, _decode_all(path, _FALLBACK)
    except InputError:
        # cp1252 leaves five bytes undefined; latin-1 defines every byte.
        return "latin-1", path.read_bytes().decode("latin-1")


def _fallback_note(path: Path) -> str:
    return (
        f"{path.name}: not UTF-8; read as {_FALLBACK} (Windows Western); "
        "pass --encoding if it is another"
    )


def _delimiter(sample: str, path: Path, whole: bool) -> str:
    """The delimiter that splits the header and the sampled rows into equal numbers of fields.

    ``whole``: the sample is the whole file; otherwise its last row may be cut (even inside a
    quoted note) and is not counted.
    """
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if r]
        except csv.Error:
            continue
        if not whole:
            rows = rows[:-1]
        rows = rows[:200]
        if not rows or len(rows[0]) < 2:  # one field per row: not this delimiter
            continue
        width = len(rows[0])
        # Rows as wide as the header first, then the wider header.
        score = (sum(len(r) == width for r in rows[1:]), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _drop_unnamed(frame: pl.DataFrame, notes: list[str]) -> pl.DataFrame:
    """Drop columns with no header and no value (spreadsheets save trailing empty columns)."""
    nameless = [c for c in frame.columns if not c.strip() or re.fullmatch(r"_duplicated_\d+", c)]
    unnamed = [c for c in nameless if frame[c].null_count() == frame.height]
    if unnamed:
        notes.append(f"dropped {len(unnamed)} column(s) with neither a header nor a value")
        frame = frame.drop(unnamed)
    return frame


# --------------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------------


def header_key(name: str) -> str:
    """A header as compared with field names: case, surrounding and inner spacing ignored."""
    return re.sub(r"[\s_]+", "_", name.strip().lower())


@dataclass(frozen=True)
class Layout:
    """A layout of files this codebook cannot read, recognised by its columns."""

    name: str
    columns: tuple[str, ...]
    note: str = ""


def layouts(cb: Codebook) -> list[Layout]:
    """The codebook's known unreadable layouts (``settings.layouts``)."""
    out = []
    for item in cb.settings.get("layouts") or []:
        out.append(Layout(str(item["name"]), tuple(item["columns"]), str(item.get("note", ""))))
    return out


def missing_values(cb: Codebook) -> tuple[str, ...]:
    """The cell values read as blank (``settings.missing_values``; blank cells always are)."""
    return tuple(str(v) for v in cb.settings.get("missing_values") or ())


def match_columns(
    frame: pl.DataFrame, cb: Codebook, source: str | None = None
) -> tuple[pl.DataFrame, list[str]]:
    """``frame`` with headers renamed to the codebook's field names, and notes saying so.

    A header matches a field when they are equal ignoring case and spacing (``EVENT_DATE``,
    ``Event Date``), or when it is one of the field's former names (``ally_actor_1``) and the
    field itself is absent. Columns that match no field keep their names.
    """
    where = f"{source}: " if source else ""
    names = {header_key(f.name): f.name for f in cb.fields}
    aliases = {header_key(a): f.name for f in cb.fields for a in f.aliases}
    plain: dict[str, str] = {}
    for col in frame.columns:
        target = names.get(header_key(col))
        if target is not None and col != target:
            plain[col] = target
    taken = {plain.get(c, c) for c in frame.columns}
    legacy: dict[str, str] = {}
    for col in frame.columns:
        target = aliases.get(header_key(col))
        if target is not None and col not in plain and target not in taken:
            legacy[col] = target
            taken.add(target)
    renames = {**plain, **legacy}
    seen: dict[str, str] = {}
    for col in frame.columns:
        new = renames.get(col, col)
        if new in seen:
            raise InputError(
                f"{where}columns {seen[new]!r} and {col!r} both hold {new}; keep one",
                path=source,
            )
        seen[new] = col
    notes = []
    if plain:
        shown = list(plain.items())[:3]
        more = f" and {len(plain) - 3} more" if len(plain) > 3 else ""
        notes.append(
            "matched headers to field names ignoring case and spacing: "
            + ", ".join(f"{a} -> {b}" for a, b in shown)
            + more
        )
    if legacy:
        notes.append(
            "renamed legacy columns: " + ", ".join(f"{a} -> {b}" for a, b in legacy.items())
        )
    return (frame.rename(renames) if renames else frame), notes


def refuse_layout(
    columns: Iterable[str], missing: list[str], cb: Codebook, source: str | None = None
) -> InputError:
    """The error for a table lacking required columns, naming its layout when the codebook
    knows it (``settings.layouts``)."""
    where = f"{source}: " if source else ""
    keys = {header_key(c) for c in columns}
    for layout in layouts(cb):
        if keys & {header_key(c) for c in layout.columns}:
            what = f" ({layout.note})" if layout.note else ""
            return InputError(
                f"{where}{layout.name}{what}; this codebook needs "
                f"{', '.join(missing)}, which it lacks",
                path=source,
            )
    return InputError(f"{where}missing required column(s): {', '.join(missing)}", path=source)


def settings_problems(settings: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Problems with the reading settings of a codebook (``missing_values``, ``layouts``)."""
    problems = []
    tokens = settings.get("missing_values")
    if tokens is not None and (
        not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens)
    ):
        problems.append(("settings.missing_values", "must be a list of strings"))
    items = settings.get("layouts")
    if items is not None:
        if not isinstance(items, list):
            problems.append(("settings.layouts", "must be a list"))
            items = []
        for i, item in enumerate(items):
            ok = (
                isinstance(item, dict)
                and isinstance(item.get("name"), str)
                and isinstance(item.get("columns"), list)
                and all(isinstance(c, str) for c in item["columns"])
            )
            if not ok:
                problems.append((f"settings.layouts[{i}]", "needs a name and a list of columns"))
    return problems
