"""The bulk import path: rows are written in batches (a small batch size here, so that
batches and years cross), numbers are consecutive in file order per year, the stored
deadlines are exactly what the per-case rule (``case_clock.recompute``) gives, one bad row
means nothing is written (counter unchanged) unless ``skip_invalid``, duplicates in the
file and in the database are reported, and ``bancheng import`` does the same."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bancheng.cases import case_clock
from bancheng.cases.models import Case, CaseDepartment, CaseEvent, CaseNumberCounter
from bancheng.cases.numbering import allocate_number, allocate_number_block
from bancheng.core import clock
from bancheng.insights.models import ImportedWorkOrder, RollupDirtyDay
from bancheng.integrations.hotline_import import import_rows
from bancheng.integrations.hotline_import_rows import parse_mapping
from bancheng.sla.policies import create_policy

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
HEADER = [
    "编号",
    "标题",
    "诉求内容",
    "反映人",
    "联系电话",
    "登记时间",
    "类型",
    "难易程度",
    "状态",
    "办结期限",
    "办结时间",
    "当前部门",
]
MAPPING = parse_mapping(
    "external_id=编号,title=标题,description=诉求内容,reporter_name=反映人,"
    "reporter_phone=联系电话,registered_at=登记时间,kind=类型,difficulty=难易程度,"
    "state=状态,due_at=办结期限,resolved_at=办结时间,department=当前部门"
)
# Open, closed and suspended rows, several policies (the defaults: 12 and 3 working days,
# immediate; the test's own for complaints: calendar hours with a fraction), deadlines
# from the file, two registration years interleaved.
ROWS = [
    [
        "W01",
        "公积金提取",
        "材料反复",
        "李四",
        "13900000001",
        "2026-11-02 09:00",
        "",
        "",
        "已登记",
        "",
        "",
        "",
    ],
    [
        "W02",
        "咨询社保",
        "咨询",
        "王五",
        "13900000002",
        "2025-12-30 16:00",
        "咨询",
        "",
        "已登记",
        "",
        "",
        "",
    ],
    [
        "W03",
        "投诉窗口",
        "态度差",
        "赵六",
        "13900000003",
        "2026-11-20 10:30",
        "投诉",
        "",
        "办理中",
        "",
        "",
        "市住房公积金管理中心",
    ],
    [
        "W04",
        "即办件",
        "当场",
        "钱七",
        "13900000004",
        "2026-11-25 14:00",
        "",
        "即办",
        "已登记",
        "",
        "",
        "",
    ],
    [
        "W05",
        "补正材料",
        "缺件",
        "孙八",
        "139****0005",
        "2026-11-10 09:00",
        "",
        "",
        "suspended",
        "",
        "",
        "",
    ],
    [
        "W06",
        "已办结",
        "历史",
        "周九",
        "13900000006",
        "2025-06-01 09:00",
        "",
        "",
        "已归档",
        "2025-06-10",
        "2025-06-05 10:00",
        "",
    ],
    [
        "W07",
        "有期限",
        "12345",
        "吴十",
        "13900000007",
        "2026-11-27 09:00",
        "",
        "",
        "已登记",
        "2026-12-08 17:30",
        "",
        "",
    ],
    [
        "W08",
        "期限午夜",
        "12345",
        "郑一",
        "13900000008",
        "2026-11-27 09:00",
        "投诉",
        "",
        "已登记",
        "2026-12-09",
        "",
        "",
    ],
    [
        "W09",
        "中止有期限",
        "缺件",
        "冯二",
        "13900000009",
        "2026-11-12 09:00",
        "",
        "",
        "suspended",
        "2026-12-04 12:00",
        "",
        "",
    ],
    [
        "W10",
        "去年咨询",
        "咨询",
        "陈三",
        "13900000010",
        "2025-11-03 09:00",
        "咨询",
        "疑难",
        "已登记",
        "",
        "",
        "",
    ],
    [
        "W11",
        "已办结无期限",
        "历史",
        "褚四",
        "13900000011",
        "2026-10-08 09:00",
        "",
        "",
        "已归档",
        "",
        "2026-10-09 09:00",
        "",
    ],
]
DEADLINE_FIELDS = (
    "sla_policy_id",
    "response_due_at",
    "due_at",
    "due_date",
    "yellow_at",
    "deadline_provisional",
)


def _table(rows: list[list[str]]) -> tuple[list[str], list[list[Any]]]:
    buf = io.StringIO()
    csv.writer(buf).writerows([HEADER, *rows])
    reader = csv.reader(io.StringIO(buf.getvalue()))
    return next(reader), [list(r) for r in reader]


def _run(session, settings, org, rows, **kw: Any):
    header, data = _table(rows)
    kw.setdefault("batch_size", 3)
    return import_rows(session, settings, header, data, MAPPING, "12345", org.id("centre"), **kw)


def _counts(session: Session) -> dict[str, Any]:
    session.expire_all()
    count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
    return {
        "cases": count(Case),
        "events": count(CaseEvent),
        "units": count(CaseDepartment),
        "register": count(ImportedWorkOrder),
        "counters": sorted(
            session.execute(select(CaseNumberCounter.year, CaseNumberCounter.last_seq)).all()
        ),
    }


@pytest.fixture()
def hours_policy(session, org):
    """A complaint policy of the receiving unit in calendar hours with a yellow fraction."""
    return create_policy(
        session,
        name="中心投诉 72 小时",
        kind="complaint",
        department_id=org.id("centre"),
        response_limit=2,
        response_unit="working_hours",
        resolution_limit=72,
        resolution_unit="calendar_hours",
        yellow_fraction=0.75,
    )


def test_batches_give_consecutive_numbers_and_the_per_case_deadlines(
    session, settings, org, hours_policy
):
    clock.set_clock(lambda: NOW)
    juris = settings.jurisdiction_code
    allocate_number(session, juris, 2026)  # a case registered before: 2026 starts at 2
    before = _counts(session)
    rep = _run(session, settings, org, ROWS)
    assert (rep.total, rep.imported, rep.rejected, rep.duplicates) == (11, 11, 0, 0), rep.rows
    assert not rep.refused and {r.status for r in rep.rows} == {"imported"}

    # Numbers: consecutive in file order within each year, across the batches of 3.
    numbers = {r.external_id: r.number for r in rep.rows}
    years: dict[str, list[str]] = {"2025": [], "2026": []}
    for row in ROWS:
        years[row[5][:4]].append(row[0])
    assert [numbers[x] for x in years["2026"]] == [
        f"{juris}-2026-{seq:06d}" for seq in range(2, 2 + len(years["2026"]))
    ]
    assert [numbers[x] for x in years["2025"]] == [
        f"{juris}-2025-{seq:06d}" for seq in range(1, 1 + len(years["2025"]))
    ]
    after = _counts(session)
    assert after["counters"] == [(2025, 3), (2026, 9)]
    assert after["cases"] - before["cases"] == 11
    assert after["events"] - before["events"] == 11
    assert after["register"] - before["register"] == 11
    # The receiving unit, and the current one when the file names another (W03).
    assert after["units"] - before["units"] == 12

    cases = {
        c.number: c for c in session.scalars(select(Case).where(Case.number.in_(numbers.values())))
    }
    by_ext = {ext: cases[n] for ext, n in numbers.items()}
    w03 = by_ext["W03"]
    assert w03.current_department_id == org.id("fund")
    assert w03.first_receipt_department_id == org.id("centre")
    assert w03.sla_policy_id == hours_policy.id
    event = session.scalars(select(CaseEvent).where(CaseEvent.case_id == w03.id)).one()
    assert (event.action, event.from_state, event.to_state, event.public) == (
        "import",
        None,
        "in_progress",
        False,
    )
    assert event.details == {"source": "12345", "external_id": "W03"}
    assert event.actor_name == "数据导入" and event.actor_id is None
    reg = session.scalars(select(ImportedWorkOrder).where(ImportedWorkOrder.case_id == w03.id))
    assert [(r.source, r.external_id) for r in reg] == [("12345", "W03")]
    assert by_ext["W05"].reporter_phone_masked == "139****0005"
    assert by_ext["W01"].reporter_phone_masked == "139****0001"
    w01 = by_ext["W01"]
    # The columns' defaults, as the ORM would have written them (PostgreSQL: by COPY).
    assert (w01.version, w01.reopen_count, w01.paused_seconds) == (1, 0, 0.0)
    assert (w01.reporter_opt_out, w01.needs_supervision, w01.resolved_on_spot) == (
        False,
        False,
        False,
    )

    # Deadlines: the stored fields are exactly what the per-case rule computes.
    open_cases = [c for c in by_ext.values() if c.state != "closed"]
    assert len(open_cases) == 9
    policies = set()
    for case in open_cases:
        assert case.clock_started_at == case.registered_at
        assert case.due_at is not None, case.title
        stored = {f: getattr(case, f) for f in DEADLINE_FIELDS}
        policies.add(stored["sla_policy_id"])
        case_clock.recompute(session, case)
        assert {f: getattr(case, f) for f in DEADLINE_FIELDS} == stored, case.title
    # The defaults' 12 and 3 working days and immediate, and the test's hours policy.
    assert len(policies - {None}) == 4
    assert by_ext["W07"].due_at == datetime(2026, 12, 8, 9, 30, tzinfo=UTC)
    assert by_ext["W07"].fixed_due_at == by_ext["W07"].due_at
    for ext in ("W05", "W09"):
        assert by_ext[ext].suspended_from == "in_progress"
        assert by_ext[ext].suspended_at == NOW
    closed = by_ext["W06"]
    assert closed.clock_started_at is None and closed.sla_policy_id is None
    assert closed.due_date.isoformat() == "2025-06-10" and closed.yellow_at is None
    assert closed.closed_at == closed.resolved_at and closed.outcome == "done"
    assert by_ext["W11"].due_at is None and by_ext["W11"].due_date is None
    # The rollup will recompute the days (what the ORM's flush would have marked).
    dirty = set(session.scalars(select(RollupDirtyDay.day)))
    assert {c.registered_at.astimezone(clock.SHANGHAI).date() for c in by_ext.values()} <= dirty


def test_one_bad_row_writes_nothing_and_the_counter_stays(session, settings, org):
    clock.set_clock(lambda: NOW)
    allocate_number(session, settings.jurisdiction_code, 2026)
    before = _counts(session)
    bad = [
        *ROWS[:7],
        ["W99", "坏行", "内容", "某人", "12345", "2026-11-03", "", "", "", "", "", ""],
    ]
    rep = _run(session, settings, org, bad)
    assert rep.refused and (rep.total, rep.imported, rep.rejected) == (8, 7, 1)
    assert [(r.row, r.status) for r in rep.rows if r.status != "valid"] == [(9, "rejected")]
    assert all(r.number is None for r in rep.rows)
    assert _counts(session) == before
    # Asked to skip it: the valid rows go in, numbered without a gap.
    rep = _run(session, settings, org, bad, skip_invalid=True)
    assert not rep.refused and (rep.imported, rep.rejected) == (7, 1)
    after = _counts(session)
    assert after["cases"] - before["cases"] == 7
    assert after["register"] - before["register"] == 7
    assert dict(after["counters"])[2026] == 1 + 5 and dict(after["counters"])[2025] == 2


def test_duplicates_in_the_file_and_in_the_database(session, settings, org):
    clock.set_clock(lambda: NOW)
    first = _run(session, settings, org, ROWS[:4], batch_size=2)
    assert first.imported == 4
    before = _counts(session)
    again = [*ROWS[2:6], ROWS[4], ROWS[7], ROWS[0]]  # W03-W06, W05 again, W08, W01
    rep = _run(session, settings, org, again, batch_size=2)
    status = [(r.external_id, r.status, r.errors) for r in rep.rows]
    assert status == [
        ("W03", "duplicate", ["工单已导入"]),
        ("W04", "duplicate", ["工单已导入"]),
        ("W05", "imported", []),
        ("W06", "imported", []),
        ("W05", "duplicate", ["文件内重复的工单编号"]),
        ("W08", "imported", []),
        ("W01", "duplicate", ["工单已导入"]),
    ]
    assert rep.rows[0].problems == [
        {"field": "external_id", "column": "编号", "reason": "工单已导入"}
    ]
    assert (rep.imported, rep.duplicates, rep.rejected) == (3, 4, 0)
    assert _counts(session)["cases"] == before["cases"] + 3
    # A dry run reports the same and writes nothing.
    dry = _run(session, settings, org, [ROWS[8], ROWS[8]], dry_run=True)
    assert [r.status for r in dry.rows] == ["valid", "duplicate"]
    assert _counts(session)["cases"] == before["cases"] + 3


def test_a_number_block_continues_the_counter(session, settings):
    juris = settings.jurisdiction_code
    assert allocate_number_block(session, juris, 2031, 0) == []
    assert allocate_number_block(session, juris, 2031, 3) == [
        (1, f"{juris}-2031-000001"),
        (2, f"{juris}-2031-000002"),
        (3, f"{juris}-2031-000003"),
    ]
    assert allocate_number(session, juris, 2031) == (4, f"{juris}-2031-000004")
    assert allocate_number_block(session, juris, 2031, 2)[0][0] == 5


def test_cli_all_or_nothing_by_default(session, org, tmp_path: Path, cli):
    clock.set_clock(lambda: NOW)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        '{"external_id": "编号", "state": "状态", "due_at": "办结期限", "resolved_at": "办结时间",'
        ' "department": "当前部门", "kind": "类型", "difficulty": "难易程度"}',
        encoding="utf-8",
    )
    bad = [
        *ROWS[:5],
        ["W99", "坏行", "内容", "某人", "12345", "2026-11-03", "", "", "", "", "", ""],
    ]
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(",".join(r) for r in [HEADER, *bad]) + "\n", encoding="utf-8-sig")
    before = _counts(session)
    args = ["import", str(path), "--department", "C-SC", "--mapping", str(mapping)]
    out = cli(*args, "--batch-size", "2")
    assert out.exit_code == 1, out.output
    assert "第 7 行 [rejected] W99" in out.stdout
    assert "未导入任何数据" in out.stderr and "--skip-invalid" in out.stderr
    assert "校验中" in out.stderr
    assert _counts(session) == before
    ok = cli(*args, "--batch-size", "2", "--skip-invalid")
    assert ok.exit_code == 0, ok.output
    assert "共 6 行：导入 5，重复 0，拒绝 1" in ok.stdout
    assert "写入中" in ok.stderr
    assert _counts(session)["cases"] == before["cases"] + 5


def test_a_write_conflict_is_an_integrity_error(session, settings, org):
    """A number taken behind the counter's back (or a concurrent import of the same
    orders) fails the whole import as SQLAlchemy's IntegrityError (the API's 409), on
    PostgreSQL's COPY path too."""
    clock.set_clock(lambda: NOW)
    assert _run(session, settings, org, ROWS[:1]).imported == 1
    session.execute(
        update(CaseNumberCounter).where(CaseNumberCounter.year == 2026).values(last_seq=0)
    )
    with pytest.raises(IntegrityError):
        _run(session, settings, org, ROWS[2:3])
