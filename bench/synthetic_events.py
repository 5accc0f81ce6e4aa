"""Synthetic ACLED-style event tables for the benchmarks (made up here; no ACLED data).

Eight made-up countries' worth of actors and places, events whose actors fit their sub-event
type (so the default codebook accepts them), and notes written from a few templates per
sub-event type in the style of ACLED's notes. Templates are borrowed across close sub-event
types now and then (an air strike reported as shelling, an abduction as an attack) and a few
rows carry a note from an unrelated type, as real coding has borderline and mislabelled cases;
so a text model cannot score perfectly. Figures measured on these tables say how fast the code is
and roughly how well it learns; they are not figures for real data.
"""

from __future__ import annotations

import numpy as np
import polars as pl

COUNTRIES = (
    ("Kenya", 404, "Eastern Africa", (-4.0, 4.0), (34.0, 41.5)),
    ("Nigeria", 566, "Western Africa", (4.5, 13.5), (3.0, 14.0)),
    ("Syria", 760, "Middle East", (32.5, 37.0), (35.8, 42.0)),
    ("Yemen", 887, "Middle East", (12.7, 18.5), (42.6, 52.0)),
    ("Mexico", 484, "Central America", (15.0, 32.0), (-117.0, -87.0)),
    ("Myanmar", 104, "Southeast Asia", (10.0, 28.0), (92.5, 101.0)),
    ("Sudan", 729, "Northern Africa", (9.0, 22.0), (22.0, 38.0)),
    ("Colombia", 170, "South America", (-4.0, 12.0), (-79.0, -67.0)),
)
_SYLLABLES = "ka ma ra to li su ne bo da gi ya wa ha mi ko za ru te sa lo ba ni fa".split()

