"""Record real Label Studio exports into tests/data/ (run by hand; pytest does not collect it).

    EVENTCODER_LABEL_STUDIO=/path/to/label-studio python -m tests.annotate.record_exports

Starts a fresh Label Studio on 127.0.0.1, creates a project with the labeling config generated
from the default codebook, imports three short articles, signs up three coders through the
sign-up form and posts each coder's annotations with that coder's own token, adds a prediction,
then saves:

- ``ls_export_snapshot.json``: snapshot export with full user objects, skipped included;
- ``ls_export_quick.json``: the quick JSON export of the same project (``completed_by`` an int);
- ``ls_export_foreign.json``: a snapshot of a tiny project with another labeling config;
- ``ls_export_unicode.json``: a snapshot of one article with emoji and other characters outside
  the Basic Multilingual Plane before and inside its spans. One coder marks mentions in Label
  Studio's own editor, driven in headless Chromium (/usr/bin/chromium and chromedriver, selenium),
  which shows what unit real coders' offsets are in; three post events through the API with
  code point offsets, UTF-16 offsets and a wrong offset (see ``record_unicode``).

What each coder does is listed in ``PLAN`` below; tests/annotate/test_convert.py checks the
converted tables against it.
"""

from __future__ import annotations

import json
import re
import secrets
import tempfile
from pathlib import Path
from typing import Any

import httpx

from eventcoder.annotate.config import labeling_config
from eventcoder.schema import load_codebook
from tests.lsserver import find_label_studio, running_server

DATA = Path(__file__).resolve().parent.parent / "data"

ARTICLES = [
    {
        "id": "idlib-0304",
        "title": "Shelling hits two villages in southern Idlib",
        "source": "Idlib Observer",
        "text": (
            "Government artillery pounded the outskirts of Kafr Nabl on Monday 4 March 2024, "
            "killing three farmers, a local rescue team said. "
            "Hours later shells landed in a market in Maarat al-Numan, where two shopkeepers "
            "died, according to the same team."
        ),
    },
    {
        "id": "idlib-0306",
        "title": "Fighting near Saraqib; bread protest in Idlib city",
        "source": "North Syria Wire",
        "text": (
            "HTS fighters and Syrian army units exchanged fire at a checkpoint east of Saraqib "
            "on 6 March 2024; four fighters were killed. "
            "On the same day about two hundred residents gathered in Idlib city to protest "
            "against the price of bread and dispersed peacefully."
        ),
    },
    {
        "id": "idlib-0308",
        "title": "Jets strike near Ariha <b>market</b>",
        "source": "Idlib Observer",
        "text": (
            "Russian jets struck farmland on the edge of Ariha on 8 March 2024. "
            "Medics said nobody was hurt. <script>alert('x')</script>"
        ),
    },
]

STRIKE_KAFR = {
    "event_date": "2024-03-04",
    "time_precision": "1",
    "event_type": "Explosions/Remote violence",
    "sub_event_type": "Shelling/artillery/missile attack",
    "actor1": "Military Forces of Syria (2000-2024)",
    "inter1": "State forces",
    "actor2": "Civilians (Syria)",
    "inter2": "Civilians",
    "civilian_targeting": "Civilian targeting",
    "location": "Kafr Nobol",
    "geo_precision": "1",
    "fatalities": 3,
    "notes": "Government shelling of Kafr Nabl outskirts killed three farmers.",
}
STRIKE_MAARAT = {
    **STRIKE_KAFR,
    "location": "Maaret An Numan",
    "fatalities": 2,
    "notes": "Shells hit a market in Maarat al-Numan; two shopkeepers killed.",
}
CLASH = {
    "event_date": "2024-03-06",
    "time_precision": "1",
    "event_type": "Battles",
    "sub_event_type": "Armed clash",
    "actor1": "HTS: Hayat Tahrir al Sham",
    "inter1": "Rebel group",
    "actor2": "Military Forces of Syria (2000-2024)",
    "inter2": "State forces",
    "location": "Saraqab",
    "geo_precision": "2",
    "fatalities": 4,
    "notes": "HTS and army exchanged fire east of Saraqib; four fighters killed.",
}
PROTEST = {
    "event_date": "2024-03-06",
    "time_precision": "1",
    "event_type": "Protests",
    "sub_event_type": "Peaceful protest",
    "actor1": "Protesters (Syria)",
    "inter1": "Protesters",
    "location": "Idleb",
    "geo_precision": "1",
    "fatalities": 0,
    "notes": "About 200 residents protested bread prices in Idlib city.",
}
AIRSTRIKE = {
    "event_date": "2024-03-08",
    "time_precision": "1",
    "event_type": "Explosions/Remote violence",
    "sub_event_type": "Air/drone strike",
    "actor1": "Military Forces of Russia (2000-)",
    "inter1": "External/Other forces",
    "location": "Ariha",
    "geo_precision": "1",
    "fatalities": 0,
    "notes": "Russian jets struck farmland near Ariha; no casualties.",
}

