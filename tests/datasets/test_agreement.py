"""Agreement over aligned events: hand-counted detection, fields against the statistics, output."""

from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import date, timedelta

import krippendorff
import numpy as np
import orjson
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from eventcoder.datasets.agreement import (
    BLANK,
    agreement,
    status_of,
    to_dict,
    to_json,
    write_json,
)
from eventcoder.datasets.bootstrap import bootstrap_alpha
from eventcoder.datasets.reliability import AgreementError, fleiss_kappa, krippendorff_alpha
from eventcoder.errors import InputError
from eventcoder.schema.codebook import Codebook
from eventcoder.schema.tables import empty_table

CB = Codebook.default()
D = date(2024, 3, 1)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", reliability data (coders
# as rows here, transposed below).
K2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
        [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan],
    ]
).T


def test_interval_alpha_reproduces_the_published_value() -> None:
    assert round(krippendorff_alpha(K2011, "interval"), 3) == 0.849


@settings(max_examples=80, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(2, 30), st.integers(2, 4)),
        elements=st.one_of(st.just(np.nan), st.floats(-1e4, 1e4).map(round)),
    ),
)
def test_interval_alpha_equals_the_coincidence_definition(matrix: np.ndarray) -> None:
    # The closed form against the reference package's coincidence-matrix computation.
    try:
        ours = krippendorff_alpha(matrix, "interval")
    except AgreementError:
        return  # degenerate: covered against the package in test_reliability
    ref = krippendorff.alpha(matrix.T, level_of_measurement="interval")
    assert ours == pytest.approx(ref, abs=1e-9)


def test_interval_alpha_copes_with_many_distinct_values() -> None:
    rng = np.random.default_rng(1)
    truth = rng.uniform(-90, 90, 200_000)
    matrix = truth[:, None] + rng.normal(0, 1, (200_000, 3))
    # a values x values coincidence matrix would need 4.8e11 cells here
    assert krippendorff_alpha(matrix, "interval") == pytest.approx(
        1 - 1 / (1 + np.var(truth)), abs=1e-3
    )


# --- a hand-worked project: two articles, three coders -----------------------------------------


def table(rows: list[dict]) -> pl.DataFrame:
    base = empty_table(CB, "annotations")
    data = pl.DataFrame(
        rows,
        schema_overrides={
            "event_date": pl.Date,
            "span_start": pl.Int64,
            "span_end": pl.Int64,
            "fatalities": pl.Int64,
        },
    )
    return pl.concat([base, data], how="diagonal_relaxed").select(base.columns)


def ev(article: str, coder: str, key: str, start: int, **fields: object) -> dict:
    row = {
        "article_id": article,
        "coder": coder,
        "event_key": key,
        "span_start": start,
        "span_end": start + 100,
        "location": "Aleppo",
        "event_date": D,
        "event_type": "Battles",
        "actor1": "Military Forces of Syria",
        "fatalities": 1,
    }
    row.update(fields)
    return row


PROJECT = table(
    [
        # x: all three code event 1; a and b code event 2 (b's location spelt differently);
        # c codes an extra event nobody else has.
        ev("x", "a", "a1", 0, actor2="Civilians (Syria)"),
        ev("x", "b", "b1", 0, actor2=" civilians  (SYRIA)"),
        ev("x", "c", "c1", 0, event_type="Riots", fatalities=2),
        ev("x", "a", "a2", 300, location="Homs", event_type="Protests", fatalities=0),
        ev("x", "b", "b2", 300, location=" homs", event_type="Protests", fatalities=0),
        ev(
            "x",
            "c",
            "c2",
            900,
            location="Daraa",
            event_date=D + timedelta(days=40),
            event_type="Explosions/Remote violence",
        ),
        # y: a and c code one event; b codes nothing here.
        ev("y", "a", "a3", 0, event_type="Riots", fatalities=3),
        ev("y", "c", "c3", 0, event_type="Riots", fatalities=4),
    ]
)


@pytest.fixture(scope="module")
def result():
    return agreement(PROJECT, CB, n_boot=200, seed=7)


