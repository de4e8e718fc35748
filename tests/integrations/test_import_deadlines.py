"""An imported open work order gets its deadline (from the file, or the matching policy),
keeps it through dispatch and acceptance, and a recompute keeps it; the Excel import and
export carry the 12345 number."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy import select

from bancheng.cases import case_clock
from bancheng.cases.models import Case
from bancheng.core import clock
from bancheng.integrations import hotline_import_rows
from tests.cases.helpers import as_user
from tests.conftest import upload_csv

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
CSV = """编号,12345工单号,标题,诉求内容,反映人,联系电话,登记时间,状态,办结期限,办结时间
W1,RX-1,公积金提取,材料反复要求补交,李四,13900001111,2026-12-01 09:00,已登记,,
W2,RX-2,不动产登记,窗口说系统故障,王五,13900002222,2026-12-01 09:00,已登记,2026-12-10 17:30,
W3,RX-3,社保转移,已办结,赵六,13900003333,2026-11-02 09:00,已归档,2026-11-05,2026-11-04 10:00
"""


def _import(client, headers):
    data = {"department": "C-SC", "source": "12345"}
    r = upload_csv(client, "/api/v1/imports/cases", headers, "orders.csv", CSV.encode(), data)
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 3, r.json()


def test_imported_open_orders_get_and_keep_their_deadline(client, org, session):
    clock.set_clock(lambda: NOW)
    sup = as_user(client, "supervisor")
    _import(client, sup.headers)
    by_order = {c.hotline_order_number: c for c in session.scalars(select(Case))}
    w1, w2, w3 = by_order["RX-1"], by_order["RX-2"], by_order["RX-3"]
    # No deadline in the file: the policy's, counted from the registration.
    assert w1.sla_policy_id is not None and w1.due_at is not None
    assert w1.clock_started_at == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    # The file's deadline is the order's own.
    assert w2.due_at == datetime(2026, 12, 10, 9, 30, tzinfo=UTC)
    assert w2.due_date.isoformat() == "2026-12-10"
    # A closed historical case keeps what the file says and runs no clock.
    assert w3.clock_started_at is None and w3.due_date.isoformat() == "2026-11-05"

    due1, due2 = w1.due_at, w2.due_at
    clerk = as_user(client, "clerk")
    clerk.act(w2.id, "dispatch", department_id=org.id("fund"))
    as_user(client, "handler_fund").act(w2.id, "accept")
    session.expire_all()
    w1, w2 = session.get(Case, w1.id), session.get(Case, w2.id)
    assert w2.state == "accepted" and w2.due_at == due2
    case_clock.recompute(session, w1)
    case_clock.recompute(session, w2)
    assert (w1.due_at, w2.due_at) == (due1, due2)


def test_export_carries_the_12345_number_and_reads_back(client, org, session):
    clock.set_clock(lambda: NOW)
    sup = as_user(client, "supervisor")
    _import(client, sup.headers)
    r = client.get("/api/v1/exports/cases.xlsx", headers=sup.headers)
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content), read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    col = list(rows[0]).index("12345工单号")
    assert sorted(row[col] for row in rows[1:]) == ["RX-1", "RX-2", "RX-3"]
    # The import template has the column, so the file can be filled and read back.
    template = load_workbook(io.BytesIO(hotline_import_rows.template_xlsx()), read_only=True)
    assert "12345工单号" in next(template.worksheets[0].iter_rows(values_only=True))
