"""Aligning coders' events: which event of one coder is the same event as which of another's.

Coders may find different numbers of events in one article, so before fields can be compared the
events must be paired up. Alignment works per article in three steps:

1. **Similarity.** Every event of one coder is scored against every event of another coder of the
   same article, in [0, 1], as a Gower-style weighted mean of four components:

   ======================  ========  ===================================================
   component               weight    similarity
   ======================  ========  ===================================================
   ``span``                0.50      IoU of the evidence spans ``[span_start, span_end)``
   ``location``            0.20      1 if the normalised locations are equal, else 0
   ``date``                0.15      ``1 - min(|days apart|, 7) / 7``
   ``event_type``          0.15      1 if the event types are equal, else 0
   ======================  ========  ===================================================

   The evidence span comes first (half the weight) because it is what a coder points at; the
   codebook fields break the tie between events drawn from the same passage. A component counts
   only when both events have it (both spans, both locations, ...); the score is the weighted
   mean over the components both have, so an export without spans is aligned on its fields. Two
   events that share no component score 0. Locations are compared after :func:`normalise_text`.

2. **Matching.** For each pair of coders, the optimal one-to-one assignment maximises the total
   similarity (:func:`scipy.optimize.linear_sum_assignment`), with scores below the threshold
   (default 0.5) set to zero first so that they cannot compete; pairs at or above the threshold
   are kept. With the default weights, identical spans alone match, and so do events with
   disjoint spans that agree on location, date and type (ACLED codes those as one event).

3. **Clustering.** Matched pairs link events; linked events form a cluster, one aligned event.
   A cluster holds at most one event per coder: when links would join two events of one coder
   (A1-B1 and B1-C1 but A1-C2), links are taken in descending score and one that would put a
   coder twice into a cluster is dropped; equal scores are broken by the events' canonical order
   (coder, span start, span end, event key). Events matched by nobody are singleton clusters.

Clusters are numbered per article, ``f"{article_id}#{k}"``, ``k`` from 1 by the cluster's
earliest span start (clusters without spans last), then by its first event in canonical order,
so the result does not depend on the order of the input rows.

Weights, the date scale and the threshold are module constants; a codebook may override them in
``settings.alignment`` (``weights``, ``threshold``, ``date_scale_days``), and the function
arguments override both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from eventcoder.errors import InputError
from eventcoder.schema.codebook import Codebook

__all__ = [
    "DATE_SCALE_DAYS",
    "THRESHOLD",
    "WEIGHTS",
    "Alignment",
    "align_events",
    "match_events",
    "normalise_text",
    "pair_candidates",
    "similarity_matrix",
]

WEIGHTS: Mapping[str, float] = {"span": 0.5, "location": 0.2, "date": 0.15, "event_type": 0.15}
THRESHOLD = 0.5
DATE_SCALE_DAYS = 7.0

# The columns the similarity reads (annotations-table names).
LOCATION, DATE, EVENT_TYPE = "location", "event_date", "event_type"
REQUIRED = ("article_id", "coder", "event_key", "span_start", "span_end")


@dataclass(frozen=True)
class Alignment:
    """The alignment parameters in force: component weights, threshold, date scale in days."""

    weights: Mapping[str, float]
    threshold: float
    date_scale_days: float

    @classmethod
    def resolve(
        cls,
        cb: Codebook | None,
        *,
        weights: Mapping[str, float] | None = None,
        threshold: float | None = None,
        date_scale_days: float | None = None,
    ) -> Alignment:
        """Return the parameters: arguments, else ``cb.settings["alignment"]``, else defaults."""
        cfg = dict((cb.settings.get("alignment") or {}) if cb is not None else {})
        w = dict(WEIGHTS)
        w.update(cfg.get("weights") or {})
        w.update(weights or {})
        unknown = set(w) - set(WEIGHTS)
        if unknown or any(v < 0 for v in w.values()) or sum(w.values()) <= 0:
            raise InputError(
                f"alignment weights must be >= 0 for {', '.join(WEIGHTS)} with a positive sum, "
                f"got {w}; fix settings.alignment.weights"
            )
        t = float(threshold if threshold is not None else cfg.get("threshold", THRESHOLD))
        scale = float(
            date_scale_days
            if date_scale_days is not None
            else cfg.get("date_scale_days", DATE_SCALE_DAYS)
        )
        if not 0.0 < t <= 1.0 or scale <= 0:
            raise InputError(
                f"alignment threshold must be in (0, 1] and date_scale_days > 0, got {t} and "
                f"{scale}; fix settings.alignment"
            )
        return cls(w, t, scale)


def normalise_text(expr: pl.Expr) -> pl.Expr:
    """Return ``expr`` stripped, lower-cased and with runs of whitespace collapsed to one space."""
    return expr.str.strip_chars().str.to_lowercase().str.replace_all(r"\s+", " ")


def _keys(frame: pl.DataFrame | pl.LazyFrame, cb: Codebook | None = None) -> pl.LazyFrame:
    """Return the frame with the similarity keys ``_s``, ``_e``, ``_loc``, ``_day``, ``_type``.

    Location, date and event type are the codebook's roles of those names (conventionally
    ``location``, ``event_date``, ``event_type``); a role the codebook lacks counts as null.
    """
    lf = frame.lazy()
    names = lf.collect_schema().names()

    def col(name: str | None, dtype: pl.DataType) -> pl.Expr:
        return pl.col(name) if name in names else pl.lit(None, dtype=dtype)

    def role(name: str, conventional: str) -> str | None:
        return cb.role(name) if cb is not None else conventional

    return lf.with_columns(
        _s=col("span_start", pl.Int64()).cast(pl.Int64),
        _e=col("span_end", pl.Int64()).cast(pl.Int64),
        _loc=normalise_text(col(role("location", LOCATION), pl.String()).cast(pl.String)),
        _day=col(role("date", DATE), pl.Date()).cast(pl.Date).cast(pl.Int64),
        _type=col(role("event_type", EVENT_TYPE), pl.String()).cast(pl.String),
    )


def _score(p: Alignment) -> pl.Expr:
    """Return the similarity of a pair row with keys suffixed ``_a`` and ``_b``, in [0, 1]."""
    s_a, e_a, s_b, e_b = pl.col("_s_a"), pl.col("_e_a"), pl.col("_s_b"), pl.col("_e_b")
    inter = (pl.min_horizontal(e_a, e_b) - pl.max_horizontal(s_a, s_b)).clip(lower_bound=0)
    union = (e_a - s_a) + (e_b - s_b) - inter
    # A zero-width span on both sides is one point: the same point is full overlap.
    span = pl.when(union > 0).then(inter / union).otherwise((s_a == s_b).cast(pl.Float64))
    days = (pl.col("_day_a") - pl.col("_day_b")).abs().cast(pl.Float64)
    parts = {
        "span": span,
        "location": (pl.col("_loc_a") == pl.col("_loc_b")).cast(pl.Float64),
        "date": 1.0 - days.clip(upper_bound=p.date_scale_days) / p.date_scale_days,
        "event_type": (pl.col("_type_a") == pl.col("_type_b")).cast(pl.Float64),
    }
    # Gower: weighted mean over the components both events have (null comparisons stay null).
    num = pl.sum_horizontal([(p.weights[k] * v).fill_null(0.0) for k, v in parts.items()])
    den = pl.sum_horizontal(
        [pl.when(v.is_not_null()).then(p.weights[k]).otherwise(0.0) for k, v in parts.items()]
    )
    return pl.when(den > 0).then(num / den).otherwise(0.0)


_KEY_COLS = ("_s", "_e", "_loc", "_day", "_type")


def similarity_matrix(
    a: pl.DataFrame,
    b: pl.DataFrame,
    cb: Codebook | None = None,
    *,
    weights: Mapping[str, float] | None = None,
    date_scale_days: float | None = None,
) -> npt.NDArray[np.float64]:
    """Return the ``len(a) x len(b)`` similarity matrix of two coders' events of one article.

    ``a`` and ``b`` have annotations-table columns (``span_start``, ``span_end``, ``location``,
    ``event_date``, ``event_type``; a missing column counts as null). The score is the weighted
    Gower mean described in the module docstring; weights default to :data:`WEIGHTS`, overridden
    by ``cb.settings["alignment"]`` and then by ``weights``.
    """
    p = Alignment.resolve(cb, weights=weights, date_scale_days=date_scale_days)
    ka = _keys(a, cb).select(*_KEY_COLS).with_row_index("_i")
    kb = _keys(b, cb).select(*_KEY_COLS).with_row_index("_j")
    pairs = (
        ka.rename({c: f"{c}_a" for c in _KEY_COLS})
        .join(kb.rename({c: f"{c}_b" for c in _KEY_COLS}), how="cross")
        .select("_i", "_j", _score(p).alias("score"))
        .collect()
    )
    out = np.zeros((a.height, b.height))
    out[pairs["_i"].to_numpy(), pairs["_j"].to_numpy()] = pairs["score"].to_numpy()
    return out


def _assign(scores: npt.NDArray[np.float64], threshold: float) -> list[tuple[int, int, float]]:
    """Return the optimal assignment's pairs at or above ``threshold`` as ``(i, j, score)``."""
    if scores.size == 0:
        return []
    kept = np.where(scores >= threshold, scores, 0.0)
    rows, cols = linear_sum_assignment(kept, maximize=True)
    return [
        (int(i), int(j), float(scores[i, j]))
        for i, j in zip(rows, cols, strict=True)
        if kept[i, j] > 0
    ]


