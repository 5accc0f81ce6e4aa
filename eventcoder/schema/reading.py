"""Reading event tables as people hold them: one file, one table, every cell as written.

What is detected, and said once in a note when it is not the default:

- **the file**: a directory, an Excel workbook, a binary or unreadable file is refused in one line
  naming it (:class:`~eventcoder.errors.InputError`);
- **the encoding**: a byte-order mark (UTF-8, UTF-16) says it; otherwise UTF-8 when every byte
  fits, else Windows' Western code page cp1252 (what spreadsheets on Windows save), or Mac Roman
  when lines end in CR alone (old Macs), with a note; ``encoding=`` forces one. Encoding
  detectors such as charset-normalizer were tried and guess among dozens of code pages: on a
  short export they read ``Béni`` as cp775's ``Bķni``.
- **the delimiter**: ``,``, ``;`` (ACLED's export tool) or tab, whichever splits the header and
  the first rows into the same number of fields (quotes respected); a spreadsheet's ``sep=;``
  first line is honoured;
- **the lines**: LF, CRLF, or CR alone (old Mac files; a CR inside a quoted cell stays as
  written); blank lines are not rows and are skipped; a row with more cells than the header is
  refused naming its line, unless its extra cells are all empty, and so is a row with fewer;
- **the headers**: a header written twice is refused unless the second copy holds nothing the
  first does not (it is then dropped); a first line of values (a file without its header) is
  refused;
- **Arrow IPC (Feather version 2) files** are read as Parquet files are;
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
from eventcoder.schema.encodings import (
    FALLBACK,
    SAMPLE_BYTES,
    codec,
    decode_all,
    decode_utf8,
    decode_western,
    detect_encoding,
)

SAMPLE_CHARS = 1 << 16  # parsed to find the delimiter
DELIMITERS = (",", ";", "\t")
_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


def is_text(dtype: pl.DataType) -> bool:
    """Whether a stored type holds text: strings, or categories of strings (an R factor or a
    pandas category, dictionary-encoded in Parquet)."""
    return dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum))


# Which stored types a codebook field of each type can be read from (text always can).
_READABLE: dict[str, Callable[[pl.DataType], bool]] = {
    "string": lambda d: is_text(d) or d == pl.Null or d.is_numeric(),
    "integer": lambda d: is_text(d) or d == pl.Null or d.is_numeric(),
    "number": lambda d: is_text(d) or d == pl.Null or d.is_numeric(),
    "date": lambda d: is_text(d) or d in (pl.Null, pl.Date) or isinstance(d, pl.Datetime),
    "boolean": lambda d: is_text(d) or d in (pl.Null, pl.Boolean) or d.is_integer(),
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
    if head.startswith(b"ARROW1") or path.suffix.lower() in (".arrow", ".feather", ".ipc"):
        if head.startswith(b"FEA1"):
            raise InputError(
                f"{path}: is a Feather version 1 file, which no current tool reads; "
                "write it again as Feather version 2 or Parquet",
                path=str(path),
            )
        return TableFile(_read_ipc(path))
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


def _read_ipc(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_ipc(path)
    except (pl.exceptions.PolarsError, OSError) as err:
        raise InputError(
            f"{path}: cannot read it as an Arrow IPC (Feather) table ({_first_line(err)})",
            path=str(path),
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
        name = codec(encoding, path)
        data = decode_all(path, name)
    else:
        name, data = detect_encoding(path, head, notes)
    text = head.decode(name or "utf-8", errors="replace") if data is None else data
    # Whether the sample below is the whole file (then its last row is complete).
    whole = len(text) <= SAMPLE_CHARS and (data is not None or len(head) < SAMPLE_BYTES)
    sample = text[:SAMPLE_CHARS].lstrip("\ufeff")
    start = sample.lstrip()[:1]
    if start in ("[", "{", "<"):
        what = "JSON" if start != "<" else "XML or HTML"
        raise InputError(
            f"{path}: is {what}, not a table file; save the table as CSV or Parquet "
            "(a Label Studio export goes to eventcoder convert)",
            path=str(path),
        )
    if "\x00" in sample:
        odd, even = head[1:4096:2], head[0:4096:2]
        if head[:1] != b"\x00" and odd.count(0) > 0.9 * len(odd):
            raise InputError(
                f"{path}: is UTF-16 text without a byte-order mark; pass --encoding utf-16-le",
                path=str(path),
            )
        if head[:1] == b"\x00" and even.count(0) > 0.9 * len(even):
            raise InputError(
                f"{path}: is UTF-16 text without a byte-order mark; pass --encoding utf-16-be",
                path=str(path),
            )
        raise InputError(f"{path}: is not a text table (it holds binary data)", path=str(path))
    if "\r" in sample and "\n" not in sample:
        # Lines ended by CR alone (classic Mac OS, old Excel for Mac): polars knows only LF.
        if data is None:
            data = decode_utf8(path, notes)
            name = name or "utf-8"
        data = _cr_to_lf(data)
        notes.append(f"{path.name}: lines end in CR alone (old Mac); read as line ends")
        sample = data[:SAMPLE_CHARS].lstrip("\ufeff")
    skip = 0
    # A spreadsheet's "sep=;" first line, quoted or followed by empty cells as some save it.
    hint = re.match(r'"?sep=(.)"?[,;\t]*\r?\n', sample)
    if hint:
        delimiter, skip = hint.group(1), 1
    else:
        delimiter = _delimiter(sample, path, whole)
    if delimiter != ",":
        notes.append(f"{path.name}: {_NAMES.get(delimiter, repr(delimiter))}-separated")
    try:
        frame = _parse_text(path, data, delimiter, skip, notes)
    except pl.exceptions.ComputeError as err:
        if data is None and "utf-8" in str(err).lower():
            # The first megabyte was UTF-8 and a later byte is not: read it all as the fallback.
            data, note = decode_western(path)
            notes.append(note)
            name = FALLBACK
            try:
                frame = _parse_text(path, data, delimiter, skip, notes)
            except pl.exceptions.PolarsError as again:
                raise _unreadable(path, delimiter, again) from None
        else:
            raise _unreadable(path, delimiter, err) from None
    except pl.exceptions.PolarsError as err:
        raise _unreadable(path, delimiter, err) from None
    _refuse_headerless(frame, path)
    _refuse_short_rows(frame, path, data, delimiter, skip)
    frame = _drop_unnamed(frame, notes)
    frame = _drop_repeated_headers(frame, path, notes)
    frame = _drop_blank_lines(frame, notes)
    if not frame.height:
        notes.append(f"{path.name}: holds a header and no rows")
    return TableFile(frame, name or "utf-8", delimiter, tuple(notes))


def _parse_text(
    path: Path, data: str | None, delimiter: str, skip: int, notes: list[str]
) -> pl.DataFrame:
    """The table of a text file (``data``: its decoded text, None to read the UTF-8 file as is);
    a row with more cells than the header is refused naming its line, unless the extra cells
    are empty."""
    source: Any = path if data is None else io.BytesIO(data.encode("utf-8"))
    try:
        return _parse_csv(source, delimiter, skip)
    except pl.exceptions.ComputeError as err:
        if "more fields" not in str(err):
            raise
    text = data if data is not None else path.read_bytes().decode("utf-8-sig", errors="replace")
    line, cells, width = _long_row(text, delimiter, skip)
    if line:
        why = (
            "is the first line a title above the header?"
            if width == 1
            else "a cell was added or a delimiter left unquoted on that line"
        )
        raise InputError(
            f"{path}: line {line} has {cells} cells, the header {width}; {why}",
            path=str(path),
        )
    notes.append(
        f"{path.name}: some lines end in empty cells past the header's last column; ignored"
    )
    source = path if data is None else io.BytesIO(data.encode("utf-8"))
    return _parse_csv(source, delimiter, skip, ragged=True)


def _refuse_short_rows(
    frame: pl.DataFrame, path: Path, data: str | None, delimiter: str, skip: int
) -> None:
    """Raise :class:`InputError` naming the line of a row with fewer cells than the header.

    polars reads the missing cells of a short row as blank. A row is short when a cell was
    deleted or a delimiter lost, and every later value then sits in the next column's place
    (a longitude in latitude): no cell of it can be trusted. Short rows leave the last column
    with a value blank, so the file is read again only when that column has a blank cell.
    """
    filled = [c for c in frame.columns if frame[c].null_count() < frame.height]
    if not filled or not frame[filled[-1]].null_count():
        return
    needed = frame.columns.index(filled[-1]) + 1
    raw = data.encode("utf-8") if data is not None else path.read_bytes()
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    cells = _cells_per_record(raw, delimiter)
    if not (cells[skip + 1 :] < needed).any():
        return
    text = raw.decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    for i, row in enumerate(reader):
        if i > skip and row and any(c.strip() for c in row) and len(row) < needed:
            width = len(frame.columns)
            raise InputError(
                f"{path}: line {start} has {len(row)} cells, the header {width}; "
                "a cell was deleted or a delimiter lost on that line",
                path=str(path),
            )
        start = reader.line_num + 1


def _cells_per_record(raw: bytes, delimiter: str) -> Any:
    """The number of cells of each record of CSV bytes (blank lines: a large number, so that
    they never count as short), found with array operations: a record ends at a line feed
    outside quotes (an even number of quotes before it), a cell at a delimiter outside them."""
    import numpy as np

    arr = np.frombuffer(raw, np.uint8)
    quotes = np.flatnonzero(arr == ord('"'))
    feeds = np.flatnonzero(arr == ord("\n"))
    ends = feeds[np.searchsorted(quotes, feeds) % 2 == 0]
    if not len(ends) or ends[-1] != len(arr) - 1:
        ends = np.append(ends, len(arr))
    delims = np.flatnonzero(arr == ord(delimiter))
    delims = delims[np.searchsorted(quotes, delims) % 2 == 0]
    per_record = np.diff(np.searchsorted(delims, ends), prepend=0) + 1
    starts = np.concatenate(([0], ends[:-1] + 1))
    length = ends - starts
    # A blank line, or one holding only a CR, is no record.
    blank = (length == 0) | ((length == 1) & (arr[np.minimum(starts, len(arr) - 1)] == 13))
    per_record[blank] = np.iinfo(per_record.dtype).max
    return per_record


def _long_row(text: str, delimiter: str, skip: int) -> tuple[int, int, int]:
    """The first line holding a row with a non-empty cell past the header's width: (line, cells,
    header width), line 0 when there is none. Only called when polars found a long row."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
    width = 0
    start = 1
    for i, row in enumerate(reader):
        if i == skip:
            width = len(row)
        elif i > skip and len(row) > width and any(c.strip() for c in row[width:]):
            return start, len(row), width
        start = reader.line_num + 1
    return 0, 0, width


