"""The review queue in Label Studio: results built <-> converted, closing it, a real server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from eventcoder.annotate.convert import export_to_annotations
from eventcoder.annotate.results import event_results
from eventcoder.datasets.adjudicate import EVENT_FIELD, adjudicate, voted_fields, write_adjudication
from eventcoder.datasets.review import (
    DELETED,
    REVIEW_PREFIX,
    close_review,
    read_adjudication,
    region_id,
    review_tasks,
)
from eventcoder.errors import InputError
from tests.datasets.coded import PROTEST, SHELLING, STRIKE, coded, rows

X, Y, Z, ADJ = "x@ex.org", "y@ex.org", "z@ex.org", "adj@ex.org"

# Our own article texts; each event's evidence is a phrase in them.
TEXTS = {
    "a1": (
        "Idlib, 5 June. Government artillery shelled Kansafra on Thursday morning, residents "
        "said. On Friday dozens of residents of Sarmada protested against the shelling."
    ),
    "a2": "Russian aircraft struck Mozra on 3 June; civil defence reported one person killed.",
    "a3": "A Russian air strike hit Mozra on Wednesday, killing one man, rescuers said.",
}
PHRASES = {
    ("a1", 1): "Government artillery shelled Kansafra",
    ("a1", 2): "dozens of residents of Sarmada protested",
    ("a2", 1): "Russian aircraft struck Mozra",
    ("a3", 1): "A Russian air strike hit Mozra",
}


def span(article: str, k: int) -> dict[str, int]:
    start = TEXTS[article].index(PHRASES[(article, k)])
    return {"span_start": start, "span_end": start + len(PHRASES[(article, k)])}


def ev(article: str, k: int, coder: str, base: dict, **changes: object) -> dict:
    return coded(article, k, coder, base, **span(article, k), **changes)


def articles() -> list[dict[str, str]]:
    return [{"id": a, "title": f"Report {a}", "text": t} for a, t in TEXTS.items()]


@pytest.fixture(scope="module")
def coders_table(cb) -> pl.DataFrame:
    """a1#1: a three-way tie on location; a1#2: found by one coder of three; a2#1: a tie on
    notes; a3#1: unanimous (gold)."""
    return rows(
        cb,
        [
            ev("a1", 1, X, SHELLING),
            ev("a1", 1, Y, SHELLING, location="Ehsem"),
            ev("a1", 1, Z, SHELLING, location="Mozra"),
            ev("a1", 2, X, PROTEST),
            *(ev("a2", 1, c, STRIKE, notes=f"Strike on Mozra ({c})") for c in (X, Y, Z)),
            *(ev("a3", 1, c, STRIKE) for c in (X, Y, Z)),
        ],
    )


@pytest.fixture(scope="module")
def adj(cb, coders_table):
    out = adjudicate(coders_table, cb)
    # the starting point every close test relies on
    assert out.gold["aligned_event"].to_list() == ["a3#1"]
    assert sorted(out.review["aligned_event"].unique()) == ["a1#1", "a1#2", "a2#1"]
    return out


def export_task(task_id: int, data: dict, annotations: list[dict], predictions=()) -> dict:
    return {
        "id": task_id,
        "project": 7,
        "data": data,
        "annotations": annotations,
        "predictions": list(predictions),
    }


def annotation(ann_id: int, coder: str, result: list, cancelled: bool = False) -> dict:
    return {
        "id": ann_id,
        "completed_by": {"email": coder},
        "result": result,
        "was_cancelled": cancelled,
        "created_at": f"2024-02-01T00:00:{ann_id:02d}Z",
        "updated_at": f"2024-02-01T00:00:{ann_id:02d}Z",
        "lead_time": 3.0,
    }


# --------------------------------------------------------------------------------------------
# builder <-> converter
# --------------------------------------------------------------------------------------------


