"""The ``eventcoder`` command line: parse, call one library function, render, pick the exit code.

Every command body is thin; the work lives in ``eventcoder.schema``, ``eventcoder.annotate`` and
``eventcoder.datasets``. One module per stage registers its commands on the root app:

=================  ===========================================================================
``app``            the root command, its consoles, and the one handler that turns an
                   :class:`~eventcoder.errors.EventcoderError` into a red line and its exit code
``options``        options shared by several stages (codebook, server, project)
``schema``         ``codebook show|docs|check``, ``validate``, ``references build``
``model``          ``model train|evaluate``
``server``         ``server start|stop|status``: a Label Studio for the team
``annotate``       ``project``, ``coders``, ``tasks``, ``export``, ``convert``
``datasets``       ``agreement``, ``adjudicate``, ``review``, ``release``, ``verify``
``demo``           ``demo``
=================  ===========================================================================

Exit codes: 2 for unusable input, 1 when validation rejected rows, 0 otherwise.
"""

from __future__ import annotations

from importlib import import_module

from eventcoder.cli.app import app

# Importing a stage registers its commands; --help lists them in this, the pipeline's, order.
for _stage in ("schema", "model", "server", "annotate", "datasets", "demo"):
    import_module(f"eventcoder.cli.{_stage}")

__all__ = ["app"]
