"""The trained model: prediction (pure numpy), calibration and the ``model.npz`` artefact."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bancheng.routing.classifier.data import RoutingDataError
from bancheng.routing.classifier.features import _features_normalized, normalize_text
from bancheng.routing.threshold import choose_threshold

FORMAT = "bancheng-routing-linear/1"
MODEL_FILE = "model.npz"
META_FILE = "meta.json"


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
