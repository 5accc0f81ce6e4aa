"""Outputs under hostile and faulty conditions: modes, full disks, read-only folders, -o files.

Every command's outputs are one set (all new or all previous), readable like any file the user
writes, and a folder that cannot take them is one line, exit 2, before any work is done.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import traceback
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from eventcoder.cli import app
from tests.schema.rows import text_layout, with_change

runner = CliRunner()
DATA = Path(__file__).parent.parent / "data"
EXPORT = DATA / "ls_export_snapshot.json"
CONVERT_TABLES = {
    f"{n}.parquet"
    for n in (
        "annotations",
        "rejects",
        "skipped",
        "predictions",
        "warnings",
        "coded",
        "mentions",
        "changes",
    )
}


def invoke(*args: str) -> tuple[int, list[str]]:
    """Run the CLI; return the exit code and the output's lines; no traceback allowed."""
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), "".join(
        traceback.format_exception(result.exception)
    )
    assert "Traceback" not in result.output
    return result.exit_code, result.output.strip().splitlines()


def refused(*args: str) -> str:
    """Run the CLI, expecting one line and exit 2; return the line."""
    code, lines = invoke(*args)
    assert code == 2, lines
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    return lines[0]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) -> its SHA-256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The snapshot export converted, its agreement measured: inputs for the later commands."""
    folder = tmp_path_factory.mktemp("work")
    shutil.copy(EXPORT, folder / "export.json")
    assert invoke("convert", str(folder / "export.json"))[0] == 1  # the export has rejects
    code, lines = invoke("agreement", str(folder / "annotations.parquet"), "--boot", "0")
    assert code == 0, lines
    adjudication = str(folder / "adjudication")
    assert invoke("adjudicate", str(folder / "aligned.parquet"), "-o", adjudication)[0] == 0
    return folder


def release(work: Path, root: Path) -> list[str]:
    """The arguments of a release of the work folder's adjudication under ``root``."""
    return [
        "release", "--name", "x", "--version", "1.0.0", "--annotations",
        str(work / "annotations.parquet"), "--adjudication", str(work / "adjudication"),
        "--root", str(root),
    ]  # fmt: skip


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "events.csv"
    text_layout(with_change(1, sub_event_type="Armed clash")).write_csv(path)
    return path


@pytest.fixture
def umask_027() -> Iterator[None]:
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def _modes(folder: Path) -> set[int]:
    return {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}


# --- modes ---------------------------------------------------------------------------------


def test_outputs_take_the_users_umask(tmp_path, work, table, umask_027):
    commands: list[tuple[list[str], Path]] = [
        (["convert", str(work / "export.json"), "-o", str(tmp_path / "c")], tmp_path / "c"),
        (["validate", str(table), "-o", str(tmp_path / "v")], tmp_path / "v"),
        (
            ["agreement", str(work / "annotations.parquet"), "--boot", "0", "-o",
             str(tmp_path / "a")],
            tmp_path / "a",
        ),
        (["adjudicate", str(work / "aligned.parquet"), "-o", str(tmp_path / "j")], tmp_path / "j"),
        (["codebook", "docs", "-o", str(tmp_path / "d" / "docs.md")], tmp_path / "d"),
    ]  # fmt: skip
    for args, folder in commands:
        code, lines = invoke(*args)
        assert code in (0, 1), lines
        assert _modes(folder) == {0o640}, (args[0], {p.name: oct(p.stat().st_mode) for p in
                                                     folder.iterdir()})  # fmt: skip
        assert not [p for p in folder.iterdir() if p.name.startswith(".")], args[0]


# --- one set -------------------------------------------------------------------------------


def _disk_full_after(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    """Make the disk fill up after ``n`` more Parquet files (the writer raises ENOSPC)."""
    real = pl.DataFrame.write_parquet
    written = []

    def write_parquet(self: pl.DataFrame, file: object, *args: object, **kwargs: object) -> None:
        if len(written) >= n:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(file))
        written.append(file)
        real(self, file, *args, **kwargs)

    monkeypatch.setattr(pl.DataFrame, "write_parquet", write_parquet)


# Each command with the number of Parquet files that fit before the disk is full: the first
# file of the set is always written (agreement writes its JSON before its one Parquet file).
FULL_DISK = {
    "convert": (lambda w, o: ["convert", str(w / "export.json"), "-o", str(o)], 1),
    "agreement": (
        lambda w, o: ["agreement", str(w / "annotations.parquet"), "--boot", "0", "-o", str(o)],
        0,
    ),
    "adjudicate": (lambda w, o: ["adjudicate", str(w / "aligned.parquet"), "-o", str(o)], 1),
}


@pytest.mark.parametrize("name", FULL_DISK)
def test_a_full_disk_leaves_the_previous_run_whole(
    tmp_path: Path, work: Path, monkeypatch: pytest.MonkeyPatch, name: str
):
    command, fits = FULL_DISK[name]
    out = tmp_path / "out"
    assert invoke(*command(work, out))[0] in (0, 1)
    # The previous run's files, marked so that a new file in their place would show.
    for path in out.iterdir():
        path.write_bytes(path.read_bytes() + b"previous run")
    before = snapshot(out)
    _disk_full_after(monkeypatch, fits)
    line = refused(*command(work, out))
    assert "No space left on device; free some space, or write elsewhere" in line
    assert snapshot(out) == before


def test_a_full_disk_said_by_the_kernel_is_one_line(tmp_path: Path, work: Path):
    # RLIMIT_FSIZE makes the kernel refuse writes past 4 KiB (EFBIG), as a full disk would.
    out = tmp_path / "out"
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
    try:
        line = refused("convert", str(work / "export.json"), "-o", str(out))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)
    assert "cannot write" in line and "write elsewhere" in line
    assert list(out.iterdir()) == []


