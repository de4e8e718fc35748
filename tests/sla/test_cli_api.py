"""``bancheng calendar ...`` and the calendar/policy HTTP routes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bancheng.sla.models import CalendarYear
from tests.conftest import login
from tests.sla.data import DIRECTOR_HOTLINE_POLICY, official_csv, synthetic_2027_csv


@pytest.fixture()
def run(cli):
    """``bancheng calendar ARGS`` on the test's database."""

    def invoke(*args: str) -> Any:
        return cli("calendar", *args)

    return invoke


def test_cli_deadline_json(run):
    result = run("deadline", "--start", "2026-09-24", "--workdays", "12", "--json")
    assert result.exit_code == 0
    assert result.stdout == '{"deadline": "2026-10-19", "provisional": false}\n'


def test_cli_deadline_into_2027_is_provisional(run):
    result = run("deadline", "--start", "2026-12-20", "--workdays", "12", "--json")
    assert json.loads(result.stdout) == {"deadline": "2027-01-05", "provisional": True}
    text = run("deadline", "--start", "2026-12-20", "--workdays", "12")
    assert text.stdout == "2027-01-05 (星期二)\n"
    assert "暂定" in text.stderr


def test_cli_deadline_hours(run):
    result = run("deadline", "--start", "2026-09-24T16:00", "--working-hours", "3", "--json")
    assert json.loads(result.stdout) == {
        "deadline": "2026-09-28",
        "provisional": False,
        "due_at": "2026-09-28T02:30:00+00:00",
    }
    text = run("deadline", "--start", "2026-09-24T16:00", "--calendar-hours", "48")
    assert text.stdout == "2026-09-26 (星期六),截止 2026-09-26 16:00 北京时间\n"


def test_cli_deadline_bad_input(run):
    negative = run("deadline", "--start", "2026-09-24", "--workdays", "-1")
    assert negative.exit_code == 1
    assert "sla.invalid_limit" in negative.stderr
    both = run("deadline", "--start", "2026-09-24", "--workdays", "1", "--calendar-hours", "1")
    assert both.exit_code == 2
    bad_date = run("deadline", "--start", "24/09/2026", "--workdays", "1")
    assert bad_date.exit_code == 2
    early = run("deadline", "--start", "1980-01-01", "--workdays", "1")
    assert "calendar.out_of_range" in early.stderr


def test_cli_import_show_years(run, session, tmp_path):
    path = tmp_path / "2027.csv"
    path.write_bytes(synthetic_2027_csv())
    result = run("import", str(path))
    assert result.exit_code == 0
    assert result.stdout == "已导入 2027 年: 放假 17 天,调休上班 2 天。\n"
    assert session.get(CalendarYear, 2027) is not None
    shown = run("show", "2027").stdout
    assert shown.startswith("2027 年  来源: test fixture\n")
    assert "春节: 放假 2/6–2/12;调休上班 2/20" in shown
    assert "国庆节: 放假 10/1、10/4–10/7;调休上班 9/26" in shown
    years = json.loads(run("years", "--json").stdout)
    assert years["years"][-1]["year"] == 2027
    assert years["years"][-1]["holidays"] == 17


