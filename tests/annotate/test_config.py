"""The labeling config from the codebook: its own checks, a user codebook, a real server."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import pytest

from eventcoder.annotate.config import (
    check_config,
    coder_layout_markdown,
    conditionals,
    control_field,
    labeling_config,
    parse_controls,
)
from eventcoder.schema import Codebook


def test_generated_config_passes_its_own_check(cb: Codebook) -> None:
    xml = labeling_config(cb)
    assert check_config(xml, cb) == []
    root = ET.fromstring(xml)
    assert root.find("Text").attrib == {"name": "text", "value": "$text", "granularity": "word"}
    assert root.find("Header").attrib["value"] == "$title"
    assert not list(root.iter("HyperText"))


def test_controls_follow_field_types_and_origins(cb: Codebook) -> None:
    controls = parse_controls(labeling_config(cb))
    assert controls["label"].choices == ("Event", "Actor", "Place", "Date", "Fatalities")
    assert controls["event_date"].tag == "DateTime"
    assert controls["fatalities"].tag == "Number"
    assert controls["latitude"].tag == "Number"  # assisted: an optional control
    assert controls["notes"].tag == "TextArea"
    assert controls["actor1"].tag == "TextArea"
    assert controls["inter1"].choices == tuple(cb.vocabularies["actor_types"].values)
    assert controls["time_precision"].choices == ("1", "2", "3")
    for name in (
        "year",
        "disorder_type",
        "interaction",
        "iso",
        "region",
        "event_id_cnty",
        "timestamp",
        "sub_event_type",
    ):
        assert name not in controls
    assert all(c.per_region for n, c in controls.items() if n != "label")


def test_sub_event_choices_are_conditional_on_event_type(cb: Codebook) -> None:
    xml = labeling_config(cb)
    root = ET.fromstring(xml)
    subs = [el for el in root.iter("Choices") if el.attrib["name"].startswith("sub_event_type__")]
    assert [el.attrib["whenChoiceValue"] for el in subs] == list(
        cb.vocabularies["event_types"].values
    )
    battles = next(el for el in subs if el.attrib["whenChoiceValue"] == "Battles")
    assert battles.attrib["name"] == "sub_event_type__battles"
    assert battles.attrib["visibleWhen"] == "choice-selected"
    assert battles.attrib["whenTagName"] == "event_type"
    assert [c.attrib["value"] for c in battles] == [
        "Government regains territory",
        "Non-state actor overtakes territory",
        "Armed clash",
    ]
    assert control_field("sub_event_type__explosions_remote_violence", cb) == "sub_event_type"
    assert control_field("sub_event_type__nothing", cb) == "sub_event_type"
    assert control_field("sentiment", cb) is None
    # every sub-event type appears in exactly one group
    names = [c.attrib["value"] for el in subs for c in el]
    assert sorted(names) == sorted(map(str, cb.vocabularies["sub_event_types"].values))
    assert list(conditionals(cb)) == ["sub_event_type"]


def test_user_codebook_with_new_event_type_and_field_gets_controls(cb: Codebook) -> None:
    raw = cb.to_dict()
    raw["vocabularies"]["event_types"]["values"].append(
        {"value": "Cyber operations", "description": "Attacks on networks."}
    )
    raw["vocabularies"]["sub_event_types"]["values"].append(
        {
            "value": "Network intrusion",
            "event_type": "Cyber operations",
            "disorder_type": "Political violence",
        }
    )
    raw["fields"].append(
        {
            "name": "weapon",
            "type": "string",
            "origin": "coded",
            "description": "The weapon named in the report.",
        }
    )
    raw["fields"].append({"name": "displaced", "type": "integer", "origin": "coded"})
    user = Codebook.from_dict(raw, path=cb.path)
    controls = parse_controls(labeling_config(user))
    assert controls["sub_event_type__cyber_operations"].choices == ("Network intrusion",)
    assert "Cyber operations" in controls["event_type"].choices
    assert controls["weapon"].tag == "TextArea"
    assert controls["displaced"].tag == "Number"


def test_check_config_finds_each_problem(cb: Codebook) -> None:
    xml = labeling_config(cb)
    assert check_config("<View><Text name='text'", cb)[0].startswith("not well-formed XML")
    dup = xml.replace('name="actor2"', 'name="actor1"')
    problems = check_config(dup, cb)
    assert "name 'actor1' is used 2 times" in problems
    assert "coded field 'actor2' has no control" in problems
    bad_to = xml.replace('name="notes" toName="text"', 'name="notes" toName="txt"')
    assert check_config(bad_to, cb) == ["TextArea 'notes': toName='txt' names no tag"]
    bad_choice = xml.replace('<Choice value="Armed clash" />', '<Choice value="Skirmish" />')
    assert check_config(bad_choice, cb) == [
        "Choices 'sub_event_type__battles': 'Skirmish' is not a value of sub_event_type"
    ]
    no_event = xml.replace('<Label value="Event" background="#d62728" />', "")
    assert check_config(no_event, cb) == ["no Labels control 'label' with the label 'Event'"]


def test_coder_layout_explains_several_events(cb: Codebook) -> None:
    text = coder_layout_markdown(cb)
    assert text.startswith("## Coding in Label Studio")
    assert "strikes on two villages are two events" in text
    assert "`sub_event_type` values for that `event_type`" in text


@pytest.mark.server
def test_real_server_accepts_the_config(cb: Codebook, ls_server) -> None:
    xml = labeling_config(cb)
    headers = {"Authorization": f"Token {ls_server.token}"}
    with httpx.Client(base_url=ls_server.url, headers=headers, timeout=30) as http:
        answer = http.post("/api/projects/validate/", json={"label_config": xml})
        assert answer.status_code == 204, answer.text
        broken = http.post(
            "/api/projects/validate/",
            json={"label_config": xml.replace('toName="text"', 'toName="txt"', 1)},
        )
        assert broken.status_code == 400
        created = http.post("/api/projects/", json={"title": "config test", "label_config": xml})
        assert created.status_code == 201, created.text
        project = http.get(f"/api/projects/{created.json()['id']}").json()
        assert parse_controls(project["label_config"]).keys() == parse_controls(xml).keys()
