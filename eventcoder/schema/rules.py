"""The kinds of rule eventcoder knows, and how each becomes a polars expression.

A codebook names rule *instances* (``sub-event-in-event-type``, ``protest-no-fatalities``); this
module knows their *kinds*. Each kind checks its own parameters at codebook load time and compiles
an instance into one or more :class:`Check` objects: a boolean polars expression that is True on a
row that breaks the rule, and the field it blames. The same expressions feed the pandera schemas
(:mod:`eventcoder.schema.tables`) and the fast validator (:mod:`eventcoder.schema.validation`), so a
rule is written once.

Kinds:

=====================  ================================================================
in_vocabulary          ``field`` is blank or one of ``vocabulary``'s values
lookup                 ``field`` is the ``attribute`` of the ``vocabulary`` term named by ``key``
pair_lookup            ``field`` is the term whose ``attribute`` pair is {``keys``}, in any order
date_part              ``field`` equals the ``part`` (year, month, day) of date field ``of``
required_if            when the condition ``when`` holds, every field in ``fields`` is set
forbidden_if           when ``when`` holds, every field in ``fields`` is blank
allowed_if             when ``when`` holds, ``fields`` take ``values`` (``any``: one of them does)
range                  ``field`` lies within ``min``/``max`` (``max: today``; ``max_field``)
unique                 the combination of ``fields`` occurs once in the table
actor_type_listed      an actor listed in the actor list has the list's type on the event date
actor_known            the actor is in the actor list
place_known            ``field`` names a place of the gazetteer
coordinates_near_place the coordinates lie within the codebook's tolerance of the gazetteer's
=====================  ================================================================

Any rule may name ``requires: [fields]``: it is checked only on tables that have those columns
(an event id repeats in a monadic export, one row per actor, which has no ``actor2``).

A condition (``when``) is ``{field: F, in: [...]}``, ``not_in``, ``matches: REGEX``,
``is_null: true`` or ``not_null: true``. A rule whose ``derive`` is true also fills its field
where it is blank (``lookup``, ``pair_lookup``, ``date_part``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from eventcoder.schema.codebook import Codebook, Rule

# Helper columns that reference look-ups add to a frame; they never reach an output table.
HELPER_PREFIX = "__ec_"

CONDITION_OPS = ("in", "not_in", "matches", "is_null", "not_null")
# What a date_part rule can take of a date (polars' names for them).
DATE_PARTS = ("year", "quarter", "month", "week", "day", "weekday", "ordinal_day")
# Rule kinds that read the actor list / the gazetteer (``references`` in the codebook).
ACTOR_KINDS = ("actor_type_listed", "actor_known")
PLACE_KINDS = ("place_known", "coordinates_near_place")


@dataclass(frozen=True)
class Check:
    """One compiled check: ``violation`` is True on rows that break ``rule`` at ``field``."""

    rule: Rule
    field: str
    violation: pl.Expr
    # For a check across rows (a uniqueness rule): the fields whose combination must not repeat.
    # None for a check of each row on its own values.
    unique_key: tuple[str, ...] | None = None

    @property
    def row_local(self) -> bool:
        """Whether a row breaks the check through its own values alone."""
        return self.unique_key is None

    @property
    def name(self) -> str:
        """Unique name of the check, ``rule-id@field``."""
        return f"{self.rule.id}@{self.field}"


@dataclass(frozen=True)
class _Kind:
    required: tuple[str, ...]
    field_params: tuple[str, ...]
    compile: Callable[[Rule, Codebook], list[Check]]
    optional: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# Conditions
# --------------------------------------------------------------------------------------------


def condition(when: dict[str, Any]) -> pl.Expr:
    """A boolean expression for a ``when`` mapping; never null (a blank value does not match)."""
    col = pl.col(when["field"])
    if "in" in when:
        expr = col.is_in(list(when["in"]))
    elif "not_in" in when:
        expr = col.is_not_null() & ~col.is_in(list(when["not_in"]))
    elif "matches" in when:
        expr = col.cast(pl.String).str.contains(str(when["matches"]))
    elif when.get("is_null"):
        expr = col.is_null()
    elif when.get("not_null"):
        expr = col.is_not_null()
    else:  # pragma: no cover - rejected at load time
        raise ValueError(f"bad condition {when!r}")
    return expr.fill_null(False)


def _check_condition(when: Any, cb: Codebook) -> list[tuple[str, str]]:
    if not isinstance(when, dict) or "field" not in when:
        return [(".when", "needs a mapping with a field")]
    problems = []
    if when["field"] not in cb.field_names:
        problems.append((".when", f"names field {when['field']!r}, which does not exist"))
    ops = [op for op in CONDITION_OPS if op in when]
    if len(ops) != 1:
        problems.append((".when", f"needs exactly one of {', '.join(CONDITION_OPS)}"))
    elif when["field"] in cb.field_names:
        op = ops[0]
        if op in ("in", "not_in"):
            problems += _check_values(f".when.{op}", when[op], cb.field(when["field"]).type)
        elif op in ("is_null", "not_null") and when[op] is not True:
            problems.append((f".when.{op}", f"must be true, not {when[op]!r}"))
        elif op == "matches" and not _pattern_compiles(when[op]):
            problems.append(
                (".when.matches", f"{when[op]!r} is not a regular expression polars can use")
            )
    return problems


# What a value of each field type is, in a codebook's YAML: a value of another type would be
# compared with the column and fail the run (polars refuses to compare text with numbers).
_VALUE_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "date": (str,),
}


def _check_values(entry: str, values: Any, ftype: str) -> list[tuple[str, str]]:
    """Values a condition or an allowed_if compares a field with: a list of its type."""
    if not isinstance(values, list):  # a lone string would become a list of its letters
        return [(entry, f"must be a list of values, not {values!r}")]
    wanted = _VALUE_TYPES.get(ftype)
    if wanted is None:  # an unknown type: reported with its field
        return []
    wrong = [v for v in values if type(v) not in wanted]
    if wrong:
        article = "an" if ftype[0] in "aeiou" else "a"
        return [(entry, f"{wrong[0]!r} is not a value of {article} {ftype} field")]
    return []


def _pattern_compiles(pattern: Any) -> bool:
    """Whether polars (Rust's regex, not Python's) takes ``pattern``."""
    if not isinstance(pattern, str):
        return False
    try:
        pl.Series([""]).str.contains(pattern)
    except pl.exceptions.PolarsError:
        return False
    return True


# --------------------------------------------------------------------------------------------
# Kinds
# --------------------------------------------------------------------------------------------


def _in_vocabulary(rule: Rule, cb: Codebook) -> list[Check]:
    f = rule.params["field"]
    values = list(cb.vocabularies[rule.params["vocabulary"]].values)
    col = pl.col(f)
    return [Check(rule, f, col.is_not_null() & ~col.is_in(values))]


def _lookup_expected(rule: Rule, cb: Codebook) -> pl.Expr:
    vocab = cb.vocabularies[rule.params["vocabulary"]]
    mapping = vocab.attribute(rule.params["attribute"])
    key = pl.col(rule.params["key"])
    return key.replace_strict(
        list(mapping), list(mapping.values()), default=None, return_dtype=pl.String
    )


def _differs_from(rule: Rule, expected: pl.Expr) -> list[Check]:
    """A check that the rule's field, where set, equals ``expected`` where that is known."""
    f = rule.params["field"]
    col = pl.col(f).cast(pl.String)
    bad = col.is_not_null() & expected.is_not_null() & (col != expected)
    return [Check(rule, f, bad.fill_null(False))]


