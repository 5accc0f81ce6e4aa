"""Each package's ``__all__`` lists exactly its public names (httpx's test of the same name)."""

from __future__ import annotations

import importlib
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
