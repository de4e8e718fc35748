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