def _lookup(rule: Rule, cb: Codebook) -> list[Check]:
    return _differs_from(rule, _lookup_expected(rule, cb))


def _pair_key(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """An order-free key for a pair of strings: 'x|y' with x <= y; 'x|' when b is blank."""
    a, b = a.cast(pl.String), b.cast(pl.String)
    both = (
        pl.when(a <= b)
        .then(pl.concat_str(a, pl.lit("|"), b))
        .otherwise(pl.concat_str(b, pl.lit("|"), a))
    )
    return pl.when(b.is_null()).then(pl.concat_str(a, pl.lit("|"))).otherwise(both)


def _pair_lookup_expected(rule: Rule, cb: Codebook) -> pl.Expr:
    vocab = cb.vocabularies[rule.params["vocabulary"]]
    pairs = vocab.attribute(rule.params["attribute"])
    keys, values = [], []
    for value, pair in pairs.items():
        pair = [str(p) for p in pair]
        keys.append("|".join(sorted(pair)) if len(pair) == 2 else f"{pair[0]}|")
        values.append(str(value))
    k1, k2 = rule.params["keys"]
    return _pair_key(pl.col(k1), pl.col(k2)).replace_strict(
        keys, values, default=None, return_dtype=pl.String
    )


def _pair_lookup(rule: Rule, cb: Codebook) -> list[Check]:
    return _differs_from(rule, _pair_lookup_expected(rule, cb))


def _date_part_expected(rule: Rule) -> pl.Expr:
    part = rule.params["part"]
    extract: pl.Expr = getattr(pl.col(rule.params["of"]).dt, part)()
    return extract.cast(pl.Int64)


def _date_part(rule: Rule, cb: Codebook) -> list[Check]:
    f = rule.params["field"]
    col = pl.col(f).cast(pl.Int64)
    expected = _date_part_expected(rule)
    return [Check(rule, f, (col != expected).fill_null(False))]


def _required_if(rule: Rule, cb: Codebook) -> list[Check]:
    cond = condition(rule.params["when"])
    return [Check(rule, f, cond & pl.col(f).is_null()) for f in rule.params["fields"]]


def _forbidden_if(rule: Rule, cb: Codebook) -> list[Check]:
    cond = condition(rule.params["when"])
    return [Check(rule, f, cond & pl.col(f).is_not_null()) for f in rule.params["fields"]]


def _allowed_if(rule: Rule, cb: Codebook) -> list[Check]:
    cond = condition(rule.params["when"])
    values = list(rule.params["values"])
    fields = list(rule.params["fields"])
    if rule.params.get("any"):
        hit = pl.any_horizontal([pl.col(f).is_in(values).fill_null(False) for f in fields])
        return [Check(rule, ", ".join(fields), cond & ~hit)]
    return [
        Check(rule, f, cond & pl.col(f).is_not_null() & ~pl.col(f).is_in(values).fill_null(False))
        for f in fields
    ]


def _range(rule: Rule, cb: Codebook) -> list[Check]:
    f = rule.params["field"]
    col = pl.col(f)
    bad = pl.lit(False)
    lo, hi = (_bound(rule.params.get(k)) for k in ("min", "max"))
    if lo is not None:
        bad = bad | (col < lo)
    if hi is not None:
        bad = bad | (col > hi)
    if rule.params.get("max_field"):
        other = pl.col(rule.params["max_field"])
        if cb.field(rule.params["max_field"]).type == "integer" and cb.field(f).type == "date":
            # A Unix timestamp bound on a date: compare with the timestamp's calendar day.
            other = pl.from_epoch(other.cast(pl.Int64), time_unit="s").dt.date()
        bad = bad | (col > other)
    return [Check(rule, f, bad.fill_null(False))]


def _bound(value: Any) -> Any:
    """A range rule's bound as polars compares it: ``today`` and ``YYYY-MM-DD`` as dates.

    ``today`` is evaluated when the check is built: a validation run has one notion of it. A
    codebook's dates are text (its YAML reads no dates), checked by :func:`check_rule`.
    """
    if value == "today":
        return date.today()
    if isinstance(value, str):
        return date.fromisoformat(value)
    return value


def _check_bounds(rule: Rule, cb: Codebook) -> list[tuple[str, str]]:
    """A range's bounds must be what its field holds: finite numbers, or dates (or today).

    Unchecked, ``min: yes`` compared every value with True and ``min: .nan`` rejected nothing:
    the rule passed every row without a word.
    """
    ftype = cb.field(rule.params["field"]).type
    problems = []
    for key in ("min", "max"):
        value = rule.params.get(key)
        if value is None:
            continue
        if ftype == "date":
            if value != "today" and not _iso_date(value):
                problems.append((f".{key}", f"must be a date YYYY-MM-DD or today, not {value!r}"))
        elif ftype in ("integer", "number"):
            if type(value) not in (int, float) or not math.isfinite(value):
                problems.append((f".{key}", f"must be a number, not {value!r}"))
        elif ftype in _VALUE_TYPES:  # an unknown type is reported with its field
            problems.append((f".{key}", f"a {ftype} field has no range"))
    return problems


def _iso_date(value: Any) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, re.ASCII):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _unique(rule: Rule, cb: Codebook) -> list[Check]:
    fields = list(rule.params["fields"])
    key = pl.struct(fields) if len(fields) > 1 else pl.col(fields[0])
    # Rows whose key is entirely blank are not compared (e.g. ids not yet assigned).
    any_set = pl.any_horizontal([pl.col(f).is_not_null() for f in fields])
    return [Check(rule, ", ".join(fields), key.is_duplicated() & any_set, tuple(fields))]


