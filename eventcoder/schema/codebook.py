"""The codebook: a coding scheme defined as data.

A codebook file (YAML) names the fields of an event, the vocabularies their values come from, the
cross-field rules between them and the reference lists (actors, gazetteer) beside it. The code
knows only *kinds* of rules (see :mod:`eventcoder.schema.rules`); the file names the instances, so
adding an event type or a field never needs a code change.

YAML rather than TOML: annotation leads edit this file by hand, and YAML keeps long descriptions,
comments and the 25-row sub-event table readable where TOML's arrays of tables would not.

Loading and checking a file is :mod:`eventcoder.schema.codebook_file`: it reports every problem
at once, each with the file and the entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

FIELD_TYPES = ("string", "integer", "number", "date", "boolean")
LEVELS = ("nominal", "ordinal", "interval", "ratio")
# coded: a coder fills it; assisted: filled from a reference list, a coder may fill it where the
# list is silent; derived: always computed from other fields; release: assigned when publishing.
ORIGINS = ("coded", "assisted", "derived", "release")
SEVERITIES = ("error", "warning")

ACTOR_COLUMNS = ("name", "type", "country", "start_date", "end_date")
GAZETTEER_COLUMNS = (
    "location",
    "alternate_names",
    "country",
    "iso",
    "region",
    "admin1",
    "admin2",
    "admin3",
    "latitude",
    "longitude",
)

# The parts a field can play beyond its own meaning, and the conventional field name of each:
# ids and partitions of releases, coverage in data cards, keys for aligning coders' events.
# A codebook names them in ``settings.roles``; an unnamed role falls back to a field with the
# conventional name, else it is absent (and what needs it is skipped or says so).
ROLES: dict[str, str] = {
    "id": "event_id_cnty",
    "id_prefix": "iso",
    "date": "event_date",
    "year": "year",
    "location": "location",
    "country": "country",
    "event_type": "event_type",
    "timestamp": "timestamp",
}

# Field names: identifiers, ASCII, so that they are safe as columns, XML names and SQL.
FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,62}")
RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
# Columns eventcoder adds beside the codebook's fields (annotations' provenance, alignment),
# and the names the labeling config gives its own tags (annotate.config: the article's Text
# "text", the event region's Labels "label"): a field so named would be a second tag of that
# name, and the config generated for it refused by Label Studio.
RESERVED_NAMES = frozenset(
    (
        "project_id", "task_id", "article_id", "annotation_id", "coder", "coders", "event_key",
        "span_start", "span_end", "evidence", "created_at", "updated_at", "lead_time",
        "aligned_event", "text", "label",
    )
)  # fmt: skip
# Between a conditional control's field name and its parent value in the labeling config.
CONTROL_SEPARATOR = "__"

# Tie policies of adjudication (``settings.adjudication.ties``): the codebook names them, so
# they are checked here; eventcoder.datasets.adjudicate applies them.
TIE_POLICIES = ("unresolved", "first-coder", "lowest", "median")
NUMERIC_TIES = ("lowest", "median")
NUMERIC_TYPES = ("integer", "number", "date")
# The parts of the similarity that aligns coders' events (``settings.alignment.weights``).
ALIGNMENT_COMPONENTS = ("span", "location", "date", "event_type")

# YAML bounds: no hand-written codebook comes near them; hostile ones pass them at once.
MAX_DEPTH = 50
MAX_ALIAS_NODES = 10_000
MAX_BYTES = 16 << 20  # the default codebook is 50 KB; reference lists live in their own files

DEFAULT_PATH = Path(str(resources.files("eventcoder.schema").joinpath("default/codebook.yaml")))


@dataclass(frozen=True)
class Field:
    """One column of the event table."""

    name: str
    type: str
    required: bool = False
    origin: str = "coded"
    level: str | None = None
    vocabulary: str | None = None
    multiple: bool = False
    decimals: int | None = None
    description: str = ""
    aliases: tuple[str, ...] = ()  # former column names (ally_actor_1 for assoc_actor_1)

    @property
    def filled_by_coders(self) -> bool:
        """True for fields a coder enters (coded) or may enter (assisted)."""
        return self.origin in ("coded", "assisted")


@dataclass(frozen=True)
class Term:
    """One value of a vocabulary, with its numeric code, aliases and extra attributes."""

    value: str | int
    code: int | None = None
    aliases: tuple[str, ...] = ()
    description: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=True)


@dataclass(frozen=True)
class Vocabulary:
    """An ordered value set. Order is meaningful (ACLED's hierarchy, ordinal scales)."""

    name: str
    terms: tuple[Term, ...]
    null_codes: tuple[int, ...] = ()

    @property
    def values(self) -> tuple[str | int, ...]:
        return tuple(t.value for t in self.terms)

    def term(self, value: object) -> Term | None:
        """The term whose value is ``value``, or None."""
        for t in self.terms:
            if t.value == value:
                return t
        return None

    def spellings(self) -> dict[str, str | int]:
        """Map every accepted spelling (value, numeric code, alias) to the canonical value."""
        out: dict[str, str | int] = {}
        for t in self.terms:
            out[str(t.value)] = t.value
            if t.code is not None:
                out[str(t.code)] = t.value
            for alias in t.aliases:
                out[alias] = t.value
        return out

    def attribute(self, name: str) -> dict[str | int, Any]:
        """Map each value to its attribute ``name`` (terms without it are left out)."""
        return {t.value: t.attributes[name] for t in self.terms if name in t.attributes}


@dataclass(frozen=True)
class Rule:
    """A rule instance: a kind (known to the code) and its parameters (named by the file)."""

    id: str
    kind: str
    severity: str
    message: str
    source: str = ""
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class References:
    """Reference lists shipped beside a codebook; either may be absent."""

    # Frames compare by the paths they were read from (a DataFrame has no truth value).
    actors: pl.DataFrame | None = field(default=None, compare=False)
    gazetteer: pl.DataFrame | None = field(default=None, compare=False)
    actors_path: str | None = None
    gazetteer_path: str | None = None


@dataclass(frozen=True)
class Codebook:
    """A loaded, checked coding scheme. Build it with :meth:`from_file` or :meth:`default`."""

    name: str
    version: str
    title: str
    fields: tuple[Field, ...]
    vocabularies: Mapping[str, Vocabulary]
    rules: tuple[Rule, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)
    references: References = field(default_factory=References)
    path: str | None = field(default=None, compare=False)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def default(cls) -> Codebook:
        """The ACLED-style codebook shipped with eventcoder."""
        return cls.from_file(DEFAULT_PATH)

    @classmethod
    def from_file(cls, path: str | Path) -> Codebook:
        """Load and check a codebook file; raise :class:`CodebookError` listing every problem."""
        from eventcoder.schema.codebook_file import read_codebook_file

        return read_codebook_file(path)

    @classmethod
    def from_dict(cls, raw: Any, *, path: str | Path | None = None) -> Codebook:
        """Build a codebook from parsed YAML; reference paths resolve beside ``path``."""
        from eventcoder.schema.codebook_file import codebook_from_dict

        return codebook_from_dict(raw, Path(path) if path else None)

    def to_dict(self) -> dict[str, Any]:
        """The codebook as plain data; ``Codebook.from_dict(cb.to_dict())`` gives it back."""
        out: dict[str, Any] = {
            "codebook": {
                "name": self.name,
                "version": self.version,
                "title": self.title,
                **dict(self.meta),
            }
        }
        out["settings"] = _plain(self.settings)
        out["fields"] = [_field_dict(f) for f in self.fields]
        out["vocabularies"] = {
            v.name: {
                "values": [_term_dict(t) for t in v.terms],
                **({"null_codes": list(v.null_codes)} if v.null_codes else {}),
            }
            for v in self.vocabularies.values()
        }
        out["rules"] = [
            {
                "id": r.id,
                "kind": r.kind,
                "severity": r.severity,
                "message": r.message,
                "source": r.source,
                **_plain(r.params),
            }
            for r in self.rules
        ]
        refs = {}
        if self.references.actors_path:
            refs["actors"] = self.references.actors_path
        if self.references.gazetteer_path:
            refs["gazetteer"] = self.references.gazetteer_path
        if refs:
            out["references"] = refs
        return out

    # -- look-ups -----------------------------------------------------------------------------
    def field(self, name: str) -> Field:
        """The field called ``name``; KeyError if there is none."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def fields_by_origin(self, *origins: str) -> tuple[Field, ...]:
        """Fields whose origin is one of ``origins``, in codebook order."""
        return tuple(f for f in self.fields if f.origin in origins)

    def vocabulary_of(self, field_name: str) -> Vocabulary | None:
        """The vocabulary of a field, if it has one."""
        vocab = self.field(field_name).vocabulary
        return self.vocabularies[vocab] if vocab else None

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id; KeyError if there is none."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    @property
    def hierarchy(self) -> Vocabulary | None:
        """The vocabulary whose order ranks event categories (ACLED's hierarchy), if declared."""
        name = self.settings.get("hierarchy")
        return self.vocabularies.get(name) if name else None

    def role(self, name: str) -> str | None:
        """The field playing role ``name`` (see :data:`ROLES`), or None when none does.

        ``settings.roles`` names it; otherwise a field with the conventional name; for ``id``,
        otherwise the first string field assigned at release.
        """
        configured = (self.settings.get("roles") or {}).get(name)
        if configured:
            return str(configured)
        if name == "id_prefix" and self.settings.get("id_prefix_field"):
            return str(self.settings["id_prefix_field"])  # the key's earlier name
        conventional = ROLES[name]
        if conventional in self.field_names:
            return conventional
        if name == "id":
            return next(
                (f.name for f in self.fields if f.origin == "release" and f.type == "string"),
                None,
            )
        return None

    @property
    def label(self) -> str:
        """``name version``, for reports and data cards."""
        return f"{self.name} {self.version}"


def _field_dict(f: Field) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f.name, "type": f.type}
    if f.required:
        out["required"] = True
    out["origin"] = f.origin
    for key in ("level", "vocabulary", "decimals"):
        if getattr(f, key) is not None:
            out[key] = getattr(f, key)
    if f.multiple:
        out["multiple"] = True
    if f.aliases:
        out["aliases"] = list(f.aliases)
    out["description"] = f.description
    return out


def _term_dict(t: Term) -> dict[str, Any]:
    out: dict[str, Any] = {"value": t.value}
    if t.code is not None:
        out["code"] = t.code
    if t.aliases:
        out["aliases"] = list(t.aliases)
    out.update(_plain(t.attributes))
    if t.description:
        out["description"] = t.description
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def load_codebook(path: str | Path | None = None) -> Codebook:
    """The codebook at ``path``, or the default ACLED-style codebook when ``path`` is None."""
    return Codebook.default() if path is None else Codebook.from_file(path)


def iter_field_params(value: Any) -> Iterable[str]:
    """Every string inside a nested list parameter (rules name fields in lists of lists)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from iter_field_params(v)
