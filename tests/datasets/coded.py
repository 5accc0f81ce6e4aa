"""Hand-written coded events for adjudication and release tests (our own rows, no ACLED data)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import polars as pl

from eventcoder.schema.codebook import Codebook
from eventcoder.schema.tables import table_columns

SHELLING = dict(
    event_date=date(2020, 6, 4),
    time_precision=1,
    event_type="Explosions/Remote violence",
    sub_event_type="Shelling/artillery/missile attack",
    actor1="Military Forces of Syria (2000-2024)",
    inter1="State forces",
    country="Syria",
    admin1="Idleb",
    admin2="Ariha",
    admin3="Ehsem",
    location="Kansafra",
    latitude=35.6411,
    longitude=36.5008,
    geo_precision=1,
    source="Enab Baladi",
    source_scale="National",
    notes="On 4 June 2020, government artillery shelled Kansafra.",
    fatalities=0,
)
STRIKE = dict(
    event_date=date(2020, 6, 3),
    time_precision=1,
    event_type="Explosions/Remote violence",
    sub_event_type="Air/drone strike",
    actor1="Military Forces of Russia (2000-)",
    inter1="External/Other forces",
    actor2="Civilians (Syria)",
    inter2="Civilians",
    civilian_targeting="Civilian targeting",
    country="Syria",
    admin1="Idleb",
    admin2="Ariha",
    admin3="Ehsem",
    location="Mozra",
    latitude=35.6570,
    longitude=36.4397,
    geo_precision=1,
    source="Syria Civil Defence",
    source_scale="National",
    notes="On 3 June 2020, Russian aircraft struck Mozra.",
    fatalities=1,
)
PROTEST = dict(
    event_date=date(2020, 6, 5),
    time_precision=1,
    event_type="Protests",
    sub_event_type="Peaceful protest",
    actor1="Protesters (Syria)",
    inter1="Protesters",
    country="Syria",
    admin1="Idleb",
    admin2="Harim",
    admin3="Dana",
    location="Sarmada",
    latitude=36.1783,
    longitude=36.7225,
    geo_precision=1,
    source="Enab Baladi",
    source_scale="National",
    notes="On 5 June 2020, residents of Sarmada protested.",
    fatalities=0,
    tags="crowd size=dozens",
)


def rows(cb: Codebook, events: list[dict]) -> pl.DataFrame:
    """An annotations table (typed as the codebook says) from dicts of coded events.

    Each dict names ``article_id``, ``coder``, ``k`` (the aligned event number) and the fields;
    annotation ids, event keys, spans and times are filled in order.
    """
    out = []
    for n, ev in enumerate(events, 1):
        ev = dict(ev)
        k = ev.pop("k")
        row = {
            "project_id": 1,
            "task_id": abs(hash(ev["article_id"])) % 1000,
            "annotation_id": n,
            "event_key": f"e{n}",
            "span_start": ev.pop("span_start", 100 * k),
            "span_end": ev.pop("span_end", 100 * k + 50),
            "created_at": datetime(2024, 1, 1, 0, 0, n, tzinfo=timezone.utc),
            "aligned_event": f"{ev['article_id']}#{k}",
        }
        row.update(ev)
        out.append(row)
    schema = {**table_columns(cb, "annotations"), "aligned_event": pl.String}
    return pl.DataFrame([{c: r.get(c) for c in schema} for r in out], schema=schema)


def coded(article: str, k: int, coder: str, base: dict, **changes: object) -> dict:
    """One coder's version of event ``k`` of ``article``: ``base`` with ``changes``."""
    return {"article_id": article, "k": k, "coder": coder, **base, **changes}
