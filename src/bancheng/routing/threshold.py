"""Selective prediction: how far down the confidence ranking predictions can be trusted.

A prediction is dispatched automatically when its confidence is at least the threshold.
The threshold is chosen on out-of-fold validation predictions: the smallest confidence
such that the predictions at or above it reach the target precision. Predictions of
equal confidence are never split, since a threshold cannot separate them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Absolute slack when comparing a precision with its target, so that 99 right out of
# 100 meets 0.99 despite floating point.
_EPS = 1e-9


def _ranked(
    confidence: ArrayLike, correct: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    conf = np.asarray(confidence, dtype=np.float64).ravel()
    ok = np.asarray(correct, dtype=bool).ravel()
    if conf.shape != ok.shape:
        raise ValueError("confidence and correct must have the same length")
    order = np.argsort(-conf, kind="stable")
    return conf[order], ok[order]


def _tie_boundaries(sorted_conf: NDArray[np.float64]) -> NDArray[np.intp]:
    """Prefix lengths k (1..n) that end where the confidence changes, or at the end."""
    n = sorted_conf.size
    ends = np.flatnonzero(sorted_conf[:-1] != sorted_conf[1:]) + 1
    return np.append(ends, n).astype(np.intp)


def _best_prefix(
    confidence: ArrayLike, correct: ArrayLike, target_precision: float
) -> tuple[int, NDArray[np.float64]]:
    """The largest prefix of the ranking (at a tie boundary) whose precision meets the
    target, and the sorted confidences; 0 when there is none."""
    if not 0.0 < target_precision <= 1.0:
        raise ValueError("target_precision must be in (0, 1]")
    conf, ok = _ranked(confidence, correct)
    if conf.size == 0:
        return 0, conf
    ks = _tie_boundaries(conf)
    hits = np.cumsum(ok)[ks - 1]
    meets = hits >= target_precision * ks - _EPS
    if not meets.any():
        return 0, conf
    return int(ks[np.flatnonzero(meets)[-1]]), conf


def choose_threshold(
    confidence: ArrayLike, correct: ArrayLike, target_precision: float = 0.99
) -> float | None:
    """The smallest confidence threshold whose predictions (confidence >= threshold) have
    precision >= ``target_precision``; ``None`` when no threshold reaches it (never
    dispatch automatically)."""
    k, conf = _best_prefix(confidence, correct, target_precision)
    if k == 0:
        return None
    return float(conf[k - 1])


def coverage_at_precision(
    confidence: ArrayLike, correct: ArrayLike, target_precision: float = 0.99
) -> float:
    """The largest fraction of the most confident predictions whose precision is at
    least ``target_precision`` (0.0 when even the most confident ones miss it)."""
    k, conf = _best_prefix(confidence, correct, target_precision)
    if conf.size == 0:
        return 0.0
    return k / conf.size


def precision_at_coverage(
    confidence: ArrayLike, correct: ArrayLike, coverage: float = 0.8
) -> float:
    """Precision of the ``ceil(coverage * n)`` most confident predictions (ties keep the
    input order)."""
    if not 0.0 < coverage <= 1.0:
        raise ValueError("coverage must be in (0, 1]")
    _, ok = _ranked(confidence, correct)
    if ok.size == 0:
        return 0.0
    k = max(1, int(np.ceil(coverage * ok.size - _EPS)))
    return float(ok[:k].mean())


def precision_above(
    confidence: Sequence[float] | ArrayLike, correct: ArrayLike, threshold: float | None
) -> tuple[float, float]:
    """(precision, coverage) of the predictions with confidence >= ``threshold``."""
    conf = np.asarray(confidence, dtype=np.float64).ravel()
    ok = np.asarray(correct, dtype=bool).ravel()
    if threshold is None or conf.size == 0:
        return 0.0, 0.0
    mask = conf >= threshold
    if not mask.any():
        return 0.0, 0.0
    return float(ok[mask].mean()), float(mask.mean())