def test_results_built_from_a_table_convert_back_to_the_same_values(cb):
    text = TEXTS["a1"]
    awkward = dict(
        PROTEST,
        notes='Residents said "enough"; dozens marched — peacefully, in Sarmada.',
        assoc_actor_1="Teachers (Syria); Students (Syria)",
        tags="crowd size=dozens; local administrators",
        latitude=36.17831,
    )
    table = rows(
        cb,
        [
            ev("a1", 1, X, SHELLING),
            ev("a1", 2, X, awkward),
            ev("a1", 1, Y, STRIKE),  # another event type: another sub-event control
        ],
    )
    tasks = []
    for n, coder in enumerate((X, Y), 1):
        mine = table.filter(pl.col("coder") == coder)
        result = [
            r
            for row in mine.iter_rows(named=True)
            for r in event_results(row, cb, text, region=row["event_key"])
        ]
        tasks.append(export_task(n, {"id": "a1", "text": text}, [annotation(n, coder, result)]))
    conv = export_to_annotations(tasks, cb)
    assert (conv.accepted, conv.rejected, conv.rejects.height) == (2, 0, 0)
    fields = voted_fields(cb, table.columns)
    cols = ["coder", "event_key", "span_start", "span_end", *fields]
    got = conv.annotations.select(cols).sort("event_key")
    want = table.select(cols).sort("event_key").cast(got.schema)
    assert_frame_equal(got, want)
    # and the region's text is the article's own, so the span check holds
    assert conv.annotations["evidence"].to_list() == [
        PHRASES[("a1", 1)],
        PHRASES[("a1", 2)],
        PHRASES[("a1", 1)],
    ]


def test_a_blank_field_gets_no_result_and_stays_blank(cb):
    row = rows(cb, [ev("a1", 1, X, SHELLING)]).row(0, named=True)
    names = {r["from_name"] for r in event_results(row, cb, TEXTS["a1"], region="r1")}
    assert "actor2" not in names and "tags" not in names
    assert {"label", "event_type", "sub_event_type__explosions_remote_violence"} <= names


# --------------------------------------------------------------------------------------------
# review tasks
# --------------------------------------------------------------------------------------------


def test_review_tasks_one_per_queued_article_with_each_coders_version(cb, adj, coders_table):
    tasks = review_tasks(adj, coders_table, articles(), cb)
    assert [t["data"]["id"] for t in tasks] == ["review:a1", "review:a2"]
    a1 = tasks[0]
    assert a1["data"]["article_id"] == "a1" and a1["data"]["text"] == TEXTS["a1"]
    assert "a1#1: tie on location" in a1["data"]["queue"]
    assert "a1#2: too-few-coders on (event)" in a1["data"]["queue"]
    assert [p["model_version"] for p in a1["predictions"]] == [X, Y, Z]
    regions = {p["model_version"]: {r["id"] for r in p["result"]} for p in a1["predictions"]}
    assert regions == {
        X: {region_id("a1#1"), region_id("a1#2")},
        Y: {region_id("a1#1")},
        Z: {region_id("a1#1")},
    }
    # The predictions, read as annotations, are the coders' versions of the queued events.
    as_annotations = [
        export_task(
            n,
            t["data"],
            [
                annotation(10 * n + i, p["model_version"], p["result"])
                for i, p in enumerate(t["predictions"])
            ],
        )
        for n, t in enumerate(tasks, 1)
    ]
    conv = export_to_annotations(as_annotations, cb)
    got = conv.annotations.select("coder", "location", "notes", "event_key").sort("coder", "notes")
    queued = coders_table.filter(pl.col("article_id").is_in(["a1", "a2"]))
    want = queued.select(
        "coder",
        "location",
        "notes",
        event_key=pl.col("aligned_event").map_elements(region_id, return_dtype=pl.String),
    ).sort("coder", "notes")
    assert_frame_equal(got, want)
    assert set(conv.annotations["article_id"]) == {"review:a1", "review:a2"}


def test_review_tasks_need_every_queued_article(cb, adj, coders_table):
    with pytest.raises(InputError, match="'a2'"):
        review_tasks(adj, coders_table, [a for a in articles() if a["id"] != "a2"], cb)
    with pytest.raises(InputError, match="aligned_event"):
        review_tasks(adj, coders_table.drop("aligned_event"), articles(), cb)


# --------------------------------------------------------------------------------------------
# closing the queue
# --------------------------------------------------------------------------------------------


def adjudicator_result(cb, coders_table, article: str, picks: dict[str, dict], **ids) -> list:
    """The adjudicator's annotation: for each aligned event, one coder's row with changes."""
    out = []
    for event, (coder, changes) in picks.items():
        row = coders_table.filter(
            (pl.col("aligned_event") == event) & (pl.col("coder") == coder)
        ).row(0, named=True)
        row.update(changes)
        out += event_results(row, cb, TEXTS[article], region=ids.get(event, region_id(event)))
    return out


def review_export(cb, adj, coders_table, annotations_by_article: dict[str, list]) -> list[dict]:
    out = []
    for n, task in enumerate(review_tasks(adj, coders_table, articles(), cb), 1):
        article = task["data"]["article_id"]
        out.append(
            export_task(
                n, task["data"], annotations_by_article.get(article, []), task["predictions"]
            )
        )
    return out


