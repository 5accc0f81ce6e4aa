"""Hand-written event rows in ACLED's export conventions (our own rows, no ACLED data)."""

from __future__ import annotations

import polars as pl

COLUMNS = (
    "event_id_cnty event_date year time_precision disorder_type event_type sub_event_type actor1 "
    "assoc_actor_1 inter1 actor2 assoc_actor_2 inter2 interaction civilian_targeting iso region "
    "country admin1 admin2 admin3 location latitude longitude geo_precision source source_scale "
    "notes fatalities tags timestamp"
).split()

_PLACE = {"iso": "760", "region": "Middle East", "country": "Syria", "admin1": "Idleb"}

GOOD = [
    # Infighting: a state's forces on both sides.
    dict(
        event_id_cnty="SYR900001",
        event_date="2019-11-04",
        year="2019",
        time_precision="1",
        disorder_type="Political violence",
        event_type="Battles",
        sub_event_type="Armed clash",
        actor1="Military Forces of Syria (2000-2024)",
        inter1="State forces",
        actor2="Military Forces of Syria (2000-2024)",
        inter2="State forces",
        interaction="State forces-State forces",
        **_PLACE,
        admin2="Ariha",
        admin3="Ariha",
        location="Ariha",
        latitude="35.8137",
        longitude="36.6075",
        geo_precision="1",
        source="Syrian Observatory for Human Rights",
        source_scale="Other",
        notes="On 4 November 2019, two army units exchanged fire at a checkpoint in Ariha.",
        fatalities="1",
        timestamp="1573000000",
    ),
    # A state's forces abroad are External/Other forces; civilians are the target.
    dict(
        event_id_cnty="SYR900002",
        event_date="2020-06-03",
        year="2020",
        time_precision="2",
        disorder_type="Political violence",
        event_type="Explosions/Remote violence",
        sub_event_type="Air/drone strike",
        actor1="Military Forces of Russia (2000-)",
        inter1="External/Other forces",
        actor2="Civilians (Syria)",
        inter2="Civilians",
        interaction="External/Other forces-Civilians",
        civilian_targeting="Civilian targeting",
        **_PLACE,
        admin2="Ariha",
        admin3="Ehsem",
        location="Mozra",
        latitude="35.6570",
        longitude="36.4397",
        geo_precision="1",
        source="Syria Civil Defence",
        source_scale="National",
        notes="Around 3 June 2020 (week of), Russian aircraft struck Mozra; 1 civilian killed.",
        fatalities="1",
        timestamp="1591600000",
    ),
    # One-sided shelling: no actor2.
    dict(
        event_id_cnty="SYR900003",
        event_date="2020-06-04",
        year="2020",
        time_precision="1",
        disorder_type="Political violence",
        event_type="Explosions/Remote violence",
        sub_event_type="Shelling/artillery/missile attack",
        actor1="Military Forces of Syria (2000-2024)",
        inter1="State forces",
        interaction="State forces only",
        **_PLACE,
        admin2="Ariha",
        admin3="Ehsem",
        location="Kansafra",
        latitude="35.6411",
        longitude="36.5008",
        geo_precision="1",
        source="Enab Baladi",
        source_scale="National",
        notes="On 4 June 2020, government artillery shelled Kansafra. No casualties reported.",
        fatalities="0",
        timestamp="1591600000",
    ),
    # A strategic development with an actor2.
    dict(
        event_id_cnty="SYR900004",
        event_date="2020-03-05",
        year="2020",
        time_precision="1",
        disorder_type="Strategic developments",
        event_type="Strategic developments",
        sub_event_type="Agreement",
        actor1="Military Forces of Russia (2000-)",
        inter1="External/Other forces",
        actor2="Military Forces of Turkey (2016-)",
        inter2="External/Other forces",
        interaction="External/Other forces-External/Other forces",
        **_PLACE,
        admin2="Idleb",
        admin3="Idleb",
        location="Idleb",
        latitude="35.9306",
        longitude="36.6339",
        geo_precision="3",
        source="Anadolu Agency",
        source_scale="International",
        notes="On 5 March 2020, Russia and Turkey agreed a ceasefire for Idleb.",
        fatalities="0",
        timestamp="1583500000",
    ),
    # A peaceful protest: one-sided, no fatalities, crowd size tag.
    dict(
        event_id_cnty="SYR900005",
        event_date="2020-06-05",
        year="2020",
        time_precision="1",
        disorder_type="Demonstrations",
        event_type="Protests",
        sub_event_type="Peaceful protest",
        actor1="Protesters (Syria)",
        inter1="Protesters",
        interaction="Protesters only",
        **_PLACE,
        admin2="Harim",
        admin3="Dana",
        location="Sarmada",
        latitude="36.1783",
        longitude="36.7225",
        geo_precision="1",
        source="Enab Baladi",
        source_scale="National",
        notes="On 5 June 2020, residents of Sarmada protested against the air strikes.",
        fatalities="0",
        tags="crowd size=dozens",
        timestamp="1591600000",
    ),
]

# ACLED's numeric codes, written by hand rather than read from the codebook, so that a wrong code
# in the codebook shows; tests/schema/shapes.py uses them too.
ACTOR_CODES = {
    "State forces": "1",
    "Rebel group": "2",
    "Political militia": "3",
    "Identity militia": "4",
    "Rioters": "5",
    "Protesters": "6",
    "Civilians": "7",
    "External/Other forces": "8",
}
INTERACTION_CODES = {
    "State forces-State forces": "11",
    "External/Other forces-Civilians": "78",
    "State forces only": "10",
    "Protesters only": "60",
    "External/Other forces-External/Other forces": "88",
    "State forces-Rebel group": "12",
    "Political militia-Civilians": "37",
    "State forces-Political militia": "13",
}


def text_layout(rows: list[dict] = GOOD) -> pl.DataFrame:
    """The current 31-column export, actor types as text labels, blank inter2 when one-sided."""
    return pl.DataFrame(
        [{c: r.get(c) for c in COLUMNS} for r in rows], schema={c: pl.String for c in COLUMNS}
    )


def numeric_layout(rows: list[dict] = GOOD) -> pl.DataFrame:
    """The 31 columns with numeric inter codes (inter2 0 when one-sided) and interaction codes."""
    return text_layout(rows).with_columns(
        pl.col("inter1").replace(ACTOR_CODES),
        pl.col("inter2").replace(ACTOR_CODES).fill_null("0"),
        pl.col("interaction").replace(INTERACTION_CODES),
    )


def legacy_layout(rows: list[dict] = GOOD) -> pl.DataFrame:
    """The 2019-2022 layout: data_id, event_id_no_cnty, iso3; no disorder_type, civilian_targeting,
    tags; numeric codes; dates as ACLED's export tool writes them (``03 June 2020``)."""
    frame = numeric_layout(rows).drop("disorder_type", "civilian_targeting", "tags")
    frame = frame.with_columns(
        pl.col("event_date").str.to_date().dt.strftime("%d %B %Y"),
        pl.col("event_id_cnty").str.slice(3).alias("event_id_no_cnty"),
        pl.lit("SYR").alias("iso3"),
        pl.int_range(pl.len()).cast(pl.String).alias("data_id"),
    )
    return frame.select("data_id", *[c for c in frame.columns if c != "data_id"])


def with_change(index: int, **changes: str | None) -> list[dict]:
    """GOOD with one row changed."""
    rows = [dict(r) for r in GOOD]
    rows[index].update(changes)
    return rows
