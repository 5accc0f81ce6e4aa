"""The converter on recorded real Label Studio 1.23.2 exports (see record_exports.py)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import orjson
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from eventcoder.annotate.convert import (
    MENTION_SCHEMA,
    editor_text,
    export_to_annotations,
    read_export,
    utf16_to_code_points,
)
from eventcoder.cli import app
from eventcoder.errors import ExportFormatError
from eventcoder.schema import Codebook

DATA = Path(__file__).resolve().parent.parent / "data"
SNAPSHOT = DATA / "ls_export_snapshot.json"
QUICK = DATA / "ls_export_quick.json"
FOREIGN = DATA / "ls_export_foreign.json"


@pytest.fixture(scope="module")
def conv(cb: Codebook):
    return read_export(SNAPSHOT, cb)


def test_reconciliation_line(conv) -> None:
    assert conv.reconciliation() == "9 annotations: 4 accepted, 4 rejected, 1 skipped"
    assert conv.total == conv.accepted + conv.rejected + conv.skipped_count
    assert (conv.events_accepted, conv.events_rejected) == (5, 6)


def test_accepted_events_field_by_field(conv) -> None:
    a = conv.annotations
    assert a.select("annotation_id", "coder", "event_key").rows() == [
        (1, "coder1@example.org", "t0c0e0"),
        (1, "coder1@example.org", "t0c0e1"),
        (4, "coder1@example.org", "t1c0e0"),
        (4, "coder1@example.org", "t1c0e1"),
        (7, "coder1@example.org", "t2c0e0"),
    ]
    first = a.row(0, named=True)
    assert first["article_id"] == "idlib-0304"
    assert (first["span_start"], first["span_end"]) == (0, 128)
    assert first["evidence"].startswith("Government artillery pounded the outskirts")
    assert first["event_date"] == date(2024, 3, 4)
    assert first["event_type"] == "Explosions/Remote violence"
    assert first["sub_event_type"] == "Shelling/artillery/missile attack"  # from __explosions_...
    assert first["actor1"] == "Military Forces of Syria (2000-2024)"
    assert first["inter2"] == "Civilians"
    assert first["civilian_targeting"] == "Civilian targeting"
    assert (first["location"], first["fatalities"], first["time_precision"]) == ("Kafr Nobol", 3, 1)
    assert first["source"] == "Idlib Observer"  # from the article, the coder left it blank
    assert first["disorder_type"] == "Political violence"  # derived by the validator
    assert (first["country"], first["admin1"]) == ("Syria", "Idleb")
    assert first["lead_time"] == 30.0
    assert a["fatalities"].to_list() == [3, 2, 4, 0, 0]
    assert a["sub_event_type"].to_list() == [
        "Shelling/artillery/missile attack",
        "Shelling/artillery/missile attack",
        "Armed clash",
        "Peaceful protest",
        "Air/drone strike",
    ]
    assert a.schema["created_at"] == pl.Datetime("us", "UTC")


def test_rejects_name_each_problem(conv) -> None:
    got = conv.rejects.select("annotation_id", "coder", "event_key", "field", "rule", "value")
    assert got.rows() == [
        (2, "coder2@example.org", "t0c1e0", None, "annotation-rejected", None),
        (2, "coder2@example.org", "t0c1e1", "fatalities", "required-field", ""),
        (5, "coder2@example.org", "t1c1e0", "disorder_type", "required-field", ""),
        (
            5,
            "coder2@example.org",
            "t1c1e0",
            "sub_event_type",
            "sub-event-type-known",
            "Drone swarm",
        ),
        (5, "coder2@example.org", "t1c1e1", None, "annotation-rejected", None),
        (6, "coder3@example.org", "ghost", "notes", "orphan-control", "a note on no region"),
        (6, "coder3@example.org", "t1c2e0", "fatalities", "field-type", "many"),
        (
            8,
            "coder2@example.org",
            "t2c1e0",
            "evidence",
            "span-mismatch",
            "Russian jets struck farmland on the edge of Ariha on 8 March 2024.",
        ),
    ]
    assert set(conv.rejects["task_id"]) == {1, 2, 3}
    assert conv.rejects.filter(pl.col("rule") == "span-mismatch")["message"].item() == (
        "offsets 5-71 do not cut this text out of the article"
    )


def test_every_event_is_accounted_for(conv) -> None:
    events = set(conv.annotations.select("annotation_id", "event_key").rows())
    rejected = set(
        conv.rejects.filter(pl.col("event_key") != "ghost")
        .select("annotation_id", "event_key")
        .rows()
    )
    assert not events & rejected
    assert len(events) + len(rejected) == 11  # Event regions in the export


def test_skipped_and_predictions_apart(conv) -> None:
    assert conv.skipped.select("annotation_id", "coder", "article_id").rows() == [
        (3, "coder3@example.org", "idlib-0304")
    ]
    p = conv.predictions
    assert set(p["model_version"]) == {"llm-v1"}
    assert set(p["task_id"]) == {1}
    assert p.filter(pl.col("from_name") == "label")["region"].to_list() == ["pre0", "pre1"]
    assert not set(p["region"]) & set(conv.annotations["event_key"])


def test_quick_export_uses_numeric_coder_ids(cb: Codebook, conv) -> None:
    quick = read_export(QUICK, cb)
    assert quick.reconciliation() == conv.reconciliation()
    assert quick.annotations["coder"].to_list() == ["2", "2", "2", "2", "2"]
    assert quick.predictions.height == 0  # quick exports hold prediction ids only
    assert quick.annotations.drop("coder").equals(conv.annotations.drop("coder"))


def test_task_list_and_file_give_the_same_tables(cb: Codebook, conv) -> None:
    tasks = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    again = export_to_annotations(tasks, cb)
    assert again.annotations.equals(conv.annotations)
    assert again.rejects.equals(conv.rejects)


def _subset_counts(tasks, keep):
    return [{**t, "annotations": [a for a in t["annotations"] if a["id"] in keep]} for t in tasks]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.sets(st.integers(1, 9)))
def test_any_subset_of_annotations_reconciles(cb: Codebook, keep: set[int]) -> None:
    tasks = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    conv = export_to_annotations(_subset_counts(tasks, keep), cb)
    assert conv.total == len(keep)
    assert conv.total == conv.accepted + conv.rejected + conv.skipped_count
    rejected_ids = set(conv.rejects["annotation_id"])
    assert conv.rejected == len(rejected_ids)
    assert conv.skipped_count == len(keep & {3})
    assert conv.rejected == len(keep & {2, 5, 6, 8})  # each bad annotation alone is rejected
    assert set(conv.annotations["annotation_id"]) <= keep - {2, 3, 5, 6, 8}


def test_foreign_config_is_an_error_naming_file_and_task(cb: Codebook) -> None:
    with pytest.raises(ExportFormatError) as err:
        read_export(FOREIGN, cb)
    assert str(err.value).startswith(f"{FOREIGN}: task 4: made with another labeling config")
    assert err.value.path == str(FOREIGN) and err.value.task == 4
    assert "\n" not in str(err.value)


def test_unknown_label_is_an_error_naming_file_task_and_label(cb: Codebook, tmp_path: Path) -> None:
    tasks = orjson.loads(SNAPSHOT.read_bytes())
    task = tasks[1]
    result = next(r for a in task["annotations"] for r in a["result"] if r["type"] == "labels")
    result["value"]["labels"] = ["Battle"]
    path = tmp_path / "relabelled.json"
    path.write_bytes(orjson.dumps(tasks))
    with pytest.raises(ExportFormatError) as err:
        read_export(path, cb)
    assert str(err.value).startswith(f"{path}: task {task['id']}: unknown label 'Battle'")
    assert err.value.task == task["id"]


@pytest.mark.parametrize("content", [b"", b"not json", b'{"id": 1}'])
def test_non_export_files_are_errors(cb: Codebook, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ExportFormatError, match=f"^{path}: not a complete Label Studio"):
        read_export(path, cb)


def test_truncated_export_is_an_error(cb: Codebook, tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_bytes(SNAPSHOT.read_bytes()[:20000])
    with pytest.raises(ExportFormatError) as err:
        read_export(path, cb)
    assert str(err.value).startswith(f"{path}: not a complete Label Studio JSON export")
    assert "\n" not in str(err.value)


def test_cli_writes_tables_and_prints_the_line(cb: Codebook, conv, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["convert", str(SNAPSHOT), "--out", str(tmp_path)])
    assert result.exit_code == 1  # some annotations were rejected
    assert "9 annotations: 4 accepted, 4 rejected, 1 skipped" in result.output
    assert pl.read_parquet(tmp_path / "annotations.parquet").equals(conv.annotations)
    assert pl.read_parquet(tmp_path / "rejects.parquet").equals(conv.rejects)
    assert pl.read_parquet(tmp_path / "skipped.parquet").height == 1
    assert pl.read_parquet(tmp_path / "predictions.parquet").height == conv.predictions.height
    assert not list(tmp_path.glob("*.part"))
    foreign = CliRunner().invoke(app, ["convert", str(FOREIGN), "--out", str(tmp_path)])
    assert foreign.exit_code == 2
    assert "made with another labeling config" in foreign.output


def test_cli_prints_the_config(cb: Codebook) -> None:
    from eventcoder.annotate.config import labeling_config

    result = CliRunner().invoke(app, ["project", "config"])
    assert result.exit_code == 0
    assert result.output == labeling_config(cb) + "\n"


def test_cli_writes_the_config_to_a_file(cb: Codebook, tmp_path: Path) -> None:
    from eventcoder.annotate.config import labeling_config

    out = tmp_path / "config.xml"
    result = CliRunner().invoke(app, ["project", "config", "-o", str(out)])
    assert result.exit_code == 0
    assert result.output.startswith("wrote ")
    assert out.read_text(encoding="utf-8") == labeling_config(cb) + "\n"


# ---- offsets outside the Basic Multilingual Plane ------------------------------------------

ASTRAL = ["🔥", "𝐀", "😀", "𠀋", "🇸🇾"]  # emoji, a mathematical letter, a CJK extension B, a flag
BMP = ["a", " ", "é", "ع", "ß", "中", "—", "\n"]


def _utf16(text: str, i: int) -> int:
    """The UTF-16 offset of code point offset ``i`` (as a JavaScript editor would count)."""
    return len(text[:i].encode("utf-16-le")) // 2


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(ASTRAL + BMP), max_size=40).map("".join),
    st.data(),
)
def test_utf16_offsets_map_back_to_the_same_substring(text: str, data) -> None:
    n = len(text)
    pairs = data.draw(
        st.lists(st.tuples(st.integers(0, n), st.integers(0, n)).map(sorted), max_size=6)
    )
    starts = np.array([_utf16(text, a) for a, _ in pairs], dtype=np.int64)
    ends = np.array([_utf16(text, b) for _, b in pairs], dtype=np.int64)
    s, e, ok = utf16_to_code_points(text, starts, ends)
    assert ok.all()
    assert [(int(a), int(b)) for a, b in zip(s, e, strict=True)] == [tuple(p) for p in pairs]
    assert [text[a:b] for a, b in zip(s, e, strict=True)] == [text[a:b] for a, b in pairs]


def test_utf16_offsets_that_split_a_character_or_overrun_are_invalid() -> None:
    text = "a🔥b"  # UTF-16 units: a, high, low, b
    s, e, ok = utf16_to_code_points(text, np.array([0, 2, 0, 3, -1]), np.array([4, 4, 5, 1, 1]))
    assert ok.tolist() == [True, False, False, False, False]
    assert (int(s[0]), int(e[0])) == (0, 3)
    assert utf16_to_code_points("", np.array([0]), np.array([0]))[2].tolist() == [True]


def _with_text(prefix: str, unit: str, shift: int = 0, inner: str = "") -> list[dict]:
    """The snapshot with article idlib-0308 led by ``prefix`` (hand-built from the recording).

    ``inner`` goes after the article's first word; every region of that task is moved to the
    same characters of the new text, counted in ``unit`` ("utf16" or "codepoint"), its text
    cut from the new article; ``shift`` moves annotation 7's offsets further (a wrong offset).
    """
    tasks = orjson.loads(SNAPSHOT.read_bytes())
    task = next(t for t in tasks if t["data"]["id"] == "idlib-0308")
    old = task["data"]["text"]
    word = old.index(" ")  # after "Russian"
    new = prefix + old[:word] + inner + old[word:]
    task["data"]["text"] = new

    def moved(i: int) -> int:  # code point offset in the new text
        return i + len(prefix) + (len(inner) if i > word else 0)

    for ann in task["annotations"]:
        for r in ann["result"]:
            v = r["value"]
            if "start" not in v:
                continue
            s, e = moved(v["start"]), moved(v["end"])
            if r["type"] == "labels" and v["text"] == old[v["start"] : v["end"]]:
                v["text"] = new[s:e]
            if unit == "utf16":
                s, e = _utf16(new, s), _utf16(new, e)
            v["start"], v["end"] = s, e
            if ann["id"] == 7:
                v["start"] += shift
                v["end"] += shift
    return tasks


@pytest.mark.parametrize("unit", ["utf16", "codepoint"])
def test_emoji_before_and_inside_spans_is_no_reject(cb: Codebook, conv, unit: str) -> None:
    conv2 = export_to_annotations(_with_text("🔥 𝐀 Update 😀: ", unit, inner=" 🇸🇾"), cb)
    assert conv2.reconciliation() == conv.reconciliation()
    got = conv2.annotations.filter(pl.col("article_id") == "idlib-0308").row(0, named=True)
    assert (
        got["evidence"] == "Russian 🇸🇾 jets struck farmland on the edge of Ariha on 8 March 2024."
    )
    assert (got["span_start"], got["span_end"]) == (14, 83)  # code points
    # the same rejects as the plain recording, except the mismatch message's offsets
    assert conv2.rejects.drop("message").equals(conv.rejects.drop("message"))
    recounted = conv2.warnings.filter(pl.col("rule") == "utf16-offsets")
    if unit == "codepoint":  # what Label Studio 1.23.2's editor sends: nothing to recount
        assert recounted.height == 0
    else:
        assert recounted.select("annotation_id", "event_key", "value").rows() == [
            (7, "t2c0e0", "17-88")  # 3 characters outside the BMP before, 2 inside
        ]
        assert recounted["message"].item() == (
            "offsets counted in UTF-16 code units; kept as code points 14-83"
        )


@pytest.mark.parametrize("shift", [1, -1, 2])
def test_a_wrong_offset_in_an_emoji_article_is_still_a_span_mismatch(
    cb: Codebook, shift: int
) -> None:
    conv2 = export_to_annotations(_with_text("🔥 𝐀 Update 😀: ", "utf16", shift=shift), cb)
    bad = conv2.rejects.filter(pl.col("annotation_id") == 7)
    assert bad.select("event_key", "rule").rows() == [("t2c0e0", "span-mismatch")]
    assert 7 not in conv2.annotations["annotation_id"].to_list()


# ---- recorded: an article with emoji, coded in Label Studio 1.23.2's own editor --------------

UNICODE = DATA / "ls_export_unicode.json"
EVENT_TEXT = "Russian jets 🛩️ struck farmland near Ariha on 8 March 2024 (no one hurt 🙏)."


@pytest.fixture(scope="module")
def uni(cb: Codebook):
    return read_export(UNICODE, cb)


def test_the_editor_sends_code_point_offsets() -> None:
    """coder1's regions were made in the real editor (Chromium): they cut Python's text."""
    task = orjson.loads(UNICODE.read_bytes())[0]
    text = task["data"]["text"]
    browser = next(
        a for a in task["annotations"] if a["completed_by"]["email"].startswith("coder1")
    )
    values = [r["value"] for r in browser["result"]]
    assert [(v["start"], v["end"], v["text"]) for v in values] == [
        (21, 33, "Russian jets"),  # UTF-16 would be 27-39: three astral characters before
        (34, 36, "🛩️"),
        (58, 63, "Ariha"),
        (67, 79, "8 March 2024"),
    ]
    assert all(text[v["start"] : v["end"]] == v["text"] for v in values)


def test_recorded_emoji_article_converts(uni) -> None:
    assert uni.reconciliation() == "4 annotations: 3 accepted, 1 rejected, 0 skipped"
    a = uni.annotations
    assert a.select("coder", "span_start", "span_end", "evidence").rows() == [
        ("coder2@example.org", 21, 96, EVENT_TEXT),  # code points, as the editor sends
        ("coder3@example.org", 21, 96, EVENT_TEXT),  # UTF-16 in the export, recounted
    ]
    assert a["location"].to_list() == ["Ariha", "Ariha"]
    # only the genuinely wrong offsets (one code point too far) are rejected
    assert uni.rejects.select("coder", "event_key", "rule", "message").rows() == [
        (
            "coder4@example.org",
            "u0",
            "span-mismatch",
            "offsets 22-97 do not cut this text out of the article",
        )
    ]
    assert uni.warnings.select("coder", "event_key", "field", "rule", "value").rows() == [
        ("coder3@example.org", "u0", "evidence", "utf16-offsets", "27-104"),
        ("coder3@example.org", "u1", "mention", "utf16-offsets", "65-70"),
    ]


def test_recorded_emoji_article_mentions(uni) -> None:
    m = uni.mentions
    assert m.select("coder", "label", "span_start", "span_end", "text").rows() == [
        ("coder1@example.org", "Actor", 21, 33, "Russian jets"),
        ("coder1@example.org", "Actor", 34, 36, "🛩️"),
        ("coder1@example.org", "Place", 58, 63, "Ariha"),
        ("coder1@example.org", "Date", 67, 79, "8 March 2024"),
        ("coder2@example.org", "Place", 58, 63, "Ariha"),
        ("coder3@example.org", "Place", 58, 63, "Ariha"),  # recounted from UTF-16 65-70
    ]
    text = orjson.loads(UNICODE.read_bytes())[0]["data"]["text"]
    assert all(text[s:e] == t for s, e, t in m.select("span_start", "span_end", "text").rows())
    assert set(m["task_id"]) == {5} and set(m["article_id"]) == {"idlib-0309"}


def test_mentions_of_accepted_annotations_only(conv) -> None:
    m = conv.mentions
    assert m.schema == pl.Schema(MENTION_SCHEMA)
    assert m.select("annotation_id", "coder", "region", "label", "text").rows() == [
        (1, "coder1@example.org", "t0c0m2", "Actor", "Government artillery"),
        (1, "coder1@example.org", "t0c0m3", "Place", "Kafr Nabl"),
        (1, "coder1@example.org", "t0c0m4", "Date", "Monday 4 March 2024"),
        (1, "coder1@example.org", "t0c0m5", "Fatalities", "three farmers"),
        (4, "coder1@example.org", "t1c0m2", "Place", "Saraqib"),
    ]
    # coder2's Place mention (annotation 2) is in the export but the annotation is rejected
    tasks = orjson.loads(SNAPSHOT.read_bytes())
    placed = [
        r["id"]
        for t in tasks
        for a in t["annotations"]
        for r in a["result"]
        if r["type"] == "labels" and r["value"]["labels"] != ["Event"]
    ]
    assert "t0c1p2" in placed and "t0c1p2" not in m["region"].to_list()
    assert m.select("span_start", "span_end").row(0) == (0, 20)


def test_a_mention_with_wrong_offsets_rejects_its_annotation(cb: Codebook) -> None:
    tasks = orjson.loads(SNAPSHOT.read_bytes())
    ann = next(a for t in tasks for a in t["annotations"] if a["id"] == 1)
    mention = next(r for r in ann["result"] if r["id"] == "t0c0m3")
    mention["value"]["start"] += 1
    conv2 = export_to_annotations(tasks, cb)
    bad = conv2.rejects.filter(pl.col("annotation_id") == 1)
    assert bad.filter(pl.col("rule") == "span-mismatch").select("event_key", "field").rows() == [
        ("t0c0m3", "mention")
    ]
    assert 1 not in conv2.mentions["annotation_id"].to_list()
    assert 1 not in conv2.annotations["annotation_id"].to_list()


def test_cli_writes_mentions(cb: Codebook, uni, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["convert", str(UNICODE), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "4 annotations: 3 accepted, 1 rejected, 0 skipped" in result.output
    assert pl.read_parquet(tmp_path / "mentions.parquet").equals(uni.mentions)


def test_one_reader_for_exports_and_written_tables(cb: Codebook, conv, tmp_path: Path) -> None:
    from eventcoder.annotate.convert import read_annotations, write_conversion
    from eventcoder.datasets.align import read_aligned
    from eventcoder.errors import InputError

    events, coded = read_annotations(SNAPSHOT, cb)
    assert events.equals(conv.annotations) and coded is not None and coded.equals(conv.coded)
    paths = write_conversion(conv, tmp_path)
    events, coded = read_annotations(paths["annotations"], cb)
    assert events.equals(conv.annotations)
    assert coded is not None and coded.equals(conv.coded)  # picked up from beside the table
    # adjudicate and release read through the same door: an export is aligned as it comes
    assert read_aligned(SNAPSHOT, cb)["aligned_event"].null_count() == 0
    other = tmp_path / "other.parquet"
    pl.DataFrame({"article_id": ["a"]}).write_parquet(other)
    with pytest.raises(InputError, match="lacks column.*coder, event_key"):
        read_annotations(other, cb)


def test_tables_are_read_back_from_a_folder_named_like_a_pattern(
    cb: Codebook, conv, tmp_path: Path
) -> None:
    # "[draft]" is part of the folder's name: read as a glob it matched nothing and was refused
    from eventcoder.annotate.convert import read_annotations, write_conversion

    paths = write_conversion(conv, tmp_path / "run [draft]")
    events, coded = read_annotations(paths["annotations"], cb)
    assert events.equals(conv.annotations)
    assert coded is not None and coded.equals(conv.coded)


# ---- recorded: articles in paragraphs, coded in Label Studio 1.23.2's own editor -------------
# (tests/annotate/test_editor.py drives the editor the same way against a live server)

PARAGRAPHS = {
    "lf": DATA / "ls_export_paragraphs_lf.json",
    "crlf": DATA / "ls_export_paragraphs_crlf.json",
    # doubled spaces, spaces before the line breaks, a tab inside a region
    "spacing": DATA / "ls_export_paragraphs_spacing.json",
    "nbsp": DATA / "ls_export_paragraphs_nbsp.json",  # no-break spaces: kept, not collapsed
    "blank-lines": DATA / "ls_export_paragraphs_blank_lines.json",  # " \n \n" between paragraphs
}


@pytest.mark.parametrize("layout", sorted(PARAGRAPHS))
def test_the_editor_stores_the_text_as_shown(layout: str) -> None:
    """Known answers from the real editor: offsets count every character; the stored text is
    the selection as shown (spaces collapsed, line breaks escaped)."""
    task = orjson.loads(PARAGRAPHS[layout].read_bytes())[0]
    text = task["data"]["text"]
    values = [r["value"] for r in task["annotations"][0]["result"]]
    assert len(values) == 7
    assert all(editor_text(text[v["start"] : v["end"]]) == v["text"] for v in values)
    across = next(v for v in values if "\\" in v["text"])
    assert across["text"].replace("\u00a0", " ") == "before dawn on 2 June.\\n\\nBy the morning"
    assert text[across["start"] : across["end"]] != across["text"]


@pytest.mark.parametrize("layout", sorted(PARAGRAPHS))
def test_regions_across_and_after_line_breaks_convert(cb: Codebook, layout: str) -> None:
    conv2 = read_export(PARAGRAPHS[layout], cb)
    assert conv2.reconciliation() == "1 annotations: 1 accepted, 0 rejected, 0 skipped"
    text = orjson.loads(PARAGRAPHS[layout].read_bytes())[0]["data"]["text"]
    rows = conv2.mentions.select("label", "span_start", "span_end", "text").rows()
    assert len(rows) == 7
    assert all(text[s:e] == t for _, s, e, t in rows)  # the article's own text
    dates = [t for label, _, _, t in rows if label == "Date" and "\n" in t]
    assert len(dates) == 1 and dates[0].startswith("before") and dates[0].endswith("morning")


_WHITESPACE_TEXT = st.text(alphabet=st.sampled_from(list("ab. \t\r\n\\")), max_size=40)


@settings(max_examples=200, deadline=None)
@given(st.lists(_WHITESPACE_TEXT, min_size=1, max_size=20))
def test_editor_text_in_sql_is_editor_text_in_python(texts: list[str]) -> None:
    """The converter checks regions in SQL; the rule is written down once more in Python."""
    import duckdb

    from eventcoder.annotate.convert.offsets import EDITOR_TEXT_SQL

    con = duckdb.connect()
    con.register("t", pl.DataFrame({"s": texts}, schema={"s": pl.String}).to_arrow())
    got = [r[0] for r in con.execute(f"SELECT {EDITOR_TEXT_SQL.format('s')} FROM t").fetchall()]
    assert got == [editor_text(t) for t in texts]


def _event_across_paragraphs(path: Path, shift: int = 0) -> list[dict]:
    """The recording, its cross-paragraph Date region turned into a coded Event region."""
    tasks = orjson.loads(path.read_bytes())
    tasks[0]["data"]["source"] = "Enab Baladi"  # the article's source, as an import would give
    result = tasks[0]["annotations"][0]["result"]
    across = next(r for r in result if "\\" in r["value"]["text"])
    value = dict(across["value"], start=across["value"]["start"] + shift)
    value["end"] += shift
    fields = {
        "event_date": ["2020-06-02"],
        "time_precision": ["1"],
        "event_type": ["Explosions/Remote violence"],
        "sub_event_type__explosions_remote_violence": ["Air/drone strike"],
        "actor1": ["Military Forces of Russia (2000-)"],
        "inter1": ["External/Other forces"],
        "location": ["Kansafra"],
        "geo_precision": ["1"],
        "fatalities": 0,
        "notes": ["Warplanes struck Kansafra; two people were wounded."],
    }
    across["value"] = dict(value, labels=["Event"])
    for name, got in fields.items():
        kind = "number" if name == "fatalities" else "choices"
        if name in ("event_date",):
            kind, got = "datetime", got[0]
        if name in ("actor1", "location", "notes"):
            kind = "textarea"
        key = {"number": "number", "choices": "choices", "datetime": "datetime", "textarea": "text"}
        result.append(
            {
                "id": across["id"],
                "from_name": name,
                "to_name": "text",
                "type": kind,
                "origin": "manual",
                "value": dict(value, **{key[kind]: got}),
            }
        )
    return tasks


@pytest.mark.parametrize("layout", sorted(PARAGRAPHS))
def test_an_event_told_over_two_paragraphs_keeps_the_articles_text(
    cb: Codebook, layout: str
) -> None:
    tasks = _event_across_paragraphs(PARAGRAPHS[layout])
    conv2 = export_to_annotations(tasks, cb)
    assert conv2.rejects.height == 0, conv2.rejects.to_dicts()
    text = tasks[0]["data"]["text"]
    event = conv2.annotations.row(0, named=True)
    start, end = event["span_start"], event["span_end"]
    assert text[start:end].startswith("before") and text[start:end].endswith("morning")
    assert event["evidence"] == text[start:end]


@pytest.mark.parametrize(("layout", "shift"), [("lf", 1), ("lf", -1), ("spacing", 1)])
def test_a_region_shown_alike_but_cut_wrong_is_still_a_span_mismatch(
    cb: Codebook, layout: str, shift: int
) -> None:
    conv2 = export_to_annotations(_event_across_paragraphs(PARAGRAPHS[layout], shift), cb)
    assert conv2.rejects.select("field", "rule").rows() == [("evidence", "span-mismatch")]
