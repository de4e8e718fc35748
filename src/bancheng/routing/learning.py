"""Learning from the deployment: units, not categories.

Every case whose unit is settled is a labelled example of "this text goes to that unit":
the unit that resolved it, or the unit that accepted it and still holds it. Dispatches
that were corrected (recalled, returned, transferred) teach the unit the case ended up
with, not the one it was first sent to. On-the-spot resolutions never left the window and
teach nothing about dispatch.

``learn`` trains a candidate unit model on the older examples, scores it and the router in
use on the most recent examples neither has seen, and promotes the candidate only if it is
better at the objective — coverage at 99 % precision, with macro-F1 no more than
``F1_TOLERANCE`` below the router in use. Each run is recorded (``RoutingUnitModel``),
promoted or not, with its figures and a drift report; a promotion can be reverted.

The router (``route_units``) combines, for one text: the category model's probabilities
mapped through the category → unit table, the active unit model's probabilities, and the
units that resolved the most similar earlier cases. Automatic dispatch is decided by one
calibrated source: the unit model's confidence against its own threshold (chosen on its
grouped cross-validation, as for categories) when one is active, otherwise the category
model's as before; and only when the combined ranking puts the same unit first.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from bancheng.core import clock
from bancheng.core.errors import Conflict, NotFound, present
from bancheng.routing import repository
from bancheng.routing.classifier import (
    RoutingModel,
    Sample,
    TrainingParams,
    load_active_model,
    train,
)
from bancheng.routing.evaluate import macro_f1
from bancheng.routing.models import RoutingUnitModel
from bancheng.routing.similar import SimilarIndex
from bancheng.routing.threshold import coverage_at_precision

SETTLED_STATES = ("resolved", "feedback_given", "evaluated", "closed")
HELD_STATES = ("accepted", "in_progress", "suspended")
MIN_EXAMPLES = 60  # below this a unit model is not worth training
MIN_PER_UNIT = 3  # units with fewer examples are left to the category table
EVAL_SHARE = 0.2
MIN_EVAL = 20
F1_TOLERANCE = 0.01
TARGET_PRECISION = 0.99
# Weights of the router's sources (renormalised over the sources present).
W_UNIT_MODEL, W_CATEGORY, W_SIMILAR = 0.6, 0.3, 0.1
SIMILAR_K, SIMILAR_MIN_SCORE = 10, 0.25
ADVISORY_LOCK_KEY = 0x62630019  # "bc" + issue 19


@dataclass(frozen=True)
class Example:
    case_id: int
    registered_at: datetime
    title: str
    description: str
    unit_id: int


def examples(session: Session) -> list[Example]:
    """The deployment's labelled examples, oldest first."""
    rows = repository.labelled_examples(session, SETTLED_STATES + HELD_STATES)
    return [Example(i, at, t or "", d or "", u) for i, at, t, d, u in rows]


# --------------------------------------------------------------------------- the router


@dataclass(frozen=True)
class UnitSuggestion:
    ranked: list[tuple[int, float]]  # (unit id, combined score), best first
    auto_dispatch: bool
    confidence: float | None  # the calibrated source's confidence in the top unit
    threshold: float | None
    source: str  # "unit_model" or "category"


def _category_units(
    category_model: RoutingModel,
    targets: dict[str, int],
    title: str,
    description: str,
    ranked: list[tuple[str, float]] | None = None,
) -> tuple[dict[int, float], str, float, float | None]:
    ranked = ranked or category_model.predict(title, description or None)
    units: dict[int, float] = {}
    for label, p in ranked:
        unit = targets.get(label)
        if unit is not None:
            units[unit] = units.get(unit, 0.0) + p
    top_label, top_p = ranked[0]
    return units, top_label, top_p, category_model.threshold