def match_events(
    a: pl.DataFrame,
    b: pl.DataFrame,
    cb: Codebook | None = None,
    threshold: float | None = None,
    *,
    weights: Mapping[str, float] | None = None,
) -> list[tuple[int, int, float]]:
    """Return the optimal one-to-one matching of ``a``'s and ``b``'s events as ``(i, j, score)``.

    ``i`` and ``j`` are row positions in ``a`` and ``b``; pairs are sorted by ``i``. Scores below
    the threshold are zeroed before :func:`scipy.optimize.linear_sum_assignment` maximises the
    total, and only pairs scoring at or above the threshold are returned.
    """
    p = Alignment.resolve(cb, weights=weights, threshold=threshold)
    return _assign(similarity_matrix(a, b, cb, weights=p.weights), p.threshold)


def pair_candidates(
    annotations: pl.DataFrame,
    cb: Codebook | None = None,
    *,
    threshold: float | None = None,
    weights: Mapping[str, float] | None = None,
) -> pl.DataFrame:
    """Return every pair of events of two coders of one article scoring at or above threshold.

    Columns: ``article_id``, ``node_a``, ``node_b`` (row positions in ``annotations``),
    ``coder_a`` < ``coder_b``, ``score``. Computed for all articles at once by a self-join.
    """
    p = Alignment.resolve(cb, weights=weights, threshold=threshold)
    keyed = _keys(annotations.with_row_index("_node"), cb).select(
        "_node", "article_id", "coder", *_KEY_COLS
    )
    side_a = keyed.rename({c: f"{c}_a" for c in ("_node", "coder", *_KEY_COLS)})
    side_b = keyed.rename({c: f"{c}_b" for c in ("_node", "coder", *_KEY_COLS)})
    return (
        side_a.join(side_b, on="article_id")
        .filter(pl.col("coder_a") < pl.col("coder_b"))
        .select(
            "article_id",
            pl.col("_node_a").alias("node_a"),
            pl.col("_node_b").alias("node_b"),
            "coder_a",
            "coder_b",
            _score(p).alias("score"),
        )
        .filter(pl.col("score") >= p.threshold)
        .collect()
    )


