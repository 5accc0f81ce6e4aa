"""A cell's text read as its field's type: numbers, whole numbers, booleans, missing tokens.

Reading, not changing: each function gives the value the cell holds in the field's type, or
null where it holds none (``NaN``, ``inf``, ``1.7E+09`` in a count); :mod:`.prepare` makes the
nulls failures with the value as written.
"""

from __future__ import annotations

import polars as pl


def parse_cell(col: pl.Expr, ftype: str, source: pl.DataType) -> pl.Expr:
    if ftype == "string":
        return col.cast(pl.String)
    if ftype == "date":
        if source == pl.Date:
            return col
        return col.cast(pl.Date)  # a Datetime column; text dates go through read_dates
    if ftype == "integer":
        if source.is_integer():
            return col.cast(pl.Int64)
        number = parse_number(col, source)
        whole = number == number.round(0)
        if not source.is_numeric():
            # 1.7E+09 is how a spreadsheet shows a timestamp too wide for its cell, and saves it
            # so: the digits beyond the shown ones are gone, and no count is written that way.
            whole = whole & ~col.cast(pl.String).str.contains("[eE]")
        return pl.when(whole).then(number.cast(pl.Int64, strict=False))
    if ftype == "number":
        return parse_number(col, source)
    if ftype == "boolean":
        text = col.cast(pl.String).str.to_lowercase().str.strip_chars()
        return (
            pl.when(text.is_in(["true", "1", "yes"]))
            .then(True)
            .when(text.is_in(["false", "0", "no"]))
            .then(False)
        )
    raise ValueError(ftype)  # pragma: no cover - field types are checked at load


def parse_number(col: pl.Expr, source: pl.DataType) -> pl.Expr:
    if source == pl.Float32:
        # A float32 column (pandas' astype("float32"), R's arrow) holds 14.0512 as
        # 14.0511999130249...; its shortest spelling is the value the tool wrote.
        return col.cast(pl.String).cast(pl.Float64)
    if source.is_numeric():
        return col.cast(pl.Float64)
    number = col.cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)
    # "NaN", "inf" and "1e999" parse as floats; none is a count or a coordinate anyone wrote.
    return pl.when(number.is_finite()).then(number)


# Digits other scripts write (Arabic-Indic, Extended Arabic-Indic, full-width), and the Arabic
# decimal separator, with the ASCII characters they stand for.
DIGITS = [
    *(chr(c) for c in range(0x0660, 0x066A)),
    *(chr(c) for c in range(0x06F0, 0x06FA)),
    *(chr(c) for c in range(0xFF10, 0xFF1A)),
    "\u066b",
]
ASCII_DIGITS = [*(str(d) for d in range(10))] * 3 + ["."]
OTHER_DIGITS = "[\u0660-\u0669\u06f0-\u06f9\uff10-\uff19]"

# Digits in groups of three separated by a space, no-break space or narrow no-break space.
GROUPED = "^-?\\d{1,3}(?:[ \u00a0\u202f]\\d{3})+$"
SPACES = "[ \u00a0\u202f]"


def unread(typed: pl.Expr, ftype: str) -> pl.Expr:
    """Whether a plain cast left a value unread (a number field's NaN and inf count as such)."""
    if ftype == "number":
        return typed.is_null() | ~typed.is_finite()
    return typed.is_null()


def blank_tokens(col: pl.Expr, tokens: tuple[str, ...]) -> pl.Expr:
    """Text with blank cells and missing-value tokens as null."""
    gone = col == ""
    if tokens:
        gone = gone | col.is_in(list(tokens))
    return pl.when(gone).then(None).otherwise(col)