def _parse_csv(source: Any, delimiter: str, skip: int, *, ragged: bool = False) -> pl.DataFrame:
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
        truncate_ragged_lines=ragged,
    )


def _cr_to_lf(text: str) -> str:
    """``text`` with each CR outside quotes as LF. Quoted sections alternate with the rest
    (a doubled quote inside a cell closes one section and opens the next), so a CR inside a
    quoted cell, a line break within a note, stays as written."""
    return re.sub(r'"[^"]*"|\r', lambda m: "\n" if m.group() == "\r" else m.group(), text)


def _drop_blank_lines(frame: pl.DataFrame, notes: list[str]) -> pl.DataFrame:
    """``frame`` without the rows of blank lines (every cell missing), which are no rows: a
    spreadsheet leaves them between blocks of rows and at the end of a file."""
    # A column without a missing cell (an id, a date) proves there is no blank line, and the
    # null counts are known without reading a value.
    if not frame.height or not frame.width or min(frame.null_count().row(0)) == 0:
        return frame
    blank = frame.select(pl.all_horizontal(pl.all().is_null())).to_series()
    count = int(blank.sum())
    if count:
        notes.append(f"skipped {count} blank line(s) (no cell holds a value)")
        frame = frame.filter(~blank)
    return frame


def _short(value: object, limit: int = 30) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


