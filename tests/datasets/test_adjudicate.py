"""Adjudication: hand-worked votes, tie policies, thin support, adjudicators, validation."""

from __future__ import annotations

import polars as pl
import pytest

from eventcoder.datasets.adjudicate import EVENT_FIELD, Policy, adjudicate, write_adjudication
from eventcoder.errors import InputError
from tests.datasets.coded import PROTEST, SHELLING, STRIKE, coded, rows


def decision(adj, event: str, field: str) -> dict:
    found = adj.decisions.filter((pl.col("aligned_event") == event) & (pl.col("field") == field))
    assert found.height == 1, found
    return found.row(0, named=True)


def three(base: dict, article: str = "a1", k: int = 1, **per_coder: dict) -> list[dict]:
    """Three coders' versions of one event; ``per_coder`` maps x/y/z to their changes."""
    return [coded(article, k, f"{c}@ex.org", base, **per_coder.get(c, {})) for c in "xyz"]


def test_majority_two_of_three_wins(cb):
    adj = adjudicate(rows(cb, three(SHELLING, z={"location": "Ehsem", "admin3": "Ehsem"})), cb)
    assert adj.gold.height == 1
    assert adj.gold["location"].to_list() == ["Kansafra"]
    d = decision(adj, "a1#1", "location")
    assert (d["value"], d["method"], d["support"], d["coders"]) == ("Kansafra", "majority", 2, 3)
    assert decision(adj, "a1#1", "actor1")["method"] == "unanimous"
    assert adj.review.height == 0


def test_three_way_tie_is_unresolved_and_queued_with_every_coders_value(cb):
    frame = rows(cb, three(STRIKE, y={"location": "Ehsem"}, z={"location": "Al Bara"}))
    adj = adjudicate(frame, cb)
    assert adj.gold.height == 0
    assert decision(adj, "a1#1", "location")["method"] == "unresolved"
    queue = adj.review.select("field", "reason", "coder", "value").sort("coder")
    assert queue.rows() == [
        ("location", "tie", "x@ex.org", "Mozra"),
        ("location", "tie", "y@ex.org", "Ehsem"),
        ("location", "tie", "z@ex.org", "Al Bara"),
    ]


def test_first_coder_breaks_a_tie_with_the_value_entered_first(cb):
    frame = rows(cb, three(STRIKE, x={"location": "Ehsem"}, y={"location": "Al Bara"}))
    adj = adjudicate(frame, cb, policy="first-coder")
    d = decision(adj, "a1#1", "location")
    assert (d["value"], d["method"], d["policy"], d["support"]) == (
        "Ehsem",
        "tie-policy",
        "first-coder",
        1,
    )
    # The gazetteer does not overrule a voted place: coordinates stay the coders' (unanimous).
    assert adj.gold["location"].to_list() == ["Ehsem"]


def test_fatality_ties_take_the_lowest_by_default_and_median_on_request(cb):
    frame = rows(cb, three(STRIKE, x={"fatalities": 5}, y={"fatalities": 2}, z={"fatalities": 9}))
    low = adjudicate(frame, cb)
    assert decision(low, "a1#1", "fatalities")["value"] == "2"
    assert low.gold["fatalities"].to_list() == [2]
    med = adjudicate(frame, cb, policy=Policy(field_ties={"fatalities": "median"}))
    assert med.gold["fatalities"].to_list() == [5]
    # A 2-2 tie among four coders: lower median of {2, 9} is 2; a clear majority needs no policy.
    four = rows(
        cb,
        [
            *three(STRIKE, x={"fatalities": 9}, y={"fatalities": 2}, z={"fatalities": 9}),
            coded("a1", 1, "w@ex.org", STRIKE, fatalities=2),
        ],
    )
    assert adjudicate(four, cb, policy=Policy(field_ties={"fatalities": "median"})).gold[
        "fatalities"
    ].to_list() == [2]
    maj = rows(cb, three(STRIKE, x={"fatalities": 9}, y={"fatalities": 2}, z={"fatalities": 9}))
    assert decision(adjudicate(maj, cb), "a1#1", "fatalities")["method"] == "majority"


def test_events_too_few_coders_found_go_to_the_review_queue(cb):
    frame = rows(cb, [*three(SHELLING), coded("a1", 2, "x@ex.org", PROTEST)])
    adj = adjudicate(frame, cb)
    assert adj.gold["aligned_event"].to_list() == ["a1#1"]
    queue = adj.review.filter(pl.col("aligned_event") == "a1#2").sort("coder")
    assert queue["field"].unique().to_list() == [EVENT_FIELD]
    assert queue["value"].to_list() == ["found", "not found", "not found"]
    assert queue["reason"].unique().to_list() == ["too-few-coders"]
    assert adjudicate(frame, cb, policy=Policy(min_coders=1)).gold.height == 2


