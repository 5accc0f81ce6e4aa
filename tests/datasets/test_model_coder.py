"""A model's predictions as one more coder in the agreement (demo export, its coders' own work)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from eventcoder.annotate.convert import export_to_annotations
from eventcoder.cli import app
from eventcoder.datasets.agreement import agreement
from eventcoder.datasets.model_coder import (
    model_gold_agreement,
    prediction_events,
    with_model_coder,
)
from eventcoder.errors import InputError
from eventcoder.schema import load_codebook

DEMO = Path(__file__).parents[2] / "eventcoder" / "demo" / "export.json"
COPIED = "amira.k@example.org"


def _export_with_copied_predictions() -> list[dict]:
    """The demo export, each task predicted by a "model" that is a copy of one coder's
    accepted annotation: its agreement with that coder is known (perfect)."""
    cb = load_codebook()
    tasks = json.loads(DEMO.read_text(encoding="utf-8"))
    plain = export_to_annotations(tasks, cb)
    accepted = set(plain.annotations.filter(pl.col("coder") == COPIED)["annotation_id"])
    for task in tasks:
        mine = [a for a in task["annotations"] if a["id"] in accepted]
        task["predictions"] = (
            [
                {
                    "id": 1000 + task["id"],
                    "model_version": "copy",
                    "score": 0.9,
                    "result": mine[0]["result"],
                    "task": task["id"],
                    "project": 1,
                }
            ]
            if mine
            else []
        )
    return tasks


@pytest.fixture(scope="module")
def conv():
    return export_to_annotations(_export_with_copied_predictions(), load_codebook())


def test_predictions_become_the_model_s_events(conv) -> None:
    cb = load_codebook()
    events, coded = prediction_events(conv.predictions, cb, "copy")
    theirs = conv.annotations.filter(pl.col("coder") == COPIED)
    assert events.height == theirs.height
    cols = [
        "article_id",
        "event_key",
        "span_start",
        "span_end",
        "event_type",
        "sub_event_type",
        "location",
        "event_date",
        "fatalities",
    ]
    assert (
        events.select(cols).sort("article_id", "event_key").rows()
        == theirs.select(cols).sort("article_id", "event_key").rows()
    )
    assert set(events["coder"]) == {"model:copy"}
    assert coded.height == theirs["article_id"].n_unique()
    with pytest.raises(InputError, match="there are: copy"):
        prediction_events(conv.predictions, cb, "v2")


def test_the_model_is_measured_beside_the_coders(conv) -> None:
    cb = load_codebook()
    base = agreement(conv.annotations, cb, n_boot=0, coded=conv.coded)
    table, coded = with_model_coder(conv.annotations, conv.coded, conv.predictions, cb, "copy")
    result = agreement(table, cb, n_boot=0, coded=coded)
    pair = result.detection.filter(
        (pl.col("coder_a") == COPIED) & (pl.col("coder_b") == "model:copy")
    )
    assert pair["f1"].to_list() == [1.0]
    model = result.per_coder.filter(pl.col("coder") == "model:copy")
    # Without the model, each field's alpha is the coders' own.
    alphas = dict(base.fields.select("field", "alpha").iter_rows())
    assert set(model["field"]) == set(alphas)
    for field, without in model.select("field", "alpha_without").iter_rows():
        # Undefined without the model (one category, say) is undefined here too.
        assert without == (None if alphas[field] is None else pytest.approx(alphas[field]))


def test_cli_model_coder(tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    export.write_text(json.dumps(_export_with_copied_predictions()), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "agreement",
            str(export),
            "-o",
            str(tmp_path / "a"),
            "--boot",
            "0",
            "--model-coder",
            "copy",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "a" / "agreement.json").read_text())
    assert "model:copy" in json.dumps(report)
    wrong = runner.invoke(
        app, ["agreement", str(export), "-o", str(tmp_path / "b"), "--model-coder", "v9"]
    )
    assert wrong.exit_code == 2 and "no predictions of model version 'v9'" in wrong.output


def _gold_from(events: pl.DataFrame) -> pl.DataFrame:
    """Gold events as an adjudication writes them, made from one coder's events."""
    cb = load_codebook()
    fields = [f.name for f in cb.fields if f.name in events.columns]
    return events.select("article_id", "span_start", "span_end", *fields)


