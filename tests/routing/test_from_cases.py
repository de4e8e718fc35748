from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from bancheng.cases.models import Case
from bancheng.routing.cli import resolved_case_rows
from tests.conftest import Org


def _case(org: Org, seq: int, state: str, title: str, department: str) -> Case:
    now = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
    fields: dict[str, Any] = {
        "number": f"BC-2025-{seq:06d}",
        "jurisdiction": "BC",
        "year": 2025,
        "seq": seq,
        "state": state,
        "channel": "window",
        "kind": "cannot_do",
        "difficulty": "general",
        "blocker_type": "missing_materials",
        "title": title,
        "description": f"{title}的详细情况",
        "reporter_type": "person",
        "reporter_name": "张三",
        "reporter_phone_enc": "x",
        "reporter_phone_hash": f"h{seq}",
        "reporter_phone_masked": "138****5678",
        "first_receipt_department_id": org.id("centre"),
        "current_department_id": org.id(department),
        "registered_at": now,
        "updated_at": now,
    }
    return Case(**fields)


def test_resolved_case_rows_label_cases_with_the_resolving_department(
    session: Session, org: Org
) -> None:
    session.add_all(
        [
            _case(org, 1, "resolved", "公积金提取", "fund"),
            _case(org, 2, "closed", "不动产登记", "estate"),
            _case(org, 3, "in_progress", "社保转移", "hrss"),
            _case(org, 4, "evaluated", "社保补缴", "hrss"),
            _case(org, 5, "feedback_given", "公积金贷款", "fund"),
            _case(org, 6, "registered", "公积金封存", "fund"),
        ]
    )
    session.flush()
    assert resolved_case_rows(session) == [
        ("公积金提取", "公积金提取的详细情况", "市住房公积金管理中心"),
        ("不动产登记", "不动产登记的详细情况", "市不动产登记中心"),
        ("社保补缴", "社保补缴的详细情况", "市人社局"),
        ("公积金贷款", "公积金贷款的详细情况", "市住房公积金管理中心"),
    ]