def route_units(
    title: str,
    description: str,
    *,
    category_model: RoutingModel,
    targets: dict[str, int],
    unit_model: RoutingModel | None,
    similar_units: Callable[[str], dict[int, float]] | None = None,
    category_ranked: list[tuple[str, float]] | None = None,
) -> UnitSuggestion:
    """Ranked units for one text, and whether to dispatch it without a clerk.
    ``category_ranked``: the category model's full ranking when the caller has it."""
    sources: list[tuple[float, dict[int, float]]] = []
    cat_units, top_label, top_p, cat_threshold = _category_units(
        category_model, targets, title, description, category_ranked
    )
    if cat_units:
        sources.append((W_CATEGORY, cat_units))
    model_top: tuple[int, float] | None = None
    if unit_model is not None:
        predicted = unit_model.predict(title, description or None)
        sources.append((W_UNIT_MODEL, {int(label): p for label, p in predicted}))
        model_top = (int(predicted[0][0]), predicted[0][1])
    if similar_units is not None:
        votes = similar_units(f"{title}。{description}")
        if votes:
            sources.append((W_SIMILAR, votes))
    total_weight = sum(w for w, _ in sources)
    combined: dict[int, float] = {}
    for w, dist in sources:
        for unit, p in dist.items():
            combined[unit] = combined.get(unit, 0.0) + w * p / total_weight
    ranked = sorted(combined.items(), key=lambda kv: (-kv[1], kv[0]))
    if not ranked:
        return UnitSuggestion([], False, None, None, "category")
    top_unit = ranked[0][0]
    if unit_model is not None and model_top is not None:
        threshold = unit_model.threshold
        confidence = model_top[1]
        auto = threshold is not None and confidence >= threshold and model_top[0] == top_unit
        return UnitSuggestion(ranked, auto, confidence, threshold, "unit_model")
    cat_unit = targets.get(top_label)
    auto = cat_threshold is not None and top_p >= cat_threshold and cat_unit == top_unit
    return UnitSuggestion(ranked, auto, top_p, cat_threshold, "category")


def similar_votes(
    index: SimilarIndex[int], unit_of: dict[int, int]
) -> Callable[[str], dict[int, float]]:
    """Units that resolved the most similar earlier cases, weighted by similarity."""

    def votes(text: str) -> dict[int, float]:
        out: dict[int, float] = {}
        for m in index.query(text, k=SIMILAR_K, min_score=SIMILAR_MIN_SCORE):
            unit = unit_of.get(m.key)
            if unit is not None:
                out[unit] = out.get(unit, 0.0) + m.score
        total = sum(out.values())
        return {u: v / total for u, v in out.items()} if total else {}

    return votes


# --------------------------------------------------------------------------- the active model

_cache_lock = threading.Lock()
_cache: dict[str, Any] = {"id": None, "model": None}


def active_unit_row(session: Session) -> RoutingUnitModel | None:
    return repository.active_unit_row(session)


def active_unit_model(session: Session) -> RoutingModel | None:
    """The promoted unit model in use (cached per process by row id), or ``None``."""
    row_id = repository.active_unit_id(session)
    if row_id is None:
        return None
    with _cache_lock:
        if _cache["id"] == row_id:
            return _cache["model"]  # type: ignore[no-any-return]
    artefact = repository.unit_artefact(session, row_id)
    model = RoutingModel.from_bytes(artefact) if artefact else None
    with _cache_lock:
        _cache["id"], _cache["model"] = row_id, model
    return model


def target_units(session: Session) -> dict[str, int]:
    return repository.target_units(session)


# --------------------------------------------------------------------------- evaluation


def score_router(
    cases: Sequence[Example],
    *,
    category_model: RoutingModel,
    targets: dict[str, int],
    unit_model: RoutingModel | None,
    history: Sequence[Example],
) -> dict[str, Any]:
    """The router's figures on ``cases``; similar-case votes come from ``history`` only."""
    index: SimilarIndex[int] = SimilarIndex()
    index.build((e.case_id, f"{e.title}。{e.description}") for e in history)
    votes = similar_votes(index, {e.case_id: e.unit_id for e in history})
    truth, predicted, confidence, auto_ok = [], [], [], []
    for e in cases:
        s = route_units(
            e.title,
            e.description,
            category_model=category_model,
            targets=targets,
            unit_model=unit_model,
            similar_units=votes,
        )
        top = s.ranked[0][0] if s.ranked else -1
        truth.append(str(e.unit_id))
        predicted.append(str(top))
        confidence.append(s.confidence or 0.0)
        if s.auto_dispatch:
            auto_ok.append(top == e.unit_id)
    correct = [t == p for t, p in zip(truth, predicted, strict=True)]
    n = len(cases)
    auto_precision, auto_coverage = (
        (sum(auto_ok) / len(auto_ok), len(auto_ok) / n) if auto_ok and n else (0.0, 0.0)
    )
    return {
        "n": n,
        "accuracy": round(sum(correct) / n, 4) if n else 0.0,
        "macro_f1": round(macro_f1(truth, predicted), 4) if n else 0.0,
        "coverage_at_99_precision": round(coverage_at_precision(confidence, correct, 0.99), 4),
        "coverage_at_95_precision": round(coverage_at_precision(confidence, correct, 0.95), 4),
        "auto_dispatch_coverage": round(auto_coverage, 4),
        "auto_dispatch_precision": round(auto_precision, 4),
    }


