"""Event rows in ACLED's export conventions for several countries, written for these tests."""

from __future__ import annotations

COUNTRIES = {
    "Kenya": ("404", "Eastern Africa"),
    "Nigeria": ("566", "Western Africa"),
    "Syria": ("760", "Middle East"),
}


def row(
    n: int,
    country: str,
    day: str,
    actor1: str,
    inter1: str,
    location: str,
    admin1: str,
    lat: float,
    lon: float,
    *,
    actor2: str | None = None,
    inter2: str | None = None,
    event: tuple[str, str] = ("Battles", "Armed clash"),
    admin2: str | None = None,
    geo_precision: str = "1",
    notes: str | None = None,
) -> dict[str, str | None]:
    """One event row in ACLED's export conventions, every cell text as a CSV holds it."""
    iso, region = COUNTRIES[country]
    return {
        "event_id_cnty": f"T{n:05d}",
        "event_date": day,
        "time_precision": "1",
        "event_type": event[0],
        "sub_event_type": event[1],
        "actor1": actor1,
        "inter1": inter1,
        "actor2": actor2,
        "inter2": inter2,
        "iso": iso,
        "region": region,
        "country": country,
        "admin1": admin1,
        "admin2": admin2,
        "admin3": None,
        "location": location,
        "latitude": str(lat),
        "longitude": str(lon),
        "geo_precision": geo_precision,
        "source": "Our own reporting",
        "notes": notes or f"Event {n} written for this test.",
        "fatalities": "0",
    }
