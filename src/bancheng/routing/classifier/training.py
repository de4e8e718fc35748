"""Training: cross-validation, the SVM and NB-SVM fits, temperature and margin
calibration, and the reported figures. Needs scikit-learn and scipy (prediction does not)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bancheng.routing.classifier.data import (
    RoutingDataError,
    Sample,
    data_fingerprint,
    read_data_dir,
    samples_from_rows,
)
from bancheng.routing.classifier.features import (
    CHAR_NGRAMS,
    MAX_DETAIL_CHARS,
    MAX_WORD_CHARS,
    extract_features,
    normalize_text,
)
from bancheng.routing.classifier.model import FORMAT, RoutingModel, _calibrated, _margins
from bancheng.routing.threshold import (
    choose_threshold,
    coverage_at_precision,
    precision_above,
    precision_at_coverage,
)


@dataclass(frozen=True)
class TrainingParams:
    c: float = 0.5
    # NB-SVM smoothing; None trains the plain SVM alone (no NB-SVM component).
    nb_alpha: float | None = 0.1
    # Confidence from the top-2 margin (logistic fit on out-of-fold scores) instead of the
    # softmax maximum.
    margin_confidence: bool = True
    min_df: int = 3
    folds: int = 5
    seed: int = 0
    target_precision: float = 0.99


def _fit_margin(decision: NDArray[np.float64], y: NDArray[np.intp]) -> list[float] | None:
    """Logistic fit of "the top label is right" on the top-2 margin of out-of-fold
    scores: ``[a, b]``, or ``None`` when it cannot be fitted (all right, all wrong, or a
    margin that does not make predictions more reliable)."""
    from sklearn.linear_model import LogisticRegression

    correct = decision.argmax(axis=1) == y
    if correct.all() or not correct.any():
        return None
    fit = LogisticRegression(C=1e6, max_iter=1000)
    fit.fit(_margins(decision)[:, None], correct)
    a, b = float(fit.coef_[0][0]), float(fit.intercept_[0])
    return [a, b] if a > 0 else None


@dataclass
class CrossValidation:
    """Out-of-fold results of one training run."""

    folds: int
    decision: NDArray[np.float64]
    y: NDArray[np.intp]
    fold_of: NDArray[np.intp]
    kinds: list[str] = field(default_factory=list)
    # Each component model's temperature on its own out-of-fold scores; ``decision`` is
    # their combination (see ``_combine``).
    component_temperatures: list[float] = field(default_factory=list)


def _tfidf(counts: Any, idf: NDArray[np.float32]) -> Any:
    from sklearn.preprocessing import normalize

    matrix = counts.astype(np.float32).tocsr(copy=True)
    np.log(matrix.data, out=matrix.data)
    matrix.data += 1.0
    matrix = matrix.multiply(idf).tocsr()
    return normalize(matrix, norm="l2", copy=False)


def _idf(document_frequency: NDArray[np.int64], n_documents: int) -> NDArray[np.float32]:
    # scikit-learn's smoothed IDF.
    return (np.log((1.0 + n_documents) / (1.0 + document_frequency)) + 1.0).astype(np.float32)


def _effective_min_df(params: TrainingParams, n_samples: int) -> int:
    # On a few hundred rows a term seen twice is already informative.
    return params.min_df if n_samples >= 1000 else 1


def _svm(params: TrainingParams) -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC(
        C=params.c, class_weight="balanced", random_state=params.seed, dual=True, max_iter=5000
    )


def _fit_svm(
    matrix: Any, y: NDArray[np.intp], params: TrainingParams, n_labels: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """One-vs-rest linear SVM on the TF-IDF rows: (coef, intercept), one row per label."""
    svm = _svm(params)
    svm.fit(matrix, y)
    coef = np.zeros((n_labels, matrix.shape[1]), dtype=np.float64)
    intercept = np.zeros(n_labels, dtype=np.float64)
    present = svm.classes_
    if svm.coef_.shape[0] == 1:
        # Binary problem: scikit-learn keeps one hyperplane; split it symmetrically.
        coef[present[0]], coef[present[1]] = -svm.coef_[0] / 2, svm.coef_[0] / 2
        intercept[present[0]], intercept[present[1]] = -svm.intercept_[0] / 2, svm.intercept_[0] / 2
    else:
        coef[present] = svm.coef_
        intercept[present] = svm.intercept_
    return coef, intercept


def _fit_nbsvm(
    matrix: Any, y: NDArray[np.intp], params: TrainingParams, n_labels: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """NB-SVM (Wang & Manning 2012), one-vs-rest: for each label the features are scaled
    by the log-ratio r of their smoothed TF-IDF mass in the label's rows and in the other
    rows, and a binary linear SVM is fitted on the scaled rows. Its score is
    ``(x * r) . w + b = x . (r * w) + b``, so the label's weights are ``r * w``: still
    one linear model over the same features."""
    coef = np.zeros((n_labels, matrix.shape[1]), dtype=np.float64)
    intercept = np.zeros(n_labels, dtype=np.float64)
    alpha = params.nb_alpha or 0.0
    for label in np.unique(y):
        inside = y == label
        if inside.all():
            continue
        p = alpha + np.asarray(matrix[inside].sum(axis=0)).ravel()
        q = alpha + np.asarray(matrix[~inside].sum(axis=0)).ravel()
        ratio = np.log((p / p.sum()) / (q / q.sum()))
        svm = _svm(params)
        svm.fit(matrix.multiply(ratio).tocsr(), inside.astype(np.intp))
        coef[label] = ratio * svm.coef_[0]
        intercept[label] = svm.intercept_[0]
    return coef, intercept


def _fit_linear(counts: Any, y: NDArray[np.intp], params: TrainingParams, n_labels: int) -> dict:
    """Fit on the rows of ``counts`` (a count matrix over the full candidate vocabulary);
    returns the kept columns, their IDF and the weights of each component model
    (``components``: (coef, intercept) of the SVM and, when ``nb_alpha`` is set, of the
    NB-SVM)."""
    presence = counts.copy()
    presence.data[:] = 1
    df = np.asarray(presence.sum(axis=0)).ravel().astype(np.int64)
    keep = np.flatnonzero(df >= _effective_min_df(params, counts.shape[0]))
    idf = _idf(df[keep], counts.shape[0])
    matrix = _tfidf(counts[:, keep], idf)
    components = [_fit_svm(matrix, y, params, n_labels)]
    if params.nb_alpha is not None:
        components.append(_fit_nbsvm(matrix, y, params, n_labels))
    # A label absent from this fold never wins.
    missing = np.setdiff1d(np.arange(n_labels), np.unique(y))
    for _, intercept in components:
        intercept[missing] = -1e3
    return {"keep": keep, "idf": idf, "components": components}


def _decide(fitted: dict, counts: Any) -> list[NDArray[np.float64]]:
    """Decision values of each component model."""
    matrix = _tfidf(counts[:, fitted["keep"]], fitted["idf"])
    return [np.asarray(matrix @ coef.T) + intercept for coef, intercept in fitted["components"]]


def _combine(decisions: Sequence[NDArray[np.float64]], scales: Sequence[float]) -> Any:
    """The ensemble's scores: the sum of each component's scores divided by its own
    temperature, i.e. the sum of the components' calibrated log-probabilities up to a
    per-row constant (which changes neither the ranking nor the softmax)."""
    return sum(d / t for d, t in zip(decisions, scales, strict=True))


def _fit_temperature(decision: NDArray[np.float64], y: NDArray[np.intp]) -> float:
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        z = decision / math.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(z).sum(axis=1))
        return float(np.mean(log_norm - z[np.arange(len(y)), y]))

    result = minimize_scalar(nll, bounds=(-6.0, 4.0), method="bounded")
    return float(math.exp(result.x))


def _cv_report(
    cv: CrossValidation, confidence: NDArray[np.float32], target_precision: float
) -> dict:
    from sklearn.metrics import accuracy_score, f1_score

    pred = cv.decision.argmax(axis=1)
    correct = pred == cv.y
    threshold = choose_threshold(confidence, correct, target_precision)
    precision_at_threshold, coverage_at_threshold = precision_above(confidence, correct, threshold)
    per_fold = []
    for k in range(cv.folds):
        m = cv.fold_of == k
        per_fold.append(
            {
                "n": int(m.sum()),
                "macro_f1": round(float(f1_score(cv.y[m], pred[m], average="macro")), 4),
                "accuracy": round(float(accuracy_score(cv.y[m], pred[m])), 4),
                "precision_at_80_coverage": round(
                    precision_at_coverage(confidence[m], correct[m], 0.8), 4
                ),
            }
        )
    kinds = np.array(cv.kinds)
    by_kind = {}
    for kind in ("title", "detail", "both"):
        m = kinds == kind
        if m.sum() == 0:
            continue
        by_kind[kind] = {
            "n": int(m.sum()),
            "macro_f1": round(float(f1_score(cv.y[m], pred[m], average="macro")), 4),
            "accuracy": round(float(accuracy_score(cv.y[m], pred[m])), 4),
            "precision_at_80_coverage": round(
                precision_at_coverage(confidence[m], correct[m], 0.8), 4
            ),
            "coverage_at_99_precision": round(
                coverage_at_precision(confidence[m], correct[m], 0.99), 4
            ),
        }
    fold_f1 = [f["macro_f1"] for f in per_fold]
    return {
        "folds": cv.folds,
        "grouped_by_message": True,
        "macro_f1": round(float(f1_score(cv.y, pred, average="macro")), 4),
        "macro_f1_fold_mean": round(float(np.mean(fold_f1)), 4),
        "macro_f1_fold_std": round(float(np.std(fold_f1)), 4),
        "accuracy": round(float(accuracy_score(cv.y, pred)), 4),
        "precision_at_80_coverage": round(precision_at_coverage(confidence, correct, 0.8), 4),
        "coverage_at_99_precision": round(coverage_at_precision(confidence, correct, 0.99), 4),
        "threshold": threshold,
        "precision_above_threshold": round(precision_at_threshold, 4),
        "coverage_above_threshold": round(coverage_at_threshold, 4),
        "per_fold": per_fold,
        "by_kind": by_kind,
    }


def _count_matrix(features: Sequence[list[str]]) -> tuple[Any, list[str]]:
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(analyzer=lambda doc: doc, dtype=np.int32)
    counts = vectorizer.fit_transform(features).tocsr()
    return counts, [str(t) for t in vectorizer.get_feature_names_out()]


def cross_validate(
    samples: Sequence[Sample],
    params: TrainingParams = TrainingParams(),
    *,
    features: Sequence[list[str]] | None = None,
    counts: Any = None,
    labels: Sequence[str] | None = None,
) -> CrossValidation | None:
    """Out-of-fold decision values from stratified k-fold CV, with rows of the same
    message kept in one fold. ``None`` when some label has fewer than two rows."""
    from sklearn.model_selection import StratifiedGroupKFold

    from bancheng.routing.grouping import message_groups

    labels = list(labels or sorted({s.label for s in samples}))
    y = np.array([labels.index(s.label) for s in samples], dtype=np.intp)
    n_splits = min(params.folds, int(np.bincount(y, minlength=len(labels)).min()))
    if n_splits < 2:
        return None
    if counts is None:
        if features is None:
            features = [extract_features(s.title, s.detail) for s in samples]
        counts, _ = _count_matrix(features)
    groups = message_groups(
        [normalize_text(s.title) for s in samples],
        [normalize_text(s.detail) for s in samples],
        [s.label for s in samples],
    )
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=params.seed)
    n_components = 1 if params.nb_alpha is None else 2
    decisions = [
        np.zeros((len(samples), len(labels)), dtype=np.float64) for _ in range(n_components)
    ]
    fold_of = np.zeros(len(samples), dtype=np.intp)
    for k, (train_idx, test_idx) in enumerate(splitter.split(np.zeros(len(y)), y, groups)):
        fitted = _fit_linear(counts[train_idx], y[train_idx], params, len(labels))
        for decision, fold_decision in zip(
            decisions, _decide(fitted, counts[test_idx]), strict=True
        ):
            decision[test_idx] = fold_decision
        fold_of[test_idx] = k
    temperatures = [_fit_temperature(decision, y) for decision in decisions]
    return CrossValidation(
        folds=n_splits,
        decision=_combine(decisions, temperatures),
        y=y,
        fold_of=fold_of,
        kinds=[s.kind for s in samples],
        component_temperatures=temperatures,
    )


def train(
    samples: Sequence[Sample],
    params: TrainingParams = TrainingParams(),
    *,
    source: str = "",
    created_at: datetime | None = None,
) -> RoutingModel:
    """Cross-validate (for calibration, the threshold and the reported figures), then fit
    on all rows."""
    samples = list(samples)
    labels = sorted({s.label for s in samples})
    if len(labels) < 2:
        raise RoutingDataError("training needs at least two labels")
    features = [extract_features(s.title, s.detail) for s in samples]
    counts, terms = _count_matrix(features)
    cv = cross_validate(samples, params, counts=counts, labels=labels)
    n_components = 1 if params.nb_alpha is None else 2
    if cv is not None:
        component_temperatures = cv.component_temperatures
        temperature = _fit_temperature(cv.decision, cv.y)
        margin_fit = _fit_margin(cv.decision, cv.y) if params.margin_confidence else None
        oof_confidence = (
            _calibrated(cv.decision, temperature, margin_fit).max(axis=1).astype(np.float32)
        )
        oof_correct = cv.decision.argmax(axis=1) == cv.y
        report: dict[str, Any] | None = _cv_report(cv, oof_confidence, params.target_precision)
    else:
        component_temperatures = [1.0] * n_components
        temperature = 1.0
        margin_fit = None
        report = None
        oof_confidence = np.zeros(0, dtype=np.float32)
        oof_correct = np.zeros(0, dtype=bool)
    y = np.array([labels.index(s.label) for s in samples], dtype=np.intp)
    fitted = _fit_linear(counts, y, params, len(labels))
    coef = _combine([c for c, _ in fitted["components"]], component_temperatures)
    intercept = _combine([b for _, b in fitted["components"]], component_temperatures)
    vocabulary = [terms[i] for i in fitted["keep"]]
    created = (created_at or datetime.now(UTC)).astimezone(UTC)
    fingerprint = data_fingerprint(samples)
    threshold = (
        choose_threshold(oof_confidence, oof_correct, params.target_precision)
        if oof_confidence.size
        else None
    )
    meta = {
        "format": FORMAT,
        "version": f"{created:%Y%m%d-%H%M%S}-{fingerprint[:8]}",
        "created_at": created.isoformat(timespec="seconds"),
        "source": source,
        "data_sha256": fingerprint,
        "n_samples": len(samples),
        "samples_by_kind": dict(sorted(Counter(s.kind for s in samples).items())),
        "samples_by_label": dict(sorted(Counter(s.label for s in samples).items())),
        "labels": labels,
        "params": asdict(params),
        "features": {
            "char_ngrams": list(CHAR_NGRAMS),
            "words": "jieba",
            "max_detail_chars": MAX_DETAIL_CHARS,
            "max_word_chars": MAX_WORD_CHARS,
            "vocabulary_size": len(vocabulary),
        },
        "model": "svm" if params.nb_alpha is None else "svm+nbsvm",
        "component_temperatures": component_temperatures,
        "temperature": temperature,
        "margin_calibration": margin_fit,
        "target_precision": params.target_precision,
        "threshold": threshold,
        "cv": report,
    }
    return RoutingModel(
        labels=labels,
        vocabulary=vocabulary,
        idf=fitted["idf"],
        coef=coef,
        intercept=intercept,
        temperature=temperature,
        oof_confidence=oof_confidence,
        oof_correct=oof_correct,
        meta=meta,
    )


def train_from_dir(directory: Path, params: TrainingParams = TrainingParams()) -> RoutingModel:
    return train(read_data_dir(directory), params, source=f"dir:{directory.name}")


def train_from_cases(
    rows: Iterable[tuple[str | None, str | None, str]], params: TrainingParams = TrainingParams()
) -> RoutingModel:
    """Train from (title, description, department) of resolved cases."""
    samples = samples_from_rows(rows)
    if not samples:
        raise RoutingDataError("no resolved cases to train from")
    return train(samples, params, source="cases")
