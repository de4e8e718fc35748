"""Metrics of a routing model on labelled messages."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from bancheng.routing.classifier import RoutingModel, Sample
from bancheng.routing.threshold import coverage_at_precision, precision_at_coverage


def accuracy(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    if len(y_true) != len(y_pred):
        raise ValueError("y_true and y_pred must have the same length")
    if not y_true:
        return 0.0
    return sum(t == p for t, p in zip(y_true, y_pred, strict=True)) / len(y_true)


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """Unweighted mean of per-label F1 over every label that occurs in either sequence
    (a label never predicted and never true does not count; F1 of a label with no true
    and no correct predictions is 0)."""
    if len(y_true) != len(y_pred):
        raise ValueError("y_true and y_pred must have the same length")
    labels = sorted(set(y_true) | set(y_pred))
    if not labels:
        return 0.0
    scores = []
    for label in labels:
        tp = sum(t == label and p == label for t, p in zip(y_true, y_pred, strict=True))
        fp = sum(t != label and p == label for t, p in zip(y_true, y_pred, strict=True))
        fn = sum(t == label and p != label for t, p in zip(y_true, y_pred, strict=True))
        denominator = 2 * tp + fp + fn
        scores.append(2 * tp / denominator if denominator else 0.0)
    return float(np.mean(scores))


def precision_at_80_coverage(confidence: Sequence[float], correct: Sequence[bool]) -> float:
    """Precision of the 80% most confident predictions."""
    return precision_at_coverage(confidence, correct, 0.8)


def coverage_at_99_precision(confidence: Sequence[float], correct: Sequence[bool]) -> float:
    """Largest fraction of most-confident predictions whose precision is at least 0.99."""
    return coverage_at_precision(confidence, correct, 0.99)


def per_label(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Precision, recall and support of every label that occurs in either sequence
    (precision of a label never predicted is 0)."""
    out: dict[str, dict[str, Any]] = {}
    for label in sorted(set(y_true) | set(y_pred)):
        tp = sum(t == label and p == label for t, p in zip(y_true, y_pred, strict=True))
        predicted = sum(p == label for p in y_pred)
        support = sum(t == label for t in y_true)
        out[label] = {
            "precision": round(tp / predicted, 4) if predicted else 0.0,
            "recall": round(tp / support, 4) if support else 0.0,
            "support": support,
        }
    return out


def evaluate(model: RoutingModel, samples: Sequence[Sample]) -> dict[str, Any]:
    """The headline figures, coverage at 95 % and 99 % precision, and precision and recall
    per category. Each case is predicted on its own, as at the window, and
    ``ms_per_case`` is the mean wall time of those single-case predictions."""
    if not samples:
        raise ValueError("no samples to evaluate")
    model.predict("预热", "")  # load jieba's dictionary outside the timed loop
    predicted: list[str] = []
    confidence: list[float] = []
    elapsed = 0.0
    for sample in samples:
        start = time.perf_counter()
        label, conf = model.predict(sample.title, sample.detail, top=1)[0]
        elapsed += time.perf_counter() - start
        predicted.append(label)
        confidence.append(conf)
    truth = [s.label for s in samples]
    correct = [t == p for t, p in zip(truth, predicted, strict=True)]
    return {
        "macro_f1": round(macro_f1(truth, predicted), 4),
        "accuracy": round(accuracy(truth, predicted), 4),
        "precision_at_80_coverage": round(precision_at_80_coverage(confidence, correct), 4),
        "coverage_at_95_precision": round(coverage_at_precision(confidence, correct, 0.95), 4),
        "coverage_at_99_precision": round(coverage_at_99_precision(confidence, correct), 4),
        "ms_per_case": round(1000.0 * elapsed / len(samples), 3),
        "per_category": per_label(truth, predicted),
    }
