"""Routing classifier: a citizen message (title and/or detail) to its subject category.

The model is a linear SVM plus an NB-SVM over TF-IDF weighted character 1-3-grams and
jieba words, merged into one weight matrix (each scaled by its own out-of-fold
temperature). The top label's confidence is a logistic function of its margin over the
runner-up, fitted on out-of-fold scores; the other labels share the rest by softmax.
Training rows may carry a title, a detail, or both; both go into one text, so title-only
and detail-only rows teach the same weights.

Artefacts are one compressed ``model.npz`` (vocabulary, IDF, float16 weights, the
out-of-fold confidences used to choose the auto-dispatch threshold, and the metadata
as JSON); prediction needs only numpy and jieba, not scikit-learn.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import math
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bancheng.routing.threshold import (
    choose_threshold,
    coverage_at_precision,
    precision_above,
    precision_at_coverage,
)

FORMAT = "bancheng-routing-linear/1"
MODEL_FILE = "model.npz"
META_FILE = "meta.json"

# Long details add little signal after the first paragraphs but cost time: jieba's cost
# grows with length, so words come from a shorter prefix than character n-grams. With
# these caps the longest messages take about 3.3 ms of CPU (2,000 / 1,000 took 7 ms) at
# no measurable cost in cross-validation (docs/routing.md).
MAX_DETAIL_CHARS = 1000
MAX_WORD_CHARS = 500
CHAR_NGRAMS = (1, 2, 3)
WORD_PREFIX = "w:"
JOINER = "。"

TITLE_COLUMNS = ("title",)
DETAIL_COLUMNS = ("detail", "description")
LABEL_COLUMNS = ("category", "label", "department")

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACE = re.compile(r"\s+")


class RoutingDataError(ValueError):
    """Training or evaluation data that cannot be used."""


@dataclass(frozen=True)
class Sample:
    title: str
    detail: str
    label: str

    @property
    def kind(self) -> str:
        if self.title and self.detail:
            return "both"
        return "title" if self.title else "detail"


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


@dataclass(frozen=True)
class Suggestion:
    """Ranked labels with calibrated confidences, and whether to dispatch without a clerk."""

    ranked: list[tuple[str, float]]
    auto_dispatch: bool
    threshold: float | None

    @property
    def label(self) -> str:
        return self.ranked[0][0]

    @property
    def confidence(self) -> float:
        return self.ranked[0][1]


# --------------------------------------------------------------------------- text


def normalize_text(text: str | None) -> str:
    """NFKC (full-width to half-width), lower case, control characters and runs of
    whitespace to one space."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text)
    return _SPACE.sub(" ", text).strip().lower()


@lru_cache(maxsize=1)
def _jieba() -> Any:
    with warnings.catch_warnings():
        # jieba's source has invalid escape sequences; compiling it warns.
        warnings.simplefilter("ignore", (DeprecationWarning, SyntaxWarning))
        import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba.dt


def _features_normalized(title: str, detail: str) -> list[str]:
    detail = detail[:MAX_DETAIL_CHARS]
    text = f"{title}{JOINER}{detail}" if title and detail else (title or detail)
    features = [text[i : i + n] for n in CHAR_NGRAMS for i in range(len(text) - n + 1)]
    tokenizer = _jieba()
    for part in (title, detail[:MAX_WORD_CHARS]):
        if part:
            features.extend(WORD_PREFIX + w for w in tokenizer.lcut(part) if w.strip())
    return features


def extract_features(title: str | None, detail: str | None) -> list[str]:
    """The model's tokens for one message: character 1-3-grams of title + detail and the
    jieba words of each, prefixed ``w:``."""
    return _features_normalized(normalize_text(title), normalize_text(detail))


# --------------------------------------------------------------------------- data


def _pick(fieldnames: Sequence[str], candidates: Sequence[str]) -> str | None:
    lowered = {name.strip().lower(): name for name in fieldnames}
    for candidate in candidates:
        if candidate in lowered:
            return lowered[candidate]
    return None


