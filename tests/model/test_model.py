"""The text model: hierarchy, known answers, calibration, the file format and the CLI."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from eventcoder.cli import app
from eventcoder.errors import InputError, ModelError
from eventcoder.model import (
    Hierarchy,
    evaluate,
    examples,
    load_model,
    read_examples,
    read_header,
    save_model,
    train,
)
from eventcoder.model.training import _ece
from eventcoder.schema import load_codebook
from eventcoder.schema.codebook import Codebook
from tests.model.notes import labelled_rows, table

MINI = Path(__file__).parents[1] / "data" / "mini-codebook.yaml"


@pytest.fixture(scope="module")
def codebook() -> Codebook:
    return load_codebook()


@pytest.fixture(scope="module")
def trained(codebook: Codebook, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("model")
    path = folder / "train.csv"
    table(labelled_rows(seed=0)).write_csv(path)
    frame, uses = read_examples([path], codebook)
    model = train(frame, codebook, uses=uses)
    return model, save_model(model, folder / "model.ecm"), path


def test_hierarchy_is_read_from_the_codebook(codebook: Codebook) -> None:
    h = Hierarchy.of(codebook)
    assert (h.event_field, h.sub_field) == ("event_type", "sub_event_type")
    assert h.parent["Air/drone strike"] == "Explosions/Remote violence"
    assert len(h.parent) == 25 and len(h.event_types) == 6


def test_known_answers_on_new_notes(trained) -> None:
    model, _, _ = trained
    pred = model.predict(
        [
            "On 2 May 2024, the army clashed with the rebels near the river crossing.",
            "Hundreds of traders marched peacefully through the market demanding lower taxes.",
            "Gunmen abducted four farmers on the road and took them to an unknown location.",
        ]
    )
    assert pred.select("event_type", "sub_event_type").rows() == [
        ("Battles", "Armed clash"),
        ("Protests", "Peaceful protest"),
        ("Violence against civilians", "Abduction/forced disappearance"),
    ]


def test_sentences_that_report_no_event_are_told_apart(trained) -> None:
    model, _, _ = trained
    assert model.summary["background"] > 50  # the bundled sentences
    pred = model.predict(
        [
            "Heavy fighting broke out between the rebels and the army near the bridge.",
            "Rioters burned tyres and stoned the police in the town.",
            "The weather was mild and the minister spoke about the budget.",
            "Football results.",
        ]
    )
    assert pred["reports_event"].to_list() == [True, True, False, False]
    events, other = pred["event_probability"][:2], pred["event_probability"][2:]
    assert events.min() > 0.5 > other.max()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=80), min_size=1, max_size=5))
def test_sub_event_type_always_within_the_predicted_event_type(trained, texts) -> None:
    model, _, _ = trained
    pred = model.predict(texts)
    parent = model.hierarchy.parent
    for ev, sub, ev_score, sub_score in pred.select(
        "event_type", "sub_event_type", "event_type_score", "sub_event_type_score"
    ).iter_rows():
        assert parent[sub] == ev
        assert 0.0 < ev_score <= 1.0 + 1e-9 and 0.0 < sub_score <= 1.0 + 1e-9


def test_probabilities_sum_to_one_and_follow_the_margins(trained) -> None:
    model, _, _ = trained
    margins = model.margins(["Troops shelled the village from the hills.", "x"])
    p = model.leaf_probabilities(margins)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-9)
    assert (p.argmax(axis=1) == margins.argmax(axis=1)).all()
    # 72 rows hold out too few to calibrate on: the file says so rather than fitting noise.
    assert model.temperature == 0.1
    assert model.summary["notes"][0].startswith("uncalibrated")


def test_round_trip_through_the_file_predicts_the_same(trained, codebook: Codebook) -> None:
    model, path, _ = trained
    back = load_model(path, codebook)
    texts = ["Police dispersed the protesters with tear gas.", "Rebels shelled the town."]
    assert back.predict(texts).equals(model.predict(texts))
    header = read_header(path)
    assert header["codebook"] == {"name": "acled", "version": codebook.version}
    assert header["summary"]["rows"] == model.summary["rows"] > 0
    # The file holds JSON and .npy arrays only: nothing that loading would run.
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == [
            "coef.npy",
            "columns.npy",
            "idf.npy",
            "intercept.npy",
            "model.json",
        ]


def test_a_model_for_another_codebook_is_refused(trained) -> None:
    _, path, _ = trained
    mini = Codebook.from_file(MINI)
    with pytest.raises(ModelError, match="trained for codebook acled"):
        load_model(path, mini)


def test_damaged_or_foreign_files_are_refused(trained, tmp_path: Path) -> None:
    _, path, _ = trained
    damaged = tmp_path / "damaged.ecm"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(damaged, "w") as dst:
        for name in src.namelist():
            blob = src.read(name)
            if name == "coef.npy":
                buf = io.BytesIO()
                array = np.load(io.BytesIO(blob))
                array[0, 0] += 1.0
                np.save(buf, array)
                blob = buf.getvalue()
            dst.writestr(name, blob)
    with pytest.raises(ModelError, match="coef.npy does not match its checksum"):
        load_model(damaged)
    pickled = tmp_path / "pickled.ecm"
    pickled.write_bytes(b"\x80\x04\x95")  # a pickle's first bytes, not a model file
    with pytest.raises(ModelError, match="not an eventcoder model file"):
        load_model(pickled)
    with pytest.raises(ModelError, match="no such model file"):
        load_model(tmp_path / "absent.ecm")


@pytest.mark.parametrize(
    "entry",
    [
        {"sha256": ["coef.npy"]},
        {"codebook": ["acled"]},
        {"hierarchy": {"event_field": "e", "sub_field": None, "parent": [], "event_types": []}},
        {"classes": 5},
    ],
)
def test_a_header_with_entries_of_the_wrong_shape_is_refused(
    trained, tmp_path: Path, entry: dict
) -> None:
    _, path, _ = trained
    damaged = tmp_path / "damaged.ecm"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(damaged, "w") as dst:
        header = json.loads(src.read("model.json"))
        header.update(entry)
        for name in src.namelist():
            dst.writestr(name, json.dumps(header) if name == "model.json" else src.read(name))
    with pytest.raises(ModelError, match="damaged model file"):
        load_model(damaged)


def test_expected_calibration_error_known_answer() -> None:
    # Two bins: scores 0.95 (all right) and 0.25 (one in four right): gaps 0.05 and 0.0.
    score = np.array([0.95, 0.95, 0.25, 0.25, 0.25, 0.25])
    correct = np.array([1, 1, 1, 0, 0, 0], dtype=float)
    assert _ece(score, correct) == pytest.approx((2 * 0.05 + 4 * 0.0) / 6)


def test_evaluation_counts_right_answers(trained, codebook: Codebook) -> None:
    model, _, _ = trained
    test = table(labelled_rows(seed=1, per_template=1))
    frame = examples(test, codebook)
    result = evaluate(model, frame)
    pred = model.predict(frame["text"])
    for f in ("event_type", "sub_event_type"):
        right = int((pred[f] == frame[f]).sum())
        assert result.fields[f].accuracy == pytest.approx(right / frame.height)
        confusion = result.fields[f].confusion
        assert confusion["count"].sum() == frame.height
        diagonal = confusion.filter(pl.col("truth") == pl.col("predicted"))["count"].sum()
        assert diagonal == right
    assert result.fields["event_type"].accuracy >= 0.8
    # Per country: the same right answers, counted within each country.
    for country, row in result.countries.items():
        inside = (frame["country"] == country).to_numpy()
        right = (pred["event_type"] == frame["event_type"]).to_numpy()[inside]
        assert row["rows"] == inside.sum()
        assert row["event_type"] == pytest.approx(right.mean())
    assert sorted(result.countries) == ["Kenya", "Nigeria", "Syria"]


def test_examples_prefer_the_evidence_span(codebook: Codebook) -> None:
    frame = pl.DataFrame(
        {
            "evidence": ["soldiers clashed with rebels", None, "  "],
            "notes": ["a note", "only a note", "blank evidence, a note"],
            "event_type": ["Battles"] * 3,
            "sub_event_type": ["Armed clash"] * 3,
        }
    )
    assert examples(frame, codebook)["text"].to_list() == [
        "soldiers clashed with rebels",
        "only a note",
        "blank evidence, a note",
    ]
    with pytest.raises(InputError, match="no text"):
        examples(frame.drop("evidence", "notes"), codebook)


def test_gold_events_learn_from_their_evidence_spans(codebook: Codebook) -> None:
    text = "Intro sentence. Rebels clashed with the army at dawn. Closing words."
    gold = pl.DataFrame(
        {
            "article_id": ["a1", "a1", "zz"],
            "span_start": [16, 0, 0],
            "span_end": [53, 15, 4],
            "notes": ["gold note", "other note", "no article for this one"],
            "event_type": ["Battles"] * 3,
            "sub_event_type": ["Armed clash"] * 3,
        }
    )
    texts = examples(gold, codebook, {"a1": text})["text"].to_list()
    assert texts == [
        "Rebels clashed with the army at dawn.",
        "Intro sentence.",
        "no article for this one",  # the span cannot be cut: the notes stand in
    ]


def test_cli_train_and_evaluate_json_equals_the_library(trained, tmp_path: Path) -> None:
    model, path, train_csv = trained
    runner = CliRunner()
    out = tmp_path / "cli.ecm"
    result = runner.invoke(app, ["model", "train", str(train_csv), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
    test_csv = tmp_path / "test.csv"
    table(labelled_rows(seed=2, per_template=1)).write_csv(test_csv)
    result = runner.invoke(app, ["model", "evaluate", str(out), str(test_csv), "--json"])
    assert result.exit_code == 0, result.output
    cb = load_codebook()
    frame, _ = read_examples([test_csv], cb)
    expected = evaluate(load_model(out, cb), frame).to_dict()
    assert json.loads(result.output) == expected
    assert set(expected) >= {"event_type", "sub_event_type"}
    shown = runner.invoke(app, ["model", "evaluate", str(out), str(test_csv)])
    assert shown.exit_code == 0 and "Confusion of event_type" in shown.output


def test_cli_refuses_a_model_for_another_codebook(trained, tmp_path: Path) -> None:
    _, path, train_csv = trained
    result = CliRunner().invoke(
        app, ["model", "evaluate", str(path), str(train_csv), "--codebook", str(MINI)]
    )
    assert result.exit_code == 2
    assert "trained for codebook acled" in result.output


def test_arrays_larger_than_a_model_holds_are_refused_before_reading(
    trained, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventcoder.model import store

    _, path, _ = trained
    monkeypatch.setattr(store, "MAX_ARRAY_BYTES", 64)
    with pytest.raises(ModelError, match="unpacks to more than"):
        load_model(path)


def test_a_training_table_that_cannot_be_read_is_named(tmp_path: Path, codebook: Codebook) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    table(labelled_rows(seed=0)).write_csv(good)
    table(labelled_rows(seed=0)).drop("event_date").write_csv(bad)
    with pytest.raises(InputError, match=r"bad\.csv: missing required column\(s\): event_date"):
        read_examples([good, bad], codebook)


def test_cli_never_writes_the_model_over_a_table_it_trains_on(trained, tmp_path: Path) -> None:
    # -o naming the training table by mistake: refused before training, the table untouched
    _, _, train_csv = trained
    before = train_csv.read_bytes()
    result = CliRunner().invoke(app, ["model", "train", str(train_csv), "-o", str(train_csv)])
    assert result.exit_code == 2, result.output
    assert "is an input of this command" in result.output
    assert train_csv.read_bytes() == before
