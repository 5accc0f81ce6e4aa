"""Tables as people hold them: every real row accepted, every changed value recorded.

The fixtures (tests/data/shapes/, written by tests/schema/shapes.py) hold the same six events in
the shapes real extracts come in; a careful analyst accepts all six in every shape, with the
values the rows hold.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from eventcoder.errors import InputError
from eventcoder.schema.codebook import Codebook
from eventcoder.schema.dates import DateFormatError
from eventcoder.schema.reading import open_table
from eventcoder.schema.validation import validate, validate_file
from tests.schema.shapes import DATA, FILES, ROWS, dates, write_shape


@pytest.fixture(scope="module")
def cb() -> Codebook:
    return Codebook.default()


DAYS = [date.fromisoformat(str(r["event_date"])) for r in ROWS]
# What the six rows hold once read, in the codebook's spelling; Syria's "Bara" is the
# gazetteer's Al Bara (a recorded change), Mali's is not (another country).
LOCATIONS = [
    "Bara",
    "Al Bara",
    "Coast of Benin",
    "Lagos - Lagos Island",
    "Fada N'gourma",
    "Diabaly",
]
ADMIN1 = ["Mopti", "Idleb", None, "Lagos", "Est", "Ségou"]


def _check_rows(accepted: pl.DataFrame) -> None:
    assert accepted["event_id_cnty"].to_list() == [r["event_id_cnty"] for r in ROWS]
    assert accepted["event_date"].to_list() == DAYS
    assert accepted["location"].to_list() == LOCATIONS
    assert accepted["admin1"].to_list() == ADMIN1
    assert accepted["notes"].to_list() == [r["notes"] for r in ROWS]
    assert accepted["latitude"].to_list() == [float(str(r["latitude"])) for r in ROWS]
    assert accepted["inter2"].to_list() == [r["inter2"] for r in ROWS]
    assert accepted["interaction"].to_list() == [r["interaction"] for r in ROWS]
    assert accepted["assoc_actor_1"].to_list() == [r["assoc_actor_1"] for r in ROWS]
    assert accepted["fatalities"].to_list() == [int(str(r["fatalities"])) for r in ROWS]


@pytest.mark.parametrize("shape", ["export-tool", "excel", "r", "upper", "cp1252"])
def test_every_row_of_every_shape_is_accepted_as_written(cb: Codebook, shape: str) -> None:
    result = validate_file(DATA / FILES[shape], cb)
    assert result.rejected.height == 0, result.errors.to_dicts()
    assert result.accepted.height == len(ROWS)
    _check_rows(result.accepted)
    # Unknown places and actors are warned about, never guessed; nothing else is said.
    assert set(result.warnings["rule"]) == {"place-known", "actor-known"}
    place = result.warnings.filter(pl.col("rule") == "place-known")
    assert place["row"].to_list() == [1, 3, 4, 5, 6]  # all but the Syrian row


def test_export_tool_file_records_its_codes_as_changes(cb: Codebook) -> None:
    result = validate_file(DATA / FILES["export-tool"], cb)
    assert any("semicolon-separated" in n for n in result.notes)
    assert any("event_date read as %d %B %Y" in n for n in result.notes)
    changes = result.changes
    inter2 = changes.filter(pl.col("field") == "inter2")
    assert inter2.select("row", "before", "after", "reason").rows() == [
        (1, "1", "State forces", "canonical-spelling"),
        (2, "0", None, "null-code"),
        (3, "7", "Civilians", "canonical-spelling"),
        (4, "0", None, "null-code"),
        (5, "7", "Civilians", "canonical-spelling"),
        (6, "1", "State forces", "canonical-spelling"),
    ]
    derived = changes.filter(pl.col("reason") == "derived")
    assert derived["field"].unique().to_list() == ["disorder_type"]
    assert derived["after"].to_list() == [r["disorder_type"] for r in ROWS]


@pytest.mark.parametrize("shape", ["excel", "r", "upper", "cp1252"])
def test_the_only_change_in_a_text_layout_is_the_gazetteers_name(cb: Codebook, shape) -> None:
    result = validate_file(DATA / FILES[shape], cb)
    assert result.changes.select("row", "field", "before", "after", "reason").rows() == [
        (2, "location", "Bara", "Al Bara", "gazetteer-name")
    ]


def test_notes_say_what_was_detected(cb: Codebook) -> None:
    notes = {
        shape: validate_file(DATA / name, cb).notes
        for shape, name in FILES.items()
        if shape != "v7"
    }
    assert any("not UTF-8; read as cp1252" in n for n in notes["cp1252"])
    assert any("event_date read as %d/%m/%Y" in n for n in notes["cp1252"])
    assert any("tab-separated" in n for n in notes["upper"])
    assert any("EVENT_DATE -> event_date" in n for n in notes["upper"])
    assert any("missing-value token" in n for n in notes["r"])
    assert any("%d-%B-%y" in n for n in notes["excel"])
    # A UTF-8 file with ISO dates and plain headers says nothing about reading.
    assert not any("read as" in n or "separated" in n for n in notes["r"])


def test_cp1252_text_comes_out_as_written(cb: Codebook) -> None:
    read = open_table(DATA / FILES["cp1252"])
    assert read.encoding == "cp1252"
    assert "Ségou" in read.frame["admin1"].to_list()
    assert "“Office du Niger”" in read.frame["notes"][5]
    # Forcing the encoding reads the same cells and says nothing about guessing.
    forced = open_table(DATA / FILES["cp1252"], encoding="cp1252")
    assert_frame_equal(forced.frame, read.frame)
    assert not any("not UTF-8" in n for n in forced.notes)


def test_unicode_text_sep_hints_and_empty_trailing_columns(cb: Codebook, tmp_path: Path) -> None:
    from tests.schema.shapes import _csv, current_layout

    header, rows = current_layout()
    # A spreadsheet's "Unicode text": UTF-16 with its byte-order mark, tab-separated.
    unicode_text = tmp_path / "unicode.txt"
    unicode_text.write_bytes(_csv(header, rows, delimiter="\t").encode("utf-16"))
    read = open_table(unicode_text)
    assert read.delimiter == "\t" and read.encoding == "utf-16"
    # A "sep=;" first line, and two trailing columns with neither header nor value.
    hinted = tmp_path / "hinted.csv"
    text = _csv([*header, "", ""], [[*r, None, None] for r in rows], delimiter=";")
    hinted.write_text("sep=;\n" + text)
    read_hinted = open_table(hinted)
    assert read_hinted.delimiter == ";"
    assert any("neither a header nor a value" in n for n in read_hinted.notes)
    for path in (unicode_text, hinted):
        result = validate_file(path, cb)
        assert result.rejected.height == 0, result.errors.to_dicts()
        _check_rows(result.accepted)


def test_a_wrong_forced_encoding_is_refused_naming_the_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"cp1252_windows.csv: line \d+ is not ascii"):
        open_table(DATA / FILES["cp1252"], encoding="ascii")


@pytest.mark.parametrize(
    "fmt",
    [
        "%Y-%m-%d",
        "%d %B %Y",
        "%-d %B %Y",
        "%-d-%b-%y",
        "%d-%b-%Y",
        "%d-%B-%Y",
        "%d-%m-%y",
        "%m/%d/%Y",
        "%Y/%m/%d",
        "%d/%m/%Y",
        "%d.%m.%Y",
        "%Y-%m-%d 00:00:00",
        "%d%b%Y",  # Stata's %td and SAS's DATE9. (09May2020)
        "%Y%m%d",  # Stata's and SAS's yyyymmdd numbers
    ],
)
def test_spreadsheet_dates_in_each_form_are_read_as_the_day_meant(
    cb: Codebook, tmp_path: Path, fmt: str
) -> None:
    path = write_shape("excel", tmp_path / "saved.csv", fmt)
    result = validate_file(path, cb)
    assert result.rejected.height == 0, result.errors.to_dicts()
    assert result.accepted["event_date"].to_list() == DAYS
    # Reading a form other than ISO is said once; a spreadsheet's midnight time is such a form.
    said = [n for n in result.notes if n.startswith("event_date read as")]
    assert len(said) == (0 if fmt == "%Y-%m-%d" else 1), result.notes
    assert ("00:00:00" in fmt) == ("00:00:00" in " ".join(said)), said


def test_two_digit_years_take_the_year_columns_century(cb: Codebook, tmp_path: Path) -> None:
    path = write_shape("excel", tmp_path / "saved.csv", "%-d-%b-%y")
    frame = open_table(path).frame.with_columns(
        pl.when(pl.col("event_id_cnty") == "BFO91005")
        .then(pl.lit("25-Mar-18"))
        .otherwise(pl.col("event_date"))
        .alias("event_date")
    )
    assert validate(frame, cb).accepted["event_date"][4] == date(2018, 3, 25)
    # A file whose year column says 1918: the same text is that century's day.
    old = frame.with_columns(
        pl.when(pl.col("event_id_cnty") == "BFO91005")
        .then(pl.lit("1918"))
        .otherwise(pl.col("year"))
        .alias("year")
    )
    got = validate(old, cb)
    assert got.rejected.height == 0, got.errors.to_dicts()
    assert got.accepted["event_date"][4] == date(1918, 3, 25)


def test_ambiguous_day_and_month_are_refused_naming_the_column(cb: Codebook) -> None:
    # Every day is 12 or less: 05/06/2020 could be 5 June or 6 May.
    header, rows = list(ROWS[0]), [list(ROWS[0].values())]
    frame = pl.DataFrame(rows, schema=header, orient="row").with_columns(
        pl.lit("05/06/2020").alias("event_date")
    )
    with pytest.raises(DateFormatError, match="event_date.*--date-format") as err:
        validate(frame, cb)
    assert err.value.column == "event_date"
    assert "\n" not in str(err.value)
    result = validate(frame, cb, date_format="%d/%m/%Y")
    assert result.accepted["event_date"].to_list() == [date(2020, 6, 5)]


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("3 May 1890", "before 1900"),
        ("9 May 2999", "after today"),
        ("31 June 2020", "no such day"),
        ("9-May-2", "no year"),
    ],
)
def test_dates_that_are_no_event_day_fail_with_the_value_as_written(
    cb: Codebook, written: str, why: str
) -> None:
    header = list(ROWS[3])
    frame = pl.DataFrame([list(r.values()) for r in ROWS], schema=header, orient="row")
    frame = frame.with_columns(
        pl.Series("event_date", [written, *dates("%-d %B %Y")[1:]], dtype=pl.String)
    )
    result = validate(frame, cb)
    bad = result.errors.filter(pl.col("field") == "event_date")
    assert bad.select("row", "rule", "value").rows() == [(1, "field-type", written)], why
    assert result.rejected["event_date"].to_list() == [written]


def test_version_7_layout_is_refused_naming_it(cb: Codebook) -> None:
    with pytest.raises(InputError) as err:
        validate_file(DATA / FILES["v7"], cb)
    message = str(err.value)
    assert "version 6/7" in message and "Riots/Protests" in message
    assert message.endswith("needs sub_event_type, which it lacks")


def test_only_truly_missing_columns_are_named(cb: Codebook, tmp_path: Path) -> None:
    frame = open_table(DATA / FILES["upper"]).frame.drop("EVENT_TYPE", "LOCATION")
    with pytest.raises(InputError, match=r"missing required column\(s\): event_type, location$"):
        validate(frame, cb)


def test_missing_value_tokens_come_from_the_codebook(cb: Codebook, tmp_path: Path) -> None:
    raw = cb.to_dict()
    raw["settings"]["missing_values"] = []
    raw["references"] = {}
    raw["rules"] = [r for r in raw["rules"] if r["kind"] not in ("place_known", "actor_known")]
    raw["rules"] = [
        r for r in raw["rules"] if r["kind"] not in ("actor_type_listed", "coordinates_near_place")
    ]
    plain = Codebook.from_dict(raw)
    # Without the token, R's NA is a value: a civilian_targeting of "NA" breaks its vocabulary.
    result = validate_file(DATA / FILES["r"], plain)
    assert "civilian-targeting-value" in set(result.errors["rule"])
    assert validate_file(DATA / FILES["r"], cb).rejected.height == 0


@pytest.mark.parametrize("drop", [(), ("iso",)])
def test_places_resolve_only_within_their_country(cb: Codebook, drop: tuple[str, ...]) -> None:
    # Country and iso each scope the look-up: cut-down extracts often drop iso.
    frame = open_table(DATA / FILES["excel"]).frame.drop(drop)
    result = validate(frame, cb)
    mali, syria = result.accepted.row(0, named=True), result.accepted.row(1, named=True)
    assert (mali["location"], mali["latitude"], mali["admin2"]) == ("Bara", 14.0512, "Djenne")
    assert (syria["location"], syria["admin3"]) == ("Al Bara", "Ehsem")
    # Mali's Bara is far from Syria's Al Bara: matched across countries, it would also be
    # blamed for its coordinates.
    assert "coordinates-near-place" not in set(result.warnings["rule"])


def test_a_name_two_countries_use_is_not_resolved_without_a_country(cb: Codebook) -> None:
    from eventcoder.schema.reference_joins import join_gazetteer
    from eventcoder.schema.rules import helper

    gaz = pl.DataFrame(
        {
            "location": ["Bara", "Bara", "Kidal"],
            "alternate_names": [None, None, None],
            "country": ["Sudan", "Mali", "Mali"],
            "iso": [729, 466, 466],
            "region": ["Northern Africa", "Western Africa", "Western Africa"],
            "admin1": ["North Kordofan", "Mopti", "Kidal"],
            "admin2": [None, None, None],
            "admin3": [None, None, None],
            "latitude": [13.7, 14.05, 18.44],
            "longitude": [30.37, -4.6, 1.41],
        }
    )
    rows = pl.DataFrame(
        {
            "location": ["Bara", "Bara", "Bara", "Kidal"],
            "country": ["Sudan", None, "Chad", None],
            "iso": [None, 466, None, None],
            "admin1": [None, None, None, None],
            "latitude": [None, None, None, None],
        },
        schema={
            "location": pl.String,
            "country": pl.String,
            "iso": pl.Int64,
            "admin1": pl.String,
            "latitude": pl.Float64,
        },
    )
    out = join_gazetteer(rows, gaz, "location", cb)
    assert out["admin1"].to_list() == ["North Kordofan", "Mopti", None, "Kidal"]
    assert out[helper("lat", "location")].to_list() == [13.7, 14.05, None, 18.44]


def test_rejected_rows_hold_what_the_file_said(cb: Codebook, tmp_path: Path) -> None:
    frame = open_table(DATA / FILES["excel"]).frame.with_columns(
        pl.when(pl.col("event_id_cnty") == "SYR91002")
        .then(pl.lit("true"))
        .otherwise(pl.col("latitude"))
        .alias("latitude")
    )
    result = validate(frame, cb)
    assert result.rejected["row"].to_list() == [2]
    row = result.rejected.row(0, named=True)
    # Not the gazetteer's latitude, not Al Bara, not a typed date: what the file said.
    assert (row["latitude"], row["location"], row["event_date"]) == ("true", "Bara", "4-Jun-20")
    assert result.errors.select("field", "rule", "value").rows() == [
        ("latitude", "field-type", "true")
    ]
    assert 2 not in set(result.changes["row"])


# ---- inputs that are not one table -----------------------------------------------------------


def test_a_directory_is_refused(cb: Codebook, tmp_path: Path) -> None:
    write_shape("excel", tmp_path / "a.csv")
    write_shape("excel", tmp_path / "b.csv")
    with pytest.raises(InputError, match=r"is a directory; give one table file"):
        validate_file(tmp_path, cb)


def test_parquet_columns_of_the_wrong_kind_are_refused_naming_them(
    cb: Codebook, tmp_path: Path
) -> None:
    good = validate_file(DATA / FILES["excel"], cb).accepted
    path = tmp_path / "typed.parquet"
    good.write_parquet(path)
    assert validate_file(path, cb).rejected.height == 0
    good.with_columns(pl.col("latitude") > 10).write_parquet(path)
    with pytest.raises(InputError, match=r"typed.parquet: column 'latitude' is stored as Boolean"):
        validate_file(path, cb)
    good.with_columns(pl.col("tags").str.split("; ")).write_parquet(path)
    with pytest.raises(InputError, match=r"typed.parquet: column 'tags' holds lists"):
        validate_file(path, cb)
    good.with_columns(pl.col("event_date").dt.year().alias("event_date")).write_parquet(path)
    with pytest.raises(InputError, match=r"column 'event_date' is stored as Int32"):
        validate_file(path, cb)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "spreadsheet workbook"),
        (b"event_id_cnty,notes\n\x00\x01\x02,\x00\n", "binary data"),
        (b"", "is empty"),
        (b"\x1f\x8b\x08\x00compressed", "is gzip-compressed"),
        (b"PAR1 not really parquet", "cannot read it as a Parquet table"),
        (b'[{"event_id_cnty": "MLI1"}]', "is JSON, not a table file"),
        (b'{"event_id_cnty": "MLI1"}\n{"event_id_cnty": "MLI2"}\n', "is JSON, not a table"),
        (b"<html><table><tr><td>event_id_cnty</td></tr></table></html>", "is XML or HTML"),
        (b"ACLED export\nevent_id_cnty,notes\nMLI1,x\n", "line 2 has 2 cells, the header 1; is"),
    ],
)
def test_unreadable_files_are_refused_in_one_line(
    cb: Codebook, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        validate_file(path, cb)
    assert message in str(err.value) and str(path) in str(err.value)
    assert "\n" not in str(err.value)


# ---- the command line --------------------------------------------------------------------------


def _cli(*args: str):
    from typer.testing import CliRunner

    from eventcoder.cli import app

    return CliRunner(env={"COLUMNS": "200"}).invoke(app, ["validate", *args])


def test_cli_reads_each_shape_and_writes_the_changes(tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    src.write_bytes((DATA / FILES["export-tool"]).read_bytes())
    result = _cli(str(src))
    assert result.exit_code == 0, result.output
    assert "note: export.csv: semicolon-separated" in result.output
    assert "6 rows: 6 accepted, 0 rejected" in result.output
    assert "values changed as the codebook declares" in result.output
    changes = pl.read_parquet(tmp_path / "export.changes.parquet")
    assert_frame_equal(changes, validate_file(src, Codebook.default()).changes)


def test_cli_date_format_and_encoding_options(tmp_path: Path) -> None:
    header = list(ROWS[0])
    frame = pl.DataFrame([list(ROWS[0].values())], schema=header, orient="row").with_columns(
        pl.lit("05/06/2020").alias("event_date")
    )
    path = tmp_path / "events.csv"
    path.write_bytes(frame.write_csv().encode("cp1252"))
    refused = _cli(str(path))
    assert refused.exit_code == 2
    lines = [line for line in refused.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "event_date" in lines[0] and "--date-format" in lines[0]
    ok = _cli(str(path), "--date-format", "%d/%m/%Y", "--encoding", "cp1252")
    assert ok.exit_code == 0, ok.output
    assert pl.read_parquet(tmp_path / "events.accepted.parquet")["event_date"].to_list() == [
        date(2020, 6, 5)
    ]


def test_cli_refuses_a_directory_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "tables").mkdir()
    result = _cli(str(tmp_path / "tables"))
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "tables: is a directory" in lines[0]


def test_typed_dates_are_held_to_the_same_range(cb: Codebook, tmp_path: Path) -> None:
    good = validate_file(DATA / FILES["excel"], cb).accepted
    future = date(2999, 1, 1)
    for dtype in (pl.Date, pl.Datetime("us")):
        path = tmp_path / "typed.parquet"
        good.with_columns(
            pl.when(pl.col("event_id_cnty") == "NIG91004")
            .then(pl.lit(future))
            .otherwise(pl.col("event_date"))
            .cast(dtype)
            .alias("event_date")
        ).write_parquet(path)
        result = validate_file(path, cb)
        assert result.errors.select("row", "rule", "field").rows() == [
            (4, "field-type", "event_date")
        ], dtype
        assert result.accepted["event_date"].to_list() == DAYS[:3] + DAYS[4:]


def test_a_given_date_format_may_use_any_strftime_code(cb: Codebook) -> None:
    frame = open_table(DATA / FILES["excel"]).frame  # 9-May-20
    result = validate(frame, cb, date_format="%d-%b-%y")
    assert result.accepted["event_date"].to_list() == DAYS


def test_the_delimiter_of_a_long_file_cut_inside_a_quoted_note(tmp_path: Path) -> None:
    from tests.schema.shapes import _csv, layout_2019

    header, rows = layout_2019()
    many = []
    for i in range(400):
        row = list(rows[i % len(rows)])
        row[header.index("event_id_cnty")] = f"MLI{i}"
        # Long notes with line breaks, commas and semicolons, as export-tool notes have.
        row[header.index("notes")] = f"Line one, part {i};\nline two " + "x" * 300
        many.append(row)
    path = tmp_path / "long.csv"
    path.write_text(_csv(header, many, delimiter=";", quote_all=True))
    assert path.stat().st_size > 2 * 65536
    read = open_table(path)
    assert read.delimiter == ";" and read.frame.shape == (400, len(header))


def test_decimal_commas_and_codes_written_as_floats(cb: Codebook, tmp_path: Path) -> None:
    from tests.schema.shapes import _csv, layout_2019

    header, rows = layout_2019()
    for row in rows:
        for name in ("latitude", "longitude"):
            i = header.index(name)
            row[i] = str(row[i]).replace(".", ",")
        for name in ("inter1", "inter2", "interaction"):  # as pandas writes a float column
            i = header.index(name)
            row[i] = f"{row[i]}.0"
    path = tmp_path / "european.csv"
    path.write_bytes(_csv(header, rows, delimiter=";").encode("cp1252"))
    result = validate_file(path, cb)
    assert result.rejected.height == 0, result.errors.to_dicts()
    _check_rows(result.accepted)
    assert any("latitude read with decimal commas" in n for n in result.notes)
    inter1 = result.changes.filter(pl.col("field") == "inter1")
    assert inter1.select("before", "after").rows()[0] == ("2.0", "Rebel group")
    inter2 = result.changes.filter((pl.col("field") == "inter2") & (pl.col("row") == 2))
    assert inter2.select("before", "after", "reason").rows() == [("0.0", None, "null-code")]


def test_a_monadic_export_repeats_ids_once_per_actor(cb: Codebook) -> None:
    # One row per actor: the second actor of a two-actor event is a row of its own, with the
    # event's id; actor2, assoc_actor_2 and inter2 are not columns.
    rows = []
    for r in ROWS:
        rows.append({k: v for k, v in r.items() if k not in ("actor2", "assoc_actor_2", "inter2")})
        if r["actor2"]:
            rows.append(dict(rows[-1], actor1=r["actor2"], inter1=r["inter2"]))
    frame = pl.DataFrame(rows, schema={k: pl.String for k in rows[0]})
    result = validate(frame, cb)
    assert result.rejected.height == 0, result.errors.to_dicts()
    assert result.accepted.height == 10
    # With actor2 a column, the same repeated ids are an error.
    dyadic = frame.with_columns(pl.lit(None, pl.String).alias("actor2"))
    assert "event-id-unique" in set(validate(dyadic, cb).errors["rule"])


# ---- more tools' shapes (tests/schema/shapes.py writes each) -----------------------------------

MORE = {
    "mac-excel": "mac.csv",
    "blank-lines": "sheet.csv",
    "r-bom-header": "r_bom.csv",
    "r-bom-header-windows": "r_bom_windows.csv",
    "pandas-zoned": "zoned.parquet",
    "feather": "events.feather",
    "r-factors": "factors.parquet",
}


@pytest.mark.parametrize("shape", list(MORE))
def test_every_row_of_more_tools_shapes_is_accepted_as_written(
    cb: Codebook, tmp_path: Path, shape: str
) -> None:
    # Before: a Mac file was one line (a refusal naming two columns), blank lines were rejected
    # rows, R's BOM-marked id column was taken as absent (ids lost), Berlin midnights moved
    # every event a day back, Feather was "binary data", R's factor dates were refused.
    result = validate_file(write_shape(shape, tmp_path / MORE[shape]), cb)
    assert result.rejected.height == 0, result.errors.to_dicts()
    _check_rows(result.accepted)
    assert set(result.warnings["rule"]) == {"place-known", "actor-known"}
    assert result.changes.select("row", "field", "before", "after", "reason").rows() == [
        (2, "location", "Bara", "Al Bara", "gazetteer-name")
    ]


def test_notes_say_how_more_shapes_were_read(cb: Codebook, tmp_path: Path) -> None:
    notes = {
        shape: " | ".join(validate_file(write_shape(shape, tmp_path / name), cb).notes)
        for shape, name in MORE.items()
    }
    assert "read as mac_roman" in notes["mac-excel"]
    assert "lines end in CR alone" in notes["mac-excel"]
    assert "skipped 4 blank line(s)" in notes["blank-lines"]
    assert "X.U.FEFF.event_id_cnty -> event_id_cnty" in notes["r-bom-header"]
    assert (
        "event_date read as the days of timestamps at midnight in Europe/Berlin"
        in (notes["pandas-zoned"])
    )


def test_a_line_break_inside_a_quoted_note_of_a_mac_file_stays_as_written(
    cb: Codebook, tmp_path: Path
) -> None:
    from tests.schema.shapes import _csv, current_layout

    header, rows = current_layout()
    rows[1][header.index("notes")] = 'First line;\rsecond "part", and a ""quote""'
    path = tmp_path / "mac.csv"
    path.write_bytes(_csv(header, rows, newline="\r").encode("utf-8"))
    result = validate_file(path, cb)
    assert result.rejected.height == 0, result.errors.to_dicts()
    assert result.accepted["notes"][1] == rows[1][header.index("notes")]
    assert result.accepted.height == len(ROWS)


def test_a_byte_cp1252_lacks_leaves_the_rest_of_the_file_cp1252(tmp_path: Path) -> None:
    # Latin-1 defines 0x81, cp1252 does not. The whole file used to be read as Latin-1 then, and
    # every curly quote (cp1252 0x93, 0x94) became an invisible control character.
    from tests.schema.shapes import _csv, current_layout

    header, rows = current_layout()
    text = _csv(header, rows).encode("cp1252").replace(b"Katiba", b"Kat\x81iba")
    path = tmp_path / "stray.csv"
    path.write_bytes(text)
    read = open_table(path)
    assert read.frame["notes"][5].count("“Office du Niger”") == 1
    assert read.frame["actor1"][0] == "Kat\x81iba Macina"
    assert any("byte 0x81 (line 2)" in n and "U+0081" in n for n in read.notes), read.notes


def test_a_row_longer_than_the_header_is_refused_naming_its_line(tmp_path: Path) -> None:
    from tests.schema.shapes import _csv, current_layout

    header, rows = current_layout()
    rows[0][header.index("notes")] = "two\nlines"  # the file's lines are not its rows
    rows[2] = [*rows[2], "stray"]
    path = tmp_path / "long.csv"
    path.write_text(_csv(header, rows))
    with pytest.raises(InputError) as err:
        open_table(path)
    assert str(err.value) == (
        f"{path}: line 5 has 32 cells, the header 31; "
        "a cell was added or a delimiter left unquoted on that line"
    )


def test_empty_cells_past_the_header_are_ignored(cb: Codebook, tmp_path: Path) -> None:
    from tests.schema.shapes import _csv, current_layout

    header, rows = current_layout()
    rows[2] = [*rows[2], "", " "]
    path = tmp_path / "long.csv"
    path.write_text(_csv(header, rows))
    result = validate_file(path, cb)
    assert result.rejected.height == 0, result.errors.to_dicts()
    _check_rows(result.accepted)
    assert any("empty cells past the header" in n for n in result.notes)


def test_a_header_written_twice_is_refused_unless_the_copy_adds_nothing(
    cb: Codebook, tmp_path: Path
) -> None:
    from tests.schema.shapes import _csv, current_layout

    header, rows = current_layout()
    path = tmp_path / "twice.csv"
    # Two notes columns: the first used to win unseen, the second pass through renamed.
    path.write_text(_csv([*header, "notes"], [[*r, "a shorter note"] for r in rows]))
    with pytest.raises(InputError, match=r"two columns are named 'notes' .*row 1.*keep one$"):
        open_table(path)
    notes = header.index("notes")
    path.write_text(_csv([*header, "notes"], [[*r, r[notes]] for r in rows]))
    result = validate_file(path, cb)
    _check_rows(result.accepted)
    assert "notes_duplicated_0" not in result.accepted.columns
    assert any("repeated column(s) (notes)" in n for n in result.notes)


def test_a_file_without_its_header_line_is_refused_saying_so(tmp_path: Path) -> None:
    from tests.schema.shapes import _csv, current_layout

    header, rows = current_layout()
    path = tmp_path / "rows.csv"
    path.write_text(_csv(header, rows).split("\n", 1)[1])
    with pytest.raises(InputError, match=r"the first line holds values \('2020-05-09', "):
        open_table(path)


def test_timestamps_with_a_time_of_day_are_no_dates(cb: Codebook, tmp_path: Path) -> None:
    # A Parquet timestamp at 13:45 was cut to its day unseen; as text it fails. Both fail now.
    from tests.schema.shapes import _typed

    path = tmp_path / "times.parquet"
    _typed().with_columns(
        pl.col("event_date").cast(pl.Datetime("ms")) + pl.duration(hours=13, minutes=45)
    ).write_parquet(path)
    result = validate_file(path, cb)
    assert result.errors.filter(pl.col("field") == "event_date").height == len(ROWS)
    assert result.errors["value"][0] == "2020-05-09 13:45:00.000"


@pytest.mark.parametrize(
    "fmt",
    [
        "%d/%m/%Y %H:%M",  # LibreOffice, a date cell formatted with its time
        "%m/%d/%Y %I:%M:%S %p",  # Access and US Excel: 12:00:00 AM
        "%Y-%m-%dT%H:%M:%SZ",  # readr's write_csv of a POSIXct
        "%d.%m.%Y %H:%M:%S",
        "%Y-%m-%d %H:%M:%S+00",  # PostgreSQL's timestamptz
    ],
)
def test_a_midnight_time_after_any_date_form_is_that_day(
    cb: Codebook, tmp_path: Path, fmt: str
) -> None:
    path = write_shape("excel", tmp_path / "saved.csv", fmt)
    result = validate_file(path, cb)
    assert result.rejected.height == 0, result.errors.to_dicts()
    assert result.accepted["event_date"].to_list() == DAYS
    assert any("00:00:00" in n for n in result.notes), result.notes


@pytest.mark.parametrize(("written", "rule"), [("1e400", "field-type"), ("inf", "field-type")])
def test_numbers_no_one_writes_fail_as_written(cb: Codebook, written: str, rule: str) -> None:
    frame = open_table(DATA / FILES["excel"]).frame.with_columns(
        pl.when(pl.col("event_id_cnty") == "MLI91001")
        .then(pl.lit(written))
        .otherwise(pl.col("latitude"))
        .alias("latitude")
    )
    result = validate(frame, cb)
    assert result.errors.select("row", "rule", "field", "value").rows() == [
        (1, rule, "latitude", written)
    ]


@pytest.mark.parametrize("token", [".", "NaN", "nan", "None", "null", "-", "\\N"])
def test_tools_missing_numbers_are_blank_in_number_fields_only(
    cb: Codebook, tmp_path: Path, token: str
) -> None:
    # Stata's ".", pandas' nan and None, MySQL's \N: no number can be spelt so. In a text field
    # "None" may be a name and "Nan" a Thai province; a column the codebook does not name keeps
    # "NA", Namibia's code.
    from tests.schema.shapes import _csv, current_layout

    header, rows = current_layout()
    for row in rows:
        row[header.index("iso")] = token  # optional: blank is fine
        row.append("NA")
    rows[0][header.index("actor2")] = "None"
    rows[1][header.index("admin2")] = "Nan"
    path = tmp_path / "tokens.csv"
    path.write_text(_csv([*header, "iso2"], rows))
    result = validate_file(path, cb)
    assert result.rejected.height == 0, result.errors.to_dicts()
    accepted = result.accepted
    # Syria's Bara is in the gazetteer, which fills its blank iso (a recorded change).
    assert accepted["iso"].to_list() == [None, 760, None, None, None, None]
    assert result.changes.filter(pl.col("field") == "iso")["reason"].to_list() == ["gazetteer"]
    assert accepted["iso2"].to_list() == ["NA"] * len(ROWS)
    assert accepted["actor2"][0] == "None"
    assert accepted["admin2"][1] == "Nan"
    assert any("blank" in n and token in n for n in result.notes), result.notes


def test_thousands_grouped_by_spaces_are_one_count(cb: Codebook, tmp_path: Path) -> None:
    # French and other locales group digits with a (no-break) space; a point or comma there
    # could be a decimal, and stays a failure.
    from tests.schema.shapes import _csv, current_layout

    header, rows = current_layout()
    col = header.index("fatalities")
    rows[0][col], rows[1][col], rows[4][col] = "1\u00a0234", "1.234", "1 002"
    path = tmp_path / "grouped.csv"
    path.write_bytes(_csv(header, rows, delimiter=";").encode("utf-8"))
    result = validate_file(path, cb)
    assert result.errors.select("row", "rule", "value").rows() == [(2, "field-type", "1.234")]
    assert result.accepted["fatalities"].to_list() == [1234, 0, 0, 1002, 1]
    assert any("grouped by spaces" in n for n in result.notes)


def test_float32_coordinates_are_the_values_written(cb: Codebook, tmp_path: Path) -> None:
    from tests.schema.shapes import _typed

    path = tmp_path / "float32.parquet"
    _typed().with_columns(pl.col("latitude", "longitude").cast(pl.Float32)).write_parquet(path)
    result = validate_file(path, cb)
    assert result.rejected.height == 0, result.errors.to_dicts()
    # Not 14.051199913024902: the float32 widened bit for bit.
    _check_rows(result.accepted)


def test_spreadsheet_error_values_are_no_names(cb: Codebook, tmp_path: Path) -> None:
    # A broken formula's #REF! used to pass as an actor (with an actor-known warning at most).
    from tests.schema.shapes import _csv, current_layout

    header, rows = current_layout()
    rows[0][header.index("actor1")] = "#REF!"
    rows[2][header.index("location")] = "#VALUE!"
    rows[3][header.index("notes")] = "#3 in a series of protests"  # a "#" that is text
    path = tmp_path / "broken.csv"
    path.write_text(_csv(header, rows))
    result = validate_file(path, cb)
    assert result.errors.filter(pl.col("rule") == "field-type").select(
        "row", "field", "value"
    ).rows() == [(1, "actor1", "#REF!"), (3, "location", "#VALUE!")]
    assert result.rejected["row"].to_list() == [1, 3]
    assert "#3 in a series of protests" in result.accepted["notes"].to_list()


def test_pandas_floats_with_decimal_commas_in_a_count(cb: Codebook, tmp_path: Path) -> None:
    # to_csv(sep=";", decimal=",") of a count with blanks: 3,0. A thousands group (1,000)
    # could be a thousand or 1.000 and stays a failure.
    from tests.schema.shapes import _csv, current_layout

    header, rows = current_layout()
    col = header.index("fatalities")
    for row in rows:
        row[col] = f"{row[col]},0"
    rows[3][col] = "1,000"
    path = tmp_path / "pandas.csv"
    path.write_bytes(_csv(header, rows, delimiter=";").encode("utf-8"))
    result = validate_file(path, cb)
    assert result.errors.select("row", "rule", "value").rows() == [(4, "field-type", "1,000")]
    assert result.accepted["fatalities"].to_list() == [3, 0, 0, 2, 1]


def test_utf16_without_its_mark_and_a_header_alone_are_said(tmp_path: Path) -> None:
    from tests.schema.shapes import _csv, current_layout

    header, rows = current_layout()
    path = tmp_path / "unicode.txt"
    path.write_bytes(_csv(header, rows, delimiter="\t").encode("utf-16-le"))
    with pytest.raises(InputError, match=r"UTF-16 text without a byte-order mark; .*utf-16-le$"):
        open_table(path)
    assert open_table(path, encoding="utf-16-le").frame.height == len(ROWS)
    only = tmp_path / "header.csv"
    only.write_text(",".join(header) + "\n")
    read = open_table(only)
    assert read.frame.height == 0 and "header.csv: holds a header and no rows" in read.notes


def test_a_row_shorter_than_the_header_is_refused_naming_its_line(
    cb: Codebook, tmp_path: Path
) -> None:
    # A deleted cell shifts every later value one column left (a longitude read as latitude):
    # it was read with its last cells blank and accepted.
    from tests.schema.shapes import _csv, current_layout

    header, rows = current_layout()
    header, rows = header[:-1], [r[:-1] for r in rows]  # tags last, blank on most rows
    notes = header.index("notes")
    rows[0][notes] = 'Two lines;\nwith "quotes", and a ""doubled"" one'
    good = tmp_path / "good.csv"
    good.write_text(_csv(header, rows, delimiter=";"))
    result = validate_file(good, cb)
    assert result.rejected.height == 0, result.errors.to_dicts()
    assert result.accepted["notes"][0] == rows[0][notes]
    del rows[2][header.index("admin3")]  # the sea event: its admin cells are empty anyway
    short = tmp_path / "short.csv"
    short.write_text(_csv(header, rows, delimiter=";"))
    with pytest.raises(InputError) as err:
        validate_file(short, cb)
    assert str(err.value) == (
        f"{short}: line 5 has 29 cells, the header 30; "
        "a cell was deleted or a delimiter lost on that line"
    )


@pytest.mark.parametrize(
    ("days", "what"), [(43960, "a spreadsheet's day count"), (1588982400, "a Unix time")]
)
def test_a_date_column_of_numbers_is_refused_in_one_line(
    cb: Codebook, tmp_path: Path, days: int, what: str
) -> None:
    # Every row used to be rejected, one field-type failure each, for a column no format reads.
    from tests.schema.shapes import _csv, current_layout

    header, rows = current_layout()
    for i, row in enumerate(rows):
        row[header.index("event_date")] = str(days + i)
    path = tmp_path / "serial.csv"
    path.write_text(_csv(header, rows))
    with pytest.raises(DateFormatError) as err:
        validate_file(path, cb)
    assert str(err.value) == (
        f"{path}: event_date: holds numbers such as '{days}' ({what}?), not dates; "
        "save the column as dates (2020-05-09)"
    )


def test_digits_of_other_scripts_are_digits(cb: Codebook, tmp_path: Path) -> None:
    # An Arabic-locale sheet writes ٣ and ١٤٫٠٥١٢; full-width input gives ３. They failed as
    # not numbers.
    from tests.schema.shapes import _csv, current_layout

    header, rows = current_layout()
    rows[0][header.index("fatalities")] = "٣"
    rows[0][header.index("latitude")] = "١٤٫٠٥١٢"
    rows[5][header.index("fatalities")] = "１"
    path = tmp_path / "arabic.csv"
    path.write_bytes(_csv(header, rows).encode("utf-8"))
    result = validate_file(path, cb)
    assert result.rejected.height == 0, result.errors.to_dicts()
    _check_rows(result.accepted)
    assert any("digits of another script" in n for n in result.notes)


def test_an_ms_dos_file_is_not_read_as_cp1252(cb: Codebook, tmp_path: Path) -> None:
    # Excel's "CSV (MS-DOS)" writes cp850: Ségou's é is 0x82, which cp1252 reads as a low
    # quote (S‚gou), and every accented name came out so, unseen.
    from tests.schema.shapes import _csv, current_layout

    header, rows = current_layout()
    text = _csv(header, rows, newline="\r\n").replace("“", '"').replace("”", '"')
    path = tmp_path / "dos.csv"
    path.write_bytes(text.encode("cp850"))
    with pytest.raises(InputError) as err:
        open_table(path)
    assert "line 7 says 'S‚gou'" in str(err.value)
    assert "--encoding cp850" in str(err.value)
    result = validate_file(path, cb, encoding="cp850")
    assert result.accepted["admin1"][5] == "Ségou"


def test_a_count_in_scientific_notation_is_no_count(cb: Codebook) -> None:
    # Excel saves a timestamp too wide for its cell as it shows it, 1.7E+09: the digits after
    # the shown ones are lost. It was read as 1700000000.
    frame = open_table(DATA / FILES["excel"]).frame.with_columns(
        pl.when(pl.col("event_id_cnty") == "MLI91001")
        .then(pl.lit("1.7E+09"))
        .otherwise(pl.col("timestamp"))
        .alias("timestamp")
    )
    result = validate(frame, cb)
    assert result.errors.select("row", "rule", "field", "value").rows() == [
        (1, "field-type", "timestamp", "1.7E+09")
    ]
