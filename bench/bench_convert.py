"""Benchmark: `eventcoder convert` against a bare `orjson.loads` of the same Label Studio export.

    python bench/bench_convert.py --tasks 100000 [--keep FILE]

Writes a synthetic snapshot export shaped like a real Label Studio 1.23 one (tasks with article
text, three coders' annotations with two or more Event regions each, per-region results repeating
the region's start/end/text, full user objects, one cancelled annotation in 50), streaming it to a
temporary file. Then, each in its own subprocess so peak memory is that process's own
(``resource.getrusage(RUSAGE_CHILDREN)`` read by a fresh wrapper per measurement):

1. ``orjson.loads`` of the file (read + parse, nothing else);
2. ``eventcoder convert FILE --out DIR`` (parse + convert + validate + write Parquet).

Prints seconds, rows/s, peak RSS and the ratios. Target: convert <= 0.5x the orjson time, with
peak memory <= 3x the export's size.
"""

from __future__ import annotations

import argparse
import random
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


def write_export(path: Path, tasks: int, seed: int = 7) -> int:
    """Write a synthetic export with ``tasks`` tasks to ``path``; return the number of events."""
    rng = random.Random(seed)
    events = 0
    ann_id = 0
    with path.open("wb") as out:
        out.write(b"[")
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
                annotations.append(
                    {
                        "id": ann_id,
                        "completed_by": {
                            "id": coder + 2,
                            "email": f"coder{coder + 1}@example.org",
                            "first_name": "",
                            "last_name": "",
                        },
                        "result": result,
                        "was_cancelled": cancelled,
                        "ground_truth": False,
                        "created_at": "2026-11-25T12:53:15.290323Z",
                        "updated_at": "2026-11-25T12:53:15.290352Z",
                        "lead_time": 31.5,
                        "task": t,
                        "project": 1,
                        "updated_by": coder + 2,
                    }
                )
            task = {
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
                "inner_id": t,
                "total_annotations": 3,
                "cancelled_annotations": 0,
                "project": 1,
            }
            if t > 1:
                out.write(b",")
            out.write(orjson.dumps(task))
        out.write(b"]")
    return events


_WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "rc = subprocess.run(sys.argv[1:]).returncode\n"
    "dt = time.perf_counter() - t\n"
    "print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, rc)\n"
)


def measure(cmd: list[str]) -> tuple[float, int, int]:
    """Seconds, peak RSS (bytes) and exit code of ``cmd``, run in a fresh wrapper process."""
    out = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *cmd], check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[-3]), int(out[-2]), int(out[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="Write the export here and keep it.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-convert-") as tmp:
        path = args.keep or Path(tmp) / "export.json"
        began = time.perf_counter()
        events = write_export(path, args.tasks)
        size = path.stat().st_size
        print(
            f"export: {args.tasks:,} tasks, {events:,} events, {size / 1e6:,.0f} MB "
            f"(written in {time.perf_counter() - began:.1f} s)"
        )
        loads = [
            sys.executable,
            "-c",
            f"import orjson; orjson.loads(open({str(path)!r}, 'rb').read())",
        ]
        t_json, m_json, _ = measure(loads)
        convert = [
            sys.executable,
            "-m",
            "eventcoder",
            "convert",
            str(path),
            "--out",
            str(Path(tmp) / "out"),
        ]
        t_conv, m_conv, rc = measure(convert)
        if rc not in (0, 1):
            raise SystemExit(f"eventcoder convert failed with exit code {rc}")
        print(
            f"orjson.loads       : {t_json:7.1f} s  peak {m_json / 1e9:5.2f} GB  "
            f"{events / t_json:12,.0f} events/s"
        )
        print(
            f"eventcoder convert : {t_conv:7.1f} s  peak {m_conv / 1e9:5.2f} GB  "
            f"{events / t_conv:12,.0f} events/s"
        )
        print(
            f"ratio convert/orjson: time {t_conv / t_json:.2f} (target <= 0.5), "
            f"peak memory / export size {m_conv / size:.2f} (target <= 3)"
        )


if __name__ == "__main__":
    main()
