"""A table brought to the codebook's columns, spellings and types, with every change recorded.

Reading is not changing: matching headers (``EVENT_DATE`` is ``event_date``), trimming the spaces
around a cell, reading the codebook's missing-value tokens (``NA``, ``#N/A``, ...) as blank in its
fields (``missing_numbers``, such as Stata's ``.``, in number and date fields only), and reading
text as the field's type (``35.6570`` as a number, ``14,0512`` with decimal commas, ``1 234``
grouped by spaces, ``9-May-20`` as a date, the column's format inferred by
:mod:`eventcoder.schema.dates`; a timestamp at midnight as its day) give the value the file
holds. Notes say once what was read that way when it is not the default. What cannot be read so
(``NaN``, ``#REF!``, a time of day in a date field) is a ``field-type`` failure, never a guess.

Changing is recorded: every value of a row that differs from what was read is one row of the
changes table (row, field, before, after, reason, source), for the reasons the codebook declares:

=====================  =============================================================  ==========
reason                 what happened                                                   source
=====================  =============================================================  ==========
canonical-spelling     a vocabulary code or alias became its term (``7``, Civilians)   vocabulary
null-code              a vocabulary's code for "none" became blank (``inter2`` 0)      vocabulary
actor-list             a blank actor type was filled from the actor list               the list
gazetteer              a blank place field was filled from the gazetteer               the list
gazetteer-name         a place written as an alternate name took the gazetteer's name  the list
derived                a blank derived field was filled by its rule                    rule id
=====================  =============================================================  ==========
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time

import polars as pl

from eventcoder.schema.cells import (
    ASCII_DIGITS,
    DIGITS,
    GROUPED,
    OTHER_DIGITS,
    SPACES,
    blank_tokens,
    parse_cell,
    unread,
)
from eventcoder.schema.codebook import Codebook, Field
from eventcoder.schema.dates import (
    DEFAULT_FORMAT,
    EARLIEST,
    MIDNIGHT,
    DateFormatError,
    read_dates,
)
from eventcoder.schema.reading import (
    check_column_types,
    is_text,
    match_columns,
    missing_numbers,
    missing_values,
    refuse_layout,
)
from eventcoder.schema.reference_joins import add_reference_columns
from eventcoder.schema.rules import (
    ACTOR_KINDS,
    PLACE_KINDS,
    derivation_rules,
)
from eventcoder.schema.tables import PROVENANCE, polars_dtype

ROW = "row"
TYPE_RULE = "field-type"
_BAD = "__ec_bad_"
_ERR = "__ec_err_"
# What a spreadsheet writes for a formula it cannot compute: no value, in any field. (#N/A, its
# "not available", is a missing-value token.)
SPREADSHEET_ERRORS = (
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#SPILL!",
    "#CALC!",
    "#FIELD!",
    "#BLOCKED!",
    "#CONNECT!",
    "#BUSY!",
    "#UNKNOWN!",
    "#GETTING_DATA",
    "#ERROR!",
)
FAILURE_SCHEMA = pl.Schema(
    {
        ROW: pl.Int64,
        "rule": pl.String,
        "severity": pl.String,
        "field": pl.String,
        "value": pl.String,
        "message": pl.String,
    }
)
CHANGE_SCHEMA = pl.Schema(
    {
        ROW: pl.Int64,
        "field": pl.String,
        "before": pl.String,
        "after": pl.String,
        "reason": pl.String,
        "source": pl.String,
    }
)


@dataclass(frozen=True)
class Prepared:
    """A frame brought to the codebook's columns and types, before rules run.

    ``written`` holds the input as written (headers matched, absent fields blank), for rejected
    rows; ``changes`` every value that differs from what was read, for every row.
    """

    frame: pl.DataFrame
    type_failures: pl.DataFrame
    absent: frozenset[str]
    notes: tuple[str, ...]
    written: pl.DataFrame
    changes: pl.DataFrame


def _derivable(cb: Codebook) -> set[str]:
    out = {f for _, f, _ in derivation_rules(cb)}
    gaz = cb.references.gazetteer
    if gaz is not None and any(r.kind in PLACE_KINDS for r in cb.rules):
        out |= {c for c in gaz.columns if c in cb.field_names}
    return out


def prepare(
    frame: pl.DataFrame,
    cb: Codebook,
    table: str = "events",
    *,
    date_format: str | None = None,
    source: str | None = None,
) -> Prepared:
    """Bring ``frame`` to the codebook's columns, spellings and types; derive what can be derived.

    Raises :class:`InputError` when a field that coders must fill is missing as a column (naming
    the layout when the codebook knows it), when a column's stored type cannot hold its field,
    or when a date column's format is ambiguous. ``source`` names the file in messages.
    """
    check_column_types(frame, cb, source)
    headers = frame.columns
    frame, notes = match_columns(frame, cb, source)
    # Categories (an R factor, a pandas category) of a number or date field are its text.
    frame = frame.with_columns(
        pl.col(f.name).cast(pl.String)
        for f in cb.fields
        if f.type != "string" and f.name in frame.columns and is_text(frame.schema[f.name])
    )

    derivable = _derivable(cb)
    must_have = [f.name for f in cb.fields if f.required and f.origin == "coded"]
    if table == "annotations":
        must_have = [name for name, _, req, _ in PROVENANCE if req] + must_have
    missing = [c for c in must_have if c not in frame.columns]
    if missing:
        raise refuse_layout(headers, missing, cb, source)
    absent = {f.name for f in cb.fields if f.name not in frame.columns}
    derived_absent = sorted(absent & derivable)
    skipped = sorted(absent - derivable)
    if derived_absent:
        notes.append("derived columns absent from the input: " + ", ".join(derived_absent))
    if skipped:
        notes.append(
            "columns absent from the input, left blank and not checked: " + ", ".join(skipped)
        )

    frame = frame.with_columns(pl.lit(None, polars_dtype(cb.field(c))).alias(c) for c in absent)
    written = frame
    # Text read from CSV is trimmed; a typed frame (Parquet) is taken as written, since trimming
    # a million long strings costs more than the whole rule set. Blank means missing in both.
    from_text = all(dtype == pl.String for dtype in frame.schema.values())
    typing = _Typing(frame, cb, from_text, date_format)
    try:
        frame = typing.run()
    except DateFormatError as err:
        if source is None:
            raise
        # The file is named, as every other refusal of it is.
        raise DateFormatError(f"{source}: {err}", column=err.column) from None
    notes.extend(typing.notes)
    changes = list(typing.changes)
    type_failures = _type_failures(written, typing.flagged, cb)

    for name, dtype, _, _ in PROVENANCE:
        if name in frame.columns and table == "annotations":
            frame = frame.with_columns(pl.col(name).cast(dtype, strict=False))
    before = frame
    frame = add_reference_columns(frame, cb)
    changes.extend(_reference_changes(before, frame, cb))
    # A derivation fills blanks only; a column with none (a full export) is left alone.
    for rule, field, expr in derivation_rules(cb):
        if not frame[field].null_count():
            continue
        before = frame
        frame = frame.with_columns(
            pl.coalesce(pl.col(field), expr.cast(frame.schema[field], strict=False)).alias(field)
        )
        changes.append(_fills(before, frame, field, "derived", rule.id))
    table_changes = (
        pl.concat(changes).sort(ROW, "field", maintain_order=True)
        if changes
        else pl.DataFrame(schema=CHANGE_SCHEMA)
    )
    return Prepared(
        frame, type_failures, frozenset(absent - derivable), tuple(notes), written, table_changes
    )


# --------------------------------------------------------------------------------------------
# Types and spellings
# --------------------------------------------------------------------------------------------


class _Typing:
    """Types every codebook field of one frame; collects bad-value flags, changes and notes.

    The common case costs little: vocabulary fields and dates are typed per distinct value, and
    numbers try a plain cast first, taking the slow path (trim, whole-number floats, missing-value
    tokens) only when some value needs it.
    """

    def __init__(self, frame: pl.DataFrame, cb: Codebook, from_text: bool, date_format: str | None):
        self.frame = frame
        self.cb = cb
        self.from_text = from_text
        self.date_format = date_format
        self.tokens = missing_values(cb)
        # Tokens no number or date can be (Stata's ".", pandas' "nan"), read as blank there only:
        # in a text field "None" may be an actor's name and "Nan" a Thai province.
        self.number_tokens = self.tokens + missing_numbers(cb)
        self.number_blanked = False
        self.today = date.today()
        self.flags: list[pl.Expr] = []
        self.changes: list[pl.DataFrame] = []
        self.notes: list[str] = []
        self.flagged = pl.DataFrame()
        self.blanked = False  # whether some cell was read as blank

    def run(self) -> pl.DataFrame:
        frame, cb = self.frame, self.cb
        by_value = [
            f
            for f in cb.fields
            if f.vocabulary or (f.type == "date" and frame.schema[f.name] != pl.Date)
        ]
        lists = frame.select(pl.col(f.name).unique().implode() for f in by_value)
        done = {f.name for f in by_value}
        numeric = [f for f in cb.fields if f.type in ("integer", "number") and f.name not in done]
        fast = {
            f.name: pl.col(f.name).cast(polars_dtype(f), strict=False)
            for f in numeric
            if frame.schema[f.name] == pl.String
        }
        misses = (
            frame.select(
                (pl.col(n).is_not_null() & unread(e, cb.field(n).type)).sum().alias(n)
                for n, e in fast.items()
            ).row(0, named=True)
            if fast
            else {}
        )

        typed: list[pl.Expr] = []
        for f in by_value:
            expr = self._by_value(f, lists[f.name][0])
            if expr is not None:
                typed.append(expr.alias(f.name))
        # Text columns (string fields and columns the codebook does not name) are trimmed here
        # and their blanks found below.
        text = [
            c
            for c, d in frame.schema.items()
            if d == pl.String
            and c not in done
            and (c not in cb.field_names or cb.field(c).type == "string")
        ]
        for f in cb.fields:
            if f.name in done or f.name in text:
                continue
            source = frame.schema[f.name]
            col = pl.col(f.name)
            if f.name in fast and not misses[f.name]:
                typed.append(fast[f.name].alias(f.name))
                continue
            if f.type == "date":  # already a Date column: only its range is checked
                typed.extend(self._date_range(f))
                continue
            if source == pl.String:
                col = blank_tokens(
                    col.str.strip_chars() if self.from_text else col, self.number_tokens
                )
                self._count_number_tokens(f.name)
                if self._other_digits(f.name):
                    col = col.str.replace_many(DIGITS, ASCII_DIGITS)
                if f.type == "number" and self._decimal_commas(f.name):
                    col = col.str.replace(",", ".", literal=True)
                if f.type == "integer" and self._grouped(f.name):
                    col = (
                        pl.when(col.str.contains(GROUPED))
                        .then(col.str.replace_all(SPACES, ""))
                        .otherwise(col)
                    )
                if f.type == "integer" and self._decimal_commas(
                    f.name, r"^-?\d+,0$", " (3,0 is 3)"
                ):
                    col = col.str.replace(r",0$", "")
            parsed = parse_cell(col, f.type, source)
            typed.append(parsed.alias(f.name))
            if f.type != "string" and source != polars_dtype(f):
                self.flags.append((col.is_not_null() & parsed.is_null()).alias(f"{_BAD}{f.name}"))
        if self.from_text:
            typed.extend(pl.col(c).str.strip_chars() for c in text)
        self._spreadsheet_errors([c for c in text if c in cb.field_names])
        self.flagged = frame.select(self.flags) if self.flags else pl.DataFrame()
        out = frame.with_columns(*typed)
        return self._blanks(out, text)

    def _spreadsheet_errors(self, columns: list[str]) -> None:
        """Flag text cells holding a spreadsheet's error value (``#REF!``): in a text field it
        would pass as an actor or a place. (A number or date field fails to read it anyway.)"""
        if not columns:
            return
        # Only columns with a cell starting "#" are compared. Comparing with "#" and "$" reads
        # the prefix polars keeps beside each string, not the string: 15x faster than
        # str.starts_with on a million rows.
        marked = self.frame.select(
            ((pl.col(c) >= "#") & (pl.col(c) < "$")).any().alias(c) for c in columns
        ).row(0, named=True)
        for c in columns:
            if marked[c]:
                error = pl.col(c).str.strip_chars().is_in(SPREADSHEET_ERRORS).fill_null(False)
                self.flags.append(error.alias(f"{_ERR}{c}"))

    def _other_digits(self, name: str) -> bool:
        """Whether a number column writes digits of another script (Arabic-Indic ``٣``,
        Persian ``۳``, full-width ``３``, as Arabic-locale spreadsheets and CJK input save them):
        they are the same digits, read as such, with a note."""
        found = self.frame.select(pl.col(name).str.contains(OTHER_DIGITS).any()).item()
        if found:
            self.notes.append(f"{name} read with digits of another script (٣ and ３ are 3)")
        return bool(found)

    def _grouped(self, name: str) -> bool:
        """Whether an integer column writes thousands grouped by spaces (``1 234``, a no-break
        space in French and other locales): unlike a grouping point or comma, never a decimal."""
        col = pl.col(name).str.strip_chars()
        if self.frame.select(col.str.contains(GROUPED).any()).item():
            self.notes.append(f"{name} read with digits grouped by spaces (1 234 is 1234)")
            return True
        return False

    def _decimal_commas(self, name: str, pattern: str = r"^-?\d+,\d+$", example: str = "") -> bool:
        r"""Whether a column is written with decimal commas, as spreadsheets in many locales save
        numbers (``14,0512``): some value matches ``pattern`` and none has a decimal point.

        An integer column passes ``^-?\d+,0$``: floats with one zero after the comma, as pandas
        writes an integer column with blanks under ``decimal=","`` (``3,0``); a thousands group
        (``1,000``) never matches and stays unread.
        """
        col = pl.col(name).str.strip_chars()
        comma, point = self.frame.select(
            col.str.contains(pattern).any().alias("comma"),
            col.str.contains(".", literal=True).any().alias("point"),
        ).row(0)
        if comma and not point:
            self.notes.append(f"{name} read with decimal commas{example}")
            return True
        return False

    def _blanks(self, out: pl.DataFrame, text: list[str]) -> pl.DataFrame:
        """``out`` with blank and missing-value-token cells of its text columns as null.

        A cell can be blank or a token only if it is as short as the longest token: lengths are
        read from the string offsets, so columns of long text (notes, actor names) are passed
        over without comparing a single value.
        """
        longest = max((len(t.encode()) for t in self.tokens), default=0)
        short = (
            out.select((pl.col(c).str.len_bytes() <= longest).any().alias(c) for c in text).row(
                0, named=True
            )
            if text
            else {}
        )
        checked = [c for c in text if short[c]]
        if checked:
            before = out.select(checked)
            # Columns the codebook does not name are not its to read: "NA" there may be
            # Namibia's code, so only blank cells are blank.
            names = set(self.cb.field_names)
            out = out.with_columns(
                blank_tokens(pl.col(c), self.tokens if c in names else ()).alias(c) for c in checked
            )
            if any(out[c].null_count() > before[c].null_count() for c in checked):
                self.blanked = True
        if self.blanked or self.number_blanked:
            tokens = ", ".join(self.tokens)
            numbers = ", ".join(t for t in self.number_tokens if t not in self.tokens)
            if self.number_blanked and numbers:
                tokens += f"{'; ' if tokens else ''}in number and date fields also {numbers}"
            self.notes.append(
                "read cells holding only spaces"
                + (f" or a missing-value token ({tokens})" if tokens else "")
                + " as blank"
            )
        return out

    def _count_number_tokens(self, name: str) -> None:
        """Note whether a number column holds missing-value tokens (read as blank)."""
        only = [t for t in self.number_tokens if t not in self.tokens]
        col = pl.col(name).str.strip_chars()
        general, numeric = self.frame.select(
            col.is_in(list(self.tokens)).any().alias("general"),
            col.is_in(only).any().alias("numeric"),
        ).row(0)
        self.blanked = self.blanked or bool(general)
        self.number_blanked = self.number_blanked or bool(numeric)

    def _date_range(self, f: Field) -> list[pl.Expr]:
        """A typed date column's days before 1900 or after today: flagged and made blank, as
        when read from text (the bounds are read first, so a column within them costs nothing).
        """
        col = pl.col(f.name)
        low, high = self.frame.select(col.min().alias("low"), col.max().alias("high")).row(0)
        if low is None or (low >= EARLIEST and high <= self.today):
            return []
        bad = ((col < EARLIEST) | (col > self.today)).fill_null(False)
        self.flags.append(bad.alias(f"{_BAD}{f.name}"))
        return [pl.when(~bad).then(col).alias(f.name)]

    def _by_value(self, f: Field, distinct: pl.Series) -> pl.Expr | None:
        """Type a field value by value: its distinct values are few (a vocabulary) or repeat a
        great deal (dates), so each is read once and the column mapped, instead of every row.

        Returns the typed expression (None when the column is already canonical); records the
        flag of values that cannot be read and the rows whose value a vocabulary changed.
        """
        frame, cb = self.frame, self.cb
        source = frame.schema[f.name]
        target = polars_dtype(f)
        small = pl.DataFrame({"raw": distinct}).drop_nulls()
        read = pl.col("raw")
        tokens = self.number_tokens if f.type == "date" else self.tokens
        if source == pl.String:
            read = blank_tokens(read.str.strip_chars(), tokens)
        small = small.with_columns(read.alias("read"))
        if source == pl.String and small["read"].null_count():
            self.blanked = True
            if (
                f.type == "date"
                and small.select(
                    pl.col("raw")
                    .str.strip_chars()
                    .is_in([t for t in tokens if t not in self.tokens])
                    .any()
                ).item()
            ):
                self.number_blanked = True
        vocab = cb.vocabularies.get(f.vocabulary) if f.vocabulary else None
        spell: dict[str, str] = {}
        nulls: list[str] = []
        canonical = pl.col("read")
        if vocab is not None:
            text = pl.col("read").cast(pl.String)
            if any(t.code is not None for t in vocab.terms):
                # A code written as a float (7.0) by a tool that read the column as numbers.
                text = text.str.replace(r"^(-?\d+)\.0+$", "${1}")
            nulls = [str(c) for c in vocab.null_codes]
            spell = {k: str(v) for k, v in vocab.spellings().items() if k != str(v)}
            canonical = text.replace(spell) if spell else text
            if nulls:
                canonical = pl.when(text.is_in(nulls)).then(None).otherwise(canonical)
        if f.type == "date" and vocab is None and source != pl.Date:
            typed = self._dates(f, small, source)
        else:
            # A vocabulary's spellings are text, whatever the column's type.
            parsed = parse_cell(canonical, f.type, pl.String() if vocab is not None else source)
            typed = small.select(parsed.cast(target)).to_series()
        small = small.with_columns(typed.alias("typed"), canonical.alias("canonical"))
        bad = small.filter(pl.col("canonical").is_not_null() & pl.col("typed").is_null())["raw"]
        if bad.len():
            self.flags.append(pl.col(f.name).is_in(bad.implode()).alias(f"{_BAD}{f.name}"))
        if vocab is not None:
            small = small.with_columns(text.alias("text"))
            self._spelling_changes(f, small, list(spell), nulls, vocab.name)
        unchanged = source == target and (
            small.select(
                (pl.col("raw").cast(target) == pl.col("typed")).fill_null(False).all()
            ).item()
        )
        if unchanged:
            return None
        return pl.col(f.name).replace_strict(
            small["raw"], small["typed"], default=None, return_dtype=target
        )

    def _dates(self, f: Field, small: pl.DataFrame, source: pl.DataType) -> pl.Series:
        if source != pl.String:  # a Datetime column
            return small.select(self._days(f, source)).to_series()
        reading = read_dates(
            small["read"],
            f.name,
            years=self._years(f),
            date_format=self.date_format,
            today=self.today,
        )
        formats = tuple(x for x in reading.formats if x != DEFAULT_FORMAT)
        if formats:
            self.notes.append(f"{f.name} read as {' and '.join(reading.formats)}")
        return reading.dates

    def _days(self, f: Field, source: pl.DataType) -> pl.Expr:
        """The days of a timestamp column ("read"), where each is at midnight.

        A zoned timestamp is read on its own clock: pandas writes 9 May in Berlin as
        2020-05-08T22:00Z, and the day in UTC would move the event. One at midnight in UTC
        alone is that day (a date stored in UTC, then shown in a zone). Any other time is not
        a day, so that value fails as text with a time of day does.
        """
        zone = getattr(source, "time_zone", None)
        read = pl.col("read")
        clock = read.dt.replace_time_zone(None) if zone else read
        day = clock.dt.date()
        if zone:
            utc = read.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            self.notes.append(
                f"{f.name} read as the days of timestamps at midnight in {zone} or UTC"
            )
            day = (
                pl.when(clock.dt.time() == time(0))
                .then(day)
                .when(utc.dt.time() == time(0))
                .then(utc.dt.date())
            )
        else:
            day = pl.when(clock.dt.time() == time(0)).then(day)
        return pl.when((day >= EARLIEST) & (day <= self.today)).then(day)

    def _years(self, f: Field) -> Callable[[], pl.DataFrame | None] | None:
        """The (date as written, year) pairs of the table, when ``f`` is its dated field."""
        year = self.cb.role("year")
        if f.name != self.cb.role("date") or year is None or year not in self.frame.columns:
            return None
        frame = self.frame

        def pairs() -> pl.DataFrame:
            value = pl.col(f.name).cast(pl.String).str.strip_chars().str.replace(MIDNIGHT, "")
            value = value.alias("value")
            years = (
                pl.col(year).cast(pl.String).str.strip_chars().cast(pl.Int64, strict=False)
            ).alias("year")
            return frame.select(value, years).unique().drop_nulls()

        return pairs

    def _spelling_changes(
        self, f: Field, small: pl.DataFrame, spellings: list[str], nulls: list[str], vocab: str
    ) -> None:
        read = pl.col("read").cast(pl.String)
        text = pl.col("text")  # as read, a float code (7.0) as its code (7)
        spelled = (text.is_in(spellings) | text.is_in(nulls) | (text != read)) & (
            pl.col("typed").is_not_null() | text.is_in(nulls)
        )
        changed = small.filter(spelled.fill_null(False)).select(
            "raw",
            read.alias("before"),
            pl.col("typed").cast(pl.String).alias("after"),
            pl.when(text.is_in(nulls))
            .then(pl.lit("null-code"))
            .otherwise(pl.lit("canonical-spelling"))
            .alias("reason"),
        )
        if not changed.height:
            return
        rows = (
            self.frame.select(pl.col(f.name).alias("raw"))
            .with_row_index(ROW, offset=1)
            .filter(pl.col("raw").is_in(changed["raw"].implode()))
            .join(changed, on="raw", how="inner")
        )
        self.changes.append(
            rows.select(
                pl.col(ROW).cast(pl.Int64),
                pl.lit(f.name).alias("field"),
                "before",
                "after",
                "reason",
                pl.lit(vocab).alias("source"),
            )
        )


def _type_failures(original: pl.DataFrame, flagged: pl.DataFrame, cb: Codebook) -> pl.DataFrame:
    parts = []
    for name in [c for c in flagged.columns if c.startswith((_BAD, _ERR))]:
        rows = flagged[name].arg_true()
        if rows.len() == 0:
            continue
        field = name.removeprefix(_BAD).removeprefix(_ERR)
        ftype = cb.field(field).type
        message = f"{field} is not a valid {ftype}"
        if ftype == "date":
            message += f" between {EARLIEST.isoformat()} and today"
        if name.startswith(_ERR):
            message = f"{field} holds a spreadsheet's error value, not a value"
        parts.append(
            pl.DataFrame(
                {
                    ROW: (rows + 1).cast(pl.Int64),
                    "rule": TYPE_RULE,
                    "severity": "error",
                    "field": field,
                    "value": original[field].cast(pl.String).gather(rows),
                    "message": message,
                },
                schema=FAILURE_SCHEMA,
            )
        )
    return pl.concat(parts) if parts else pl.DataFrame(schema=FAILURE_SCHEMA)


# --------------------------------------------------------------------------------------------
# Changes made by reference lists and derivations
# --------------------------------------------------------------------------------------------


def _fills(
    before: pl.DataFrame, after: pl.DataFrame, field: str, reason: str, source: str
) -> pl.DataFrame:
    """Change rows for the blanks of ``field`` that ``after`` fills."""
    filled = (before[field].is_null() & after[field].is_not_null()).arg_true()
    return pl.DataFrame(
        {
            ROW: (filled + 1).cast(pl.Int64),
            "field": field,
            "before": pl.Series([None] * filled.len(), dtype=pl.String),
            "after": after[field].gather(filled).cast(pl.String),
            "reason": reason,
            "source": source,
        },
        schema=CHANGE_SCHEMA,
    )


def _reference_changes(
    before: pl.DataFrame, after: pl.DataFrame, cb: Codebook
) -> list[pl.DataFrame]:
    """What the actor list and gazetteer filled in (and the place names they gave)."""
    refs = cb.references
    type_fields = {t for r in cb.rules if r.kind in ACTOR_KINDS for _, t in r.params["actors"]}
    place_fields = {r.params["field"] for r in cb.rules if r.kind in PLACE_KINDS}
    out = []
    for f in cb.field_names:
        if after[f].null_count() < before[f].null_count():
            if f in type_fields:
                out.append(_fills(before, after, f, "actor-list", refs.actors_path or "actors"))
            else:
                where = refs.gazetteer_path or "gazetteer"
                out.append(_fills(before, after, f, "gazetteer", where))
    for f in sorted(place_fields):
        renamed = (
            before[f].is_not_null() & after[f].is_not_null() & (before[f] != after[f])
        ).arg_true()
        if renamed.len():
            out.append(
                pl.DataFrame(
                    {
                        ROW: (renamed + 1).cast(pl.Int64),
                        "field": f,
                        "before": before[f].gather(renamed).cast(pl.String),
                        "after": after[f].gather(renamed).cast(pl.String),
                        "reason": "gazetteer-name",
                        "source": refs.gazetteer_path or "gazetteer",
                    },
                    schema=CHANGE_SCHEMA,
                )
            )
    return out
