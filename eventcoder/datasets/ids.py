"""Stable event ids: ACLED-style ``event_id_cnty``, a country prefix and a serial (``SYR12``).

An event keeps its id from one release to the next. Ids are keyed by the source article and the
event within it, never by row order: the new gold events of each article are matched to the
previous release's events of the same article, and matched events inherit their ids.

1. Events whose every field and span are unchanged match first, exactly (the common case, and a
   vectorised join however large the release).
2. The rest of each article are matched with :func:`eventcoder.datasets.align.match_events`, the
   same similarity and optimal assignment that aligns coders' events (span, location, date, event
   type), so an event whose fatalities were corrected keeps its id.
3. Unmatched new events get fresh serials above the highest ever issued under their prefix. The
   highest serial per prefix is kept in each release (``serials``), so the id of a removed event
   is never given to another event, even when the removed event had the highest serial.

The id column is the codebook's ``id`` role (``event_id_cnty`` in the ACLED codebook). The
prefix is the country's ISO 3166-1 alpha-3 code (``SYR``, ``COD``), found through ``pycountry``
from the ``id_prefix`` role (``iso``, ISO 3166-1 numeric, ``760``) or, when that is blank, from
the country's name (``country``: ISO names and common names, ``Syria``, ``Syrian Arab Republic``,
``Bolivia``). ACLED's own ids use its own country acronyms, which are the ISO alpha-3 code for
most countries but not all (``ALG`` Algeria, ``NIG`` Nigeria, ``DRC`` DR Congo, ``CAO``
Cameroon): eventcoder's ids follow ISO 3166, and a codebook that wants other prefixes, or
prefixes for places ISO 3166 does not list (Kosovo), maps them in ``settings.id_prefixes``
(``{Kosovo: XKX, Algeria: ALG}``, keyed by country name or ISO numeric code). An event whose
country cannot be found is refused with its row named: a prefix is never made up. A codebook
with neither role, and an event with neither value (where the codebook makes both optional),
use ``settings.id_prefix`` (default ``EV``). Serials are
counted per prefix. New serials are issued in article, then aligned-event order, so the same
inputs give the same ids.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl
import pycountry

from eventcoder.datasets.align import match_events
from eventcoder.errors import InputError
from eventcoder.hashing import row_hash
from eventcoder.schema.codebook import Codebook

ID = "event_id_cnty"  # the ACLED codebook's id column; others name theirs (see id_field)
SOURCE_COLUMNS = ("article_id", "aligned_event", "span_start", "span_end")

PREFIX = re.compile(r"[A-Z]+", re.ASCII)  # what highest_serials can read back


@dataclass(frozen=True)
class IdAssignment:
    """Gold events with ids, and the highest serial ever issued per prefix."""

    events: pl.DataFrame
    serials: dict[str, int]
    inherited: int
    issued: int


def id_field(cb: Codebook) -> str:
    """The column holding event ids: the codebook's ``id`` role; InputError when it has none."""
    name = cb.role("id")
    if name is None:
        raise InputError(
            f"codebook {cb.label} names no event id field; add a string field with origin "
            "release (or name one in settings.roles.id)"
        )
    return name


def id_prefixes(gold: pl.DataFrame, cb: Codebook) -> pl.Series:
    """The id prefix of each row of ``gold`` (see the module docstring).

    Raises :class:`InputError` naming the first row whose country has no prefix. Countries are
    looked up once per distinct (code, name), not once per row.
    """
    iso_field, country = cb.role("id_prefix"), cb.role("country")
    cols = {
        "_iso": iso_field if iso_field in gold.columns else None,
        "_country": country if country in gold.columns else None,
    }
    fallback = str(cb.settings.get("id_prefix") or "EV")
    if not any(cols.values()):
        return pl.Series("_prefix", [fallback] * gold.height, dtype=pl.String)
    keys = gold.select(
        (
            pl.col(col).cast(pl.String).str.strip_chars().replace("", None)
            if col
            else pl.lit(None, pl.String)
        ).alias(alias)
        for alias, col in cols.items()
    )
    overrides = _overrides(cb)
    distinct = keys.unique()
    found = [
        # No country at all (where the codebook makes it optional): the codebook's own prefix.
        fallback if code is None and name is None else _prefix_of(code, name, overrides)
        for code, name in distinct.iter_rows()
    ]
    table = distinct.with_columns(pl.Series("_prefix", found, dtype=pl.String))
    out = keys.join(
        table, on=["_iso", "_country"], how="left", nulls_equal=True, maintain_order="left"
    )
    missing = out["_prefix"].is_null()
    if missing.any():
        row = int(missing.arg_true()[0])
        _refuse(gold, row, out.row(row, named=True), iso_field, country, int(missing.sum()))
    return out["_prefix"]