# (sub-event type, event type, actor1 kind, actor2 kind or None, share of rows, templates)
# Kinds: armed, state, protesters, rioters, civilians; templates use {a1} {a2} {loc} {date} {k}.
SUB_EVENTS: tuple[tuple[str, str, str, str | None, float, tuple[str, ...]], ...] = (
    (
        "Armed clash",
        "Battles",
        "armed",
        "armed",
        0.16,
        (
            "On {date}, {a1} clashed with {a2} in {loc}. {k} fatalities reported.",
            "Fighting between {a1} and {a2} near {loc} on {date}; {k} combatants were killed.",
            "{a1} and {a2} exchanged fire in {loc}. Casualties unknown.",
            "Clashes erupted on {date} between {a1} and {a2} around {loc}.",
        ),
    ),
    (
        "Government regains territory",
        "Battles",
        "state",
        "armed",
        0.02,
        (
            "On {date}, {a1} regained control of {loc} from {a2} after heavy fighting.",
            "{a1} recaptured {loc}, pushing {a2} out of the area. {k} killed.",
            "Government troops retook {loc} from {a2} on {date}.",
        ),
    ),
    (
        "Non-state actor overtakes territory",
        "Battles",
        "armed",
        "state",
        0.02,
        (
            "On {date}, {a1} seized {loc} after clashes with {a2}.",
            "{a1} took control of {loc} from {a2}; {k} soldiers killed.",
            "{a1} overran positions of {a2} and captured {loc} on {date}.",
        ),
    ),
    (
        "Peaceful protest",
        "Protests",
        "protesters",
        None,
        0.16,
        (
            "On {date}, {a1} demonstrated in {loc} against rising prices.",
            "Residents held a peaceful march in {loc} demanding better services.",
            "On {date}, teachers gathered in {loc} to protest unpaid salaries.",
            "A sit-in was held in {loc} by {a1} calling for the release of detainees.",
        ),
    ),
    (
        "Protest with intervention",
        "Protests",
        "protesters",
        "state",
        0.05,
        (
            "On {date}, {a2} dispersed {a1} demonstrating in {loc}; several were arrested.",
            "Police broke up a protest in {loc} with tear gas on {date}.",
            "{a1} protested in {loc}; security forces intervened and detained organisers.",
        ),
    ),
    (
        "Excessive force against protesters",
        "Protests",
        "protesters",
        "state",
        0.01,
        (
            "On {date}, {a2} opened fire on {a1} in {loc}, killing {k}.",
            "Security forces shot live rounds at demonstrators in {loc}; {k} protesters killed.",
        ),
    ),
    (
        "Violent demonstration",
        "Riots",
        "rioters",
        None,
        0.04,
        (
            "On {date}, {a1} burned tyres and threw stones at police in {loc}.",
            "Demonstrators rioted in {loc}, vandalising shops and government buildings.",
            "{a1} blocked roads and clashed with police in {loc} on {date}.",
        ),
    ),
    (
        "Mob violence",
        "Riots",
        "rioters",
        "civilians",
        0.03,
        (
            "On {date}, a mob lynched a suspected thief in {loc}.",
            "{a1} attacked {a2} accused of witchcraft in {loc}; {k} killed.",
            "Villagers beat a man to death in {loc} on {date} over a land dispute.",
        ),
    ),
    (
        "Air/drone strike",
        "Explosions/Remote violence",
        "state",
        None,
        0.08,
        (
            "On {date}, warplanes of {a1} struck {loc}; {k} killed.",
            "A drone strike by {a1} hit a vehicle near {loc} on {date}.",
            "Airstrikes targeted positions in {loc}. {k} fatalities reported.",
        ),
    ),
    (
        "Shelling/artillery/missile attack",
        "Explosions/Remote violence",
        "armed",
        None,
        0.10,
        (
            "On {date}, {a1} shelled {loc} with artillery; {k} killed.",
            "{a1} fired rockets at {loc} on {date}. No casualties reported.",
            "Mortar rounds fired by {a1} landed in {loc}, killing {k}.",
        ),
    ),
    (
        "Remote explosive/landmine/IED",
        "Explosions/Remote violence",
        "armed",
        None,
        0.05,
        (
            "On {date}, an IED exploded near a patrol in {loc}; {k} killed.",
            "A roadside bomb planted by {a1} struck a bus in {loc} on {date}.",
            "A landmine exploded in {loc}, killing {k} shepherds.",
        ),
    ),
    (
        "Suicide bomb",
        "Explosions/Remote violence",
        "armed",
        None,
        0.01,
        (
            "On {date}, a suicide bomber of {a1} blew himself up at a checkpoint in {loc}.",
            "A suicide car bomb exploded in {loc}, killing {k}.",
        ),
    ),
    (
        "Grenade",
        "Explosions/Remote violence",
        "armed",
        None,
        0.01,
        (
            "On {date}, unknown men threw a grenade into a market in {loc}.",
            "A hand grenade was lobbed at a police post in {loc} on {date}.",
        ),
    ),
    (
        "Attack",
        "Violence against civilians",
        "armed",
        "civilians",
        0.12,
        (
            "On {date}, {a1} attacked {a2} in {loc}, killing {k}.",
            "Gunmen of {a1} shot dead {k} villagers in {loc} on {date}.",
            "{a1} raided {loc} and killed {k} residents.",
        ),
    ),
    (
        "Abduction/forced disappearance",
        "Violence against civilians",
        "armed",
        "civilians",
        0.04,
        (
            "On {date}, {a1} abducted {k} travellers near {loc}.",
            "{a1} kidnapped a local chief in {loc} on {date}; his whereabouts are unknown.",
            "Gunmen seized {k} students from a school in {loc}.",
        ),
    ),
    (
        "Sexual violence",
        "Violence against civilians",
        "armed",
        "civilians",
        0.01,
        (
            "On {date}, members of {a1} raped a woman in {loc}.",
            "{a1} sexually assaulted women at a camp in {loc}.",
        ),
    ),
    (
        "Arrests",
        "Strategic developments",
        "state",
        "civilians",
        0.03,
        (
            "On {date}, {a1} arrested {k} suspected collaborators in {loc}.",
            "Security forces detained a journalist in {loc} on {date}.",
        ),
    ),
    (
        "Looting/property destruction",
        "Strategic developments",
        "armed",
        "civilians",
        0.02,
        (
            "On {date}, {a1} looted shops and burned houses in {loc}.",
            "{a1} destroyed crops and property in {loc} on {date}.",
        ),
    ),
    (
        "Agreement",
        "Strategic developments",
        "armed",
        "state",
        0.01,
        (
            "On {date}, {a1} and {a2} signed a ceasefire agreement in {loc}.",
            "A prisoner exchange was agreed between {a1} and {a2} in {loc}.",
        ),
    ),
    (
        "Headquarters or base established",
        "Strategic developments",
        "armed",
        None,
        0.01,
        (
            "On {date}, {a1} established a new base in {loc}.",
            "{a1} set up a checkpoint and headquarters in {loc}.",
        ),
    ),
    (
        "Disrupted weapons use",
        "Strategic developments",
        "state",
        None,
        0.01,
        (
            "On {date}, {a1} defused an IED found near {loc}.",
            "{a1} intercepted a drone over {loc} on {date}.",
        ),
    ),
)
# Close sub-event types whose reports read alike: a note is written from the other now and then.
CONFUSABLE = {
    "Air/drone strike": "Shelling/artillery/missile attack",
    "Shelling/artillery/missile attack": "Air/drone strike",
    "Attack": "Abduction/forced disappearance",
    "Abduction/forced disappearance": "Attack",
    "Peaceful protest": "Protest with intervention",
    "Protest with intervention": "Peaceful protest",
    "Armed clash": "Attack",
    "Violent demonstration": "Protest with intervention",
    "Remote explosive/landmine/IED": "Shelling/artillery/missile attack",
    "Mob violence": "Attack",
}
TYPES = {
    "state": "State forces",
    "rebel": "Rebel group",
    "militia": "Political militia",
    "identity": "Identity militia",
    "protesters": "Protesters",
    "rioters": "Rioters",
    "civilians": "Civilians",
}


