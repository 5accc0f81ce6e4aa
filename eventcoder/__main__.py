"""``python -m eventcoder``: the command line."""

from eventcoder.cli import app

app(prog_name="eventcoder")
