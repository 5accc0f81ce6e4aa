"""Reference lists built from our own hand-written tables in three countries (no ACLED rows)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from eventcoder.cli import app
from eventcoder.errors import InputError
from eventcoder.schema import load_codebook, validate
from eventcoder.schema.codebook import Codebook
from eventcoder.schema.references import (
    build_references,
    build_references_from_files,
    without_references,
)
from tests.schema.countries import row

POLICE_KE = "Police Forces of Kenya (2022-)"
ALSHABAAB = "Al Shabaab"
POLICE_NG = "Police Forces of Nigeria (2015-)"
BANDITS = "Unidentified Armed Group (Nigeria)"
SDF = "Valley Defence Militia"
PROTEST = ("Protests", "Peaceful protest")
SHELLING = ("Explosions/Remote violence", "Shelling/artillery/missile attack")


def history() -> list[dict[str, str | None]]:
    """A team's past events: three countries, one actor whose type changes, spellings."""
    rows = [
        # Kenya: Al Shabaab attacks police in Mandera (spelt two ways at the same coordinates).
        row(
            1,
            "Kenya",
            "2023-01-05",
            ALSHABAAB,
            "Rebel group",
            "Mandera",
            "Mandera",
            3.9366,
            41.8670,
            actor2=POLICE_KE,
            inter2="State forces",
        ),
        row(
            2,
            "Kenya",
            "2023-02-10",
            ALSHABAAB,
            "Rebel group",
            "Mandera",
            "Mandera",
            3.9366,
            41.8670,
            actor2=POLICE_KE,
            inter2="State forces",
        ),
        row(
            3,
            "Kenya",
            "2023-03-01",
            ALSHABAAB,
            "Rebel group",
            "Mandhera",
            "Mandera",
            3.9366,
            41.8670,
            actor2=POLICE_KE,
            inter2="State forces",
        ),
        row(
            4,
            "Kenya",
            "2023-04-01",
            "Protesters (Kenya)",
            "Protesters",
            "Nairobi-Central",
            "Nairobi",
            -1.2833,
            36.8167,
            event=PROTEST,
        ),
        # Nigeria: a place named like a Kenyan one (Garissa is not only in Kenya in our story).
        row(
            5,
            "Nigeria",
            "2023-01-07",
            BANDITS,
            "Political militia",
            "Garissa",
            "Zamfara",
            12.1700,
            6.6600,
            actor2=POLICE_NG,
            inter2="State forces",
        ),
        row(
            6,
            "Kenya",
            "2023-05-07",
            ALSHABAAB,
            "Rebel group",
            "Garissa",
            "Garissa",
            -0.4532,
            39.6461,
            actor2=POLICE_KE,
            inter2="State forces",
        ),
        row(
            7,
            "Nigeria",
            "2023-06-02",
            "Protesters (Nigeria)",
            "Protesters",
            "Gusau",
            "Zamfara",
            12.1628,
            6.6614,
            event=PROTEST,
        ),
        # Syria: a militia that becomes a rebel group in 2021 (one row per period).
        row(
            8,
            "Syria",
            "2020-03-01",
            SDF,
            "Political militia",
            "Ariha",
            "Idleb",
            35.8137,
            36.6075,
            event=SHELLING,
        ),
        row(
            9,
            "Syria",
            "2020-09-01",
            SDF,
            "Political militia",
            "Ariha",
            "Idleb",
            35.8137,
            36.6075,
            event=SHELLING,
        ),
        row(
            10,
            "Syria",
            "2021-04-01",
            SDF,
            "Rebel group",
            "Ariha",
            "Idleb",
            35.8137,
            36.6075,
            event=SHELLING,
        ),
        row(
            11,
            "Syria",
            "2022-04-01",
            SDF,
            "Rebel group",
            "Saraqab",
            "Idleb",
            35.8622,
            36.8042,
            event=SHELLING,
        ),
    ]
    return rows