# article index -> coder -> list of events (sentence index, fields, extra results) or "skip"
PLAN: dict[int, dict[str, Any]] = {
    0: {
        "coder1@example.org": [
            (0, STRIKE_KAFR),
            (1, STRIKE_MAARAT),
            ("mention", ("Actor", "Government artillery")),
            ("mention", ("Place", "Kafr Nabl")),
            ("mention", ("Date", "Monday 4 March 2024")),
            ("mention", ("Fatalities", "three farmers")),
        ],
        # missing required field: no fatalities on the second event; plus a Place mention
        "coder2@example.org": [
            (0, STRIKE_KAFR),
            (1, {k: v for k, v in STRIKE_MAARAT.items() if k != "fatalities"}),
            ("place", None),
        ],
        "coder3@example.org": "skip",
    },
    1: {
        "coder1@example.org": [(0, CLASH), (1, PROTEST), ("mention", ("Place", "Saraqib"))],
        # unknown sub-event type on the first event
        "coder2@example.org": [(0, {**CLASH, "sub_event_type": "Drone swarm"}), (1, PROTEST)],
        # "many" fatalities and a control pointing to no region (a control the config does
        # not have makes the whole export unreadable: tests/hostile/test_exports.py)
        "coder3@example.org": [
            (0, {**CLASH, "fatalities": "many"}),
            ("orphan", None),
        ],
    },
    2: {
        "coder1@example.org": [(0, AIRSTRIKE)],
        "coder2@example.org": [("shifted", AIRSTRIKE)],  # offsets that do not match the text
        "coder3@example.org": [],  # submitted with no event
    },
}


def sentences(text: str) -> list[tuple[int, int]]:
    """Start and end offsets of each sentence (ends at '. ')."""
    out, start = [], 0
    for m in re.finditer(r"\. ", text):
        out.append((start, m.start() + 1))
        start = m.end()
    out.append((start, len(text)))
    return out


def field_result(rid: str, name: str, value: Any, start: int, end: int, span: str) -> dict:
    """One per-region result entry for a codebook field."""
    cb = load_codebook(None)
    base = {"start": start, "end": end, "text": span}
    if name == "sub_event_type":
        parent = next(
            (
                str(t.attributes["event_type"])
                for t in cb.vocabularies["sub_event_types"].terms
                if t.value == value
            ),
            "Battles",
        )
        name = "sub_event_type__" + re.sub(r"[^a-z0-9]+", "_", parent.lower()).strip("_")
        kind, payload = "choices", {"choices": [value]}
    elif cb.field(name).vocabulary:
        kind, payload = "choices", {"choices": [value]}
    elif name == "event_date":
        kind, payload = "datetime", {"datetime": value}
    elif name == "fatalities":
        kind, payload = "number", {"number": value}
    else:
        kind, payload = "textarea", {"text": [value]}
    return {
        "id": rid,
        "from_name": name,
        "to_name": "text",
        "type": kind,
        "origin": "manual",
        "value": {**base, **payload},
    }


def region(rid: str, start: int, end: int, text: str, label: str) -> dict:
    return {
        "id": rid,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "origin": "manual",
        "value": {"start": start, "end": end, "text": text, "labels": [label]},
    }


def results_for(text: str, events: list, prefix: str) -> list[dict]:
    """The result list of one annotation, from the plan's events."""
    spans = sentences(text)
    out: list[dict] = []
    for i, (where, fields) in enumerate(events):
        rid = f"{prefix}e{i}"
        if where == "mention":
            label, words = fields
            m = re.search(re.escape(words), text)
            out.append(region(f"{prefix}m{i}", m.start(), m.end(), m.group(), label))
            continue
        if where == "place":
            m = re.search(r"Maarat al-Numan", text)
            out.append(region(f"{prefix}p{i}", m.start(), m.end(), m.group(), "Place"))
            continue
        if where == "orphan":
            s, e = spans[1]
            out.append(field_result("ghost", "notes", "a note on no region", s, e, text[s:e]))
            continue
        if where == "shifted":
            s, e = spans[0]
            s, e, span = s + 5, e + 5, text[s:e]  # the stored text is the real sentence
        else:
            s, e = spans[where]
            span = text[s:e]
        out.append(region(rid, s, e, span, "Event"))
        out += [field_result(rid, k, v, s, e, span) for k, v in fields.items()]
    return out