def test_detection_is_counted_per_pair(result) -> None:
    det = {(r["coder_a"], r["coder_b"]): r for r in result.detection.iter_rows(named=True)}
    # a-b share article x: 2 events each, both matched
    assert (det["a", "b"]["events_a"], det["a", "b"]["events_b"], det["a", "b"]["matched"]) == (
        2,
        2,
        2,
    )
    # a-c share x and y: a has 3, c has 3, matched x#1 and y#1
    assert (det["a", "c"]["events_a"], det["a", "c"]["events_b"], det["a", "c"]["matched"]) == (
        3,
        3,
        2,
    )
    assert det["a", "c"]["f1"] == pytest.approx(2 * 2 / 6)
    # b-c share x only: b 2, c 2, matched 1; precision of c against b 1/2
    assert det["b", "c"]["precision"] == pytest.approx(0.5)
    assert det["overall", "overall"]["matched"] == 5
    assert det["overall", "overall"]["f1"] == pytest.approx(2 * 5 / (7 + 7))
    coders = {r["coder"]: r for r in result.coders.iter_rows(named=True)}
    assert coders["c"]["events"] == 3
    assert coders["c"]["matched_share"] == pytest.approx(2 / 3)


def test_field_alpha_is_the_statistic_on_the_aligned_matrix(result) -> None:
    fields = {r["field"]: r for r in result.fields.iter_rows(named=True)}
    # units: x#1 (a,b,c), x#2 (a,b), y#1 (a,c); coders a, b, c
    types = np.array(
        [["Battles", "Battles", "Riots"], ["Protests", "Protests", None], ["Riots", None, "Riots"]],
        dtype=object,
    )
    assert fields["event_type"]["alpha"] == pytest.approx(krippendorff_alpha(types, "nominal"))
    assert fields["event_type"]["units"] == 3 and fields["event_type"]["values"] == 7
    dead = np.array([[1, 1, 2], [0, 0, np.nan], [3, np.nan, 4]])
    assert fields["fatalities"]["alpha"] == pytest.approx(krippendorff_alpha(dead, "ratio"))
    # locations agree after normalisation (" homs" = "Homs"), so location alpha is 1
    assert fields["location"]["alpha"] == pytest.approx(1.0)
    assert fields["location"]["status"] == "pass"
    # every date is the same day: alpha undefined, said plainly, agreement still 1
    assert fields["event_date"]["alpha"] is None
    assert fields["event_date"]["status"] == "undefined"
    assert fields["event_date"]["note"].startswith("no variation")
    assert fields["event_date"]["percent_agreement"] == 1.0
    # nominal fields carry kappas; others do not
    assert fields["event_type"]["fleiss_kappa"] is not None
    assert fields["fatalities"]["fleiss_kappa"] is None


def test_ci_is_seeded_and_brackets_the_estimate(result) -> None:
    row = result.fields.filter(pl.col("field") == "event_type").row(0, named=True)
    assert row["alpha_low"] <= row["alpha"] <= row["alpha_high"]
    again = agreement(PROJECT, CB, n_boot=200, seed=7).fields
    assert again["alpha_low"].to_list() == result.fields["alpha_low"].to_list()


def test_blank_optional_fields_are_a_category(result) -> None:
    pairs = result.confusion.filter(pl.col("field") == "actor2")
    got = {(r["value_a"], r["value_b"]): r["pairs"] for r in pairs.iter_rows(named=True)}
    # x#1: a and b agree on Civilians (Syria) after normalisation (shown in the actor list's
    # spelling), c left it blank (2 pairs)
    civilians = "Civilians (Syria)"
    assert got[(civilians, civilians)] == 1
    assert got[(civilians, BLANK)] == got[(BLANK, civilians)] == 2
    # x#2 (a-b) and y#1 (a-c) are blank on both sides
    assert got[(BLANK, BLANK)] == 2


def test_confusion_counts_coder_pairs(result) -> None:
    conf = result.confusion.filter(pl.col("field") == "event_type")
    got = {(r["value_a"], r["value_b"]): r["pairs"] for r in conf.iter_rows(named=True)}
    assert got == {
        ("Battles", "Battles"): 1,
        ("Battles", "Riots"): 2,
        ("Riots", "Battles"): 2,
        ("Protests", "Protests"): 1,
        ("Riots", "Riots"): 1,
    }