def test_close_settles_exactly_the_reviewed_events_and_leaves_the_rest(cb, adj, coders_table):
    # a1: the adjudicator keeps x's version of a1#1 with 3 fatalities, and deletes a1#2.
    result = adjudicator_result(cb, coders_table, "a1", {"a1#1": (X, {"fatalities": 3})})
    export = review_export(cb, adj, coders_table, {"a1": [annotation(1, ADJ, result)]})
    closed = close_review(export, adj, cb)

    # gold: a3#1 as it was, then a1#1 as the adjudicator coded it
    assert closed.gold["aligned_event"].to_list() == ["a3#1", "a1#1"]
    assert_frame_equal(closed.gold.head(1), adj.gold)
    a1 = closed.gold.row(1, named=True)
    x_version = coders_table.filter((pl.col("aligned_event") == "a1#1") & (pl.col("coder") == X))
    for name in voted_fields(cb, coders_table.columns):
        want = 3 if name == "fatalities" else x_version[name][0]
        assert a1[name] == want, name
    assert (a1["coders"], a1["span_start"], a1["span_end"]) == (3, *span("a1", 1).values())
    assert a1["year"] == 2020  # derived fields are derived

    # decisions: every voted field of a1#1 by the adjudicator, with their email
    d = closed.decisions.filter(pl.col("aligned_event") == "a1#1")
    voted = d.filter(pl.col("method") == "adjudicator")
    assert set(voted["field"]) == set(voted_fields(cb, coders_table.columns))
    assert set(voted["adjudicator"]) == {ADJ}
    assert voted.filter(pl.col("field") == "fatalities")["value"].to_list() == ["3"]
    assert voted.filter(pl.col("field") == "location")["value"].to_list() == ["Kansafra"]
    assert set(d["method"]) == {"adjudicator", "derived"}
    # decisions of other events are untouched
    others = closed.decisions.filter(pl.col("aligned_event") != "a1#1")
    assert others["adjudicator"].null_count() == others.height
    assert_frame_equal(
        others.drop("adjudicator"),
        adj.decisions.filter(pl.col("aligned_event") != "a1#1"),
        check_row_order=False,
    )

    # a1#2 deleted by the adjudicator: dropped, with the reason
    assert closed.dropped.rows() == [("a1#2", "a1", DELETED)]
    # the queue: a2#1 exactly as before, nothing of a1
    assert_frame_equal(closed.review, adj.review.filter(pl.col("article_id") == "a2"))
    assert closed.summary()["review_events"] == 1
    assert (
        closed.notes[-1]
        == f"review closed by {ADJ}: 1 queued event(s) settled, 1 dropped, 1 still queued"
    )


def test_an_event_the_adjudicator_confirms_from_the_thin_queue_becomes_gold(cb, adj, coders_table):
    result = adjudicator_result(
        cb, coders_table, "a1", {"a1#1": (Y, {"location": "Kansafra"}), "a1#2": (X, {})}
    )
    export = review_export(cb, adj, coders_table, {"a1": [annotation(1, ADJ, result)]})
    closed = close_review(export, adj, cb)
    gold = closed.gold.filter(pl.col("article_id") == "a1").sort("aligned_event")
    assert gold.select("aligned_event", "location", "coders").rows() == [
        ("a1#1", "Kansafra", 3),
        ("a1#2", "Sarmada", 1),
    ]
    assert closed.dropped.height == 0
    assert EVENT_FIELD not in closed.review["field"].to_list()


def test_a_region_drawn_afresh_is_matched_by_evidence_overlap(cb, adj, coders_table):
    result = adjudicator_result(cb, coders_table, "a1", {"a1#1": (Z, {})}, **{"a1#1": "fresh1"})
    export = review_export(cb, adj, coders_table, {"a1": [annotation(1, ADJ, result)]})
    matched = close_review(export, adj, cb, annotations=coders_table)
    assert matched.gold.filter(pl.col("aligned_event") == "a1#1")["location"].to_list() == ["Mozra"]
    assert matched.dropped["aligned_event"].to_list() == ["a1#2"]
    # Without the coders' spans it cannot be told which event it is: nothing on a1 is settled.
    unmatched = close_review(export, adj, cb)
    assert set(unmatched.review["aligned_event"]) == {"a1#1", "a1#2", "a2#1"}
    assert unmatched.dropped.height == 0
    assert any("match no queued event" in n for n in unmatched.notes)