def sign_up_session(url: str, email: str) -> tuple[str, dict[str, str]]:
    """Create a coder through the sign-up form; return its API token and session cookies."""
    with httpx.Client(base_url=url, timeout=30, follow_redirects=False) as web:
        web.get("/user/signup/")
        answer = web.post(
            "/user/signup/",
            data={
                "csrfmiddlewaretoken": web.cookies["csrftoken"],
                "email": email,
                "password": secrets.token_urlsafe(12),
            },
            headers={"Referer": f"{url}/user/signup/"},
        )
        assert answer.status_code == 302, answer.text[:300]
        token = web.get("/api/current-user/token").json()["token"]
        return token, {c.name: c.value for c in web.cookies.jar if c.value}


def snapshot(http: httpx.Client, pid: int) -> list[dict]:
    """A snapshot export with full user objects and cancelled annotations."""
    made = http.post(
        f"/api/projects/{pid}/exports/",
        json={
            "title": "eventcoder fixture",
            "serialization_options": {
                "annotations__completed_by": {"only_id": False},
                "predictions": {"only_id": False},
            },
            "task_filter_options": {"only_with_annotations": False},
            "annotation_filter_options": {"usual": True, "skipped": True},
        },
    )
    made.raise_for_status()
    eid = made.json()["id"]
    got = http.get(f"/api/projects/{pid}/exports/{eid}/download", params={"exportType": "JSON"})
    got.raise_for_status()
    return got.json()


def scrub(tasks: list[dict], tokens: list[str]) -> list[dict]:
    """Fail if any token appears in the export (there should be none)."""
    text = json.dumps(tasks)
    for token in tokens:
        assert token not in text, "a token leaked into the export"
    return tasks


