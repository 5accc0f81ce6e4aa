"""Event alignment: hand-worked articles with known clusters, and properties of any alignment."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventcoder.datasets.align import align_events, match_events, similarity_matrix
from eventcoder.errors import InputError
from eventcoder.schema.codebook import Codebook
from eventcoder.schema.tables import empty_table

CB = Codebook.default()
D = date(2024, 3, 1)


def events(*rows: tuple) -> pl.DataFrame:
    """Annotation rows from (article, coder, key, start, end, location, date, event_type)."""
    cols = [
        "article_id",
        "coder",
        "event_key",
        "span_start",
        "span_end",
        "location",
        "event_date",
        "event_type",
    ]
    data = pl.DataFrame(
        [dict(zip(cols, r, strict=True)) for r in rows],
        schema_overrides={"span_start": pl.Int64, "span_end": pl.Int64, "event_date": pl.Date},
    )
    base = empty_table(CB, "annotations")
    return pl.concat([base, data], how="diagonal_relaxed").select(base.columns)


def groups(aligned: pl.DataFrame) -> dict[str, set[str]]:
    """aligned_event -> the set of 'coder:key' in it."""
    out: dict[str, set[str]] = {}
    for row in aligned.iter_rows(named=True):
        out.setdefault(row["aligned_event"], set()).add(f"{row['coder']}:{row['event_key']}")
    return out


TWO = [
    ("art", "a", "a1", 0, 100, "Aleppo", D, "Battles"),
    ("art", "a", "a2", 150, 300, "Idleb", D, "Protests"),
]
TWO_B = [(r[0], "b", "b" + r[2][1:], *r[3:]) for r in TWO]


def test_identical_codings_pair_up_in_span_order() -> None:
    out = align_events(events(*TWO, *TWO_B), CB)
    assert groups(out) == {"art#1": {"a:a1", "b:b1"}, "art#2": {"a:a2", "b:b2"}}
    # across events only the date (same day, weight 0.15) agrees
    assert similarity_matrix(events(*TWO), events(*TWO_B), CB).tolist() == [
        [1.0, 0.15],
        [0.15, 1.0],
    ]
    assert match_events(events(*TWO), events(*TWO_B), CB) == [(0, 0, 1.0), (1, 1, 1.0)]


def test_one_extra_event_is_a_singleton() -> None:
    extra = ("art", "b", "b3", 400, 500, "Homs", D + timedelta(days=20), "Riots")
    out = align_events(events(*TWO, *TWO_B, extra), CB)
    assert groups(out) == {"art#1": {"a:a1", "b:b1"}, "art#2": {"a:a2", "b:b2"}, "art#3": {"b:b3"}}


def test_swapped_event_order_changes_nothing() -> None:
    straight = align_events(events(*TWO, *TWO_B), CB)
    swapped = align_events(events(*TWO_B[::-1], *TWO[::-1]), CB)
    assert groups(swapped) == groups(straight)
    # the output keeps the input's row order
    assert swapped["event_key"].to_list() == ["b2", "b1", "a2", "a1"]


def test_split_event_matches_the_closer_half() -> None:
    # a codes one event over [0, 200); b splits it into two days. IoU with each half is 0.5:
    # first half 0.5*0.5 + 0.2 + 0.15 + 0.15 = 0.75; second 0.25 + 0.2 + 0.15*6/7 + 0.15.
    a = events(("art", "a", "a1", 0, 200, "Aleppo", D, "Battles"))
    b = events(
        ("art", "b", "b1", 0, 100, "Aleppo", D, "Battles"),
        ("art", "b", "b2", 100, 200, "aleppo ", D + timedelta(days=1), "Battles"),
    )
    assert similarity_matrix(a, b, CB) == pytest.approx(np.array([[0.75, 0.6 + 0.15 * 6 / 7]]))
    assert match_events(a, b, CB) == [(0, 0, 0.75)]
    out = align_events(pl.concat([b, a]), CB)
    assert groups(out) == {"art#1": {"a:a1", "b:b1"}, "art#2": {"b:b2"}}


def test_no_overlap_at_all_leaves_every_event_alone() -> None:
    a = events(("art", "a", "a1", 0, 100, "Aleppo", D, "Battles"))
    b = events(("art", "b", "b1", 500, 600, "Daraa", D + timedelta(days=30), "Protests"))
    assert similarity_matrix(a, b, CB).tolist() == [[0.0]]
    assert match_events(a, b, CB) == []
    assert groups(align_events(pl.concat([a, b]), CB)) == {"art#1": {"a:a1"}, "art#2": {"b:b1"}}


def test_events_of_different_articles_never_align() -> None:
    rows = [
        ("x", "a", "a1", 0, 100, "Aleppo", D, "Battles"),
        ("y", "b", "b1", 0, 100, "Aleppo", D, "Battles"),
    ]
    assert groups(align_events(events(*rows), CB)) == {"x#1": {"a:a1"}, "y#1": {"b:b1"}}


def test_without_spans_the_fields_decide() -> None:
    # Gower mean: the span component is left out when a span is missing.
    a = events(("art", "a", "a1", None, None, "Aleppo", D, "Battles"))
    b = events(("art", "b", "b1", None, None, "Aleppo", D + timedelta(days=7), "Battles"))
    assert similarity_matrix(a, b, CB).tolist() == [[pytest.approx(0.35 / 0.5)]]


def test_threshold_and_weights_are_overridable() -> None:
    a = events(("art", "a", "a1", 0, 100, "Aleppo", D, "Battles"))
    b = events(("art", "b", "b1", 50, 150, "Homs", D, "Riots"))  # IoU 1/3
    assert match_events(a, b, CB) == []  # 0.5/3 + 0.15 = 0.317
    assert match_events(a, b, CB, threshold=0.3) == [(0, 0, pytest.approx(0.5 / 3 + 0.15))]
    only_span = {"location": 0, "date": 0, "event_type": 0}
    assert similarity_matrix(a, b, CB, weights=only_span).tolist() == [[pytest.approx(1 / 3)]]
    with pytest.raises(InputError, match="weights"):
        similarity_matrix(a, b, CB, weights={"colour": 1.0})


def test_a_cluster_never_holds_one_coder_twice() -> None:
    # a1~b1 and b1~c1 are strong, a1~c2 too: c1 and c2 cannot both join a1's cluster, and the
    # weaker link (a1-c2, spans overlapping less) is the one dropped.
    rows = [
        ("art", "a", "a1", 0, 100, "Aleppo", D, "Battles"),
        ("art", "b", "b1", 0, 100, "Aleppo", D, "Battles"),
        ("art", "c", "c1", 0, 100, "Aleppo", D, "Battles"),
        ("art", "c", "c2", 10, 100, "Aleppo", D, "Battles"),
    ]
    out = align_events(events(*rows), CB)
    assert groups(out) == {"art#1": {"a:a1", "b:b1", "c:c1"}, "art#2": {"c:c2"}}


def test_conflicting_links_across_pairs_are_broken_by_score() -> None:
    # Pairwise optima disagree: a1-c2 (1.0) and b1-c1 (1.0), yet a1-b1 (0.8: other location)
    # would join c1 and c2. The two strong links are kept and the weak one is dropped.
    rows = [
        ("art", "a", "a1", 0, 100, "Aleppo", D, "Battles"),
        ("art", "b", "b1", 0, 100, "Homs", D, "Battles"),
        ("art", "c", "c1", 0, 100, "Homs", D, "Battles"),
        ("art", "c", "c2", 0, 100, "Aleppo", D, "Battles"),
    ]
    out = align_events(events(*rows), CB)
    # equal earliest spans: numbered by the first event in canonical order (coder a first)
    assert groups(out) == {"art#1": {"a:a1", "c:c2"}, "art#2": {"b:b1", "c:c1"}}


def test_missing_columns_are_an_input_error() -> None:
    with pytest.raises(InputError, match="span_start"):
        align_events(pl.DataFrame({"article_id": ["x"], "coder": ["a"], "event_key": ["1"]}), CB)


@st.composite
def articles(draw: st.DrawFn) -> pl.DataFrame:
    rows = []
    for art in range(draw(st.integers(1, 3))):
        for coder in "abc"[: draw(st.integers(1, 3))]:
            for k in range(draw(st.integers(0, 4))):
                start = draw(st.integers(0, 300))
                rows.append(
                    (
                        f"n{art}",
                        coder,
                        f"{coder}{k}",
                        start,
                        start + draw(st.integers(0, 120)),
                        draw(st.sampled_from(["Aleppo", "Homs", None])),
                        D + timedelta(days=draw(st.integers(0, 10))),
                        draw(st.sampled_from(["Battles", "Riots"])),
                    )
                )
    return events(*rows) if rows else empty_table(CB, "annotations")


@settings(max_examples=60, deadline=None)
@given(articles(), st.randoms(use_true_random=False))
def test_any_alignment_is_a_valid_deterministic_partition(frame: pl.DataFrame, rnd) -> None:
    out = align_events(frame, CB)
    assert out.height == frame.height
    assert out.drop("aligned_event").equals(frame)
    # one coder at most once per cluster; clusters stay within the article and number 1..k
    assert out.group_by("aligned_event", "coder").len()["len"].max() in (None, 1)
    assert (out["aligned_event"].str.split("#").list.first() == out["article_id"]).all()
    for _, g in out.group_by("article_id"):
        ks = sorted({int(x.split("#")[1]) for x in g["aligned_event"]})
        assert ks == list(range(1, len(ks) + 1))
    # row order does not matter
    order = list(range(frame.height))
    rnd.shuffle(order)
    shuffled = align_events(frame[order], CB)
    assert groups(shuffled) == groups(out)


@settings(max_examples=30, deadline=None)
@given(articles())
def test_a_coder_aligned_with_an_exact_copy_pairs_every_event(frame: pl.DataFrame) -> None:
    one = frame.filter(pl.col("coder") == "a")
    # distinct spans within the coder, so the copy has one obvious partner per event
    one = one.unique(["article_id", "span_start", "span_end"], keep="first", maintain_order=True)
    copy = one.with_columns(coder=pl.lit("z"), event_key=pl.lit("z") + pl.col("event_key"))
    out = align_events(pl.concat([one, copy]), CB)
    sizes = out.group_by("aligned_event").len()["len"]
    assert (sizes == 2).all()
    assert (
        out.group_by("aligned_event").agg(pl.col("span_start").n_unique())["span_start"].eq(1).all()
    )