def test_per_coder_shows_who_drifts() -> None:
    rng = np.random.default_rng(3)
    types = ["Battles", "Riots", "Protests", "Strategic developments"]
    rows = []
    for art in range(60):
        truth = types[rng.integers(0, 4)]
        for coder in "abc":
            value = types[rng.integers(0, 4)] if coder == "c" else truth
            rows.append(ev(f"n{art}", coder, f"{coder}{art}", 0, event_type=value))
    res = agreement(table(rows), CB, n_boot=0)
    per = res.per_coder.filter(pl.col("field") == "event_type").sort("alpha_change")
    assert per["coder"].to_list()[-1] == "c"
    assert per.filter(pl.col("coder") == "c")["alpha_without"].item() == pytest.approx(1.0)
    assert per.filter(pl.col("coder") == "c")["agreement"].item() < 0.6


def test_labels_keep_the_codebook_spelling() -> None:
    # Coders type names in any case; the report shows the actor list's spelling, and a name the
    # list lacks in the spelling coders used most.
    rows = table(
        [
            ev("s", "a", "a1", 0, actor1="hts: hayat tahrir al sham", actor2="Local Militia"),
            ev("s", "b", "b1", 0, actor1="HTS:  Hayat Tahrir al Sham", actor2="local militia"),
            ev("s", "c", "c1", 0, actor1="Civilians (Syria)", actor2="Local Militia"),
        ]
    )
    conf = agreement(rows, CB, n_boot=0).confusion
    actor1 = set(conf.filter(pl.col("field") == "actor1")["value_a"].to_list())
    assert actor1 == {"HTS: Hayat Tahrir al Sham", "Civilians (Syria)"}
    actor2 = set(conf.filter(pl.col("field") == "actor2")["value_a"].to_list())
    assert actor2 == {"Local Militia"}


def test_fleiss_kappa_counts_events_one_coder_found(result) -> None:
    # Gwet's classification probabilities take every rated unit: c's extra event in x
    # (Explosions/Remote violence, nobody else found it) counts.
    fields = {r["field"]: r for r in result.fields.iter_rows(named=True)}
    rated = np.array(
        [
            ["Battles", "Battles", "Riots"],
            ["Protests", "Protests", None],
            [None, None, "Explosions/Remote violence"],
            ["Riots", None, "Riots"],
        ],
        dtype=object,
    )
    assert fields["event_type"]["fleiss_kappa"] == pytest.approx(fleiss_kappa(rated), abs=1e-12)
    assert fleiss_kappa(rated) != pytest.approx(fleiss_kappa(rated[[0, 1, 3]]))


def test_q_is_the_share_of_resamples_below_each_threshold(result) -> None:
    row = result.fields.filter(pl.col("field") == "fatalities").row(0, named=True)
    # the population: the three aligned events two or more coders found
    dead = np.array([[1, 1, 2], [0, 0, np.nan], [3, np.nan, 4]])
    boot = bootstrap_alpha(dead, "ratio", n_boot=200, seed=(7, zlib.crc32(b"fatalities")))
    assert row["q_pass"] == boot.prob_below(0.8)
    assert row["q_tentative"] == boot.prob_below(0.667)
    assert (row["alpha_low"], row["alpha_high"]) == boot.interval(0.95)
    assert 0.0 < row["q_tentative"] <= row["q_pass"] < 1.0
    assert row["status"] == status_of(row["alpha"], CB, row["alpha_low"], row["alpha_high"])


def test_uncertain_verdicts() -> None:
    # pass 0.8, tentative 0.667
    assert status_of(0.83, CB, 0.0, 1.0) == "pass, uncertain"
    assert status_of(0.83, CB, 0.79, 0.9) == "pass, uncertain"
    assert status_of(0.83, CB, 0.8, 0.9) == "pass"
    assert status_of(0.7, CB, 0.67, 0.79) == "tentative"
    assert status_of(0.7, CB, 0.6, 0.79) == "tentative, uncertain"
    assert status_of(0.7, CB, 0.67, 0.8) == "tentative, uncertain"
    assert status_of(0.5, CB, 0.3, 0.6) == "fail"
    assert status_of(0.5, CB, 0.3, 0.7) == "fail, uncertain"
    assert status_of(None, CB, None, None) == "undefined"


@settings(max_examples=200, deadline=None)
@given(
    alpha=st.floats(-1, 1),
    ends=st.tuples(st.floats(-1, 1), st.floats(-1, 1)).map(sorted),
)
def test_an_interval_below_tentative_is_never_a_plain_pass(alpha, ends) -> None:
    low, high = ends
    status = status_of(alpha, CB, low, high)
    if low < 0.667:
        assert status != "pass"
    if status in ("pass", "tentative", "fail"):
        assert not (low < 0.667 <= high) and not (low < 0.8 <= high)