def _actor_type_listed(rule: Rule, cb: Codebook) -> list[Check]:
    checks = []
    for actor, type_field in rule.params["actors"]:
        listed = pl.col(helper("types", actor))
        bad = (
            pl.col(type_field).is_not_null()
            & listed.is_not_null()
            & ~listed.list.contains(pl.col(type_field))
        )
        checks.append(Check(rule, type_field, bad.fill_null(False)))
    return checks


def _actor_known(rule: Rule, cb: Codebook) -> list[Check]:
    return [
        Check(rule, actor, pl.col(actor).is_not_null() & pl.col(helper("types", actor)).is_null())
        for actor, _ in rule.params["actors"]
    ]


def _place_known(rule: Rule, cb: Codebook) -> list[Check]:
    f = rule.params["field"]
    return [Check(rule, f, pl.col(f).is_not_null() & pl.col(helper("lat", f)).is_null())]


def _coordinates_near_place(rule: Rule, cb: Codebook) -> list[Check]:
    f = rule.params["field"]
    lat, lon = rule.params["coordinates"]
    tolerance = float(
        rule.params.get("tolerance_km", cb.settings.get("coordinate_tolerance_km", 5))
    )
    dist = haversine_km(
        pl.col(lat), pl.col(lon), pl.col(helper("lat", f)), pl.col(helper("lon", f))
    )
    return [Check(rule, f"{lat}, {lon}", (dist > tolerance).fill_null(False))]


