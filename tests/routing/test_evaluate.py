from __future__ import annotations

import pytest
from sklearn.metrics import f1_score

from bancheng.routing.evaluate import (
    accuracy,
    coverage_at_99_precision,
    macro_f1,
    precision_at_80_coverage,
)


def test_macro_f1_hand_computed() -> None:
    truth = ["a", "a", "b", "b", "c"]
    pred = ["a", "b", "b", "b", "a"]
    # a: tp1 fp1 fn1 -> 0.5; b: tp2 fp1 fn0 -> 0.8; c: tp0 fp0 fn1 -> 0.0
    assert macro_f1(truth, pred) == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert macro_f1(truth, pred) == pytest.approx(f1_score(truth, pred, average="macro"))


def test_macro_f1_counts_labels_only_predicted() -> None:
    # x is never true: its F1 is 0 and it counts, as in scikit-learn.
    assert macro_f1(["a", "a"], ["a", "x"]) == pytest.approx((2 / 3 + 0.0) / 2)


def test_accuracy() -> None:
    assert accuracy(["a", "b", "c", "d"], ["a", "b", "x", "d"]) == 0.75
    with pytest.raises(ValueError):
        accuracy(["a"], [])


def test_selective_metrics() -> None:
    conf = [0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5]
    ok = [True, True, True, True, True, True, True, False, False, True]
    assert precision_at_80_coverage(conf, ok) == 7 / 8
    assert coverage_at_99_precision(conf, ok) == 0.7


def test_per_label_hand_computed() -> None:
    from bancheng.routing.evaluate import per_label

    truth = ["a", "a", "b", "b", "c"]
    pred = ["a", "b", "b", "b", "a"]
    assert per_label(truth, pred) == {
        "a": {"precision": 0.5, "recall": 0.5, "support": 2},
        "b": {"precision": 0.6667, "recall": 1.0, "support": 2},
        "c": {"precision": 0.0, "recall": 0.0, "support": 1},
    }
