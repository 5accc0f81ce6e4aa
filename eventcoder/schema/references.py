"""Reference lists built from a team's own validated event tables.

``build_references(frames, codebook)`` turns ACLED-style tables into the codebook's two reference
formats (:data:`~eventcoder.schema.codebook.ACTOR_COLUMNS`,
:data:`~eventcoder.schema.codebook.GAZETTEER_COLUMNS`) and a table of conflicts for a person to
settle:

- **actor list**: one row per actor, country and type, with the first and last date the actor
  was seen with that type. ``start_date``/``end_date`` say when the type holds, so that new data
  validates: the earliest type holds from the beginning, the type seen last holds on, and a type
  that gave way to another ends the day before the next one was first seen.
- **gazetteer**: one row per place (country, admin1-3 and name, case-insensitive), with the
  coordinates most often used for it, its most frequent geo precision and how many rows name it.
  Names used at the very same coordinates in the same admin area are one place: the most
  frequent is the ``location``, the others its ``alternate_names``. A name shared by several
  places in one country lists the most frequent place first, which is the one a look-up finds.
- **conflicts**: ``actor-types-overlap`` (one actor, in one country, coded with two types over
  the same days), ``place-coordinates-far-apart`` (one place coded with coordinates further apart
  than the codebook's tolerance) and ``place-name-ambiguous`` (one name for several places in one
  country). The lists keep what the tables say; nothing is silently resolved.

Which columns hold actors, their types, dates, places and coordinates is read from the codebook's
reference rules (``actor_type_listed``, ``actor_known``, ``place_known``,
``coordinates_near_place``) and roles, never from names written here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import yaml
from polars._typing import PolarsDataType

from eventcoder.errors import InputError
from eventcoder.files import output_set
from eventcoder.schema.codebook import ACTOR_COLUMNS, GAZETTEER_COLUMNS, Codebook, References
from eventcoder.schema.rules import ACTOR_KINDS, PLACE_KINDS, haversine_km
from eventcoder.schema.validation import validate_file

REFERENCE_KINDS = ACTOR_KINDS + PLACE_KINDS

ACTOR_LIST_COLUMNS = (*ACTOR_COLUMNS, "first_seen", "last_seen", "count")
GAZETTEER_LIST_COLUMNS = (*GAZETTEER_COLUMNS, "geo_precision", "count")
CONFLICT_SCHEMA = pl.Schema(
    {
        "list": pl.String,
        "kind": pl.String,
        "name": pl.String,
        "country": pl.String,
        "rows": pl.Int64,
        "detail": pl.String,
    }
)
_ADMIN = ("admin1", "admin2", "admin3")
_OPTIONAL_PLACE_COLUMNS = ("iso", "region", *_ADMIN, "geo_precision")


@dataclass(frozen=True)
class ReferenceColumns:
    """The fields of a codebook that feed the reference lists."""

    actor_pairs: tuple[tuple[str, str], ...]  # (actor field, its type field)
    date: str | None
    country: str | None
    place: str | None
    latitude: str | None
    longitude: str | None

    @classmethod
    def of(cls, cb: Codebook) -> ReferenceColumns:
        """The columns named by the codebook's reference rules and roles."""
        pairs: list[tuple[str, str]] = []
        date = None
        place = lat = lon = None
        for rule in cb.rules:
            if rule.kind in ACTOR_KINDS:
                for actor, type_field in rule.params.get("actors", []):
                    if (actor, type_field) not in pairs:
                        pairs.append((actor, type_field))
                date = date or rule.params.get("date")
            elif rule.kind in PLACE_KINDS:
                place = place or rule.params.get("field")
                if rule.kind == "coordinates_near_place":
                    lat, lon = rule.params["coordinates"]
        return cls(
            actor_pairs=tuple(pairs),
            date=date or cb.role("date"),
            country=cb.role("country"),
            place=place or cb.role("location"),
            latitude=lat or ("latitude" if "latitude" in cb.field_names else None),
            longitude=lon or ("longitude" if "longitude" in cb.field_names else None),
        )


