"""Record the demo's Label Studio export into eventcoder/demo/ (run by hand; pytest skips it).

    EVENTCODER_LABEL_STUDIO=/tmp/lsvenv/bin/label-studio python -m tests.annotate.record_demo

Starts a fresh Label Studio on 127.0.0.1 and drives it the way a project lead does, through
eventcoder's own functions: ``create_project`` from the default codebook (overlap 3),
``import_tasks`` of ``eventcoder/demo/articles.jsonl``, ``create_coder`` for three coders. Each
coder then posts their annotations with their own token (what ``PLAN`` says, as the Label Studio
editor would send them), and ``pull_export`` saves a snapshot export with full user objects. The
export is re-indented, checked for tokens and passwords, and written to
``eventcoder/demo/export.json``.

What the coders do (``PLAN``), and what the demo should find in it:

- idl-2020-0603: all three code the Mozra strike; the strike near Al Bara is coded at
  "Jabal al-Zawiya" by two coders and at "Al Bara" by one (a location disagreement); leila alone
  also codes the night's displacement (an extra event, which goes to the review queue).
- idl-2020-0608: jonas puts the opposition's mortar fire under Explosions/Remote violence with
  the Battles sub-event "Armed clash" (a sub-event under the wrong type: annotation rejected).
- idl-2020-0610: one clash; jonas takes the monitor's eight dead, the others the commander's six.
- idl-2020-0612: leila leaves the fatalities of the teachers' sit-in empty (missing required
  field: annotation rejected).
- idl-2020-0615: the new Turkish post is "Headquarters or base established" for two coders and
  "Change to group/activity" for jonas (a sub-event type disagreement).
- idl-2020-0618: leila skips the car bomb.
- idl-2020-0623: amira leaves the arrest's date empty (rejected); jonas misses the arrest.
- idl-2020-0625: no codable event; all three submit the article with no region.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from eventcoder.annotate.articles import read_articles
from eventcoder.annotate.client import create_coder
from eventcoder.annotate.exports import pull_export
from eventcoder.annotate.projects import create_project
from eventcoder.annotate.tasks import import_tasks, project_tasks
from eventcoder.schema import load_codebook
from eventcoder.settings import server_settings
from tests.annotate.record_exports import field_result, region, sentences
from tests.lsserver import find_label_studio, running_server

DEMO = Path(__file__).resolve().parents[2] / "eventcoder" / "demo"
AMIRA, JONAS, LEILA = "amira.k@example.org", "jonas.b@example.org", "leila.h@example.org"

RUSSIA = {"actor1": "Military Forces of Russia (2000-)", "inter1": "External/Other forces"}
SYRIA = {"actor1": "Military Forces of Syria (2000-2024)", "inter1": "State forces"}
HTS = {"actor1": "HTS: Hayat Tahrir al Sham", "inter1": "Rebel group"}
ON_CIVILIANS = {
    "actor2": "Civilians (Syria)",
    "inter2": "Civilians",
    "civilian_targeting": "Civilian targeting",
}
DAY = {"time_precision": "1"}

MOZRA = {
    "event_date": "2020-06-03",
    **DAY,
    "event_type": "Explosions/Remote violence",
    "sub_event_type": "Air/drone strike",
    **RUSSIA,
    **ON_CIVILIANS,
    "location": "Mozra",
    "geo_precision": "1",
    "fatalities": 2,
    "notes": "On 3 June 2020, Russian jets struck Mozra (Jabal al-Zawiya, Idlib), the first "
    "raids since the March ceasefire. 2 civilians killed, 3 wounded.",
}
ZAWIYA = {
    "event_date": "2020-06-03",
    **DAY,
    "event_type": "Explosions/Remote violence",
    "sub_event_type": "Air/drone strike",
    **RUSSIA,
    "location": "Jabal al-Zawiya",
    "geo_precision": "2",
    "fatalities": 0,
    "notes": "On 3 June 2020, Russian jets hit farmland in the hills of Jabal al-Zawiya near "
    "Al Bara. No casualties reported.",
}
DISPLACED = {
    "event_date": "2020-06-03",
    **DAY,
    "event_type": "Strategic developments",
    "sub_event_type": "Other",
    "actor1": "Civilians (Syria)",
    "inter1": "Civilians",
    "location": "Jabal al-Zawiya",
    "geo_precision": "2",
    "fatalities": 0,
    "notes": "On the night of 3 June 2020, residents of about a dozen villages in Jabal "
    "al-Zawiya fled north after Russian air raids.",
}
KANSAFRA = {
    "event_date": "2020-06-08",
    **DAY,
    "event_type": "Explosions/Remote violence",
    "sub_event_type": "Shelling/artillery/missile attack",
    **SYRIA,
    **ON_CIVILIANS,
    "location": "Kansafra",
    "geo_precision": "1",
    "fatalities": 2,
    "notes": "On 8 June 2020, regime artillery shelled Kansafra (Idlib), killing a woman and "
    "her son.",
}
EHSEM = {
    "event_date": "2020-06-08",
    **DAY,
    "event_type": "Explosions/Remote violence",
    "sub_event_type": "Shelling/artillery/missile attack",
    **SYRIA,
    "location": "Ehsem",
    "geo_precision": "2",
    "fatalities": 0,
    "notes": "On 8 June 2020, regime rockets fell on the outskirts of Ehsem. No casualties.",
}
MORTARS = {
    "event_date": "2020-06-08",
    **DAY,
    "event_type": "Explosions/Remote violence",
    "sub_event_type": "Shelling/artillery/missile attack",
    "actor1": "Opposition Rebels (Syria)",
    "inter1": "Rebel group",
    "actor2": "Military Forces of Syria (2000-2024)",
    "inter2": "State forces",
    "location": "Hama",
    "geo_precision": "3",
    "fatalities": 0,
    "notes": "On 8 June 2020, opposition factions fired mortars at army positions in the Hama "
    "countryside. No casualties reported.",
}
SARAQIB = {
    "event_date": "2020-06-10",
    **DAY,
    "event_type": "Battles",
    "sub_event_type": "Armed clash",
    **HTS,
    "actor2": "Military Forces of Syria (2000-2024)",
    "inter2": "State forces",
    "location": "Saraqab",
    "geo_precision": "2",
    "fatalities": 6,
    "notes": "On 10 June 2020, HTS and regime forces clashed east of Saraqib for about three "
    "hours. 4 HTS fighters and 2 soldiers killed (a monitor reported 8).",
}
BINNISH = {
    "event_date": "2020-06-12",
    **DAY,
    "event_type": "Protests",
    "sub_event_type": "Peaceful protest",
    "actor1": "Protesters (Syria)",
    "inter1": "Protesters",
    "location": "Binnish",
    "geo_precision": "1",
    "fatalities": 0,
    "tags": "crowd size=several hundred",
    "notes": "On 12 June 2020, several hundred people protested in Binnish against the joint "
    "Russian-Turkish patrols on the M4 highway.",
}
TEACHERS = {
    "event_date": "2020-06-12",
    **DAY,
    "event_type": "Protests",
    "sub_event_type": "Peaceful protest",
    "actor1": "Protesters (Syria)",
    "assoc_actor_1": "Teachers (Syria)",
    "inter1": "Protesters",
    "location": "Idleb",
    "geo_precision": "1",
    "fatalities": 0,
    "tags": "crowd size=dozens",
    "notes": "On 12 June 2020, dozens of teachers held a sit-in in Idleb city over unpaid "
    "salaries.",
}
POST = {
    "event_date": "2020-06-15",
    **DAY,
    "event_type": "Strategic developments",
    "sub_event_type": "Headquarters or base established",
    "actor1": "Military Forces of Turkey (2016-)",
    "inter1": "External/Other forces",
    "location": "Ariha",
    "geo_precision": "2",
    "fatalities": 0,
    "notes": "On 15 June 2020, a Turkish convoy of about 30 vehicles set up a new observation "
    "post south of Ariha.",
}
CAR_BOMB = {
    "event_date": "2020-06-18",
    **DAY,
    "event_type": "Explosions/Remote violence",
    "sub_event_type": "Remote explosive/landmine/IED",
    "actor1": "Unidentified Armed Group (Syria)",
    "inter1": "Political militia",
    **ON_CIVILIANS,
    "location": "Sarmada",
    "geo_precision": "1",
    "fatalities": 3,
    "notes": "On 18 June 2020, a car bomb exploded near a roundabout in Sarmada. 3 civilians "
    "killed, 11 injured. No claim.",
}
HURRAS = {
    "event_date": "2020-06-23",
    **DAY,
    "event_type": "Battles",
    "sub_event_type": "Armed clash",
    **HTS,
    "actor2": "Hurras al Din",
    "inter2": "Rebel group",
    "location": "Jisr Ash-Shugur",
    "geo_precision": "2",
    "fatalities": 4,
    "notes": "On 23 June 2020, HTS stormed Hurras al-Din positions near Jisr al-Shughur. "
    "At least 2 fighters from each side killed.",
}
ARREST = {
    "event_date": "2020-06-23",
    **DAY,
    "event_type": "Strategic developments",
    "sub_event_type": "Arrests",
    **HTS,
    "actor2": "Hurras al Din",
    "inter2": "Rebel group",
    "location": "Idleb",
    "geo_precision": "1",
    "fatalities": 0,
    "notes": "On 23 June 2020, HTS detained a Hurras al-Din commander at a checkpoint in "
    "Idleb city.",
}


WRONG_SUB_EVENT = {"sub_event_type": "Armed clash"}


def _without(event: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in names}


# article id -> coder -> [(first sentence, last sentence, fields)] or "skip"
PLAN: dict[str, dict[str, Any]] = {
    "idl-2020-0603": {
        AMIRA: [(0, 1, MOZRA), (2, 2, ZAWIYA)],
        JONAS: [(0, 1, MOZRA), (2, 2, {**ZAWIYA, "location": "Al Bara", "geo_precision": "1"})],
        LEILA: [(0, 1, MOZRA), (2, 2, ZAWIYA), (3, 3, DISPLACED)],
    },
    "idl-2020-0608": {
        AMIRA: [(0, 0, KANSAFRA), (1, 1, EHSEM), (2, 2, MORTARS)],
        # a Battles sub-event under Explosions/Remote violence
        JONAS: [(0, 0, KANSAFRA), (1, 1, EHSEM), (2, 2, {**MORTARS, **WRONG_SUB_EVENT})],
        LEILA: [(0, 0, KANSAFRA), (1, 1, {**EHSEM, **ON_CIVILIANS}), (2, 2, MORTARS)],
    },
    "idl-2020-0610": {
        AMIRA: [(0, 1, SARAQIB)],
        JONAS: [(0, 1, {**SARAQIB, "fatalities": 8})],
        LEILA: [(0, 1, SARAQIB)],
    },
    "idl-2020-0612": {
        AMIRA: [(0, 1, BINNISH), (2, 2, TEACHERS)],
        JONAS: [(0, 1, BINNISH), (2, 2, TEACHERS)],
        LEILA: [(0, 1, BINNISH), (2, 2, _without(TEACHERS, "fatalities"))],
    },
    "idl-2020-0615": {
        AMIRA: [(0, 0, POST)],
        JONAS: [(0, 0, {**POST, "sub_event_type": "Change to group/activity"})],
        LEILA: [(0, 1, POST)],
    },
    "idl-2020-0618": {
        AMIRA: [(0, 1, CAR_BOMB)],
        JONAS: [(0, 1, CAR_BOMB)],
        LEILA: "skip",
    },
    "idl-2020-0623": {
        AMIRA: [(0, 1, HURRAS), (2, 2, _without(ARREST, "event_date"))],
        JONAS: [(0, 1, HURRAS)],
        LEILA: [(0, 1, HURRAS), (2, 2, ARREST)],
    },
    "idl-2020-0625": {AMIRA: [], JONAS: [], LEILA: []},
}
# Seconds each coder spent on a task, as the editor reports them (lead_time).
PACE = {AMIRA: 240.0, JONAS: 150.0, LEILA: 330.0}


def results(text: str, events: list[tuple[int, int, dict[str, Any]]], prefix: str) -> list[dict]:
    """The result list the editor sends for these events: a region and its per-region fields."""
    spans = sentences(text)
    out: list[dict] = []
    for i, (first, last, fields) in enumerate(events):
        start, end = spans[first][0], spans[last][1]
        rid = f"{prefix}{i}"
        out.append(region(rid, start, end, text[start:end], "Event"))
        out += [field_result(rid, k, v, start, end, text[start:end]) for k, v in fields.items()]
    return out


def check_clean(path: Path, secrets_seen: list[str]) -> None:
    """Fail if any token or password reached the export."""
    text = path.read_text(encoding="utf-8")
    for secret in secrets_seen:
        assert secret not in text, "a secret leaked into the export"


def main() -> None:
    binary = find_label_studio()
    assert binary, "set EVENTCODER_LABEL_STUDIO to a label-studio executable"
    cb = load_codebook(None)
    articles = read_articles(DEMO / "articles.jsonl")
    texts = {a.id: a.text for a in articles}
    with running_server(binary) as server:
        settings = server_settings(server.url, server.token)
        project = create_project(settings, cb, title="Idlib 2020 demo", overlap=3)
        import_tasks(settings, project.id, articles)
        tasks = project_tasks(settings, project.id)
        coders = {email: create_coder(settings, email) for email in (AMIRA, JONAS, LEILA)}
        # Coders work through the queue in turn, as they would on a shared project.
        for n, (article_id, plan) in enumerate(PLAN.items()):
            for email, events in plan.items():
                token = coders[email].token.reveal()
                body: dict[str, Any] = (
                    {"result": [], "was_cancelled": True, "lead_time": 20.0}
                    if events == "skip"
                    else {
                        "result": results(texts[article_id], events, f"{email[:2]}{n}e"),
                        "lead_time": PACE[email] + 15.0 * len(events),
                    }
                )
                with httpx.Client(
                    base_url=server.url, timeout=60, headers={"Authorization": f"Token {token}"}
                ) as http:
                    task_id = tasks[article_id].task_id
                    http.post(f"/api/tasks/{task_id}/annotations/", json=body).raise_for_status()
        raw = DEMO / "export.raw.json"
        pull_export(settings, project.id, raw)
        tasks_json = json.loads(raw.read_text(encoding="utf-8"))
        raw.unlink()
        out = DEMO / "export.json"
        out.write_text(
            json.dumps(tasks_json, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        secrets_seen = [server.token, server.password]
        for c in coders.values():
            secrets_seen += [c.token.reveal(), c.password.reveal()]
        check_clean(out, secrets_seen)
        print(f"wrote {out} ({len(tasks_json)} tasks)")


if __name__ == "__main__":
    main()