def test_cli_import_refuses_a_bad_file(run, session, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(synthetic_2027_csv("2027-03-01,2027,day_off,,\n"))
    result = run("import", str(path))
    assert result.exit_code == 1
    assert "calendar.unknown_kind" in result.stderr
    assert "第 21 行" in result.stderr
    assert session.get(CalendarYear, 2027) is None


def test_cli_show_unknown_year_and_seed(run):
    shown = run("show", "2027").stdout
    assert shown.splitlines()[0] == "2027 年  没有节假日安排: 以下按周一至周五推算(暂定)"
    assert run("seed").stdout == "没有需要导入的年份。\n"


# --------------------------------------------------------------------------- HTTP


class _Signed:
    """A test client that sends one user's CSRF header with every request."""

    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def __getattr__(self, method: str) -> Any:
        call = getattr(self.client, method)
        return lambda *a, **kw: call(*a, headers=self.headers, **kw)


@pytest.fixture()
def api(client, org) -> _Signed:
    return _Signed(client, login(client, "admin"))


def test_staff_read_and_only_admins_change(client, org, session):
    clerk = _Signed(client, login(client, "clerk"))
    r = clerk.get("/api/v1/calendar/deadline", params={"start": "2026-09-24", "workdays": 12})
    assert r.json()["deadline"] == "2026-10-19"
    assert clerk.get("/api/v1/sla/policies").status_code == 200
    denied = clerk.post(
        "/api/v1/calendar/import", files={"file": ("2027.csv", synthetic_2027_csv())}
    )
    assert (denied.status_code, denied.json()["code"]) == (403, "auth.forbidden")
    assert session.get(CalendarYear, 2027) is None
    denied = clerk.patch("/api/v1/sla/policies/1", json={"resolution_limit": 1})
    assert (denied.status_code, denied.json()["code"]) == (403, "auth.forbidden")
    assert clerk.get("/api/v1/sla/policies").json()[0]["resolution_limit"] == 12
    client.cookies.clear()
    assert client.get("/api/v1/calendar/years").status_code == 401


def test_api_deadline(api):
    r = api.get("/api/v1/calendar/deadline", params={"start": "2026-09-24", "workdays": 12})
    assert r.status_code == 200
    assert r.json() == {
        "start": "2026-09-24",
        "workdays": 12,
        "deadline": "2026-10-19",
        "due_at": "2026-10-19T16:00:00Z",
        "provisional": False,
    }
    bad = api.get("/api/v1/calendar/deadline", params={"start": "2026-09-24", "workdays": -3})
    assert bad.status_code == 400
    assert bad.json()["code"] == "sla.invalid_limit"


def test_api_years_and_days(api):
    r = api.get("/api/v1/calendar/years")
    assert r.status_code == 200
    body = r.json()
    assert [y["year"] for y in body["years"]] == list(range(2004, 2027))
    day = api.get("/api/v1/calendar/2026").json()
    assert day["known"] is True
    assert len(day["days"]) == 365
    assert day["days"][3] == {
        "date": "2026-01-04",
        "kind": "makeup_workday",
        "festival": "元旦",
        "workday": True,
    }
    assert api.get("/api/v1/calendar/2027").json()["known"] is False
    assert api.get("/api/v1/calendar/1989").json()["code"] == "calendar.date_out_of_range"


def test_api_import(api):
    bad = api.post(
        "/api/v1/calendar/import",
        files={"file": ("bad.csv", synthetic_2027_csv("2027-01-01,2027,holiday,元旦,\n"))},
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "calendar.duplicate_date"
    assert bad.json()["errors"][0]["row"] == 21
    assert api.get("/api/v1/calendar/2027").json()["known"] is False
    good = api.post("/api/v1/calendar/import", files={"file": ("2027.csv", synthetic_2027_csv())})
    assert good.status_code == 200
    assert good.json() == {
        "years": [2027],
        "replaced_years": [],
        "holidays": 17,
        "makeup_workdays": 2,
        "source": "import:2027.csv",
    }
    r = api.get("/api/v1/calendar/deadline", params={"start": "2026-12-20", "workdays": 12})
    assert (r.json()["deadline"], r.json()["provisional"]) == ("2027-01-06", False)
    official = api.post(
        "/api/v1/calendar/import",
        files={"file": ("official.csv", official_csv().read_bytes())},
    )
    assert official.json()["replaced_years"] == [2024, 2025, 2026]


def test_api_policies(api):
    listed = api.get("/api/v1/sla/policies").json()
    assert [p["name"] for p in listed] == [
        "其他诉求 12 个工作日",
        "咨询 3 个工作日",
        "即办 当日办结",
    ]
    created = api.post(
        "/api/v1/sla/policies", json={**DIRECTOR_HOTLINE_POLICY, "yellow_remaining": 12}
    )
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    match = api.get(
        "/api/v1/sla/policies/match",
        params={
            "kind": "complaint",
            "difficulty": "general",
            "channel": "director_hotline",
            "accepted_at": "2026-09-24T16:00:00+08:00",
        },
    ).json()
    assert match["policy"]["id"] == pid
    assert match["resolution_due_at"] == "2026-09-26T08:00:00Z"
    assert match["response_due_at"] == "2026-09-28T01:30:00Z"
    patched = api.patch(f"/api/v1/sla/policies/{pid}", json={"resolution_limit": -1})
    assert patched.status_code == 400
    assert patched.json()["code"] == "sla.invalid_limit"
    patched = api.patch(f"/api/v1/sla/policies/{pid}", json={"resolution_limit": 72})
    assert patched.json()["resolution_limit"] == 72
    nulled = api.patch(f"/api/v1/sla/policies/{pid}", json={"name": None})
    assert nulled.json()["code"] == "sla.invalid_key"
    malformed = api.post("/api/v1/sla/policies", json={"name": "x"})
    assert malformed.status_code == 422