@dataclass(frozen=True)
class ReferenceLists:
    """An actor list, a gazetteer and the conflicts found while building them."""

    actors: pl.DataFrame
    gazetteer: pl.DataFrame
    conflicts: pl.DataFrame
    rows: int  # event rows the lists were built from
    notes: tuple[str, ...] = ()

    def summary(self) -> dict[str, Any]:
        """Plain-data counts: rows read, actors, places and conflicts by kind."""
        by_kind = self.conflicts.group_by("kind").len().sort("kind")
        return {
            "rows": self.rows,
            "actors": self.actors["name"].n_unique() if self.actors.height else 0,
            "actor_rows": self.actors.height,
            "places": self.gazetteer.height,
            "conflicts": dict(zip(by_kind["kind"], by_kind["len"], strict=True)),
            "notes": list(self.notes),
        }

    def write(
        self,
        folder: str | Path,
        cb: Codebook | None = None,
        inputs: Iterable[str | Path] = (),
    ) -> list[Path]:
        """Write actors.csv, gazetteer.csv, conflicts.csv (and a codebook using them); the paths.

        With ``cb``, ``codebook.yaml`` is that codebook with its ``references`` pointing at the
        new lists, ready for ``--codebook``. The files appear together or not at all
        (:func:`eventcoder.files.output_set`); ``OutputError`` when they cannot be written or
        when one would replace one of ``inputs``, the tables the lists were built from. (A
        codebook and lists written by an earlier run are replaced: building again in place is
        how they are brought up to date.)
        """
        out = []
        with output_set(folder, inputs) as files:
            for name, frame in (
                ("actors.csv", self.actors),
                ("gazetteer.csv", self.gazetteer),
                ("conflicts.csv", self.conflicts),
            ):
                out.append(files.write(name, frame.write_csv))
            if cb is not None:
                raw = cb.to_dict()
                raw["references"] = {"actors": "actors.csv", "gazetteer": "gazetteer.csv"}
                text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=100)
                out.append(files.text(text, "codebook.yaml"))
        return out


def without_references(cb: Codebook) -> Codebook:
    """``cb`` without reference lists or the rules that use them.

    Tables are validated this way before lists are built from them: checking them against the
    lists they are about to replace would reject the very rows that carry the news (an actor's
    new type).
    """
    return dataclasses.replace(
        cb,
        rules=tuple(r for r in cb.rules if r.kind not in REFERENCE_KINDS),
        references=References(),
    )


def build_references(
    frames: Iterable[pl.DataFrame], cb: Codebook, *, tolerance_km: float | None = None
) -> ReferenceLists:
    """The actor list, gazetteer and conflicts of validated event tables (typed, canonical).

    ``frames`` are tables as :func:`~eventcoder.schema.validation.validate` accepts them (its
    ``accepted`` frames). ``tolerance_km`` defaults to the codebook's ``coordinate_tolerance_km``.
    """
    cols = ReferenceColumns.of(cb)
    if tolerance_km is None:
        tolerance_km = float(cb.settings.get("coordinate_tolerance_km", 5.0))
    frames = list(frames)
    rows = sum(f.height for f in frames)
    notes: list[str] = []
    actors, actor_conflicts = _actor_list(frames, cols)
    gazetteer, place_conflicts, unplaced = _gazetteer(frames, cols, tolerance_km)
    if unplaced:
        notes.append(f"{unplaced} row(s) name a place without coordinates: not in the gazetteer")
    conflicts = pl.concat([actor_conflicts, place_conflicts], how="vertical").cast(CONFLICT_SCHEMA)
    return ReferenceLists(actors, gazetteer, conflicts, rows, tuple(notes))


@dataclass(frozen=True)
class TableUse:
    """How many rows of one input table went into the lists."""

    path: str
    rows: int
    used: int
    rejected: int