def _name(rng: np.random.Generator, syllables: int) -> str:
    return "".join(rng.choice(_SYLLABLES, syllables)).capitalize()


def world(seed: int = 0, places: int = 300) -> dict[str, dict[str, object]]:
    """Per country: places (name, admin1, admin2, lat, lon) and actors by kind."""
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, object]] = {}
    for country, iso, region, (la0, la1), (lo0, lo1) in COUNTRIES:
        admin1 = [_name(rng, 3) for _ in range(12)]
        names = sorted({_name(rng, int(rng.integers(2, 4))) for _ in range(places)})
        place_rows = [
            (
                n,
                admin1[int(rng.integers(0, 12))],
                _name(rng, 2),
                round(float(rng.uniform(la0, la1)), 4),
                round(float(rng.uniform(lo0, lo1)), 4),
            )
            for n in names
        ]
        armed = [
            (f"{_name(rng, 3)} Liberation Front", "Rebel group"),
            (f"{_name(rng, 2)} Revolutionary Army", "Rebel group"),
            (f"{_name(rng, 3)} Communal Militia ({country})", "Identity militia"),
            (f"{_name(rng, 2)} Ethnic Militia ({country})", "Identity militia"),
            (f"Unidentified Armed Group ({country})", "Political militia"),
            (f"{_name(rng, 3)} Defence Brigade", "Political militia"),
        ]
        state = [
            (f"Military Forces of {country} (2015-)", "State forces"),
            (f"Police Forces of {country} (2015-)", "State forces"),
        ]
        out[country] = {
            "iso": iso,
            "region": region,
            "places": place_rows,
            "state": state,
            "armed": state + armed,
            "protesters": [(f"Protesters ({country})", "Protesters")],
            "rioters": [(f"Rioters ({country})", "Rioters")],
            "civilians": [(f"Civilians ({country})", "Civilians")],
        }
    return out


