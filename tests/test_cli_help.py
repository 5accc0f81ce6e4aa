"""Every command's rendered --help reads as a person expects, on whatever typer/click is installed.

Flags show no value placeholder (typer 0.2x would print ``--debug <bool>``), options that take a
value show a NAME, arguments show in capitals in the usage line, and no Python type appears.
Also ``--version`` and the error lines of commands given wrong arguments.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from eventcoder import __version__
from eventcoder.cli import app

runner = CliRunner()
WIDE = {"COLUMNS": "200", "TERMINAL_WIDTH": "200", "NO_COLOR": "1"}
PY_TYPE = re.compile(r"<(bool|str|int|float|path|file|list\[[^\]]*\]|[a-z ]+ range)>")


def _paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    out = [(prefix, command)]
    for name, sub in getattr(command, "commands", {}).items():
        out += _paths(sub, (*prefix, name))
    return out


PATHS = _paths(typer.main.get_command(app))


def test_every_command_is_reached() -> None:
    names = {" ".join(path) for path, _ in PATHS}
    assert {"", "server start", "coders add", "validate", "review close"} <= names


@pytest.mark.parametrize(
    ("path", "command"), PATHS, ids=[" ".join(p) or "eventcoder" for p, _ in PATHS]
)
def test_rendered_help_shows_flags_as_flags(path: tuple[str, ...], command: Any) -> None:
    result = runner.invoke(app, [*path, "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    text = result.output
    assert "<bool>" not in text
    assert not PY_TYPE.search(text), PY_TYPE.search(text)
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert "{" not in usage and "}" not in usage
    for param in command.params:
        if param.param_type_name == "argument":
            assert param.name.upper() in usage
            continue
        if getattr(param, "hidden", False):
            continue
        first = (param.help or "").split()[0]
        longest = max(param.opts, key=len)
        shorts = r"(?:\s+-\w)?"
        if getattr(param, "is_flag", False):
            # the flag, then straight to its help text: nothing in between
            row = rf"{re.escape(longest)}{shorts}\s+{re.escape(first)}"
        else:
            row = rf"{re.escape(longest)}{shorts}\s+[A-Z][A-Z_]*\b"
        assert re.search(row, text), f"{' '.join(path)} {longest}:\n{text}"


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"eventcoder {__version__}\n"


def test_review_close_with_neither_flag_says_what_to_give(tmp_path: Any) -> None:
    result = runner.invoke(app, ["review", "close", str(tmp_path)], env=WIDE)
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: which review? Give --project ID_OR_TITLE to pull the review project now, or "
        "--export FILE for an export of it pulled before."
    )


def test_review_close_with_both_flags_says_to_give_one(tmp_path: Any) -> None:
    export = tmp_path / "review.json"
    export.write_text("[]")
    result = runner.invoke(
        app, ["review", "close", str(tmp_path), "-p", "Review", "--export", str(export)], env=WIDE
    )
    assert result.exit_code == 2
    assert result.output.strip().startswith("error: --project and --export both name the review")
