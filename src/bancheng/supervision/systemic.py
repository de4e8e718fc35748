"""Systemic issues (类问题, 制度性堵点): a root cause, its cases, the changes made, and the
monthly volume of its cases before and after each change.

Volumes count the linked cases by their registration month (Asia/Shanghai). For a change
made in month M, *before* is the ``window`` months before M and *after* the ``window``
months after M (M itself belongs to neither; months after the current month are left
out). Averages are per month over the months listed, rounded to two places;
``change_pct`` is (after − before) / before × 100.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bancheng.cases import repository as case_repo
from bancheng.cases.models import Case
from bancheng.core import clock
from bancheng.core.errors import Invalid, NotFound, present
from bancheng.org.models import Matter
from bancheng.org.scope import Principal
from bancheng.routing import hot_issues as hi
from bancheng.routing.service import recent_reports
from bancheng.supervision import repository
from bancheng.supervision.models import SystemicChange, SystemicIssue, SystemicIssueCase
from bancheng.supervision.schemas import ChangeIn, IssueIn, IssuePatch

CHANGE_TYPE_ZH = {
    "service_guide_revised": "修订办事指南",
    "system_fixed": "修复业务系统",
    "rule_proposed": "提出制度修改建议",
}


def get_issue(session: Session, issue_id: int) -> SystemicIssue:
    return present(
        repository.systemic_issue(session, issue_id), NotFound("systemic.not_found", "类问题不存在")
    )


def _matter(session: Session, matter_id: int | None) -> Matter | None:
    if matter_id is None:
        return None
    m = repository.matter(session, matter_id)
    if m is None:
        raise Invalid("systemic.matter_not_found", "事项不存在", field="matter_id")
    return m


def create_issue(session: Session, principal: Principal, body: IssueIn) -> SystemicIssue:
    _matter(session, body.matter_id)
    issue = SystemicIssue(
        title=body.title.strip(),
        root_cause=body.root_cause.strip(),
        matter_id=body.matter_id,
        owner_department_id=body.owner_department_id,
        status="open",
        created_by_id=principal.user_id,
        created_at=clock.now(),
    )
    session.add(issue)
    session.flush()
    return issue


def update_issue(session: Session, issue: SystemicIssue, body: IssuePatch) -> SystemicIssue:
    data = body.model_dump(exclude_unset=True)
    if "matter_id" in data:
        _matter(session, data["matter_id"])
    for k, v in data.items():
        setattr(issue, k, v)
    session.flush()
    return issue


def link_cases(
    session: Session, principal: Principal, issue: SystemicIssue, case_ids: list[int], source: str
) -> int:
    cases = [case_repo.get_case(session, principal, cid) for cid in dict.fromkeys(case_ids)]
    have = repository.linked_case_ids(session, issue.id)
    added = 0
    for case in cases:
        if case.id in have:
            continue
        session.add(
            SystemicIssueCase(
                issue_id=issue.id,
                case_id=case.id,
                source=source,
                linked_by_id=principal.user_id,
                linked_at=clock.now(),
            )
        )
        added += 1
    session.flush()
    return added


def unlink_case(session: Session, principal: Principal, issue: SystemicIssue, case_id: int) -> None:
    case_repo.get_case(session, principal, case_id)
    row = present(
        repository.issue_case_link(session, issue.id, case_id),
        NotFound("systemic.case_not_linked", "该案件未关联此类问题"),
    )
    session.delete(row)
    session.flush()


def add_change(
    session: Session, principal: Principal, issue: SystemicIssue, body: ChangeIn
) -> SystemicChange:
    matter = _matter(session, body.matter_id or issue.matter_id)
    previous = None
    if body.materials is not None:
        if body.type != "service_guide_revised":
            raise Invalid(
                "systemic.materials_only_for_guide",
                "只有“修订办事指南”可以更新事项材料清单",
                field="materials",
            )
        if matter is None:
            raise Invalid("systemic.matter_required", "更新材料清单需要指定事项", field="matter_id")
        materials = [m.strip() for m in body.materials if m.strip()]
        if not materials:
            raise Invalid("systemic.materials_empty", "材料清单不能为空", field="materials")
        previous = list(matter.materials or [])
        matter.materials = materials
    change = SystemicChange(
        issue_id=issue.id,
        type=body.type,
        changed_on=body.changed_on,
        owner=body.owner.strip(),
        owner_department_id=body.owner_department_id,
        description=body.description.strip(),
        matter_id=matter.id if matter else None,
        materials=[m.strip() for m in body.materials if m.strip()] if body.materials else None,
        previous_materials=previous,
        created_by_id=principal.user_id,
        created_at=clock.now(),
    )
    session.add(change)
    if issue.status == "open":
        issue.status = "addressed"
    session.flush()
    return change


def changes(session: Session, issue_id: int) -> list[SystemicChange]:
    return repository.issue_changes(session, issue_id)


def issue_cases(session: Session, issue_id: int, principal: Principal | None = None) -> list[Case]:
    """The issue's cases; with ``principal``, only those the caller may see (counts and
    volumes stay whole: they name no case)."""
    return repository.issue_cases(session, issue_id, principal)


def case_counts(session: Session, issue_ids: list[int]) -> dict[int, int]:
    if not issue_ids:
        return {}
    return repository.linked_case_counts(session, issue_ids)


def _month(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _shift(year: int, month: int, delta: int) -> tuple[int, int]:
    n = year * 12 + (month - 1) + delta
    return n // 12, n % 12 + 1


def _months_around(d: date, window: int, current: date) -> tuple[list[str], list[str]]:
    before = [_shift(d.year, d.month, -k) for k in range(window, 0, -1)]
    after = [_shift(d.year, d.month, k) for k in range(1, window + 1)]
    cur = (current.year, current.month)
    return (
        [f"{y:04d}-{m:02d}" for y, m in before],
        [f"{y:04d}-{m:02d}" for y, m in after if (y, m) <= cur],
    )


def _avg(counts: list[int]) -> float | None:
    return round(sum(counts) / len(counts), 2) if counts else None


def volumes(
    session: Session, issue: SystemicIssue, *, window: int = 3, matter_id: int | None = None
) -> dict[str, Any]:
    cases = issue_cases(session, issue.id)
    if matter_id is not None:
        cases = [c for c in cases if c.matter_id == matter_id]
    by_month = Counter(_month(clock.to_local(c.registered_at).date()) for c in cases)
    months = [{"month": m, "count": by_month[m]} for m in sorted(by_month)]
    today = clock.local_today()
    out = []
    for ch in changes(session, issue.id):
        before, after = _months_around(ch.changed_on, window, today)
        b = [by_month.get(m, 0) for m in before]
        a = [by_month.get(m, 0) for m in after]
        avg_b, avg_a = _avg(b), _avg(a)
        pct = round((avg_a - avg_b) / avg_b * 100, 1) if avg_b and avg_a is not None else None
        out.append(
            {
                "change_id": ch.id,
                "type": ch.type,
                "changed_on": ch.changed_on,
                "before": [{"month": m, "count": n} for m, n in zip(before, b, strict=True)],
                "after": [{"month": m, "count": n} for m, n in zip(after, a, strict=True)],
                "avg_before": avg_b,
                "avg_after": avg_a,
                "change_pct": pct,
            }
        )
    return {"months": months, "changes": out}


def suggestions(session: Session, principal: Principal, days: int = 90) -> list[dict[str, Any]]:
    """Groups of similar recent cases from the routing domain's hot-issue detector."""
    since = clock.now() - timedelta(days=days)
    reports = recent_reports(session, principal, since, 5000)
    if len(reports) < 2:
        return []
    out = []
    for issue in hi.hot_issues(reports, now=clock.now(), limit=20):
        ids = [int(k) for k in issue.keys]  # type: ignore[call-overload]
        out.append(
            {
                "label": issue.titles[0] if issue.titles else "",
                "case_ids": ids,
                "titles": list(issue.titles),
                "size": len(ids),
            }
        )
    return out
