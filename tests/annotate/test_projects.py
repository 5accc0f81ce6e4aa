"""Projects, task import and export pull against a real Label Studio server, and their CLI."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest
from label_studio_sdk.projects.client import ProjectsClient
from typer.testing import CliRunner

from eventcoder.annotate import exports as exports_module
from eventcoder.annotate.articles import Article, read_articles
from eventcoder.annotate.client import connection
from eventcoder.annotate.config import labeling_config
from eventcoder.annotate.exports import pull_export
from eventcoder.annotate.projects import (
    Project,
    create_project,
    find_project,
    instructions_html,
)
from eventcoder.annotate.tasks import ImportReport, import_tasks
from eventcoder.cli import app
from eventcoder.errors import InputError, ServerError
from eventcoder.schema.codebook import DEFAULT_PATH, Codebook
from eventcoder.settings import ServerSettings, server_settings
from tests.lsserver import LabelStudioServer, free_port

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture()
def settings(ls_server: LabelStudioServer) -> ServerSettings:
    return server_settings(ls_server.url, ls_server.token)


@pytest.fixture()
def project(settings: ServerSettings, cb: Codebook) -> Project:
    return create_project(settings, cb, title=_title())


def _title() -> str:
    return f"test {uuid.uuid4().hex[:10]}"


def _articles(n: int, prefix: str = "a") -> list[Article]:
    return [Article(id=f"{prefix}-{i:03d}", text=f"Text of article {i}.") for i in range(n)]


def _server_tasks(settings: ServerSettings, project_id: int) -> list[dict]:
    """Every task of the project as the server lists it (duplicates included)."""
    with connection(settings) as ls:
        tasks = ls.tasks.list(project=project_id, include="id,data", page_size=1000)
        return [{"id": t.id, "data": t.data} for t in tasks]


# ---- instructions (no server) ---------------------------------------------------------------


def test_instructions_escape_codebook_text(cb: Codebook) -> None:
    raw = cb.to_dict()
    raw["fields"][1]["description"] = "Day <script>alert(1)</script> & <b>x</b> [a](javascript:y)"
    html = instructions_html(Codebook.from_dict(raw, path=DEFAULT_PATH))
    assert "<script>" not in html and "<b>x</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;x&lt;/b&gt;" in html
    assert 'href="javascript' not in html


def test_instructions_hold_codebook_docs_and_layout(cb: Codebook) -> None:
    html = instructions_html(cb)
    assert html.startswith("<h1>Coding instructions: ")
    assert "<h2>Coding in Label Studio</h2>" in html
    assert "<table>" in html and "<code>sub_event_type</code>" in html


# ---- projects -------------------------------------------------------------------------------


@pytest.mark.server
def test_create_project_from_codebook(settings: ServerSettings, cb: Codebook) -> None:
    title = _title()
    steps: list[tuple[int, int | None]] = []
    project = create_project(
        settings, cb, title=title, overlap=3, on_progress=lambda d, t: steps.append((d, t))
    )
    assert project.title == title
    assert project.url == f"{settings.url}/projects/{project.id}/"
    assert steps[-1] == (2, 2)
    with connection(settings) as ls:
        stored = ls.projects.get(project.id)
    assert stored.label_config == labeling_config(cb)
    assert stored.expert_instruction == instructions_html(cb)
    assert stored.maximum_annotations == 3
    assert stored.show_skip_button is True
    assert stored.show_instruction is True


@pytest.mark.server
def test_project_titles_are_unique_and_findable(
    settings: ServerSettings, cb: Codebook, project: Project
) -> None:
    assert find_project(settings, project.title) == project
    assert find_project(settings, project.id) == project
    assert find_project(settings, str(project.id)) == project
    with pytest.raises(ServerError, match=f"project titled '{project.title}' already"):
        create_project(settings, cb, title=project.title)
    with pytest.raises(ServerError, match="no project titled 'no such project'") as caught:
        find_project(settings, "no such project")
    assert caught.value.status == 404
    assert caught.value.host is not None and f"//{caught.value.host}" in settings.url
    with pytest.raises(ServerError, match="no project with id 999999"):
        find_project(settings, 999999)


@pytest.mark.server
def test_twin_titles_ask_for_the_id(settings: ServerSettings) -> None:
    title = _title()
    with connection(settings) as ls:
        ids = [ls.projects.create(title=title).id for _ in range(2)]
    with pytest.raises(ServerError) as caught:
        find_project(settings, title)
    assert str(caught.value).endswith(f"(ids {ids[0]}, {ids[1]}): pass the id instead.") or str(
        caught.value
    ).endswith(f"(ids {ids[1]}, {ids[0]}): pass the id instead.")


# ---- task import ----------------------------------------------------------------------------


@pytest.mark.server
def test_import_twice_adds_nothing_and_reports_changes(
    settings: ServerSettings, project: Project
) -> None:
    articles = read_articles(DATA / "articles.jsonl")
    seen: list[tuple[int, int | None]] = []
    first = import_tasks(
        settings, project.id, articles, batch_size=2, on_progress=lambda d, t: seen.append((d, t))
    )
    assert first == ImportReport(added=5, unchanged=0, changed=(), total=5)
    assert seen == [(0, 5), (2, 5), (4, 5), (5, 5)]
    assert import_tasks(settings, project.id, articles) == ImportReport(0, 5, (), 5)

    edited = [articles[0], Article(**{**articles[1].task_data(), "text": "rewritten"})]
    extra = Article(id="art-new", text="A new one.")
    report = import_tasks(settings, project.id, [*edited, extra])
    assert report == ImportReport(added=1, unchanged=1, changed=("art-002",), total=3)
    tasks = _server_tasks(settings, project.id)
    assert sorted(t["data"]["id"] for t in tasks) == sorted([a.id for a in articles] + ["art-new"])
    stored = {t["data"]["id"]: t["data"] for t in tasks}
    assert stored["art-002"] == articles[1].task_data()  # the changed article was left alone


@pytest.mark.server
def test_html_and_script_in_articles_stay_text(
    settings: ServerSettings, project: Project, cb: Codebook
) -> None:
    articles = read_articles(DATA / "articles.jsonl")
    risky = next(a for a in articles if "<script>" in a.text)
    import_tasks(settings, project.id, [risky])
    (task,) = _server_tasks(settings, project.id)
    assert task["data"] == risky.task_data()  # stored verbatim: nothing escaped or stripped
    config = labeling_config(cb)
    assert '<Text name="text" value="$text"' in config and "HyperText" not in config


@pytest.mark.server
def test_duplicate_ids_refused_before_any_request(settings: ServerSettings) -> None:
    with pytest.raises(InputError, match="'x' is given twice"):
        import_tasks(settings, 1, [Article(id="x", text="a"), Article(id="x", text="b")])


@pytest.mark.server
def test_lost_answer_to_a_committed_batch_is_not_imported_twice(
    settings: ServerSettings, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = ProjectsClient.import_tasks
    calls: list[int] = []

    def commits_then_times_out(self: ProjectsClient, *args: object, **kwargs: object) -> object:
        calls.append(1)
        answer = real(self, *args, **kwargs)
        if len(calls) == 2:  # the server stored batch 2, its answer never arrived
            raise httpx.ReadTimeout("timed out")
        return answer

    monkeypatch.setattr(ProjectsClient, "import_tasks", commits_then_times_out)
    articles = _articles(7)
    report = import_tasks(settings, project.id, articles, batch_size=3)
    assert report == ImportReport(added=7, unchanged=0, changed=(), total=7)
    assert len(calls) == 3  # batch 2 was not posted again
    ids = sorted(t["data"]["id"] for t in _server_tasks(settings, project.id))
    assert ids == [a.id for a in articles]


@pytest.mark.server
def test_import_cut_off_by_a_crash_resumes_with_one_task_per_article(
    ls_server: LabelStudioServer, settings: ServerSettings, project: Project
) -> None:
    articles = _articles(10, prefix="crash")

    def crash_after_first_batch(done: int, total: int | None) -> None:
        if done == 3:
            ls_server.stop()  # SIGKILL, as a crash would

    try:
        with pytest.raises(ServerError) as caught:
            import_tasks(
                settings, project.id, articles, batch_size=3, on_progress=crash_after_first_batch
            )
        assert "\n" not in str(caught.value)
        assert ls_server.token not in str(caught.value)
        ls_server.start()
        assert len(_server_tasks(settings, project.id)) == 3
        report = import_tasks(settings, project.id, articles, batch_size=3)
    finally:
        if ls_server.process is None:
            ls_server.start()
    assert report == ImportReport(added=7, unchanged=3, changed=(), total=10)
    ids = sorted(t["data"]["id"] for t in _server_tasks(settings, project.id))
    assert ids == [a.id for a in articles]


# ---- export pull ----------------------------------------------------------------------------


@pytest.mark.server
def test_pull_export_has_every_task_and_coder_emails(
    settings: ServerSettings, project: Project, tmp_path: Path
) -> None:
    articles = read_articles(DATA / "articles.jsonl")
    import_tasks(settings, project.id, articles)
    with connection(settings) as ls:
        task_ids = [t["id"] for t in _server_tasks(settings, project.id)]
        ls.annotations.create(id=task_ids[0], result=[], was_cancelled=True)
        ls.annotations.create(id=task_ids[1], result=[], lead_time=3.0)
    sizes: list[int] = []
    path = pull_export(
        settings,
        project.id,
        tmp_path / "out" / "export.json",
        on_progress=lambda done, total: sizes.append(done),
    )
    assert path == tmp_path / "out" / "export.json"
    raw = path.read_bytes()
    assert sizes[-1] == len(raw)
    assert settings.api_key.reveal().encode() not in raw
    assert sorted(p.name for p in path.parent.iterdir()) == ["export.json"]
    tasks = json.loads(raw)
    assert sorted(t["data"]["id"] for t in tasks) == sorted(a.id for a in articles)
    annotations = [a for t in tasks for a in t["annotations"]]
    assert sorted(a["was_cancelled"] for a in annotations) == [False, True]  # skip included
    assert {a["completed_by"]["email"] for a in annotations} == {"admin@example.org"}
    only = pull_export(settings, project.id, tmp_path / "only.json", only_annotated=True)
    assert len(json.loads(only.read_bytes())) == 2


@pytest.mark.server
def test_pull_cut_off_leaves_no_file_and_keeps_the_old_one(
    settings: ServerSettings,
    project: Project,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import_tasks(settings, project.id, read_articles(DATA / "articles.jsonl"))
    monkeypatch.setattr(exports_module, "CHUNK", 256)  # several chunks from a small export
    attempts: list[int] = []

    def breaks_mid_download(done: int, total: int | None) -> None:
        if done == 0:
            attempts.append(1)
        elif done >= 512:
            raise httpx.RemoteProtocolError("peer closed connection")

    fresh = tmp_path / "fresh.json"
    with pytest.raises(ServerError, match="downloading export .* after 4 attempt"):
        pull_export(settings, project.id, fresh, on_progress=breaks_mid_download)
    assert len(attempts) == 4
    old = tmp_path / "old.json"
    old.write_text("previous pull")
    with pytest.raises(KeyboardInterrupt):
        pull_export(settings, project.id, old, on_progress=_interrupt_after_first_chunk)
    assert old.read_text() == "previous pull"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.json"]


def _interrupt_after_first_chunk(done: int, total: int | None) -> None:
    if done > 0:
        raise KeyboardInterrupt


@pytest.mark.server
def test_pull_retries_a_broken_download_from_the_start(
    settings: ServerSettings, project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_tasks(settings, project.id, read_articles(DATA / "articles.jsonl"))
    whole = json.loads(pull_export(settings, project.id, tmp_path / "whole.json").read_bytes())
    monkeypatch.setattr(exports_module, "CHUNK", 256)
    broke: list[int] = []

    def breaks_once(done: int, total: int | None) -> None:
        if done >= 512 and not broke:
            broke.append(done)
            raise httpx.RemoteProtocolError("peer closed connection")

    again = pull_export(settings, project.id, tmp_path / "again.json", on_progress=breaks_once)
    assert broke and json.loads(again.read_bytes()) == whole


# ---- CLI against the server -----------------------------------------------------------------


@pytest.fixture()
def cli_env(ls_server: LabelStudioServer, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("LABEL_STUDIO_URL", ls_server.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls_server.token)
    return CliRunner()


@pytest.mark.server
def test_cli_create_import_pull(
    cli_env: CliRunner, ls_server: LabelStudioServer, settings: ServerSettings, tmp_path: Path
) -> None:
    title = _title()
    created = cli_env.invoke(app, ["project", "create", "--title", title, "--overlap", "3"])
    assert created.exit_code == 0, created.output
    project = find_project(settings, title)
    assert f"created project {project.id} {title} (3 coders per task)" in created.stdout

    articles = str(DATA / "articles.jsonl")
    first = cli_env.invoke(app, ["tasks", "import", articles, "--project", title])
    assert first.exit_code == 0, first.output
    assert "5 articles: 5 added, 0 unchanged, 0 changed" in first.stdout
    again = cli_env.invoke(app, ["tasks", "import", articles, "-p", str(project.id)])
    assert "5 articles: 0 added, 5 unchanged, 0 changed" in again.stdout

    edited = tmp_path / "edited.jsonl"
    edited.write_text(json.dumps({"id": "art-003", "text": "changed"}) + "\n")
    changed = cli_env.invoke(app, ["tasks", "import", str(edited), "-p", title])
    assert changed.exit_code == 1
    assert "changed: art-003" in changed.stdout

    out = tmp_path / "pulled.json"
    pulled = cli_env.invoke(app, ["export", "pull", "-p", title, "-o", str(out)])
    assert pulled.exit_code == 0, pulled.output
    assert f"wrote {out}" in pulled.stdout.replace("\n", "")
    assert len(json.loads(out.read_bytes())) == 5
    for result in (created, first, again, changed, pulled):
        assert ls_server.token not in result.output


@pytest.mark.server
def test_cli_flags_beat_environment(
    ls_server: LabelStudioServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LABEL_STUDIO_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "wrong")
    title = _title()
    flags = ["--url", ls_server.url, "--api-key", ls_server.token]
    result = CliRunner().invoke(app, ["project", "create", "-t", title, *flags])
    assert result.exit_code == 0, result.output
    assert ls_server.token not in result.output


@pytest.mark.server
def test_cli_coders_add_shows_password_once_and_no_token(
    cli_env: CliRunner, ls_server: LabelStudioServer, tmp_path: Path
) -> None:
    emails = [f"c-{uuid.uuid4().hex[:8]}@example.org" for _ in range(2)]
    result = cli_env.invoke(app, ["coders", "add", *emails])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    for email, line in zip(emails, lines, strict=True):
        shown_email, login_url, password = line.split("\t")
        assert (shown_email, login_url) == (email, f"{ls_server.url}/user/login/")
        password = password.removeprefix("password: ")
        token = _token_after_login(ls_server.url, email, password)  # the password works
        assert token not in result.output
    assert ls_server.token not in result.output
    assert "Shown once" in result.stderr
    taken = cli_env.invoke(app, ["coders", "add", emails[0]])
    assert taken.exit_code == 2
    assert taken.stdout == ""
    (line,) = taken.stderr.strip().splitlines()
    assert line == (
        f"error: {emails[0]} has an account on 127.0.0.1:{ls_server.port} already: that coder "
        "logs in as before, or give another address."
    )
    # an address that is not one: said so, in words a person uses
    typo = cli_env.invoke(app, ["coders", "add", "not-an-email"])
    assert typo.exit_code == 2 and typo.stdout == ""
    assert typo.stderr.strip() == (
        "error: 'not-an-email' is not an email address: give each coder's full address "
        "(name@example.org)."
    )
    # one refused email does not stop the others
    new = f"c-{uuid.uuid4().hex[:8]}@example.org"
    mixed = cli_env.invoke(app, ["coders", "add", emails[1], new])
    assert mixed.exit_code == 2
    assert [line.split("\t")[0] for line in mixed.stdout.splitlines()] == [new]
    assert emails[1] in mixed.stderr and "Shown once" in mixed.stderr


def _token_after_login(url: str, email: str, password: str) -> str:
    """Log in through the form as a coder would; return that coder's API token."""
    with httpx.Client(base_url=url, timeout=30) as http:
        http.get("/user/login/")
        form = {"csrfmiddlewaretoken": http.cookies["csrftoken"], "email": email}
        answer = http.post(
            "/user/login/",
            data={**form, "password": password},
            headers={"Referer": f"{url}/user/login/"},
        )
        assert answer.status_code == 302, answer.text[:200]
        return http.get("/api/current-user/token").json()["token"]


