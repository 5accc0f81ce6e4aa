"""Nothing changes silently: an accepted row is its input plus the changes the table records.

The property draws tables of our rows written the ways real files write them (numeric codes,
old spellings, derived and gazetteer fields left blank, places under alternate names, R's NA,
stray spaces, dates in several forms, broken values) and rebuilds every accepted row from the
input and the changes table alone, with code of its own (Python's csv-free string handling and
``datetime.strptime``), never the validator's.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from eventcoder.schema.codebook import Codebook
from eventcoder.schema.dates import DateFormatError
from eventcoder.schema.validation import validate
from tests.schema import rows as syria
from tests.schema.shapes import ROWS

CB = Codebook.default()
COLUMNS = syria.COLUMNS
BASE = [dict(r) for r in syria.GOOD] + [dict(r) for r in ROWS]
REASONS = {
    "canonical-spelling",
    "null-code",
    "actor-list",
    "gazetteer",
    "gazetteer-name",
    "derived",
}
ACTOR_CODES = {t.value: str(t.code) for t in CB.vocabularies["actor_types"].terms}
INTERACTION_CODES = {t.value: str(t.code) for t in CB.vocabularies["interactions"].terms}
GAZ = CB.references.gazetteer
ALTERNATES = {
    loc: [a.strip() for a in (alts or "").split(";") if a.strip()]
    for loc, alts in GAZ.select("location", "alternate_names").iter_rows()
}
TOKENS = ["NA", "N/A", "NULL", "#N/A", "\\N"]
# Blank in number and date fields only (Stata's ".", pandas' nan and None, ...).
NUMBER_TOKENS = [".", "NaN", "nan", "None", "null", "-"]
NUMBER_FIELDS = {f.name for f in CB.fields if f.type in ("integer", "number", "date")}
DATE_FORMS = ["%Y-%m-%d", "%d %B %Y", "%d-%b-%y", "%d/%m/%Y"]


@st.composite
def written_tables(draw: st.DrawFn) -> tuple[pl.DataFrame, str]:
    """A text table of our rows, each written with a random set of real files' habits."""
    date_form = draw(st.sampled_from(DATE_FORMS))
    out = []
    for _ in range(draw(st.integers(1, 10))):
        row: dict[str, str | None] = dict(draw(st.sampled_from(BASE)))
        known = row["location"] in ALTERNATES or row["country"] == "Syria"
        day = datetime.strptime(str(row["event_date"]), "%Y-%m-%d")
        row["event_date"] = day.strftime(date_form)
        habits = draw(
            st.sets(
                st.sampled_from(
                    [
                        "codes",
                        "old-spelling",
                        "blank-derived",
                        "blank-place",
                        "blank-types",
                        "alternate-name",
                        "tokens",
                        "spaces",
                        "broken",
                        "stata-missing",
                    ]
                ),
                max_size=4,
            )
        )
        if "codes" in habits:
            row["inter1"] = ACTOR_CODES.get(str(row["inter1"]), row["inter1"])
            row["inter2"] = ACTOR_CODES[str(row["inter2"])] if row.get("inter2") else "0"
            row["interaction"] = INTERACTION_CODES[str(row["interaction"])]
        if "old-spelling" in habits and row.get("civilian_targeting"):
            row["civilian_targeting"] = "Civilians targeted"
        if "blank-derived" in habits:
            row.update(disorder_type=None, year=None, interaction=None)
        if "blank-place" in habits and known:
            row.update(admin2=None, admin3=None, latitude=None, longitude=None, region=None)
        if "blank-types" in habits:
            row.update(inter1=None, inter2=None)
        if "alternate-name" in habits and ALTERNATES.get(str(row["location"])):
            row["location"] = draw(st.sampled_from(ALTERNATES[str(row["location"])]))
        if "tokens" in habits:
            token = draw(st.sampled_from(TOKENS))
            row.update({c: token for c in COLUMNS if row.get(c) is None})
        if "spaces" in habits:
            field = draw(st.sampled_from(["actor1", "notes", "location", "fatalities"]))
            row[field] = f"  {row[field]} "
        if "stata-missing" in habits:
            row[draw(st.sampled_from(["iso", "timestamp"]))] = draw(st.sampled_from(NUMBER_TOKENS))
        if "broken" in habits:
            row[draw(st.sampled_from(["fatalities", "latitude"]))] = "many"
        out.append(row)
    frame = pl.DataFrame(
        [{c: r.get(c) for c in COLUMNS} for r in out], schema={c: pl.String for c in COLUMNS}
    )
    return frame, date_form


def rebuild(
    frame: pl.DataFrame, changes: pl.DataFrame, date_form: str, keep: list[int]
) -> pl.DataFrame:
    """Rows ``keep`` of the input read (trimmed, blanks and tokens as null) with each recorded
    change applied, in the codebook's types."""
    cells = {c: [_read(c, v) for v in frame[c].to_list()] for c in frame.columns}
    for row, field, after in changes.select("row", "field", "after").iter_rows():
        cells[field][row - 1] = after
    cells = {c: [values[i] for i in keep] for c, values in cells.items()}
    typed: dict[str, list[object]] = {}
    for f in CB.fields:
        values = cells[f.name]
        if f.type == "date":
            typed[f.name] = [
                None if v is None else datetime.strptime(v, date_form).date() for v in values
            ]
        elif f.type == "integer":
            typed[f.name] = [None if v is None else int(v) for v in values]
        elif f.type == "number":
            typed[f.name] = [None if v is None else float(v) for v in values]
        else:
            typed[f.name] = values
    schema = {f.name: CB_TYPES[f.type] for f in CB.fields}
    return pl.DataFrame(typed, schema=schema)


def _read(field: str, written: str | None) -> str | None:
    """A cell as read: trimmed, blank when empty or a missing-value token of its field's type."""
    tokens = (*TOKENS, *NUMBER_TOKENS) if field in NUMBER_FIELDS else TOKENS
    return None if written is None or written.strip() in ("", *tokens) else written.strip()


CB_TYPES = {"string": pl.String, "integer": pl.Int64, "number": pl.Float64, "date": pl.Date}


@settings(max_examples=40, deadline=None)
@given(written_tables())
def test_accepted_rows_are_the_input_plus_the_recorded_changes(
    drawn: tuple[pl.DataFrame, str],
) -> None:
    frame, date_form = drawn
    try:
        result = validate(frame, CB)
    except DateFormatError:
        # Refused only when no day is above 12: then the order is for the user to say.
        days = [datetime.strptime(v, date_form).day for v in frame["event_date"].to_list()]
        assert date_form == "%d/%m/%Y" and max(days) <= 12
        result = validate(frame, CB, date_format=date_form)
    changes = result.changes
    assert set(changes["reason"]) <= REASONS
    rejected = set(result.rejected["row"])
    assert not rejected & set(changes["row"])  # rejected rows are kept as written
    # The change table's "before" is what the row said.
    for row, field, before in changes.select("row", "field", "before").iter_rows():
        assert before == _read(field, frame[field][row - 1]), (row, field)
    keep = [i for i in range(frame.height) if i + 1 not in rejected]
    expected = rebuild(frame, changes, date_form, keep)
    got = result.accepted.select(CB.field_names)
    assert_frame_equal(got, expected)
    # Rejected rows hold exactly what the file said.
    assert_frame_equal(
        result.rejected.select(COLUMNS),
        frame.filter(pl.int_range(pl.len()).is_in([r - 1 for r in sorted(rejected)])),
    )
