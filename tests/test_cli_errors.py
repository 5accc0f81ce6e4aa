"""The one error handler: every stage's errors print one red line; --debug shows the traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventcoder.cli import app
from eventcoder.errors import EventcoderError
from eventcoder.schema.codebook import DEFAULT_PATH

runner = CliRunner()


@pytest.mark.parametrize(
    "args",
    [
        ["codebook", "check", "{missing}"],
        ["validate", "{missing}"],
        ["convert", "{missing}"],
        ["agreement", "{missing}"],
        ["verify", "{missing}"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_an_unusable_input_is_one_line_and_exit_2_in_every_stage(
    args: list[str], tmp_path: Path
) -> None:
    missing = str(tmp_path / "nothing-here.json")
    result = runner.invoke(app, [a.format(missing=missing) for a in args])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "nothing-here" in lines[0]
    assert "Traceback" not in result.output


def test_every_problem_of_a_codebook_is_printed(tmp_path: Path) -> None:
    bad = tmp_path / "cb.yaml"
    bad.write_text("fields: 3\nvocabularies: 4\n", encoding="utf-8")
    result = runner.invoke(app, ["codebook", "check", str(bad)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(lines) >= 2, result.output


def test_debug_lets_the_exception_through_and_leaves_the_environment_alone(
    tmp_path: Path,
) -> None:
    before = dict(os.environ)
    result = runner.invoke(app, ["--debug", "verify", str(tmp_path / "none")])
    assert isinstance(result.exception, EventcoderError)
    assert dict(os.environ) == before
    # the next invocation without --debug is handled again
    again = runner.invoke(app, ["verify", str(tmp_path / "none")])
    assert again.exit_code == 2 and again.exception is not None
    assert not isinstance(again.exception, EventcoderError)


@pytest.mark.parametrize("note", ["export[draft].csv: tab-separated", "column [/x] dropped"])
def test_notes_show_the_data_they_quote_as_written(
    note: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # every command prints its notes through say_note: a file name or column holding brackets
    # is text, not rich markup to obey ("[draft]" vanished) or to choke on ("[/x]" raised)
    from eventcoder.cli.app import say_note

    say_note(note)
    assert capsys.readouterr().out == f"note: {note}\n"


def test_names_with_brackets_are_files_and_are_printed_as_written(tmp_path: Path) -> None:
    """`[draft]` in a folder or file name is neither a glob pattern nor rich markup."""
    shapes = Path(__file__).parent / "data" / "shapes"
    folder = tmp_path / "run [draft]"
    folder.mkdir()
    table = folder / "export[draft].csv"
    table.write_bytes((shapes / "export_tool_2021.csv").read_bytes())
    result = runner.invoke(app, ["validate", str(table)])
    assert result.exit_code in (0, 1), result.output
    written = folder / "export[draft].accepted.parquet"
    assert written.is_file()
    assert f"wrote {written}" in " ".join(result.output.split())
    for beside in DEFAULT_PATH.parent.iterdir():  # the codebook and its reference lists
        (folder / beside.name).write_bytes(beside.read_bytes())
    codebook = (folder / DEFAULT_PATH.name).rename(folder / "cb[1].yaml")
    checked = runner.invoke(app, ["codebook", "check", str(codebook)])
    assert checked.exit_code == 0 and f"ok {codebook}:" in " ".join(checked.output.split())


def test_a_release_under_a_folder_with_brackets_is_published_and_read_back(tmp_path: Path) -> None:
    work, root = tmp_path / "work [a]", tmp_path / "sets [b]"
    first = runner.invoke(app, ["demo", "--dir", str(work), "--root", str(root)])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["demo", "--dir", str(work), "--root", str(root)])  # reads it back
    assert again.exit_code == 0, again.output
    release = root / "idlib-demo" / "1.0.0"
    assert f"dataset: {release}" in " ".join(again.output.split())
