"""The dataset card (README.md) of a release: a Hugging Face card header and Datasheet sections.

The YAML header carries what the Hugging Face Hub reads (license, pretty name, tags, size
category, the data files); the body follows the questions of Gebru et al., *Datasheets for
Datasets* (motivation, composition, collection, labelling, uses, distribution, maintenance), with
coverage, the agreement summary, known limitations and a citation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from eventcoder.datasets.agreement_report import markdown_text as md
from eventcoder.schema.codebook import Codebook

HF_LICENSES = {
    "CC-BY-4.0": "cc-by-4.0",
    "CC-BY-SA-4.0": "cc-by-sa-4.0",
    "CC0-1.0": "cc0-1.0",
    "ODC-BY-1.0": "odc-by",
}


@dataclass(frozen=True)
class CardFacts:
    """Everything the card says, gathered by the release."""

    name: str
    version: str
    title: str
    license: str
    created: str
    codebook: Codebook
    events: pl.DataFrame
    annotations: int
    coders: int
    articles: int
    rejects: int
    # Events and rows of the review queue published beside the gold (review.parquet); None when
    # the release was made from gold events alone, without the adjudication's queue.
    review: tuple[int, int] | None
    data_files: str
    changes: dict[str, int]
    previous: str | None
    # The release's files as (path, what it holds), folders ending in "/": from the release's
    # list of files, so that the card lists exactly what is there.
    files: tuple[tuple[str, str], ...] = ()
    agreement: pl.DataFrame | None = None
    decisions: dict[str, int] = field(default_factory=dict)
    policy: str = ""
    citation: str | None = None
    limitations: tuple[str, ...] = ()


def _size_category(n: int) -> str:
    for limit, label in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
        (10_000_000, "1M<n<10M"),
    ):
        if n < limit:
            return label
    return "10M<n<100M"


def coverage(
    events: pl.DataFrame, date: str | None = "event_date", country: str | None = "country"
) -> dict[str, Any]:
    """First and last event date, and events per country (most first), from those columns."""
    out: dict[str, Any] = {"start": None, "end": None, "countries": []}
    if events.height and date in events.columns:
        out["start"], out["end"] = str(events[date].min()), str(events[date].max())
    if events.height and country in events.columns:
        per = events.group_by(country).len().sort(["len", country], descending=[True, False])
        out["countries"] = [(str(c), int(n)) for c, n in per.iter_rows()]
    return out


def read_agreement(folder: str | Path | None) -> pl.DataFrame | None:
    """A per-field agreement table from an agreement report folder, if it holds one.

    Reads ``agreement.json`` (written by ``eventcoder agreement``), else a Parquet or CSV file
    with a ``field`` column and a column whose name contains ``alpha``; returns ``field`` and
    that column, or None.
    """
    if folder is None or not Path(folder).is_dir():
        return None
    for path in sorted(Path(folder).rglob("*.json")):
        # eventcoder's agreement.json: {"fields": [{"field": ..., "alpha": ...}, ...], ...}
        try:
            rows = json.loads(path.read_text(encoding="utf-8")).get("fields")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(rows, list) and rows and all("field" in r and "alpha" in r for r in rows):
            return pl.DataFrame(
                {"field": [str(r["field"]) for r in rows], "alpha": [r["alpha"] for r in rows]},
                schema={"field": pl.String, "alpha": pl.Float64},
            )
    for path in sorted(Path(folder).rglob("*")):
        if path.suffix not in (".parquet", ".csv"):
            continue
        try:
            frame = (
                pl.read_parquet(path, glob=False)
                if path.suffix == ".parquet"
                else pl.read_csv(path, glob=False)
            )
        except (pl.exceptions.PolarsError, OSError):
            continue
        alpha = [c for c in frame.columns if "alpha" in c.lower()]
        if "field" in frame.columns and alpha:
            return frame.select("field", pl.col(alpha[0]).alias("alpha"))
    return None


def card_markdown(facts: CardFacts) -> str:
    """The README.md of a release."""
    return "\n".join([*_front(facts), *_coverage_and_labelling(facts), *_back(facts)])


def _front(facts: CardFacts) -> list[str]:
    """The Hugging Face header, title, motivation and the release's files."""
    cb = facts.codebook
    header = {
        "license": HF_LICENSES.get(facts.license, "other"),
        "pretty_name": facts.title,
        "language": ["en"],
        "tags": ["conflict-events", "political-violence", "protest", f"codebook-{cb.name}"],
        "size_categories": [_size_category(facts.events.height)],
        "configs": [
            {"config_name": "default", "data_files": [{"split": "train", "path": facts.data_files}]}
        ],
    }
    if facts.license not in HF_LICENSES:
        header["license_name"] = facts.license
    out = ["---", yaml.safe_dump(header, sort_keys=False).rstrip(), "---", ""]
    out += [
        f"# {md(facts.title)}",
        "",
        f"Release **{facts.version}** of `{facts.name}`, published {facts.created}: "
        f"{facts.events.height} events coded from {facts.articles} article(s) by "
        f"{facts.coders} coder(s) under codebook {md(cb.label)}.",
        "",
    ]
    out += [
        "## Motivation",
        "",
        "Event data in the ACLED style, coded by people from news reports in Label Studio "
        "with eventcoder, so that every event can be traced to the article, the coders and "
        "the decisions behind it.",
        "",
    ]
    out += [
        "## Composition",
        "",
        "| file | what |",
        "|---|---|",
        *(f"| `{path}` | {what} |" for path, what in facts.files),
        "",
    ]
    return out


