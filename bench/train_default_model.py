"""Rebuild the routing model shipped in ``src/bancheng/routing/default_model``.

    uv run python bench/train_default_model.py [--data ../shared/data/routing]

Training is deterministic (fixed fold shuffling and solver seeds), so the same data
gives the same weights and figures; prints one JSON line with the cross-validated
figures and the artefact size.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bancheng.routing.classifier import MODEL_FILE, TrainingParams, read_data_dir, train

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "routing"
TARGET = ROOT / "src" / "bancheng" / "routing" / "default_model"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=TARGET)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    model = train(read_data_dir(args.data), TrainingParams(seed=args.seed), source="default")
    model.save(args.out)
    cv = model.meta["cv"]
    print(
        json.dumps(
            {
                "version": model.version,
                "train_seconds": round(time.perf_counter() - started, 1),
                "artefact_bytes": (args.out / MODEL_FILE).stat().st_size,
                "vocabulary_size": len(model.vocabulary),
                "threshold": model.threshold,
                "cv_macro_f1": cv["macro_f1"],
                "cv_fold_macro_f1": [fold["macro_f1"] for fold in cv["per_fold"]],
                "cv_accuracy": cv["accuracy"],
                "cv_precision_at_80_coverage": cv["precision_at_80_coverage"],
                "cv_coverage_at_99_precision": cv["coverage_at_99_precision"],
                "cv_by_kind": cv["by_kind"],
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