def _psi(expected: Any, actual: Any) -> float:
    """Population stability index of two distributions over the same bins."""
    e = np.asarray(expected, dtype=float) + 1e-4
    a = np.asarray(actual, dtype=float) + 1e-4
    e, a = e / e.sum(), a / a.sum()
    return float(np.sum((a - e) * np.log(a / e)))


def drift_report(
    model: RoutingModel, training: Sequence[Example], recent: Sequence[Example]
) -> dict[str, Any]:
    """Do the recent cases look like the training data? Compares, through ``model``, the
    distribution of top confidence (10 bins), of the predicted label, and the share of
    a text's tokens the vocabulary does not know. PSI above 0.25 on either distribution,
    or an unknown-token share 1.5 times the training one, is reported as drift."""
    from bancheng.routing.classifier.features import _features_normalized, normalize_text

    vocab = model._index

    def profile(rows: Sequence[Example]) -> tuple[list[float], Counter[str], float]:
        conf: list[float] = []
        labels: Counter[str] = Counter()
        unknown = []
        for e in rows:
            label, p = model.predict(e.title, e.description or None, top=1)[0]
            conf.append(p)
            labels[label] += 1
            feats = _features_normalized(normalize_text(e.title), normalize_text(e.description))
            if feats:
                unknown.append(sum(f not in vocab for f in feats) / len(feats))
        return conf, labels, float(np.mean(unknown)) if unknown else 0.0

    if not recent or not training:
        return {"n_recent": len(recent), "n_training": len(training), "drifted": False}
    sample = list(training)[-max(len(recent), 200) :]
    c_train, l_train, u_train = profile(sample)
    c_recent, l_recent, u_recent = profile(recent)
    bins = np.linspace(0.0, 1.0, 11)
    psi_conf = _psi(np.histogram(c_train, bins)[0], np.histogram(c_recent, bins)[0])
    names = sorted(set(l_train) | set(l_recent))
    psi_labels = _psi([l_train[n] for n in names], [l_recent[n] for n in names])
    drifted = psi_conf > 0.25 or psi_labels > 0.25 or (u_train > 0 and u_recent > 1.5 * u_train)
    return {
        "n_recent": len(recent),
        "n_training": len(sample),
        "mean_confidence_training": round(float(np.mean(c_train)), 4),
        "mean_confidence_recent": round(float(np.mean(c_recent)), 4),
        "psi_confidence": round(psi_conf, 4),
        "psi_labels": round(psi_labels, 4),
        "unknown_token_share_training": round(u_train, 4),
        "unknown_token_share_recent": round(u_recent, 4),
        "drifted": bool(drifted),
    }


# --------------------------------------------------------------------------- the job


@dataclass(frozen=True)
class LearnResult:
    ran: bool
    reason: str
    model_id: int | None = None
    decision: str | None = None
    figures: dict[str, Any] | None = None


def _train_units(rows: Sequence[Example], seed: int = 0) -> RoutingModel | None:
    counts = Counter(e.unit_id for e in rows)
    samples = [
        Sample(e.title, e.description, str(e.unit_id))
        for e in rows
        if counts[e.unit_id] >= MIN_PER_UNIT
    ]
    if len({s.label for s in samples}) < 2:
        return None
    return train(
        samples,
        TrainingParams(seed=seed, target_precision=TARGET_PRECISION),
        source="cases:units",
        created_at=clock.now(),
    )


def better(candidate: dict[str, Any], current: dict[str, Any]) -> tuple[bool, str]:
    """Promote only for more coverage at 99 % precision, macro-F1 within the floor."""
    if candidate["macro_f1"] < current["macro_f1"] - F1_TOLERANCE:
        return False, "macro_f1_below_floor"
    if candidate["coverage_at_99_precision"] <= current["coverage_at_99_precision"]:
        return False, "not_better_at_objective"
    return True, "better_at_objective"


