"""How likely the top label is right: a small logistic model over the classifier's scores.

The shipped classifier's confidence used to be one logistic curve of the top-2 margin for
every case. Cases differ in how far a margin can be trusted: a title of twelve characters
with a margin of 1.0 is less certain than a long detail with the same margin, and the
labels differ (城乡建设 absorbs many neighbours' cases). This model predicts "the top label
is right" from the margin, the top and runner-up scores, the kind of text (title only,
detail only, both) and its length, each also per predicted label, fitted on out-of-fold
scores. Applying it costs a dot product of about fifty numbers; it is stored as plain
arrays in the model artefact (no pickle).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

KINDS = ("title", "detail", "both")


def text_length_feature(title: str, detail: str, max_detail: int = 1000) -> float:
    return float(np.log1p(len(title) + len(detail[:max_detail])))


def confidence_features(
    combined: NDArray[np.float64], kinds: Sequence[str], lengths: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Per row: margin, top score, runner-up score, length, kind one-hot."""
    scores = np.atleast_2d(combined)
    top2 = np.sort(scores, axis=1)[:, -2:]
    kind = np.array([[k == name for name in KINDS] for k in kinds], dtype=np.float64)
    return np.column_stack(
        [top2[:, 1] - top2[:, 0], top2[:, 1], top2[:, 0], np.asarray(lengths, float), kind]
    )


def _design(base: NDArray[np.float64], predicted: NDArray[np.intp], n_labels: int, per_label: bool):
    if not per_label:
        return base
    onehot = np.zeros((base.shape[0], n_labels))
    onehot[np.arange(base.shape[0]), predicted] = 1.0
    # Shared terms, plus a per-label intercept and per-label margin and length slopes.
    return np.column_stack([base, onehot, onehot * base[:, :1], onehot * base[:, 3:4]])


@dataclass(frozen=True)
class ConfidenceModel:
    mean: NDArray[np.float64]
    scale: NDArray[np.float64]
    coef: NDArray[np.float64]
    intercept: float
    n_labels: int
    per_label: bool

    @classmethod
    def fit(
        cls,
        decisions: Sequence[NDArray[np.float64]] | None,
        combined: NDArray[np.float64],
        y: NDArray[np.intp],
        kinds: Sequence[str],
        lengths: NDArray[np.float64],
        *,
        per_label: bool = True,
        c: float = 1.0,
    ) -> ConfidenceModel:
        from sklearn.linear_model import LogisticRegression

        predicted = combined.argmax(axis=1)
        correct = predicted == y
        x = _design(
            confidence_features(combined, kinds, lengths), predicted, combined.shape[1], per_label
        )
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale == 0] = 1.0
        fit = LogisticRegression(C=c, max_iter=2000)
        fit.fit((x - mean) / scale, correct)
        return cls(
            mean=mean,
            scale=scale,
            coef=fit.coef_[0].astype(np.float64),
            intercept=float(fit.intercept_[0]),
            n_labels=int(combined.shape[1]),
            per_label=per_label,
        )

    def confidence(
        self, base: NDArray[np.float64], predicted: NDArray[np.intp]
    ) -> NDArray[np.float64]:
        x = _design(np.atleast_2d(base), np.atleast_1d(predicted), self.n_labels, self.per_label)
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))