def test_an_adjudicators_annotation_is_final_for_the_article(cb):
    frame = rows(
        cb,
        [
            *three(STRIKE, x={"fatalities": 4}, y={"fatalities": 4}),
            coded("a1", 1, "boss@ex.org", STRIKE, fatalities=3),
            *three(PROTEST, k=2),
        ],
    )
    adj = adjudicate(frame, cb, adjudicator="boss@ex.org")
    assert adj.gold["fatalities"].to_list() == [3]
    d = decision(adj, "a1#1", "fatalities")
    assert (d["method"], d["coders"]) == ("adjudicator", 3)
    # The adjudicator coded no protest: the article's other event is dropped, with the reason.
    assert adj.dropped.rows() == [("a1#2", "a1", "not-in-adjudication")]
    # Without the adjudicator, the coders' majority (4) wins and both events are gold.
    plain = adjudicate(frame.filter(pl.col("coder") != "boss@ex.org"), cb)
    assert plain.gold.sort("aligned_event")["fatalities"].to_list() == [4, 0]


def test_a_label_studio_ground_truth_flag_counts_as_adjudication(cb):
    frame = rows(cb, [*three(STRIKE), coded("a1", 1, "lead@ex.org", STRIKE, fatalities=7)])
    frame = frame.with_columns(ground_truth=pl.col("coder") == "lead@ex.org")
    assert adjudicate(frame, cb).gold["fatalities"].to_list() == [7]


def test_derived_fields_are_rederived_not_voted(cb):
    frame = rows(
        cb, three(SHELLING, x={"year": 1999, "interaction": "Rioters only"}, y={"year": 1999})
    )
    adj = adjudicate(frame, cb)
    assert adj.gold.select("year", "interaction", "disorder_type").row(0) == (
        2020,
        "State forces only",
        "Political violence",
    )
    assert decision(adj, "a1#1", "year")["method"] == "derived"


def test_a_gold_event_that_breaks_a_rule_is_rejected_and_queued(cb):
    # Each coder is coherent, but the field-wise majority (Battles + Air/drone strike) is not.
    frame = rows(
        cb,
        three(
            STRIKE,
            x={"event_type": "Battles", "sub_event_type": "Armed clash"},
            y={"event_type": "Battles"},
        ),
    )
    adj = adjudicate(frame, cb)
    assert adj.gold.height == 0
    assert adj.rejected["aligned_event"].to_list() == ["a1#1"]
    assert "sub-event-in-event-type" in adj.rejected["reasons"][0]
    invalid = adj.review.filter(pl.col("reason") == "invalid")
    ev_type = invalid.filter(pl.col("field") == "event_type").sort("coder")
    assert ev_type["value"].to_list() == ["Battles", "Battles", "Explosions/Remote violence"]
    assert ev_type["detail"][0].startswith("sub-event-in-event-type: ")
    assert decision(adj, "a1#1", "event_type")["method"] == "majority"


def test_multi_valued_fields_vote_as_sets(cb):
    frame = rows(
        cb,
        three(
            STRIKE,
            x={"assoc_actor_1": "A; B"},
            y={"assoc_actor_1": "B;A"},
            z={"assoc_actor_1": "A; B"},
        ),
    )
    adj = adjudicate(frame, cb)
    assert decision(adj, "a1#1", "assoc_actor_1")["method"] == "unanimous"
    assert adj.gold["assoc_actor_1"].to_list() == ["A; B"]


def test_result_does_not_depend_on_row_order(cb):
    frame = rows(
        cb,
        [
            *three(STRIKE, y={"fatalities": 3}),
            *three(SHELLING, k=2),
            *three(PROTEST, article="a2", z={"location": "Atma"}),
        ],
    )
    a = adjudicate(frame, cb)
    b = adjudicate(frame.reverse(), cb)
    assert a.gold.sort("aligned_event").equals(b.gold.sort("aligned_event"))
    assert a.decisions.equals(b.decisions)


def test_bad_policies_are_refused(cb):
    with pytest.raises(InputError, match="unknown tie policy 'coin-flip'"):
        adjudicate(rows(cb, three(STRIKE)), cb, policy="coin-flip")
    with pytest.raises(InputError, match="needs a numeric or date field"):
        adjudicate(rows(cb, three(STRIKE)), cb, policy=Policy(field_ties={"location": "median"}))
    with pytest.raises(InputError, match="align_events"):
        adjudicate(rows(cb, three(STRIKE)).drop("aligned_event"), cb)


def test_write_adjudication_writes_the_review_queue_for_people(cb, tmp_path):
    adj = adjudicate(rows(cb, three(STRIKE, y={"location": "Ehsem"}, z={"location": "Atma"})), cb)
    paths = write_adjudication(adj, tmp_path)
    assert pl.read_csv(paths["review_csv"]).height == 3
    assert pl.read_parquet(paths["review"]).equals(adj.review)
