from tests.conftest import case_payload, login


def test_create_and_read(client, org):
    h = login(client, "clerk")
    r = client.post("/api/v1/cases", json=case_payload(), headers=h)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["state"] == "registered"
    assert body["reporter"]["phone"] == "138****5678"
    r2 = client.get(f"/api/v1/cases/{body['id']}")
    assert r2.status_code == 200
    acts = client.get(f"/api/v1/cases/{body['id']}/actions").json()
    assert [a["action"] for a in acts] == ["dispatch", "resolve_on_spot", "classify"]
