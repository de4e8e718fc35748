"""`bancheng insights hot-issues --since DATE --json` over committed cases."""

from __future__ import annotations

import json

from sqlalchemy import select

from bancheng.cases import service
from bancheng.cases.schemas import CaseCreate
from bancheng.core import clock
from bancheng.org.models import User
from bancheng.org.scope import principal_for
from bancheng.org.service import create_department
from tests.conftest import case_payload, make_user


def test_hot_issues_cli(db, cli, settings):
    with db.transaction() as s:
        centre = create_department(s, code="X", name="中心", level="city", kind="centre")
        make_user(s, "c", "clerk", centre, "all")
    with db.transaction() as s:
        p = principal_for(s, s.scalar(select(User).where(User.username == "c")))
        for i in range(3):
            service.create_case(
                s,
                settings,
                p,
                CaseCreate.model_validate(
                    case_payload(
                        title=f"阳光花园小区电梯长期故障{i}",
                        description="阳光花园小区3栋电梯长期故障无人维修，老人上下楼困难",
                        reporter={"name": "住户", "phone": f"1390000000{i}"},
                    )
                ),
            )
        service.create_case(s, settings, p, CaseCreate.model_validate(case_payload()))
    today = clock.local_today().isoformat()
    result = cli("insights", "hot-issues", "--since", today, "--json")
    assert result.exit_code == 0, result.output
    issues = json.loads(result.output)
    assert [(i["reports"], i["reporters"]) for i in issues] == [(3, 3)]
    assert all("电梯" in t for t in issues[0]["titles"])
