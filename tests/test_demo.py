"""The demo: the whole pipeline on the bundled material, with no server.

Known answers come from what the coders did when the bundled export was recorded
(tests/annotate/record_demo.py, ``PLAN``): 8 articles x 3 coders = 24 annotations, one skipped,
three rejected (a sub-event under the wrong type, a missing fatality count, a missing date).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import eventcoder.demo
import eventcoder.pipeline
from eventcoder.annotate.articles import read_articles
from eventcoder.cli import app
from eventcoder.datasets.release import versions
from eventcoder.demo import ARTICLES, DATASET, EXPORT, VERSION, material
from eventcoder.pipeline import PipelineResult, run_demo

AMIRA, JONAS, LEILA = "amira.k@example.org", "jonas.b@example.org", "leila.h@example.org"


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> tuple[PipelineResult, Path]:
    """One demo run in a fresh folder, and the folder (datasets under ``datasets/``)."""
    base = tmp_path_factory.mktemp("demo")
    stages: list[tuple[str, int, int]] = []
    result = run_demo(
        base / "work", root=base / "datasets", on_progress=lambda *a: stages.append(a)
    )
    assert [s[1] for s in stages] == list(range(len(eventcoder.pipeline.STAGES) + 1))
    return result, base


def test_exported_members() -> None:
    assert eventcoder.demo.__all__ == ["ARTICLES", "DATASET", "EXPORT", "VERSION", "material"]
    assert eventcoder.pipeline.__all__ == [
        "STAGES",
        "DemoResult",
        "PipelineResult",
        "run_demo",
        "run_pipeline",
    ]


def test_bundled_export_codes_the_bundled_articles() -> None:
    articles = read_articles(str(material(ARTICLES)))
    tasks = json.loads(material(EXPORT).read_text(encoding="utf-8"))
    assert len(articles) == 8
    assert {t["data"]["id"]: t["data"]["text"] for t in tasks} == {a.id: a.text for a in articles}
    coders = {a["completed_by"]["email"] for t in tasks for a in t["annotations"]}
    assert coders == {AMIRA, JONAS, LEILA}
    assert all(len(t["annotations"]) == 3 for t in tasks)  # every coder coded every article
    text = material(EXPORT).read_text(encoding="utf-8").lower()
    assert '"token"' not in text and "password" not in text
    with pytest.raises(ValueError, match="no demo file"):
        material("secrets.txt")


def test_release_files(first: tuple[PipelineResult, Path]) -> None:
    result, base = first
    release = base / "datasets" / DATASET / VERSION
    assert result.release == release and result.published and result.verified
    for name in ("events.parquet", "datapackage.json", "CHANGELOG.md", "README.md", "SHA256SUMS"):
        assert (release / name).is_file(), name
    assert result.report_html == release / "agreement" / "agreement.html"
    assert result.report_html.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype")
    for name in ("agreement.html", "AGREEMENT.md", "agreement.json"):
        assert (base / "work" / "agreement" / name).is_file()
    assert (base / "work" / EXPORT).read_bytes() == material(EXPORT).read_bytes()
    assert "10 event(s) added" in (release / "CHANGELOG.md").read_text(encoding="utf-8")
    package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    assert "events" in {r["name"] for r in package["resources"]}


def test_counts_reconcile(first: tuple[PipelineResult, Path]) -> None:
    result, base = first
    assert (result.annotations, result.accepted, result.rejected, result.skipped) == (24, 20, 3, 1)
    assert result.accepted + result.rejected + result.skipped == result.annotations
    assert result.reconciliation() == "24 annotations: 20 accepted, 3 rejected, 1 skipped"
    # 35 events coded; the 7 of the three rejected annotations are out
    assert (result.events_accepted, result.events_rejected) == (28, 7)
    conv = base / "work" / "conversion"
    assert pl.read_parquet(conv / "annotations.parquet").height == result.events_accepted
    skipped = pl.read_parquet(conv / "skipped.parquet")
    assert skipped.select("article_id", "coder").rows() == [("idl-2020-0618", LEILA)]
    rejects = pl.read_parquet(conv / "rejects.parquet").filter(
        pl.col("rule") != "annotation-rejected"
    )
    assert set(rejects.select("article_id", "coder", "rule", "field").rows()) >= {
        ("idl-2020-0608", JONAS, "sub-event-in-event-type", "event_type"),
        ("idl-2020-0612", LEILA, "required-field", "fatalities"),
        ("idl-2020-0623", AMIRA, "required-field", "event_date"),
    }
    assert rejects["annotation_id"].n_unique() == result.rejected


def test_gold_events(first: tuple[PipelineResult, Path]) -> None:
    result, base = first
    # 13 aligned events: the displacement (1 of 3 coders) and the arrest (1 of 2) lack support,
    # and the Ehsem shelling's actor2 is a 1-1 tie: 10 gold events, 3 for review.
    assert (result.aligned_events, result.gold_events, result.review_events) == (13, 10, 3)
    assert result.release_events == 10
    events = pl.read_parquet(result.release / "events.parquet")
    by_place = {r["location"]: r for r in events.iter_rows(named=True)}
    assert set(by_place) == {
        "Mozra",
        "Jabal al-Zawiya",  # two coders against one for Al Bara
        "Kansafra",
        "Hama",
        "Saraqab",
        "Binnish",
        "Idleb",
        "Ariha",
        "Sarmada",
        "Jisr Ash-Shugur",
    }
    assert by_place["Saraqab"]["fatalities"] == 6  # 6, 8, 6
    assert by_place["Ariha"]["sub_event_type"] == "Headquarters or base established"  # 2 to 1
    assert by_place["Mozra"]["fatalities"] == 2
    assert events["event_id_cnty"].str.starts_with("SYR").all()
    assert result.alphas["event_type"] == pytest.approx(1.0)
    assert 0 < result.alphas["sub_event_type"] < 1  # Ariha: one coder dissents
    assert 0 < result.alphas["location"] < 1  # Al Bara against Jabal al-Zawiya


def test_second_run_leaves_the_release_alone(
    first: tuple[PipelineResult, Path], tmp_path: Path
) -> None:
    _, base = first
    root = tmp_path / "datasets"
    shutil.copytree(base / "datasets", root)
    before = (root / DATASET / VERSION / "SHA256SUMS").read_bytes()
    again = run_demo(tmp_path / "work", root=root)
    assert not again.published and again.verified
    assert any("exists already" in n for n in again.notes)
    assert again.release == root / DATASET / VERSION and again.release_events == 10
    assert versions(root, DATASET) == [VERSION]
    assert (root / DATASET / VERSION / "SHA256SUMS").read_bytes() == before


def test_a_changed_release_is_reported(first: tuple[PipelineResult, Path], tmp_path: Path) -> None:
    _, base = first
    root = tmp_path / "datasets"
    shutil.copytree(base / "datasets", root)
    events = root / DATASET / VERSION / "events.parquet"
    data = bytearray(events.read_bytes())
    data[len(data) // 2] ^= 0xFF
    events.chmod(0o644)
    events.write_bytes(bytes(data))
    again = run_demo(tmp_path / "work", root=root)
    assert not again.verified and again.release_events is None
    assert any("events.parquet" in p for p in again.problems)
    runner = CliRunner()
    out = runner.invoke(app, ["demo", "--dir", str(tmp_path / "w2"), "--root", str(root)])
    assert out.exit_code == 1, out.output
    assert "events.parquet" in out.output


def test_cli_demo(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["demo", "--dir", str(tmp_path / "work"), "--root", str(tmp_path / "datasets")]
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    release = tmp_path / "datasets" / DATASET / VERSION
    assert "24 annotations: 20 accepted, 3 rejected, 1 skipped" in out.output
    assert "event detection F1" in out.output and "sub_event_type 0." in out.output
    assert f"dataset: {release}" in out.output
    assert f"report:  {release / 'agreement' / 'agreement.html'}" in out.output
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "exists already" in again.output and "already published" in again.output