def test_a_wide_interval_is_no_plain_pass() -> None:
    # The civilian_targeting: alpha 0.83 on a handful of events, interval 0.00-1.00.
    rows = []
    for art in range(6):
        for coder in "ab":
            targeted = "Civilian targeting" if art < 3 or (art == 3 and coder == "a") else None
            rows.append(ev(f"w{art}", coder, f"{coder}{art}", 0, civilian_targeting=targeted))
    res = agreement(table(rows), CB, n_boot=500, seed=1)
    row = res.fields.filter(pl.col("field") == "civilian_targeting").row(0, named=True)
    assert row["alpha"] >= 0.667 and row["alpha_low"] < 0.667
    assert row["status"].endswith(", uncertain")
    assert row["q_tentative"] >= 0.025
    assert res.summary["fields_uncertain"] >= 1
    assert "never a plain pass" in res.summary["verdict_rule"]


def test_status_follows_codebook_thresholds() -> None:
    assert [status_of(a, CB) for a in (0.9, 0.8, 0.7, 0.5, None)] == [
        "pass",
        "pass",
        "tentative",
        "fail",
        "undefined",
    ]
    strict = replace(CB, settings={**CB.settings, "agreement": {"pass": 0.95, "tentative": 0.9}})
    assert status_of(0.9, strict) == "tentative" and status_of(0.85, strict) == "fail"


def test_json_round_trips_the_tables(result, tmp_path) -> None:
    data = orjson.loads(to_json(result))
    assert data["fields"] == result.fields.to_dicts()
    assert data["detection"] == result.detection.to_dicts()
    assert data["summary"]["coders"] == 3 and data["summary"]["aligned_events"] == 4
    path = write_json(result, tmp_path / "agreement.json")
    assert orjson.loads(path.read_bytes()) == to_dict(result)


def test_empty_table_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no rows"):
        agreement(empty_table(CB, "annotations"), CB)
    with pytest.raises(AgreementError, match="seed"):
        agreement(PROJECT, CB, seed=-1)


def test_a_coder_who_found_nothing_counts_when_the_coded_table_says_so() -> None:
    # Article p: both coders find the same two events. Article q: a finds one event, b codes the
    # article and finds none. Without knowing b coded q, detection looks perfect.
    rows = table(
        [
            ev("p", "a", "a1", 0),
            ev("p", "b", "b1", 0),
            ev("p", "a", "a2", 300, location="Homs"),
            ev("p", "b", "b2", 300, location="Homs"),
            ev("q", "a", "a3", 0),
        ]
    )
    blind = agreement(rows, CB, n_boot=0)
    assert blind.detection.filter(pl.col("coder_a") == "a")["f1"].to_list() == [1.0]
    coded = pl.DataFrame({"article_id": ["p", "p", "q", "q"], "coder": ["a", "b", "a", "b"]})
    seen = agreement(rows, CB, n_boot=0, coded=coded)
    pair = seen.detection.filter(pl.col("coder_a") == "a").row(0, named=True)
    # 2 matched of a's 3 events and b's 2: recall 2/3, precision 1, F1 = 2*2/(3+2) = 0.8
    assert (pair["articles"], pair["events_a"], pair["events_b"], pair["matched"]) == (2, 3, 2, 2)
    assert pair["f1"] == pytest.approx(0.8)
    assert seen.coders.filter(pl.col("coder") == "b")["articles"].to_list() == [2]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.sampled_from(["Aleppo", " aleppo ", "HTS:  Hayat", "a; B", "b ;a", "", "  "]),
            st.text(alphabet=" ;aAbB\t", max_size=8),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_text_is_prepared_once_per_distinct_value(texts: list[str | None]) -> None:
    from eventcoder.datasets.agreement import _prepared, _prepared_values

    frame = pl.DataFrame({name: texts for name in ("actor1", "assoc_actor_1", "location")})
    for name in ("actor1", "assoc_actor_1", "location"):
        f = CB.field(name)
        got, spellings = _prepared_values(frame, f)
        assert got.to_list() == frame.select(_prepared(f).alias(name)).to_series().to_list()
        assert set(spellings) <= set(got.drop_nulls().to_list())
