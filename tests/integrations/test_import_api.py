"""``POST /api/v1/imports/cases``: a good file imports exactly its rows, a re-run imports
nothing and reports duplicates, bad rows are reported with row and column and nothing is
written, a dry run writes nothing, other roles are refused, wrong files get stable codes."""

from __future__ import annotations

import io
import json
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from bancheng.audit.models import OperationLog
from bancheng.cases.models import Case, CaseEvent
from bancheng.insights.models import ImportedWorkOrder
from bancheng.integrations import hotline_import_rows
from tests.cases.helpers import as_user
from tests.conftest import upload_csv

URL = "/api/v1/imports/cases"
MAPPING = {
    "external_id": "工单号",
    "title": "标题",
    "description": "内容",
    "reporter_name": "姓名",
    "reporter_phone": "电话",
    "registered_at": "受理时间",
    "kind": "类型",
}
GOOD = """工单号,标题,内容,姓名,电话,受理时间,类型
G1,公积金提取,材料反复要求补交,李四,13900001111,2026/10/01 09:30,投诉
G2,不动产登记,窗口说系统故障,王五,13900002222,2026-10-02,咨询
G3,社保转移,跨省转移办不成,赵六,139****5555,2026年10月03日,办不成事
"""
BAD = """工单号,标题,内容,姓名,电话,受理时间,类型
B1,好行,内容,李四,13900001111,2026/10/01 09:30,投诉
B2,缺内容,,王五,13900002222,2026-10-02,咨询
B3,电话错误,内容,赵六,12345,2026-10-03,咨询
B4,类型错误,内容,孙八,13900004444,20261004,无此类型
"""


def _counts(session) -> tuple[int, int, int]:
    session.expire_all()
    return (
        session.scalar(select(func.count()).select_from(Case)) or 0,
        session.scalar(select(func.count()).select_from(CaseEvent)) or 0,
        session.scalar(select(func.count()).select_from(ImportedWorkOrder)) or 0,
    )


def _post(client, headers, content: bytes | str, name: str = "orders.csv", **form: Any):
    data = {"department": "A-SC", "source": "12345", "mapping": json.dumps(MAPPING)}
    data.update({k: str(v).lower() if isinstance(v, bool) else v for k, v in form.items()})
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return upload_csv(client, URL, headers, name, raw, data)


def _report(client, headers, content: bytes | str, status: int = 200, **form: Any):
    """``_post``'s answer, once its status is ``status``: the body."""
    r = _post(client, headers, content, **form)
    assert r.status_code == status, r.text
    return r.json()


def test_good_file_imports_exactly_its_rows_and_a_rerun_nothing(client, org, session):
    user = as_user(client, "supervisor_a")
    before = _counts(session)
    rep = _report(client, user.headers, GOOD)
    assert (rep["total"], rep["imported"], rep["duplicates"], rep["rejected"]) == (3, 3, 0, 0)
    assert rep["committed"] is True and rep["dry_run"] is False and rep["rows"] == []
    after = _counts(session)
    assert (after[0] - before[0], after[2] - before[2]) == (3, 3)
    g1 = session.scalar(select(Case).where(Case.title == "公积金提取"))
    assert g1 is not None and g1.kind == "complaint" and g1.channel == "transfer_12345"
    assert g1.first_receipt_department_id == org.id("distA_centre")
    # The importer can see what it imported (the receiving unit is in its scope).
    assert client.get(f"/api/v1/cases/{g1.id}").status_code == 200
    log = session.scalars(select(OperationLog).where(OperationLog.action == "case.import")).one()
    assert log.details["imported"] == 3 and log.actor_name == "supervisor_a"

    rep = _report(client, user.headers, GOOD)
    assert (rep["imported"], rep["duplicates"], rep["rejected"]) == (0, 3, 0)
    assert rep["committed"] is False
    assert [(x["row"], x["status"], x["external_id"]) for x in rep["rows"]] == [
        (2, "duplicate", "G1"),
        (3, "duplicate", "G2"),
        (4, "duplicate", "G3"),
    ]
    assert rep["rows"][0]["problems"] == [
        {"field": "external_id", "column": "工单号", "reason": "工单已导入"}
    ]
    assert _counts(session) == after
    # Another source is another namespace of ids.
    other = _post(client, user.headers, GOOD, source="ledger-2025")
    assert other.json()["imported"] == 3