def _coverage_and_labelling(facts: CardFacts) -> list[str]:
    """Coverage, collection and how gold events were decided."""
    out: list[str] = []
    cov = coverage(facts.events, facts.codebook.role("date"), facts.codebook.role("country"))
    out += ["## Coverage", ""]
    if cov["start"]:
        out.append(f"Events from {cov['start']} to {cov['end']}.")
        out.append("")
        out += ["| country | events |", "|---|---|"]
        out += [f"| {md(c)} | {n} |" for c, n in cov["countries"]]
    else:
        out.append("No events.")
    out.append("")
    out += [
        "## Collection process",
        "",
        "Articles were loaded into Label Studio; each was coded independently by several "
        "coders, who marked an evidence span per event and filled the codebook's fields. "
        "Exports were converted to the annotations table and validated against the codebook; "
        "rows that broke a rule are in `rejects.parquet`.",
        "",
    ]
    out += [
        "## Preprocessing and labelling",
        "",
        "Coders' events of one article were aligned (evidence span, location, date, event "
        "type; optimal matching), then adjudicated field by field: "
        + md(facts.policy or "majority vote")
        + ". Derived fields (year, disorder type, "
        "interaction) were re-derived after voting and every gold event was validated.",
        "",
    ]
    if facts.decisions:
        out += ["| method | fields decided |", "|---|---|"]
        out += [f"| {md(k)} | {v} |" for k, v in sorted(facts.decisions.items())]
        out.append("")
    return out


def _back(facts: CardFacts) -> list[str]:
    """Agreement, uses, limitations, distribution, maintenance, citation."""
    out: list[str] = []
    cb = facts.codebook
    out += ["## Agreement", ""]
    if facts.agreement is not None and facts.agreement.height:
        out += [
            "Krippendorff's alpha per field (see `agreement/` for the full report):",
            "",
            "| field | alpha |",
            "|---|---|",
        ]
        for f, a in facts.agreement.iter_rows():
            out.append(f"| {f} | {'' if a is None else f'{float(a):.3f}'} |")
    else:
        out.append("No agreement report was supplied with this release.")
    out.append("")
    out += [
        "## Uses",
        "",
        "Counting and mapping political violence and protest events; studying coding "
        "reliability (`annotations.parquet` holds every coder's version). Event counts "
        "reflect what the coded articles report, not everything that happened.",
        "",
    ]
    out += ["## Known limitations", ""]
    limits = list(facts.limitations) or [
        "Coverage is limited to the articles coded: events no article reported are missing.",
        "Fatalities follow the codebook's conservative rule (the lowest reported figure).",
        _review_line(facts.review),
    ]
    out += [f"- {line}" for line in limits]
    out.append("")
    out += [
        "## Distribution",
        "",
        f"License: {md(facts.license)}. Files are Parquet with plain Arrow types (dates as dates, "
        "integers as integers), readable by pandas, polars, DuckDB and Spark.",
        "",
    ]
    out += [
        "## Maintenance",
        "",
        f"Versions are immutable; see `CHANGELOG.md` ({facts.changes.get('added', 0)} added, "
        f"{facts.changes.get('removed', 0)} removed, {facts.changes.get('changed', 0)} "
        f"changed against {facts.previous or 'nothing: first release'}). Event ids are stable "
        "across releases and never reused.",
        "",
    ]
    cite = facts.citation or (
        f"@misc{{{facts.name.replace('-', '_')}_{facts.version.replace('.', '_')},\n"
        f"  title = {{{' '.join(facts.title.split())}}},\n  version = {{{facts.version}}},\n"
        f"  year = {{{facts.created[:4]}}},\n  note = {{Coded with eventcoder, codebook "
        f"{cb.label}}}\n}}"
    )
    # A fence longer than any run of backticks in the citation: none can close it early.
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", cite)), default=0))
    out += ["## Citation", "", f"{fence}bibtex", cite, fence, ""]
    return out


def _review_line(review: tuple[int, int] | None) -> str:
    """What the card says about events awaiting an adjudicator."""
    if review is None:
        return (
            "This release was made from gold events alone, without the adjudication's review "
            "queue: events that await an adjudicator, if any, are neither in this release nor "
            "counted here (`eventcoder release --adjudication DIR` publishes the queue too)."
        )
    events, rows = review
    if not events:
        return "No event awaits an adjudicator: `review.parquet` is empty."
    return (
        f"{events} event(s) await an adjudicator ({rows} row(s) in `review.parquet`, one per "
        "event, field and coder); they are not in this release."
    )
