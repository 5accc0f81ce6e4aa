"""Reference look-ups: the actor list and gazetteer joined to a table's rows as helper columns.

The rules of kinds :data:`~eventcoder.schema.rules.ACTOR_KINDS` and
:data:`~eventcoder.schema.rules.PLACE_KINDS` compare a row's fields with these columns, and
validation fills blank fields from them (recorded in the changes table).
"""

from __future__ import annotations

import polars as pl

from eventcoder.schema.codebook import Codebook
from eventcoder.schema.rules import ACTOR_KINDS, PLACE_KINDS, helper


def add_reference_columns(frame: pl.DataFrame, cb: Codebook) -> pl.DataFrame:
    """Add helper columns from the actor list and gazetteer, and fill blank fields from them.

    For each actor field: the list of types the actor list gives it on the event date (null when
    it is not listed then); a blank type is filled when exactly one type applies. For each place
    field: the gazetteer's coordinates, and the gazetteer's values for every codebook field it
    carries (country, admin1, ...) where those are blank. Names match case-insensitively, on the
    place name or any alternate name, within the row's country (see :func:`join_gazetteer`).
    """
    actors = cb.references.actors
    for rule in cb.rules:
        if rule.kind not in ACTOR_KINDS or actors is None:
            continue
        date_field = rule.params.get("date")
        for actor_field, type_field in rule.params["actors"]:
            col = helper("types", actor_field)
            if col in frame.columns:
                continue
            frame = _join_actor_types(frame, actors, actor_field, date_field, col)
            only = pl.col(col).list.len() == 1
            frame = frame.with_columns(
                pl.when(pl.col(type_field).is_null() & only)
                .then(pl.col(col).list.first())
                .otherwise(pl.col(type_field))
                .alias(type_field)
            )
    gaz = cb.references.gazetteer
    for rule in cb.rules:
        if rule.kind not in PLACE_KINDS or gaz is None:
            continue
        f = rule.params["field"]
        if helper("lat", f) in frame.columns:
            continue
        frame = join_gazetteer(frame, gaz, f, cb)
    return frame


def _join_actor_types(
    frame: pl.DataFrame,
    actors: pl.DataFrame,
    actor_field: str,
    date_field: str | None,
    out: str,
) -> pl.DataFrame:
    # Look up each distinct (actor, date, country) once: tables repeat them a great deal.
    keys = [actor_field, *([date_field] if date_field else [])]
    keys += ["country"] if "country" in frame.columns else []
    distinct = frame.select(keys).unique().filter(pl.col(actor_field).is_not_null())
    joined = distinct.join(
        actors.rename({"country": "__list_country"}),
        left_on=actor_field,
        right_on="name",
        how="inner",
    )
    keep = pl.lit(True)
    if date_field:
        d = pl.col(date_field)
        keep = keep & (
            (pl.col("start_date").is_null() | (d >= pl.col("start_date")))
            & (pl.col("end_date").is_null() | (d <= pl.col("end_date")))
        ).fill_null(True)
    if "country" in frame.columns:
        keep = keep & (
            pl.col("__list_country").is_null()
            | pl.col("country").is_null()
            | (pl.col("__list_country") == pl.col("country"))
        )
    types = (
        joined.filter(keep)
        .group_by(keys)
        .agg(pl.col("type").unique(maintain_order=True).sort().alias(out))
    )
    return frame.join(types, on=keys, how="left", nulls_equal=True, maintain_order="left")


