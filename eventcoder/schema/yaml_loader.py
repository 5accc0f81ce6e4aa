"""The YAML loader codebooks are read with: PyYAML's safe loader, bounded and literal.

Bounded: nesting depth, alias expansion and repeated keys (see :class:`BoundedLoader`).
Literal: plain scalars are typed only in the few forms nobody writes by accident; everything
else is the text written (see the resolvers below).
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError

from eventcoder.schema.codebook import MAX_ALIAS_NODES, MAX_DEPTH


class BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, bounded: nesting depth, alias expansion, repeated keys.

    PyYAML composes nodes recursively (100,000 nested brackets end in ``RecursionError``) and
    shares aliased nodes, so an alias bomb loads at once and explodes wherever it is walked.
    Each node's expanded size is counted as it is composed, in time linear in the file.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._sizes: dict[int, int] = {}  # id(node) -> values it stands for, aliases expanded
        self._repeated = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # PyYAML is untyped
            node = super().compose_node(parent, index)
            size = self._sizes.get(id(node))
            if size is None:  # the anchored node is still being composed: it holds itself
                raise ComposerError(
                    None, None, f"alias *{event.anchor} refers to itself", event.start_mark
                )
            self._repeated += size
            if self._repeated > MAX_ALIAS_NODES:
                raise ComposerError(
                    None,
                    None,
                    f"aliases repeat more than {MAX_ALIAS_NODES:,} values (refused: an alias "
                    "bomb exhausts memory); write the values out",
                    event.start_mark,
                )
            return node
        self._depth += 1
        if self._depth > MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = []
        self._sizes[id(node)] = 1 + sum(self._sizes[id(c)] for c in children)
        return node

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                    key_node, yaml.ScalarNode
                ):
                    continue  # merged keys may be overridden: that is what a merge is for
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise ConstructorError(
                        "while reading a mapping",
                        node.start_mark,
                        f"key {key_node.value!r} appears twice (YAML would keep the last one "
                        f"silently; the first is on line {seen[key].line + 1})",
                        key_node.start_mark,
                    )
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


# YAML 1.1 (PyYAML's schema) reads many plain words as something else, silently: a term `NO`
# (Norway) or `off` becomes a boolean, `010` the number 8, `0x1F` 31, `1_000` 1000, `12:30`
# the number 750 (sexagesimal), `2020-01-01` a date, and `version: 1.10` turns into "1.1".
# A codebook term must be the text its author wrote, so plain scalars are read with the few
# forms nobody writes by accident (YAML 1.2's core schema, narrower still); everything else is
# text. A quoted or explicitly tagged scalar (`!!int 010`) is read as it says.
BoundedLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    # At most 18 digits: a whole number a column can hold (and Python converts at once).
    ("int", r"^-?(?:0|[1-9][0-9]{0,17})$", "-0123456789"),
    (
        "float",
        r"^-?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"
        r"|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$",
        "-+.0123456789",
    ),
    ("merge", r"^(?:<<)$", "<"),
):
    BoundedLoader.add_implicit_resolver(
        f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first)
    )
