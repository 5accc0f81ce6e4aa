"""Validation of events tables: real layouts with no false rejections, broken rows named exactly."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventcoder.errors import InputError
from eventcoder.schema.codebook import Codebook
from eventcoder.schema.validation import validate
from tests.schema.rows import GOOD, legacy_layout, numeric_layout, text_layout, with_change


@pytest.mark.parametrize("layout", [text_layout, numeric_layout, legacy_layout])
def test_layouts_validate_with_no_false_rejections(cb: Codebook, layout) -> None:
    result = validate(layout(), cb)
    assert result.rejected.height == 0, result.errors.to_dicts()
    assert result.accepted.height == len(GOOD)
    assert result.warnings.height == 0, result.warnings.to_dicts()
    # Whatever the layout, values come out in the codebook's canonical spelling.
    assert result.accepted["interaction"].to_list() == [r["interaction"] for r in GOOD]
    assert result.accepted["inter2"].to_list() == [r.get("inter2") for r in GOOD]
    assert result.accepted["event_date"].to_list() == [
        date.fromisoformat(r["event_date"]) for r in GOOD
    ]


def test_legacy_layout_derives_and_says_so_once(cb: Codebook) -> None:
    result = validate(legacy_layout(), cb)
    assert result.accepted["disorder_type"].to_list() == [r["disorder_type"] for r in GOOD]
    assert any("disorder_type" in n and "derived" in n for n in result.notes)
    assert any("civilian_targeting" in n and "not checked" in n for n in result.notes)


@pytest.mark.parametrize(
    ("index", "changes", "rule", "field"),
    [
        (1, {"sub_event_type": "Armed clash"}, "sub-event-in-event-type", "event_type"),
        (2, {"fatalities": "-3"}, "fatalities-non-negative", "fatalities"),
        (
            1,
            {"interaction": "State forces-Civilians"},
            "interaction-from-actor-types",
            "interaction",
        ),
        (2, {"latitude": "123"}, "latitude-range", "latitude"),
        (
            1,
            {"inter1": "State forces", "interaction": "State forces-Civilians"},
            "actor-type-matches-list",
            "inter1",
        ),
        (
            2,
            {
                "event_date": (date.today() + timedelta(days=30)).isoformat(),
                "year": str((date.today() + timedelta(days=30)).year),
                "timestamp": None,
            },
            "field-type",  # a date after today is no date an event can have
            "event_date",
        ),
        (4, {"fatalities": "2"}, "protest-no-fatalities", "fatalities"),
        (
            0,
            {"actor2": None, "inter2": None, "interaction": "State forces only"},
            "two-sided-event-types",
            "actor2",
        ),
        (0, {"fatalities": "many"}, "field-type", "fatalities"),
        (0, {"year": "2018"}, "year-of-event-date", "year"),
        (
            3,
            {"disorder_type": "Political violence"},
            "disorder-type-from-sub-event",
            "disorder_type",
        ),
        (
            0,
            {"civilian_targeting": "Civilian targeting"},
            "no-civilian-targeting-in-battles",
            "civilian_targeting",
        ),
        (0, {"location": None}, "required-field", "location"),
    ],
)
def test_broken_rows_are_rejected_with_the_right_rule(cb, index, changes, rule, field) -> None:
    result = validate(text_layout(with_change(index, **changes)), cb)
    assert result.rejected["row"].to_list() == [index + 1]
    assert result.accepted.height == len(GOOD) - 1
    hits = result.errors.filter(pl.col("rule") == rule)
    assert hits.height >= 1, result.errors.to_dicts()
    assert hits["field"][0] == field
    assert hits["row"][0] == index + 1
    if field in changes and changes[field] is not None:
        assert hits["value"][0].rstrip("0").rstrip(".") == changes[field].rstrip("0").rstrip(".")


def test_same_rows_in_numeric_codes_fail_the_same_way(cb: Codebook) -> None:
    rows = with_change(1, interaction="State forces-Civilians")
    frame = numeric_layout(rows).with_columns(
        pl.when(pl.col("event_id_cnty") == "SYR900002")
        .then(pl.lit("17"))
        .otherwise(pl.col("interaction"))
        .alias("interaction")
    )
    result = validate(frame, cb)
    assert result.errors["rule"].to_list() == ["interaction-from-actor-types"]
    assert result.errors["value"].to_list() == ["State forces-Civilians"]


def test_warnings_keep_the_row(cb: Codebook) -> None:
    rows = with_change(2, latitude="35.70", longitude="36.60")  # ~10 km off Kansafra
    rows.append(dict(GOOD[4], event_id_cnty="SYR900006"))  # same day, place, actors
    result = validate(text_layout(rows), cb)
    assert result.rejected.height == 0
    assert sorted(result.warnings["rule"].to_list()) == [
        "coordinates-near-place",
        "one-event-per-day-place-actors",
        "one-event-per-day-place-actors",
    ]


def test_unknown_actor_and_place_warn_and_are_not_guessed(cb: Codebook) -> None:
    rows = with_change(
        2,
        actor1="Military Forces of Atlantis (1999-)",
        location="Nowhereville",
        latitude="35.6",
        longitude="36.5",
    )
    result = validate(text_layout(rows), cb)
    assert result.rejected.height == 0
    assert set(result.warnings["rule"]) == {"actor-known", "place-known"}
    assert result.accepted.filter(pl.col("event_id_cnty") == "SYR900003")["inter1"][0] == (
        "State forces"
    )


def test_reference_lists_fill_blank_fields(cb: Codebook) -> None:
    row = {
        k: v
        for k, v in GOOD[1].items()
        if k
        not in (
            "inter1",
            "inter2",
            "interaction",
            "admin2",
            "admin3",
            "latitude",
            "longitude",
            "disorder_type",
            "year",
        )
    }
    row["location"] = "al-Maouzrah"  # an alternate name
    result = validate(text_layout([row]), cb)
    assert result.rejected.height == 0, result.errors.to_dicts()
    got = result.accepted.row(0, named=True)
    assert (got["location"], got["admin3"], got["latitude"]) == ("Mozra", "Ehsem", 35.657)
    assert (got["inter1"], got["inter2"]) == ("External/Other forces", "Civilians")
    assert got["interaction"] == "External/Other forces-Civilians"
    assert (got["disorder_type"], got["year"]) == ("Political violence", 2020)


def test_actor_types_change_over_time(cb: Codebook) -> None:
    # HTS is a rebel group until December 2024; the list says nothing of it afterwards.
    base = dict(
        GOOD[0],
        actor2="HTS: Hayat Tahrir al Sham",
        inter2="Rebel group",
        interaction="State forces-Rebel group",
    )
    before = validate(text_layout([base]), cb)
    assert before.failures.height == 0, before.failures.to_dicts()
    after = validate(
        text_layout([dict(base, event_date="2025-01-10", year="2025", timestamp="1736500000")]), cb
    )
    assert after.rejected.height == 0
    assert "actor-known" in after.warnings["rule"].to_list()


def test_missing_required_column_is_unusable_input(cb: Codebook) -> None:
    with pytest.raises(InputError, match="missing required column.*event_type"):
        validate(text_layout().drop("event_type"), cb)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(GOOD) - 1),
            st.sampled_from(
                ["fatalities", "latitude", "sub_event_type", "inter1", "event_date", "location"]
            ),
            st.sampled_from(["-1", "999", "x", "", "Armed clash", "1 June 2020"]),
        ),
        max_size=8,
    )
)
def test_nothing_is_dropped(changes) -> None:
    cb = Codebook.default()
    rows = [dict(r) for r in GOOD]
    for index, field, value in changes:
        rows[index][field] = value
    result = validate(text_layout(rows), cb)
    assert result.accepted.height + result.rejected.height == len(rows)
    assert set(result.rejected["row"]) == set(result.errors["row"])
    assert result.rejected["row"].is_unique().all()


@settings(max_examples=25, deadline=None)
@given(
    st.dates(min_value=date(1997, 1, 1), max_value=date.today()),
    st.sampled_from(["%Y-%m-%d", "%d %B %Y", "%d-%B-%Y"]),
)
def test_dates_in_every_export_format_parse_back(day: date, fmt: str) -> None:
    cb = Codebook.default()
    row = dict(GOOD[2], event_date=day.strftime(fmt), year=str(day.year), timestamp=None)
    result = validate(text_layout([row]), cb)
    assert result.accepted["event_date"].to_list() == [day]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["{}", "{}.0", " {} "]))
def test_whole_numbers_parse_and_fractions_do_not(n: int, template: str) -> None:
    cb = Codebook.default()
    ok = validate(text_layout([dict(GOOD[2], fatalities=template.format(n))]), cb)
    assert ok.accepted["fatalities"].to_list() == [n]
    bad = validate(text_layout([dict(GOOD[2], fatalities=f"{n}.5")]), cb)
    assert bad.errors["rule"].to_list() == ["field-type"]


# Values the property below draws from: canonical, misspelt, wrong for the row, and blank.
_MUTATIONS = {
    "sub_event_type": ["Armed clash", "Air/drone strike", "Peaceful protest", "Looting", None],
    "event_type": ["Battles", "Protests", "Explosions/Remote violence", None],
    "inter1": ["State forces", "Rebel group", "Civilians", "Protesters", None],
    "inter2": ["State forces", "Civilians", "Rioters", None],
    "interaction": ["State forces-Civilians", "Rebel group only", "State forces-State forces"],
    "civilian_targeting": ["Civilian targeting", None],
    "fatalities": ["0", "2", "-1"],
    "event_id_cnty": ["SYR1", "SYR2", None],
}


@st.composite
def repeated_tables(draw: st.DrawFn, copies: int = 30) -> pl.DataFrame:
    """A text table of GOOD rows with some values changed for values of _MUTATIONS, repeated
    (as rows repeat in real tables, so that the validator's shortcuts are taken)."""
    rows = []
    for _ in range(draw(st.integers(1, 12))):
        row = dict(GOOD[draw(st.integers(0, len(GOOD) - 1))])
        for field in draw(st.sets(st.sampled_from(sorted(_MUTATIONS)), max_size=3)):
            row[field] = draw(st.sampled_from(_MUTATIONS[field]))
        rows.append(row)
    return text_layout(rows * draw(st.integers(1, copies)))


@settings(max_examples=30, deadline=None)
@given(repeated_tables())
def test_fast_rule_evaluation_finds_exactly_what_plain_evaluation_finds(
    table: pl.DataFrame,
) -> None:
    # Checks on vocabulary fields run on distinct combinations, uniqueness is screened on
    # hashes: the rows each check blames must be those its expression blames.
    from eventcoder.schema.rules import compile_checks
    from eventcoder.schema.validation import _violating_rows, prepare

    cb = Codebook.default()
    prepared = prepare(table, cb)
    checks = compile_checks(cb, skip_fields=prepared.absent)
    fast = _violating_rows(prepared.frame, cb, checks)
    for check, found in zip(checks, fast, strict=True):
        plain = prepared.frame.select(check.violation).to_series().arg_true()
        assert found.sort().to_list() == plain.to_list(), check.name


@settings(max_examples=25, deadline=None)
@given(repeated_tables(copies=20))
def test_a_table_finds_the_same_failures_as_text_and_typed(table: pl.DataFrame) -> None:
    # CSV text and Parquet-typed input take different typing paths; they must agree.
    from eventcoder.schema.validation import prepare

    cb = Codebook.default()
    typed = prepare(table, cb).frame.select(table.columns)
    found = [
        set(validate(frame, cb).failures.select("row", "rule", "field").iter_rows())
        for frame in (table, typed)
    ]
    assert found[0] == found[1]