def save(name: str, tasks: list[dict]) -> None:
    path = DATA / name
    path.write_text(json.dumps(tasks, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path} ({len(tasks)} tasks)")


def main() -> None:
    binary = find_label_studio()
    assert binary, "set EVENTCODER_LABEL_STUDIO to a label-studio executable"
    cb = load_codebook(None)
    with running_server(binary, invite_only=False) as server:
        admin = httpx.Client(
            base_url=server.url, timeout=60, headers={"Authorization": f"Token {server.token}"}
        )
        project = admin.post(
            "/api/projects/",
            json={
                "title": "Idlib fixture",
                "label_config": labeling_config(cb),
                "maximum_annotations": 3,
                "show_skip_button": True,
            },
        )
        project.raise_for_status()
        pid = project.json()["id"]
        imported = admin.post(
            f"/api/projects/{pid}/import", params={"return_task_ids": "true"}, json=ARTICLES
        )
        imported.raise_for_status()
        task_ids = imported.json()["task_ids"]
        coders = sorted({c for plan in PLAN.values() for c in plan})
        sessions = {c: sign_up_session(server.url, c) for c in coders}
        tokens = {c: token for c, (token, _) in sessions.items()}
        for i, plan in PLAN.items():
            for n, (coder, events) in enumerate(plan.items()):
                http = httpx.Client(
                    base_url=server.url,
                    timeout=60,
                    headers={"Authorization": f"Token {tokens[coder]}"},
                )
                body: dict[str, Any] = (
                    {"result": [], "was_cancelled": True}
                    if events == "skip"
                    else {
                        "result": results_for(ARTICLES[i]["text"], events, f"t{i}c{n}"),
                        "lead_time": 30.0 + 10 * n,
                    }
                )
                http.post(f"/api/tasks/{task_ids[i]}/annotations/", json=body).raise_for_status()
        pred = results_for(ARTICLES[0]["text"], [(0, STRIKE_KAFR), (1, STRIKE_MAARAT)], "pr")
        admin.post(
            "/api/predictions/",
            json={"task": task_ids[0], "model_version": "llm-v1", "score": 0.87, "result": pred},
        ).raise_for_status()
        secrets_seen = [server.token, *tokens.values()]
        save("ls_export_snapshot.json", scrub(snapshot(admin, pid), secrets_seen))
        quick = admin.get(f"/api/projects/{pid}/export", params={"exportType": "JSON"})
        quick.raise_for_status()
        save("ls_export_quick.json", scrub(quick.json(), secrets_seen))

        foreign = admin.post(
            "/api/projects/",
            json={
                "title": "Sentiment",
                "label_config": (
                    '<View><Text name="text" value="$text"/><Choices name="sentiment" '
                    'toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices>'
                    "</View>"
                ),
            },
        )
        foreign.raise_for_status()
        fid = foreign.json()["id"]
        ftask = admin.post(
            f"/api/projects/{fid}/import",
            params={"return_task_ids": "true"},
            json=[{"text": "Markets reopened in Idlib city."}],
        ).json()["task_ids"][0]
        admin.post(
            f"/api/tasks/{ftask}/annotations/",
            json={
                "result": [
                    {
                        "from_name": "sentiment",
                        "to_name": "text",
                        "type": "choices",
                        "value": {"choices": ["Positive"]},
                    }
                ]
            },
        ).raise_for_status()
        save("ls_export_foreign.json", scrub(snapshot(admin, fid), secrets_seen))
        record_unicode(server.url, admin, cb, sessions, secrets_seen)


# ---- an article with characters outside the Basic Multilingual Plane --------------------------

UNICODE_ARTICLE = {
    "id": "idlib-0309",
    "title": "🔥 Jets over Ariha",
    "source": "Idlib Observer",
    "text": (
        "🔥 Update from 𝐈𝐝𝐥𝐢𝐛: Russian jets 🛩️ struck farmland near Ariha on 8 March 2024 "
        "(no one hurt 🙏). A resident 📱 filmed the smoke."
    ),
}
UNICODE_EVENT = "Russian jets 🛩️ struck farmland near Ariha on 8 March 2024 (no one hurt 🙏)."
# What the browser coder marks with the real editor: (label, words), mentions only, so that the
# annotation is accepted and its regions reach the mentions table with the editor's offsets.
BROWSER_MENTIONS = [
    ("Actor", "Russian jets"),
    ("Actor", "🛩️"),
    ("Place", "Ariha"),
    ("Date", "8 March 2024"),
]


def utf16(text: str, i: int) -> int:
    """The UTF-16 offset of code point offset ``i``, as JavaScript's String.length counts."""
    return len(text[:i].encode("utf-16-le")) // 2


def code_by_browser(url: str, cookies: dict[str, str], pid: int, tid: int) -> None:
    """Mark BROWSER_MENTIONS in Label Studio's own editor (headless Chromium) and submit."""
    from tests.browser import add_session, chromium, code_in_editor

    with tempfile.TemporaryDirectory() as profiles, chromium(Path(profiles)) as driver:
        add_session(driver, url, cookies)
        marks = [(label, words, words) for label, words in BROWSER_MENTIONS]
        code_in_editor(driver, url, pid, tid, marks)


def record_unicode(
    url: str,
    admin: httpx.Client,
    cb: Any,
    sessions: dict[str, tuple[str, dict[str, str]]],
    secrets_seen: list[str],
) -> None:
    """Record ``ls_export_unicode.json``: one article with emoji before and inside its spans.

    coder1 marks mentions in the real editor (Chromium); coder2 posts the event with code point
    offsets (what that editor sends), coder3 with UTF-16 offsets (what older editors sent),
    coder4 with offsets one code point too far (a genuinely wrong offset).
    """
    project = admin.post(
        "/api/projects/",
        json={"title": "Unicode fixture", "label_config": labeling_config(cb)},
    )
    project.raise_for_status()
    pid = project.json()["id"]
    imported = admin.post(
        f"/api/projects/{pid}/import",
        params={"return_task_ids": "true"},
        json=[UNICODE_ARTICLE],
    )
    imported.raise_for_status()
    tid = imported.json()["task_ids"][0]
    sessions = {**sessions, "coder4@example.org": sign_up_session(url, "coder4@example.org")}
    for token, cookies in sessions.values():
        secrets_seen += [token, *cookies.values()]
    code_by_browser(url, sessions["coder1@example.org"][1], pid, tid)

    text = UNICODE_ARTICLE["text"]
    start = text.index(UNICODE_EVENT)
    end = start + len(UNICODE_EVENT)
    place = text.index("Ariha")
    for email, (s, e), (ps, pe) in [
        ("coder2@example.org", (start, end), (place, place + 5)),
        (
            "coder3@example.org",
            (utf16(text, start), utf16(text, end)),
            (utf16(text, place), utf16(text, place + 5)),
        ),
        ("coder4@example.org", (start + 1, end + 1), (place, place + 5)),
    ]:
        results = [region("u0", s, e, UNICODE_EVENT, "Event")]
        results += [field_result("u0", k, v, s, e, UNICODE_EVENT) for k, v in AIRSTRIKE.items()]
        results.append(region("u1", ps, pe, "Ariha", "Place"))
        http = httpx.Client(
            base_url=url, timeout=60, headers={"Authorization": f"Token {sessions[email][0]}"}
        )
        http.post(f"/api/tasks/{tid}/annotations/", json={"result": results}).raise_for_status()
    save("ls_export_unicode.json", scrub(snapshot(admin, pid), secrets_seen))


if __name__ == "__main__":
    main()
