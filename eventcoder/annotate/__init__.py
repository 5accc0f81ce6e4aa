"""Label Studio projects from the codebook: the labeling config, and exports turned into tables."""

from eventcoder.annotate.articles import Article, read_articles
from eventcoder.annotate.config import (
    check_config,
    coder_layout_markdown,
    labeling_config,
    parse_controls,
)
from eventcoder.annotate.convert import (
    Conversion,
    export_to_annotations,
    read_annotations,
    read_export,
    write_conversion,
)
from eventcoder.annotate.exports import pull_export
from eventcoder.annotate.projects import Project, create_project, find_project, instructions_html
from eventcoder.annotate.results import event_results
from eventcoder.annotate.server import (
    ServerStatus,
    StartedServer,
    server_status,
    start_server,
    stop_server,
)
from eventcoder.annotate.tasks import ImportReport, import_tasks, project_tasks

__all__ = [
    "Article",
    "Conversion",
    "ImportReport",
    "Project",
    "ServerStatus",
    "StartedServer",
    "check_config",
    "coder_layout_markdown",
    "create_project",
    "event_results",
    "export_to_annotations",
    "find_project",
    "import_tasks",
    "instructions_html",
    "labeling_config",
    "parse_controls",
    "project_tasks",
    "pull_export",
    "read_annotations",
    "read_articles",
    "read_export",
    "server_status",
    "start_server",
    "stop_server",
    "write_conversion",
]