# Cells no header is made of: a decimal number or a date (a header-less file's first row).
_VALUE = re.compile(r"-?\d+[.,]\d+|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")


def _refuse_headerless(frame: pl.DataFrame, path: Path) -> None:
    """Raise :class:`InputError` when the first line holds values rather than column names."""
    values = [c for c in frame.columns if _VALUE.fullmatch(c.strip())]
    if values:
        shown = ", ".join(_short(v) for v in values[:2])
        raise InputError(
            f"{path}: the first line holds values ({shown}), not column names; add the header line",
            path=str(path),
        )


def _drop_repeated_headers(frame: pl.DataFrame, path: Path, notes: list[str]) -> pl.DataFrame:
    """``frame`` without second copies of a header that hold nothing new; refuses two columns of
    one name holding different values (which one is the field's is not for us to guess)."""
    dropped = []
    for col in frame.columns:
        found = re.fullmatch(r"(.+)_duplicated_\d+", col)
        if not found or found.group(1) not in frame.columns:
            continue
        first = found.group(1)
        copy = frame[col]
        if copy.null_count() == frame.height or copy.equals(frame[first], null_equal=True):
            dropped.append(col)
            continue
        differs = (copy.ne_missing(frame[first])).arg_true()[0]
        raise InputError(
            f"{path}: two columns are named {first!r} and hold different values (row "
            f"{differs + 1}: {_short(frame[first][differs])} and {_short(copy[differs])}); "
            "keep one",
            path=str(path),
        )
    if dropped:
        names = sorted({re.sub(r"_duplicated_\d+$", "", c) for c in dropped})
        notes.append(
            f"dropped {len(dropped)} repeated column(s) ({', '.join(names)}) holding no other "
            "value than the first"
        )
        frame = frame.drop(dropped)
    return frame