def _overrides(cb: Codebook) -> dict[str, str]:
    """``settings.id_prefixes`` keyed by upper-cased country name or ISO numeric code."""
    raw = cb.settings.get("id_prefixes") or {}
    if not isinstance(raw, dict):
        raise InputError(
            f"codebook {cb.label}: settings.id_prefixes must map countries to prefixes"
        )
    out = {}
    for key, prefix in raw.items():
        if not PREFIX.fullmatch(str(prefix)):
            raise InputError(
                f"codebook {cb.label}: settings.id_prefixes.{key} is {prefix!r}; a prefix is "
                "capital letters A-Z (ids are the prefix and a serial, e.g. SYR12)"
            )
        out[_key(str(key))] = str(prefix)
    return out


def _key(value: str) -> str:
    """A country name or ISO numeric code as the overrides are keyed: ``760``, ``SYRIA``."""
    code = _numeric(value)
    return str(code) if code is not None else value.strip().upper()


def _numeric(value: str | None) -> int | None:
    """``"760"``, ``"760.0"`` -> 760; None for anything else."""
    try:
        number = float(value) if value else None
    except ValueError:
        return None
    return int(number) if number is not None and number.is_integer() else None


def _prefix_of(code: str | None, name: str | None, overrides: dict[str, str]) -> str | None:
    """The prefix of one (ISO numeric code, country name), or None when neither is known."""
    for value in (code, name):
        if value is not None and _key(value) in overrides:
            return overrides[_key(value)]
    number = _numeric(code)
    if number is not None and 0 < number < 1000:
        country = pycountry.countries.get(numeric=f"{number:03d}")
        if country is not None:
            return str(country.alpha_3)
    if code is None and name is not None:
        try:
            return str(pycountry.countries.lookup(name).alpha_3)
        except LookupError:
            return None
    return None


def _refuse(
    gold: pl.DataFrame,
    row: int,
    keys: dict[str, str | None],
    iso_field: str | None,
    country: str | None,
    count: int,
) -> None:
    where = ", ".join(
        f"{c} {gold[c][row]}" for c in ("article_id", "aligned_event") if c in gold.columns
    )
    said = [
        f"{field} {keys[alias]!r}" if keys[alias] is not None else f"{field} blank"
        for field, alias in ((iso_field, "_iso"), (country, "_country"))
        if field is not None and field in gold.columns
    ]
    more = f" (and {count - 1} more)" if count > 1 else ""
    number = int(gold["_g"][row]) + 1 if "_g" in gold.columns else row + 1
    raise InputError(
        f"gold event row {number} ({where}): {' and '.join(said)} name no ISO 3166 country, "
        f"so its event id has no prefix{more}; fill {iso_field or country} with the "
        "country's ISO 3166-1 code, or map it in the codebook's settings.id_prefixes"
    )


def highest_serials(ids: pl.Series) -> dict[str, int]:
    """Highest serial per prefix among ``ids`` (``SYR12`` -> ``{"SYR": 12}``)."""
    parts = (
        ids.drop_nulls().str.extract_groups(r"^(?<prefix>[A-Z]+)(?<serial>\d+)$").struct.unnest()
    )
    top = (
        parts.drop_nulls()
        .group_by("prefix")
        .agg(pl.col("serial").cast(pl.Int64).max())
        .sort("prefix")
    )
    return dict(zip(top["prefix"].to_list(), top["serial"].to_list(), strict=True))


