"""Coded annotations turned into datasets: alignment, agreement, adjudication, releases."""

from eventcoder.datasets.adjudicate import (
    Adjudication,
    Policy,
    adjudicate,
    read_adjudication,
    write_adjudication,
)
from eventcoder.datasets.agreement import AgreementResult, agreement
from eventcoder.datasets.agreement_report import render_html, render_markdown, write_report
from eventcoder.datasets.align import (
    Alignment,
    align_events,
    match_events,
    read_aligned,
    similarity_matrix,
)
from eventcoder.datasets.bootstrap import AlphaBootstrap, bootstrap_alpha
from eventcoder.datasets.ids import assign_ids
from eventcoder.datasets.release import Release, VerifyReport, publish, read_events, verify
from eventcoder.datasets.reliability import (
    AgreementError,
    BootstrapCI,
    bootstrap_ci,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    pairwise_cohen_kappa,
    percent_agreement,
)
from eventcoder.datasets.review import (
    close_review,
    push_review,
    review_tasks,
)

__all__ = [
    "Adjudication",
    "AgreementError",
    "AgreementResult",
    "Alignment",
    "AlphaBootstrap",
    "BootstrapCI",
    "Policy",
    "Release",
    "VerifyReport",
    "adjudicate",
    "agreement",
    "align_events",
    "assign_ids",
    "bootstrap_alpha",
    "bootstrap_ci",
    "close_review",
    "cohen_kappa",
    "fleiss_kappa",
    "gwet_ac1",
    "krippendorff_alpha",
    "match_events",
    "pairwise_cohen_kappa",
    "percent_agreement",
    "publish",
    "push_review",
    "read_adjudication",
    "read_aligned",
    "read_events",
    "render_html",
    "render_markdown",
    "review_tasks",
    "similarity_matrix",
    "verify",
    "write_adjudication",
    "write_report",
]