def test_only_the_named_adjudicators_latest_annotation_counts(cb, adj, coders_table):
    first = adjudicator_result(cb, coders_table, "a1", {"a1#1": (X, {"fatalities": 3})})
    later = adjudicator_result(cb, coders_table, "a1", {"a1#1": (X, {"fatalities": 4})})
    other = adjudicator_result(cb, coders_table, "a1", {"a1#1": (Y, {})})
    anns = [annotation(1, ADJ, first), annotation(2, X, other), annotation(3, ADJ, later)]
    export = review_export(cb, adj, coders_table, {"a1": anns})
    with pytest.raises(InputError, match="several people"):
        close_review(export, adj, cb)
    closed = close_review(export, adj, cb, adjudicator=ADJ)
    assert closed.gold.filter(pl.col("aligned_event") == "a1#1")["fatalities"].to_list() == [4]


def test_a_skipped_or_broken_review_settles_nothing(cb, adj, coders_table):
    broken = adjudicator_result(cb, coders_table, "a1", {"a1#1": (X, {})})
    broken = [r for r in broken if r["from_name"] != "fatalities"]  # a required field left out
    export = review_export(
        cb,
        adj,
        coders_table,
        {"a1": [annotation(1, ADJ, broken)], "a2": [annotation(2, ADJ, [], cancelled=True)]},
    )
    closed = close_review(export, adj, cb)
    assert_frame_equal(closed.review, adj.review)
    assert_frame_equal(closed.gold, adj.gold)
    assert any("broke a codebook rule" in n for n in closed.notes)


def test_the_coding_projects_export_is_refused(cb, adj, coders_table):
    result = adjudicator_result(cb, coders_table, "a1", {"a1#1": (X, {})})
    export = [export_task(1, {"id": "a1", "text": TEXTS["a1"]}, [annotation(1, ADJ, result)])]
    with pytest.raises(InputError, match=REVIEW_PREFIX):
        close_review(export, adj, cb)


def test_read_adjudication_reads_what_write_adjudication_wrote(adj, tmp_path):
    write_adjudication(adj, tmp_path)
    back = read_adjudication(tmp_path)
    for name in ("gold", "decisions", "review", "rejected", "dropped"):
        assert_frame_equal(getattr(back, name), getattr(adj, name))
    assert back.policy == adj.policy and adj.policy.field_ties == {"fatalities": "lowest"}
    with pytest.raises(InputError, match="gold.parquet"):
        read_adjudication(tmp_path / "nowhere")


def test_cli_review_close_equals_the_library(cb, adj, coders_table, tmp_path):
    import orjson

    from eventcoder.cli import app

    result = adjudicator_result(cb, coders_table, "a1", {"a1#1": (X, {"fatalities": 3})})
    export = review_export(cb, adj, coders_table, {"a1": [annotation(1, ADJ, result)]})
    path = tmp_path / "review.json"
    path.write_bytes(orjson.dumps(export))
    write_adjudication(adj, tmp_path / "adj")
    out = CliRunner().invoke(app, ["review", "close", str(tmp_path / "adj"), "--export", str(path)])
    assert out.exit_code == 0, out.output
    assert "2 gold events; 1 event(s) still in the review queue; 1 dropped" in out.output
    want = close_review(path, adj, cb)
    back = read_adjudication(tmp_path / "adj")
    for name in ("gold", "decisions", "review", "dropped"):
        assert_frame_equal(getattr(back, name), getattr(want, name))
    bad = CliRunner().invoke(app, ["review", "close", str(tmp_path / "adj")])
    assert bad.exit_code == 2 and "--project" in bad.output


# --------------------------------------------------------------------------------------------
# a real server
# --------------------------------------------------------------------------------------------


def _post(url: str, token: str, task_id: int, result: list[dict[str, Any]]) -> int:
    from eventcoder.annotate.client import call, connection
    from eventcoder.settings import server_settings

    with connection(server_settings(url, token)) as ls:
        return call(ls.annotations.create, id=task_id, result=result, lead_time=5.0).id


