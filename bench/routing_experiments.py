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
import csv
import json
import re
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
    extract_features,
    normalize_text,
    read_csv_samples,
    read_data_dir,
)
from bancheng.routing.classifier.model import _calibrated, _margins, _softmax
from bancheng.routing.classifier.training import (
    _combine,
    _count_matrix,
    _decide,
    _effective_min_df,
    _fit_linear,
    _fit_margin,
    _fit_temperature,
    _svm,
    _tfidf,
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


def unlabeled_messages(known_titles: set[str]) -> tuple[list[Sample], list[str]]:
    """The demo messages whose title is not in the training data (once each), and the
    official reply of each ("" for the messages without one)."""
    rows: list[Sample] = []
    replies: list[str] = []
    seen: set[str] = set()
    for name in ("messages_with_replies.csv", "hot_issue_messages.csv"):
        path = DATA / "demo" / name
        if not path.is_file():
            continue
        reply_of = _replies(path)
        for s in read_csv_samples(path, require_label=False):
            key = normalize_text(s.title) + "|" + normalize_text(s.detail)[:80]
            if normalize_text(s.title) in known_titles or key in seen:
                continue
            seen.add(key)
            rows.append(Sample(s.title, s.detail, ""))
            replies.append(reply_view(s.title, reply_of.get((s.title, s.detail), "")))
    return rows, replies


def _replies(path: Path) -> dict[tuple[str, str], str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if "reply" not in (reader.fieldnames or []):
            return {}
        return {
            ((r.get("title") or "").strip(), (r.get("detail") or "").strip()): (
                r.get("reply") or ""
            ).strip()
            for r in reader
        }


_ADDRESS = re.compile(r"^\s*(?:网友)?[“\"][^”\"]{0,40}[”\"][:：]?\s*(?:您好[!！，,]?)?")


def reply_view(title: str, reply: str) -> str:
    """The official reply as a second view of a message: without the salutation and
    without the message's own title where the reply repeats it, so that the view says
    what the reply adds (who handled it and how), not the message again."""
    text = normalize_text(reply)
    text = _ADDRESS.sub("", text)
    t = normalize_text(title)
    if t:
        text = text.replace(t, "")
    return text


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
    parser.add_argument("--co-min", type=float, default=0.97)
    parser.add_argument("--dump-texts", action="store_true")
    parser.add_argument("--teacher-c", type=float, default=10.0)
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
    unlabeled, replies = unlabeled_messages({normalize_text(s.title) for s in samples if s.title})
    if args.dump_texts:
        out = ROOT / "bench" / "out" / "routing_exp_texts.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            json.dumps(
                {
                    "messages": [[s.title, s.detail] for s in messages],
                    "unlabeled": [[s.title, s.detail] for s in unlabeled],
                },
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        print(json.dumps({"texts": str(out), "n": len(messages) + len(unlabeled)}))
        return
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

    only = [v for v in args.only.split(",") if v]
    variants: dict[str, dict[str, Any]] = {
        "rows": {},
        "rows+whole": {"whole": True},
        "rows+whole+self": {"whole": True, "self": True},
        "rows+self": {"self": True},
        "rows+whole+self2": {"whole": True, "self": True, "rounds": 2},
        # Co-training with the official replies as the second view (messages with a
        # reply only): "agree" keeps the message model's sure pseudo-labels that the
        # reply model confirms; "add" also takes the messages the message model is
        # unsure of where the reply model is sure; "add+self" adds the sure
        # pseudo-labels of the messages without a reply as in self-training.
        "rows+whole+co_agree": {"whole": True, "co": "agree"},
        "rows+whole+co_add": {"whole": True, "co": "add"},
        "rows+whole+co_add+self": {"whole": True, "co": "add+self"},
        # Distillation from a teacher: frozen multilingual-e5-small embeddings of the
        # title (bench/routing_teacher.py, own environment) with a logistic head
        # trained on the training folds' messages, fused with the message model
        # (product of the two distributions). "hard": the unlabeled messages the
        # teacher is sure of, with its top label; "soft": every unlabeled message once
        # per label the teacher gives >= 5 %, weighted by that probability.
        "rows+whole+teacher_hard": {"whole": True, "teacher": "hard"},
        "rows+whole+teacher_soft": {"whole": True, "teacher": "soft"},
    }
    emb_msg = emb_unl = None
    if any(v.get("teacher") for n, v in variants.items() if not only or n in only):
        emb = np.load(ROOT / "bench" / "out" / "routing_teacher_e5.npy")
        emb_msg, emb_unl = emb[:n_msg], emb[n_msg:]
        assert emb_unl.shape[0] == unl_counts.shape[0]
    teacher_pred = np.zeros((n_msg, 2), dtype=np.intp)
    teacher_conf = np.zeros((n_msg, 2))
    has_reply = np.array([bool(r) for r in replies])
    reply_cache = ROOT / "bench" / "out" / f"routing_exp_replies_{int(has_reply.sum())}.npz"
    if reply_cache.is_file():
        from scipy.sparse import load_npz

        reply_counts = load_npz(reply_cache).tocsr()
    else:
        from scipy.sparse import save_npz

        reply_counts, _ = _count_matrix(
            [extract_features("", r) for r, h in zip(replies, has_reply, strict=True) if h]
        )
        save_npz(reply_cache, reply_counts)
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
                fitted = _fit_with_pseudo(x, y, unl_counts, comb, take, params, len(labels))
            if spec.get("teacher"):
                from sklearn.linear_model import LogisticRegression

                assert emb_msg is not None and emb_unl is not None
                train_msg = fold_of != k
                test = fold_of == k
                head = LogisticRegression(C=args.teacher_c, max_iter=3000)
                head.fit(emb_msg[train_msg], y_msg[train_msg])
                assert list(head.classes_) == list(range(len(labels)))
                m1_unl, m1_test = _log_probs(fitted, x, y, [unl_counts, msg_counts[test]])
                head_test = np.log(head.predict_proba(emb_msg[test]) + 1e-12)
                fused_test = m1_test + head_test
                for j, scores in enumerate((head_test, fused_test)):
                    teacher_pred[test, j] = scores.argmax(axis=1)
                    teacher_conf[test, j] = _margins(scores)
                soft = _softmax(m1_unl + np.log(head.predict_proba(emb_unl) + 1e-12))
                if spec["teacher"] == "hard":
                    take = np.flatnonzero(soft.max(axis=1) >= args.pseudo_min)
                    pseudo_counts.append(len(take))
                    fitted = _fit_with_pseudo(x, y, unl_counts, soft, take, params, len(labels))
                else:
                    row, lab = np.nonzero(soft >= 0.05)
                    pseudo_counts.append(len(row))
                    fitted = fit_linear_weighted(
                        _vstack(x, unl_counts[row]),
                        np.concatenate([y, lab]),
                        np.concatenate([np.ones(len(y)), soft[row, lab]]),
                        params,
                        len(labels),
                    )
            if spec.get("co"):
                take, pseudo = co_training_labels(
                    fitted, x, y, unl_counts, reply_counts, has_reply, spec["co"], args, params
                )
                pseudo_counts.append(len(take))
                fitted = _fit_linear(
                    _vstack(x, unl_counts[take]),
                    np.concatenate([y, pseudo]),
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
        if spec.get("teacher"):
            result["teacher_out_of_fold"] = {
                part: {
                    key: value
                    for key, value in figures(
                        y_msg, teacher_pred[:, j], teacher_conf[:, j], fold_of
                    ).items()
                    if key in ("macro_f1", "coverage_at_99_precision", "precision_at_80_coverage")
                }
                for j, part in enumerate(("e5_head", "e5_head_x_message_model"))
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


def _sure(fitted: dict, x: Any, y: NDArray[np.intp], counts: Any) -> tuple[Any, Any, Any]:
    """The message model's pseudo-labels on ``counts``: (label, calibrated top
    probability, whether the two components agree), temperatures from the training rows
    (in-sample; they only weigh the components and scale the softmax)."""
    train_decisions = _decide(fitted, x)
    scales = [_fit_temperature(d, y) for d in train_decisions]
    t = _fit_temperature(_combine(train_decisions, scales), y)
    unl = _decide(fitted, counts)
    comb = _combine(unl, scales)
    prob = _calibrated(comb, t, None).max(axis=1)
    agree = unl[0].argmax(axis=1) == unl[1].argmax(axis=1)
    return comb.argmax(axis=1), prob, agree


def co_training_labels(
    fitted: dict,
    x: Any,
    y: NDArray[np.intp],
    unl_counts: Any,
    reply_counts: Any,
    has_reply: NDArray[np.bool_],
    mode: str,
    args: argparse.Namespace,
    params: TrainingParams,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """One round of co-training (Blum & Mitchell 1998) with the official reply as the
    second view. The message model (``fitted``, trained on this fold's training rows)
    labels the replied messages it is sure of; a linear SVM on the reply text alone is
    trained on those and scores every replied message (cross-fitted over the seeds, so
    a seed is scored by a reply model that did not see it). Returns the unlabeled rows
    to add to the message model's training and their labels."""
    from sklearn.model_selection import KFold

    label, prob, agree = _sure(fitted, x, y, unl_counts)
    n_labels = fitted["components"][0][0].shape[0]
    replied = np.flatnonzero(has_reply)  # row i of reply_counts is unlabeled row replied[i]
    seed_mask = agree[replied] & (prob[replied] >= args.pseudo_min)
    seeds = np.flatnonzero(seed_mask)
    reply_params = TrainingParams(seed=params.seed, nb_alpha=None)
    reply_scores = np.zeros((len(replied), n_labels))
    splitter = KFold(n_splits=5, shuffle=True, random_state=params.seed)
    for fit_idx, apply_idx in splitter.split(seeds):
        m = _fit_linear(
            reply_counts[seeds[fit_idx]], label[replied][seeds[fit_idx]], reply_params, n_labels
        )
        reply_scores[seeds[apply_idx]] = _decide(m, reply_counts[seeds[apply_idx]])[0]
    others = np.flatnonzero(~seed_mask)
    m = _fit_linear(reply_counts[seeds], label[replied][seeds], reply_params, n_labels)
    reply_scores[others] = _decide(m, reply_counts[others])[0]
    # The reply model's confidence, calibrated (temperature and margin) on its
    # out-of-fold scores of the seeds against the message model's labels.
    seed_labels = label[replied][seeds]
    t = _fit_temperature(reply_scores[seeds], seed_labels)
    margin = _fit_margin(reply_scores[seeds], seed_labels)
    reply_prob = _calibrated(reply_scores, t, margin).max(axis=1)
    reply_label = reply_scores.argmax(axis=1)
    confirmed = seed_mask & (reply_label == label[replied])
    take_replied = confirmed.copy()
    if mode.startswith("add"):
        take_replied |= ~seed_mask & (reply_prob >= args.co_min)
    take = replied[take_replied]
    pseudo = np.where(seed_mask, label[replied], reply_label)[take_replied]
    if mode.endswith("+self"):
        plain = np.flatnonzero(~has_reply & agree & (prob >= args.pseudo_min))
        take = np.concatenate([take, plain])
        pseudo = np.concatenate([pseudo, label[plain]])
    print(
        json.dumps(
            {
                "co_training": mode,
                "replied": len(replied),
                "seeds": len(seeds),
                "confirmed": int(confirmed.sum()),
                "added_by_reply_view": int(take_replied.sum() - confirmed.sum()),
                "without_reply": int(len(take) - take_replied.sum()),
            }
        ),
        flush=True,
    )
    return take, pseudo.astype(np.intp)


def _log_probs(
    fitted: dict, x: Any, y: NDArray[np.intp], targets: Sequence[Any]
) -> list[NDArray[np.float64]]:
    """The message model's log-probabilities (log softmax of the combined scores over a
    temperature) for each count matrix in ``targets``; temperatures from the training
    rows (in-sample)."""
    train_decisions = _decide(fitted, x)
    scales = [_fit_temperature(d, y) for d in train_decisions]
    t = _fit_temperature(_combine(train_decisions, scales), y)
    out = []
    for counts in targets:
        z = _combine(_decide(fitted, counts), scales) / t
        z = z - z.max(axis=1, keepdims=True)
        out.append(z - np.log(np.exp(z).sum(axis=1, keepdims=True)))
    return out


def fit_linear_weighted(
    counts: Any,
    y: NDArray[np.intp],
    weight: NDArray[np.float64],
    params: TrainingParams,
    n_labels: int,
) -> dict:
    """``_fit_linear`` with a weight per row (soft labels: one row per (message, label)
    weighted by the teacher's probability). Document frequencies, the NB-SVM ratios and
    the SVM losses are all weighted, so a message split over labels counts once."""
    presence = counts.copy()
    presence.data[:] = 1
    df = np.asarray(presence.T @ weight).ravel()
    n_docs = float(weight.sum())
    keep = np.flatnonzero(df >= _effective_min_df(params, int(n_docs)))
    idf = (np.log((1.0 + n_docs) / (1.0 + df[keep])) + 1.0).astype(np.float32)
    matrix = _tfidf(counts[:, keep], idf)
    svm = _svm(params)
    svm.fit(matrix, y, sample_weight=weight)
    coef = np.zeros((n_labels, matrix.shape[1]))
    intercept = np.zeros(n_labels)
    coef[svm.classes_] = svm.coef_
    intercept[svm.classes_] = svm.intercept_
    components = [(coef, intercept)]
    coef2 = np.zeros_like(coef)
    intercept2 = np.zeros(n_labels)
    alpha = params.nb_alpha or 0.0
    for label in np.unique(y):
        inside = y == label
        w_in = np.where(inside, weight, 0.0)
        w_out = np.where(inside, 0.0, weight)
        p = alpha + np.asarray(matrix.T @ w_in).ravel()
        q = alpha + np.asarray(matrix.T @ w_out).ravel()
        ratio = np.log((p / p.sum()) / (q / q.sum()))
        binary = _svm(params)
        binary.fit(matrix.multiply(ratio).tocsr(), inside.astype(np.intp), sample_weight=weight)
        coef2[label] = ratio * binary.coef_[0]
        intercept2[label] = binary.intercept_[0]
    components.append((coef2, intercept2))
    return {"keep": keep, "idf": idf, "components": components}


def _fit_with_pseudo(
    x: Any, y: Any, unl_counts: Any, scores: Any, take: Any, params: Any, n_labels: int
) -> Any:
    """The linear model fitted again on the training rows and the unlabeled rows ``take``,
    each labelled by its top score."""
    return _fit_linear(
        _vstack(x, unl_counts[take]),
        np.concatenate([y, scores[take].argmax(axis=1)]),
        params,
        n_labels,
    )


def _vstack(a: Any, b: Any) -> Any:
    from scipy.sparse import vstack

    return vstack([a, b]).tocsr()


if __name__ == "__main__":
    main()