def events(n: int, seed: int = 0, *, places: int = 300) -> pl.DataFrame:
    """``n`` ACLED-style events (text cells, as read from a CSV) across eight countries."""
    rng = np.random.default_rng(seed)
    w = world(seed, places)
    countries = list(w)
    share = np.array([s[4] for s in SUB_EVENTS])
    pick = rng.choice(len(SUB_EVENTS), n, p=share / share.sum())
    country_idx = rng.integers(0, len(countries), n)
    days = rng.integers(0, 6 * 365, n)
    day_values = np.datetime64("2018-01-01") + days
    dates = day_values.astype("datetime64[D]").astype(str)
    # Notes write dates as reports do ("3 June 2020"); the date column is ISO.
    written = [d.strftime("%-d %B %Y") for d in day_values.astype("datetime64[D]").tolist()]
    place_idx = rng.integers(0, places, n)
    a1_idx = rng.integers(0, 64, n)
    a2_idx = rng.integers(0, 64, n)
    noise = rng.random(n)
    template_idx = rng.integers(0, 64, n)
    fatal = rng.poisson(2.0, n)
    sub_index = {s[0]: i for i, s in enumerate(SUB_EVENTS)}
    rows: dict[str, list[object]] = {
        k: []
        for k in (
            "event_id_cnty",
            "event_date",
            "time_precision",
            "event_type",
            "sub_event_type",
            "actor1",
            "inter1",
            "actor2",
            "inter2",
            "civilian_targeting",
            "iso",
            "region",
            "country",
            "admin1",
            "admin2",
            "location",
            "latitude",
            "longitude",
            "geo_precision",
            "source",
            "notes",
            "fatalities",
        )
    }
    for i in range(n):
        sub, event_type, k1, k2, _, templates = SUB_EVENTS[pick[i]]
        country = countries[country_idx[i]]
        c = w[country]
        pool1 = c[k1]  # type: ignore[index]
        a1, t1 = pool1[a1_idx[i] % len(pool1)]  # type: ignore[index]
        a2 = t2 = None
        if k2:
            pool2 = [a for a in c[k2] if a[0] != a1]  # type: ignore[index]
            a2, t2 = pool2[a2_idx[i] % len(pool2)]
        plist = c["places"]
        loc, adm1, adm2, lat, lon = plist[place_idx[i] % len(plist)]  # type: ignore[index,operator]
        # Notes: mostly the type's own templates, sometimes a close type's, rarely any type's.
        source = templates
        if noise[i] < 0.03:
            source = SUB_EVENTS[int(noise[i] * 1e6) % len(SUB_EVENTS)][5]
        elif noise[i] < 0.15 and sub in CONFUSABLE:
            source = SUB_EVENTS[sub_index[CONFUSABLE[sub]]][5]
        killed = (
            0
            if event_type == "Protests" and sub != "Excessive force against protesters"
            else int(fatal[i])
        )
        if event_type == "Strategic developments":
            killed = 0
        note = source[template_idx[i] % len(source)].format(
            a1=a1, a2=a2 or "unidentified men", loc=loc, date=written[i], k=killed
        )
        targeted = (
            "Civilian targeting"
            if t2 == "Civilians" and event_type in ("Violence against civilians", "Riots")
            else None
        )
        for key, value in (
            ("event_id_cnty", f"{c['iso']}-{i}"),
            ("event_date", dates[i]),
            ("time_precision", "1"),
            ("event_type", event_type),
            ("sub_event_type", sub),
            ("actor1", a1),
            ("inter1", t1),
            ("actor2", a2),
            ("inter2", t2),
            ("civilian_targeting", targeted),
            ("iso", str(c["iso"])),
            ("region", c["region"]),
            ("country", country),
            ("admin1", adm1),
            ("admin2", adm2),
            ("location", loc),
            ("latitude", str(lat)),
            ("longitude", str(lon)),
            ("geo_precision", "1"),
            ("source", "Synthetic Wire"),
            ("notes", note),
            ("fatalities", str(killed)),
        ):
            rows[key].append(value)
    return pl.DataFrame(rows, schema={k: pl.String for k in rows})
