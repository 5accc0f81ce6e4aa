"""Rendering an agreement result: a self-contained HTML report and a Markdown summary.

The HTML page holds everything it shows: CSS and charts are inline SVG generated here, with no
script and no link to fetch, so it opens from disk with no network. Colours carry the verdict:
green for pass, amber for tentative, red for fail, grey where alpha is undefined.
"""

from __future__ import annotations

import html
import math
import re
from pathlib import Path
from typing import Any

import polars as pl

from eventcoder.datasets.agreement import AgreementResult, to_json
from eventcoder.files import output_set

__all__ = ["markdown_text", "render_html", "render_markdown", "write_report"]

COLOURS = {"pass": "#1e8e4e", "tentative": "#d99100", "fail": "#cf3b3b", "undefined": "#9aa0a6"}
# Confusion heatmaps show the most frequent categories; the JSON result holds them all.
TOP_CATEGORIES = 10
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


def write_report(result: AgreementResult, folder: str | Path) -> dict[str, Path]:
    """Write the result files into ``folder``; return their paths by kind.

    ``json``: agreement.json (summary and tables); ``aligned``: aligned.parquet (the annotations
    with their ``aligned_event``); ``html``: agreement.html; ``markdown``: AGREEMENT.md.
    """
    with output_set(folder) as out:  # the four appear together or not at all
        return {
            "json": out.text(to_json(result) + "\n", "agreement.json"),
            "aligned": out.parquet(result.aligned, "aligned.parquet"),
            "html": out.text(render_html(result), "agreement.html"),
            "markdown": out.text(render_markdown(result), "AGREEMENT.md"),
        }


