"""A coder in Label Studio's own editor (headless Chromium) sees the pre-annotation, accepts one
predicted event, corrects another, and the converter gives back exactly that."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from eventcoder.annotate.articles import Article
from eventcoder.annotate.client import create_coder
from eventcoder.annotate.config import control_field, labeling_config, parse_controls
from eventcoder.annotate.convert import read_export
from eventcoder.annotate.exports import pull_export
from eventcoder.annotate.prelabel import preannotate, predict_articles
from eventcoder.annotate.projects import create_project
from eventcoder.annotate.tasks import import_tasks, project_tasks
from eventcoder.model import load_model
from eventcoder.settings import server_settings
from tests.annotate.test_prelabel_server import setup  # noqa: F401 (a fixture)
from tests.browser import chromium, fill_region, sign_in
from tests.lsserver import LabelStudioServer

TEXT = (
    "On 9 March 2024, Al Shabaab clashed with Police Forces of Kenya outside Mandhera; both "
    "sides reported losses. Residents of Garissa marched peacefully on 10 March 2024 to demand "
    "clean water."
)
# What the coder adds to the accepted event (the model fills no precision, toll or notes).
ADDED = {
    "time_precision": 1,
    "geo_precision": 1,
    "fatalities": 2,
    "notes": "Al Shabaab and police clashed outside Mandera.",
}
# The second event, corrected: police broke the march up; its actors filled in.
CORRECTED = {
    "sub_event_type": "Protest with intervention",
    "actor1": "Protesters (Kenya)",
    "inter1": "Protesters",
    "time_precision": 1,
    "geo_precision": 1,
    "fatalities": 0,
    "notes": "Police dispersed a march in Garissa.",
}


@pytest.mark.server
@pytest.mark.browser
def test_a_coder_accepts_one_predicted_event_and_corrects_another(
    ls_server: LabelStudioServer,
    setup,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    cb, model_path, _ = setup
    settings = server_settings(ls_server.url, ls_server.token)
    project = create_project(settings, cb, title="pre-annotated in the editor", overlap=1)
    article = Article(id="edit-1", text=TEXT, title="Kenya", source="Our Reporter")
    import_tasks(settings, project.id, [article])
    model = load_model(model_path, cb)
    report = preannotate(settings, project.id, [article], model, cb, "editor-test")
    assert report.regions == 2
    [predicted] = predict_articles([article], model, cb)
    first = {r["from_name"]: r["value"] for r in predicted.result if r["id"] == "ev1"}
    second = {r["from_name"]: r["value"] for r in predicted.result if r["id"] == "ev2"}
    assert first["sub_event_type__battles"]["choices"] == ["Armed clash"]
    assert second["sub_event_type__protests"]["choices"] == ["Peaceful protest"]

    tags = {}
    for control in parse_controls(labeling_config(cb)).values():
        field = control_field(control.name, cb)
        if field is not None:
            tags[field] = control.tag
    task = project_tasks(settings, project.id)["edit-1"].task_id
    coder = create_coder(settings, "prelabel-coder@example.org")
    with chromium(tmp_path) as driver:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        sign_in(driver, ls_server.url, coder.email, coder.password.reveal())
        driver.get(f"{ls_server.url}/projects/{project.id}/data?task={task}")
        # The editor opens with the prediction's regions: the coder sees both events.
        WebDriverWait(driver, 120).until(
            lambda d: d.find_elements(
                By.XPATH, "//*[contains(@class,'outliner')]//*[contains(text(),'Residents of')]"
            )
        )
        fill_region(driver, "On 9 March 2024, Al", {f: (tags[f], v) for f, v in ADDED.items()})
        fill_region(driver, "Residents of", {f: (tags[f], v) for f, v in CORRECTED.items()})
        driver.find_element(By.XPATH, "//button[normalize-space()='Submit']").click()
        time.sleep(3)  # the editor posts the annotation after the click

    conv = read_export(pull_export(settings, project.id, tmp_path / "export.json"), cb)
    assert conv.reconciliation() == "1 annotations: 1 accepted, 0 rejected, 0 skipped"
    events = {e["event_key"]: e for e in conv.annotations.iter_rows(named=True)}
    assert len(events) == 2
    accepted = events["ev1"]
    # Accepted: the prediction as it was, plus what the coder added.
    assert {f: accepted[f] for f in ADDED} == ADDED
    assert (accepted["event_type"], accepted["sub_event_type"]) == ("Battles", "Armed clash")
    assert (accepted["actor1"], accepted["inter1"]) == ("Al Shabaab", "Rebel group")
    assert accepted["actor2"] == "Police Forces of Kenya (2022-)"
    assert (accepted["location"], str(accepted["event_date"])) == ("Mandera", "2024-03-09")
    corrected = events["ev2"]
    assert {f: corrected[f] for f in CORRECTED} == CORRECTED
    assert (corrected["event_type"], corrected["location"]) == ("Protests", "Garissa")
    assert str(corrected["event_date"]) == "2024-03-10"
