"""Adjudication: several coders' versions of one aligned event become one gold event.

Input is the annotations table (one row per coder per event, accepted rows) with the column
``aligned_event`` added by :func:`eventcoder.datasets.align.align_events`. Output is an
:class:`Adjudication`: the gold events, a long ``decisions`` table saying how every gold field was
decided, the review queue of what could not be decided, and the gold events that broke a rule.

How a field is decided, per aligned event:

1. **Adjudicator.** When a designated adjudicator (``Policy.adjudicators``, coder e-mails) or a row
   flagged ``ground_truth`` (the column is optional: the converter's table does not carry Label
   Studio's ground-truth flag, so it only counts when a caller adds it) annotated the article, that
   annotation is final for the whole article: its events are the gold events, field by field
   (method ``adjudicator``), and the article's other aligned events are dropped (``dropped``,
   reason ``not-in-adjudication``).
2. **Enough coders.** Otherwise an aligned event must be found by ``Policy.min_coders`` of the
   coders of its article: ``"majority"`` (more than half, the default), ``"all"``, or a number.
   Events found by fewer go to the review queue (field ``(event)``, each coder of the article with
   ``found`` / ``not found``): an adjudicator decides whether they happened, nobody drops them
   silently. The coders of an article are those with at least one event in it (the annotations
   table has no row for a coder who found none).
3. **Vote.** Coded and assisted fields are voted on; a blank counts as a value. ``unanimous``: every
   coder of the event gave the value; ``majority``: the value has more votes than any other (a
   plurality); otherwise it is a tie and the field's tie policy decides (method ``tie-policy``):

   ================  ========================================================================
   ``unresolved``    nobody guesses: the event goes to the review queue (the default)
   ``first-coder``   the tied value entered first (earliest ``created_at``, then annotation id)
   ``lowest``        the smallest tied value; ACLED's conservative rule for fatalities
   ``median``        the lower median of the tied values (an observed value, never a mean)
   ================  ========================================================================

   ``lowest`` and ``median`` apply to integer, number and date fields only. Per-field tie
   policies come from the codebook (``settings.adjudication.ties``; the ACLED codebook breaks
   fatality ties with ``lowest``, ACLED's conservative rule), then from the policy given; every
   other tie is left unresolved.
4. **Derive and validate.** Derived fields (year, disorder type, interaction, ...) are never voted
   on: they are re-derived from the voted fields by :func:`eventcoder.schema.validation.validate`,
   which also checks each gold event against the codebook. A gold event that breaks a rule goes to
   ``rejected`` and to the review queue (reason ``invalid``), so the gold set is always valid.

Multi-valued fields (``a; b``) are compared as sets: ``b; a`` and ``a; b`` are the same vote.
A gold event's span is the union of its coders' evidence spans (used to keep ids stable).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl

from eventcoder.errors import InputError
from eventcoder.schema.codebook import NUMERIC_TIES, TIE_POLICIES, Codebook  # checked at load
from eventcoder.schema.validation import validate

METHODS = ("unanimous", "majority", "adjudicator", "tie-policy", "unresolved", "derived")
EVENT_FIELD = "(event)"  # review-queue rows about whether an event happened at all
KEY = ["aligned_event", "field"]

DECISIONS_SCHEMA = pl.Schema(
    {
        "aligned_event": pl.String,
        "article_id": pl.String,
        "field": pl.String,
        "value": pl.String,
        "method": pl.String,
        "policy": pl.String,
        "support": pl.Int64,
        "coders": pl.Int64,
    }
)
REVIEW_SCHEMA = pl.Schema(
    {
        "aligned_event": pl.String,
        "article_id": pl.String,
        "field": pl.String,
        "reason": pl.String,
        "coder": pl.String,
        "value": pl.String,
        "detail": pl.String,
    }
)
DROPPED_SCHEMA = pl.Schema(
    {"aligned_event": pl.String, "article_id": pl.String, "reason": pl.String}
)


@dataclass(frozen=True)
class Policy:
    """How ties, thin support and adjudicators are handled (see the module docstring)."""

    tie: str = "unresolved"
    # Per-field ties given here win over the codebook's ``settings.adjudication.ties``.
    field_ties: Mapping[str, str] = field(default_factory=dict)
    min_coders: str | int = "majority"
    adjudicators: tuple[str, ...] = ()

    def tie_for(self, name: str) -> str:
        """The tie policy of field ``name``."""
        return self.field_ties.get(name, self.tie)


@dataclass(frozen=True)
class Adjudication:
    """Gold events and the record of how they were reached."""

    gold: pl.DataFrame
    decisions: pl.DataFrame
    review: pl.DataFrame
    rejected: pl.DataFrame
    dropped: pl.DataFrame
    policy: Policy
    notes: tuple[str, ...] = ()

    def summary(self) -> dict[str, Any]:
        """Plain-data counts: gold events, queued events, decisions by method."""
        by_method = (
            self.decisions.group_by("method")
            .len()
            .sort("method")
            .rows_by_key("method", unique=True)
        )
        return {
            "gold": self.gold.height,
            "review_events": self.review["aligned_event"].n_unique(),
            "review_rows": self.review.height,
            "rejected": self.rejected.height,
            "dropped": self.dropped.height,
            "decisions": {k: v[0] for k, v in by_method.items()},
            "notes": list(self.notes),
        }


def resolve_policy(
    policy: Policy | str | None,
    cb: Codebook,
    adjudicator: str | list[str] | tuple[str, ...] | None = None,
) -> Policy:
    """Return ``policy`` as a checked :class:`Policy` (a string names the default tie policy).

    The codebook's per-field ties (``settings.adjudication.ties``) fill in the fields the policy
    does not name.
    """
    if policy is None:
        policy = Policy()
    elif isinstance(policy, str):
        policy = Policy(tie=policy)
    codebook_ties = (cb.settings.get("adjudication") or {}).get("ties") or {}
    policy = replace(policy, field_ties={**codebook_ties, **policy.field_ties})
    if adjudicator:
        extra = (adjudicator,) if isinstance(adjudicator, str) else tuple(adjudicator)
        policy = Policy(
            policy.tie, policy.field_ties, policy.min_coders, policy.adjudicators + extra
        )
    for name, tie in [("(default)", policy.tie), *policy.field_ties.items()]:
        if tie not in TIE_POLICIES:
            raise InputError(
                f"unknown tie policy {tie!r} for {name}; use one of {', '.join(TIE_POLICIES)}"
            )
        if name == "(default)":
            continue
        if name not in cb.field_names:
            raise InputError(f"tie policy for {name!r}: the codebook has no such field")
        if tie in NUMERIC_TIES and cb.field(name).type not in ("integer", "number", "date"):
            raise InputError(
                f"tie policy {tie!r} needs a numeric or date field; "
                f"{name} is a {cb.field(name).type}"
            )
    m = policy.min_coders
    if not (m in ("majority", "all") or (isinstance(m, int) and m >= 1)):
        raise InputError(f"min_coders must be 'majority', 'all' or a number >= 1, not {m!r}")
    return policy


def voted_fields(cb: Codebook, columns: list[str]) -> list[str]:
    """The codebook fields coders fill (coded or assisted) that ``columns`` holds, in order."""
    return [f.name for f in cb.fields_by_origin("coded", "assisted") if f.name in columns]


def adjudicate(
    aligned: pl.DataFrame,
    cb: Codebook,
    *,
    policy: Policy | str | None = None,
    adjudicator: str | list[str] | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> Adjudication:
    """Return the gold events of ``aligned`` (annotations with ``aligned_event``) and their record.

    ``policy`` is a :class:`Policy` or the name of the default tie policy; ``adjudicator`` adds
    coder e-mails whose annotations are final. Raises :class:`InputError` for unusable input only;
    disagreements are data (``review``), never exceptions.
    """
    say = on_progress or (lambda _msg: None)
    pol = resolve_policy(policy, cb, adjudicator)
    _check_columns(aligned)
    fields = voted_fields(cb, aligned.columns)
    if not fields:
        raise InputError("the table has none of the codebook's coded fields")
    notes: list[str] = []

    say("voting")
    rows, by_adj, plain, dropped = _split_by_adjudicator(aligned, pol)
    if by_adj.height:
        notes.append(f"{by_adj['article_id'].n_unique()} article(s) settled by an adjudicator")
    voting, thin = _by_support(plain, pol.min_coders)
    long = _long(voting, fields, cb)
    adj_long = _long(by_adj.unique("aligned_event", keep="first", maintain_order=True), fields, cb)
    decisions = pl.concat(
        [
            _vote(long, pol).cast(DECISIONS_SCHEMA),
            _adjudicator_decisions(adj_long, rows).cast(DECISIONS_SCHEMA),
        ]
    )
    unresolved = decisions.filter(pl.col("method") == "unresolved")
    review_ties = _tie_review(unresolved, long)
    review_thin = _thin_review(thin, rows)

    say("deriving and validating")
    open_events = unresolved["aligned_event"].unique()
    settled = decisions.filter(~pl.col("aligned_event").is_in(open_events.implode()))
    events = pl.concat([voting.select(by_adj.columns), by_adj]).filter(
        ~pl.col("aligned_event").is_in(open_events.implode())
    )
    candidates = _wide(settled, events, fields, cb)
    result = validate(candidates, cb, "events")
    notes.extend(
        n for n in result.notes if not n.startswith(("columns absent", "derived columns absent"))
    )
    gold = _gold_columns(result.accepted, cb)
    rejected = result.rejected
    review_invalid = _invalid_review(result, candidates, pd_long=pl.concat([long, adj_long]))
    # Decisions cover every voted event, queued ones included (their ties are "unresolved").
    decisions = pl.concat([decisions, _derived_decisions(gold, cb)]).sort("aligned_event", "field")
    review = pl.concat(
        [
            review_ties.cast(REVIEW_SCHEMA),
            review_thin.cast(REVIEW_SCHEMA),
            review_invalid.cast(REVIEW_SCHEMA),
        ]
    )
    review = review.sort("article_id", "aligned_event", "field", "coder", nulls_last=True)
    return Adjudication(
        gold=gold,
        decisions=decisions,
        review=review,
        rejected=rejected,
        dropped=dropped.cast(DROPPED_SCHEMA),
        policy=pol,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------------
def _check_columns(aligned: pl.DataFrame) -> None:
    """Raise :class:`InputError` when the table lacks a column adjudication needs."""
    for col in ("aligned_event", "article_id", "coder"):
        if col not in aligned.columns:
            hint = (
                " (run eventcoder.datasets.align.align_events first)"
                if col == "aligned_event"
                else ""
            )
            raise InputError(f"the table has no {col!r} column{hint}")


def _split_by_adjudicator(
    aligned: pl.DataFrame, pol: Policy
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Return ``(rows, by_adjudicator, plain, dropped)``.

    ``rows`` is every annotation row flagged ``_adj`` (an adjudicator's, or ground truth) and
    ``_adj_article`` (its article has an adjudicator's version); ``plain`` the rows of articles
    with none, which are voted on; ``dropped`` the aligned events of adjudicated articles that
    the adjudicator's version left out.
    """
    rows = _with_order(aligned)
    adj_flag = pl.col("coder").is_in(list(pol.adjudicators))
    if "ground_truth" in rows.columns:
        adj_flag = adj_flag | pl.col("ground_truth").fill_null(False)
    rows = rows.with_columns(_adj=adj_flag)
    rows = rows.with_columns(_adj_article=pl.col("_adj").any().over("article_id"))
    dropped = (
        rows.filter(pl.col("_adj_article"))
        .group_by("aligned_event", "article_id", maintain_order=True)
        .agg(pl.col("_adj").any())
        .filter(~pl.col("_adj"))
        .select("aligned_event", "article_id", reason=pl.lit("not-in-adjudication"))
    )
    by_adj = rows.filter(pl.col("_adj"))
    plain = rows.filter(~pl.col("_adj_article"))
    return rows, by_adj, plain, dropped