def _unreadable(path: Path, delimiter: str, err: Exception) -> InputError:
    what = _NAMES.get(delimiter, repr(delimiter))
    return InputError(
        f"{path}: cannot read it as a {what}-separated table ({_first_line(err)})", path=str(path)
    )


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


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
    """A header as compared with field names: case, surrounding and inner spacing ignored, and
    invisible characters (a byte-order mark a tool quoted into the first header, zero-width
    spaces) dropped."""
    name = _BOM_PREFIX.sub("", _INVISIBLE.sub("", name).strip())
    return re.sub(r"[\s_]+", "_", name.lower())


_INVISIBLE = re.compile("[\ufeff\u200b\u200c\u200d\u2060]")
# A UTF-8 byte-order mark read as part of the first header and written back: as cp1252 text
# (``ï»¿``), and as R's read.csv names it, on Windows (``ï..``) or elsewhere (``X.U.FEFF.``).
_BOM_PREFIX = re.compile(r"^(?:ï»¿|ï\.\.|X\.U\.FEFF\.)")


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


def missing_numbers(cb: Codebook) -> tuple[str, ...]:
    """The cell values read as blank in number, integer and date fields only
    (``settings.missing_numbers``): spellings of "no value" that no number or date can be, but
    a text can (an actor called None)."""
    return tuple(str(v) for v in cb.settings.get("missing_numbers") or ())


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
    """Problems with the reading settings of a codebook (``missing_values``,
    ``missing_numbers``, ``layouts``)."""
    problems = []
    for key in ("missing_values", "missing_numbers"):
        tokens = settings.get(key)
        if tokens is not None and (
            not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens)
        ):
            problems.append((f"settings.{key}", "must be a list of strings"))
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
