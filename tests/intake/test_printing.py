"""QR codes, posters and receipts."""

from __future__ import annotations

from tests.cases.helpers import as_user


def test_qr_poster_and_receipt(client, org):
    clerk = as_user(client, "clerk")
    r = client.get(f"/api/v1/halls/{org.hall.id}/qr.png", params={"window": org.window.id})
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
    r = client.get(f"/api/v1/halls/{org.hall.id}/poster.pdf", params={"window": org.window.id})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert b"FontFile" in r.content  # the CJK font is embedded
    case = clerk.create()
    r = client.get(f"/api/v1/cases/{case['id']}/receipt.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    r = client.get("/api/v1/halls/9999/poster.pdf")
    assert r.status_code == 404


def test_the_permission_is_checked_before_the_hall(client, org):
    """Without ``qr.print`` the answer is 403 whether or not the hall or window exists, so
    the print endpoints do not tell outsiders which halls and windows there are."""
    as_user(client, "handler_fund")
    for path in ("qr.png", "poster.pdf"):
        known = client.get(f"/api/v1/halls/{org.hall.id}/{path}")
        unknown = client.get(f"/api/v1/halls/9999/{path}", params={"window": 9999})
        assert (known.status_code, unknown.status_code) == (403, 403), path
        assert known.json()["code"] == unknown.json()["code"]
    client.cookies.clear()
    r = client.get("/api/v1/halls/9999/qr.png")
    assert r.status_code == 401
