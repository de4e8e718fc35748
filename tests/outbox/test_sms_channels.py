"""The SMS adapters against local servers that check each request and its signature the
way the providers document them (the checks below are written from the documentation,
not from the adapter)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

import pytest
from sqlalchemy import select

from bancheng.outbox import service
from bancheng.outbox.models import OutboxMessage
from bancheng.outbox.worker import Deliverer
from tests.outbox.sinks import HttpSink

AK_ID, AK_SECRET = "LTAI5tTestKeyId", "testSecretForAliyun"
TC_ID, TC_KEY, TC_APP = "AKIDtestSecretId", "testTencentSecretKey", "1400000001"
SPEC = {"aliyun": "SMS_465000001", "tencent": "2100001", "params": ["number", "link"]}


def _enqueue(database, key: str, phone: str = "13812345678") -> None:
    with database.transaction() as s:
        service.enqueue(
            s,
            channel="sms",
            kind="reporter.accepted",
            idempotency_key=key,
            recipient_secret=phone,
            recipient_masked="138****5678",
            payload={
                "text": "已受理，编号{number}，查看：{link}",
                "params": {"number": "BC-2026-000007"},
                "sms": SPEC,
            },
            secrets={"link": "https://bc.example.gov.cn/m/status?no=BC-2026-000007&t=abc"},
        )


# --- Alibaba Cloud: RPC signature, HMAC-SHA1 -------------------------------------------


def _pct(s: str) -> str:
    # RFC 3986 unreserved characters stay; space is %20, * is %2A, ~ stays.
    return quote(s, safe="~").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def aliyun_settings(settings, sink_url: str, sign_name: str):
    """``settings`` sending SMS through Aliyun at ``sink_url``, signed ``sign_name``."""
    return settings.model_copy(
        update={
            "sms_provider": "aliyun",
            "sms_sign_name": sign_name,
            "aliyun_sms_access_key_id": AK_ID,
            "aliyun_sms_access_key_secret": AK_SECRET,
            "aliyun_sms_endpoint": sink_url + "/",
        }
    )


def aliyun_check(req, secret: str) -> tuple[bool, dict[str, str]]:
    params = dict(parse_qsl(req["body"].decode(), keep_blank_values=True))
    sig = params.pop("Signature")
    canonical = "&".join(f"{_pct(k)}={_pct(v)}" for k, v in sorted(params.items()))
    string_to_sign = "POST&" + _pct("/") + "&" + _pct(canonical)
    expected = base64.b64encode(
        hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    ).decode()
    return hmac.compare_digest(sig, expected), params


@pytest.fixture()
def aliyun(settings):
    seen = []

    def respond(req):
        ok, params = aliyun_check(req, AK_SECRET)
        seen.append((ok, params))
        if not ok:
            return 400, b'{"Code":"SignatureDoesNotMatch","Message":"bad signature"}'
        if params["PhoneNumbers"] == "10000000000":
            return 200, b'{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"illegal"}'
        if params["PhoneNumbers"] == "13900000000":
            return 200, b'{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"flow control"}'
        return 200, b'{"Code":"OK","Message":"OK","BizId":"900619746936498440^0","RequestId":"r1"}'

    with HttpSink(respond) as sink:
        conf = aliyun_settings(settings, sink.url, "某市政务服务中心")
        yield conf, seen


def test_aliyun_request_and_signature(committed, aliyun):
    conf, seen = aliyun
    _enqueue(committed, "reporter.accepted:1")
    assert Deliverer(committed, conf).run_once().sent == 1
    [(ok, p)] = seen
    assert ok
    ts = p.pop("Timestamp")
    assert (
        abs(
            (
                datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) - datetime.now(UTC)
            ).total_seconds()
        )
        < 60
    )
    assert len(p.pop("SignatureNonce")) >= 16
    assert p == {
        "AccessKeyId": AK_ID,
        "Action": "SendSms",
        "Format": "JSON",
        "OutId": "reporter.accepted:1",
        "PhoneNumbers": "13812345678",
        "RegionId": "cn-hangzhou",
        "SignName": "某市政务服务中心",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_465000001",
        "TemplateParam": json.dumps(
            {
                "number": "BC-2026-000007",
                "link": "https://bc.example.gov.cn/m/status?no=BC-2026-000007&t=abc",
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ),
        "Version": "2017-05-25",
    }
    with committed.transaction(write=False) as s:
        msg = s.scalar(select(OutboxMessage))
        assert (msg.state, msg.provider_ref) == ("sent", "900619746936498440^0")


def test_aliyun_refusals(committed, aliyun):
    conf, _ = aliyun
    _enqueue(committed, "bad-number", phone="10000000000")
    _enqueue(committed, "throttled", phone="13900000000")
    r = Deliverer(committed, conf).run_once()
    assert (r.dead, r.retried) == (1, 1)
    with committed.transaction(write=False) as s:
        got = {m.idempotency_key: (m.state, m.last_error) for m in s.scalars(select(OutboxMessage))}
    assert got == {
        "bad-number": ("dead", "isv.MOBILE_NUMBER_ILLEGAL: illegal"),
        "throttled": ("pending", "isv.BUSINESS_LIMIT_CONTROL: flow control"),
    }


def test_aliyun_wrong_secret_is_refused_by_the_check(committed, aliyun):
    conf, seen = aliyun
    conf = conf.model_copy(update={"aliyun_sms_access_key_secret": "not-the-secret"})
    _enqueue(committed, "wrong-secret")
    assert Deliverer(committed, conf).run_once().dead == 1
    assert [ok for ok, _ in seen] == [False]


# --- Tencent Cloud: TC3-HMAC-SHA256 ---------------------------------------------------


def tencent_check(req, secret_id: str, secret_key: str) -> bool:
    h = req["headers"]
    auth = h["authorization"]
    algo, rest = auth.split(" ", 1)
    fields = dict(part.strip().split("=", 1) for part in rest.split(","))
    cred_id, date, service_name, term = fields["Credential"].split("/")
    ts = int(h["x-tc-timestamp"])
    if (algo, cred_id, service_name, term) != ("TC3-HMAC-SHA256", secret_id, "sms", "tc3_request"):
        return False
    if date != datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d"):
        return False
    signed = fields["SignedHeaders"].split(";")
    canonical_headers = "".join(
        f"{k}:{h[k].strip().lower() if k == 'content-type' else h[k].strip()}\n" for k in signed
    )
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            canonical_headers,
            fields["SignedHeaders"],
            hashlib.sha256(req["body"]).hexdigest(),
        ]
    )
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(ts),
            f"{date}/sms/tc3_request",
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )

    def hm(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    k = hm(hm(hm(("TC3" + secret_key).encode(), date), "sms"), "tc3_request")
    return hmac.compare_digest(
        fields["Signature"], hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    )


def test_tencent_request_and_signature(committed, settings):
    seen = []

    def respond(req):
        ok = tencent_check(req, TC_ID, TC_KEY)
        seen.append((ok, req))
        if not ok:
            return (
                200,
                b'{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"x"},"RequestId":"r"}}',
            )
        return 200, json.dumps(
            {
                "Response": {
                    "SendStatusSet": [
                        {
                            "SerialNo": "5000:1045710669157053657849499619",
                            "Code": "Ok",
                            "Message": "send success",
                        }
                    ],
                    "RequestId": "r2",
                }
            }
        ).encode()

    with HttpSink(respond) as sink:
        conf = settings.model_copy(
            update={
                "sms_provider": "tencent",
                "sms_sign_name": "某市政务服务中心",
                "tencent_sms_secret_id": TC_ID,
                "tencent_sms_secret_key": TC_KEY,
                "tencent_sms_app_id": TC_APP,
                "tencent_sms_endpoint": sink.url + "/",
            }
        )
        _enqueue(committed, "reporter.accepted:2")
        assert Deliverer(committed, conf).run_once().sent == 1
        bad = conf.model_copy(update={"tencent_sms_secret_key": "wrong"})
        _enqueue(committed, "reporter.accepted:3")
        assert Deliverer(committed, bad).run_once().dead == 1
    (ok, req), (ok_bad, _) = seen
    assert (ok, ok_bad) == (True, False)
    h = req["headers"]
    assert (h["x-tc-action"], h["x-tc-version"], h["x-tc-region"]) == (
        "SendSms",
        "2021-01-11",
        "ap-guangzhou",
    )
    assert h["content-type"] == "application/json; charset=utf-8"
    assert json.loads(req["body"]) == {
        "PhoneNumberSet": ["+8613812345678"],
        "SmsSdkAppId": TC_APP,
        "SignName": "某市政务服务中心",
        "TemplateId": "2100001",
        "TemplateParamSet": [
            "BC-2026-000007",
            "https://bc.example.gov.cn/m/status?no=BC-2026-000007&t=abc",
        ],
        "SessionContext": "reporter.accepted:2",
    }
    with committed.transaction(write=False) as s:
        rows = {
            m.idempotency_key: (m.state, m.provider_ref, m.last_error)
            for m in s.scalars(select(OutboxMessage))
        }
    assert rows == {
        "reporter.accepted:2": ("sent", "5000:1045710669157053657849499619", None),
        "reporter.accepted:3": ("dead", None, "AuthFailure.SignatureFailure: x"),
    }
