"""Pre-annotation without a server: sentences, dates, names by country, valid results."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventcoder.annotate.convert import export_to_annotations
from eventcoder.annotate.prelabel import (
    NameFinder,
    find_dates,
    mentions,
    predict_articles,
    sentences,
    trie_pattern,
)
from eventcoder.errors import ModelError
from eventcoder.model import TextModel, read_examples, train
from eventcoder.schema import load_codebook
from eventcoder.schema.codebook import Codebook
from eventcoder.schema.references import build_references_from_files
from tests.model.notes import labelled_rows, table
from tests.schema.test_references import history

MINI = Path(__file__).parents[1] / "data" / "mini-codebook.yaml"


@pytest.fixture(scope="module")
def with_lists(tmp_path_factory: pytest.TempPathFactory) -> Codebook:
    """The default codebook with lists built from our three-country history."""
    folder = tmp_path_factory.mktemp("refs")
    past = folder / "past.csv"
    table(history()).write_csv(past)
    cb = load_codebook()
    lists, _ = build_references_from_files([past], cb)
    lists.write(folder, cb)
    return Codebook.from_file(folder / "codebook.yaml")


@pytest.fixture(scope="module")
def model(with_lists: Codebook, tmp_path_factory: pytest.TempPathFactory) -> TextModel:
    path = tmp_path_factory.mktemp("notes") / "notes.csv"
    table(labelled_rows(seed=0)).write_csv(path)
    frame, _ = read_examples([path], with_lists)
    return train(frame, with_lists)


@given(st.text(alphabet=st.sampled_from("ab .!?\n\u00a0\u00e9"), max_size=60))
def test_sentences_cover_every_non_space_character_once(text: str) -> None:
    spans = sentences(text)
    covered = [False] * len(text)
    last = 0
    for start, end in spans:
        assert last <= start < end <= len(text)
        assert text[start:end].strip() == text[start:end] or not text[start].isspace()
        for i in range(start, end):
            covered[i] = True
        last = end
    assert all(covered[i] or text[i].isspace() for i in range(len(text)))


def test_sentences_known_answer() -> None:
    text = "Rebels attacked Ariha. Two died!  Was it the army? No comment"
    assert [text[s:e] for s, e in sentences(text)] == [
        "Rebels attacked Ariha.",
        "Two died!",
        "Was it the army?",
        "No comment",
    ]


@given(
    st.lists(st.text(alphabet="ab -é", min_size=1, max_size=6), min_size=1, max_size=8),
    st.text(alphabet="ab -é.", max_size=40),
)
def test_the_trie_finds_what_a_flat_alternation_finds(names: list[str], text: str) -> None:
    import re

    flat = "(?:" + "|".join(map(re.escape, sorted(set(names), key=len, reverse=True))) + ")"
    found = [
        (m.start(), m.end())
        for m in re.finditer(r"(?<!\w)" + trie_pattern(names) + r"(?!\w)", text, re.I)
    ]
    expected = [
        (m.start(), m.end()) for m in re.finditer(r"(?<!\w)" + flat + r"(?!\w)", text, re.I)
    ]
    assert found == expected


def test_dates_written_three_ways() -> None:
    text = "On 3 June 2020 and June 4, 2020 (also 2020-06-05), but not 31 June 2020."
    assert [(m.value, text[m.start : m.end]) for m in find_dates(text)] == [
        ("2020-06-03", "3 June 2020"),
        ("2020-06-04", "June 4, 2020"),
        ("2020-06-05", "2020-06-05"),
    ]


def test_names_are_found_within_the_article_s_country(with_lists: Codebook) -> None:
    finder = NameFinder(with_lists)
    # Garissa is a place in Kenya and in Nigeria; Gusau makes this a Nigerian article.
    text = "Gunmen struck Garissa, a village near Gusau, on 7 January 2023."
    found, country = mentions(text, finder)
    assert country == "Nigeria"
    places = [(m.value, m.entries[0]["admin1"]) for m in found if m.label == "Place"]
    assert places == [("Garissa", "Zamfara"), ("Gusau", "Zamfara")]
    # The task's own country wins over the vote; an alternate spelling finds its place.
    found, country = mentions("Al Shabaab attacked Mandhera and Garissa.", finder, "Kenya")
    assert [(m.label, m.value) for m in found] == [
        ("Actor", "Al Shabaab"),
        ("Place", "Mandera"),
        ("Place", "Garissa"),
    ]
    assert found[2].entries[0]["admin1"] == "Garissa"


def _export(text: str, result: list[dict]) -> list[dict]:
    """A snapshot export of one task whose one annotation holds ``result``."""
    coder = {"id": 2, "email": "coder1@example.org", "first_name": "", "last_name": ""}
    return [
        {
            "id": 1,
            "data": {"id": "art-1", "title": "t", "text": text},
            "annotations": [
                {
                    "id": 1,
                    "completed_by": coder,
                    "result": result,
                    "was_cancelled": False,
                    "ground_truth": False,
                    "created_at": "2026-11-30T10:00:00Z",
                    "updated_at": "2026-11-30T10:00:00Z",
                    "lead_time": 1.0,
                    "task": 1,
                    "project": 1,
                    "updated_by": 2,
                }
            ],
            "predictions": [],
            "project": 1,
        }
    ]


def test_predicted_regions_convert_back_to_their_fields(
    model: TextModel, with_lists: Codebook
) -> None:
    text = (
        "On 9 March 2024, Al Shabaab clashed with Police Forces of Kenya outside Mandhera; "
        "both sides reported losses.\n"
        "The county office did not comment.  Residents of Garissa marched peacefully "
        "on 10 March 2024 to demand clean water."
    )
    [pred] = predict_articles([{"id": "art-1", "text": text}], model, with_lists)
    assert pred.country == "Kenya" and pred.regions == 2
    assert {r["origin"] for r in pred.result} == {"prediction"}
    conv = export_to_annotations(_export(text, pred.result), with_lists)
    # The results are valid under the generated config: what the converter finds missing is
    # what a model does not fill (a coder adds it), and the protesters the text does not name.
    wrong = conv.rejects.filter(pl.col("rule") != "required-field")
    assert wrong.select("event_key", "rule").rows() == [("ev2", "protests-have-protesters")]
    required = conv.rejects.filter(pl.col("rule") == "required-field")
    unfilled = {"time_precision", "geo_precision", "notes", "fatalities", "source"}
    by_event = required.group_by("event_key").agg(pl.col("field").unique().sort())
    assert sorted(by_event.rows()) == [
        ("ev1", sorted(unfilled)),
        # "Residents" is no listed actor: no actor1, so neither its type nor the interaction.
        ("ev2", sorted(unfilled | {"actor1", "inter1", "interaction"})),
    ]
    predicted = conv.rejects.select("event_key").unique().height
    assert predicted == 2
    first = [r for r in pred.result if r["id"] == "ev1"]
    values = {r["from_name"]: r["value"] for r in first}
    assert values["event_type"]["choices"] == ["Battles"]
    assert values["sub_event_type__battles"]["choices"] == ["Armed clash"]
    assert values["actor1"]["text"] == ["Al Shabaab"]
    assert values["inter1"]["choices"] == ["Rebel group"]
    assert values["actor2"]["text"] == ["Police Forces of Kenya (2022-)"]
    assert values["inter2"]["choices"] == ["State forces"]
    assert values["location"]["text"] == ["Mandera"]
    assert values["event_date"]["datetime"] == "2024-03-09"
    assert values["latitude"]["number"] == pytest.approx(3.9366)
    assert text[values["label"]["start"] : values["label"]["end"]].startswith("On 9 March 2024")
    second = {r["from_name"]: r["value"] for r in pred.result if r["id"] == "ev2"}
    assert second["event_type"]["choices"] == ["Protests"]
    assert second["location"]["text"] == ["Garissa"]
    labels = [r["value"]["labels"][0] for r in pred.result if r["id"].startswith("m")]
    assert labels == ["Date", "Actor", "Actor", "Place", "Place", "Date"]


def test_a_model_for_another_codebook_makes_no_predictions(model: TextModel) -> None:
    with pytest.raises(ModelError):
        predict_articles([{"id": "a", "text": "x."}], model, Codebook.from_file(MINI))