@pytest.mark.server
def test_push_review_adjudicate_pull_and_close(ls_server, cb, adj, coders_table, tmp_path: Path):
    from eventcoder.annotate.client import create_coder
    from eventcoder.annotate.exports import pull_export
    from eventcoder.annotate.tasks import project_tasks
    from eventcoder.datasets.review import push_review
    from eventcoder.settings import server_settings

    settings = server_settings(ls_server.url, ls_server.token)
    title = f"review {tmp_path.name}"
    pushed = push_review(settings, adj, coders_table, articles(), cb, title=title)
    assert (pushed.added, pushed.unchanged, pushed.total) == (2, 0, 2)
    again = push_review(settings, adj, coders_table, articles(), cb, title=title)
    assert again.project == pushed.project
    assert (again.added, again.unchanged) == (0, 2)
    tasks = project_tasks(settings, pushed.project.id)
    assert sorted(tasks) == ["review:a1", "review:a2"]
    # A coding project's title is refused: its tasks are not review tasks.
    from eventcoder.annotate.articles import Article
    from eventcoder.annotate.projects import create_project
    from eventcoder.annotate.tasks import import_tasks

    coding = create_project(settings, cb, title=f"coding {tmp_path.name}")
    import_tasks(settings, coding.id, [Article(**a) for a in articles()])
    with pytest.raises(InputError, match="not review tasks"):
        push_review(settings, adj, coders_table, articles(), cb, title=coding.title)
    assert sorted(project_tasks(settings, coding.id)) == ["a1", "a2", "a3"]

    # The predictions are on the server, one per coder, named by email.
    snapshot = tmp_path / "before.json"
    pull_export(settings, pushed.project.id, snapshot)
    before = export_to_annotations(snapshot, cb)
    assert before.total == 0
    assert sorted(before.predictions["model_version"].unique()) == [X, Y, Z]

    adjudicator = create_coder(settings, f"adjudicator-{pushed.project.id}@example.org")
    token = adjudicator.token.reveal()
    # a1: accept x's version of a1#1 as it is; a1#2 (one coder of three) did not happen.
    accepted = adjudicator_result(cb, coders_table, "a1", {"a1#1": (X, {})})
    _post(ls_server.url, token, tasks["review:a1"].task_id, accepted)
    # a2: y's version of the strike, notes rewritten and the death toll corrected.
    edited = adjudicator_result(
        cb, coders_table, "a2", {"a2#1": (Y, {"notes": "Aircraft struck Mozra.", "fatalities": 2})}
    )
    _post(ls_server.url, token, tasks["review:a2"].task_id, edited)

    export = pull_export(settings, pushed.project.id, tmp_path / "review.json")
    closed = close_review(export, adj, cb, adjudicator=adjudicator.email)

    assert closed.review.height == 0
    assert closed.dropped.rows() == [("a1#2", "a1", DELETED)]
    gold = closed.gold.sort("aligned_event")
    assert gold["aligned_event"].to_list() == ["a1#1", "a2#1", "a3#1"]
    fields = voted_fields(cb, coders_table.columns)
    versions = {
        "a1#1": (X, {}),
        "a2#1": (Y, {"notes": "Aircraft struck Mozra.", "fatalities": 2}),
    }
    for event, (coder, changes) in versions.items():
        got = gold.filter(pl.col("aligned_event") == event).row(0, named=True)
        want = coders_table.filter(
            (pl.col("aligned_event") == event) & (pl.col("coder") == coder)
        ).row(0, named=True)
        want.update(changes)
        for name in fields:
            assert got[name] == want[name], (event, name)
        d = closed.decisions.filter(
            (pl.col("aligned_event") == event) & (pl.col("method") == "adjudicator")
        )
        assert set(d["field"]) == set(fields)
        assert set(d["adjudicator"]) == {adjudicator.email}
    assert_frame_equal(gold.filter(pl.col("aligned_event") == "a3#1"), adj.gold)


@pytest.mark.server
def test_cli_review_push_twice_then_close_from_the_project(ls_server, adj, coders_table, tmp_path):
    import orjson

    from eventcoder.cli import app

    folder = tmp_path / "adj"
    write_adjudication(adj, folder)
    coders_table.write_parquet(tmp_path / "aligned.parquet")
    (tmp_path / "articles.jsonl").write_bytes(b"\n".join(orjson.dumps(a) for a in articles()))
    server = ["--url", ls_server.url, "--api-key", ls_server.token]
    title = f"cli review {tmp_path.name}"
    push = [
        "review",
        "push",
        str(folder),
        "--articles",
        str(tmp_path / "articles.jsonl"),
        "--annotations",
        str(tmp_path / "aligned.parquet"),
        "--title",
        title,
        *server,
    ]
    first = CliRunner().invoke(app, push)
    assert first.exit_code == 0, first.output
    assert "2 article(s) with queued events: 2 added, 0 there already" in first.output
    second = CliRunner().invoke(app, push)
    assert "2 article(s) with queued events: 0 added, 2 there already" in second.output
    # Nobody has reviewed anything yet: closing settles nothing and keeps the queue.
    close = CliRunner().invoke(app, ["review", "close", str(folder), "-p", title, *server])
    assert close.exit_code == 0, close.output
    assert "1 gold events; 3 event(s) still in the review queue; 0 dropped" in close.output
    assert (folder / "review-export.json").exists()
    assert_frame_equal(read_adjudication(folder).review, adj.review)
