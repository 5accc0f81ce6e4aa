"""The default codebook against the published ACLED tables, round trips, and broken codebooks."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import yaml

from eventcoder.errors import CodebookError
from eventcoder.schema.codebook import DEFAULT_PATH, Codebook

# ACLED Codebook 2024, Table 2, in hierarchy order: (event type, sub-event type, disorder type).
PUBLISHED_TAXONOMY = [
    ("Battles", "Government regains territory", "Political violence"),
    ("Battles", "Non-state actor overtakes territory", "Political violence"),
    ("Battles", "Armed clash", "Political violence"),
    ("Protests", "Excessive force against protesters", "Political violence; Demonstrations"),
    ("Protests", "Protest with intervention", "Demonstrations"),
    ("Protests", "Peaceful protest", "Demonstrations"),
    ("Riots", "Violent demonstration", "Demonstrations"),
    ("Riots", "Mob violence", "Political violence"),
    ("Explosions/Remote violence", "Chemical weapon", "Political violence"),
    ("Explosions/Remote violence", "Air/drone strike", "Political violence"),
    ("Explosions/Remote violence", "Suicide bomb", "Political violence"),
    ("Explosions/Remote violence", "Shelling/artillery/missile attack", "Political violence"),
    ("Explosions/Remote violence", "Remote explosive/landmine/IED", "Political violence"),
    ("Explosions/Remote violence", "Grenade", "Political violence"),
    ("Violence against civilians", "Sexual violence", "Political violence"),
    ("Violence against civilians", "Attack", "Political violence"),
    ("Violence against civilians", "Abduction/forced disappearance", "Political violence"),
    ("Strategic developments", "Agreement", "Strategic developments"),
    ("Strategic developments", "Arrests", "Strategic developments"),
    ("Strategic developments", "Change to group/activity", "Strategic developments"),
    ("Strategic developments", "Disrupted weapons use", "Strategic developments"),
    ("Strategic developments", "Headquarters or base established", "Strategic developments"),
    ("Strategic developments", "Looting/property destruction", "Strategic developments"),
    ("Strategic developments", "Non-violent transfer of territory", "Strategic developments"),
    ("Strategic developments", "Other", "Strategic developments"),
]

# ACLED Codebook 2024, Actors: inter code -> current text label.
PUBLISHED_ACTOR_TYPES = {
    1: "State forces",
    2: "Rebel group",
    3: "Political militia",
    4: "Identity militia",
    5: "Rioters",
    6: "Protesters",
    7: "Civilians",
    8: "External/Other forces",
}

ACLED_COLUMNS = (
    "event_id_cnty event_date year time_precision disorder_type event_type sub_event_type actor1 "
    "assoc_actor_1 inter1 actor2 assoc_actor_2 inter2 interaction civilian_targeting iso region "
    "country admin1 admin2 admin3 location latitude longitude geo_precision source source_scale "
    "notes fatalities tags timestamp"
).split()


def test_six_event_types_and_25_sub_event_types_in_hierarchy_order(cb: Codebook) -> None:
    assert list(cb.vocabularies["event_types"].values) == list(
        dict.fromkeys(e for e, _, _ in PUBLISHED_TAXONOMY)
    )
    subs = cb.vocabularies["sub_event_types"]
    got = [(t.attributes["event_type"], t.value, t.attributes["disorder_type"]) for t in subs.terms]
    assert got == PUBLISHED_TAXONOMY
    assert cb.hierarchy is subs


def test_actor_types_interactions_and_columns(cb: Codebook) -> None:
    actor_types = cb.vocabularies["actor_types"]
    assert {t.code: t.value for t in actor_types.terms} == PUBLISHED_ACTOR_TYPES
    interactions = cb.vocabularies["interactions"]
    assert len(interactions.terms) == 44
    by_code = {t.code: t.value for t in interactions.terms}
    assert (
        by_code[78] == "External/Other forces-Civilians"
    )  # the one pair with the higher type first
    assert by_code[60] == "Protesters only"
    assert by_code[12] == "State forces-Rebel group"
    # Every numeric code is the two types' codes, smaller first (X0 when one-sided).
    code_of = {v: k for k, v in PUBLISHED_ACTOR_TYPES.items()}
    for t in interactions.terms:
        codes = sorted(code_of[p] for p in t.attributes["pair"])
        assert t.code == (codes[0] * 10 + codes[1] if len(codes) == 2 else codes[0] * 10)
    assert list(cb.field_names) == ACLED_COLUMNS
    for name in ACLED_COLUMNS:
        assert cb.field(name).description


def test_aliases_for_renamed_values(cb: Codebook) -> None:
    assert cb.vocabularies["sub_event_types"].spellings()["Excessive force against protestors"] == (
        "Excessive force against protesters"
    )
    assert cb.vocabularies["civilian_targeting"].spellings()["Civilians targeted"] == (
        "Civilian targeting"
    )
    assert cb.vocabularies["actor_types"].spellings()["8"] == "External/Other forces"


def test_levels_of_measurement(cb: Codebook) -> None:
    assert cb.field("event_type").level == "nominal"
    assert cb.field("fatalities").level == "ratio"
    assert cb.field("time_precision").level == "ordinal"
    assert cb.field("event_date").level == "interval"


def test_round_trip(cb: Codebook) -> None:
    again = Codebook.from_dict(cb.to_dict(), path=DEFAULT_PATH)
    assert again == cb
    assert again.to_dict() == cb.to_dict()


def test_rules_have_ids_severities_and_sources(cb: Codebook) -> None:
    ids = [r.id for r in cb.rules]
    assert len(ids) == len(set(ids))
    assert {r.severity for r in cb.rules} == {"error", "warning"}
    assert all(r.source for r in cb.rules)
    # Rules real data break now and then only warn.
    assert cb.rule("one-event-per-day-place-actors").severity == "warning"
    assert cb.rule("actor-name-civilians").severity == "warning"


def _write(tmp_path: Path, raw: dict) -> Path:
    # References resolve beside the file: point them at the default lists.
    raw["references"] = {k: str(DEFAULT_PATH.parent / v) for k, v in raw["references"].items()}
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def _raw() -> dict:
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def test_unknown_rule_kind_is_named(tmp_path: Path) -> None:
    raw = _raw()
    raw["rules"][0]["kind"] = "vibes"
    with pytest.raises(CodebookError) as err:
        Codebook.from_file(_write(tmp_path, raw))
    assert err.value.path.endswith("broken.yaml")
    assert err.value.problems[0][0] == "rules[event-type-known].kind"
    assert "unknown rule kind 'vibes'" in str(err.value)


def test_sub_event_under_two_event_types_is_refused(tmp_path: Path) -> None:
    raw = _raw()
    subs = raw["vocabularies"]["sub_event_types"]["values"]
    subs.append({"value": "Armed clash", "event_type": "Riots", "disorder_type": "Demonstrations"})
    with pytest.raises(CodebookError) as err:
        Codebook.from_file(_write(tmp_path, raw))
    entry, message = err.value.problems[0]
    assert entry == "vocabularies.sub_event_types.values[25]"
    assert "'Armed clash' is listed twice" in message
    assert "Battles" in message and "Riots" in message


def test_rule_naming_a_missing_field_and_every_problem_reported(tmp_path: Path) -> None:
    raw = _raw()
    raw["rules"][0]["field"] = "evnt_type"
    raw["fields"][1]["type"] = "datetime-ish"
    with pytest.raises(CodebookError) as err:
        Codebook.from_file(_write(tmp_path, raw))
    entries = dict(err.value.problems)
    assert (
        "names field 'evnt_type', which does not exist" in entries["rules[event-type-known].field"]
    )
    assert "type 'datetime-ish'" in entries["fields.event_date"]
    assert "and 1 more problem" in str(err.value)


def test_lookup_attribute_outside_target_vocabulary(tmp_path: Path) -> None:
    raw = _raw()
    raw["vocabularies"]["sub_event_types"]["values"][0]["event_type"] = "Battle"
    with pytest.raises(CodebookError) as err:
        Codebook.from_file(_write(tmp_path, raw))
    assert any("'Battle', which is not in event_types" in m for _, m in err.value.problems)


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(CodebookError, match="not found"):
        Codebook.from_file(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("fields: [\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="not valid YAML"):
        Codebook.from_file(bad)


def test_roles_name_existing_fields(tmp_path: Path) -> None:
    cb = Codebook.default()
    assert (cb.role("id"), cb.role("date"), cb.role("id_prefix")) == (
        "event_id_cnty",
        "event_date",
        "iso",
    )
    raw = _raw()
    raw["settings"]["roles"] = {"id": "event_code", "colour": "notes"}
    with pytest.raises(CodebookError) as err:
        Codebook.from_file(_write(tmp_path, raw))
    entries = dict(err.value.problems)
    assert entries["settings.roles.id"] == "no field called 'event_code'"
    assert entries["settings.roles.colour"].startswith("unknown role")


def _with_gazetteer(tmp_path: Path) -> Path:
    """A codebook in ``tmp_path`` using the bundled actor list and ``tmp_path/gazetteer.csv``."""
    raw = _raw()
    raw["references"] = {
        "actors": str(DEFAULT_PATH.parent / "actors.csv"),
        "gazetteer": str(tmp_path / "gazetteer.csv"),
    }
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_reference_lists_saved_by_a_spreadsheet_load_as_written(tmp_path: Path) -> None:
    # A gazetteer edited in a Windows spreadsheet: cp1252 and ';'-separated.
    gaz = pl.read_csv(DEFAULT_PATH.parent / "gazetteer.csv", infer_schema=False)
    gaz = gaz.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("Ségou"))
        .otherwise(pl.col("admin1"))
        .alias("admin1")
    )
    text = gaz.write_csv(separator=";")
    (tmp_path / "gazetteer.csv").write_bytes(text.encode("cp1252"))
    loaded = Codebook.from_file(_with_gazetteer(tmp_path)).references.gazetteer
    assert loaded is not None
    assert loaded["admin1"].to_list() == gaz["admin1"].to_list()
    assert loaded["location"].to_list() == gaz["location"].to_list()
    assert loaded["alternate_names"].to_list() == gaz["alternate_names"].to_list()


def test_an_unreadable_reference_list_is_named(tmp_path: Path) -> None:
    (tmp_path / "gazetteer.csv").write_bytes(b"\x1f\x8b gzip")
    with pytest.raises(CodebookError) as err:
        Codebook.from_file(_with_gazetteer(tmp_path))
    assert (
        "references.gazetteer",
        f"{tmp_path / 'gazetteer.csv'}: is gzip-compressed; decompress it first",
    ) in err.value.problems