@pytest.mark.parametrize(
    "args",
    [
        ["project", "create", "-t", "unreachable"],
        ["tasks", "import", str(DATA / "articles.jsonl"), "-p", "x"],
        ["export", "pull", "-p", "1"],
        ["coders", "add", "nobody@example.org"],
    ],
)
def test_cli_unreachable_server_is_one_line_and_exit_2(
    args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "0123456789abcdef0123456789abcdef01234567"
    monkeypatch.setenv("LABEL_STUDIO_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", key)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: Label Studio at 127.0.0.1:") and "could not connect" in line
    assert key not in result.output


def test_cli_without_settings_names_what_to_set() -> None:
    result = CliRunner().invoke(app, ["export", "pull", "-p", "1"])
    assert result.exit_code == 2
    assert "--url" in result.stderr and "LABEL_STUDIO_URL" in result.stderr


def test_server_functions_are_exported() -> None:
    import eventcoder.annotate as annotate
    from eventcoder.annotate import articles, exports, projects, tasks

    mine = {
        "Article": articles.Article,
        "read_articles": articles.read_articles,
        "Project": projects.Project,
        "create_project": projects.create_project,
        "find_project": projects.find_project,
        "instructions_html": projects.instructions_html,
        "ImportReport": tasks.ImportReport,
        "import_tasks": tasks.import_tasks,
        "project_tasks": tasks.project_tasks,
        "pull_export": exports.pull_export,
    }
    assert set(mine) <= set(annotate.__all__)
    assert all(getattr(annotate, name) is obj for name, obj in mine.items())


def test_cli_bad_article_file_is_one_line_before_any_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LABEL_STUDIO_URL", f"http://127.0.0.1:{free_port()}")  # nobody there
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "k" * 40)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n')
    result = CliRunner().invoke(app, ["tasks", "import", str(bad), "-p", "any"])
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line == f"error: {bad}:2: duplicate id 'a' (first on line 1); ids must be unique."