def join_gazetteer(frame: pl.DataFrame, gaz: pl.DataFrame, f: str, cb: Codebook) -> pl.DataFrame:
    """Resolve place field ``f`` against the gazetteer, within the row's country.

    A place matches on its name or any alternate name, case-insensitively, and only among the
    gazetteer's places in the row's ``country`` (and ``iso``, where both give one): Bara in Mali is
    not Syria's Al Bara. A row that names neither takes a name only when a single country uses
    it. Within a country, a place whose own name is written beats one listing it as an alternate
    name; then the gazetteer's order decides.
    """
    names = gaz.with_row_index("__order").with_columns(
        pl.concat_list(
            pl.col("location"), pl.col("alternate_names").fill_null("").str.split(";")
        ).alias("__names")
    )
    names = (
        names.explode("__names")
        .with_columns(pl.col("__names").str.strip_chars().str.to_lowercase().alias("__key"))
        .filter(pl.col("__key") != "")
        .with_columns(
            (pl.col("__key") == pl.col("location").str.strip_chars().str.to_lowercase()).alias(
                "__primary"
            )
        )
        .unique(["__key", "__order"], keep="first", maintain_order=True)
    )
    carried = [
        c for c in gaz.columns if c in cb.field_names and c not in ("alternate_names", "location")
    ]
    right = names.select(
        "__key",
        "__order",
        "__primary",
        pl.col("country").str.strip_chars().str.to_lowercase().alias("__gaz_country"),
        pl.col("iso").alias("__gaz_iso"),
        pl.col("location").alias(helper("place", f)),
        *(pl.col(c).alias(helper("gaz", c)) for c in carried),
    )
    scope = [c for c in ("country", "iso") if c in frame.columns]
    keys = [f, *scope]
    # Names are matched per distinct written form and scope: a table names the same places
    # again and again.
    written = (
        frame.select(keys)
        .unique()
        .filter(pl.col(f).is_not_null())
        .with_columns(pl.col(f).str.strip_chars().str.to_lowercase().alias("__key"))
    )
    cand = written.join(right, on="__key", how="inner")
    unscoped = pl.lit(True)
    if "country" in scope:
        row_country = pl.col("country").cast(pl.String).str.strip_chars().str.to_lowercase()
        cand = cand.filter(row_country.is_null() | (row_country == pl.col("__gaz_country")))
        unscoped = unscoped & pl.col("country").is_null()
    if "iso" in scope:
        row_iso = pl.col("iso").cast(pl.Int64, strict=False)
        cand = cand.filter(
            row_iso.is_null() | pl.col("__gaz_iso").is_null() | (row_iso == pl.col("__gaz_iso"))
        )
        unscoped = unscoped & pl.col("iso").is_null()
    # Without a country, a name two countries use is not resolved (never guessed).
    one_country = pl.col("__gaz_country").n_unique().over(keys) == 1
    cand = cand.filter(~unscoped | one_country)
    matched = (
        cand.sort(["__primary", "__order"], descending=[True, False])
        .group_by(keys, maintain_order=True)
        .first()
        .drop("__key", "__order", "__primary", "__gaz_country", "__gaz_iso")
    )
    if written.height == written.select(pl.col(f).n_unique()).item():
        # Each written name comes with one country (the common case): joining on the name
        # alone gives the same rows and costs half as much on a large table.
        matched = matched.drop(scope)
        keys = [f]
    frame = frame.join(matched, on=keys, how="left", nulls_equal=True, maintain_order="left")
    fills = [
        pl.coalesce(pl.col(c), pl.col(helper("gaz", c)).cast(frame.schema[c])).alias(c)
        for c in carried
        if c in frame.columns
    ]
    # A place written as an alternate name ("al-Maouzrah") takes the gazetteer's name ("Mozra").
    fills.append(pl.coalesce(pl.col(helper("place", f)), pl.col(f)).alias(f))
    return frame.with_columns(
        *fills,
        pl.col(helper("gaz", "latitude")).alias(helper("lat", f))
        if "latitude" in carried
        else pl.lit(None, pl.Float64).alias(helper("lat", f)),
        pl.col(helper("gaz", "longitude")).alias(helper("lon", f))
        if "longitude" in carried
        else pl.lit(None, pl.Float64).alias(helper("lon", f)),
    ).drop([helper("gaz", c) for c in carried])
