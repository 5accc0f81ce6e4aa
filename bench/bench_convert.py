"""Benchmark: `eventcoder convert` against a bare `orjson.loads` of the same Label Studio export.

    python bench/bench_convert.py [--shape short|long|both] [--tasks 100000] [--long-mb 450]
                                  [--repeat 3] [--python PYTHON] [--no-orjson] [--keep FOLDER]

Writes synthetic snapshot exports shaped like a real Label Studio 1.23 one (article text in
``data``, three coders' annotations, per-region results repeating the region's start/end/text,
full user objects, one cancelled annotation in 50), streaming each to a temporary file. Two
shapes:

- ``short``: short articles (three sentences), two Event regions per annotation, 11 results
  each (100,000 tasks: 1.46 GB);
- ``long``: long articles (about 12 KB, 60 sentences), 24 Event regions of two or three
  sentences per annotation, 11 to 13 results each, and an Actor and a Place mention per event:
  few tasks, long strings, many regions (``--long-mb`` sets the size; 450 MB by default).

Then, for each shape and each in its own subprocess so peak memory is that process's own
(``resource.getrusage(RUSAGE_CHILDREN)`` read by a fresh wrapper per measurement):

1. ``orjson.loads`` of the file (read + parse, nothing else);
2. ``eventcoder convert FILE --out DIR`` (parse + convert + validate + write Parquet).

Each is run ``--repeat`` times; prints the median seconds (and the range), events/s, the largest
peak RSS and the ratios of the medians. Target: convert <= 0.5x the orjson time, with peak
memory <= 3x the export's size. ``--no-orjson`` skips the baseline (an orjson.loads of a 2 GB
export needs some 17 GB).

``--python`` times ``eventcoder convert`` under another interpreter: a user's install
(``make install``, or ``pip install eventcoder``) rather than the development one. The test
extra's hypothesis and pyspark are imported by pandera when present, which a user's install
does without; convert does pandera's importing and set-up on a second thread while DuckDB parses
(``eventcoder.annotate.convert.read_export``), so on two cores or more either install gives the
same figure within the noise.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

VILLAGES = ["Ariha", "Saraqab", "Kafr Nobol", "Maaret An Numan", "Idleb", "Ehsem", "Al Bara"]
ACTORS = [
    ("Military Forces of Syria (2000-2024)", "State forces"),
    ("HTS: Hayat Tahrir al Sham", "Rebel group"),
    ("Military Forces of Russia (2000-)", "External/Other forces"),
]


def _event(rng: random.Random, rid: str, start: int, text: str) -> list[dict]:
    end = start + len(text)
    actor, inter = rng.choice(ACTORS)
    base = {"start": start, "end": end, "text": text}

    def r(name: str, kind: str, payload: dict) -> dict:
        return {
            "id": rid,
            "from_name": name,
            "to_name": "text",
            "type": kind,
            "origin": "manual",
            "value": {**base, **payload},
        }

    return [
        r("label", "labels", {"labels": ["Event"]}),
        r("event_date", "datetime", {"datetime": f"2024-03-{rng.randint(1, 28):02d}"}),
        r("time_precision", "choices", {"choices": ["1"]}),
        r("event_type", "choices", {"choices": ["Explosions/Remote violence"]}),
        r(
            "sub_event_type__explosions_remote_violence",
            "choices",
            {"choices": ["Shelling/artillery/missile attack"]},
        ),
        r("actor1", "textarea", {"text": [actor]}),
        r("inter1", "choices", {"choices": [inter]}),
        r("location", "textarea", {"text": [rng.choice(VILLAGES)]}),
        r("geo_precision", "choices", {"choices": ["1"]}),
        r("fatalities", "number", {"number": rng.randint(0, 5)}),
        r("notes", "textarea", {"text": ["Shelling reported by a local team."]}),
    ]


def _user(coder: int) -> dict:
    return {
        "id": coder + 2,
        "email": f"coder{coder + 1}@example.org",
        "first_name": "",
        "last_name": "",
    }


def _annotation(ann_id: int, task: int, coder: int, result: list[dict], cancelled: bool) -> dict:
    return {
        "id": ann_id,
        "completed_by": _user(coder),
        "result": result,
        "was_cancelled": cancelled,
        "ground_truth": False,
        "created_at": "2026-11-25T12:53:15.290323Z",
        "updated_at": "2026-11-25T12:53:15.290352Z",
        "draft_created_at": None,
        "lead_time": 31.5,
        "prediction": {},
        "result_count": len({r["id"] for r in result}),
        "unique_id": f"{ann_id:08x}-5b1c-4c1e-9d2f-{task:012x}",
        "import_id": None,
        "last_action": None,
        "bulk_created": False,
        "task": task,
        "project": 1,
        "updated_by": coder + 2,
        "parent_prediction": None,
        "parent_annotation": None,
        "last_created_by": None,
    }


def _task(t: int, text: str, annotations: list[dict]) -> dict:
    return {
        "id": t,
        "annotations": annotations,
        "drafts": [],
        "predictions": [],
        "data": {
            "id": f"art-{t:07d}",
            "title": "Shelling in Idlib",
            "text": text,
            "source": "Idlib Observer",
        },
        "meta": {},
        "created_at": "2026-11-25T12:50:00.000000Z",
        "updated_at": "2026-11-25T12:53:15.290352Z",
        "allow_skip": True,
        "inner_id": t,
        "total_annotations": len(annotations),
        "cancelled_annotations": sum(a["was_cancelled"] for a in annotations),
        "total_predictions": 0,
        "comment_count": 0,
        "unresolved_comment_count": 0,
        "last_comment_updated_at": None,
        "project": 1,
        "updated_by": 2,
        "comment_authors": [],
    }


def _stream(path: Path, tasks) -> None:
    """Write the tasks of an iterator as one JSON array, one task at a time."""
    with path.open("wb") as out:
        out.write(b"[")
        for i, task in enumerate(tasks):
            if i:
                out.write(b",")
            out.write(orjson.dumps(task))
        out.write(b"]")


def write_export(path: Path, tasks: int, seed: int = 7) -> int:
    """Write the short shape with ``tasks`` tasks to ``path``; return the number of events."""
    rng = random.Random(seed)
    events = 0
    ann_id = 0

    def gen():
        nonlocal events, ann_id
        for t in range(1, tasks + 1):
            village_a, village_b = rng.sample(VILLAGES, 2)
            s1 = f"Artillery shells hit {village_a} on 4 March 2024, killing two."
            s2 = f"Later, rockets struck {village_b} and one person died."
            text = f"{s1} {s2} Rescue teams worked through the night."
            annotations = []
            for coder in range(3):
                ann_id += 1
                cancelled = rng.random() < 0.02
                result = (
                    []
                    if cancelled
                    else (
                        _event(rng, f"r{t}a{coder}e0", 0, s1)
                        + _event(rng, f"r{t}a{coder}e1", len(s1) + 1, s2)
                    )
                )
                events += 0 if cancelled else 2
                annotations.append(_annotation(ann_id, t, coder, result, cancelled))
            yield _task(t, text, annotations)

    _stream(path, gen())
    return events


_SENTENCES = [
    "Artillery shells hit {v} on {d} March 2024, killing {n} civilians, the civil defence said.",
    "Later in the day rockets struck the outskirts of {v}, and a local team reported {n} dead.",
    "Residents of {v} said the shelling continued through the night, damaging a school.",
    "Government forces and their allies clashed with opposition fighters near {v} on {d} March.",
    "A drone strike on a car on the road to {v} killed {n} people, according to a monitor.",
    "Several hundred people protested in {v} against the bombardment of nearby villages.",
]


def _long_article(rng: random.Random, sentences: int) -> list[str]:
    return [
        rng.choice(_SENTENCES).format(
            v=rng.choice(VILLAGES), d=rng.randint(1, 28), n=rng.randint(0, 9)
        )
        for _ in range(sentences)
    ]


def _mention(rid: str, label: str, start: int, text: str) -> dict:
    return {
        "id": rid,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "origin": "manual",
        "value": {"start": start, "end": start + len(text), "text": text, "labels": [label]},
    }


def write_long_export(path: Path, megabytes: float, seed: int = 11) -> tuple[int, int]:
    """Write the long shape, about ``megabytes`` MB, to ``path``; return (tasks, events)."""
    rng = random.Random(seed)
    events = 0
    ann_id = 0
    written = 0
    tasks = 0

    def gen():
        nonlocal events, ann_id, written, tasks
        while written < megabytes * 1e6:
            tasks += 1
            t = tasks
            sentences = _long_article(rng, 60)
            text = " ".join(sentences)
            starts = [0]
            for sentence in sentences[:-1]:
                starts.append(starts[-1] + len(sentence) + 1)
            annotations = []
            for coder in range(3):
                ann_id += 1
                cancelled = rng.random() < 0.02
                result: list[dict] = []
                if not cancelled:
                    for e in range(24):
                        first = e * 2 + rng.randint(0, 1)
                        span = " ".join(sentences[first : first + rng.randint(2, 3)])
                        start = starts[first]
                        rid = f"r{t}a{coder}e{e}"
                        result += _event(rng, rid, start, span)
                        village = next((v for v in VILLAGES if v in span), None)
                        if village:
                            at = start + span.index(village)
                            result.append(_mention(f"{rid}p", "Place", at, village))
                        result.append(_mention(f"{rid}a", "Actor", start, span.split()[0]))
                    events += 24
                annotations.append(_annotation(ann_id, t, coder, result, cancelled))
            task = _task(t, text, annotations)
            written += len(orjson.dumps(task)) + 1
            yield task

    _stream(path, gen())
    return tasks, events


_WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "rc = subprocess.run(sys.argv[1:]).returncode\n"
    "dt = time.perf_counter() - t\n"
    "print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, rc)\n"
)


def measure(cmd: list[str]) -> tuple[float, int, int]:
    """Seconds, peak RSS (bytes) and exit code of ``cmd``, run in a fresh wrapper process."""
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *cmd], check=True, capture_output=True, text=True
    )
    out = done.stdout.split()
    if int(out[-1]) not in (0, 1):
        print(done.stdout[-2000:], done.stderr[-2000:], sep="\n")
    return float(out[-3]), int(out[-2]), int(out[-1])


def _runs(cmd: list[str], repeat: int) -> tuple[float, float, float, int]:
    """Median, fastest and slowest seconds of ``repeat`` runs of ``cmd``, and the largest peak."""
    times, peaks = [], []
    for _ in range(repeat):
        seconds, peak, rc = measure(cmd)
        if rc not in (0, 1):
            raise SystemExit(f"{cmd[2:4]} failed with exit code {rc}")
        times.append(seconds)
        peaks.append(peak)
    return statistics.median(times), min(times), max(times), max(peaks)


def _compare(
    path: Path, events: int, out: Path, with_orjson: bool, repeat: int, python: str
) -> None:
    """Time and peak memory of orjson.loads and of eventcoder convert on the export at path."""
    size = path.stat().st_size
    convert = [python, "-m", "eventcoder", "convert", str(path), "--out", str(out)]
    t_conv, fast, slow, m_conv = _runs(convert, repeat)
    print(
        f"  eventcoder convert : {t_conv:7.1f} s ({fast:.1f}-{slow:.1f})  "
        f"peak {m_conv / 1e9:5.2f} GB  {events / t_conv:12,.0f} events/s  "
        f"peak/export {m_conv / size:.2f} (target <= 3)"
    )
    if not with_orjson:
        return
    loads = [sys.executable, "-c", f"import orjson; orjson.loads(open({str(path)!r}, 'rb').read())"]
    t_json, fast, slow, m_json = _runs(loads, repeat)
    print(
        f"  orjson.loads       : {t_json:7.1f} s ({fast:.1f}-{slow:.1f})  "
        f"peak {m_json / 1e9:5.2f} GB  {events / t_json:12,.0f} events/s"
    )
    print(f"  time convert/orjson: {t_conv / t_json:.2f} (target <= 0.5; medians of {repeat})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=["short", "long", "both"], default="both")
    parser.add_argument("--tasks", type=int, default=100_000, help="tasks of the short shape")
    parser.add_argument("--long-mb", type=float, default=450, help="size of the long shape")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, for the median")
    parser.add_argument(
        "--python", default=sys.executable, help="the interpreter to run eventcoder convert with"
    )
    parser.add_argument("--no-orjson", action="store_true", help="skip the orjson baseline")
    parser.add_argument("--keep", type=Path, help="Write the exports into this folder.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-convert-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for shape in ("short", "long") if args.shape == "both" else (args.shape,):
            path = folder / f"export-{shape}.json"
            began = time.perf_counter()
            if shape == "short":
                tasks, events = args.tasks, write_export(path, args.tasks)
            else:
                tasks, events = write_long_export(path, args.long_mb)
            print(
                f"{shape} shape: {tasks:,} tasks, {events:,} events, "
                f"{path.stat().st_size / 1e6:,.0f} MB (written in "
                f"{time.perf_counter() - began:.1f} s)"
            )
            _compare(
                path,
                events,
                Path(tmp) / f"out-{shape}",
                not args.no_orjson,
                args.repeat,
                args.python,
            )
            if not args.keep:
                path.unlink()


if __name__ == "__main__":
    main()
