"""Reading and checking a codebook file: bounded YAML, then every entry checked at once.

Loading checks the whole file and reports every problem at once, each with the file and the entry.
What is refused, and why:

- YAML that is not UTF-8, nests deeper than :data:`MAX_DEPTH` levels, repeats a key in one
  mapping (YAML would keep the last silently), or whose aliases would repeat more than
  :data:`MAX_ALIAS_NODES` values: a few lines of anchors can stand for billions of values (an
  "alias bomb") that load in a blink and exhaust memory later, wherever the codebook is walked.
- Field names that are not identifiers (``[A-Za-z][A-Za-z0-9_]*``): a name becomes a column, a
  Label Studio control name and an SQL identifier, where ``coder's note`` would break out.
  Names of eventcoder's own columns (``coder``, ``task_id``, ...) are refused too.
- Every setting is checked here, not when a later stage first reads it: a tie policy naming a
  field that does not exist fails ``codebook check``, not ``adjudicate``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from eventcoder.errors import CodebookError, InputError
from eventcoder.schema.codebook import (
    ACTOR_COLUMNS,
    ALIGNMENT_COMPONENTS,
    CONTROL_SEPARATOR,
    FIELD_NAME,
    FIELD_TYPES,
    GAZETTEER_COLUMNS,
    LEVELS,
    MAX_BYTES,
    NUMERIC_TIES,
    NUMERIC_TYPES,
    ORIGINS,
    RESERVED_NAMES,
    ROLES,
    RULE_ID,
    SEVERITIES,
    TIE_POLICIES,
    Codebook,
    Field,
    References,
    Rule,
    Term,
    Vocabulary,
)
from eventcoder.schema.text_checks import control_characters, folded, hidden_characters, shown
from eventcoder.schema.yaml_loader import BoundedLoader


def read_codebook_file(path: str | Path) -> Codebook:
    """Load and check a codebook file; raise :class:`CodebookError` listing every problem."""
    path = Path(path)
    try:
        if path.exists() and not path.is_file():  # a folder, /dev/zero, a pipe
            raise CodebookError(str(path), [("file", "is not a regular file")])
        if path.exists() and path.stat().st_size > MAX_BYTES:
            raise CodebookError(
                str(path),
                [("file", f"is over {MAX_BYTES >> 20} MB, far more than any codebook")],
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise CodebookError(str(path), [("file", "not found")]) from None
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise CodebookError(str(path), [("file", f"cannot be read: {reason}")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        problem = (
            f"is not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start}); "
            "save it as UTF-8"
        )
        raise CodebookError(str(path), [("file", problem)]) from None
    try:
        raw = yaml.load(text, Loader=BoundedLoader)
    except yaml.YAMLError as err:
        where = getattr(err, "problem_mark", None)
        entry = f"line {where.line + 1}" if where else "file"
        what = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise CodebookError(str(path), [(entry, f"not valid YAML: {what}")]) from None
    return codebook_from_dict(raw, path)


def codebook_from_dict(raw: Any, path: Path | None) -> Codebook:
    """Build and check a codebook from parsed YAML; reference paths resolve beside ``path``."""
    return _Loader(raw, path).load()


class _Loader:
    """Turns parsed YAML into a Codebook while collecting every problem found."""

    def __init__(self, raw: Any, path: Path | None):
        self.raw = raw
        self.path = path
        self.problems: list[tuple[str, str]] = []

    def bad(self, entry: str, message: str) -> None:
        # An entry is made of the file's keys: a key holding a line break would split the
        # one line a problem is printed on.
        if not entry.isprintable():
            entry = "".join(c if c.isprintable() else repr(c)[1:-1] for c in entry)
        self.problems.append((entry, message))

    def text(self, entry: str, value: Any) -> str:
        """``value`` as the text the file holds; a problem if YAML read it as something else.

        ``version: 1.10`` is the number 1.1 and ``title: true`` a boolean: their text is gone
        by the time they are read, so they are refused rather than written back changed. A
        whole number is kept (only plain decimals are read as numbers, so its text is exact).
        """
        if isinstance(value, str):
            return value
        if type(value) is int:
            return str(value)
        self.bad(
            entry,
            f"YAML reads this as {type(value).__name__} {value!r}, not as text: put it in quotes",
        )
        return str(value)

    def load(self) -> Codebook:
        from eventcoder.schema.rules import check_rule  # rules know their own parameters

        raw = self.raw
        if not isinstance(raw, dict):
            raise CodebookError(self._where(), [("file", "the top level must be a mapping")])
        for entry, char in control_characters(raw):
            what = "a lone surrogate" if "\ud800" <= char <= "\udfff" else "the control character"
            self.bad(
                entry,
                f"holds {what} U+{ord(char):04X}: remove it (the codebook's text reaches "
                "terminals, coding instructions, Label Studio and data cards as written)",
            )
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
        name = self.text("codebook.name", head.get("name", ""))
        cb = Codebook(
            name=name,
            version=self.text("codebook.version", head.get("version", "")),
            title=self.text("codebook.title", head.get("title", name)),
            fields=tuple(fields),
            vocabularies=vocabularies,
            rules=tuple(rules),
            settings=settings,
            meta=meta,
            references=references,
            path=str(self.path) if self.path else None,
        )
        for rule in rules:
            for entry, message in check_rule(rule, cb):
                self.bad(f"rules[{rule.id}]{entry}", message)
        self._check_settings(settings, cb)
        self._check_references(cb)
        if self.problems:
            raise CodebookError(self._where(), self.problems)
        return cb

    def _check_settings(self, settings: Mapping[str, Any], cb: Codebook) -> None:
        """Check every setting now, so that no later stage is the first to find one broken."""
        names = set(cb.field_names)
        checks = {
            "hierarchy": self._setting_hierarchy,
            "evidence_field": self._setting_field,
            "id_prefix_field": self._setting_field,
            "id_prefix": self._setting_id_prefix,
            "id_prefixes": self._setting_id_prefixes,
            "coordinate_tolerance_km": self._setting_tolerance,
            "agreement": self._setting_agreement,
            "alignment": self._setting_alignment,
            "adjudication": self._setting_adjudication,
            "roles": self._setting_roles,
            "missing_values": self._setting_reading,
            "missing_numbers": self._setting_reading,
            "layouts": self._setting_reading,
        }
        for key, value in settings.items():
            check = checks.get(key)
            if check is None:
                self.bad(f"settings.{key}", f"unknown setting (known: {', '.join(checks)})")
            elif value is not None:
                check(f"settings.{key}", value, cb, names)

    def _setting_reading(self, entry: str, value: Any, cb: Codebook, names: set[str]) -> None:
        from eventcoder.schema.reading import settings_problems

        for where, message in settings_problems({entry.removeprefix("settings."): value}):
            self.bad(where, message)

    def _setting_hierarchy(self, entry: str, value: Any, cb: Codebook, names: set[str]) -> None:
        if not isinstance(value, str) or value not in cb.vocabularies:
            self.bad(entry, f"no vocabulary called {value!r}")

    def _setting_field(self, entry: str, value: Any, cb: Codebook, names: set[str]) -> None:
        if not isinstance(value, str) or value not in names:
            self.bad(entry, f"no field called {value!r}")

    def _setting_id_prefix(self, entry: str, value: Any, cb: Codebook, names: set[str]) -> None:
        if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{1,10}", value):
            self.bad(entry, f"{value!r} is not 1 to 10 capital letters (ids are prefix + serial)")

    def _setting_id_prefixes(self, entry: str, value: Any, cb: Codebook, names: set[str]) -> None:
        if not self._mapping(entry, value):
            return
        for country, prefix in value.items():
            self._setting_id_prefix(f"{entry}.{country}", prefix, cb, names)

    def _setting_tolerance(self, entry: str, value: Any, cb: Codebook, names: set[str]) -> None:
        if not _number(value) or value <= 0:
            self.bad(entry, f"must be a distance in km above 0, not {value!r}")

    def _setting_agreement(self, entry: str, value: Any, cb: Codebook, names: set[str]) -> None:
        if not self._mapping(entry, value, ("pass", "tentative")):
            return
        for key, bound in value.items():
            if not _number(bound) or not 0 < bound <= 1:
                self.bad(f"{entry}.{key}", f"must be an alpha between 0 and 1, not {bound!r}")
        low, high = value.get("tentative", 0.667), value.get("pass", 0.8)
        if _number(low) and _number(high) and low > high:
            self.bad(entry, f"tentative ({low}) is above pass ({high})")

    def _setting_alignment(self, entry: str, value: Any, cb: Codebook, names: set[str]) -> None:
        if not self._mapping(entry, value, ("weights", "threshold", "date_scale_days")):
            return
        weights = value.get("weights")
        if weights is not None and self._mapping(f"{entry}.weights", weights, ALIGNMENT_COMPONENTS):
            for key, weight in weights.items():
                if not _number(weight) or weight < 0:
                    self.bad(f"{entry}.weights.{key}", f"must be a number >= 0, not {weight!r}")
            if len(weights) == len(ALIGNMENT_COMPONENTS) and all(map(_number, weights.values())):
                if sum(weights.values()) <= 0:
                    self.bad(f"{entry}.weights", "must not all be 0")
        threshold = value.get("threshold")
        if threshold is not None and (not _number(threshold) or not 0 < threshold <= 1):
            self.bad(f"{entry}.threshold", f"must be above 0 and at most 1, not {threshold!r}")
        scale = value.get("date_scale_days")
        if scale is not None and (not _number(scale) or scale <= 0):
            self.bad(f"{entry}.date_scale_days", f"must be a number of days above 0, not {scale!r}")

    def _setting_adjudication(self, entry: str, value: Any, cb: Codebook, names: set[str]) -> None:
        if not self._mapping(entry, value, ("ties",)):
            return
        ties = value.get("ties")
        if ties is None or not self._mapping(f"{entry}.ties", ties):
            return
        for fname, policy in ties.items():
            where = f"{entry}.ties.{fname}"
            if policy not in TIE_POLICIES:
                self.bad(where, f"unknown tie policy {policy!r} (known: {', '.join(TIE_POLICIES)})")
            if fname not in names:
                self.bad(where, f"no field called {fname!r}")
            elif policy in NUMERIC_TIES and cb.field(fname).type not in NUMERIC_TYPES:
                self.bad(
                    where,
                    f"policy {policy!r} needs a number or a date; {fname} is a "
                    f"{cb.field(fname).type}",
                )

    def _setting_roles(self, entry: str, value: Any, cb: Codebook, names: set[str]) -> None:
        if not self._mapping(entry, value):
            return
        for role, fname in value.items():
            if role not in ROLES:
                self.bad(f"{entry}.{role}", f"unknown role (known: {', '.join(ROLES)})")
            elif not isinstance(fname, str) or fname not in names:
                self.bad(f"{entry}.{role}", f"no field called {fname!r}")

    def _mapping(self, entry: str, value: Any, keys: Iterable[str] | None = None) -> bool:
        """True when ``value`` is a mapping whose keys are among ``keys``; else record why not."""
        if not isinstance(value, dict):
            self.bad(entry, "must be a mapping")
            return False
        known = tuple(keys) if keys is not None else None
        for key in value:
            if known is not None and key not in known:
                self.bad(f"{entry}.{key}", f"unknown key (known: {', '.join(known)})")
        return True

    def _where(self) -> str:
        return str(self.path) if self.path else "<codebook>"

    def _vocabularies(self, raw: Any) -> dict[str, Vocabulary]:
        if not isinstance(raw, dict):
            self.bad("vocabularies", "must be a mapping of name to values")
            return {}
        out: dict[str, Vocabulary] = {}
        for name, spec in raw.items():
            entry = f"vocabularies.{name}"
            if not isinstance(name, str):
                self.bad(entry, f"a vocabulary's name is text, not {name!r}")
                continue
            if not isinstance(spec, dict) or not isinstance(spec.get("values"), list):
                self.bad(entry, "needs a list under 'values'")
                continue
            terms: list[Term] = []
            seen: dict[str, int] = {}
            by_folded: dict[str, tuple[int, str]] = {}  # folded(spelling) -> (term, spelling)
            for i, item in enumerate(spec["values"]):
                item = item if isinstance(item, dict) else {"value": item}
                if "value" not in item or item["value"] in (None, ""):
                    self.bad(f"{entry}.values[{i}]", "has no value")
                    continue
                value = item["value"]
                if type(value) not in (str, int):
                    self.bad(
                        f"{entry}.values[{i}]",
                        f"value {value!r} is not text or a number (YAML reads it as "
                        f"{type(value).__name__}: put it in quotes)",
                    )
                    continue
                aliases = item.get("aliases") or []
                if not _strings(aliases):
                    self.bad(f"{entry}.values[{i}].aliases", "must be a list of spellings")
                    aliases = []
                if item.get("code") is not None and type(item.get("code")) is not int:
                    self.bad(
                        f"{entry}.values[{i}].code",
                        f"{item['code']!r} is not a whole number of at most 18 digits",
                    )
                    continue
                attrs = {
                    k: v
                    for k, v in item.items()
                    if k not in ("value", "code", "aliases", "description")
                }
                term = Term(
                    value=value,
                    code=item.get("code"),
                    aliases=tuple(aliases),
                    description=self.text(
                        f"{entry}.values[{i}].description", item.get("description", "")
                    ),
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
                    hidden = hidden_characters(spelling)
                    if hidden:
                        self.bad(f"{entry}.values[{i}]", f"{spelling!r} {hidden}")
                        continue
                    other = by_folded.setdefault(folded(spelling), (len(terms), spelling))
                    if other[0] != len(terms) and other[1] != spelling:
                        self.bad(
                            f"{entry}.values[{i}]",
                            f"{shown(spelling)} differs from {shown(other[1])} only in letter "
                            "case or Unicode form: coders and readers cannot tell them apart",
                        )
                terms.append(term)
            null_codes = spec.get("null_codes")
            null_codes = [] if null_codes is None else null_codes
            if not isinstance(null_codes, list) or any(type(c) is not int for c in null_codes):
                self.bad(f"{entry}.null_codes", "must be a list of whole numbers")
                null_codes = []
            out[name] = Vocabulary(name=name, terms=tuple(terms), null_codes=tuple(null_codes))
        return out

    def _fields(self, raw: Any, vocabularies: Mapping[str, Vocabulary]) -> list[Field]:
        if not isinstance(raw, list) or not raw:
            self.bad("fields", "must be a non-empty list")
            return []
        out: list[Field] = []
        seen: set[str] = set()
        lowered: dict[str, str] = {}  # name.lower() -> the first field so named
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
            if not isinstance(item["name"], str) or not FIELD_NAME.fullmatch(name):
                entry = f"fields[{i}]"
                self.bad(
                    entry,
                    f"name {name!r} is not an identifier: use letters, digits and _ (at most "
                    "63, starting with a letter), as it becomes a column and a control name",
                )
            elif name.lower() in RESERVED_NAMES:
                self.bad(
                    entry,
                    f"{name!r} is a name eventcoder uses itself (a column it adds, or a tag of "
                    "the labeling config): rename the field",
                )
            elif CONTROL_SEPARATOR in name:
                self.bad(
                    entry,
                    f"{name!r} holds {CONTROL_SEPARATOR!r}, which the labeling config puts "
                    "between a field and a value in the names of its own controls",
                )
            elif name.lower() in lowered and name not in seen:
                # Headers are matched in any case, and DuckDB's and SQL's names ignore it.
                self.bad(
                    entry,
                    f"differs from field {lowered[name.lower()]!r} only in letter case; "
                    "columns are matched in any case",
                )
            lowered.setdefault(name.lower(), name)
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
            if vocab is not None and (not isinstance(vocab, str) or vocab not in vocabularies):
                self.bad(entry, f"names vocabulary {vocab!r}, which is not defined")
            aliases = item.get("aliases") or []
            if not _strings(aliases):
                self.bad(f"{entry}.aliases", "must be a list of column names")
                aliases = []
            for flag in ("required", "multiple"):
                if type(item.get(flag, False)) is not bool:  # bool("no") would be True
                    self.bad(f"{entry}.{flag}", f"must be true or false, not {item[flag]!r}")
            decimals = item.get("decimals")
            if decimals is not None and (type(decimals) is not int or decimals < 0):
                self.bad(f"{entry}.decimals", f"must be a whole number >= 0, not {decimals!r}")
                decimals = None
            out.append(
                Field(
                    name=name,
                    type=ftype,
                    required=bool(item.get("required", False)),
                    origin=origin,
                    level=level,
                    vocabulary=vocab,
                    multiple=bool(item.get("multiple", False)),
                    decimals=decimals,
                    description=" ".join(
                        self.text(f"{entry}.description", item.get("description", "")).split()
                    ),
                    aliases=tuple(aliases),
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
            if not RULE_ID.fullmatch(rid):
                # An id is public API: a column value, a file name in reports, a message start.
                self.bad(
                    f"rules[{i}]",
                    f"id {rid!r} is not letters, digits and . _ - (at most 100, starting with a "
                    "letter or digit)",
                )
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
                    message=self.text(f"rules[{rid}].message", item.get("message", rid)),
                    source=self.text(f"rules[{rid}].source", item.get("source", "")),
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
        self._mapping("references", raw, frames)  # a typo (actor:) would drop the list unseen
        for key, columns in (("actors", ACTOR_COLUMNS), ("gazetteer", GAZETTEER_COLUMNS)):
            rel = raw.get(key)
            if not rel:
                continue
            if not isinstance(rel, str):
                self.bad(f"references.{key}", f"must be the path of a file, not {rel!r}")
                continue
            ref_path = base / str(rel)
            if ref_path.exists() and not ref_path.is_file():  # /dev/zero would never end
                self.bad(f"references.{key}", f"{ref_path} is not a regular file")
                continue
            try:
                frame = _read_reference(ref_path)
            except InputError as err:  # names the file and what is wrong with it
                self.bad(f"references.{key}", str(err))
                continue
            except OSError as err:
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
    """A reference list as written, read like event tables are: a list edited in a spreadsheet
    and saved as cp1252 or ';'-separated text loads too."""
    from eventcoder.schema.reading import read_table  # reading needs the codebook module

    return read_table(path)


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


def _number(value: Any) -> bool:
    """True for a finite int or float (YAML's ``yes`` is a bool, ``.nan`` no bound at all)."""
    return type(value) in (int, float) and math.isfinite(value)


def _strings(value: Any) -> bool:
    """True for a list of strings (a lone string would become a tuple of its letters)."""
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _describe_term(term: Term) -> str:
    attrs = ", ".join(f"{k} {v}" for k, v in term.attributes.items() if isinstance(v, str))
    return f"{term.value!r}" + (f" under {attrs}" if attrs else "")