def test_bad_rows_are_reported_and_nothing_is_written(client, org, session):
    user = as_user(client, "supervisor")
    before = _counts(session)
    r = _post(client, user.headers, BAD)
    assert r.status_code == 400, r.text
    body = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert body["code"] == "import.rows_rejected"
    rep = body["report"]
    assert (rep["total"], rep["imported"], rep["rejected"], rep["committed"]) == (4, 1, 3, False)
    problems = {x["row"]: x["problems"] for x in rep["rows"]}
    assert sorted(problems) == [3, 4, 5]
    assert problems[3] == [{"field": "description", "column": "内容", "reason": "诉求内容：必填"}]
    assert problems[4][0]["column"] == "电话" and "号码格式不正确" in problems[4][0]["reason"]
    assert problems[5][0]["column"] == "类型" and "无此类型" in problems[5][0]["reason"]
    # Nothing partial: the good first row was not kept either.
    assert _counts(session) == before
    # Asked to, the valid rows go in and the bad ones are reported.
    rep = _report(client, user.headers, BAD, skip_invalid=True)
    assert (rep["imported"], rep["rejected"]) == (1, 3)
    assert _counts(session)[2] == before[2] + 1


def test_dry_run_writes_nothing(client, org, session):
    user = as_user(client, "admin")
    before = _counts(session)
    rep = _report(client, user.headers, GOOD, dry_run=True)
    assert (rep["dry_run"], rep["committed"], rep["imported"], rep["rejected"]) == (
        True,
        False,
        3,
        0,
    )
    bad = _post(client, user.headers, BAD, dry_run=True)
    assert bad.status_code == 200 and bad.json()["rejected"] == 3
    assert _counts(session) == before
    assert (
        session.scalar(
            select(func.count())
            .select_from(OperationLog)
            .where(OperationLog.action == "case.import")
        )
        == 0
    )


def test_wrong_roles_are_refused_and_nothing_changes(client, org, session):
    before = _counts(session)
    for who in ("clerk", "handler_a", "leader"):
        user = as_user(client, who)
        r = _post(client, user.headers, GOOD)
        assert (r.status_code, r.json()["code"]) == (403, "auth.forbidden"), who
        assert client.get("/api/v1/imports/template.xlsx").status_code == 403
    assert _counts(session) == before


def test_receiving_unit_and_scope(client, org, session):
    user = as_user(client, "supervisor_a")
    r = _post(client, user.headers, GOOD, department="C-HF")  # a city agency
    assert (r.status_code, r.json()["code"]) == (400, "import.department_out_of_scope")
    r = _post(client, user.headers, GOOD, department="NOPE")
    assert (r.status_code, r.json()["code"]) == (400, "import.department_not_found")
    # A row naming a department outside the importer's scope is rejected.
    rows = GOOD.replace("类型\n", "类型,部门\n", 1).replace("投诉\n", "投诉,C-HF\n")
    mapping = {**MAPPING, "department": "部门"}
    r = _post(client, user.headers, rows, mapping=json.dumps(mapping), dry_run=True)
    assert r.status_code == 200 and r.json()["rejected"] == 1
    assert "数据范围" in r.json()["rows"][0]["problems"][0]["reason"]
    r = _post(client, user.headers, GOOD, channel="no_such_channel")
    assert (r.status_code, r.json()["code"]) == (400, "import.channel_invalid")
    r = _post(client, user.headers, GOOD, mapping='{"nope": "x"}')
    assert (r.status_code, r.json()["code"]) == (400, "import.unknown_field")
    r = _post(client, user.headers, GOOD, mapping="{not json")
    assert (r.status_code, r.json()["code"]) == (400, "import.mapping_invalid")


