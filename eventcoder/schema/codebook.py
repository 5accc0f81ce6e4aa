"""The codebook: a coding scheme defined as data.

A codebook file (YAML) names the fields of an event, the vocabularies their values come from, the
cross-field rules between them and the reference lists (actors, gazetteer) beside it. The code
knows only *kinds* of rules (see :mod:`eventcoder.schema.rules`); the file names the instances, so
adding an event type or a field never needs a code change.

YAML rather than TOML: annotation leads edit this file by hand, and YAML keeps long descriptions,
comments and the 25-row sub-event table readable where TOML's arrays of tables would not.

Loading checks the whole file and reports every problem at once, each with the file and the entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from eventcoder.errors import CodebookError

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
        path = Path(path)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CodebookError(str(path), [("file", "not found")]) from None
        except yaml.YAMLError as err:
            where = getattr(err, "problem_mark", None)
            entry = f"line {where.line + 1}" if where else "file"
            what = getattr(err, "problem", None) or str(err).splitlines()[0]
            raise CodebookError(str(path), [(entry, f"not valid YAML: {what}")]) from None
        return cls.from_dict(raw, path=path)

    @classmethod
    def from_dict(cls, raw: Any, *, path: str | Path | None = None) -> Codebook:
        """Build a codebook from parsed YAML; reference paths resolve beside ``path``."""
        return _Loader(raw, Path(path) if path else None).load()

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


# --------------------------------------------------------------------------------------------
# Loading and checking
# --------------------------------------------------------------------------------------------


class _Loader:
    """Turns parsed YAML into a Codebook while collecting every problem found."""

    def __init__(self, raw: Any, path: Path | None):
        self.raw = raw
        self.path = path
        self.problems: list[tuple[str, str]] = []

    def bad(self, entry: str, message: str) -> None:
        self.problems.append((entry, message))

    def load(self) -> Codebook:
        from eventcoder.schema.rules import check_rule  # rules know their own parameters

        raw = self.raw
        if not isinstance(raw, dict):
            raise CodebookError(self._where(), [("file", "the top level must be a mapping")])
        known = {"codebook", "settings", "fields", "vocabularies", "rules", "references"}
        for key in raw:
            if key not in known:
                self.bad(key, f"unknown section (expected one of {', '.join(sorted(known))})")
        head = raw.get("codebook") or {}
        if not isinstance(head, dict) or not head.get("name") or not head.get("version"):
            self.bad("codebook", "needs a name and a version")
            head = head if isinstance(head, dict) else {}
        vocabularies = self._vocabularies(raw.get("vocabularies") or {})
        fields = self._fields(raw.get("fields") or [], vocabularies)
        rules = self._rules(raw.get("rules") or [])
        settings = raw.get("settings") or {}
        if not isinstance(settings, dict):
            self.bad("settings", "must be a mapping")
            settings = {}
        references = self._references(raw.get("references") or {})
        meta = {k: v for k, v in head.items() if k not in ("name", "version", "title")}
        cb = Codebook(
            name=str(head.get("name", "")),
            version=str(head.get("version", "")),
            title=str(head.get("title", head.get("name", ""))),
            fields=tuple(fields),
            vocabularies=vocabularies,
            rules=tuple(rules),
            settings=settings,
            meta=meta,
            references=references,
            path=str(self.path) if self.path else None,
        )
        names = set(cb.field_names)
        for rule in rules:
            for entry, message in check_rule(rule, cb):
                self.bad(f"rules[{rule.id}]{entry}", message)
        from eventcoder.schema.reading import settings_problems

        for entry, message in settings_problems(settings):
            self.bad(entry, message)
        hierarchy = settings.get("hierarchy")
        if hierarchy and hierarchy not in vocabularies:
            self.bad("settings.hierarchy", f"no vocabulary called {hierarchy!r}")
        for key in ("evidence_field", "id_prefix_field"):
            if settings.get(key) and settings[key] not in names:
                self.bad(f"settings.{key}", f"no field called {settings[key]!r}")
        roles = settings.get("roles") or {}
        if not isinstance(roles, dict):
            self.bad("settings.roles", "must be a mapping of role to field")
            roles = {}
        for role, fname in roles.items():
            if role not in ROLES:
                self.bad(f"settings.roles.{role}", f"unknown role (known: {', '.join(ROLES)})")
            elif fname not in names:
                self.bad(f"settings.roles.{role}", f"no field called {fname!r}")
        self._check_references(cb)
        if self.problems:
            raise CodebookError(self._where(), self.problems)
        return cb

    def _where(self) -> str:
        return str(self.path) if self.path else "<codebook>"

    def _vocabularies(self, raw: Any) -> dict[str, Vocabulary]:
        if not isinstance(raw, dict):
            self.bad("vocabularies", "must be a mapping of name to values")
            return {}
        out: dict[str, Vocabulary] = {}
        for name, spec in raw.items():
            entry = f"vocabularies.{name}"
            if not isinstance(spec, dict) or not isinstance(spec.get("values"), list):
                self.bad(entry, "needs a list under 'values'")
                continue
            terms: list[Term] = []
            seen: dict[str, int] = {}
            for i, item in enumerate(spec["values"]):
                item = item if isinstance(item, dict) else {"value": item}
                if "value" not in item or item["value"] in (None, ""):
                    self.bad(f"{entry}.values[{i}]", "has no value")
                    continue
                value = item["value"]
                aliases = item.get("aliases") or []
                attrs = {
                    k: v
                    for k, v in item.items()
                    if k not in ("value", "code", "aliases", "description")
                }
                term = Term(
                    value=value,
                    code=item.get("code"),
                    aliases=tuple(aliases),
                    description=str(item.get("description", "")),
                    attributes=attrs,
                )
                for spelling in [str(value), *map(str, aliases)] + (
                    [str(term.code)] if term.code is not None else []
                ):
                    if spelling in seen:
                        first = terms[seen[spelling]] if seen[spelling] < len(terms) else None
                        where = _describe_term(first) if first else ""
                        self.bad(
                            f"{entry}.values[{i}]",
                            f"{spelling!r} is listed twice ({where} and {_describe_term(term)})",
                        )
                    seen[spelling] = len(terms)
                terms.append(term)
            out[name] = Vocabulary(
                name=name, terms=tuple(terms), null_codes=tuple(spec.get("null_codes") or ())
            )
        return out

    def _fields(self, raw: Any, vocabularies: Mapping[str, Vocabulary]) -> list[Field]:
        if not isinstance(raw, list) or not raw:
            self.bad("fields", "must be a non-empty list")
            return []
        out: list[Field] = []
        seen: set[str] = set()
        allowed = {
            "name",
            "type",
            "required",
            "origin",
            "level",
            "vocabulary",
            "multiple",
            "decimals",
            "description",
            "aliases",
        }
        for i, item in enumerate(raw):
            if not isinstance(item, dict) or not item.get("name"):
                self.bad(f"fields[{i}]", "needs a name")
                continue
            name = str(item["name"])
            entry = f"fields.{name}"
            for key in item:
                if key not in allowed:
                    self.bad(entry, f"unknown key {key!r}")
            if name in seen:
                self.bad(entry, "is defined twice")
            seen.add(name)
            ftype = item.get("type", "string")
            if ftype not in FIELD_TYPES:
                self.bad(entry, f"type {ftype!r} is not one of {', '.join(FIELD_TYPES)}")
            origin = item.get("origin", "coded")
            if origin not in ORIGINS:
                self.bad(entry, f"origin {origin!r} is not one of {', '.join(ORIGINS)}")
            level = item.get("level")
            if level is not None and level not in LEVELS:
                self.bad(entry, f"level {level!r} is not one of {', '.join(LEVELS)}")
            vocab = item.get("vocabulary")
            if vocab is not None and vocab not in vocabularies:
                self.bad(entry, f"names vocabulary {vocab!r}, which is not defined")
            out.append(
                Field(
                    name=name,
                    type=ftype,
                    required=bool(item.get("required", False)),
                    origin=origin,
                    level=level,
                    vocabulary=vocab,
                    multiple=bool(item.get("multiple", False)),
                    decimals=item.get("decimals"),
                    description=" ".join(str(item.get("description", "")).split()),
                    aliases=tuple(item.get("aliases") or ()),
                )
            )
        return out

    def _rules(self, raw: Any) -> list[Rule]:
        if not isinstance(raw, list):
            self.bad("rules", "must be a list")
            return []
        out: list[Rule] = []
        seen: set[str] = set()
        for i, item in enumerate(raw):
            if not isinstance(item, dict) or not item.get("id"):
                self.bad(f"rules[{i}]", "needs an id")
                continue
            rid = str(item["id"])
            if rid in seen:
                self.bad(f"rules[{rid}]", "id is used twice")
            seen.add(rid)
            severity = item.get("severity", "error")
            if severity not in SEVERITIES:
                self.bad(f"rules[{rid}]", f"severity {severity!r} is not 'error' or 'warning'")
            params = {
                k: v
                for k, v in item.items()
                if k not in ("id", "kind", "severity", "message", "source")
            }
            out.append(
                Rule(
                    id=rid,
                    kind=str(item.get("kind", "")),
                    severity=severity,
                    message=str(item.get("message", rid)),
                    source=str(item.get("source", "")),
                    params=params,
                )
            )
        return out

    def _references(self, raw: Any) -> References:
        if not isinstance(raw, dict):
            self.bad("references", "must be a mapping")
            return References()
        base = self.path.parent if self.path else Path.cwd()
        frames: dict[str, pl.DataFrame | None] = {"actors": None, "gazetteer": None}
        for key, columns in (("actors", ACTOR_COLUMNS), ("gazetteer", GAZETTEER_COLUMNS)):
            rel = raw.get(key)
            if not rel:
                continue
            ref_path = base / rel
            try:
                frame = _read_reference(ref_path)
            except (OSError, pl.exceptions.PolarsError) as err:
                self.bad(f"references.{key}", f"cannot read {ref_path}: {err}")
                continue
            missing = [c for c in columns if c not in frame.columns and c != "alternate_names"]
            if missing:
                self.bad(f"references.{key}", f"{ref_path.name} lacks columns {', '.join(missing)}")
                continue
            frames[key] = frame
        return References(
            actors=_typed_actors(frames["actors"], self),
            gazetteer=_typed_gazetteer(frames["gazetteer"], self),
            actors_path=raw.get("actors"),
            gazetteer_path=raw.get("gazetteer"),
        )

    def _check_references(self, cb: Codebook) -> None:
        actors = cb.references.actors
        if actors is None:
            return
        type_vocabs = {
            cb.vocabulary_of(t)
            for r in cb.rules
            if r.kind == "actor_type_listed"
            for _, t in r.params.get("actors", [])
            if t in cb.field_names
        }
        for vocab in type_vocabs - {None}:
            assert vocab is not None
            spellings = vocab.spellings()
            bad = actors.filter(~pl.col("type").is_in(list(spellings)))
            for row in bad.head(5).iter_rows(named=True):
                self.bad(
                    "references.actors",
                    f"actor {row['name']!r} has type {row['type']!r}, not in {vocab.name}",
                )


def _read_reference(path: Path) -> pl.DataFrame:
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    return pl.read_csv(path, infer_schema=False)


def _typed_actors(frame: pl.DataFrame | None, loader: _Loader) -> pl.DataFrame | None:
    if frame is None:
        return None
    out = frame.select(
        pl.col("name").cast(pl.String).str.strip_chars(),
        pl.col("type").cast(pl.String).str.strip_chars(),
        pl.col("country").cast(pl.String).str.strip_chars(),
        *(
            pl.col(c)
            .cast(pl.String)
            .str.strip_chars()
            .str.to_date("%Y-%m-%d", strict=False)
            .alias(c)
            for c in ("start_date", "end_date")
        ),
    )
    for c in ("start_date", "end_date"):
        bad = frame.filter(pl.col(c).is_not_null() & out[c].is_null())
        if bad.height:
            loader.bad("references.actors", f"{c} of {bad['name'][0]!r} is not YYYY-MM-DD")
    return out


def _typed_gazetteer(frame: pl.DataFrame | None, loader: _Loader) -> pl.DataFrame | None:
    if frame is None:
        return None
    if "alternate_names" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("alternate_names"))
    out = frame.select(
        *(
            pl.col(c).cast(pl.String)
            for c in (
                "location",
                "alternate_names",
                "country",
                "region",
                "admin1",
                "admin2",
                "admin3",
            )
        ),
        pl.col("iso").cast(pl.Int64, strict=False),
        pl.col("latitude").cast(pl.Float64, strict=False),
        pl.col("longitude").cast(pl.Float64, strict=False),
    )
    bad = out.filter(pl.col("latitude").is_null() | pl.col("longitude").is_null())
    if bad.height:
        loader.bad("references.gazetteer", f"{bad['location'][0]!r} has no valid coordinates")
    return out


def _describe_term(term: Term) -> str:
    attrs = ", ".join(f"{k} {v}" for k, v in term.attributes.items() if isinstance(v, str))
    return f"{term.value!r}" + (f" under {attrs}" if attrs else "")


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