def _matched_edges(cand: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """Return the candidate edges kept by per-coder-pair optimal matching (node_a, node_b, score).

    Where a coder pair's candidates in an article already form a matching (no event in two
    candidate pairs), the optimum is all of them; only the other groups need an assignment.
    """
    group = ["article_id", "coder_a", "coder_b"]
    flagged = cand.with_columns(
        _clash=(pl.len().over([*group, "node_a"]) > 1) | (pl.len().over([*group, "node_b"]) > 1)
    ).with_columns(_clash=pl.col("_clash").any().over(group))
    easy = flagged.filter(~pl.col("_clash")).select("node_a", "node_b", "score")
    hard = flagged.filter(pl.col("_clash")).sort([*group, "node_a", "node_b"])
    if hard.height == 0:
        return easy
    starts = hard.select(pl.any_horizontal(pl.col(c) != pl.col(c).shift(1) for c in group))
    na, nb, sc = (hard[c].to_numpy() for c in ("node_a", "node_b", "score"))
    # The first row's comparison is null; boundaries are the later rows where a key changes.
    bounds = np.flatnonzero(starts.to_series().fill_null(False).to_numpy())
    kept_a, kept_b, kept_s = [], [], []
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(na)], strict=True):
        ua, ia = np.unique(na[lo:hi], return_inverse=True)
        ub, ib = np.unique(nb[lo:hi], return_inverse=True)
        m = np.zeros((len(ua), len(ub)))
        m[ia, ib] = sc[lo:hi]
        for i, j, s in _assign(m, threshold):
            kept_a.append(ua[i])
            kept_b.append(ub[j])
            kept_s.append(s)
    solved = pl.DataFrame(
        {"node_a": kept_a, "node_b": kept_b, "score": kept_s},
        schema={
            "node_a": easy.schema["node_a"],
            "node_b": easy.schema["node_b"],
            "score": pl.Float64,
        },
    )
    return pl.concat([easy, solved])