def test_the_model_against_gold_is_measured_on_the_articles_both_cover(conv) -> None:
    cb = load_codebook()
    theirs = conv.annotations.filter(pl.col("coder") == COPIED)
    same = model_gold_agreement(conv.predictions, _gold_from(theirs), cb, "copy", n_boot=0)
    assert same.summary["detection_f1"] == 1.0
    assert same.summary["coders"] == 2
    alphas = dict(same.fields.select("field", "alpha").iter_rows())
    assert alphas["event_type"] in (1.0, None)  # None: one event type only, no variation
    # A copy agrees with its source on every field it fills; the fields no prediction fills
    # (admin1, filled from the gazetteer) are not measured, rather than counted as blanks.
    predicted, _ = prediction_events(conv.predictions, cb, "copy")
    assert {"event_type", "location", "fatalities"} <= set(alphas) <= set(predicted.columns)
    assert "admin1" not in alphas
    assert all(a in (1.0, None) for a in alphas.values()), alphas
    # Gold without one event of an article where the model found two or more: all of gold's
    # events are matched, the model has one more, so F1 = 2 (n - 1) / (n + n - 1).
    per_article = theirs.group_by("article_id").len().filter(pl.col("len") >= 2)
    article = per_article["article_id"].sort()[0]
    dropped = theirs.filter(pl.col("article_id") == article).sort("span_start")["event_key"][0]
    fewer = _gold_from(theirs.filter(pl.col("event_key") != dropped))
    n = theirs.height
    less = model_gold_agreement(conv.predictions, fewer, cb, "copy", n_boot=0)
    assert less.summary["detection_f1"] == pytest.approx(2 * (n - 1) / (2 * n - 1))
    # An article gold has and the model never saw is left out, not counted as missed.
    elsewhere = pl.concat(
        [_gold_from(theirs), _gold_from(theirs.head(1)).with_columns(article_id=pl.lit("x9"))]
    )
    outside = model_gold_agreement(conv.predictions, elsewhere, cb, "copy", n_boot=0)
    assert outside.summary["detection_f1"] == 1.0


def test_cli_model_against_gold(tmp_path: Path, conv) -> None:
    export = tmp_path / "export.json"
    export.write_text(json.dumps(_export_with_copied_predictions()), encoding="utf-8")
    gold = tmp_path / "gold.parquet"
    _gold_from(conv.annotations.filter(pl.col("coder") == COPIED)).write_parquet(gold)
    args = ["agreement", str(export), "-o", str(tmp_path / "a"), "--boot", "0"]
    result = CliRunner().invoke(app, [*args, "--model-coder", "copy", "--gold", str(gold)])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "a" / "model-vs-gold" / "agreement.json").read_text())
    assert report["summary"]["detection_f1"] == 1.0
    alone = CliRunner().invoke(app, [*args, "--gold", str(gold)])
    assert alone.exit_code == 2 and "give --model-coder too" in alone.output


def test_a_field_the_model_never_fills_is_no_vote(conv) -> None:
    """Blank on every model event, an optional field is missing for the model, not "(blank)"."""
    from eventcoder.annotate.config import control_field
    from eventcoder.datasets.model_coder import unfilled_fields

    cb = load_codebook()
    theirs = conv.annotations.filter(pl.col("coder") == COPIED)
    field = next(
        f.name
        for f in cb.fields_by_origin("coded", "assisted")
        if f.level == "nominal"
        and not f.required
        and f.name in theirs.columns
        and theirs[f.name].null_count() < theirs.height
    )
    gaps = conv.predictions.filter(
        pl.col("from_name").map_elements(
            lambda n: control_field(n, cb) != field, return_dtype=pl.Boolean
        )
    )
    table, coded = with_model_coder(conv.annotations, conv.coded, gaps, cb, "copy")
    assert field in unfilled_fields(table, "model:copy", cb)
    base = agreement(conv.annotations, cb, n_boot=0, coded=conv.coded)
    own = dict(base.fields.select("field", "alpha").iter_rows())[field]
    fair = agreement(table, cb, n_boot=0, coded=coded, uncoded={"model:copy": [field]})
    assert dict(fair.fields.select("field", "alpha").iter_rows())[field] == pytest.approx(own)
    # Counted as "(blank)" the model's empty cells would disagree with the coders.
    unfair = agreement(table, cb, n_boot=0, coded=coded)
    assert dict(unfair.fields.select("field", "alpha").iter_rows())[field] != pytest.approx(own)


def test_a_predicted_value_of_the_wrong_type_is_refused_not_dropped(conv) -> None:
    cb = load_codebook()
    bad = conv.predictions.with_columns(
        pl.when(pl.col("from_name") == "fatalities")
        .then(pl.lit("many"))
        .otherwise(pl.col("value"))
        .alias("value")
    )
    with pytest.raises(InputError, match="predicts 'many' for fatalities"):
        prediction_events(bad, cb, "copy")
