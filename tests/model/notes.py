"""Labelled event rows with notes, written for these tests in three countries (no ACLED rows)."""

from __future__ import annotations

import random

import polars as pl

from tests.schema.countries import row

PLACES = {
    "Kenya": [("Mandera", "Mandera", 3.9366, 41.867), ("Garissa", "Garissa", -0.4532, 39.6461)],
    "Nigeria": [("Gusau", "Zamfara", 12.1628, 6.6614), ("Maiduguri", "Borno", 11.8333, 13.15)],
    "Syria": [("Ariha", "Idleb", 35.8137, 36.6075), ("Saraqab", "Idleb", 35.8622, 36.8042)],
}
ARMED = {
    "Kenya": ("Al Shabaab", "Rebel group"),
    "Nigeria": ("Unidentified Armed Group (Nigeria)", "Political militia"),
    "Syria": ("Valley Defence Militia", "Political militia"),
}
STATE = {c: (f"Military Forces of {c} (2015-)", "State forces") for c in PLACES}

# sub-event type -> (event type, actor2 kind, note templates); {a1} {a2} {loc} are filled in.
TEMPLATES = {
    "Armed clash": (
        "Battles",
        "state",
        [
            "{a1} clashed with {a2} outside {loc}; both sides reported losses.",
            "Heavy fighting broke out between {a1} and {a2} in {loc}.",
            "{a2} and {a1} exchanged gunfire for hours near {loc}.",
            "Clashes between the army and {a1} were reported around {loc}.",
        ],
    ),
    "Peaceful protest": (
        "Protests",
        None,
        [
            "Residents of {loc} marched peacefully to demand clean water.",
            "Traders held a peaceful demonstration in {loc} against new taxes.",
            "Students gathered in {loc} and protested peacefully over fees.",
            "A peaceful sit-in was held in {loc} by teachers demanding pay.",
        ],
    ),
    "Violent demonstration": (
        "Riots",
        None,
        [
            "Rioters burned tyres and threw stones at police in {loc}.",
            "A violent crowd looted shops and set cars on fire in {loc}.",
            "Youths rioted in {loc}, smashing windows of government offices.",
            "Demonstrators turned violent in {loc} and attacked a police post.",
        ],
    ),
    "Attack": (
        "Violence against civilians",
        "civilians",
        [
            "{a1} attacked villagers in {loc} and killed three of them.",
            "Gunmen of {a1} shot dead two farmers in {loc}.",
            "{a1} raided a village near {loc}, killing residents.",
            "Civilians were killed when {a1} opened fire on a market in {loc}.",
        ],
    ),
    "Abduction/forced disappearance": (
        "Violence against civilians",
        "civilians",
        [
            "{a1} abducted two traders on the road to {loc}.",
            "Gunmen kidnapped a village chief in {loc}; he has not been seen since.",
            "{a1} seized and took away five travellers near {loc}.",
            "Abductors from {a1} took schoolchildren from {loc} to an unknown location.",
        ],
    ),
    "Shelling/artillery/missile attack": (
        "Explosions/Remote violence",
        None,
        [
            "{a1} shelled {loc} with artillery overnight.",
            "Mortar rounds fired by {a1} hit houses in {loc}.",
            "{a1} fired rockets at {loc}, damaging the clinic.",
            "Artillery shells landed on {loc} during the morning.",
        ],
    ),
}


def labelled_rows(seed: int = 0, per_template: int = 3) -> list[dict[str, str | None]]:
    """Rows of every sub-event type above: each template used ``per_template`` times."""
    rng = random.Random(seed)
    rows = []
    n = seed * 10_000
    for sub, (event, kind2, templates) in TEMPLATES.items():
        for template in templates:
            for _ in range(per_template):
                n += 1
                country = rng.choice(sorted(PLACES))
                loc, admin1, lat, lon = rng.choice(PLACES[country])
                if event == "Protests":
                    a1, t1 = f"Protesters ({country})", "Protesters"
                elif event == "Riots":
                    a1, t1 = f"Rioters ({country})", "Rioters"
                else:
                    a1, t1 = ARMED[country]
                a2, t2 = {
                    "state": STATE[country],
                    "civilians": (f"Civilians ({country})", "Civilians"),
                    None: (None, None),
                }[kind2]
                rows.append(
                    row(
                        n,
                        country,
                        f"2023-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                        a1,
                        t1,
                        loc,
                        admin1,
                        lat,
                        lon,
                        actor2=a2,
                        inter2=t2,
                        event=(event, sub),
                        notes=template.format(a1=a1, a2=a2 or "", loc=loc),
                    )
                )
    return rows


def table(rows: list[dict[str, str | None]]) -> pl.DataFrame:
    """The rows as a CSV file holds them: every cell text."""
    return pl.DataFrame(rows, schema={k: pl.String for k in rows[0]})
