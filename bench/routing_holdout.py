"""Routing on messages the model has never seen, through the same path as
``bancheng routing eval``.

    uv run python bench/routing_holdout.py [--data ../shared/data/routing] [--seed 1]

Holds out one fifth of the messages (both halves of a message stay on the same side, see
``bancheng.routing.grouping``), trains on the rest exactly as ``routing train`` does,
writes the held-out rows as an eval CSV and the model under ``bench/out/`` (so that
``bancheng routing eval --csv ... --model ...`` can be run on them) and prints one JSON
line:
the eval figures (single-case latency included), the held-out figures by kind of row,
and the cross-validated figures of the model trained on the remaining four fifths.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from bancheng.routing.classifier import (
    Sample,
    TrainingParams,
    normalize_text,
    read_csv_samples,
    read_data_dir,
    train,
)
from bancheng.routing.evaluate import evaluate
from bancheng.routing.grouping import message_groups

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "routing"
OUT = ROOT / "bench" / "out"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    samples = read_data_dir(args.data)
    labels = [s.label for s in samples]
    groups = message_groups(
        [normalize_text(s.title) for s in samples],
        [normalize_text(s.detail) for s in samples],
        labels,
    )
    splitter = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=args.seed)
    train_idx, test_idx = next(splitter.split(np.zeros(len(samples)), labels, groups))
    model = train([samples[i] for i in train_idx], TrainingParams(seed=args.seed))

    OUT.mkdir(parents=True, exist_ok=True)
    csv_path = OUT / f"routing_holdout_seed{args.seed}.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "detail", "category"])
        for i in test_idx:
            writer.writerow([samples[i].title, samples[i].detail, samples[i].label])
    model_dir = OUT / f"routing_holdout_seed{args.seed}_model"
    model.save(model_dir)
    held_out = read_csv_samples(csv_path)
    figures = evaluate(model, held_out)
    # The same held-out messages whole: each message once, with its title and its detail.
    whole_path = OUT / f"routing_holdout_seed{args.seed}_whole.csv"
    whole: dict[int, list[str]] = {}
    for i in test_idx:
        entry = whole.setdefault(int(groups[i]), ["", "", samples[i].label])
        entry[0] = entry[0] or samples[i].title
        entry[1] = entry[1] or samples[i].detail
    with whole_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "detail", "category"])
        writer.writerows(whole[g] for g in sorted(whole))
    whole_figures = evaluate(model, read_csv_samples(whole_path))
    by_kind = {}
    for kind in ("title", "detail", "both"):
        rows: list[Sample] = [s for s in held_out if s.kind == kind]
        if rows:
            kind_figures = evaluate(model, rows)
            by_kind[kind] = {"n": len(rows), **kind_figures}
    cpu_started = time.process_time()
    confidences = [model.predict(s.title, s.detail, top=1)[0] for s in held_out]
    cpu_ms = 1000.0 * (time.process_time() - cpu_started) / len(held_out)
    threshold = model.threshold
    auto = [
        (label == s.label)
        for (label, conf), s in zip(confidences, held_out, strict=True)
        if threshold is not None and conf >= threshold
    ]
    cv = model.meta["cv"]
    print(
        json.dumps(
            {
                **figures,
                "cpu_ms_per_case": round(cpu_ms, 3),
                "n": len(held_out),
                "whole_messages": {"n": len(whole), **whole_figures},
                "by_kind": by_kind,
                "threshold": threshold,
                "auto_dispatch_coverage": round(len(auto) / len(held_out), 4),
                "auto_dispatch_precision": round(sum(auto) / len(auto), 4) if auto else None,
                "train_cv_macro_f1": cv["macro_f1"],
                "train_cv_fold_macro_f1": [fold["macro_f1"] for fold in cv["per_fold"]],
                "eval_csv": str(csv_path.relative_to(ROOT)),
                "eval_csv_whole": str(whole_path.relative_to(ROOT)),
                "model": str(model_dir.relative_to(ROOT)),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