# --- Markdown ----------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 3) -> str:
    """Return a number for display, or an en dash when it is missing."""
    return "–" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _share(value: float | None) -> str:
    """Return a share as a percentage for display (q), or an en dash when it is missing."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.1%}" if 0 < value < 1 else f"{value:.0%}"


# Characters that make inline markup anywhere in a line (emphasis, code, links and images,
# strike-through, table cells), escaped with a backslash. Markup that needs the start of a line
# (headings, lists, quotes) cannot start inside a table cell or after the report's own words.
# An underscore inside a word (event_type) can open no emphasis in CommonMark and stays as is.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*\[\]|~]|(?<![^\W_])_|_(?![^\W_]))")


def markdown_text(text: object) -> str:
    """Return ``text`` as literal Markdown text: no HTML, no markup, one table cell.

    Values in a report come from coders and codebooks, so ``</script><svg onload=...>`` must
    reach the reader as those characters and never as markup: ``&``, ``<`` and ``>`` become
    entities (HTML inside Markdown is passed through by renderers), Markdown punctuation is
    backslash-escaped and line breaks become spaces (a table row is one line).
    """
    flat = " ".join(str(text).split())
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", html.escape(flat, quote=False))


def _verdict(status: str) -> str:
    """Return the verdict of a status: ``pass, uncertain`` -> ``pass``."""
    return status.split(",")[0]


def render_markdown(result: AgreementResult) -> str:
    """Return a short Markdown summary of the result, for a dataset card.

    Every value taken from the data or the codebook is escaped (:func:`_md`).
    """
    s = result.summary
    t = s["thresholds"]
    boot = s["bootstrap"]
    uncertain = s.get("fields_uncertain", 0)
    lines = [
        "## Inter-coder agreement",
        "",
        f"{s['articles']:,} articles coded by {s['coders']} coders ({s['rows']:,} coded events); "
        f"{s['aligned_events']:,} aligned events, {s['aligned_events_multi']:,} of them found by "
        f"two or more coders. Event detection F1 (matched events, all coder pairs): "
        f"**{_num(s['detection_f1'], 2)}**.",
        "",
        f"Krippendorff's alpha per field on the aligned events, with {int(boot['ci'] * 100)} % "
        f"bootstrap intervals ({boot['n_boot']} resamples of events, seed {boot['seed']}). "
        f"Reliable at alpha >= {t['pass']}, tentative at >= {t['tentative']}: "
        f"{s['fields_pass']} pass, {s['fields_tentative']} tentative, {s['fields_fail']} fail, "
        f"{s['fields_undefined']} undefined; {uncertain} uncertain.",
        "",
        f"| field | level | alpha | {int(boot['ci'] * 100)} % CI | q({t['pass']:g}) | "
        f"q({t['tentative']:g}) | agreement | status |",
        "|---|---|---:|---|---:|---:|---:|---|",
    ]
    for r in result.fields.iter_rows(named=True):
        ci = (
            f"{_num(r['alpha_low'])} – {_num(r['alpha_high'])}"
            if r["alpha_low"] is not None
            else ""
        )
        status = r["status"] if r["status"] != "undefined" else f"undefined ({r['note']})"
        lines.append(
            f"| {markdown_text(r['field'])} | {markdown_text(r['level'])} | "
            f"{_num(r['alpha'])} | {ci} | "
            f"{_share(r.get('q_pass'))} | {_share(r.get('q_tentative'))} | "
            f"{_num(r['percent_agreement'], 2)} | {markdown_text(status)} |"
        )
    if not boot["n_boot"]:
        lines += ["", "No bootstrap was run (0 resamples): statuses come from alpha alone."]
    elif s.get("verdict_rule"):
        lines += ["", markdown_text(s["verdict_rule"])]
    lines += ["", f"Codebook {markdown_text(s['codebook'])}. Generated by eventcoder.", ""]
    return "\n".join(lines)


# --- SVG charts --------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _alpha_chart(fields: pl.DataFrame, thresholds: dict[str, float]) -> str:
    """Return an SVG dot-and-whisker chart of alpha per field against the thresholds."""
    rows = fields.filter(pl.col("alpha").is_not_null()).to_dicts()
    if not rows:
        return '<p class="muted">No field has a defined alpha.</p>'
    lows = [r["alpha_low"] if r["alpha_low"] is not None else r["alpha"] for r in rows]
    lo: float = min(0.0, math.floor(min(lows + [r["alpha"] for r in rows]) * 10) / 10)
    left, width, row_h, top = 150, 560, 26, 28
    height = top + row_h * len(rows) + 30

    def x(v: float) -> float:
        return left + (v - lo) / (1.0 - lo) * width

    out = [
        f'<svg class="chart" id="alpha-chart" viewBox="0 0 {left + width + 70} {height}" '
        f'width="{left + width + 70}" height="{height}" role="img" '
        f'aria-label="Krippendorff alpha per field">'
    ]
    # bands: fail / tentative / pass
    bands = [
        (lo, thresholds["tentative"], "fail"),
        (thresholds["tentative"], thresholds["pass"], "tentative"),
        (thresholds["pass"], 1.0, "pass"),
    ]
    for a, b, status in bands:
        out.append(
            f'<rect x="{x(a):.1f}" y="{top - 6}" width="{x(b) - x(a):.1f}" '
            f'height="{row_h * len(rows) + 6}" fill="{COLOURS[status]}" opacity="0.07"/>'
        )
    tick = lo
    while tick <= 1.0001:
        out.append(
            f'<text x="{x(tick):.1f}" y="{height - 8}" class="tick">{tick:.1f}</text>'
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top - 6}" '
            f'y2="{top + row_h * len(rows)}" stroke="#e3e5e8"/>'
        )
        tick = round(tick + 0.2, 10)
    for name, v in (("tentative", thresholds["tentative"]), ("pass", thresholds["pass"])):
        out.append(
            f'<line x1="{x(v):.1f}" x2="{x(v):.1f}" y1="{top - 10}" '
            f'y2="{top + row_h * len(rows)}" stroke="{COLOURS[name]}" stroke-dasharray="4 3" '
            f'stroke-width="1.5"/><text x="{x(v):.1f}" y="{top - 14}" class="tick" '
            f'fill="{COLOURS[name]}">{v:g}</text>'
        )
    for i, r in enumerate(rows):
        y = top + row_h * i + row_h / 2
        colour = COLOURS[_verdict(r["status"])]
        uncertain = r["status"].endswith("uncertain")
        out.append(f'<text x="{left - 12}" y="{y + 4:.1f}" class="label">{_e(r["field"])}</text>')
        if r["alpha_low"] is not None:
            out.append(
                f'<line x1="{x(r["alpha_low"]):.1f}" x2="{x(r["alpha_high"]):.1f}" '
                f'y1="{y:.1f}" y2="{y:.1f}" stroke="{colour}" stroke-width="3" '
                f'stroke-linecap="round" opacity="0.45"/>'
            )
        ci = (
            f", 95% CI {_num(r['alpha_low'])}–{_num(r['alpha_high'])}"
            if r["alpha_low"] is not None
            else ""
        )
        # An uncertain verdict is a hollow dot: the interval does not support it.
        fill = (
            f'fill="#fff" stroke="{colour}" stroke-width="2.5"' if uncertain else f'fill="{colour}"'
        )
        out.append(
            f'<circle cx="{x(r["alpha"]):.1f}" cy="{y:.1f}" r="6" {fill}>'
            f"<title>{_e(r['field'])}: alpha {_num(r['alpha'])}{ci} ({_e(r['level'])}, "
            f"{r['units']:,} events; {_e(r['status'])})</title></circle>"
            f'<text x="{left + width + 10}" y="{y + 4:.1f}" class="value" fill="{colour}">'
            f"{_num(r['alpha'], 2)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _mix(t: float, hue: tuple[int, int, int] = (37, 99, 235)) -> str:
    """Return a colour between white (t = 0) and ``hue`` (t = 1)."""
    t = max(0.0, min(1.0, t))
    r, g, b = (round(255 + (c - 255) * t) for c in hue)
    return f"rgb({r},{g},{b})"


def _confusion_chart(name: str, conf: pl.DataFrame) -> str:
    """Return an SVG heatmap of the most frequent categories' value pairs for one field."""
    totals = (
        conf.group_by("value_a")
        .agg(pl.sum("pairs"))
        .sort(["pairs", "value_a"], descending=[True, False])
    )
    cats = totals["value_a"].head(TOP_CATEGORIES).to_list()
    cell = 30
    label_w = min(210, 12 + 7 * max(len(c) for c in cats))
    size = cell * len(cats)
    top = 12
    counts = {(r["value_a"], r["value_b"]): r["pairs"] for r in conf.iter_rows(named=True)}
    row_totals = {c: sum(counts.get((c, d), 0) for d in cats) or 1 for c in cats}
    out = [
        f'<svg class="chart heat" id="confusion-{_e(name)}" viewBox="0 0 '
        f'{label_w + size + 10} {top + size + 10}" width="{label_w + size + 10}" '
        f'height="{top + size + 10}" role="img" aria-label="Confusion of {_e(name)}">'
    ]
    for i, a in enumerate(cats):
        short = a if len(a) <= 28 else a[:27] + "…"
        out.append(
            f'<text x="{label_w - 8}" y="{top + i * cell + cell / 2 + 4}" class="label">'
            f"{_e(short)}<title>{_e(a)}</title></text>"
        )
        for j, b in enumerate(cats):
            n = counts.get((a, b), 0)
            share = n / row_totals[a]
            fill = _mix(share, (30, 142, 78) if i == j else (207, 59, 59))
            out.append(
                f'<rect x="{label_w + j * cell}" y="{top + i * cell}" width="{cell - 2}" '
                f'height="{cell - 2}" rx="3" fill="{fill if n else "#f4f5f7"}">'
                f"<title>{_e(a)} / {_e(b)}: {n:,} coder pairs</title></rect>"
            )
            if n:
                colour = "#fff" if share > 0.55 else "#333"
                out.append(
                    f'<text x="{label_w + j * cell + cell / 2 - 1}" '
                    f'y="{top + i * cell + cell / 2 + 3}" class="cell" fill="{colour}">'
                    f"{_compact(n)}</text>"
                )
    out.append("</svg>")
    return "".join(out)


