"""Data scope on lists, counts and search, not only reads by id."""

from __future__ import annotations

from bancheng.cases import repository as repo
from bancheng.cases.schemas import CaseFilter
from tests.cases.helpers import as_user
from tests.conftest import principal_of


def _seed(client, org):
    a1 = as_user(client, "clerk_a").create(title="甲区一号")
    a2 = as_user(client, "clerk_a").create(title="甲区二号")
    city = as_user(client, "clerk")
    c = city.create(title="市级案件")
    city.act(c["id"], "dispatch", department_id=org.id("distB"))
    return a1["id"], a2["id"], c["id"]


def test_district_handler_lists_counts_and_searches_only_their_scope(client, org, session):
    a1, a2, c = _seed(client, org)
    as_user(client, "handler_a")
    page = client.get("/api/v1/cases?sort=number&order=asc").json()
    assert ([i["id"] for i in page["items"]], page["total"]) == ([a1, a2], 2)
    assert client.get("/api/v1/cases?q=市级").json()["total"] == 0
    assert client.get(f"/api/v1/cases/{c}").status_code == 404
    assert client.get(f"/api/v1/cases/{c}/timeline").status_code == 404
    as_user(client, "handler_b")
    page = client.get("/api/v1/cases").json()
    assert [i["id"] for i in page["items"]] == [c]
    p = principal_of(session, org, "handler_b")
    assert repo.count_cases(session, p, CaseFilter()) == 1


def test_dept_only_scope_excludes_subunits(client, org, session):
    _seed(client, org)
    from bancheng.org.models import User

    u = session.get(User, org.users["handler_a"].id)
    u.data_scope = "dept"
    session.commit()
    as_user(client, "handler_a")
    assert client.get("/api/v1/cases").json()["total"] == 0


def test_self_scope_sees_own_cases(client, org, session):
    a1, a2, _ = _seed(client, org)
    from bancheng.org.models import User

    u = session.get(User, org.users["clerk_a"].id)
    u.data_scope = "self"
    session.commit()
    as_user(client, "clerk_a")
    assert sorted(i["id"] for i in client.get("/api/v1/cases").json()["items"]) == [a1, a2]


def test_unit_keeps_seeing_cases_it_handled(client, org):
    city = as_user(client, "clerk")
    c = city.create()
    city.act(c["id"], "dispatch", department_id=org.id("fund"))
    h = as_user(client, "handler_fund")
    h.act(c["id"], "accept")
    h.act(c["id"], "transfer", reason="非本单位", department_id=org.id("estate"))
    assert client.get(f"/api/v1/cases/{c['id']}").status_code == 200
    assert h.actions(c["id"]) == []