def read_csv_samples(path: Path, *, require_label: bool = True) -> list[Sample]:
    """Rows of a CSV with a label column (category/label/department) and a title and/or
    detail column. Rows with neither text are skipped; a missing label is an error
    unless ``require_label`` is false (then the label is "")."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames or []
        title_col = _pick(fields, TITLE_COLUMNS)
        detail_col = _pick(fields, DETAIL_COLUMNS)
        label_col = _pick(fields, LABEL_COLUMNS)
        if title_col is None and detail_col is None:
            raise RoutingDataError(f"{path}: no title or detail column")
        if label_col is None and require_label:
            raise RoutingDataError(f"{path}: no category column")
        samples = []
        for line, row in enumerate(reader, start=2):
            title = (row.get(title_col) or "").strip() if title_col else ""
            detail = (row.get(detail_col) or "").strip() if detail_col else ""
            label = (row.get(label_col) or "").strip() if label_col else ""
            if not title and not detail:
                continue
            if require_label and not label:
                raise RoutingDataError(f"{path}:{line}: empty category")
            samples.append(Sample(title, detail, label))
    return samples


def read_data_dir(directory: Path) -> list[Sample]:
    """Every CSV in ``directory`` (sorted by name) that has a category column and a title
    or detail column; other CSVs (a taxonomy, say) are ignored."""
    if not directory.is_dir():
        raise RoutingDataError(f"{directory} is not a directory")
    samples: list[Sample] = []
    for path in sorted(directory.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            fields = next(csv.reader(handle), [])
        if _pick(fields, LABEL_COLUMNS) is None:
            continue
        if _pick(fields, TITLE_COLUMNS) is None and _pick(fields, DETAIL_COLUMNS) is None:
            continue
        samples.extend(read_csv_samples(path))
    if not samples:
        raise RoutingDataError(f"{directory}: no CSV with title/detail and category")
    return samples


def samples_from_rows(rows: Iterable[tuple[str | None, str | None, str]]) -> list[Sample]:
    """(title, description, label) tuples, e.g. resolved cases and their department."""
    samples = []
    for title, detail, label in rows:
        title, detail, label = (title or "").strip(), (detail or "").strip(), label.strip()
        if label and (title or detail):
            samples.append(Sample(title, detail, label))
    return samples


def data_fingerprint(samples: Sequence[Sample]) -> str:
    digest = hashlib.sha256()
    for s in samples:
        digest.update(f"{s.title}\x1f{s.detail}\x1f{s.label}\x1e".encode())
    return digest.hexdigest()


# --------------------------------------------------------------------------- model


def _softmax(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = scores - scores.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def _margins(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    """Top score minus the runner-up's, per row."""
    top2 = np.sort(scores, axis=-1)[..., -2:]
    return np.asarray(top2[..., 1] - top2[..., 0], dtype=np.float64)


def _calibrated(
    scores: NDArray[np.float64], temperature: float, margin_fit: Sequence[float] | None
) -> NDArray[np.float64]:
    """Probabilities from raw scores (one row per case, or one case).

    Without ``margin_fit``: ``softmax(scores / temperature)``. With ``(a, b)``: the top
    label gets ``sigmoid(a * margin + b)``, the out-of-fold probability that a prediction
    with that margin over the runner-up is right, and the other labels share the rest in
    proportion to their softmax. The margin ranks predictions by reliability better than
    the softmax maximum, and is better calibrated (see docs/routing.md). Where the margin
    is nearly zero the top label keeps at least the runner-up's share, so the
    probabilities stay in the order of the scores."""
    if margin_fit is None:
        return _softmax(scores / temperature)
    a, b = margin_fit
    raw = np.atleast_2d(scores)
    top = raw.argmax(axis=1)
    at = np.arange(raw.shape[0])
    others = raw / temperature
    others[at, top] = -np.inf
    share = _softmax(others)  # the other labels' softmax among themselves
    confidence = 1.0 / (1.0 + np.exp(-(a * _margins(raw) + b)))
    runner_up = share.max(axis=1)
    confidence = np.maximum(confidence, runner_up / (1.0 + runner_up))
    rows = share * (1.0 - confidence)[:, None]
    rows[at, top] = confidence
    return rows.reshape(np.shape(scores))


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