def _compact(n: int) -> str:
    """Return a count in at most four characters (1234 -> 1.2k)."""
    if n < 1000:
        return str(n)
    if n < 10_000:
        return f"{n / 1000:.1f}k"
    if n < 1_000_000:
        return f"{n // 1000}k"
    return f"{n / 1e6:.1f}M"


def _coder_chart(per_coder: pl.DataFrame, fields: pl.DataFrame) -> str:
    """Return an SVG heatmap: coders x fields, agreement with the other coders, drift marked."""
    defined = fields.filter(pl.col("alpha").is_not_null())["field"].to_list()
    data = per_coder.filter(pl.col("field").is_in(defined) & pl.col("agreement").is_not_null())
    if data.height == 0 or not defined:
        return '<p class="muted">No field with a defined alpha has per-coder figures.</p>'
    coders = sorted(data["coder"].unique().to_list())
    cells = {(r["coder"], r["field"]): r for r in data.iter_rows(named=True)}
    cw, ch, label_w, top = 64, 28, min(240, 12 + 7 * max(len(c) for c in coders)), 96
    width, height = label_w + cw * len(defined) + 10, top + ch * len(coders) + 10
    out = [
        f'<svg class="chart heat" id="coder-chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="Agreement per coder">'
    ]
    for j, f in enumerate(defined):
        cx = label_w + j * cw + cw / 2
        out.append(
            f'<text transform="translate({cx:.1f},{top - 8}) rotate(-40)" class="label-up">'
            f"{_e(f)}</text>"
        )
    for i, coder in enumerate(coders):
        y = top + i * ch
        out.append(f'<text x="{label_w - 8}" y="{y + ch / 2 + 4}" class="label">{_e(coder)}</text>')
        for j, f in enumerate(defined):
            r = cells.get((coder, f))
            x = label_w + j * cw
            if r is None:
                out.append(
                    f'<rect x="{x}" y="{y}" width="{cw - 3}" height="{ch - 3}" rx="3" '
                    f'fill="#f4f5f7"/>'
                )
                continue
            a = r["agreement"]
            # white at 50 % agreement or below, full colour at 100 %
            fill = _mix((a - 0.5) / 0.5)
            drift = r["alpha_change"] is not None and r["alpha_change"] > 0.02
            stroke = f' stroke="{COLOURS["fail"]}" stroke-width="2.5"' if drift else ""
            tip = (
                f"{_e(coder)} on {_e(f)}: agrees with the others on {a:.0%} of "
                f"{r['pairs']:,} pairs; alpha without this coder "
                f"{_num(r['alpha_without'])} ({_signed(r['alpha_change'])})"
            )
            out.append(
                f'<rect x="{x}" y="{y}" width="{cw - 3}" height="{ch - 3}" rx="3" '
                f'fill="{fill}"{stroke}><title>{tip}</title></rect>'
                f'<text x="{x + cw / 2 - 1.5}" y="{y + ch / 2 + 3}" class="cell" '
                f'fill="{"#fff" if a > 0.8 else "#333"}">{a:.0%}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def _signed(v: float | None) -> str:
    return "–" if v is None else f"{v:+.3f}"


def _detection_chart(detection: pl.DataFrame) -> str:
    """Return an SVG bar chart of event-detection F1 per coder pair."""
    rows = detection.filter(pl.col("coder_a") != "overall").to_dicts()
    if not rows:
        return '<p class="muted">Only one coder: no event detection to compare.</p>'
    rows = rows[:30]
    labels = [f"{r['coder_a']} · {r['coder_b']}" for r in rows]
    label_w = min(420, 12 + 7 * max(len(s) for s in labels))
    bar_w, row_h = 360, 24
    height = row_h * len(rows) + 8
    out = [
        f'<svg class="chart" id="detection-chart" viewBox="0 0 {label_w + bar_w + 60} {height}" '
        f'width="{label_w + bar_w + 60}" height="{height}" role="img" '
        f'aria-label="Event detection F1 per coder pair">'
    ]
    for i, (r, label) in enumerate(zip(rows, labels, strict=True)):
        y = 4 + i * row_h
        f1 = r["f1"] or 0.0
        out.append(
            f'<text x="{label_w - 8}" y="{y + 15}" class="label">{_e(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row_h - 8}" rx="3" '
            f'fill="#eef0f3"/>'
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w * f1:.1f}" height="{row_h - 8}" '
            f'rx="3" fill="#2563eb"><title>{r["matched"]:,} matched of {r["events_a"]:,} and '
            f"{r['events_b']:,} events in {r['articles']:,} shared articles</title></rect>"
            f'<text x="{label_w + bar_w + 8}" y="{y + 15}" class="value">{f1:.2f}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _field_table(fields: pl.DataFrame, thresholds: dict[str, float], ci: float) -> str:
    """Return an HTML table of alpha, its interval, q per threshold and the status per field."""
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "field",
            "level",
            "events",
            "alpha",
            f"{ci * 100:g} % interval",
            f"q({thresholds['pass']:g})",
            f"q({thresholds['tentative']:g})",
            "agreement",
            "status",
        )
    )
    body = []
    for r in fields.iter_rows(named=True):
        interval = (
            f"{_num(r['alpha_low'])} – {_num(r['alpha_high'])}"
            if r["alpha_low"] is not None
            else "–"
        )
        colour = COLOURS[_verdict(r["status"])]
        status = _e(r["status"]) + (
            f' <span class="muted">({_e(r["note"])})</span>' if r["note"] else ""
        )
        body.append(
            f'<tr><td>{_e(r["field"])}</td><td>{_e(r["level"])}</td><td class="n">'
            f'{r["units"]:,}</td><td class="n">{_num(r["alpha"])}</td><td class="n">'
            f'{interval}</td><td class="n">{_share(r.get("q_pass"))}</td><td class="n">'
            f'{_share(r.get("q_tentative"))}</td><td class="n">'
            f"{_num(r['percent_agreement'], 2)}</td>"
            f'<td><span style="color:{colour};font-weight:600">{status}</span></td></tr>'
        )
    return (
        f'<table class="fields" id="field-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


# --- the page ----------------------------------------------------------------------------------

CSS = f"""
* {{ box-sizing: border-box; }}
body {{ font-family: {FONT}; margin: 0; background: #f6f7f9; color: #1f2328; }}
main {{ max-width: 1080px; margin: 0 auto; padding: 28px 24px 48px; }}
h1 {{ font-size: 26px; margin: 0 0 4px; }}
h2 {{ font-size: 18px; margin: 0 0 4px; }}
.sub {{ color: #5f6670; margin: 0 0 20px; }}
.cards {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px;
         margin-bottom: 20px; }}
.card {{ background: #fff; border-radius: 10px; padding: 14px 16px;
        box-shadow: 0 1px 2px rgba(0,0,0,.06); }}
.card .big {{ font-size: 28px; font-weight: 650; }}
.card .what {{ color: #5f6670; font-size: 13px; }}
section {{ background: #fff; border-radius: 10px; padding: 18px 20px; margin-bottom: 18px;
          box-shadow: 0 1px 2px rgba(0,0,0,.06); overflow-x: auto; }}
section p.help {{ color: #5f6670; font-size: 13px; margin: 0 0 12px; }}
.chart text {{ font-family: {FONT}; font-size: 12px; fill: #30363d; }}
.chart text.label {{ text-anchor: end; }}
.chart text.label-up {{ text-anchor: start; }}
.chart text.tick {{ text-anchor: middle; fill: #8b949e; font-size: 11px; }}
.chart text.value {{ font-weight: 600; }}
.chart text.cell {{ text-anchor: middle; font-size: 10.5px; }}
.heats {{ display: flex; flex-wrap: wrap; gap: 18px 28px; }}
.heats figure {{ margin: 0; }}
.heats figcaption {{ font-weight: 600; margin-bottom: 6px; }}
.pill {{ display: inline-block; border-radius: 999px; padding: 1px 9px; color: #fff;
        font-size: 12px; font-weight: 600; }}
.legend span {{ margin-right: 14px; font-size: 13px; color: #5f6670; }}
.legend i {{ display: inline-block; width: 10px; height: 10px; border-radius: 50%;
            margin-right: 5px; }}
.muted {{ color: #8b949e; }}
p.undefined {{ margin: 12px 0 0; color: #5f6670; font-size: 13px; line-height: 2; }}
.chip {{ display: inline-block; background: #eef0f3; color: #5f6670; border-radius: 6px;
        padding: 0 8px; margin: 0 4px 0 0; line-height: 22px; cursor: help; }}
footer {{ color: #8b949e; font-size: 12px; }}
table.fields {{ border-collapse: collapse; font-size: 13px; width: 100%; }}
table.fields th {{ text-align: left; color: #5f6670; font-weight: 600; border-bottom: 1px solid
                 #e3e5e8; padding: 4px 8px; white-space: nowrap; }}
table.fields td {{ padding: 4px 8px; border-bottom: 1px solid #f0f1f3; }}
table.fields td.n {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
p.rule {{ color: #30363d; font-size: 13px; margin: 12px 0 0; }}
"""


def _card(value: str, what: str, colour: str | None = None) -> str:
    style = f' style="color:{colour}"' if colour else ""
    return (
        f'<div class="card"><div class="big"{style}>{value}</div>'
        f'<div class="what">{what}</div></div>'
    )


def _cards(s: dict[str, Any]) -> list[str]:
    """The headline cards: verdict counts, detection F1, articles, aligned events."""
    t = s["thresholds"]
    uncertain = s.get("fields_uncertain", 0)
    return [
        _card(f"{s['fields_pass']}", f"fields pass (α ≥ {t['pass']:g})", COLOURS["pass"]),
        _card(
            f"{s['fields_tentative']}", f"tentative (α ≥ {t['tentative']:g})", COLOURS["tentative"]
        ),
        _card(f"{s['fields_fail']}", "unreliable", COLOURS["fail"]),
        _card(f"{uncertain}", "uncertain: the interval leaves the verdict's band"),
        _card(_num(s["detection_f1"], 2), "event detection F1"),
        _card(f"{s['articles']:,}", f"articles · {s['coders']} coders"),
        _card(
            f"{s['aligned_events']:,}",
            f"aligned events · {s['aligned_events_multi']:,} coded twice or more",
        ),
    ]


def _undefined_list(fields: pl.DataFrame) -> str:
    """The fields whose alpha is undefined, each with its reason on hover ("" if none)."""
    undefined = fields.filter(pl.col("alpha").is_null())
    if not undefined.height:
        return ""
    chips = "".join(
        f'<span class="chip" title="{_e(r["note"])}">{_e(r["field"])}</span>'
        for r in undefined.iter_rows(named=True)
    )
    return (
        f'<p class="undefined"><b>Not measurable ({undefined.height})</b> — no variation or '
        f"fewer than two coders' values; hover for the reason: {chips}</p>"
    )


def _heats(result: AgreementResult) -> list[str]:
    """A confusion chart per measurable nominal field, worst alpha first."""
    fields = result.fields
    heat_fields = (
        fields.filter((pl.col("level") == "nominal") & pl.col("alpha").is_not_null())
        .sort("alpha")["field"]
        .to_list()
    )
    heats = []
    for name in heat_fields:
        conf = result.confusion.filter(pl.col("field") == name)
        if conf.height:
            row = fields.filter(pl.col("field") == name).row(0, named=True)
            pill = (
                f'<span class="pill" style="background:{COLOURS[_verdict(row["status"])]}">'
                f"α {_num(row['alpha'], 2)}</span>"
            )
            heats.append(
                f"<figure><figcaption>{_e(name)} {pill}</figcaption>"
                f"{_confusion_chart(name, conf)}</figure>"
            )
    return heats


def render_html(result: AgreementResult) -> str:
    """Return the self-contained HTML report (inline CSS and SVG, no script, no network)."""
    s: dict[str, Any] = dict(result.summary)
    t = s["thresholds"]
    fields = result.fields
    cards = _cards(s)
    legend = "".join(
        f'<span><i style="background:{COLOURS[k]}"></i>{label}</span>'
        for k, label in (
            ("pass", f"pass ≥ {t['pass']:g}"),
            ("tentative", f"tentative ≥ {t['tentative']:g}"),
            ("fail", "fail"),
        )
    )
    undefined_list = _undefined_list(fields)
    heats = _heats(result)
    boot = s["bootstrap"]
    al = s["alignment"]
    weights = ", ".join(f"{k} {v:g}" for k, v in al["weights"].items())
    body = f"""
<main>
<h1>Inter-coder agreement</h1>
<p class="sub">Codebook {_e(s["codebook"])} · {s["rows"]:,} coded events ·
{boot["n_boot"]} bootstrap resamples (seed {boot["seed"]})</p>
<div class="cards">{"".join(cards)}</div>
<section>
<h2>Krippendorff's alpha per field</h2>
<p class="help">Dot: alpha on the aligned events; bar: {int(boot["ci"] * 100)} % bootstrap
interval. Dashed lines: the codebook's thresholds.</p>
<div class="legend">{legend}</div>
{_alpha_chart(fields, t)}
{undefined_list}
</section>
<section>
<h2>Verdicts and their uncertainty</h2>
<p class="help">q(t): the share of bootstrap resamples in which alpha falls below t. A hollow dot
in the chart above marks an uncertain verdict.</p>
{_field_table(fields, t, boot["ci"])}
<p class="rule" id="verdict-rule">{_e(s.get("verdict_rule", ""))}</p>
</section>
<section>
<h2>Who agrees with whom</h2>
<p class="help">Share of shared events on which each coder gives the same value as the other
coders. A red outline marks a field whose alpha rises by more than 0.02 without that coder.</p>
{_coder_chart(result.per_coder, fields)}
</section>
<section>
<h2>Event detection</h2>
<p class="help">F1 of matched events per coder pair, over the articles both coded.</p>
{_detection_chart(result.detection)}
</section>
<section>
<h2>What coders confuse</h2>
<p class="help">Pairs of values two coders gave the same event (top {TOP_CATEGORIES} categories,
shaded by share of the row). Green diagonal: agreement; red: confusion. Worst field first.</p>
<div class="heats">{"".join(heats) or '<p class="muted">No nominal field to show.</p>'}</div>
</section>
<footer>Events aligned per article by a weighted similarity ({_e(weights)}; threshold
{al["threshold"]:g}) and optimal matching. Units for alpha are aligned events coded by two or
more coders; intervals are percentile bootstrap over those events.</footer>
</main>"""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Inter-coder agreement · {_e(s['codebook'])}</title>"
        f"<style>{CSS}</style></head><body>{body}</body></html>\n"
    )
