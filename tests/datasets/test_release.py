"""Releases: stable ids, changelog, immutability, atomic writes, verify, readers, Frictionless."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import frictionless
import pandas as pd
import polars as pl
import pyarrow as arrow
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from eventcoder.datasets import release_tables
from eventcoder.datasets.adjudicate import adjudicate
from eventcoder.datasets.ids import assign_ids, highest_serials
from eventcoder.datasets.release import publish, read_events, verify
from eventcoder.errors import ReleaseError, ReleaseExistsError
from tests.datasets.coded import PROTEST, SHELLING, STRIKE, coded, rows

T1 = datetime(2024, 3, 1, tzinfo=timezone.utc)
T2 = datetime(2024, 4, 1, tzinfo=timezone.utc)


def three(base: dict, article: str, k: int, **per_coder: dict) -> list[dict]:
    return [coded(article, k, f"{c}@ex.org", base, **per_coder.get(c, {})) for c in "xyz"]


def first_release(cb, root: Path, version: str = "1.0.0", **kw):
    ann = rows(cb, [*three(SHELLING, "a1", 1), *three(STRIKE, "a1", 2), *three(PROTEST, "a2", 1)])
    return publish(
        adjudicate(ann, cb),
        ann,
        None,
        None,
        cb,
        name="idleb",
        version=version,
        root=root,
        now=T1,
        **kw,
    )


def second_release(cb, root: Path):
    # a1: the shelling's fatalities corrected (0 -> 2), the strike gone; a2 unchanged;
    # a3 is a new article, and its event is listed first in the input.
    ann = rows(
        cb,
        [
            *three(STRIKE, "a3", 1, span_start=0),
            *three(PROTEST, "a2", 1),
            *three(SHELLING, "a1", 1, x={"fatalities": 2}, y={"fatalities": 2}),
        ],
    )
    return publish(
        adjudicate(ann, cb), ann, None, None, cb, name="idleb", version="1.1.0", root=root, now=T2
    )


def by_location(path: Path) -> dict[str, tuple]:
    ev = read_events(path)
    return {
        r["location"]: (r["event_id_cnty"], r["fatalities"], r["timestamp"])
        for r in ev.iter_rows(named=True)
    }


def test_ids_are_stable_across_releases_and_the_changelog_says_exactly_what_changed(cb, tmp_path):
    r1 = first_release(cb, tmp_path)
    assert by_location(r1.path) == {
        "Kansafra": ("SYR1", 0, 1709251200),
        "Mozra": ("SYR2", 1, 1709251200),
        "Sarmada": ("SYR3", 0, 1709251200),
    }
    r2 = second_release(cb, tmp_path)
    assert r2.previous == "1.0.0"
    assert r2.changes == {"added": 1, "removed": 1, "changed": 1}
    # Kept ids; the strike of the new article is a new event (SYR4), SYR2 is never reused.
    assert by_location(r2.path) == {
        "Kansafra": ("SYR1", 2, 1711929600),
        "Sarmada": ("SYR3", 0, 1709251200),
        "Mozra": ("SYR4", 1, 1711929600),
    }
    log = (r2.path / "CHANGELOG.md").read_text()
    section = log.split("## idleb 1.0.0")[0]
    assert "1 event(s) added, 1 removed, 1 changed (against 1.0.0)." in section
    assert "### Added\n\nSYR4\n" in section
    assert "### Removed\n\nSYR2\n" in section
    assert "### Changed\n\n- SYR1: fatalities '0' -> '2'\n" in section
    assert section.count("\n- ") == 1
    assert "## idleb 1.0.0 (2024-03-01)" in log  # the older log is kept below
    changes = pl.read_parquet(r2.path / "changes.parquet").sort("event_id_cnty")
    assert changes.select("event_id_cnty", "change", "field").rows() == [
        ("SYR1", "changed", "fatalities"),
        ("SYR2", "removed", None),
        ("SYR4", "added", None),
    ]
    assert json.loads((r2.path / "ids.json").read_text())["highest_serial"] == {"SYR": 4}


def test_a_removed_highest_id_is_never_reissued(cb):
    gold = adjudicate(rows(cb, [*three(SHELLING, "a1", 1), *three(STRIKE, "a1", 2)]), cb).gold
    first = assign_ids(gold, cb)
    assert first.events["event_id_cnty"].to_list() == ["SYR1", "SYR2"]
    previous = first.events.filter(pl.col("event_id_cnty") == "SYR1")  # SYR2 removed later
    again = assign_ids(gold, cb, previous, {"SYR": 2})
    assert sorted(again.events["event_id_cnty"].to_list()) == ["SYR1", "SYR3"]
    assert (again.inherited, again.issued, again.serials) == (1, 1, {"SYR": 3})
    assert highest_serials(pl.Series(["SYR9", "SYR10", "LBN2", None])) == {"LBN": 2, "SYR": 10}


def test_an_article_that_repeats_an_event_keeps_both_ids(cb):
    # Two identical shellings in one article (say, on two streets ACLED codes to one place):
    # their fingerprints are equal, and each must still keep its own id.
    gold = adjudicate(rows(cb, [*three(SHELLING, "a1", 1), *three(STRIKE, "a1", 2)]), cb).gold
    twin = gold.with_columns(
        [pl.col(c).first() for c in gold.columns if c not in ("aligned_event", "coders")]
    )
    first = assign_ids(twin, cb)
    assert sorted(first.events["event_id_cnty"].to_list()) == ["SYR1", "SYR2"]
    again = assign_ids(twin, cb, first.events, first.serials)
    assert sorted(again.events["event_id_cnty"].to_list()) == ["SYR1", "SYR2"]
    assert (again.inherited, again.issued) == (2, 0)


def test_a_published_version_is_never_overwritten(cb, tmp_path):
    r1 = first_release(cb, tmp_path)
    before = (r1.path / "SHA256SUMS").read_text()
    with pytest.raises(ReleaseExistsError, match="immutable"):
        first_release(cb, tmp_path)
    with pytest.raises(ReleaseError, match="not above the latest release 1.0.0"):
        first_release(cb, tmp_path, version="0.9.0")
    with pytest.raises(ReleaseError, match="not semantic"):
        first_release(cb, tmp_path, version="1.0")
    assert (r1.path / "SHA256SUMS").read_text() == before
    assert verify(r1.path).ok


def test_a_crash_while_writing_leaves_no_partial_release(cb, tmp_path, monkeypatch):
    calls = []
    write = release_tables.write_parquet

    def crash(frame, schema, folder, name):
        calls.append(name)
        if name == "annotations.parquet":
            raise OSError("disk full")
        return write(frame, schema, folder, name)

    monkeypatch.setattr(release_tables, "write_parquet", crash)
    with pytest.raises(OSError, match="disk full"):
        first_release(cb, tmp_path)
    assert "events.parquet" in calls  # the crash came half-way
    assert [p.name for p in (tmp_path / "idleb").iterdir()] == [".lock"]


def test_leftovers_of_a_killed_run_are_cleaned_with_one_note(cb, tmp_path):
    stale = tmp_path / "idleb" / ".1.0.0.partial-999999999-abc"
    (stale / "events").mkdir(parents=True)
    r1 = first_release(cb, tmp_path)
    assert not stale.exists()
    assert r1.notes == (
        "removed 1 unfinished release folder(s) left by an interrupted run: "
        ".1.0.0.partial-999999999-abc",
    )
    assert sorted(p.name for p in (tmp_path / "idleb").iterdir()) == [".lock", "1.0.0"]


def test_verify_names_a_file_with_a_flipped_byte(cb, tmp_path):
    r1 = first_release(cb, tmp_path)
    assert verify(r1.path).ok
    target = r1.path / "events.parquet"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    report = verify(r1.path)
    assert not report.ok
    assert report.changed == ("events.parquet",)
    assert report.problems()[0] == "events.parquet: contents changed (checksum differs)"
    (r1.path / "extra.txt").write_text("x")
    (r1.path / "README.md").unlink()
    report = verify(r1.path)
    assert (report.missing, report.unlisted) == (("README.md",), ("extra.txt",))


def test_gold_events_with_a_required_field_blank_are_refused(cb, tmp_path):
    # A plain frame of gold events (not an adjudication) whose fatalities were never decided.
    ann = rows(cb, [*three(SHELLING, "a1", 1), *three(STRIKE, "a1", 2)])
    gold = adjudicate(ann, cb).gold.with_columns(
        pl.when(pl.col("aligned_event").str.ends_with("#2"))
        .then(None)
        .otherwise(pl.col("fatalities"))
        .alias("fatalities")
    )
    with pytest.raises(ReleaseError, match="row 2: fatalities blank breaks required-field"):
        publish(gold, ann, None, None, cb, name="idleb", version="1.0.0", root=tmp_path, now=T1)
    assert not (tmp_path / "idleb").exists()  # refused before anything was written


def _rewrite_events(release: Path, cast: dict[str, arrow.DataType]) -> None:
    """Rewrite events.parquet with some columns cast, and list its new checksum, as a release
    whose files were written that way would have it."""
    target = release / "events.parquet"
    table = pq.read_table(target)
    schema = arrow.schema([f.with_type(cast.get(f.name, f.type)) for f in table.schema])
    pq.write_table(table.cast(schema), target)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    sums = release / "SHA256SUMS"
    sums.write_text(
        "".join(
            f"{digest}  events.parquet\n" if line.endswith("  events.parquet") else line + "\n"
            for line in sums.read_text().splitlines()
        )
    )


def test_verify_reads_text_columns_of_either_arrow_width(cb, tmp_path):
    # Releases written before polars wrote the files declared text as `string`.
    r1 = first_release(cb, tmp_path)
    _rewrite_events(r1.path, {"location": arrow.string(), "notes": arrow.string()})
    assert pq.read_schema(r1.path / "events.parquet").field("location").type == arrow.string()
    assert verify(r1.path).ok, verify(r1.path).problems()
    _rewrite_events(r1.path, {"fatalities": arrow.string()})
    assert verify(r1.path).problems() == [
        "events.parquet: column fatalities is string, the codebook says int64"
    ]


def test_datapackage_passes_frictionless_validate(cb, tmp_path):
    r1 = first_release(cb, tmp_path)
    report = frictionless.validate(r1.path / "datapackage.json")
    assert report.valid, report.flatten(["resourceName", "type", "note"])
    package = json.loads((r1.path / "datapackage.json").read_text())
    events = next(r for r in package["resources"] if r["name"] == "events")
    fields = {f["name"]: f for f in events["schema"]["fields"]}
    assert fields["event_date"]["type"] == "date"
    assert fields["fatalities"]["type"] == "integer"
    assert fields["fatalities"]["description"].startswith("Reported deaths")
    assert "Battles" in fields["event_type"]["constraints"]["enum"]
    assert events["schema"]["primaryKey"] == ["event_id_cnty"]


def _three_readers(path: str, hive: bool = False) -> list[pl.DataFrame]:
    pandas = pl.from_pandas(pd.read_parquet(path, dtype_backend="pyarrow"))
    polars = (
        pl.read_parquet(path, hive_partitioning=hive)
        if not hive
        else pl.scan_parquet(path, hive_partitioning=True).collect()
    )
    glob = f"{path}/**/*.parquet" if hive else path
    duck = duckdb.sql(f"select * from read_parquet('{glob}', hive_partitioning={hive})").pl()
    # DuckDB names UTC "Etc/UTC": the same zone, so compare instants in one spelling.
    frames = [
        f.with_columns(pl.col(pl.Datetime).dt.convert_time_zone("UTC"))
        for f in (pandas, polars, duck)
    ]
    return [f.sort("event_id_cnty") if "event_id_cnty" in f.columns else f for f in frames]


def test_parquet_reads_back_identically_in_pandas_polars_and_duckdb(cb, tmp_path):
    r1 = first_release(cb, tmp_path)
    schema = pq.read_schema(r1.path / "events.parquet")
    assert b"pandas" not in (schema.metadata or {})
    assert str(schema.field("event_date").type) == "date32[day]"
    assert str(schema.field("fatalities").type) == "int64"
    assert str(schema.field("location").type) == "large_string"
    for name in ("events.parquet", "annotations.parquet"):
        pandas, polars, duck = _three_readers(str(r1.path / name))
        assert_frame_equal(pandas, polars)
        assert_frame_equal(duck, polars)
    assert_frame_equal(
        _three_readers(str(r1.path / "events.parquet"))[1],
        read_events(r1.path).sort("event_id_cnty"),
    )


def partitioned_release(cb, root: Path, version: str = "1.0.0", now=T1):
    """Three events forced into partitions: Syria 2020 (two events) and 2021 (one)."""
    ann = rows(
        cb,
        [
            *three(SHELLING, "a1", 1),
            *three(STRIKE, "a1", 2),
            *three({**PROTEST, "event_date": date(2021, 6, 5)}, "a2", 1),
        ],
    )
    release = publish(
        adjudicate(ann, cb),
        ann,
        None,
        None,
        cb,
        name="big",
        version=version,
        root=root,
        now=now,
        partition_rows=2,
    )
    return release, ann


def test_a_large_release_is_a_hive_dataset_every_reader_sees_as_one_table(cb, tmp_path):
    r, _ = partitioned_release(cb, tmp_path)
    assert r.partitioned
    files = sorted(p.relative_to(r.path).as_posix() for p in (r.path / "events").rglob("*.parquet"))
    assert files == [
        "events/country=Syria/year=2020/part-0.parquet",
        "events/country=Syria/year=2021/part-0.parquet",
    ]
    expected = read_events(r.path).sort("event_id_cnty")
    assert expected.height == 3 and expected.columns[0] == "event_id_cnty"
    pandas, polars, duck = _three_readers(str(r.path / "events"), hive=True)
    cols = expected.columns
    for frame in (polars, duck):
        assert_frame_equal(frame.select(cols).with_columns(pl.col("year").cast(pl.Int64)), expected)
    assert verify(r.path).ok
    assert frictionless.validate(r.path / "datapackage.json").valid
    # The next release of a partitioned dataset reads the previous one and keeps its ids.
    r2, _ = partitioned_release(cb, tmp_path, "1.0.1", T2)
    assert r2.changes == {"added": 0, "removed": 0, "changed": 0}
    assert_frame_equal(read_events(r2.path).sort("event_id_cnty"), expected)


def test_card_has_a_hugging_face_header_and_datasheet_sections(cb, tmp_path):
    agreement = tmp_path / "agreement"
    agreement.mkdir()
    pl.DataFrame({"field": ["event_type", "fatalities"], "alpha": [0.91, 0.72]}).write_csv(
        agreement / "fields.csv"
    )
    ann = rows(cb, [*three(SHELLING, "a1", 1)])
    r = publish(
        adjudicate(ann, cb),
        ann,
        None,
        agreement,
        cb,
        name="card",
        version="1.0.0",
        root=tmp_path / "ds",
        now=T1,
    )
    text = (r.path / "README.md").read_text()
    header = text.split("---\n")[1]
    assert "license: cc-by-4.0" in header and "path: events.parquet" in header
    for section in (
        "## Motivation",
        "## Composition",
        "## Coverage",
        "## Collection process",
        "## Preprocessing and labelling",
        "## Agreement",
        "## Uses",
        "## Known limitations",
        "## Distribution",
        "## Maintenance",
        "## Citation",
    ):
        assert section in text
    assert "| event_type | 0.910 |" in text
    assert "Events from 2020-06-04 to 2020-06-04." in text
    assert (r.path / "agreement" / "fields.csv").exists()


def test_cli_adjudicate_release_verify(cb, tmp_path):
    from typer.testing import CliRunner

    from eventcoder.cli import app

    ann = rows(cb, [*three(SHELLING, "a1", 1), *three(STRIKE, "a1", 2, z={"location": "Atma"})])
    ann.write_parquet(tmp_path / "aligned.parquet")
    runner = CliRunner()
    res = runner.invoke(
        app, ["adjudicate", str(tmp_path / "aligned.parquet"), "-o", str(tmp_path / "adj")]
    )
    assert res.exit_code == 0, res.output
    assert pl.read_parquet(tmp_path / "adj" / "gold.parquet").height == 2
    args = [
        "release",
        "--name",
        "cli",
        "--version",
        "1.0.0",
        "--root",
        str(tmp_path / "ds"),
        "--annotations",
        str(tmp_path / "aligned.parquet"),
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "cli 1.0.0: 2 events (2 added" in res.output
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "immutable" in again.output
    path = tmp_path / "ds" / "cli" / "1.0.0"
    assert runner.invoke(app, ["verify", str(path)]).exit_code == 0
    (path / "codebook.yaml").write_text((path / "codebook.yaml").read_text() + "#\n")
    res = runner.invoke(app, ["verify", str(path)])
    assert res.exit_code == 1 and "codebook.yaml: contents changed" in res.output


def _card_files(card: str) -> list[str]:
    table = card.split("## Composition")[1].split("## Coverage")[0]
    return [line.split("`")[1] for line in table.splitlines() if line.startswith("| `")]


def _listed_everywhere(path: Path) -> None:
    """The card and datapackage.json list exactly the files of the release at ``path``."""
    present = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}
    package = json.loads((path / "datapackage.json").read_text())
    assert {r["path"] for r in package["resources"]} | {"datapackage.json"} == present
    listed = _card_files((path / "README.md").read_text())
    assert all((path / name).exists() for name in listed)
    for rel in present:
        assert rel in listed or any(n.endswith("/") and rel.startswith(n) for n in listed), rel


@pytest.mark.parametrize("adjudicated", [True, False])
def test_card_and_datapackage_list_exactly_the_files_and_the_review_queue_as_written(
    cb, tmp_path, adjudicated
):
    # Three coders place the strike in three places: it goes to the review queue.
    ann = rows(
        cb,
        [
            *three(SHELLING, "a1", 1),
            *three(STRIKE, "a1", 2, y={"location": "Atma"}, z={"location": "Sarmada"}),
        ],
    )
    adj = adjudicate(ann, cb)
    assert adj.review.height > 0 and adj.gold.height == 1
    agreement = tmp_path / "agreement"
    agreement.mkdir()
    (agreement / "agreement.json").write_text("{}")
    r = publish(
        adj if adjudicated else adj.gold,
        ann,
        None,
        agreement,
        cb,
        name="cards",
        version="1.0.0",
        root=tmp_path / "ds",
        now=T1,
    )
    _listed_everywhere(r.path)
    card = (r.path / "README.md").read_text()
    assert frictionless.validate(r.path / "datapackage.json").valid
    if adjudicated:
        queue = pl.read_parquet(r.path / "review.parquet")
        events, rows_ = queue["aligned_event"].n_unique(), queue.height
        assert (events, rows_) == (1, adj.review.height)
        assert f"{events} event(s) await an adjudicator ({rows_} row(s) in `review.parquet`" in card
        assert (
            f"| `review.parquet` | disagreements left for an adjudicator, one row per event, "
            f"field and coder ({rows_} rows) |" in card
        )
    else:
        assert not (r.path / "review.parquet").exists()
        assert "review.parquet" not in _card_files(card)
        assert "decisions.parquet" not in _card_files(card)
        assert "made from gold events alone, without the adjudication's review queue" in card


def test_a_partitioned_release_lists_every_file_too(cb, tmp_path):
    r, _ = partitioned_release(cb, tmp_path)
    _listed_everywhere(r.path)


def test_cli_release_takes_the_adjudication_folder_whole(cb, tmp_path):
    from typer.testing import CliRunner

    from eventcoder.cli import app

    ann = rows(
        cb,
        [
            *three(SHELLING, "a1", 1),
            *three(STRIKE, "a1", 2, y={"location": "Atma"}, z={"location": "Sarmada"}),
        ],
    )
    ann.write_parquet(tmp_path / "aligned.parquet")
    runner = CliRunner()
    adj_dir = tmp_path / "adj"
    res = runner.invoke(app, ["adjudicate", str(tmp_path / "aligned.parquet"), "-o", str(adj_dir)])
    assert res.exit_code == 0, res.output
    queue = pl.read_parquet(adj_dir / "review.parquet")
    base = ["release", "--name", "cli", "--root", str(tmp_path / "ds")]
    base += ["--annotations", str(tmp_path / "aligned.parquet")]
    res = runner.invoke(app, [*base, "--version", "1.0.0", "--adjudication", str(adj_dir)])
    assert res.exit_code == 0, res.output
    path = tmp_path / "ds" / "cli" / "1.0.0"
    assert (
        f"1 event(s) await an adjudicator, not in this release: {path / 'review.parquet'} "
        f"({queue.height} rows)" in " ".join(res.output.split())
    )
    assert_frame_equal(pl.read_parquet(path / "review.parquet"), queue)
    card = (path / "README.md").read_text()
    assert f"1 event(s) await an adjudicator ({queue.height} row(s) in `review.parquet`" in card
    assert "majority (plurality) vote; ties unresolved (fatalities: lowest)" in card
    res = runner.invoke(
        app,
        [
            *base,
            "--version",
            "1.0.1",
            "--adjudication",
            str(adj_dir),
            "--gold",
            str(adj_dir / "gold.parquet"),
        ],
    )
    assert res.exit_code == 2 and "not both" in res.output
    res = runner.invoke(app, [*base, "--version", "1.0.1", "--gold", str(adj_dir / "gold.parquet")])
    assert res.exit_code == 0, res.output
    assert "published from gold events alone" in " ".join(res.output.split())


def test_the_readme_lists_every_release_file():
    from eventcoder.datasets.release_files import FILES

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Releases: what they hold and guarantee")[1].split("\n\n| file")[1]
    listed = [line.split("`")[1] for line in table.split("\n\n")[0].splitlines() if "| `" in line]
    assert sorted(listed) == sorted(f.name for f in FILES)
