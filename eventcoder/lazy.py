"""Names of a package loaded on first use (PEP 562), for imports too slow to pay at start.

``eventcoder --help`` and ``eventcoder convert`` should not wait for the Label Studio SDK or
pandera (a third of a second each): a package lists such names with the module defining each,
and :func:`lazy_names` gives it the module-level ``__getattr__`` and ``__dir__`` that import
that module when a name is first asked for. Type checkers see the names through the package's
``if TYPE_CHECKING:`` imports.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_names(
    package: str, modules: dict[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose ``namespace`` is its globals().

    ``modules`` maps each lazy name to the module defining it, relative to ``package``. A name
    once loaded is kept in the namespace, so it is looked up like any other; it is looked up
    there again even when a submodule of the same name was imported meanwhile.
    """

    def __getattr__(name: str) -> object:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(modules))

    return __getattr__, __dir__
