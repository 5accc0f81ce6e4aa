"""The codebook and validate commands, through Typer's runner and the real entry point."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from eventcoder.cli import app
from eventcoder.schema.codebook import DEFAULT_PATH, Codebook
from eventcoder.schema.validation import validate
from tests.schema.rows import GOOD, legacy_layout, text_layout, with_change

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture()
def extended_codebook(tmp_path: Path) -> Path:
    """The default codebook plus one event type (with a sub-event) and one extra coded field."""
    raw = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    raw["codebook"]["name"] = "acled-plus"
    raw["vocabularies"]["event_types"]["values"].append(
        {"value": "Cyber operations", "one_sided": True, "description": "Attacks on networks."}
    )
    raw["vocabularies"]["sub_event_types"]["values"].append(
        {
            "value": "Network disruption",
            "event_type": "Cyber operations",
            "disorder_type": "Strategic developments",
            "description": "A network is taken down.",
        }
    )
    raw["fields"].append(
        {
            "name": "injuries",
            "type": "integer",
            "origin": "coded",
            "level": "ratio",
            "description": "Reported injured people.",
        }
    )
    raw["rules"].append(
        {
            "id": "injuries-non-negative",
            "kind": "range",
            "field": "injuries",
            "min": 0,
            "severity": "error",
            "source": "our team",
            "message": "injuries is at least 0",
        }
    )
    for name in ("actors.csv", "gazetteer.csv"):
        shutil.copy(DEFAULT_PATH.parent / name, tmp_path / name)
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_codebook_show_lists_the_scheme() -> None:
    result = runner.invoke(app, ["codebook", "show"])
    assert result.exit_code == 0, result.output
    assert "Non-state actor overtakes territory" in result.output
    assert "sub-event-in-event-type" in result.output


def test_codebook_docs_is_generated_from_the_codebook(tmp_path: Path) -> None:
    out = tmp_path / "docs.md"
    result = runner.invoke(app, ["codebook", "docs", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    cb = Codebook.default()
    for term in cb.vocabularies["sub_event_types"].terms:
        assert f"**{term.value}**" in text
    for rule in cb.rules:
        assert f"`{rule.id}`" in text


def test_extended_codebook_flows_through_show_docs_validate(
    extended_codebook: Path, tmp_path: Path
) -> None:
    shown = runner.invoke(app, ["codebook", "show", "-c", str(extended_codebook)])
    assert shown.exit_code == 0 and "Network disruption" in shown.output
    docs = runner.invoke(app, ["codebook", "docs", "-c", str(extended_codebook)])
    assert "Cyber operations" in docs.output and "`injuries`" in docs.output
    rows = [
        dict(
            GOOD[2],
            event_id_cnty="SYR900010",
            event_type="Cyber operations",
            sub_event_type="Network disruption",
            disorder_type="Strategic developments",
            injuries="2",
        ),
        dict(GOOD[2], event_id_cnty="SYR900011", injuries="-1"),
    ]
    frame = text_layout(rows).with_columns(pl.Series("injuries", ["2", "-1"]))
    table = tmp_path / "events.csv"
    frame.write_csv(table)
    result = runner.invoke(app, ["validate", str(table), "-c", str(extended_codebook)])
    assert result.exit_code == 1, result.output
    rejected = pl.read_parquet(tmp_path / "events.rejected.parquet")
    assert rejected["event_id_cnty"].to_list() == ["SYR900011"]
    assert rejected["reasons"].to_list() == ["injuries-non-negative"]
    accepted = pl.read_parquet(tmp_path / "events.accepted.parquet")
    assert accepted["injuries"].to_list() == [2]
    # The default codebook knows neither the event type nor the field.
    default = validate(frame.drop("injuries"), Codebook.default())
    assert "event-type-known" in default.errors["rule"].to_list()


def test_codebook_check_names_file_and_entry(tmp_path: Path, extended_codebook: Path) -> None:
    ok = runner.invoke(app, ["codebook", "check", str(extended_codebook)])
    assert ok.exit_code == 0
    assert re.match(
        r"ok \S+: .+, \d+ fields, \d+ vocabularies \(\d+ values\), \d+ rules",
        " ".join(ok.output.split()),
    )
    raw = yaml.safe_load(extended_codebook.read_text(encoding="utf-8"))
    raw["rules"][-1]["kind"] = "wishful"
    raw["rules"][0]["field"] = "nonexistent"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw), encoding="utf-8")
    result = runner.invoke(app, ["codebook", "check", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml: rules[injuries-non-negative].kind: unknown rule kind 'wishful'" in (
        " ".join(result.output.split())
    )
    assert "names field 'nonexistent'" in result.output


def test_validate_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    text_layout().write_csv(good)
    assert runner.invoke(app, ["validate", str(good)]).exit_code == 0
    legacy = tmp_path / "legacy.csv"
    legacy_layout().write_csv(legacy)
    result = runner.invoke(app, ["validate", str(legacy)])
    assert result.exit_code == 0, result.output
    assert "derived columns absent" in result.output
    bad = tmp_path / "bad.csv"
    text_layout(with_change(1, sub_event_type="Armed clash")).write_csv(bad)
    result = runner.invoke(app, ["validate", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "5 rows: 4 accepted, 1 rejected" in result.output
    assert (tmp_path / "o" / "bad.rejected.parquet").exists()
    missing = tmp_path / "missing.csv"
    text_layout().drop("event_date").write_csv(missing)
    result = runner.invoke(app, ["validate", str(missing)])
    assert result.exit_code == 2
    assert "missing required column(s): event_date" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2 and "no such file" in result.output


def test_validate_json_equals_the_library_summary(tmp_path: Path) -> None:
    import json

    bad = tmp_path / "bad.csv"
    frame = text_layout(with_change(2, fatalities="-1"))
    frame.write_csv(bad)
    result = runner.invoke(app, ["validate", str(bad), "--json"])
    assert result.exit_code == 1
    library = validate(frame, Codebook.default()).summary()
    assert json.loads(result.stdout) == json.loads(json.dumps(library, default=str))
    assert json.loads(result.stdout)["rules"][0]["rule"] == "fatalities-non-negative"


def test_python_dash_m_entry_point(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "eventcoder", "codebook", "check", str(DEFAULT_PATH)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "44 rules" in proc.stdout
