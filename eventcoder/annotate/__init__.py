"""Label Studio projects from the codebook: the labeling config, and exports turned into tables.

The names that talk to a server are loaded on first use (PEP 562), so that ``eventcoder
convert``, which reads a file, does not import the Label Studio SDK.
"""

import typing as _typing

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
from eventcoder.annotate.results import event_results
from eventcoder.lazy import lazy_names as _lazy_names

if _typing.TYPE_CHECKING:
    from eventcoder.annotate.exports import pull_export
    from eventcoder.annotate.projects import (
        Project,
        create_project,
        find_project,
        instructions_html,
    )
    from eventcoder.annotate.server import (
        ServerStatus,
        StartedServer,
        server_status,
        start_server,
        stop_server,
    )
    from eventcoder.annotate.tasks import ImportReport, import_tasks, project_tasks

# name -> the module that defines it, imported by __getattr__ when the name is first asked for
_LAZY = {
    "pull_export": "exports",
    "Project": "projects",
    "create_project": "projects",
    "find_project": "projects",
    "instructions_html": "projects",
    "ServerStatus": "server",
    "StartedServer": "server",
    "server_status": "server",
    "start_server": "server",
    "stop_server": "server",
    "ImportReport": "tasks",
    "import_tasks": "tasks",
    "project_tasks": "tasks",
}


__getattr__, __dir__ = _lazy_names(__name__, _LAZY, globals())

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