def _frame(rows: list[dict[str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={k: pl.String for k in rows[0]})


@pytest.fixture(scope="module")
def codebook() -> Codebook:
    return load_codebook()


def _accepted(rows: list[dict[str, str | None]], cb: Codebook) -> pl.DataFrame:
    result = validate(_frame(rows), without_references(cb))
    assert result.rejected.height == 0, result.errors.to_dicts()
    return result.accepted


def test_actor_list_one_row_per_type_period(codebook: Codebook) -> None:
    lists = build_references([_accepted(history(), codebook)], codebook)
    sdf = lists.actors.filter(pl.col("name") == SDF).select(
        "type", "country", "start_date", "end_date", "first_seen", "last_seen", "count"
    )
    expected = pl.DataFrame(
        {
            "type": ["Political militia", "Rebel group"],
            "country": ["Syria", "Syria"],
            # The militia type holds from the start until the day before the new type appears.
            "start_date": [None, date(2021, 4, 1)],
            "end_date": [date(2021, 3, 31), None],
            "first_seen": [date(2020, 3, 1), date(2021, 4, 1)],
            "last_seen": [date(2020, 9, 1), date(2022, 4, 1)],
            "count": [2, 2],
        }
    )
    assert_frame_equal(sdf, expected)
    shabaab = lists.actors.filter(pl.col("name") == ALSHABAAB)
    assert shabaab.select("type", "country", "count").rows() == [("Rebel group", "Kenya", 4)]
    # Actors appear as actor1 and as actor2; every distinct (name, country, type) once.
    assert lists.actors.height == 8
    assert lists.conflicts.filter(pl.col("list") == "actors").height == 0


def test_gazetteer_spellings_counts_and_country(codebook: Codebook) -> None:
    lists = build_references([_accepted(history(), codebook)], codebook)
    gaz = lists.gazetteer
    mandera = gaz.filter(pl.col("location") == "Mandera").to_dicts()
    assert mandera == [
        {
            "location": "Mandera",
            "alternate_names": "Mandhera",
            "country": "Kenya",
            "iso": 404,
            "region": "Eastern Africa",
            "admin1": "Mandera",
            "admin2": None,
            "admin3": None,
            "latitude": 3.9366,
            "longitude": 41.867,
            "geo_precision": 1,
            "count": 3,
        }
    ]
    # Garissa is two places in two countries: two rows, no conflict (names are per country).
    garissa = gaz.filter(pl.col("location") == "Garissa").sort("country")
    assert garissa.select("country", "admin1").rows() == [
        ("Kenya", "Garissa"),
        ("Nigeria", "Zamfara"),
    ]
    assert lists.conflicts.height == 0
    assert gaz.height == 7
    assert gaz["count"].sum() == len(history())


def test_conflicts_far_apart_coordinates_and_two_types_at_once(codebook: Codebook) -> None:
    rows = history() + [
        # Ariha coded 40 km away once: a misplaced coordinate.
        row(
            12,
            "Syria",
            "2020-05-01",
            SDF,
            "Political militia",
            "Ariha",
            "Idleb",
            35.8137,
            37.0500,
            event=SHELLING,
        ),
        # Al Shabaab coded as a militia in the middle of its rebel-group period.
        row(
            13,
            "Kenya",
            "2023-02-01",
            ALSHABAAB,
            "Political militia",
            "Mandera",
            "Mandera",
            3.9366,
            41.8670,
            actor2=POLICE_KE,
            inter2="State forces",
        ),
        # One name for two places in one country.
        row(
            14,
            "Kenya",
            "2023-02-03",
            ALSHABAAB,
            "Rebel group",
            "Mandera",
            "Wajir",
            1.7471,
            40.0573,
            actor2=POLICE_KE,
            inter2="State forces",
        ),
    ]
    lists = build_references([_accepted(rows, codebook)], codebook)
    kinds = lists.conflicts.select("kind", "name", "country", "rows").sort("kind").rows()
    assert kinds == [
        ("actor-types-overlap", ALSHABAAB, "Kenya", 1),
        ("place-coordinates-far-apart", "Ariha", "Syria", 1),
        ("place-name-ambiguous", "Mandera", "Kenya", 5),
    ]
    # The coordinates used most often are kept; the far one is only reported.
    ariha = lists.gazetteer.filter(pl.col("location") == "Ariha")
    assert ariha.select("latitude", "longitude", "count").rows() == [(35.8137, 36.6075, 4)]
    # The most frequent Mandera comes first, so a look-up by name finds it.
    mandera = lists.gazetteer.filter(pl.col("location") == "Mandera")
    assert mandera["admin1"].to_list() == ["Mandera", "Wajir"]
    # Both types stay listed while they overlap; the conflict is for a person to settle.
    shabaab = lists.actors.filter(pl.col("name") == ALSHABAAB).sort("type")
    assert shabaab.select("type", "start_date", "end_date").rows() == [
        ("Political militia", date(2023, 2, 1), date(2023, 2, 1)),
        ("Rebel group", None, None),
    ]


def _validate_new(tmp_path: Path, cb: Codebook, new: list[dict[str, str | None]]):
    past = tmp_path / "past.csv"
    _frame(history()).write_csv(past)
    lists, uses = build_references_from_files([past], cb)
    assert [(u.rows, u.used, u.rejected) for u in uses] == [(11, 11, 0)]
    lists.write(tmp_path / "refs", cb)
    built = Codebook.from_file(tmp_path / "refs" / "codebook.yaml")
    return validate(_frame(new), built)


def test_validation_against_built_lists_warns_only_about_unknown_names(
    tmp_path: Path, codebook: Codebook
) -> None:
    new = [
        # Known actors and places, in every country, some by an alternate spelling.
        row(
            101,
            "Kenya",
            "2024-01-05",
            ALSHABAAB,
            "Rebel group",
            "Mandhera",
            "Mandera",
            3.9366,
            41.8670,
            actor2=POLICE_KE,
            inter2="State forces",
        ),
        row(
            102,
            "Nigeria",
            "2024-01-06",
            BANDITS,
            "Political militia",
            "Garissa",
            "Zamfara",
            12.17,
            6.66,
            actor2=POLICE_NG,
            inter2="State forces",
        ),
        row(
            103,
            "Syria",
            "2024-01-07",
            SDF,
            "Rebel group",
            "Saraqab",
            "Idleb",
            35.8622,
            36.8042,
            event=SHELLING,
        ),
        # A truly unknown actor and a truly unknown place.
        row(
            104,
            "Kenya",
            "2024-01-08",
            "Unknown Newcomers",
            "Political militia",
            "Wajir",
            "Wajir",
            1.7471,
            40.0573,
            actor2=POLICE_KE,
            inter2="State forces",
        ),
    ]
    result = _validate_new(tmp_path, codebook, new)
    warned = result.warnings.filter(pl.col("rule").is_in(["actor-known", "place-known"]))
    assert warned.select("row", "rule", "value").sort("row", "rule").rows() == [
        (4, "actor-known", "Unknown Newcomers"),
        (4, "place-known", "Wajir"),
    ]
    assert result.rejected.height == 0
    # The alternate spelling is written as the gazetteer's name.
    assert result.accepted["location"][0] == "Mandera"


def test_validation_against_built_lists_catches_wrong_type_and_misplaced_point(
    tmp_path: Path, codebook: Codebook
) -> None:
    new = [
        # In 2024 the list says rebel group: a militia type is an error.
        row(
            201,
            "Syria",
            "2024-02-01",
            SDF,
            "Political militia",
            "Ariha",
            "Idleb",
            35.8137,
            36.6075,
            event=SHELLING,
        ),
        # Gusau coded 100 km off.
        row(
            202,
            "Nigeria",
            "2024-02-02",
            "Protesters (Nigeria)",
            "Protesters",
            "Gusau",
            "Zamfara",
            12.1628,
            7.5614,
            event=PROTEST,
        ),
    ]
    result = _validate_new(tmp_path, codebook, new)
    assert result.errors.select("row", "rule").rows() == [(1, "actor-type-matches-list")]
    near = result.warnings.filter(pl.col("rule") == "coordinates-near-place")
    assert near["row"].to_list() == [2]


def test_rejected_rows_are_left_out_and_counted(tmp_path: Path, codebook: Codebook) -> None:
    rows = history()
    rows[0] = {**rows[0], "sub_event_type": "Peaceful protest"}  # not a battle's sub-event
    path = tmp_path / "t.csv"
    _frame(rows).write_csv(path)
    lists, uses = build_references_from_files([path, path], codebook)
    assert [(u.rows, u.used, u.rejected) for u in uses] == [(11, 10, 1), (11, 10, 1)]
    assert lists.rows == 20
    # Mandera: rows 2 and 3 (as Mandhera) of each copy; row 1 was rejected.
    assert lists.gazetteer.filter(pl.col("location") == "Mandera")["count"].to_list() == [4]


def test_a_table_that_cannot_be_read_is_named(tmp_path: Path, codebook: Codebook) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    _frame(history()).write_csv(good)
    _frame(history()).drop("event_date").write_csv(bad)
    with pytest.raises(InputError, match=r"bad\.csv: missing required column\(s\): event_date"):
        build_references_from_files([good, bad], codebook)


def test_no_tables_is_unusable_input(codebook: Codebook) -> None:
    with pytest.raises(InputError):
        build_references_from_files([], codebook)


def test_written_lists_load_as_the_codebook_references(tmp_path: Path, codebook: Codebook) -> None:
    lists = build_references([_accepted(history(), codebook)], codebook)
    paths = lists.write(tmp_path, codebook)
    assert [p.name for p in paths] == [
        "actors.csv",
        "gazetteer.csv",
        "conflicts.csv",
        "codebook.yaml",
    ]
    built = Codebook.from_file(tmp_path / "codebook.yaml")
    assert built.references.actors is not None and built.references.gazetteer is not None
    assert built.references.actors.height == lists.actors.height
    assert built.references.gazetteer.height == lists.gazetteer.height
    # Apart from its references, the codebook is the one the lists were built with.
    assert built.rules == codebook.rules and built.fields == codebook.fields


def test_a_name_shared_by_two_countries_finds_each_country_s_place(
    tmp_path: Path, codebook: Codebook
) -> None:
    new = [
        row(
            301,
            "Kenya",
            "2024-03-01",
            ALSHABAAB,
            "Rebel group",
            "Garissa",
            "Garissa",
            -0.4532,
            39.6461,
            actor2=POLICE_KE,
            inter2="State forces",
        ),
        row(
            302,
            "Nigeria",
            "2024-03-02",
            BANDITS,
            "Political militia",
            "Garissa",
            "Zamfara",
            12.17,
            6.66,
            actor2=POLICE_NG,
            inter2="State forces",
        ),
    ]
    result = _validate_new(tmp_path, codebook, new)
    assert result.warnings.filter(pl.col("rule") == "coordinates-near-place").height == 0
    assert result.accepted["admin1"].to_list() == ["Garissa", "Zamfara"]


def test_cli_json_equals_the_library_and_output_problems_are_one_line(
    tmp_path: Path, codebook: Codebook
) -> None:
    past = tmp_path / "past.csv"
    _frame(history()).write_csv(past)
    runner = CliRunner()
    result = runner.invoke(
        app, ["references", "build", str(past), "-o", str(tmp_path / "r"), "--json"]
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    lists, uses = build_references_from_files([past], codebook)
    assert {k: shown[k] for k in lists.summary()} == json.loads(json.dumps(lists.summary()))
    assert shown["tables"] == [u.__dict__ for u in uses]
    assert (tmp_path / "r" / "gazetteer.csv").read_text() == lists.gazetteer.write_csv()
    # -o naming a file: refused before any work, in one line, exit 2; the file is untouched.
    result = runner.invoke(app, ["references", "build", str(past), "-o", str(past)])
    assert result.exit_code == 2
    assert "is a file" in result.output
    assert past.read_text() == _frame(history()).write_csv()


def test_cli_prints_a_table_name_as_written(tmp_path: Path) -> None:
    # "[draft]" in a file name is text, not rich markup: the per-table line keeps it
    past = tmp_path / "past[draft].csv"
    _frame(history()).write_csv(past)
    result = CliRunner().invoke(app, ["references", "build", str(past), "-o", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert f"{past}: {len(history())} rows" in result.output.replace("\n", "")


def test_an_input_table_is_never_overwritten_by_the_lists(tmp_path: Path) -> None:
    # The events table is called actors.csv and -o names its folder: the new actor list would
    # replace it. Refused in one line, exit 2, the table untouched, nothing written.
    table = tmp_path / "actors.csv"
    _frame(history()).write_csv(table)
    before = table.read_bytes()
    result = CliRunner().invoke(app, ["references", "build", str(table), "-o", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "is an input of this command" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert table.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["actors.csv"]