def _by_support(plain: pl.DataFrame, m: int | str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return ``(voting, thin)``: rows of events enough of the article's coders found, and not."""
    support = plain.with_columns(
        _found=pl.col("coder").n_unique().over("aligned_event"),
        _of=pl.col("coder").n_unique().over("article_id"),
    )
    enough = (
        pl.col("_found") * 2 > pl.col("_of")
        if m == "majority"
        else pl.col("_found") == pl.col("_of")
        if m == "all"
        else pl.col("_found") >= int(m)
    )
    support = support.with_columns(_enough=enough)
    return support.filter(pl.col("_enough")), support.filter(~pl.col("_enough"))


def _adjudicator_decisions(adj_long: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """Return the decisions an adjudicator's version makes: each of its values, final."""
    coders_per_event = rows.group_by("aligned_event").agg(
        coders=pl.col("coder").filter(~pl.col("_adj")).n_unique()
    )
    return adj_long.join(coders_per_event, on="aligned_event", how="left").select(
        "aligned_event",
        "article_id",
        "field",
        "value",
        method=pl.lit("adjudicator"),
        policy=pl.lit(None, pl.String),
        support=pl.lit(1, pl.Int64),
        coders=pl.col("coders").cast(pl.Int64),
    )


def _tie_review(unresolved: pl.DataFrame, long: pl.DataFrame) -> pl.DataFrame:
    """Return the review rows of unresolved ties: every coder's value of each tied field."""
    return (
        unresolved.select(*KEY)
        .join(long, on=KEY, how="inner")
        .select(
            "aligned_event",
            "article_id",
            "field",
            reason=pl.lit("tie"),
            coder="coder",
            value="value",
            detail=pl.lit(None, pl.String),
        )
    )


def _with_order(frame: pl.DataFrame) -> pl.DataFrame:
    """Number the rows in the order they were entered (created_at, annotation id, input order)."""
    keys = [c for c in ("created_at", "annotation_id") if c in frame.columns]
    numbered = frame.with_row_index("_input")
    if keys:
        order = numbered.select(
            "_input", _order=pl.struct(*keys, "_input").rank("ordinal").cast(pl.Int64)
        )
        return numbered.join(order, on="_input").sort("_input")
    return numbered.with_columns(_order=pl.col("_input").cast(pl.Int64))


def _as_text(name: str, cb: Codebook) -> pl.Expr:
    f = cb.field(name)
    col = pl.col(name)
    if f.type == "date":
        col = col.cast(pl.Date, strict=False)
    text = col.cast(pl.String).str.strip_chars()
    if f.multiple:
        # "b; a" and "a; b" are one vote.
        text = (
            text.str.split(";")
            .list.eval(pl.element().str.strip_chars())
            .list.eval(pl.element().filter(pl.element() != ""))
            .list.sort()
            .list.join("; ")
        )
    return pl.when(text == "").then(None).otherwise(text).alias(name)


def _as_number(name: str, cb: Codebook) -> pl.Expr:
    f = cb.field(name)
    if f.type == "date":
        return pl.col(name).cast(pl.Date, strict=False).cast(pl.Int32).cast(pl.Float64).alias(name)
    if f.type in ("integer", "number"):
        return pl.col(name).cast(pl.Float64, strict=False).alias(name)
    return pl.lit(None, pl.Float64).alias(name)


def _long(frame: pl.DataFrame, fields: list[str], cb: Codebook) -> pl.DataFrame:
    """One row per (aligned event, coder, field): the value as text and as a number."""
    index = ["aligned_event", "article_id", "coder", "_order"]
    text = frame.select(*index, *(_as_text(f, cb) for f in fields)).unpivot(
        on=fields, index=index, variable_name="field", value_name="value"
    )
    nums = frame.select(*(_as_number(f, cb) for f in fields)).unpivot(
        on=fields, variable_name="_f", value_name="num"
    )
    return text.with_columns(nums["num"])


def _vote(long: pl.DataFrame, pol: Policy) -> pl.DataFrame:
    """One decision per (aligned event, field): the winning value and how it won."""
    if long.height == 0:
        return pl.DataFrame(schema=DECISIONS_SCHEMA)
    ties = {f: pol.tie_for(f) for f in long["field"].unique().to_list()}
    votes = (
        long.group_by("aligned_event", "article_id", "field", "value")
        .agg(n=pl.len(), num=pl.col("num").first(), first=pl.col("_order").min())
        .with_columns(coders=pl.col("n").sum().over(KEY), top=pl.col("n").max().over(KEY))
        .filter(pl.col("n") == pl.col("top"))
        .with_columns(
            n_top=pl.len().over(KEY),
            policy=pl.col("field").replace_strict(ties, return_dtype=pl.String),
        )
    )
    # Lower median among the tied values that are numbers: rank (count + 1) // 2.
    count = pl.col("num").is_not_null().sum().over(KEY)
    median_key = pl.when(pl.col("num").rank("ordinal").over(KEY) == (count + 1) // 2).then(0.0)
    key = (
        pl.when(pl.col("policy") == "lowest")
        .then(pl.col("num"))
        .when(pl.col("policy") == "median")
        .then(median_key.otherwise(1.0))
        .otherwise(pl.col("first").cast(pl.Float64))
    )
    picked = (
        votes.with_columns(_key=key)
        .sort("aligned_event", "field", "_key", "first", nulls_last=True)
        .group_by(KEY, maintain_order=True)
        .first()
    )
    tie = pl.col("n_top") > 1
    unresolved = tie & (pl.col("policy") == "unresolved")
    return picked.select(
        "aligned_event",
        "article_id",
        "field",
        value=pl.when(unresolved).then(None).otherwise(pl.col("value")),
        method=pl.when(~tie & (pl.col("n") == pl.col("coders")))
        .then(pl.lit("unanimous"))
        .when(~tie)
        .then(pl.lit("majority"))
        .when(unresolved)
        .then(pl.lit("unresolved"))
        .otherwise(pl.lit("tie-policy")),
        policy=pl.when(tie).then(pl.col("policy")).otherwise(None),
        support=pl.col("n").cast(pl.Int64),
        coders=pl.col("coders").cast(pl.Int64),
    )


def _thin_review(thin: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """Review rows for events too few coders found: every coder of the article, found or not."""
    if thin.height == 0:
        return pl.DataFrame(schema=REVIEW_SCHEMA)
    events = thin.group_by("aligned_event", "article_id").agg(
        found=pl.col("coder").unique(), n=pl.col("_found").first(), of=pl.col("_of").first()
    )
    coders = rows.filter(~pl.col("_adj")).select("article_id", "coder").unique()
    return events.join(coders, on="article_id").select(
        "aligned_event",
        "article_id",
        field=pl.lit(EVENT_FIELD),
        reason=pl.lit("too-few-coders"),
        coder="coder",
        value=pl.when(pl.col("coder").is_in(pl.col("found")))
        .then(pl.lit("found"))
        .otherwise(pl.lit("not found")),
        detail=pl.format("found by {} of {} coders", "n", "of"),
    )


def _wide(
    decisions: pl.DataFrame, events: pl.DataFrame, fields: list[str], cb: Codebook
) -> pl.DataFrame:
    """Gold candidates: one row per settled aligned event, voted fields as text, span, coders."""
    base = events.group_by("aligned_event", maintain_order=True).agg(
        pl.col("article_id").first(),
        coders=pl.col("coder").filter(~pl.col("_adj")).n_unique().cast(pl.Int64),
    )
    # An adjudicator's event keeps the adjudicator's own span.
    if "span_start" in events.columns:
        spans = (
            events.sort("_adj", descending=True)
            .group_by("aligned_event", maintain_order=True)
            .agg(
                _a=pl.col("_adj").first(),
                s_adj=pl.col("span_start").first(),
                e_adj=pl.col("span_end").first(),
                s=pl.col("span_start").min(),
                e=pl.col("span_end").max(),
            )
        )
        base = base.join(
            spans.select(
                "aligned_event",
                span_start=pl.when("_a").then("s_adj").otherwise("s").cast(pl.Int64),
                span_end=pl.when("_a").then("e_adj").otherwise("e").cast(pl.Int64),
            ),
            on="aligned_event",
        )
    if decisions.height == 0:
        values = pl.DataFrame(schema={"aligned_event": pl.String, **{f: pl.String for f in fields}})
    else:
        values = decisions.pivot(
            on="field", index="aligned_event", values="value", aggregate_function="first"
        )
    for f in fields:
        if f not in values.columns:
            values = values.with_columns(pl.lit(None, pl.String).alias(f))
    return base.join(values.select("aligned_event", *fields), on="aligned_event", how="inner")


def _gold_columns(accepted: pl.DataFrame, cb: Codebook) -> pl.DataFrame:
    """Provenance first, then the codebook's fields (release-time fields left out), in order."""
    front = [
        c
        for c in ("article_id", "aligned_event", "coders", "span_start", "span_end")
        if c in accepted.columns
    ]
    names = [f.name for f in cb.fields if f.origin != "release"]
    return accepted.select(*front, *names)


def _derived_decisions(gold: pl.DataFrame, cb: Codebook) -> pl.DataFrame:
    """Decision rows for derived fields: the value, method ``derived``."""
    derived = [f.name for f in cb.fields_by_origin("derived") if f.name in gold.columns]
    if not derived or gold.height == 0:
        return pl.DataFrame(schema=DECISIONS_SCHEMA)
    return (
        gold.select(
            "aligned_event", "article_id", "coders", *(pl.col(f).cast(pl.String) for f in derived)
        )
        .unpivot(
            on=derived,
            index=["aligned_event", "article_id", "coders"],
            variable_name="field",
            value_name="value",
        )
        .select(
            "aligned_event",
            "article_id",
            "field",
            "value",
            method=pl.lit("derived"),
            policy=pl.lit(None, pl.String),
            support=pl.lit(None, pl.Int64),
            coders="coders",
        )
        .cast(DECISIONS_SCHEMA)
    )


def _invalid_review(result: Any, candidates: pl.DataFrame, pd_long: pl.DataFrame) -> pl.DataFrame:
    """Review rows for gold events that broke a rule: the rule, and each coder's value."""
    errors = result.errors
    if errors.height == 0:
        return pl.DataFrame(schema=REVIEW_SCHEMA)
    ids = (
        candidates.select("aligned_event")
        .with_row_index("row", offset=1)
        .with_columns(pl.col("row").cast(pl.Int64))
    )
    failed = (
        errors.select("row", "rule", "field", "value", "message")
        .join(ids, on="row")
        .with_columns(pl.col("field").str.split(", "))
        .explode("field")
        .select(
            "aligned_event",
            "field",
            detail=pl.format(
                "{}: {} (gold value: {})", "rule", "message", pl.col("value").fill_null("blank")
            ),
        )
    )
    per_coder = pd_long.select("aligned_event", "article_id", "field", "coder", "value")
    joined = failed.join(per_coder, on=KEY, how="left")
    # A rule on a derived field (no coder values) still gets one row naming the rule.
    joined = joined.with_columns(
        pl.col("article_id").fill_null(pl.col("aligned_event").str.replace(r"#\d+$", ""))
    )
    review: pl.DataFrame = joined.select(
        "aligned_event",
        "article_id",
        "field",
        reason=pl.lit("invalid"),
        coder="coder",
        value="value",
        detail="detail",
    ).unique(maintain_order=True)
    return review


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def write_adjudication(adj: Adjudication, folder: str | Path) -> dict[str, Path]:
    """Write gold, decisions, rejected and the review queue (Parquet, plus CSV for people).

    The files appear together or not at all (:func:`eventcoder.files.output_set`).
    """
    from eventcoder.files import output_set

    # The policy goes with the tables, so that a release made from this folder can say how
    # its gold was decided.
    p = adj.policy
    policy = {
        "tie": p.tie,
        "field_ties": dict(p.field_ties),
        "min_coders": p.min_coders,
        "adjudicators": list(p.adjudicators),
    }
    with output_set(folder) as out:
        paths = {
            name: out.parquet(getattr(adj, name), f"{name}.parquet")
            for name in ("gold", "decisions", "review", "rejected", "dropped")
        }
        paths["review_csv"] = out.write("review.csv", adj.review.write_csv)
        paths["policy"] = out.text(json.dumps(policy, indent=2) + "\n", "policy.json")
    return paths


def read_adjudication(folder: str | Path, policy: Policy | None = None) -> Adjudication:
    """The adjudication written by ``write_adjudication`` to ``folder``.

    The policy is read from ``policy.json`` when the folder has one; ``policy`` overrides it
    (folders written before the policy was stored give ``Policy()``).
    """
    folder = Path(folder)
    tables: dict[str, pl.DataFrame] = {}
    for name in ("gold", "decisions", "review", "rejected", "dropped"):
        path = folder / f"{name}.parquet"
        if not path.exists():
            raise InputError(
                f"{folder}: no {name}.parquet; pass the folder 'eventcoder adjudicate' wrote",
                path=str(folder),
            )
        tables[name] = pl.read_parquet(path, glob=False)
    return Adjudication(
        gold=tables["gold"],
        decisions=tables["decisions"],
        review=tables["review"],
        rejected=tables["rejected"],
        dropped=tables["dropped"],
        policy=policy or _read_policy(folder / "policy.json"),
    )


def _read_policy(path: Path) -> Policy:
    """The policy ``write_adjudication`` stored, or ``Policy()`` when there is none."""
    if not path.exists():
        return Policy()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Policy(
            tie=str(raw["tie"]),
            field_ties={str(k): str(v) for k, v in raw["field_ties"].items()},
            min_coders=raw["min_coders"],
            adjudicators=tuple(str(a) for a in raw["adjudicators"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise InputError(
            f"{path}: not the policy 'eventcoder adjudicate' wrote ({err}); adjudicate again",
            path=str(path),
        ) from None
