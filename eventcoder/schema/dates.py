"""Date columns as people hold them: one format per column, inferred from all of its values.

Exports, spreadsheets, R and Stata write the same day in many forms (``2020-05-09``,
``9 May 2020``, ``9-May-20``, ``09-May-2020``, ``31-12-19``, ``12/31/2019``, ``2019/12/31``,
``09may2020``, ...). Guessing each
value on its own goes wrong silently: ``9-May-20`` fits ``%d-%B-%Y`` as the year 20, and
``05/06/2020`` is a day in May or in June. So a column's values are sorted into *shapes* (digits
and names in a given order and length), and each shape's format is chosen from all its values:

1. a format must fit every value's digits exactly (``%Y`` four digits, ``%y`` two), so no year
   can come out as 20 or 31;
2. the formats that leave the fewest values unreadable win (a day above 12 rules out reading it
   as a month; a date before 1900 or after today counts as unreadable);
3. if formats still disagree, the table's ``year`` column decides (the format whose years agree
   with it on most rows; it tells a two-digit year's century, not the order of day and month);
4. if they still disagree, :class:`DateFormatError` names the column and asks for a format.

Year-first forms with two-digit years (``19-12-31``) are not read: spreadsheets do not write them,
and allowing them would make ``31-12-19`` ambiguous. Two-digit years are read in the century that
matches the ``year`` column when the table has one, otherwise as the latest year not after this
one (``97`` is 1997, ``20`` is 2020).

Everything works on the column's distinct values (a few thousand in a million rows).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import polars as pl

from eventcoder.errors import InputError

# Dates outside these bounds are not events people code: a value that reads as one is a misread.
EARLIEST = date(1900, 1, 1)

_TOKENS = {
    "%Y": r"\d{4}",
    "%y": r"\d{2}",
    "%m": r"\d{1,2}",
    "%d": r"\d{1,2}",
    "%B": r"[A-Za-z]+",
    "%b": r"[A-Za-z]+",
}


@dataclass(frozen=True)
class _Shape:
    """Values that look alike, and the formats that could have written them (first preferred)."""

    pattern: str
    formats: tuple[str, ...]


# A midnight time after a date, as spreadsheets, databases and pandas write a date they hold
# as a timestamp (``2020-05-09 00:00:00``, ``09/05/2020 00:00``, ``2020-05-09T00:00:00Z``,
# ``5/9/2020 12:00:00 AM``, PostgreSQL's ``2020-05-09 00:00:00+00``): the value is that day.
# Another time (``13:45``), or midnight in a zone other than UTC, is not a day and leaves the
# value unread.
MIDNIGHT = (
    r"(?:[ T]00:00(?::00(?:\.0+)?)?(?:Z| ?UTC| ?GMT|[+-]00(?::?00)?)?"
    r"| 12:00(?::00)? ?[Aa]\.?[Mm]\.?)$"
)

SHAPES = (
    _Shape(r"\d{4}-\d{1,2}-\d{1,2}", ("%Y-%m-%d",)),
    _Shape(r"\d{4}/\d{1,2}/\d{1,2}", ("%Y/%m/%d",)),
    _Shape(r"\d{1,2} [A-Za-z]+ \d{4}", ("%d %B %Y",)),
    _Shape(r"\d{1,2}-[A-Za-z]+-\d{4}", ("%d-%B-%Y",)),
    _Shape(r"\d{1,2}-[A-Za-z]+-\d{2}", ("%d-%B-%y",)),
    _Shape(r"\d{1,2} [A-Za-z]+ \d{2}", ("%d %B %y",)),
    _Shape(r"[A-Za-z]+ \d{1,2}, \d{4}", ("%B %d, %Y",)),
    # Stata's %td and SAS's DATE9. (09may2020, 09MAY2020), as export delimited writes them.
    _Shape(r"\d{1,2}[A-Za-z]{3}\d{4}", ("%d%b%Y",)),
    # Stata's and SAS's yyyymmdd numbers, databases' compact ISO (20200509).
    _Shape(r"(?:19|20)\d{6}", ("%Y%m%d",)),
    _Shape(r"\d{1,2}/\d{1,2}/\d{4}", ("%m/%d/%Y", "%d/%m/%Y")),
    _Shape(r"\d{1,2}-\d{1,2}-\d{4}", ("%d-%m-%Y", "%m-%d-%Y")),
    _Shape(r"\d{1,2}\.\d{1,2}\.\d{4}", ("%d.%m.%Y",)),
    _Shape(r"\d{1,2}/\d{1,2}/\d{2}", ("%m/%d/%y", "%d/%m/%y")),
    _Shape(r"\d{1,2}-\d{1,2}-\d{2}", ("%d-%m-%y", "%m-%d-%y")),
    _Shape(r"\d{1,2}\.\d{1,2}\.\d{2}", ("%d.%m.%y",)),
)
DEFAULT_FORMAT = "%Y-%m-%d"


class DateFormatError(InputError):
    """A date column whose day/month order (or year) cannot be told from its values."""

    def __init__(self, message: str, *, column: str):
        self.column = column
        super().__init__(message)


def _strict(fmt: str) -> str:
    """A regular expression that a value written in ``fmt`` matches exactly."""
    out = re.escape(fmt)
    for token, pattern in _TOKENS.items():
        out = out.replace(re.escape(token), pattern)
    # Codes a user may pass that no inferred format uses (%b, %e, %H, ...): any text.
    out = re.sub(r"%[A-Za-z]", ".+?", out)
    return f"^{out}$"


@dataclass(frozen=True)
class DateReading:
    """How a date column was read: the date of each distinct value, and the formats used."""

    dates: pl.Series  # one per input value, null where unreadable
    formats: tuple[str, ...]


def read_dates(
    values: pl.Series,
    column: str,
    *,
    years: Callable[[], pl.DataFrame | None] | None = None,
    date_format: str | None = None,
    today: date | None = None,
) -> DateReading:
    """The dates of ``values`` (distinct, trimmed text, nulls allowed), read as the column's format.

    ``years`` returns, when asked, a frame of ``value`` and ``year`` pairs from the table (only
    called when the values alone leave a choice open). ``date_format`` forces one format. Raises
    :class:`DateFormatError` when the order of day and month (or the year's position) is
    ambiguous.
    """
    today = today or date.today()
    written = values.cast(pl.String)
    # A midnight time is set aside, so a column mixing dates and midnight timestamps (or a
    # spreadsheet's `09/05/2020 00:00`) is read with one format per shape of its dates.
    text = written.str.replace(MIDNIGHT, "")
    timed = (text != written).fill_null(False)
    frame = pl.DataFrame({"value": text})
    if date_format is not None:
        given = pl.DataFrame({"value": written})
        as_written = given.select(_parse(pl.col("value"), date_format, None, today)).to_series()
        stripped = frame.select(_parse(pl.col("value"), date_format, None, today)).to_series()
        return DateReading(as_written.fill_null(stripped), (date_format,))
    out = pl.Series("date", [None] * text.len(), pl.Date)
    used: list[str] = []
    for shape in SHAPES:
        hits = frame.select(pl.col("value").str.contains(f"^{shape.pattern}$").fill_null(False))
        mask = hits.to_series()
        if not mask.any():
            continue
        fmt, dates = _choose(text.filter(mask), shape, column, years, today)
        # A midnight time is named with the format, so the note says what was read as a date.
        with_time = timed.filter(mask)
        if not with_time.all():
            used.append(fmt)
        if with_time.any():
            used.append(f"{fmt} 00:00:00")
        out = out.scatter(mask.arg_true(), dates)
    if not used:
        _refuse_day_counts(text, column)
    return DateReading(out, tuple(used))


def _refuse_day_counts(values: pl.Series, column: str) -> None:
    """Raise :class:`DateFormatError` when a date column holds only numbers: a spreadsheet's
    day count (43960 is 9 May 2020 in Excel) or a Unix time (1588982400), which no format
    reads and which this module does not guess at."""
    written = values.drop_nulls()
    if not written.len() or not written.str.contains(r"^\d+(?:\.\d+)?$").all():
        return
    example = str(written.sort()[0])
    what = (
        "a spreadsheet's day count"
        if len(example.split(".")[0]) == 5
        else "a Unix time"
        if len(example.split(".")[0]) >= 9
        else "a number"
    )
    raise DateFormatError(
        f"{column}: holds numbers such as {example!r} ({what}?), not dates; "
        "save the column as dates (2020-05-09)",
        column=column,
    )


def _parse(value: pl.Expr, fmt: str, years: pl.Expr | None, today: date) -> pl.Expr:
    """``value`` read in ``fmt``: null unless it fits the format's digits exactly and lies
    between 1900 and ``today``. ``years`` (optional) sets the century of a two-digit year."""
    fits = value.str.contains(_strict(fmt)).fill_null(False)
    parsed: pl.Expr = pl.when(fits).then(value.str.to_date(fmt, strict=False))
    if "%y" in fmt:
        parsed = _century(parsed, years, today)
    return pl.when((parsed >= EARLIEST) & (parsed <= today)).then(parsed).alias("date")


def _century(parsed: pl.Expr, years: pl.Expr | None, today: date) -> pl.Expr:
    """Put a two-digit year in the century the table's year column gives, else in the latest
    century that does not make it a future year."""
    yy = parsed.dt.year() % 100
    this = today.year
    century = this - this % 100
    latest = pl.when(yy <= this % 100).then(century + yy).otherwise(century - 100 + yy)
    year = latest
    if years is not None:
        year = pl.when(years % 100 == yy).then(years).otherwise(latest)
    return pl.date(year, parsed.dt.month(), parsed.dt.day())


def _choose(
    values: pl.Series,
    shape: _Shape,
    column: str,
    years: Callable[[], pl.DataFrame | None] | None,
    today: date,
) -> tuple[str, pl.Series]:
    """The format of one shape's values, and their dates."""
    frame = pl.DataFrame({"value": values})
    two_digit = any("%y" in f for f in shape.formats)
    pairs = years() if years is not None and (two_digit or len(shape.formats) > 1) else None
    with_year = None
    if pairs is not None:
        pairs = pairs.filter(pl.col("value").is_in(values.implode()))
        if two_digit:
            # The year column's century: per distinct value, its most common year.
            modal = pairs.group_by("value").agg(pl.col("year").mode().first())
            with_year = frame.join(modal, on="value", how="left", maintain_order="left")
    reads = {}
    for fmt in shape.formats:
        if with_year is not None and "%y" in fmt:
            dates = with_year.select(
                _parse(pl.col("value"), fmt, pl.col("year"), today)
            ).to_series()
        else:
            dates = frame.select(_parse(pl.col("value"), fmt, None, today)).to_series()
        reads[fmt] = dates
    fewest = min(r.null_count() for r in reads.values())
    left = [f for f in shape.formats if reads[f].null_count() == fewest]
    if _agree(reads, left):
        return left[0], reads[left[0]]
    if pairs is not None and pairs.height:
        score = {}
        for fmt in left:
            read = pl.DataFrame({"value": values, "date": reads[fmt]})
            joined = pairs.join(read, on="value", how="inner")
            score[fmt] = joined.select(
                (pl.col("date").dt.year() == pl.col("year")).fill_null(False).sum()
            ).item()
        best = max(score.values())
        left = [f for f in left if score[f] == best]
        if _agree(reads, left):
            return left[0], reads[left[0]]
    example = _ambiguous_example(values, reads, left)
    raise DateFormatError(
        f"{column}: cannot tell how dates such as {example!r} are written "
        f"({' or '.join(left)}); pass --date-format, e.g. --date-format {left[0]}",
        column=column,
    )


def _agree(reads: dict[str, pl.Series], formats: list[str]) -> bool:
    first = reads[formats[0]]
    return all(reads[f].equals(first, null_equal=True) for f in formats[1:])


def _ambiguous_example(values: pl.Series, reads: dict[str, pl.Series], formats: list[str]) -> str:
    first = reads[formats[0]]
    for fmt in formats[1:]:
        differs = (first != reads[fmt]).fill_null(True)
        if differs.any():
            return str(values.filter(differs)[0])
    return str(values[0])