def test_files_that_are_not_spreadsheets_or_too_large(client, org, session, monkeypatch):
    user = as_user(client, "supervisor")
    before = _counts(session)
    assert hotline_import_rows.MAX_IMPORT_BYTES == 20 * 1024 * 1024
    monkeypatch.setattr(hotline_import_rows, "MAX_IMPORT_BYTES", 1024)
    r = _post(client, user.headers, GOOD + "X1,标题,内容,姓名,13900001111,2026-10-01,咨询\n" * 40)
    assert (r.status_code, r.json()["code"]) == (413, "import.too_large")
    monkeypatch.undo()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
    r = _post(client, user.headers, png, name="orders.csv")
    assert (r.status_code, r.json()["code"]) == (400, "import.type_not_allowed")
    r = _post(client, user.headers, b"PK\x03\x04 not really a workbook", name="orders.xlsx")
    assert (r.status_code, r.json()["code"]) == (400, "import.type_not_allowed")
    r = _post(client, user.headers, GOOD, name="orders.xlsx")  # CSV text named .xlsx
    assert (r.status_code, r.json()["code"]) == (400, "import.type_not_allowed")
    r = _post(client, user.headers, b"\xd0\xcf\x11\xe0" + b"\x00" * 100, name="old.xls")
    assert (r.status_code, r.json()["code"]) == (400, "import.xls_not_supported")
    r = _post(client, user.headers, b"", name="orders.csv")
    assert (r.status_code, r.json()["code"]) == (400, "import.empty")
    r = _post(client, user.headers, GOOD.splitlines()[0] + "\n", name="orders.csv")
    assert (r.status_code, r.json()["code"]) == (400, "import.empty")
    assert _counts(session) == before


def test_xlsx_upload_gbk_csv_and_template(client, org, session):
    user = as_user(client, "supervisor")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for line in GOOD.splitlines():
        ws.append(line.split(","))
    buf = io.BytesIO()
    wb.save(buf)
    # Recognised by content, whatever the name says.
    rep = _report(client, user.headers, buf.getvalue(), name="upload.bin", dry_run=True)
    assert rep["imported"] == 3
    r = _post(client, user.headers, GOOD.encode("gbk"), name="orders.csv", dry_run=True)
    assert r.status_code == 200 and r.json()["imported"] == 3
    r = client.get("/api/v1/imports/template.xlsx")
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content))
    header = [c.value for c in book.worksheets[0][1]]
    assert header[0] == "编号" and "标题" in header and "登记时间" in header
    assert header == [
        hotline_import_rows.DEFAULT_MAPPING[f]
        for f in hotline_import_rows.FIELDS
        if f in hotline_import_rows.DEFAULT_MAPPING
    ]
    # The template's headers are the default mapping: a filled template imports as is.
    book.worksheets[0].append(
        {header.index(h) + 1: v for h, v in (
            ("编号", "T1"), ("标题", "模板导入"), ("诉求内容", "内容"), ("反映人", "张三"),
            ("联系电话", "13900009999"), ("登记时间", "2026-10-08 10:00"),
        )}
    )  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    r = client.post(
        URL,
        headers=user.headers,
        data={"department": "C-SC"},
        files={"file": ("t.xlsx", out.getvalue(), "application/octet-stream")},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["imported"], r.json()["source"]) == (1, "12345")


def test_control_characters_years_and_digits_from_a_file(client, org, session):
    """A file's text is cleaned of the characters the input rules refuse (a stored one
    broke the .docx and .xlsx reports); impossible years and non-ASCII counts are row
    errors, not a 500."""
    user = as_user(client, "supervisor")
    mapping = {**MAPPING, "transfer_count": "转办次数"}
    body = (
        "工单号,标题,内容,姓名,电话,受理时间,类型,转办次数\n"
        "C1,公积金\x01提取,材料\x0b反复,李四,13900001111,2026/10/01 09:30,投诉,1\n"
        "C2,年份,内容,王五,13900002222,0001-01-01,咨询,0\n"
        "C3,次数,内容,赵六,13900003333,2026-10-03,咨询,²\n"
    )
    rep = _report(client, user.headers, body, mapping=json.dumps(mapping), skip_invalid=True)
    assert (rep["imported"], rep["rejected"]) == (1, 2)
    reasons = {x["row"]: x["errors"] for x in rep["rows"]}
    assert reasons[3][0].startswith("registered_at:") and reasons[4][0].startswith("transfer_")
    session.expire_all()
    case = session.scalar(
        select(Case)
        .join(ImportedWorkOrder, ImportedWorkOrder.case_id == Case.id)
        .where(ImportedWorkOrder.external_id == "C1")
    )
    assert case is not None and (case.title, case.description) == ("公积金提取", "材料反复")