class RoutingModel:
    """A trained classifier. ``predict`` is pure numpy over the stored arrays."""

    def __init__(
        self,
        *,
        labels: Sequence[str],
        vocabulary: Sequence[str],
        idf: NDArray[np.floating[Any]],
        coef: NDArray[np.floating[Any]],
        intercept: NDArray[np.floating[Any]],
        temperature: float,
        oof_confidence: NDArray[np.floating[Any]],
        oof_correct: NDArray[np.bool_],
        meta: dict[str, Any],
    ) -> None:
        self.labels = tuple(labels)
        self.vocabulary = tuple(vocabulary)
        self._index = {term: i for i, term in enumerate(self.vocabulary)}
        self.idf = np.asarray(idf, dtype=np.float32)
        # Stored as float16; kept (n_features, n_labels) so one case gathers few rows.
        self.coef_f16 = np.asarray(coef, dtype=np.float16)
        self._weights = np.ascontiguousarray(self.coef_f16.T, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self.temperature = float(temperature)
        self.oof_confidence = np.asarray(oof_confidence, dtype=np.float32)
        self.oof_correct = np.asarray(oof_correct, dtype=bool)
        self.meta = meta
        fit = meta.get("margin_calibration")
        self.margin_fit: tuple[float, float] | None = (
            None if fit is None else (float(fit[0]), float(fit[1]))
        )
        if self.coef_f16.shape != (len(self.labels), len(self.vocabulary)):
            raise ValueError("coef shape does not match labels x vocabulary")

    # ---- metadata

    @property
    def version(self) -> str:
        return str(self.meta["version"])

    @property
    def threshold(self) -> float | None:
        """The auto-dispatch threshold chosen at training time."""
        value = self.meta.get("threshold")
        return None if value is None else float(value)

    @property
    def target_precision(self) -> float:
        return float(self.meta.get("target_precision", 0.99))

    def threshold_for(self, target_precision: float) -> float | None:
        """The threshold for another target precision, from the same out-of-fold data."""
        if self.oof_confidence.size == 0:
            return None
        return choose_threshold(self.oof_confidence, self.oof_correct, target_precision)

    # ---- prediction

    def _vector(self, title: str, detail: str) -> tuple[NDArray[np.intp], NDArray[np.float32]]:
        index = self._index
        ids = [i for i in map(index.get, _features_normalized(title, detail)) if i is not None]
        if not ids:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float32)
        idx, tf = np.unique(np.array(ids, dtype=np.intp), return_counts=True)
        values: NDArray[np.float32] = (
            (np.log(tf.astype(np.float32)) + np.float32(1.0)) * self.idf[idx]
        ).astype(np.float32)
        values /= np.float32(np.sqrt(np.dot(values, values)))
        return idx, values

    def scores(self, title: str | None, detail: str | None) -> NDArray[np.float64]:
        """Raw linear scores, one per label."""
        idx, values = self._vector(normalize_text(title), normalize_text(detail))
        out = self.intercept.astype(np.float64)
        if idx.size:
            out = out + values @ self._weights[idx]
        return out

    def probabilities(self, title: str | None, detail: str | None) -> NDArray[np.float64]:
        return _calibrated(self.scores(title, detail), self.temperature, self.margin_fit)

    def predict(
        self, title: str | None, detail: str | None = None, top: int | None = None
    ) -> list[tuple[str, float]]:
        """Labels ranked by calibrated confidence (highest first)."""
        probs = self.probabilities(title, detail)
        order = np.argsort(-probs, kind="stable")
        if top is not None:
            order = order[:top]
        return [(self.labels[i], float(probs[i])) for i in order]

    def suggest(
        self,
        title: str | None,
        detail: str | None = None,
        *,
        target_precision: float | None = None,
        top: int | None = None,
    ) -> Suggestion:
        """Ranked suggestions plus the auto-dispatch decision (confidence >= threshold)."""
        threshold = (
            self.threshold
            if target_precision is None or target_precision == self.target_precision
            else self.threshold_for(target_precision)
        )
        ranked = self.predict(title, detail, top=top)
        auto = threshold is not None and ranked[0][1] >= threshold
        return Suggestion(ranked=ranked, auto_dispatch=auto, threshold=threshold)

    # ---- persistence

    def _meta_json(self) -> str:
        return json.dumps(self.meta, ensure_ascii=False, indent=2, sort_keys=True)

    def to_bytes(self) -> bytes:
        """The ``model.npz`` artefact as bytes (e.g. to store it in the database)."""
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            vocabulary=np.frombuffer("\n".join(self.vocabulary).encode(), dtype=np.uint8),
            labels=np.frombuffer("\n".join(self.labels).encode(), dtype=np.uint8),
            idf=self.idf,
            coef=self.coef_f16,
            intercept=self.intercept,
            temperature=np.array([self.temperature], dtype=np.float64),
            oof_confidence=self.oof_confidence,
            oof_correct=self.oof_correct,
            meta=np.frombuffer(self._meta_json().encode(), dtype=np.uint8),
        )
        return buffer.getvalue()

    def save(self, path: Path) -> Path:
        """Write ``model.npz`` (everything) and ``meta.json`` (a readable copy of the
        metadata) into directory ``path``; returns the ``model.npz`` path."""
        path.mkdir(parents=True, exist_ok=True)
        target = path / MODEL_FILE
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(self.to_bytes())
        tmp.replace(target)
        (path / META_FILE).write_text(self._meta_json() + "\n", encoding="utf-8")
        return target

    @classmethod
    def from_bytes(cls, data: bytes) -> RoutingModel:
        return cls._from_npz(io.BytesIO(data))

    @classmethod
    def load(cls, path: Path | Traversable) -> RoutingModel:
        """Load from a ``model.npz`` file or a directory holding one."""
        if path.is_dir():
            path = path / MODEL_FILE
        with path.open("rb") as handle:
            return cls._from_npz(handle)

    @classmethod
    def _from_npz(cls, handle: Any) -> RoutingModel:
        with np.load(handle, allow_pickle=False) as data:
            meta = json.loads(data["meta"].tobytes().decode())
            if meta.get("format") != FORMAT:
                raise RoutingDataError(f"unsupported routing model format {meta.get('format')}")
            vocabulary_text = data["vocabulary"].tobytes().decode()
            return cls(
                labels=data["labels"].tobytes().decode().split("\n"),
                vocabulary=vocabulary_text.split("\n") if vocabulary_text else [],
                idf=data["idf"],
                coef=data["coef"],
                intercept=data["intercept"],
                temperature=float(data["temperature"][0]),
                oof_confidence=data["oof_confidence"],
                oof_correct=data["oof_correct"],
                meta=meta,
            )