def haversine_km(lat1: pl.Expr, lon1: pl.Expr, lat2: pl.Expr, lon2: pl.Expr) -> pl.Expr:
    """Great-circle distance in kilometres between two coordinate columns."""
    p1, p2 = lat1.radians(), lat2.radians()
    dphi, dlmb = (lat2 - lat1).radians(), (lon2 - lon1).radians()
    a = (dphi / 2).sin().pow(2) + p1.cos() * p2.cos() * (dlmb / 2).sin().pow(2)
    return 2 * 6371.0088 * a.sqrt().arcsin()


KINDS: dict[str, _Kind] = {
    "in_vocabulary": _Kind(("field", "vocabulary"), ("field",), _in_vocabulary),
    "lookup": _Kind(
        ("field", "key", "vocabulary", "attribute"), ("field", "key"), _lookup, ("derive",)
    ),
    "pair_lookup": _Kind(
        ("field", "keys", "vocabulary", "attribute"), ("field", "keys"), _pair_lookup, ("derive",)
    ),
    "date_part": _Kind(("field", "of", "part"), ("field", "of"), _date_part, ("derive",)),
    "required_if": _Kind(("when", "fields"), ("fields",), _required_if),
    "forbidden_if": _Kind(("when", "fields"), ("fields",), _forbidden_if),
    "allowed_if": _Kind(("when", "fields", "values"), ("fields",), _allowed_if, ("any",)),
    "range": _Kind(("field",), ("field", "max_field"), _range, ("min", "max", "max_field")),
    "unique": _Kind(("fields",), ("fields",), _unique),
    "actor_type_listed": _Kind(("actors", "date"), ("actors", "date"), _actor_type_listed),
    "actor_known": _Kind(("actors",), ("actors", "date"), _actor_known, ("date",)),
    "place_known": _Kind(("field",), ("field",), _place_known),
    "coordinates_near_place": _Kind(
        ("field", "coordinates"),
        ("field", "coordinates"),
        _coordinates_near_place,
        ("tolerance_km",),
    ),
}


