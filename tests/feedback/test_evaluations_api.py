"""Staff read of a case's 好差评 rounds (`GET /api/v1/cases/{id}/evaluations`)."""

from __future__ import annotations

from tests.cases.helpers import as_user
from tests.feedback.test_feedback import bad_review


def test_evaluations_listed_for_staff_in_scope(client, org, session):
    _, case_id = bad_review(client, org)
    as_user(client, "handler_fund")
    r = client.get(f"/api/v1/cases/{case_id}/evaluations")
    assert r.status_code == 200, r.text
    rows = r.json()
    assert [(e["round"], e["rating"], e["source"]) for e in rows] == [
        (1, "very_dissatisfied", "public")
    ]
    assert rows[0]["comment"] == "态度差" and rows[0]["excluded"] is False
    # another district's handler gets the same answer as for a case that does not exist
    as_user(client, "handler_b")
    assert client.get(f"/api/v1/cases/{case_id}/evaluations").status_code == 404
    assert client.get("/api/v1/cases/999999/evaluations").status_code == 404