def _merge_serials(*maps: Mapping[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for m in maps:
        for k, v in m.items():
            out[k] = max(out.get(k, 0), int(v))
    return dict(sorted(out.items()))


def assign_ids(
    gold: pl.DataFrame,
    cb: Codebook,
    previous: pl.DataFrame | None = None,
    serials: Mapping[str, int] | None = None,
    *,
    threshold: float | None = None,
) -> IdAssignment:
    """Return ``gold`` with ``event_id_cnty`` first: inherited from ``previous`` or freshly issued.

    ``gold`` has ``article_id`` and ``aligned_event`` (and ideally the span); ``previous`` is the
    previous release's events with the same columns and their ids; ``serials`` the highest serial
    ever issued per prefix (ids in ``previous`` count too). The ids go into the codebook's id
    field (:func:`id_field`).
    """
    id_col = id_field(cb)
    gold = gold.drop(id_col, strict=False).with_row_index("_g")
    fields = [f.name for f in cb.fields if f.origin != "release" and f.name in gold.columns]
    spans = [c for c in ("span_start", "span_end") if c in gold.columns]
    known = _merge_serials(serials or {})
    matched = pl.DataFrame(schema={"_g": pl.UInt32, id_col: pl.String})
    if previous is not None and previous.height and gold.height:
        known = _merge_serials(known, highest_serials(previous[id_col]))
        common = [c for c in [*fields, *spans] if c in previous.columns]
        matched = _match(gold, previous, common, cb, threshold, id_col)
    with_ids = gold.join(matched, on="_g", how="left", maintain_order="left")
    fresh = with_ids.filter(pl.col(id_col).is_null())
    fresh = fresh.with_columns(id_prefixes(fresh, cb))
    # Fresh serials in article, then aligned-event order (k compared as a number).
    fresh = fresh.with_columns(
        _k=pl.col("aligned_event").str.extract(r"#(\d+)$").cast(pl.Int64, strict=False)
    ).sort("article_id", "_k", "aligned_event", "_g")
    base = pl.col("_prefix").replace_strict(known, default=0, return_dtype=pl.Int64)
    fresh = fresh.with_columns(
        _serial=base + pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("_prefix")
    ).with_columns(pl.concat_str("_prefix", pl.col("_serial").cast(pl.String)).alias(id_col))
    issued = fresh.group_by("_prefix").agg(pl.col("_serial").max()).rows() if fresh.height else []
    known = _merge_serials(known, dict(issued))
    ids = pl.concat(
        [matched.with_columns(pl.col("_g").cast(pl.UInt32)), fresh.select("_g", id_col)]
    )
    events = (
        gold.join(ids, on="_g", how="left").sort("_g").drop("_g").select(id_col, pl.exclude(id_col))
    )
    return IdAssignment(events, known, inherited=matched.height, issued=fresh.height)


def _marked(height: int, rows: pl.Series) -> pl.Series:
    """A boolean mask of ``height`` rows, True at the row numbers ``rows``."""
    return pl.zeros(height, pl.Boolean, eager=True).scatter(rows, True)


def _match(
    gold: pl.DataFrame,
    previous: pl.DataFrame,
    common: list[str],
    cb: Codebook,
    threshold: float | None,
    id_col: str = ID,
) -> pl.DataFrame:
    """``(_g, event_id_cnty)`` for the gold rows that match a previous event of their article."""
    prev = previous.with_row_index("_p")
    new_fp = gold.select("_g", "article_id", _fp=row_hash(common))
    old_fp = prev.select("_p", "article_id", id_col, _fp=row_hash(common))
    # Exact matches: equal fingerprints, paired in order when an article repeats an event.
    # Numbering the repeats is a window over every (article, fingerprint): skipped when, as
    # usual, no event repeats.
    repeats = any(
        fp.select(row_hash(["_fp", "article_id"]).n_unique()).item() < fp.height
        for fp in (new_fp, old_fp)
    )
    on = ["article_id", "_fp"]
    if repeats:
        new_fp = new_fp.with_columns(_n=pl.int_range(pl.len()).over("article_id", "_fp"))
        old_fp = old_fp.with_columns(_n=pl.int_range(pl.len()).over("article_id", "_fp"))
        on.append("_n")
    exact = new_fp.join(old_fp, on=on, how="inner")
    # _g and _p number the rows: a mask finds the unmatched ones without a join.
    rest_new = gold.filter(~_marked(gold.height, exact["_g"]))
    rest_old = prev.filter(~_marked(prev.height, exact["_p"]))
    both = set(rest_new["article_id"].unique().to_list()) & set(
        rest_old["article_id"].unique().to_list()
    )
    pairs: list[tuple[int, str]] = []
    if both:
        new_by = rest_new.filter(pl.col("article_id").is_in(list(both))).partition_by(
            "article_id", as_dict=True
        )
        old_by = rest_old.filter(pl.col("article_id").is_in(list(both))).partition_by(
            "article_id", as_dict=True
        )
        for key, a in old_by.items():
            b = new_by[key]
            for i, j, _score in match_events(a, b, cb, threshold):
                pairs.append((int(b["_g"][j]), str(a[id_col][i])))
    fuzzy = pl.DataFrame(pairs, schema={"_g": pl.UInt32, id_col: pl.String}, orient="row")
    return pl.concat([exact.select(pl.col("_g").cast(pl.UInt32), id_col), fuzzy])