# --- folders that cannot take the outputs ---------------------------------------------------


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody can write into: chmod for users; for root, which chmod does not stop,
    the immutable attribute."""
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "kept.txt").write_text("kept")
    folder.chmod(0o555)
    immutable = False
    try:
        (folder / ".probe").touch()
    except OSError:
        pass
    else:
        (folder / ".probe").unlink()
        if shutil.which("chattr") is None:
            pytest.skip("running as root without chattr: no way to make a read-only folder")
        subprocess.run(["chattr", "+i", str(folder)], check=True)
        immutable = True
    try:
        yield folder
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def test_read_only_folders_are_one_line(read_only: Path, work: Path, table: Path):
    for args in (
        ["convert", str(work / "export.json"), "-o", str(read_only)],
        ["convert", str(work / "export.json"), "-o", str(read_only / "sub")],
        ["validate", str(table), "-o", str(read_only)],
        ["agreement", str(work / "annotations.parquet"), "--boot", "0", "-o", str(read_only)],
        ["adjudicate", str(work / "aligned.parquet"), "-o", str(read_only)],
        ["codebook", "docs", "-o", str(read_only / "docs.md")],
        ["demo", "--dir", str(read_only / "work"), "--root", str(read_only / "datasets")],
        release(work, read_only),
        release(work, read_only / "datasets"),
    ):
        line = refused(*args)
        assert str(read_only) in line and "choose a folder you can write to" in line, line
    assert [p.name for p in read_only.iterdir()] == ["kept.txt"]


def test_o_naming_a_file_is_one_line_and_leaves_it(tmp_path: Path, work: Path, table: Path):
    existing = tmp_path / "results.csv"
    existing.write_text("mine")
    for args in (
        ["convert", str(work / "export.json"), "-o", str(existing)],
        ["convert", str(work / "export.json"), "-o", str(existing / "sub")],
        ["validate", str(table), "-o", str(existing)],
        ["agreement", str(work / "annotations.parquet"), "--boot", "0", "-o", str(existing)],
        ["adjudicate", str(work / "aligned.parquet"), "-o", str(existing)],
        ["demo", "--dir", str(existing), "--root", str(tmp_path / "datasets")],
        ["demo", "--dir", str(tmp_path / "demo"), "--root", str(existing)],
        release(work, existing),
    ):
        line = refused(*args)
        assert f"{existing} is a file" in line, line
    assert existing.read_text() == "mine"


def test_o_naming_a_folder_for_a_file_is_one_line(tmp_path: Path):
    line = refused("codebook", "docs", "-o", str(tmp_path))
    assert f"{tmp_path} is a folder: name a file to write" in line


# --- offsets no article can hold -----------------------------------------------------------


@pytest.mark.parametrize("start", [2**32, 2**32 + 7, -1])
def test_an_offset_out_of_any_article_rejects_its_annotation(tmp_path: Path, start: int):
    tasks = json.loads(EXPORT.read_text(encoding="utf-8"))
    annotation = tasks[0]["annotations"][0]
    region = next(r for r in annotation["result"] if "start" in r.get("value", {}))
    region["value"]["start"] = start
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    code, lines = invoke("convert", str(path))
    assert code == 1
    rejects = pl.read_parquet(tmp_path / "rejects.parquet")
    mismatch = rejects.filter(
        (pl.col("annotation_id") == annotation["id"]) & (pl.col("rule") == "span-mismatch")
    )
    assert mismatch["message"].to_list() == [
        f"offsets {start}-{region['value']['end']} do not cut this text out of the article"
    ]
    accepted = pl.read_parquet(tmp_path / "annotations.parquet")
    assert annotation["id"] not in accepted["annotation_id"].to_list()


# --- --debug -------------------------------------------------------------------------------


def test_debug_sets_no_environment_variable(tmp_path: Path):
    before = dict(os.environ)
    result = runner.invoke(app, ["--debug", "convert", str(tmp_path / "none.json")])
    assert result.exception is not None and not isinstance(result.exception, SystemExit)
    assert dict(os.environ) == before


def test_a_killed_runs_staging_folder_is_removed_by_the_next_run(tmp_path: Path, work: Path):
    # A run killed while writing leaves its hidden staging folder; its pid is gone by now.
    out = tmp_path / "out"
    out.mkdir()
    stale = out / f".eventcoder-{2**22 + 12345}-x.part"  # above any pid_max: never running
    live = out / f".eventcoder-{os.getpid()}-y.part"  # a run of this very process
    for stage in (stale, live):
        stage.mkdir()
        (stage / "annotations.parquet").write_bytes(b"half")
    assert invoke("convert", str(work / "export.json"), "-o", str(out))[0] == 1
    assert not stale.exists() and live.exists()
    assert {p.name for p in out.iterdir()} == CONVERT_TABLES | {live.name}


def test_names_reach_the_terminal_as_text_not_escape_sequences_or_emoji(tmp_path: Path):
    # A file name (or a coder's email, an article id) holding ESC cleared the screen when a
    # message quoted it, and ':smile:' in it was printed as an emoji.
    table = tmp_path / "e\x1b[2Jx\u202e:smile:.csv"
    table.write_text("event_date,x\n2020-01-01,1\n")
    result = runner.invoke(app, ["validate", str(table)])
    assert result.exit_code == 2, result.output
    assert "\x1b" not in result.output and "\u202e" not in result.output
    assert "e\\x1b[2Jx\\u202e:smile:.csv: missing required column(s)" in result.output