# --------------------------------------------------------------------------- training


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


# --------------------------------------------------------------------------- registry

ACTIVE_FILE = "active"
DEFAULT_MODEL_PACKAGE = "bancheng.routing.default_model"


def models_root(data_dir: Path | None = None) -> Path:
    """``<data dir>/models/routing``: one sub-directory per model version."""
    if data_dir is None:
        from bancheng.core.config import get_settings

        data_dir = get_settings().data_dir
    return data_dir / "models" / "routing"


def save_version(model: RoutingModel, root: Path, *, activate: bool = True) -> Path:
    """Store ``model`` under ``root/<version>/`` and optionally make it the active one."""
    directory = root / model.version
    model.save(directory)
    if activate:
        activate_version(model.version, root)
    return directory


def activate_version(version: str, root: Path) -> None:
    if not (root / version / MODEL_FILE).is_file():
        raise RoutingDataError(f"no routing model version {version!r} in {root}")
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{ACTIVE_FILE}.tmp"
    tmp.write_text(version + "\n", encoding="utf-8")
    tmp.replace(root / ACTIVE_FILE)


def active_version(root: Path) -> str | None:
    try:
        version = (root / ACTIVE_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return version or None


def list_versions(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / MODEL_FILE).is_file())


def default_model_resource() -> Traversable:
    return resources.files(DEFAULT_MODEL_PACKAGE).joinpath(MODEL_FILE)


@lru_cache(maxsize=1)
def load_default_model() -> RoutingModel:
    """The model shipped in the package (trained on the public routing data)."""
    return RoutingModel.load(default_model_resource())


_loaded: dict[str, RoutingModel] = {}


def load_active_model(root: Path | None = None) -> RoutingModel:
    """The active versioned model under ``root`` (default: the data dir's), or the shipped
    default when none is active. Loaded models are cached by path; switching the active
    version takes effect on the next call."""
    root = models_root() if root is None else root
    version = active_version(root)
    if version is None:
        return load_default_model()
    path = root / version / MODEL_FILE
    key = str(path.resolve())
    model = _loaded.get(key)
    if model is None:
        model = RoutingModel.load(path)
        _loaded.clear()
        _loaded[key] = model
    return model