def check_rule(rule: Rule, cb: Codebook) -> list[tuple[str, str]]:
    """Problems with a rule instance, as ``(entry suffix, message)``; empty when it is sound."""
    from eventcoder.schema.codebook import iter_field_params

    kind = KINDS.get(rule.kind)
    if kind is None:
        return [(".kind", f"unknown rule kind {rule.kind!r} (known: {', '.join(sorted(KINDS))})")]
    problems: list[tuple[str, str]] = []
    allowed = set(kind.required) | set(kind.optional) | set(kind.field_params)
    allowed |= {"when", "requires"}
    for key in rule.params:
        if key not in allowed:
            problems.append((f".{key}", f"is not a parameter of kind {rule.kind}"))
    for key in kind.required:
        if key not in rule.params:
            problems.append((f".{key}", f"is required by kind {rule.kind}"))
    for key, value in rule.params.items():
        shape = _SHAPES.get(key)
        if shape is not None and not shape[0](value):
            problems.append((f".{key}", f"must be {shape[1]}, not {value!r}"))
    if problems:
        return problems
    names = set(cb.field_names)
    for key in (*kind.field_params, "requires"):
        for name in iter_field_params(rule.params.get(key)):
            if name not in names:
                problems.append((f".{key}", f"names field {name!r}, which does not exist"))
    if "when" in rule.params:
        problems += _check_condition(rule.params["when"], cb)
    vocab_name = rule.params.get("vocabulary")
    if vocab_name is not None:
        vocab = cb.vocabularies.get(vocab_name)
        if vocab is None:
            problems.append(
                (".vocabulary", f"names vocabulary {vocab_name!r}, which is not defined")
            )
        elif "attribute" in rule.params:
            problems += _check_attribute(rule, cb)
    if rule.kind in ACTOR_KINDS and cb.references.actors is None:
        problems.append(("", "needs an actor list (references.actors)"))
    if rule.kind in PLACE_KINDS and cb.references.gazetteer is None:
        problems.append(("", "needs a gazetteer (references.gazetteer)"))
    if rule.kind == "pair_lookup" and len(rule.params["keys"]) != 2:
        problems.append((".keys", "needs exactly two fields"))
    if rule.kind == "allowed_if" and not problems:
        for f in rule.params["fields"]:
            problems += _check_values(".values", rule.params["values"], cb.field(f).type)
        problems += [] if problems else _check_allowed_values(rule, cb)
    if rule.kind == "date_part" and rule.params["of"] in names:
        if cb.field(rule.params["of"]).type in set(_VALUE_TYPES) - {"date"}:
            problems.append((".of", f"{rule.params['of']!r} is not a date field"))
    if rule.kind == "date_part" and rule.params["part"] not in DATE_PARTS:
        problems.append((".part", f"{rule.params['part']!r} is not one of {', '.join(DATE_PARTS)}"))
    if rule.kind == "range" and not problems:
        problems += _check_bounds(rule, cb)
    return problems


def _name(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _names(value: Any, count: int | None = None) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(map(_name, value))
        and (count is None or len(value) == count)
    )


