"""Each package's ``__all__`` lists exactly its public names (httpx's test of the same name)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pytest

PACKAGES = [
    "eventcoder",
    "eventcoder.schema",
    "eventcoder.model",
    "eventcoder.annotate",
    "eventcoder.datasets",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_lists_the_public_names(name: str) -> None:
    package = importlib.import_module(name)
    public = {
        member
        for member in dir(package)
        if not member.startswith("_") and not isinstance(getattr(package, member), types.ModuleType)
    }
    assert public == set(package.__all__) - {"__version__"}
    # each name is eventcoder's own, not a re-export of a library's
    foreign = [
        member
        for member in set(package.__all__) - {"__version__"}
        if not getattr(getattr(package, member), "__module__", "eventcoder").startswith(
            "eventcoder"
        )
    ]
    assert not foreign


def test_converting_does_not_load_the_label_studio_sdk() -> None:
    # convert reads a file; the SDK (a third of a second to import) is loaded only by the names
    # that talk to a server, on first use
    code = (
        "import sys, eventcoder.annotate as a; import eventcoder.annotate.convert; "
        "assert 'label_studio_sdk' not in sys.modules; a.find_project; "
        "assert 'label_studio_sdk' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_starting_the_command_does_not_load_pandera() -> None:
    # pandera (with pandas, a third of a second) is loaded by the names that validate, on first
    # use; those names are the functions even after their module was imported by another path
    code = (
        "import sys, eventcoder, eventcoder.cli, eventcoder.annotate.convert; "
        "assert 'pandera' not in sys.modules, 'pandera loaded at start'; "
        "import eventcoder.schema.validation; from eventcoder.schema import validate; "
        "assert callable(validate) and eventcoder.validate is validate; "
        "assert 'pandera' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
