"""Routing experiments for the auto-dispatch objective: coverage at 99 % precision on
whole messages, under grouped cross-validation, with macro-F1 as a floor.

    nice -n 15 uv run python bench/routing_experiments.py [--seed 0] [--only NAME,...]

A *whole message* is one group of ``bancheng.routing.grouping`` (a title row and the
detail row of the same message, or a lone row) with all the text it has. Every variant
trains on the training folds' rows (as ``routing train`` does) and is scored once per
whole message of the test fold. Confidence variants are fitted on the out-of-fold scores
by cross-fitting (fitted on four folds' out-of-fold scores, applied to the fifth), so no
figure is fitted on the messages it scores. Prints one JSON line per variant.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import StratifiedGroupKFold

from bancheng.routing.classifier import (
    Sample,
    TrainingParams,
    _calibrated,
    _combine,
    _count_matrix,
    _decide,
    _fit_linear,
    _fit_margin,
    _fit_temperature,
    extract_features,
    normalize_text,
    read_csv_samples,
    read_data_dir,
)
from bancheng.routing.confidence import ConfidenceModel, confidence_features, text_length_feature
from bancheng.routing.grouping import message_groups
from bancheng.routing.threshold import coverage_at_precision, precision_at_coverage

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def whole_messages(samples: Sequence[Sample], groups: NDArray[np.int64]) -> list[Sample]:
    """One sample per group: its first title and its first detail."""
    out: dict[int, list[str]] = {}
    for s, g in zip(samples, groups, strict=True):
        entry = out.setdefault(int(g), ["", "", s.label])
        if s.title and not entry[0]:
            entry[0] = s.title
        if s.detail and not entry[1]:
            entry[1] = s.detail
    return [Sample(t, d, label) for t, d, label in (out[g] for g in sorted(out))]


def unlabeled_messages(known_titles: set[str]) -> list[Sample]:
    rows: list[Sample] = []
    seen: set[str] = set()
    for name in ("messages_with_replies.csv", "hot_issue_messages.csv"):
        path = DATA / "demo" / name
        if not path.is_file():
            continue
        for s in read_csv_samples(path, require_label=False):
            key = normalize_text(s.title) + "|" + normalize_text(s.detail)[:80]
            if normalize_text(s.title) in known_titles or key in seen:
                continue
            seen.add(key)
            rows.append(Sample(s.title, s.detail, ""))
    return rows


def macro_f1(y: NDArray[np.intp], pred: NDArray[np.intp], n_labels: int) -> float:
    scores = []
    for c in range(n_labels):
        tp = int(((pred == c) & (y == c)).sum())
        fp = int(((pred == c) & (y != c)).sum())
        fn = int(((pred != c) & (y == c)).sum())
        d = 2 * tp + fp + fn
        scores.append(2 * tp / d if d else 0.0)
    return float(np.mean(scores))


def figures(
    y: NDArray[np.intp], pred: NDArray[np.intp], conf: NDArray[np.float64], fold: NDArray[np.intp]
) -> dict[str, Any]:
    correct = pred == y
    n_labels = int(max(y.max(), pred.max()) + 1)
    per_fold = [
        round(macro_f1(y[fold == k], pred[fold == k], n_labels), 4) for k in np.unique(fold)
    ]
    return {
        "macro_f1": round(macro_f1(y, pred, n_labels), 4),
        "macro_f1_folds": per_fold,
        "accuracy": round(float(correct.mean()), 4),
        "precision_at_80_coverage": round(precision_at_coverage(conf, correct, 0.8), 4),
        "coverage_at_95_precision": round(coverage_at_precision(conf, correct, 0.95), 4),
        "coverage_at_99_precision": round(coverage_at_precision(conf, correct, 0.99), 4),
    }


def cross_fit_confidence(
    decisions: list[NDArray[np.float64]],
    combined: NDArray[np.float64],
    y: NDArray[np.intp],
    fold: NDArray[np.intp],
    kinds: Sequence[str],
    lengths: NDArray[np.float64],
    mode: str,
) -> NDArray[np.float64]:
    """Confidence of the top label for every row, each fold's from a calibrator fitted
    on the other folds' out-of-fold scores."""
    out = np.zeros(len(y))
    for k in np.unique(fold):
        fit_rows, apply_rows = fold != k, fold == k
        if mode == "margin":
            temperature = _fit_temperature(combined[fit_rows], y[fit_rows])
            margin = _fit_margin(combined[fit_rows], y[fit_rows])
            out[apply_rows] = _calibrated(combined[apply_rows], temperature, margin).max(axis=1)
        else:
            model = ConfidenceModel.fit(
                [d[fit_rows] for d in decisions],
                combined[fit_rows],
                y[fit_rows],
                [kinds[i] for i in np.flatnonzero(fit_rows)],
                lengths[fit_rows],
                per_label=mode != "features_global",
            )
            out[apply_rows] = model.confidence(
                confidence_features(
                    combined[apply_rows],
                    [kinds[i] for i in np.flatnonzero(apply_rows)],
                    lengths[apply_rows],
                ),
                combined[apply_rows].argmax(axis=1),
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="")
    parser.add_argument("--pseudo-min", type=float, default=0.97)
    args = parser.parse_args()
    started = time.perf_counter()
    samples = read_data_dir(DATA / "routing")
    labels = sorted({s.label for s in samples})
    groups = message_groups(
        [normalize_text(s.title) for s in samples],
        [normalize_text(s.detail) for s in samples],
        [s.label for s in samples],
    )
    messages = whole_messages(samples, groups)
    group_ids = np.array(sorted(set(groups.tolist())))
    unlabeled = unlabeled_messages({normalize_text(s.title) for s in samples if s.title})
    everything = list(samples) + messages + unlabeled
    cache = ROOT / "bench" / "out" / f"routing_exp_counts_{len(everything)}.npz"
    if cache.is_file():
        from scipy.sparse import load_npz

        counts = load_npz(cache).tocsr()
    else:
        from scipy.sparse import save_npz

        counts, _ = _count_matrix([extract_features(s.title, s.detail) for s in everything])
        cache.parent.mkdir(parents=True, exist_ok=True)
        save_npz(cache, counts)
    n_rows, n_msg = len(samples), len(messages)
    rows_counts = counts[:n_rows]
    msg_counts = counts[n_rows : n_rows + n_msg]
    unl_counts = counts[n_rows + n_msg :]
    y_rows = np.array([labels.index(s.label) for s in samples])
    y_msg = np.array([labels.index(s.label) for s in messages])
    msg_kinds = [s.kind for s in messages]
    msg_lengths = np.array(
        [text_length_feature(normalize_text(s.title), normalize_text(s.detail)) for s in messages]
    )
    group_of_msg = {int(g): i for i, g in enumerate(group_ids)}
    print(
        json.dumps(
            {
                "rows": n_rows,
                "messages": n_msg,
                "messages_by_kind": {k: msg_kinds.count(k) for k in ("title", "detail", "both")},
                "unlabeled": len(unlabeled),
                "features_seconds": round(time.perf_counter() - started, 1),
            }
        ),
        flush=True,
    )
    splitter = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=args.seed)
    folds = list(splitter.split(np.zeros(n_msg), y_msg, group_ids))
    fold_of = np.zeros(n_msg, dtype=np.intp)
    for k, (_, test) in enumerate(folds):
        fold_of[test] = k
    row_fold = np.array([fold_of[group_of_msg[int(g)]] for g in groups])
    both = np.array([k == "both" for k in msg_kinds])
    params = TrainingParams(seed=args.seed)

    variants: dict[str, dict[str, Any]] = {
        "rows": {},
        "rows+whole": {"whole": True},
        "rows+whole+self": {"whole": True, "self": True},
        "rows+self": {"self": True},
        "rows+whole+self2": {"whole": True, "self": True, "rounds": 2},
    }
    only = [v for v in args.only.split(",") if v]
    for name, spec in variants.items():
        if only and name not in only:
            continue
        t0 = time.perf_counter()
        decisions = [np.zeros((n_msg, len(labels))) for _ in range(2)]
        pseudo_counts = []
        for k in range(5):
            train_rows = np.flatnonzero(row_fold != k)
            x = rows_counts[train_rows]
            y = y_rows[train_rows]
            if spec.get("whole"):
                extra = np.flatnonzero((fold_of != k) & both)
                x = _vstack(x, msg_counts[extra])
                y = np.concatenate([y, y_msg[extra]])
            fitted = _fit_linear(x, y, params, len(labels))
            for _ in range(spec.get("rounds", 1) if spec.get("self") else 0):
                # Pseudo-labels: unlabeled messages the current model is sure of (both
                # components agree and the combined calibrated top probability is high),
                # with temperatures from this fold's training rows only.
                scales = [
                    _fit_temperature(d, y) for d in _decide(fitted, x)
                ]  # in-sample; only used to weigh the two components
                unl = _decide(fitted, unl_counts)
                comb = _combine(unl, scales)
                t = _fit_temperature(_combine(_decide(fitted, x), scales), y)
                prob = _calibrated(comb, t, None).max(axis=1)
                agree = unl[0].argmax(axis=1) == unl[1].argmax(axis=1)
                take = np.flatnonzero(agree & (prob >= args.pseudo_min))
                pseudo_counts.append(len(take))
                fitted = _fit_linear(
                    _vstack(x, unl_counts[take]),
                    np.concatenate([y, comb[take].argmax(axis=1)]),
                    params,
                    len(labels),
                )
            test = fold_of == k
            for d, fd in zip(decisions, _decide(fitted, msg_counts[test]), strict=True):
                d[test] = fd
        np.savez_compressed(
            ROOT / "bench" / "out" / f"routing_exp_{name}_seed{args.seed}.npz",
            svm=decisions[0],
            nbsvm=decisions[1],
            y=y_msg,
            fold=fold_of,
        )
        temps = [_fit_temperature(d, y_msg) for d in decisions]
        combined = _combine(decisions, temps)
        pred = combined.argmax(axis=1)
        result: dict[str, Any] = {
            "variant": name,
            "seconds": round(time.perf_counter() - t0, 1),
            "pseudo_labels": pseudo_counts,
        }
        for mode in ("margin", "features_global", "features_per_label"):
            conf = cross_fit_confidence(
                decisions, combined, y_msg, fold_of, msg_kinds, msg_lengths, mode
            )
            result[mode] = figures(y_msg, pred, conf, fold_of)
            if mode == "features_per_label":
                result[mode]["by_kind"] = {
                    kind: figures(y_msg[m], pred[m], conf[m], fold_of[m])[
                        "coverage_at_99_precision"
                    ]
                    for kind in ("title", "detail", "both")
                    for m in [np.array([kk == kind for kk in msg_kinds])]
                }
        print(json.dumps(result, ensure_ascii=False), flush=True)


def _vstack(a: Any, b: Any) -> Any:
    from scipy.sparse import vstack

    return vstack([a, b]).tocsr()


if __name__ == "__main__":
    main()
