"""Docs are checked against code: every command has help text and a line in the README."""

from __future__ import annotations

from pathlib import Path

import typer.main

from eventcoder.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: object, prefix: str = "eventcoder") -> list[tuple[str, object]]:
    out = []
    for name, cmd in group.commands.items():
        path = f"{prefix} {name}"
        if getattr(cmd, "commands", None):  # a group (typer ships its own click)
            out += _commands(cmd, path)
        else:
            out.append((path, cmd))
    return out


COMMANDS = _commands(typer.main.get_command(app))


def test_there_are_commands() -> None:
    names = [name for name, _ in COMMANDS]
    assert "eventcoder validate" in names and "eventcoder codebook check" in names


def test_every_command_has_help_and_a_readme_mention() -> None:
    missing_help = [name for name, cmd in COMMANDS if not (cmd.help or "").strip()]
    assert not missing_help
    missing_readme = [name for name, _ in COMMANDS if f"`{name}" not in README]
    assert not missing_readme


def test_every_option_has_help() -> None:
    bare = [
        f"{name} {p.name}"
        for name, cmd in COMMANDS
        for p in cmd.params
        if getattr(p, "param_type_name", "") == "option" and not (p.help or "").strip()
    ]
    assert not bare
