"""The README's walk-through ("A project from start to finish") run as written, on a real server.

The commands are taken from the README's block itself, so the README cannot drift from the tool:
they run in bash (``set -euo pipefail``) in a fresh folder, with ``eventcoder`` and
``label-studio`` on PATH as a user would have them. The block's comment line about the coders
is where the coders code: each logs in with the one-time password ``coders add`` printed and
posts, with that session's own token, what the demo's coder of the same name coded in the
recorded demo export (a skip included). The second half of the block then runs on their work.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest

from eventcoder.annotate.server import stop_server
from tests.browser import login
from tests.lsserver import find_label_studio, free_port

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "eventcoder" / "demo"
HEADING = "### A project from start to finish"
CODERS_STEP = re.compile(r"^#\s+\.\.\. the coders .*$", re.M)
SERVER_FOLDER = re.compile(r"eventcoder server start (\S+)")


def walkthrough(readme: str) -> tuple[str, str]:
    """Return the README block's commands before and after the coders' step."""
    section = readme[readme.index(HEADING) :]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None, "no bash block under the walk-through heading"
    before, after = CODERS_STEP.split(block.group(1))
    return before, after


def test_the_walkthrough_has_both_halves() -> None:
    before, after = walkthrough((REPO / "README.md").read_text(encoding="utf-8"))
    assert "eventcoder server start" in before and "eventcoder coders add" in before
    assert "eventcoder export pull" in after and "eventcoder verify" in after


def _shell(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["bash", "-c", f"set -euo pipefail\n{script}"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def _bin(tmp_path: Path, label_studio: str) -> Path:
    """A folder with ``eventcoder`` (this checkout, this Python) and ``label-studio``."""
    folder = tmp_path / "bin"
    folder.mkdir()
    shim = folder / "eventcoder"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m eventcoder "$@"\n')
    shim.chmod(0o755)
    (folder / "label-studio").symlink_to(label_studio)
    return folder


def _code_as(url: str, email: str, password: str, theirs: list[dict[str, Any]]) -> int:
    """Log in as a coder and post their annotations with their own token; return how many."""
    cookies = login(url, email, password)
    token = httpx.get(f"{url}/api/current-user/token", cookies=cookies, timeout=30).json()["token"]
    headers = {"Authorization": f"Token {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
        assert http.get("/api/current-user/whoami").json()["email"] == email
        projects = http.get("/api/projects/").json()["results"]
        (project,) = [p for p in projects if p["title"] == "Idlib June 2020"]
        tasks = http.get(
            "/api/tasks/", params={"project": project["id"], "page_size": 1000}
        ).json()["tasks"]
        by_article = {task["data"]["id"]: task["id"] for task in tasks}
        for article, annotation in theirs:
            answer = http.post(
                f"/api/tasks/{by_article[article]}/annotations/",
                json={
                    "result": annotation["result"],
                    "was_cancelled": annotation["was_cancelled"],
                    "lead_time": annotation["lead_time"],
                },
            )
            assert answer.status_code == 201, answer.text[:300]
    return len(theirs)


@pytest.mark.server
def test_readme_walkthrough_runs_as_written(tmp_path: Path) -> None:
    label_studio = find_label_studio()
    if label_studio is None:
        if os.environ.get("CI"):
            pytest.fail("no label-studio executable (EVENTCODER_LABEL_STUDIO)")
        pytest.skip("no label-studio executable (EVENTCODER_LABEL_STUDIO)")
    before, after = walkthrough((REPO / "README.md").read_text(encoding="utf-8"))
    work = tmp_path / "project"
    work.mkdir()
    shutil.copy(DEMO / "articles.jsonl", work / "articles.jsonl")
    env = {
        "PATH": f"{_bin(tmp_path, label_studio)}:/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "LANG": "C.UTF-8",
        "COLUMNS": "200",
        "EVENTCODER_SERVER_PORT": str(free_port()),  # the README's 8080 may be taken here
    }
    if "PYTHONPATH" in os.environ:  # a checkout run without installing it
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    folder = SERVER_FOLDER.search(before)
    assert folder is not None
    server = work / folder.group(1).strip("\"')")
    try:
        first = _shell(before + "\nexport -p > .walkthrough-env\n", work, env)
        shell_env = (work / ".walkthrough-env").read_text()
        url = re.search(r'LABEL_STUDIO_URL="([^"]+)"', shell_env)
        assert url is not None and "LABEL_STUDIO_API_KEY=" in shell_env
        assert "administrator: admin@example.org  password: " in first.stderr
        # coders add: one line per coder, "email <tab> login URL <tab> password: ..."
        logins = dict(
            (line.split("\t")[0], line.split("\t")[2].removeprefix("password: "))
            for line in first.stdout.splitlines()
            if line.count("\t") == 2
        )
        assert sorted(logins) == ["amira@example.org", "jonas@example.org", "leila@example.org"]

        # the coders code: each README coder does what the demo coder of that name did
        recorded = json.loads((DEMO / "export.json").read_bytes())
        work_of: dict[str, list[Any]] = {email: [] for email in logins}
        for task in recorded:
            for annotation in task["annotations"]:
                name = annotation["completed_by"]["email"].split(".")[0]
                work_of[f"{name}@example.org"].append((task["data"]["id"], annotation))
        posted = sum(
            _code_as(url.group(1), email, logins[email], work_of[email]) for email in logins
        )
        assert posted == 24

        second = _shell(f"source .walkthrough-env\n{after}", work, env)
    finally:
        stop_server(server)
    out = second.stdout
    assert "24 annotations: 20 accepted, 3 rejected, 1 skipped" in out
    assert re.search(r"^ok datasets/idlib/1\.0\.0: \d+ files match", out, re.M), out
    annotations = pl.read_parquet(work / "work" / "annotations.parquet")
    assert set(annotations["coder"]) == set(logins)  # each coder's work under their own account
    assert (work / "datasets" / "idlib" / "1.0.0").is_dir()
    key = re.search(r'LABEL_STUDIO_API_KEY="([^"]+)"', shell_env)
    assert key is not None
    for path in (work / "work").rglob("*"):
        if path.is_file():
            assert key.group(1).encode() not in path.read_bytes(), path
