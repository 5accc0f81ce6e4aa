"""The agreement report: files, Markdown, self-contained HTML in a real browser, and the CLI."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import orjson
import polars as pl
import pytest
from typer.testing import CliRunner

from eventcoder.cli import app
from eventcoder.datasets.agreement import agreement, to_dict
from eventcoder.datasets.agreement_report import render_html, render_markdown, write_report
from eventcoder.schema.codebook import Codebook
from eventcoder.schema.tables import empty_table
from tests.browser import chromium

CB = Codebook.default()
DATA = Path(__file__).resolve().parents[1] / "data"
TYPES = ["Battles", "Riots", "Protests", "Strategic developments"]
PLACES = ["Aleppo", "Homs", "Idleb", "Daraa"]


def project(n_articles: int = 80, seed: int = 5) -> pl.DataFrame:
    """A seeded three-coder project: coder c is careless with event types, b misses events."""
    rng = np.random.default_rng(seed)
    rows = []
    for art in range(n_articles):
        for k in range(int(rng.integers(1, 4))):
            truth = {
                "type": TYPES[rng.integers(0, 4)],
                "place": PLACES[rng.integers(0, 4)],
                "day": int(rng.integers(0, 300)),
                "dead": int(rng.poisson(2)),
            }
            for coder in ("ana@example.org", "ben@example.org", "cy@example.org"):
                if coder.startswith("ben") and rng.random() < 0.2:
                    continue
                careless = coder.startswith("cy") and rng.random() < 0.4
                rows.append(
                    {
                        "article_id": f"art{art}",
                        "coder": coder,
                        "event_key": f"{coder[0]}{k}",
                        "span_start": k * 500,
                        "span_end": k * 500 + 120,
                        "event_type": TYPES[rng.integers(0, 4)] if careless else truth["type"],
                        "location": truth["place"],
                        "event_date": date(2024, 1, 1) + timedelta(days=truth["day"]),
                        "fatalities": truth["dead"] + int(rng.random() < 0.1),
                        "actor1": "Protesters (Syria)",
                    }
                )
    base = empty_table(CB, "annotations")
    data = pl.DataFrame(rows, schema_overrides={"event_date": pl.Date})
    return pl.concat([base, data], how="diagonal_relaxed").select(base.columns)


@pytest.fixture(scope="module")
def result():
    return agreement(project(), CB, n_boot=100, seed=0)


def test_write_report_writes_every_file(result, tmp_path: Path) -> None:
    paths = write_report(result, tmp_path / "out")
    assert {k: p.name for k, p in paths.items()} == {
        "json": "agreement.json",
        "aligned": "aligned.parquet",
        "html": "agreement.html",
        "markdown": "AGREEMENT.md",
    }
    assert orjson.loads(paths["json"].read_bytes()) == to_dict(result)
    assert pl.read_parquet(paths["aligned"]).equals(result.aligned)
    assert not list((tmp_path / "out").glob(".*part"))  # no temporary files left


def test_markdown_lists_every_field_with_its_status(result) -> None:
    md = render_markdown(result)
    rows = [line for line in md.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + result.fields.height
    event_type = result.fields.filter(pl.col("field") == "event_type").row(0, named=True)
    assert f"| event_type | nominal | {event_type['alpha']:.3f} |" in md
    assert event_type["status"] in md


def test_html_is_self_contained(result) -> None:
    page = render_html(result)
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    # every nominal field with a defined alpha gets a heatmap
    shown = set(re.findall(r'id="confusion-([^"]+)"', page))
    expected = set(
        result.fields.filter((pl.col("level") == "nominal") & pl.col("alpha").is_not_null())[
            "field"
        ]
    )
    assert shown == expected and "event_type" in shown


@pytest.mark.browser
def test_report_renders_in_headless_chromium(result, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    html = write_report(result, tmp_path)["html"]
    with chromium(tmp_path) as driver:
        driver.get(html.resolve().as_uri())
        assert "Inter-coder agreement" in driver.title
        for chart in ("alpha-chart", "coder-chart", "detection-chart", "confusion-event_type"):
            element = driver.find_element(By.ID, chart)
            assert element.tag_name == "svg"
            assert element.size["width"] > 100 and element.size["height"] > 50, chart
        dots = driver.find_elements(By.CSS_SELECTOR, "#alpha-chart circle")
        assert len(dots) == result.fields["alpha"].is_not_null().sum()
        assert all(d.size["width"] > 0 for d in dots)
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        assert errors == []


def test_cli_writes_the_report_of_a_parquet_table(result, tmp_path: Path) -> None:
    table = tmp_path / "annotations.parquet"
    project().write_parquet(table)
    run = CliRunner().invoke(
        app, ["agreement", str(table), "--boot", "100", "--out", str(tmp_path / "report")]
    )
    assert run.exit_code == 0, run.output
    assert f"wrote {tmp_path / 'report' / 'agreement.html'}" in run.output
    assert "event_type" in run.output
    written = orjson.loads((tmp_path / "report" / "agreement.json").read_bytes())
    assert written == to_dict(result)


def test_cli_reads_a_label_studio_export(tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    export.write_bytes((DATA / "ls_export_quick.json").read_bytes())
    run = CliRunner().invoke(app, ["agreement", str(export), "--boot", "10"])
    assert run.exit_code == 0, run.output
    assert (tmp_path / "agreement.html").exists() and (tmp_path / "AGREEMENT.md").exists()


def test_cli_rejects_a_file_that_is_not_a_table(tmp_path: Path) -> None:
    bad = tmp_path / "notes.parquet"
    bad.write_text("hello")
    run = CliRunner().invoke(app, ["agreement", str(bad)])
    assert run.exit_code == 2
    assert "not an annotations Parquet table" in run.output


def test_console_table_keeps_long_field_names(result, monkeypatch) -> None:
    from rich.console import Console

    import eventcoder.cli.datasets as cli_datasets

    long_name = "a_field_name_of_forty_characters_exactly"
    fields = result.fields.with_columns(
        pl.when(pl.col("field") == "event_type")
        .then(pl.lit(long_name))
        .otherwise(pl.col("field"))
        .alias("field")
    )
    console = Console(width=80, record=True, force_terminal=False)
    monkeypatch.setattr(cli_datasets, "console", console)
    cli_datasets.render_agreement(replace(result, fields=fields))
    text = console.export_text()
    assert long_name in text
    assert max(len(line) for line in text.splitlines()) <= 80
    row = next(line for line in text.splitlines() if long_name in line)
    event_type = result.fields.filter(pl.col("field") == "event_type").row(0, named=True)
    assert f"{event_type['alpha']:.3f}" in row and "…" not in text


def test_reports_carry_q_and_the_verdict_rule(result) -> None:
    data = to_dict(result)
    rule = data["summary"]["verdict_rule"]
    assert "never a plain pass" in rule
    event_type = next(r for r in data["fields"] if r["field"] == "event_type")
    assert 0.0 <= event_type["q_tentative"] <= event_type["q_pass"] <= 1.0
    md = render_markdown(result)
    assert "| q(0.8) | q(0.667) |" in md and rule.split(".")[0] in md
    page = render_html(result)
    assert 'id="field-table"' in page and 'id="verdict-rule"' in page
    assert f"{event_type['q_pass']:.1%}" in page or f"{event_type['q_pass']:.0%}" in page
    # an uncertain verdict is drawn as a hollow dot
    uncertain = result.fields.filter(pl.col("status").str.ends_with("uncertain")).height
    assert page.count('fill="#fff" stroke=') == uncertain