# The shape of each parameter a rule kind reads, checked before anything looks inside it: a
# field given as a list was looked up in a dict (a traceback), `fields: deaths` read as the
# letters d, e, a, ..., an empty `fields` failed the run, `derive: 'no'` counted as true.
_SHAPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    **{key: (_name, "the name of a field") for key in ("field", "key", "of", "max_field", "date")},
    "fields": (_names, "a non-empty list of field names"),
    "keys": (lambda v: _names(v, 2), "a list of two field names"),
    "coordinates": (lambda v: _names(v, 2), "a list of two field names (latitude, longitude)"),
    "actors": (
        lambda v: isinstance(v, list) and bool(v) and all(_names(p, 2) for p in v),
        "a non-empty list of [actor field, type field] pairs",
    ),
    "requires": (lambda v: _name(v) or _names(v), "a field name or a list of them"),
    "vocabulary": (_name, "the name of a vocabulary"),
    "attribute": (_name, "the name of a term attribute"),
    "derive": (lambda v: type(v) is bool, "true or false"),
    "any": (lambda v: type(v) is bool, "true or false"),
    "tolerance_km": (
        lambda v: type(v) in (int, float) and math.isfinite(v) and v > 0,
        "a distance in km above 0",
    ),
}


def _check_attribute(rule: Rule, cb: Codebook) -> list[tuple[str, str]]:
    """Every term's attribute must be a value of the target field's vocabulary."""
    vocab = cb.vocabularies[rule.params["vocabulary"]]
    attr = rule.params["attribute"]
    problems = []
    missing = [t.value for t in vocab.terms if attr not in t.attributes]
    if missing:
        problems.append((".attribute", f"{vocab.name} values without {attr!r}: {missing[:3]}"))
    targets = [rule.params["field"]] if rule.kind == "lookup" else list(rule.params["keys"])
    target_vocab = cb.vocabulary_of(targets[0]) if targets[0] in cb.field_names else None
    if target_vocab is None:
        return problems
    allowed = set(target_vocab.values)
    for term in vocab.terms:
        raw = term.attributes.get(attr)
        for v in raw if isinstance(raw, list) else [raw]:
            if v is not None and v not in allowed:
                problems.append(
                    (
                        ".attribute",
                        f"{vocab.name} value {term.value!r} has {attr} "
                        f"{v!r}, which is not in {target_vocab.name}",
                    )
                )
    return problems


def _check_allowed_values(rule: Rule, cb: Codebook) -> list[tuple[str, str]]:
    problems = []
    for f in rule.params["fields"]:
        vocab = cb.vocabulary_of(f)
        if vocab is None:
            continue
        unknown = [v for v in rule.params["values"] if v not in vocab.values]
        if unknown:
            problems.append((".values", f"{unknown} are not values of {vocab.name}"))
    return problems


def compile_checks(cb: Codebook, *, skip_fields: Iterable[str] = ()) -> list[Check]:
    """Every check of the codebook's rules, leaving out rules on fields in ``skip_fields``."""
    from eventcoder.schema.codebook import iter_field_params

    skip = set(skip_fields)
    out: list[Check] = []
    for rule in cb.rules:
        kind = KINDS[rule.kind]
        used = {n for key in kind.field_params for n in iter_field_params(rule.params.get(key))}
        if "when" in rule.params:
            used.add(rule.params["when"]["field"])
        used |= set(iter_field_params(rule.params.get("requires")))
        if used & skip:
            continue
        out.extend(kind.compile(rule, cb))
    return out


def derivations(cb: Codebook) -> list[tuple[str, pl.Expr]]:
    """``(field, expression)`` pairs that fill derivable fields, in rule order."""
    return [(field, expr) for _, field, expr in derivation_rules(cb)]


def derivation_rules(cb: Codebook) -> list[tuple[Rule, str, pl.Expr]]:
    """``(rule, field, expression)`` for each rule that fills its field where blank."""
    out = []
    for rule in cb.rules:
        if not rule.params.get("derive"):
            continue
        if rule.kind == "lookup":
            expr = _lookup_expected(rule, cb)
        elif rule.kind == "pair_lookup":
            expr = _pair_lookup_expected(rule, cb)
        elif rule.kind == "date_part":
            expr = _date_part_expected(rule)
        else:
            continue
        out.append((rule, rule.params["field"], expr))
    return out


def helper(what: str, field: str) -> str:
    """Name of a helper column added by reference look-ups."""
    return f"{HELPER_PREFIX}{what}_{field}"
