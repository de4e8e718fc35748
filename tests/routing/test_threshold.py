from __future__ import annotations

import pytest

from bancheng.routing.threshold import (
    choose_threshold,
    coverage_at_precision,
    precision_above,
    precision_at_coverage,
)

CONF = [0.6, 0.9, 0.5, 0.8, 0.7]  # deliberately unsorted
OK = [True, True, True, True, False]
# Ranked: 0.9 T, 0.8 T, 0.7 F, 0.6 T, 0.5 T -> prefix precisions 1, 1, 2/3, 3/4, 4/5


def test_threshold_is_the_lowest_confidence_of_the_longest_prefix_meeting_the_target() -> None:
    assert choose_threshold(CONF, OK, 0.9) == 0.8
    assert choose_threshold(CONF, OK, 0.8) == 0.5
    assert choose_threshold(CONF, OK, 0.75) == 0.5
    assert choose_threshold(CONF, OK, 1.0) == 0.8


def test_threshold_never_splits_equal_confidences() -> None:
    conf = [0.9, 0.9, 0.8]
    ok = [True, False, True]
    # Prefixes at tie boundaries: 2 rows (1/2), 3 rows (2/3).
    assert choose_threshold(conf, ok, 0.6) == 0.8
    assert choose_threshold(conf, ok, 0.7) is None
    assert coverage_at_precision(conf, ok, 0.7) == 0.0


def test_no_threshold_when_even_the_top_prediction_is_wrong() -> None:
    assert choose_threshold([0.99, 0.5], [False, True], 0.99) is None
    assert choose_threshold([], [], 0.99) is None


def test_precision_exactly_at_target_counts() -> None:
    conf = [1 - i / 1000 for i in range(100)]
    ok = [True] * 99 + [False]
    assert coverage_at_precision(conf, ok, 0.99) == 1.0
    assert choose_threshold(conf, ok, 0.99) == pytest.approx(0.901)


def test_coverage_at_precision() -> None:
    conf = [1 - i / 1000 for i in range(100)]
    ok = [True] * 100
    ok[49] = False  # the 50th most confident is wrong
    ok[89] = False
    assert coverage_at_precision(conf, ok, 0.99) == 0.49
    assert coverage_at_precision(conf, ok, 0.98) == 1.0


def test_precision_at_coverage_takes_the_ceiling_of_the_share() -> None:
    conf = [0.1 * i for i in range(10, 0, -1)]
    ok = [True, True, True, False, True, True, True, True, False, False]
    assert precision_at_coverage(conf, ok, 0.8) == 7 / 8
    assert precision_at_coverage(conf, ok, 0.75) == 7 / 8  # ceil(7.5) = 8
    assert precision_at_coverage(conf, ok, 0.3) == 1.0
    assert precision_at_coverage(conf, ok, 1.0) == 0.7


def test_precision_above_threshold() -> None:
    assert precision_above(CONF, OK, 0.7) == (2 / 3, 0.6)
    assert precision_above(CONF, OK, None) == (0.0, 0.0)
    assert precision_above(CONF, OK, 0.95) == (0.0, 0.0)


@pytest.mark.parametrize("target", [0.0, 1.5])
def test_target_out_of_range_is_refused(target: float) -> None:
    with pytest.raises(ValueError):
        choose_threshold(CONF, OK, target)