def _clusters(
    n: int, edges: pl.DataFrame, coder_codes: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Return a cluster label per node: linked components, split where a coder would repeat."""
    a, b = edges["node_a"].to_numpy(), edges["node_b"].to_numpy()
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, found = connected_components(graph, directed=False)
    label: npt.NDArray[np.int64] = np.asarray(found, dtype=np.int64)
    # A component holding one coder twice is rebuilt greedily from its own links.
    per = pl.DataFrame({"label": label, "coder": coder_codes})
    bad = per.group_by("label", "coder").len().filter(pl.col("len") > 1)["label"].unique()
    if bad.len() == 0:
        return label
    bad_set = np.isin(label, bad.to_numpy())
    sel = bad_set[a]
    order = np.lexsort((b[sel], a[sel], -edges["score"].to_numpy()[sel]))
    parent: dict[int, int] = {}
    members: dict[int, set[int]] = {}

    def root(x: int) -> int:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for x, y in zip(a[sel][order].tolist(), b[sel][order].tolist(), strict=True):
        rx, ry = root(x), root(y)
        if rx == ry:
            continue
        cx = members.setdefault(rx, {int(coder_codes[rx])})
        cy = members.setdefault(ry, {int(coder_codes[ry])})
        if cx & cy:
            continue  # this link would put one coder twice into a cluster
        parent[ry] = rx
        members[rx] = cx | cy
    label = label.copy()
    fresh = label.max() + 1
    for node in np.flatnonzero(bad_set).tolist():
        label[node] = fresh + root(node)
    return label


def _one_annotation_per_coder(annotations: pl.DataFrame) -> None:
    """Refuse a coder with two annotations of one article (Label Studio lets a coder add one).

    Aligned as one coder, the two versions' events could never share an aligned event, so one
    version's events counted as events the coder's other version missed, and its votes as the
    coder's: detection and every field's agreement measured something else, unseen.
    """
    if "annotation_id" not in annotations.columns or annotations.height == 0:
        return
    twice = (
        annotations.group_by("article_id", "coder")
        .agg(pl.col("annotation_id").unique().sort().alias("ids"))
        .filter(pl.col("ids").list.len() > 1)
        .sort("article_id", "coder", nulls_last=True)
    )
    if twice.height:
        article, coder, ids = twice.row(0)
        raise InputError(
            f"article {article!r}: coder {coder!r} has {len(ids)} annotations "
            f"({', '.join(str(i) for i in ids)}); agreement counts each coder once per article: "
            "keep one of them in Label Studio and export again"
            + (
                f" ({twice.height - 1} more such article and coder pairs)"
                if twice.height > 1
                else ""
            )
        )


def align_events(
    annotations: pl.DataFrame,
    cb: Codebook | None = None,
    threshold: float | None = None,
    *,
    weights: Mapping[str, float] | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> pl.DataFrame:
    """Return ``annotations`` (same rows, same order) plus ``aligned_event`` (``article#k``).

    Pass accepted rows only (e.g. the converter's annotations table, or ``validate(...)``'s
    accepted rows). Rows of one coder are never put in one aligned event; see the module
    docstring for the similarity, matching and clustering. ``on_progress(stage, done, total)``
    is called after each stage.
    """
    missing = [c for c in REQUIRED if c not in annotations.columns]
    if missing:
        raise InputError(
            f"annotations table lacks column(s) {', '.join(missing)}; "
            "pass a table built by the converter (eventcoder.annotate.convert)"
        )
    _one_annotation_per_coder(annotations)
    p = Alignment.resolve(cb, weights=weights, threshold=threshold)
    report = on_progress or (lambda stage, done, total: None)
    n = annotations.height
    # Canonical order of the events, so neither matching ties nor numbering depend on row order.
    sort_cols = ["article_id", "coder", "span_start", "span_end", "event_key"]
    if "annotation_id" in annotations.columns:
        sort_cols.append("annotation_id")
    canon = annotations.with_row_index("_row").sort([*sort_cols, "_row"], nulls_last=True)
    cand = pair_candidates(canon, cb, threshold=p.threshold, weights=p.weights)
    report("similarity", 1, 3)
    edges = _matched_edges(cand, p.threshold)
    report("matching", 2, 3)
    coder_codes = canon["coder"].cast(pl.Categorical).to_physical().to_numpy()
    label = _clusters(n, edges, coder_codes) if n else np.zeros(0, dtype=np.int64)
    numbered = (
        canon.select("_row", "article_id", "span_start")
        .with_columns(_label=pl.Series(label, dtype=pl.Int64), _node=pl.int_range(pl.len()))
        .with_columns(
            _first=pl.col("span_start").min().over("_label"),
            _lead=pl.col("_node").min().over("_label"),
        )
    )
    ranks = (
        numbered.group_by("_label")
        .agg(pl.first("article_id"), pl.first("_first"), pl.first("_lead"))
        .sort(["article_id", "_first", "_lead"], nulls_last=True)
        .with_columns(_k=pl.int_range(1, pl.len() + 1).over("article_id"))
        .select("_label", "_k")
    )
    ids = (
        numbered.join(ranks, on="_label")
        .sort("_row")
        .select(
            aligned_event=pl.concat_str(
                pl.col("article_id"), pl.lit("#"), pl.col("_k").cast(pl.String)
            )
        )
    )
    report("clustering", 3, 3)
    return annotations.with_columns(ids["aligned_event"])


def read_aligned(
    path: str | Path, cb: Codebook, on_note: Callable[[str], None] | None = None
) -> pl.DataFrame:
    """The annotations at ``path`` (a table or an export), aligned here unless they are already.

    ``on_note`` hears, for an export, what became of its annotations (accepted, rejected,
    skipped): only the accepted ones are aligned.
    """
    from eventcoder.annotate.convert import read_annotations

    table = read_annotations(path, cb, on_note)[0]
    return table if "aligned_event" in table.columns else align_events(table, cb)
