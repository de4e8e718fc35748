"""The SMS channel: Alibaba Cloud SMS or Tencent Cloud SMS (``BANCHENG_SMS_PROVIDER``), by
their documented signed HTTP APIs, sending an approved template by its code with the
message's variables; ``log`` in development.

A message's payload carries ``sms``: ``{"aliyun": "SMS_123", "tencent": "123456",
"params": ["number", "link"]}`` (the variables, in the order of Tencent's ``{1}``,
``{2}``...) and ``params`` with their values; secret variables (a private link) come from
the message's secrets.

- **Alibaba Cloud** ``SendSms`` (API version 2017-05-25), RPC style: the parameters sorted
  by name, each name and value percent-encoded (RFC 3986: only ``A-Za-z0-9-_.~`` kept),
  joined as ``k=v&...``; StringToSign = ``POST&%2F&`` + percentEncode(that string);
  Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)). The idempotency key
  goes in ``OutId``.
- **Tencent Cloud** ``SendSms`` (2021-01-11), TC3-HMAC-SHA256: CanonicalRequest =
  ``POST\\n/\\n\\ncontent-type:application/json; charset=utf-8\\nhost:<host>\\n\\n``
  ``content-type;host\\n`` + hex(SHA256(body)); StringToSign = ``TC3-HMAC-SHA256\\n`` +
  timestamp + ``\\n`` + ``<date>/sms/tc3_request`` + ``\\n`` + hex(SHA256(CanonicalRequest));
  the key is HMAC chained from ``"TC3" + SecretKey`` over the UTC date, ``sms`` and
  ``tc3_request``; ``Authorization: TC3-HMAC-SHA256 Credential=<SecretId>/<scope>,
  SignedHeaders=content-type;host, Signature=<hex>``. The idempotency key goes in
  ``SessionContext``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from bancheng.core.config import Settings
from bancheng.outbox.channels import (
    Delivered,
    DeliveryError,
    LogChannel,
    Outgoing,
)

ALIYUN_VERSION = "2017-05-25"
TENCENT_VERSION = "2021-01-11"
TENCENT_SERVICE = "sms"
CONTENT_TYPE_JSON = "application/json; charset=utf-8"


def _variables(msg: Outgoing) -> tuple[dict[str, Any], list[str]]:
    spec = msg.payload.get("sms") or {}
    names = [str(n) for n in spec.get("params") or []]
    values = {**(msg.payload.get("params") or {}), **msg.secrets}

    def text(v: Any) -> str:
        if isinstance(v, list | tuple):
            return "、".join(str(x) for x in v)
        return "" if v is None else str(v)

    return {n: text(values.get(n)) for n in names}, names


def domestic(phone: str) -> str:
    p = phone.strip().replace(" ", "")
    for prefix in ("+86", "0086"):
        if p.startswith(prefix):
            return p[len(prefix) :]
    return p


# --- Alibaba Cloud -------------------------------------------------------------------------


def aliyun_percent(value: str) -> str:
    return quote(value, safe="-_.~")


def aliyun_string_to_sign(method: str, params: dict[str, str]) -> str:
    canonical = "&".join(
        f"{aliyun_percent(k)}={aliyun_percent(v)}" for k, v in sorted(params.items())
    )
    return f"{method}&{aliyun_percent('/')}&{aliyun_percent(canonical)}"


def aliyun_signature(secret: str, method: str, params: dict[str, str]) -> str:
    digest = hmac.new(
        (secret + "&").encode(), aliyun_string_to_sign(method, params).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode()


ALIYUN_PERMANENT = (
    "isv.MOBILE_NUMBER_ILLEGAL",
    "isv.SMS_TEMPLATE_ILLEGAL",
    "isv.SMS_SIGNATURE_ILLEGAL",
    "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.INVALID_PARAMETERS",
    "isv.PARAM_LENGTH_LIMIT",
    "isv.BLACK_KEY_CONTROL_LIMIT",
    "isv.MOBILE_COUNT_OVER_LIMIT",
    "InvalidAccessKeyId.NotFound",
    "SignatureDoesNotMatch",
)


class AliyunSms:
    def __init__(self, settings: Settings) -> None:
        if not (settings.aliyun_sms_access_key_id and settings.aliyun_sms_access_key_secret):
            raise DeliveryError("Alibaba Cloud SMS is not configured", permanent=True)
        self.key_id = settings.aliyun_sms_access_key_id
        self.secret = settings.aliyun_sms_access_key_secret
        self.endpoint = settings.aliyun_sms_endpoint
        self.region = settings.aliyun_sms_region
        self.sign_name = settings.sms_sign_name
        self.client = httpx.Client(timeout=settings.outbox_http_timeout_seconds)

    def request_params(self, msg: Outgoing, now: datetime | None = None) -> dict[str, str]:
        code = (msg.payload.get("sms") or {}).get("aliyun")
        if not code:
            raise DeliveryError(f"no Alibaba Cloud template code for {msg.kind}", permanent=True)
        values, _ = _variables(msg)
        now = now or datetime.now(UTC)
        params = {
            "AccessKeyId": self.key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": msg.idempotency_key[:256],
            "PhoneNumbers": domestic(msg.recipient),
            "RegionId": self.region,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": str(code),
            "TemplateParam": json.dumps(values, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": ALIYUN_VERSION,
        }
        params["Signature"] = aliyun_signature(self.secret, "POST", params)
        return params

    def send(self, msg: Outgoing) -> Delivered:
        params = self.request_params(msg)
        try:
            r = self.client.post(self.endpoint, data=params)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        try:
            body = r.json()
        except ValueError:
            raise DeliveryError(
                f"HTTP {r.status_code}: {r.text[:200]}", str(r.status_code)
            ) from None
        code = str(body.get("Code", ""))
        if code == "OK":
            return Delivered(ref=str(body.get("BizId") or body.get("RequestId")), status="OK")
        raise DeliveryError(
            f"{code}: {body.get('Message', '')}", status=code, permanent=code in ALIYUN_PERMANENT
        )


# --- Tencent Cloud -------------------------------------------------------------------------


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def tencent_authorization(
    secret_id: str, secret_key: str, host: str, body: bytes, timestamp: int
) -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{CONTENT_TYPE_JSON}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/{TENCENT_SERVICE}/tc3_request"
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    k = _hmac(("TC3" + secret_key).encode(), date)
    k = _hmac(k, TENCENT_SERVICE)
    k = _hmac(k, "tc3_request")
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


def _tencent_temporary(code: str) -> bool:
    return code.startswith(("InternalError", "LimitExceeded", "RequestLimitExceeded")) or code in (
        "FailedOperation.InsufficientBalanceInSmsPackage",
    )


class TencentSms:
    def __init__(self, settings: Settings) -> None:
        s = settings
        if not (s.tencent_sms_secret_id and s.tencent_sms_secret_key and s.tencent_sms_app_id):
            raise DeliveryError("Tencent Cloud SMS is not configured", permanent=True)
        self.secret_id = s.tencent_sms_secret_id
        self.secret_key = s.tencent_sms_secret_key
        self.app_id = s.tencent_sms_app_id
        self.endpoint = s.tencent_sms_endpoint
        self.host = urlsplit(s.tencent_sms_endpoint).netloc
        self.region = s.tencent_sms_region
        self.sign_name = s.sms_sign_name
        self.client = httpx.Client(timeout=s.outbox_http_timeout_seconds)

    def request(self, msg: Outgoing, timestamp: int | None = None) -> tuple[dict[str, str], bytes]:
        template = (msg.payload.get("sms") or {}).get("tencent")
        if not template:
            raise DeliveryError(f"no Tencent Cloud template id for {msg.kind}", permanent=True)
        values, names = _variables(msg)
        body = json.dumps(
            {
                "PhoneNumberSet": ["+86" + domestic(msg.recipient)],
                "SmsSdkAppId": self.app_id,
                "SignName": self.sign_name,
                "TemplateId": str(template),
                "TemplateParamSet": [values[n] for n in names],
                "SessionContext": msg.idempotency_key[:512],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        ts = timestamp or int(time.time())
        headers = {
            "Authorization": tencent_authorization(
                self.secret_id, self.secret_key, self.host, body, ts
            ),
            "Content-Type": CONTENT_TYPE_JSON,
            "Host": self.host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(ts),
            "X-TC-Version": TENCENT_VERSION,
            "X-TC-Region": self.region,
        }
        return headers, body

    def send(self, msg: Outgoing) -> Delivered:
        headers, body = self.request(msg)
        try:
            r = self.client.post(self.endpoint, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        try:
            resp = r.json().get("Response") or {}
        except ValueError:
            raise DeliveryError(
                f"HTTP {r.status_code}: {r.text[:200]}", str(r.status_code)
            ) from None
        err = resp.get("Error")
        if err:
            code = str(err.get("Code", ""))
            raise DeliveryError(
                f"{code}: {err.get('Message', '')}",
                status=code,
                permanent=not _tencent_temporary(code),
            )
        statuses = resp.get("SendStatusSet") or [{}]
        st = statuses[0]
        code = str(st.get("Code", ""))
        if code == "Ok":
            return Delivered(ref=str(st.get("SerialNo") or resp.get("RequestId")), status="Ok")
        raise DeliveryError(
            f"{code}: {st.get('Message', '')}", status=code, permanent=not _tencent_temporary(code)
        )


class SmsChannel:
    """``sms``: the provider the settings name."""

    def __init__(self, settings: Settings) -> None:
        provider = settings.sms_provider
        self.inner: Any
        if provider == "aliyun":
            self.inner = AliyunSms(settings)
        elif provider == "tencent":
            self.inner = TencentSms(settings)
        else:
            self.inner = LogChannel(settings)

    def send(self, msg: Outgoing) -> Delivered:
        return self.inner.send(msg)  # type: ignore[no-any-return]
