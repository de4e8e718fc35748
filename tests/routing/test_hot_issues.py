from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from bancheng.routing.hot_issues import (
    HotIssueParams,
    Report,
    cluster_reports,
    heat_score,
    hot_issues,
)

NOW = datetime(2025, 6, 30, 12, 0)


def _report(key: int, reporter: str, title: str, text: str, days_ago: float) -> Report:
    return Report(key, reporter, title, text, NOW - timedelta(days=days_ago))


REPORTS = [
    _report(1, "p1", "阳光小区旁搅拌站噪音扰民", "阳光小区旁边的搅拌站晚上施工，噪音很大。", 1),
    _report(2, "p2", "投诉阳光小区搅拌站噪音", "阳光小区附近搅拌站彻夜施工扰民。", 2),
    _report(3, "p3", "阳光小区附近搅拌站扰民", "搅拌站灰尘和噪音影响阳光小区居民。", 3),
    _report(4, "p4", "阳光小区搅拌站噪音扰民严重", "请管管阳光小区旁边的搅拌站。", 20),
    _report(5, "p5", "公交车站台年久失修", "人民路公交车站台顶棚破损，下雨没法躲。", 5),
    _report(6, "p6", "学校食堂饭菜质量差", "孩子说学校食堂的饭菜经常是冷的。", 6),
    _report(7, "p7", "医院停车难", "市第一医院停车场车位太少，排队很久。", 7),
    _report(8, "p8", "一个人反复反映路灯不亮", "幸福路路灯不亮已经一个月。", 8),
    _report(9, "p8", "幸福路路灯不亮", "幸福路路灯不亮已经一个月，没人修。", 4),
    _report(10, "p8", "再次反映幸福路路灯不亮", "幸福路路灯不亮，还是没人修。", 2),
]


def test_reports_about_one_problem_form_one_cluster() -> None:
    groups = cluster_reports(REPORTS)
    assert [0, 1, 2, 3] in groups
    assert [4] in groups and [5] in groups and [6] in groups
    assert sorted(i for g in groups for i in g) == list(range(len(REPORTS)))


def test_hot_issues_need_several_reporters() -> None:
    issues = hot_issues(REPORTS, now=NOW)
    assert [issue.keys for issue in issues] == [[4, 3, 2, 1]]  # the lamp: one reporter only
    issue = issues[0]
    assert (issue.reports, issue.reporters) == (4, 4)
    assert (issue.recent_reports, issue.previous_reports) == (3, 1)
    assert issue.first_at == NOW - timedelta(days=20)
    assert issue.span_days == 19.0
    assert len(issue.titles) == 3
    assert all("阳光小区" in title for title in issue.titles)
    lenient = hot_issues(REPORTS, now=NOW, params=HotIssueParams(min_reporters=1))
    assert [set(i.keys) for i in lenient] == [{1, 2, 3, 4}, {8, 9, 10}]


def test_heat_score_formula() -> None:
    times = [NOW - timedelta(days=1), NOW - timedelta(days=2), NOW - timedelta(days=20)]
    heat, recent, previous = heat_score(["a", "a", "b"], times, NOW)
    volume = 2 + 0.25 * 1
    recency = 0.5 ** (1 / 30)
    growth = (2 + 1) / (1 + 1)
    assert (recent, previous) == (2, 1)
    assert heat == pytest.approx(volume * (0.5 + 0.5 * recency) * math.sqrt(growth))


def test_growth_is_clipped() -> None:
    burst = [NOW - timedelta(hours=h) for h in range(1, 11)]
    heat, recent, previous = heat_score([f"r{i}" for i in range(10)], burst, NOW)
    assert (recent, previous) == (10, 0)
    assert heat == pytest.approx(10 * (0.5 + 0.5 * 0.5 ** ((1 / 24) / 30)) * math.sqrt(3.0))


def test_empty_input() -> None:
    assert hot_issues([]) == []
    assert cluster_reports([]) == []