def learn(
    read: Callable[[], Any],
    write: Callable[[], Any],
    *,
    category_model: RoutingModel | None = None,
) -> LearnResult:
    """One run of the learning job. ``read`` and ``write`` open units of work (context
    managers yielding a session): the examples are read in one short transaction, the
    candidate is trained outside any, and the record is written in a second one under the
    job's lock, only if no other run recorded a model meanwhile."""
    category_model = category_model or load_active_model()
    with read() as session:
        rows = examples(session)
        targets = target_units(session)
        current_row = active_unit_row(session)
        current_model = active_unit_model(session)
        current_id = current_row.id if current_row else None
        current_until = (
            datetime.fromisoformat(current_row.figures["trained_until"])
            if current_row and current_row.figures.get("trained_until")
            else None
        )
        last_id = repository.last_unit_model_id(session)
        last_row = repository.unit_model(session, last_id) if last_id is not None else None
        last_until = last_row.figures.get("examples_until") if last_row else None
    if len(rows) < MIN_EXAMPLES:
        return LearnResult(False, "too_few_examples")
    if last_until is not None and rows[-1].registered_at <= datetime.fromisoformat(last_until):
        return LearnResult(False, "too_few_new_cases")  # nothing settled since the last run
    n_eval = max(MIN_EVAL, math.ceil(EVAL_SHARE * len(rows)))
    train_rows, eval_rows = rows[:-n_eval], rows[-n_eval:]
    if current_until is not None:
        # The model in use must not be scored on cases it was trained on.
        eval_rows = [e for e in eval_rows if e.registered_at > current_until]
    if len(eval_rows) < MIN_EVAL:
        return LearnResult(False, "too_few_new_cases")
    candidate = _train_units(train_rows)
    if candidate is None:
        return LearnResult(False, "too_few_units")
    cand_figures, cur_figures = (
        score_router(
            eval_rows,
            category_model=category_model,
            targets=targets,
            unit_model=model,
            history=train_rows,
        )
        for model in (candidate, current_model)
    )
    promote, reason = better(cand_figures, cur_figures)
    drift = drift_report(current_model or category_model, train_rows, eval_rows)
    figures = {
        "objective": "coverage_at_99_precision",
        "candidate": cand_figures,
        "current": cur_figures,
        "current_model": "unit_model" if current_model is not None else "category",
        "reason": reason,
        "drift": drift,
        "trained_until": train_rows[-1].registered_at.isoformat(),
        "eval_from": eval_rows[0].registered_at.isoformat(),
        "examples_until": rows[-1].registered_at.isoformat(),
        "units": len(candidate.labels),
        "threshold": candidate.threshold,
        "cv": {
            k: (candidate.meta.get("cv") or {}).get(k)
            for k in ("macro_f1", "coverage_at_99_precision", "precision_at_80_coverage")
        },
    }
    with write() as session:
        if not repository.try_run_lock(session, ADVISORY_LOCK_KEY):
            return LearnResult(False, "another_run")
        if repository.last_unit_model_id(session) != last_id:
            return LearnResult(False, "another_run")
        version = (
            f"{clock.now():%Y%m%d-%H%M%S}-{hashlib.sha256(candidate.to_bytes()).hexdigest()[:8]}"
        )
        row = RoutingUnitModel(
            version=version,
            created_at=clock.now(),
            n_train=len(train_rows),
            n_eval=len(eval_rows),
            decision="promoted" if promote else "rejected",
            active=False,
            figures=figures,
            artefact=candidate.to_bytes() if promote else None,
            previous_id=current_id,
        )
        if promote and current_row is not None:
            repository.deactivate_unit_model(session, current_id)
        session.add(row)
        session.flush()
        if promote:
            row.active = True
            session.flush()
        return LearnResult(True, reason, row.id, row.decision, figures)


def revert(session: Session, model_id: int, user_id: int | None) -> RoutingUnitModel:
    """Withdraw the promoted model in use: the one it replaced (or routing by category
    alone) is used again. Flushes; the caller commits and logs."""
    row = present(
        repository.unit_model(session, model_id, for_update=True),
        NotFound("routing.unit_model_not_found", "模型记录不存在"),
    )
    if not row.active:
        raise Conflict("routing.unit_model_not_active", "只能回退正在使用的模型")
    row.active = False
    row.decision = "reverted"
    row.reverted_at = clock.now()
    row.reverted_by_id = user_id
    session.flush()
    previous = repository.unit_model(session, row.previous_id) if row.previous_id else None
    if previous is not None and previous.decision == "promoted" and previous.artefact:
        previous.active = True
    session.flush()
    return row