def build_references_from_files(
    paths: Sequence[str | Path],
    cb: Codebook,
    *,
    tolerance_km: float | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> tuple[ReferenceLists, list[TableUse]]:
    """Validate each table (without reference rules) and build lists from its accepted rows.

    Rows that validation rejects are left out of the lists and counted per table, so a
    mis-typed sub-event or an unreadable date never becomes reference data.
    """
    if not paths:
        raise InputError("no tables given: name one or more ACLED-style tables")
    say = on_progress or (lambda _msg: None)
    plain = without_references(cb)
    cols = ReferenceColumns.of(cb)
    keep = [c for c in _needed(cols) if c in cb.field_names]
    accepted: list[pl.DataFrame] = []
    uses: list[TableUse] = []
    for path in paths:
        say(f"validating {path}")
        result = validate_file(path, plain)
        accepted.append(result.accepted.select([c for c in keep if c in result.accepted.columns]))
        uses.append(
            TableUse(str(path), result.total, result.accepted.height, result.rejected.height)
        )
    say("building lists")
    return build_references(accepted, cb, tolerance_km=tolerance_km), uses


def _needed(cols: ReferenceColumns) -> list[str]:
    out = [c for pair in cols.actor_pairs for c in pair]
    out += [c for c in (cols.date, cols.country, cols.place, cols.latitude, cols.longitude) if c]
    out += [c for c in _OPTIONAL_PLACE_COLUMNS if c not in out]
    return out


def _col(frame: pl.DataFrame, name: str | None, dtype: PolarsDataType) -> pl.Expr:
    if name and name in frame.columns:
        return pl.col(name).cast(dtype, strict=False)
    return pl.lit(None, dtype)


# --------------------------------------------------------------------------------------------
# Actors
# --------------------------------------------------------------------------------------------


def _actor_list(
    frames: list[pl.DataFrame], cols: ReferenceColumns
) -> tuple[pl.DataFrame, pl.DataFrame]:
    parts = [
        f.select(
            _col(f, actor, pl.String).str.strip_chars().alias("name"),
            _col(f, type_field, pl.String).alias("type"),
            _col(f, cols.country, pl.String).alias("country"),
            _col(f, cols.date, pl.Date).alias("date"),
        )
        for f in frames
        for actor, type_field in cols.actor_pairs
    ]
    empty_actors = pl.DataFrame(
        schema={
            "name": pl.String,
            "type": pl.String,
            "country": pl.String,
            "start_date": pl.Date,
            "end_date": pl.Date,
            "first_seen": pl.Date,
            "last_seen": pl.Date,
            "count": pl.Int64,
        }
    )
    if not parts:
        return empty_actors, pl.DataFrame(schema=CONFLICT_SCHEMA)
    seen = (
        pl.concat(parts)
        .filter(
            pl.col("name").is_not_null() & (pl.col("name") != "") & pl.col("type").is_not_null()
        )
        .group_by("name", "country", "type")
        .agg(
            pl.col("date").min().alias("first_seen"),
            pl.col("date").max().alias("last_seen"),
            pl.len().cast(pl.Int64).alias("count"),
        )
        .sort("country", "name", "first_seen", "type", nulls_last=True)
    )
    group = ["name", "country"]
    # The type seen last holds on; ties go to the type first seen later (it replaced the other).
    current = (
        seen.sort("last_seen", "first_seen", nulls_last=False)
        .group_by(group, maintain_order=True)
        .agg(pl.col("type").last().alias("_current"))
    )
    seen = seen.join(current, on=group, how="left", nulls_equal=True, maintain_order="left")
    earlier_last = pl.col("last_seen").cum_max().shift(1).over(group)
    next_first = pl.col("first_seen").shift(-1).over(group)
    is_first = pl.int_range(pl.len()).over(group) == 0
    listed = seen.with_columns(
        pl.when(is_first).then(None).otherwise(pl.col("first_seen")).alias("start_date"),
        pl.when(pl.col("type") == pl.col("_current"))
        .then(None)
        .otherwise(
            pl.max_horizontal(
                pl.col("last_seen"),
                (next_first - pl.duration(days=1)).fill_null(pl.col("last_seen")),
            )
        )
        .alias("end_date"),
        (pl.col("first_seen") <= earlier_last).fill_null(False).alias("_overlap"),
        pl.col("type").shift(1).over(group).alias("_prev_type"),
        earlier_last.alias("_prev_last"),
    )
    conflicts = _conflicts(
        listed.filter("_overlap"),
        "actors",
        "actor-types-overlap",
        name=pl.col("name"),
        rows=pl.col("count"),
        detail=pl.format(
            "coded {} ({} rows, {} to {}) while also coded {} (until {})",
            "type",
            "count",
            "first_seen",
            "last_seen",
            "_prev_type",
            "_prev_last",
        ),
    )
    return listed.select(empty_actors.columns), conflicts


def _conflicts(
    frame: pl.DataFrame, list_name: str, kind: str, *, name: pl.Expr, rows: pl.Expr, detail: pl.Expr
) -> pl.DataFrame:
    """One conflict row (:data:`CONFLICT_SCHEMA`'s columns) per row of ``frame``."""
    return frame.select(
        pl.lit(list_name).alias("list"),
        pl.lit(kind).alias("kind"),
        name.alias("name"),
        "country",
        rows.cast(pl.Int64).alias("rows"),
        detail.alias("detail"),
    )


# --------------------------------------------------------------------------------------------
# Gazetteer
# --------------------------------------------------------------------------------------------


def _gazetteer(
    frames: list[pl.DataFrame], cols: ReferenceColumns, tolerance_km: float
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Return ``(gazetteer, conflicts, rows without coordinates)`` built from the tables' places."""
    if not cols.place:
        return pl.DataFrame(schema=_gazetteer_schema()), pl.DataFrame(schema=CONFLICT_SCHEMA), 0
    rows, unplaced = _place_rows(frames, cols)
    place = ["country", *_ADMIN, "_key"]
    chosen, spellings = _places(rows, place, tolerance_km)
    gaz = _sites(chosen, spellings, place)
    far = _far_apart(gaz, tolerance_km)
    ambiguous = _ambiguous_names(gaz)
    gaz = gaz.select(
        "location",
        "alternate_names",
        "country",
        "iso",
        "region",
        *_ADMIN,
        "latitude",
        "longitude",
        "geo_precision",
        pl.col("count").cast(pl.Int64),
    )
    return gaz, pl.concat([far, ambiguous], how="vertical_relaxed"), unplaced


def _place_rows(frames: list[pl.DataFrame], cols: ReferenceColumns) -> tuple[pl.DataFrame, int]:
    """Return every named place with coordinates (``_key``: its lower-cased name), and how many
    named places had none."""
    rows = pl.concat(
        [
            f.select(
                _col(f, cols.place, pl.String).str.strip_chars().alias("location"),
                _col(f, cols.country, pl.String).alias("country"),
                _col(f, "iso", pl.Int64).alias("iso"),
                _col(f, "region", pl.String).alias("region"),
                *(_col(f, a, pl.String).alias(a) for a in _ADMIN),
                _col(f, cols.latitude, pl.Float64).round(4).alias("latitude"),
                _col(f, cols.longitude, pl.Float64).round(4).alias("longitude"),
                _col(f, "geo_precision", pl.Int64).alias("geo_precision"),
            )
            for f in frames
        ]
    ).filter(pl.col("location").is_not_null() & (pl.col("location") != ""))
    unplaced = rows.filter(pl.col("latitude").is_null() | pl.col("longitude").is_null()).height
    rows = rows.drop_nulls(["latitude", "longitude"]).with_columns(
        pl.col("location").str.to_lowercase().alias("_key")
    )
    return rows, unplaced


def _places(
    rows: pl.DataFrame, place: list[str], tolerance_km: float
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return ``(chosen, spellings)``: a row per place with its coordinates, name and spread,
    and the count of each spelling of each place."""
    # Coordinates of each place: the pair used most often (ties: the smaller pair, for a
    # deterministic list), and how far the others lie from it.
    coords = rows.group_by(*place, "latitude", "longitude").agg(
        pl.len().alias("_n"),
        pl.col("geo_precision").mode().min().alias("geo_precision"),
        pl.col("iso").mode().min().alias("iso"),
        pl.col("region").mode().min().alias("region"),
    )
    coords = coords.sort("_n", "latitude", "longitude", descending=[True, False, False])
    chosen = coords.group_by(place, maintain_order=True).agg(
        pl.col("latitude").first(),
        pl.col("longitude").first(),
        pl.col("geo_precision").first(),
        pl.col("iso").first(),
        pl.col("region").first(),
        pl.col("_n").sum().alias("count"),
        pl.len().alias("_pairs"),
    )
    spread = (
        coords.join(
            chosen.select(
                *place, pl.col("latitude").alias("_lat"), pl.col("longitude").alias("_lon")
            ),
            on=place,
            nulls_equal=True,
        )
        .with_columns(
            haversine_km(
                pl.col("latitude"), pl.col("longitude"), pl.col("_lat"), pl.col("_lon")
            ).alias("_km")
        )
        .group_by(place)
        .agg(
            pl.col("_km").max().alias("_km"),
            pl.col("_n").filter(pl.col("_km") > tolerance_km).sum().alias("_far_rows"),
        )
    )
    # The spelling of each place used most often is its name; other spellings are alternates.
    spellings = (
        rows.group_by(*place, "location")
        .agg(pl.len().alias("_n"))
        .sort("_n", "location", descending=[True, False])
    )
    chosen = chosen.join(
        spellings.group_by(place, maintain_order=True).agg(pl.col("location").first()),
        on=place,
        nulls_equal=True,
    ).join(spread, on=place, nulls_equal=True)
    return chosen, spellings


def _sites(chosen: pl.DataFrame, spellings: pl.DataFrame, place: list[str]) -> pl.DataFrame:
    """Return a row per site: places at the same coordinates in one admin area, merged."""
    # Places sharing exact coordinates in the same admin area are one place under several names.
    site = ["country", *_ADMIN, "latitude", "longitude"]
    names = (
        chosen.select(*dict.fromkeys([*site, *place]), "location", "count")
        .join(
            spellings.select(*place, pl.col("location").alias("_spelling"), "_n"),
            on=place,
            nulls_equal=True,
        )
        .with_columns(pl.col("_spelling").str.to_lowercase().alias("_lower"))
    )
    main = (
        chosen.sort("count", "location", descending=[True, False])
        .group_by(site, maintain_order=True)
        .agg(
            pl.col("location").first(),
            pl.col("_key").first().alias("_main_key"),
            pl.col("iso").first(),
            pl.col("region").first(),
            pl.col("geo_precision").first(),
            pl.col("count").sum(),
            pl.col("_km").max(),
            pl.col("_far_rows").sum(),
            pl.col("_pairs").sum(),
        )
    )
    alternates = (
        names.join(main.select(*site, "_main_key"), on=site, nulls_equal=True)
        .filter(pl.col("_lower") != pl.col("_main_key"))
        .sort("_n", "_spelling", descending=[True, False])
        .unique([*site, "_lower"], keep="first", maintain_order=True)
        .group_by(site, maintain_order=True)
        .agg(pl.col("_spelling").str.join(";").alias("alternate_names"))
    )
    return main.join(alternates, on=site, how="left", nulls_equal=True).sort(
        "country", "count", "location", descending=[False, True, False], nulls_last=True
    )


def _far_apart(gaz: pl.DataFrame, tolerance_km: float) -> pl.DataFrame:
    """Return a conflict row per place whose coordinates in use lie beyond the tolerance."""
    return _conflicts(
        gaz.filter(pl.col("_km") > tolerance_km),
        "gazetteer",
        "place-coordinates-far-apart",
        name=pl.col("location"),
        rows=pl.col("_far_rows"),
        detail=pl.format(
            "{} coordinate pairs in use, up to {} km from the {}, {} chosen ({} of {} rows lie "
            "beyond the tolerance of {} km)",
            "_pairs",
            pl.col("_km").round(1),
            "latitude",
            "longitude",
            "_far_rows",
            "count",
            pl.lit(tolerance_km),
        ),
    )


def _ambiguous_names(gaz: pl.DataFrame) -> pl.DataFrame:
    """One conflict per name (location or alternate) given to several places of a country."""
    named = (
        gaz.with_row_index("_place")
        .with_columns(
            pl.concat_list(
                pl.col("location"), pl.col("alternate_names").fill_null("").str.split(";")
            ).alias("_name")
        )
        .explode("_name")
        .filter(pl.col("_name") != "")
        .with_columns(pl.col("_name").str.to_lowercase().alias("_lower"))
        .unique(["_place", "_lower"], keep="first", maintain_order=True)
    )
    where = pl.format(
        "{} ({}/{}/{}, {} rows)",
        "location",
        pl.col("admin1").fill_null("-"),
        pl.col("admin2").fill_null("-"),
        pl.col("admin3").fill_null("-"),
        "count",
    )
    shared = (
        named.with_columns(where.alias("_where"))
        .group_by("country", "_lower", maintain_order=True)
        .agg(
            pl.col("_name").first().alias("name"),
            pl.len().alias("_places"),
            pl.col("count").sum().alias("rows"),
            pl.col("_where").str.join("; ").alias("_all"),
        )
        .filter(pl.col("_places") > 1)
    )
    return _conflicts(
        shared,
        "gazetteer",
        "place-name-ambiguous",
        name=pl.col("name"),
        rows=pl.col("rows"),
        detail=pl.format("names {} places; a look-up finds the first: {}", "_places", "_all"),
    )


def _gazetteer_schema() -> dict[str, PolarsDataType]:
    out: dict[str, PolarsDataType] = {c: pl.String for c in GAZETTEER_LIST_COLUMNS}
    out.update(
        iso=pl.Int64(),
        latitude=pl.Float64(),
        longitude=pl.Float64(),
        geo_precision=pl.Int64(),
        count=pl.Int64(),
    )
    return out
