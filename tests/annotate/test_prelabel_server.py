"""Pre-annotation on a real Label Studio server: import with predictions, re-run, replace."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventcoder.annotate.client import call, connection
from eventcoder.annotate.convert import export_to_annotations
from eventcoder.annotate.exports import pull_export
from eventcoder.annotate.prelabel import predict_articles, push_predictions
from eventcoder.annotate.projects import create_project
from eventcoder.annotate.tasks import project_tasks
from eventcoder.cli import app
from eventcoder.model import load_model, model_version, read_examples, save_model, train
from eventcoder.schema import load_codebook
from eventcoder.schema.codebook import Codebook
from eventcoder.schema.references import build_references_from_files
from eventcoder.settings import server_settings
from tests.lsserver import LabelStudioServer
from tests.model.notes import labelled_rows, table
from tests.schema.test_references import history

ARTICLES = [
    {
        "id": "pre-1",
        "title": "Mandera",
        "text": "On 9 March 2024, Al Shabaab clashed with Police Forces of Kenya outside "
        "Mandhera; both sides reported losses.\nThe county office did not comment.",
    },
    {
        "id": "pre-2",
        "title": "Gusau",
        "text": "Residents of Gusau marched peacefully on 10 March 2024 to demand clean water. "
        "Gunmen abducted two traders on the road to Gusau the same day.",
    },
    {"id": "pre-3", "title": "Weather", "text": "Football results."},
]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Codebook, Path, Path]:
    """A codebook with lists from our history, a model file and an articles file."""
    folder = tmp_path_factory.mktemp("prelabel")
    table(history()).write_csv(folder / "past.csv")
    cb = load_codebook()
    lists, _ = build_references_from_files([folder / "past.csv"], cb)
    lists.write(folder / "refs", cb)
    cb = Codebook.from_file(folder / "refs" / "codebook.yaml")
    table(labelled_rows(seed=0)).write_csv(folder / "notes.csv")
    frame, _ = read_examples([folder / "notes.csv"], cb)
    model_path = save_model(train(frame, cb), folder / "events.ecm")
    articles = folder / "articles.jsonl"
    articles.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    return cb, model_path, articles


def _predictions(url: str, token: str, project: int) -> list:
    with connection(server_settings(url, token)) as ls:
        return call(ls.predictions.list, project=project)


@pytest.mark.server
def test_import_with_predictions_then_rerun_and_replace(
    ls_server: LabelStudioServer, setup: tuple[Codebook, Path, Path], tmp_path: Path
) -> None:
    cb, model_path, articles = setup
    settings = server_settings(ls_server.url, ls_server.token)
    project = create_project(settings, cb, title="pre-annotation", overlap=1)
    runner = CliRunner()
    args = ["tasks", "import", str(articles), "-p", str(project.id), "--predict", str(model_path)]
    args += ["--codebook", cb.path or "", "--url", ls_server.url, "--api-key", ls_server.token]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    version = model_version(model_path)
    assert f"predictions {version}: 3 added, 0 replaced, 0 unchanged" in first.output

    preds = _predictions(ls_server.url, ls_server.token, project.id)
    tasks = project_tasks(settings, project.id)
    by_task = {p.task: p for p in preds}
    assert len(preds) == 3 and len(by_task) == 3
    assert {p.model_version for p in preds} == {version}
    expected = {a.article_id: a for a in predict_articles(ARTICLES, load_model(model_path, cb), cb)}
    for article_id, task in tasks.items():
        stored = by_task[task.task_id]
        assert stored.result == expected[article_id].result
        assert stored.score == expected[article_id].score
    # Events where the model finds them; none in the article about football.
    assert expected["pre-1"].regions == 1 and expected["pre-3"].regions == 0
    with connection(settings) as ls:
        shown = call(ls.projects.get, id=project.id)
    assert shown.model_version == version and shown.show_collab_predictions

    # Running the import again, or predict, adds nothing and changes nothing.
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "0 added, 0 replaced, 3 unchanged" in again.output
    rerun = runner.invoke(
        app,
        ["predict", "-p", str(project.id), "--model", str(model_path), "--codebook", cb.path or ""]
        + ["--url", ls_server.url, "--api-key", ls_server.token],
    )
    assert rerun.exit_code == 0, rerun.output
    assert "0 added, 0 replaced, 3 unchanged" in rerun.output
    assert sorted(p.id for p in _predictions(ls_server.url, ls_server.token, project.id)) == sorted(
        p.id for p in preds
    )

    # A changed prediction of the same version replaces the old one; another version's stays.
    changed = dataclasses.replace(expected["pre-2"], score=0.5)
    report = push_predictions(settings, project.id, [changed], version)
    assert (report.added, report.replaced, report.unchanged) == (0, 1, 0)
    other = push_predictions(settings, project.id, [changed], "another-model")
    assert (other.added, other.replaced) == (1, 0)
    after = _predictions(ls_server.url, ls_server.token, project.id)
    pre2 = tasks["pre-2"].task_id
    assert sorted((p.model_version, p.score) for p in after if p.task == pre2) == [
        ("another-model", 0.5),
        (version, 0.5),
    ]
    assert len(after) == 4

    # The export keeps the predictions apart from annotations, with their model version.
    export = pull_export(settings, project.id, tmp_path / "export.json")
    conv = export_to_annotations(export, cb)
    assert conv.total == 0
    assert set(conv.predictions["model_version"]) == {version, "another-model"}
