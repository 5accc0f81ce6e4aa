"""Hostile text in agreement reports: what coders type reaches readers as text, never markup."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import polars as pl
import pytest
from markdown_it import MarkdownIt

from eventcoder.datasets.agreement import agreement
from eventcoder.datasets.agreement_report import render_html, render_markdown, write_report
from eventcoder.schema.codebook import Codebook
from eventcoder.schema.tables import empty_table

CB = Codebook.default()
PAYLOAD = "</script><svg onload=alert(1)> | *x* [a](javascript:alert(1)) `c` _u_"


def _coded(location: str) -> pl.DataFrame:
    """Three coders, two articles, every coder giving ``location`` (so its note quotes it)."""
    rows = [
        {
            "article_id": article,
            "coder": coder,
            "event_key": f"{coder}{article}",
            "span_start": 0,
            "span_end": 100,
            "event_date": date(2024, 3, 1),
            "event_type": "Battles" if coder != "c" else "Riots",
            "actor1": "Military Forces of Syria",
            "location": location,
            "fatalities": 1,
        }
        for article in ("x", "y")
        for coder in "abc"
    ]
    base = empty_table(CB, "annotations")
    data = pl.DataFrame(rows, schema_overrides={"event_date": pl.Date})
    return pl.concat([base, data], how="diagonal_relaxed").select(base.columns)


@pytest.fixture(scope="module")
def result():
    return agreement(_coded(PAYLOAD), CB, n_boot=50)


def test_the_payload_reaches_the_report(result) -> None:
    # The location has no variation, so its note quotes the value: the payload is in the report.
    note = result.fields.filter(pl.col("field") == "location")["note"].item()
    assert "<svg onload=alert(1)>" in note.lower()


def test_markdown_carries_no_markup(result) -> None:
    md = render_markdown(result)
    assert "<svg" not in md and "</script" not in md
    assert "&lt;/script&gt;&lt;svg onload=alert(1)&gt;" in md
    # Rendered the way a Markdown viewer does, raw HTML allowed: no element, no link, no code.
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(md)
    for tag in ("<svg", "<script", "<a ", "<code", "<em"):
        assert tag not in rendered, tag
    assert rendered.count("<strong>") == 1  # the report's own bold F1
    assert "&lt;svg onload=alert(1)&gt;" in rendered
    assert "*x* [a](javascript:alert(1)) `c` _u_" in rendered


def test_markdown_table_rows_keep_their_cells(result) -> None:
    md = render_markdown(result)
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    cells = {len(re.split(r"(?<!\\)\|", row)) for row in rows}
    assert len(cells) == 1  # the payload's "|" adds no cell


def test_markdown_keeps_one_line_per_row(result) -> None:
    # A codebook's name is the user's text too; a line break in it must not start a table row.
    renamed = replace(result, summary={**result.summary, "codebook": "mine\n| injected | row |"})
    md = render_markdown(renamed)
    assert "\n| injected" not in md and "mine \\| injected \\| row \\|" in md


def test_html_escapes_the_payload(result, tmp_path) -> None:
    page = render_html(result)
    assert "<svg onload" not in page and "</script>" not in page
    paths = write_report(result, tmp_path)
    assert "<svg onload" not in paths["markdown"].read_text(encoding="utf-8")
