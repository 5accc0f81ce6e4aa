"""Hostile and clumsy input to releases and verify (issue 11, points 1, 6, 7 and 10).

Each test is the smallest input that shows one class of fault; each fails when its fix is
reverted.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from eventcoder.datasets import release as release_mod
from eventcoder.datasets.adjudicate import adjudicate
from eventcoder.datasets.release import publish, read_events, verify
from eventcoder.errors import ReleaseError
from eventcoder.schema import load_codebook
from eventcoder.schema.codebook import Codebook
from tests.datasets.coded import PROTEST, SHELLING, STRIKE, coded, rows

T1 = datetime(2024, 3, 1, tzinfo=timezone.utc)
DEFAULT = Path(load_codebook().path).parent


@pytest.fixture(scope="module")
def cb() -> Codebook:
    return load_codebook()


def _three(base: dict, article: str, k: int) -> list[dict]:
    return [coded(article, k, f"{c}@ex.org", base) for c in "xyz"]


def _annotations(cb: Codebook, *events: tuple[dict, str, int]) -> pl.DataFrame:
    return rows(cb, [r for base, article, k in events for r in _three(base, article, k)])


def _release(cb: Codebook, root: Path, version: str = "1.0.0", **kw):
    ann = kw.pop("annotations", None)
    if ann is None:
        ann = _annotations(cb, (SHELLING, "a1", 1), (STRIKE, "a1", 2))
    gold = kw.pop("gold", None)
    return publish(
        gold if gold is not None else adjudicate(ann, cb),
        ann,
        None,
        kw.pop("agreement", None),
        cb,
        name=kw.pop("name", "idleb"),
        version=version,
        root=root,
        now=T1,
        **kw,
    )


def _codebook_with_references(tmp: Path, actors: str, gazetteer: str) -> Codebook:
    """The default codebook, its reference lists stored under the names given."""
    data = yaml.safe_load((DEFAULT / "codebook.yaml").read_text(encoding="utf-8"))
    data["references"] = {"actors": actors, "gazetteer": gazetteer}
    for name, source in ((actors, "actors.csv"), (gazetteer, "gazetteer.csv")):
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".parquet"):
            pl.read_csv(DEFAULT / source, infer_schema=False).write_parquet(tmp / name)
        else:
            shutil.copyfile(DEFAULT / source, tmp / name)
    (tmp / "codebook.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return Codebook.from_file(tmp / "codebook.yaml")


# -- 1. No file of a release overwrites another ---------------------------------------------


@pytest.mark.parametrize(
    ("actors", "gazetteer"),
    [("refs/events.parquet", "gazetteer.csv"), ("actors/list.csv", "gazetteer/list.csv")],
)
def test_reference_lists_never_overwrite_release_files(tmp_path, actors, gazetteer):
    cb = _codebook_with_references(tmp_path / "scheme", actors, gazetteer)
    r = _release(cb, tmp_path / "ds")
    assert read_events(r.path).height == 2  # events.parquet is still the events table
    refs = sorted(p.relative_to(r.path).as_posix() for p in (r.path / "references").iterdir())
    suffix = ".parquet" if actors.endswith(".parquet") else ".csv"
    assert refs == sorted([f"references/actors{suffix}", "references/gazetteer.csv"])
    assert verify(r.path).ok, verify(r.path).problems()
    assert Codebook.from_file(r.path / "codebook.yaml").references.actors is not None


# -- 6. Gold is validated before anything is written ----------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [("event_type", "Banana", "event-type-known"), ("fatalities", -5, "fatalities-non-negative")],
)
def test_gold_that_breaks_the_codebook_is_refused_before_anything_is_written(
    cb, tmp_path, column, value, rule
):
    ann = _annotations(cb, (SHELLING, "a1", 1))
    gold = adjudicate(ann, cb).gold.with_columns(pl.lit(value).alias(column))
    with pytest.raises(ReleaseError, match=f"row 1: {column} '{value}' breaks {rule}"):
        _release(cb, tmp_path, annotations=ann, gold=gold)
    assert not (tmp_path / "idleb").exists()


# -- 7. Versions ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.0.1\n", "1\u0661.0.0", "1.0.0 ", "01.0.0"])
def test_versions_are_matched_in_full_in_ascii_digits(cb, tmp_path, version):
    with pytest.raises(ReleaseError, match="not semantic") as err:
        _release(cb, tmp_path, version)
    assert err.value.version == version
    assert not (tmp_path / "idleb").exists()


def test_a_slow_and_a_fast_release_started_together_never_reuse_ids(cb, tmp_path, monkeypatch):
    """The slow 1.1.0 reads the published versions first; the fast 1.0.0 starts meanwhile."""
    slow_started = threading.Event()
    real = release_mod._gold_events

    def gold_events(gold, cb_, prev_dir, previous, now):
        if threading.current_thread().name == "slow":
            slow_started.set()
            time.sleep(1.0)
        return real(gold, cb_, prev_dir, previous, now)

    monkeypatch.setattr(release_mod, "_gold_events", gold_events)
    other = _annotations(cb, (PROTEST, "a2", 1), (STRIKE, "a2", 2))
    outcome: dict[str, object] = {}

    def run(version: str, **kw) -> None:
        try:
            outcome[version] = _release(cb, tmp_path, version, **kw)
        except ReleaseError as err:
            outcome[version] = err

    slow = threading.Thread(target=run, args=("1.1.0",), name="slow")
    slow.start()
    assert slow_started.wait(10)
    fast = threading.Thread(target=run, args=("1.0.0",), kwargs={"annotations": other})
    fast.start()
    slow.join()
    fast.join()
    assert isinstance(outcome["1.1.0"], release_mod.Release)
    assert isinstance(outcome["1.0.0"], ReleaseError)
    assert "not above the latest release 1.1.0" in str(outcome["1.0.0"])
    assert sorted(p.name for p in (tmp_path / "idleb").iterdir()) == [".lock", "1.1.0"]


# -- 10. verify: a checksum list that cannot be trusted; releases readable by others ---------


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (b"0" * 64 + b"  \n", "line 1 is not '<sha256>  <file>'"),
        (b"0" * 64 + b"\n", "line 1 is not '<sha256>  <file>'"),
        (b"0" * 64 + b"  caf\xe9.parquet\n", "line 1 holds a byte that is not UTF-8 (0xe9)"),
        (b"0" * 64 + b"  ../outside.txt\n", "line 1 names '../outside.txt', a path outside"),
        (b"0" * 64 + b"  /etc/hostname\n", "line 1 names '/etc/hostname', a path outside"),
        (b"0" * 64 + b"  agreement/../../x\n", "line 1 names 'agreement/../../x', a path"),
    ],
)
def test_verify_refuses_a_checksum_list_it_cannot_trust_in_one_line(cb, tmp_path, line, says):
    from eventcoder.cli import app

    r = _release(cb, tmp_path)
    (r.path / "SHA256SUMS").write_bytes(line + (r.path / "SHA256SUMS").read_bytes())
    with pytest.raises(ReleaseError, match=re.escape(f"SHA256SUMS: {says}")):
        verify(r.path)
    res = CliRunner().invoke(app, ["verify", str(r.path)])
    assert res.exit_code == 2, res.output
    assert len(res.output.strip().splitlines()) == 1 and "Traceback" not in res.output


def test_verify_does_not_count_a_file_outside_the_release(cb, tmp_path):
    """A checksum list naming a file beside the release, with its right digest."""
    r = _release(cb, tmp_path)
    outside = r.path.parent / "outside.txt"
    outside.write_text("x")
    import hashlib

    digest = hashlib.sha256(b"x").hexdigest()
    sums = r.path / "SHA256SUMS"
    sums.write_text(sums.read_text() + f"{digest}  ../outside.txt\n")
    with pytest.raises(ReleaseError, match="outside the release"):
        verify(r.path)


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_a_release_is_readable_as_the_umask_says_agreement_report_too(cb, tmp_path, umask):
    report = tmp_path / "agreement"
    report.mkdir(mode=0o700)
    (report / "agreement.json").write_text("{}")
    (report / "agreement.json").chmod(0o600)  # as mkstemp leaves a file
    old = os.umask(umask)
    try:
        r = _release(cb, tmp_path / "ds", agreement=report)
    finally:
        os.umask(old)
    modes = {
        p.relative_to(r.path).as_posix(): stat.S_IMODE(p.stat().st_mode)
        for p in [r.path, *r.path.rglob("*")]
    }
    want_dir, want_file = 0o777 & ~umask, 0o666 & ~umask
    wrong = {
        p: oct(m)
        for p, m in modes.items()
        if m != (want_dir if (r.path / p).is_dir() else want_file)
    }
    assert wrong == {}
    assert "agreement/agreement.json" in modes


@pytest.mark.parametrize(
    ("package", "says"),
    [
        ("[]", "datapackage.json: not a Data Package (no list of resources)"),
        ('{"resources": [1]}', "datapackage.json: a resource that is not an object"),
    ],
)
def test_verify_reports_a_tampered_datapackage_without_a_traceback(cb, tmp_path, package, says):
    r = _release(cb, tmp_path)
    (r.path / "datapackage.json").write_text(package)
    report = verify(r.path)
    assert report.changed == ("datapackage.json",)
    assert says in report.problems()


def test_an_agreement_report_that_cannot_be_copied_is_refused_and_nothing_is_left(cb, tmp_path):
    report = tmp_path / "agreement"
    report.mkdir()
    (report / "self").symlink_to(report)  # a loop: copying it never ends
    with pytest.raises(ReleaseError, match="the agreement report cannot be copied"):
        _release(cb, tmp_path / "ds", agreement=report)
    assert [p.name for p in (tmp_path / "ds" / "idleb").iterdir()] == [".lock"]


@pytest.mark.parametrize("link", ["annotations.parquet", "agreement"])
def test_verify_refuses_files_that_are_links_to_files_elsewhere(cb, tmp_path, link):
    """The same bytes outside the release, linked in: the release no longer holds them."""
    report = tmp_path / "agreement"
    report.mkdir()
    (report / "agreement.json").write_text("{}")
    r = _release(cb, tmp_path / "ds", agreement=report)
    elsewhere = tmp_path / "elsewhere"
    (r.path / link).rename(elsewhere)
    (r.path / link).symlink_to(elsewhere)
    problems = verify(r.path).problems()
    assert any(p.startswith(f"{link}") and "symbolic link" in p for p in problems), problems


# -- A previous release the next one builds on, tampered with; SHA256SUMS saved elsewhere ------


def _reseal(folder: Path, rel: str) -> None:
    """Write the checksum of ``rel`` into SHA256SUMS again, as a careful tamperer would."""
    import hashlib

    digest = hashlib.sha256((folder / rel).read_bytes()).hexdigest()
    sums = folder / "SHA256SUMS"
    lines = [
        f"{digest}  {rel}" if line.endswith(f"  {rel}") else line
        for line in sums.read_text().splitlines()
    ]
    sums.write_text("\n".join(lines) + "\n")


def _remove(path: Path) -> None:
    path.unlink()


def _edit_events(path: Path) -> None:
    events = pl.read_parquet(path)
    events.with_columns(pl.lit(99).alias("fatalities")).write_parquet(path)


def _resealed_list(path: Path) -> None:
    path.write_text("[]")
    _reseal(path.parent, path.name)


@pytest.mark.parametrize(
    ("rel", "tamper", "says"),
    [
        ("ids.json", _remove, "is not as published: ids.json is missing"),
        ("events.parquet", _edit_events, "events.parquet changed since it was published"),
        ("event_sources.parquet", _remove, "event_sources.parquet is missing"),
        ("ids.json", _resealed_list, "cannot be read: "),
    ],
)
def test_a_tampered_previous_release_is_refused_not_built_on(cb, tmp_path, rel, tamper, says):
    # Ids are inherited from it and issued above it: a missing ids.json was a traceback, and
    # edited events passed their changes on to the next release's changelog unseen.
    first = _release(cb, tmp_path)
    tamper(first.path / rel)
    with pytest.raises(ReleaseError, match=re.escape(says)) as caught:
        _release(cb, tmp_path, version="1.1.0")
    assert "\n" not in str(caught.value) and "previous release 1.0.0" in str(caught.value)
    assert sorted(p.name for p in first.path.parent.iterdir()) == [".lock", "1.0.0"]


def test_a_file_in_place_of_the_latest_version_is_refused(cb, tmp_path):
    # It used to be skipped: the release then built on nothing and issued its ids again.
    first = _release(cb, tmp_path)
    shutil.rmtree(first.path)
    first.path.write_text("")
    with pytest.raises(ReleaseError, match="has a version's name but is not a release folder"):
        _release(cb, tmp_path, version="1.1.0")


def test_a_link_placed_as_the_lock_is_refused_and_nothing_made_through_it(cb, tmp_path):
    folder = tmp_path / "idleb"
    folder.mkdir()
    (folder / ".lock").symlink_to(tmp_path / "made-elsewhere")
    with pytest.raises(ReleaseError, match="it is a symbolic link: remove it"):
        _release(cb, tmp_path)
    assert not (tmp_path / "made-elsewhere").exists()


def test_verify_reads_a_checksum_list_saved_with_a_bom_and_crlf(cb, tmp_path):
    # Windows line ends used to make every file 'missing' under a name ending in '\r'.
    r = _release(cb, tmp_path)
    sums = r.path / "SHA256SUMS"
    sums.write_bytes(b"\xef\xbb\xbf" + sums.read_bytes().replace(b"\n", b"\r\n"))
    assert verify(r.path).problems() == []


def test_verify_names_links_and_pipes_added_to_a_release(cb, tmp_path):
    # Only regular files were looked for: a link to /etc, a dangling link or a pipe went unseen.
    r = _release(cb, tmp_path)
    (r.path / "etc").symlink_to("/etc")
    (r.path / "nowhere").symlink_to(tmp_path / "nothing")
    os.mkfifo(r.path / "pipe")
    report = verify(r.path)
    assert report.unlisted == ("etc", "nowhere", "pipe")
    assert not report.ok


@pytest.mark.parametrize("name", ["a" * 300, "-x", "a\nb", "a/b", "..", "a\x00b"])
def test_a_release_name_that_cannot_name_a_folder_is_one_line(cb, tmp_path, name):
    # A 300-byte name reached the file system (ENAMETOOLONG) and printed all 300 letters.
    with pytest.raises(ReleaseError, match="must be letters, digits") as caught:
        _release(cb, tmp_path, name=name)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200
    assert not tmp_path.joinpath("idleb").exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["link to a secret", "link to /dev/zero", "pipe"])
def test_an_agreement_report_holding_links_or_pipes_is_refused_never_copied(cb, tmp_path, kind):
    # copytree followed links: the secret's bytes were published inside the release, and
    # /dev/zero would have been copied until the disk was full.
    report = tmp_path / "agreement"
    report.mkdir()
    (report / "agreement.json").write_text("{}")
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE KEY")
    if kind == "pipe":
        os.mkfifo(report / "x")
    else:
        (report / "x").symlink_to(secret if "secret" in kind else Path("/dev/zero"))
    says = "is not a regular file" if kind == "pipe" else "is a symbolic link"
    with pytest.raises(ReleaseError, match=f"cannot be copied into the release .*{says}"):
        _release(cb, tmp_path / "ds", agreement=report)
    assert [p.name for p in (tmp_path / "ds" / "idleb").iterdir()] == [".lock"]


def test_a_hostile_title_reaches_the_card_as_text(cb, tmp_path):
    # The title was written into the card as Markdown: a line break in it added a section of
    # its own, and HTML in it reached every renderer of the card as HTML.
    title = "Idlib | June\n\n## Injected <script>alert(1)</script> [x](javascript:y)\n```\n## Out"
    r = _release(cb, tmp_path, title=title)
    card = (r.path / "README.md").read_text()
    header, body = card.split("\n---\n", 1)
    assert yaml.safe_load(header.removeprefix("---\n"))["pretty_name"] == title
    assert not [line for line in body.splitlines() if line.startswith("## Injected")]
    prose = body.split("## Citation", 1)[0]  # the citation is a code block: literal already
    assert "<script>" not in prose and "[x](javascript" not in prose
    assert body.lstrip().splitlines()[0] == (
        "# Idlib \\| June ## Injected &lt;script&gt;alert(1)&lt;/script&gt; \\[x\\](javascript:y) "
        "\\`\\`\\` ## Out"
    )
    citation = body.split("## Citation", 1)[1]
    assert citation.count("````") == 2 and "## Out" not in body.split("````")[-1]


def test_verify_refuses_a_huge_checksum_list_before_reading_it(cb, tmp_path):
    r = _release(cb, tmp_path)
    with (r.path / "SHA256SUMS").open("r+b") as sums:
        sums.truncate(1 << 40)  # sparse: 1 TB that would be read whole into memory
    with pytest.raises(ReleaseError, match="far more than the checksum list of any release"):
        verify(r.path)


def test_a_dataset_name_differing_only_in_case_is_refused(cb, tmp_path):
    # On macOS and Windows 'IDLEB' is the folder 'idleb': its versions and ids would mix.
    _release(cb, tmp_path)
    with pytest.raises(ReleaseError, match="differs from 'idleb' in .* only in letter case"):
        _release(cb, tmp_path, name="IDLEB", version="2.0.0")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idleb"]


def test_an_events_file_added_to_the_previous_release_is_refused_not_read(cb, tmp_path):
    # Every file under events/ is read as the previous events: one added (here a copy of a
    # partition) passed its events into the next release's ids and changelog unseen.
    first = _release(cb, tmp_path, partition_rows=1)
    part = next((first.path / "events").rglob("*.parquet"))
    shutil.copyfile(part, part.with_name("added.parquet"))
    added = part.with_name("added.parquet").relative_to(first.path).as_posix()
    with pytest.raises(ReleaseError, match=re.escape(f"{added} is not in its SHA256SUMS")):
        _release(cb, tmp_path, version="1.1.0", partition_rows=1)
