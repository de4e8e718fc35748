"""The one settings object. Every knob has the ``BANCHENG_`` prefix."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-insecure-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BANCHENG_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    threads: int = Field(default=8, ge=1, le=200)  # request threads per worker
    worker_healthcheck_seconds: int = Field(default=120, ge=5)  # see `bancheng serve`
    # How long an idle client connection stays open. Longer than a proxy's or a client's
    # own idle limit, so that the server never closes a connection just as a request is
    # sent on it (uvicorn's 5 s default does, under load: "server disconnected").
    keep_alive_seconds: int = Field(default=75, ge=1, le=3600)
    data_dir: Path = Path("var")
    database_url: str | None = None
    # PostgreSQL: no statement may run longer than this (a runaway query must not pin a core).
    statement_timeout_ms: int = Field(default=30_000, ge=0)

    # Case rules
    jurisdiction_code: str = Field(default="BC", pattern=r"^[A-Z]{2,8}$")
    max_transfers: int = Field(default=2, ge=0, le=20)
    # Working days a co-handling unit (协办) has to reply, unless the dispatch names its own.
    co_handling_reply_workdays: int = Field(default=3, ge=1, le=30)

    # Deadlines (sla)
    calendar_count_from_next_day: bool = True
    office_hours: str = "09:00-12:00,13:30-17:30"
    sla_sweep_interval_seconds: int = Field(default=300, ge=0)  # 0: no sweeper in serve
    # false: this process serves requests only; another instance runs the periodic jobs.
    jobs_in_serve: bool = True
    sla_escalate_after_workdays: int = Field(default=3, ge=0, le=60)

    # Insights (bancheng.insights): assessment weights as JSON ({"on_time": 0.4, ...}), the
    # daily summary's e-mail (sent only when smtp_host and summary_recipients are set).
    insights_weights: str | None = None
    insights_rollup_days: int = Field(default=35, ge=1, le=3660)  # rebuilt nightly
    # How often the scheduler brings the rollup and the light snapshots up to date.
    insights_refresh_seconds: float = Field(default=60.0, ge=5, le=3600)
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_tls: bool = False  # implicit TLS (SMTPS, usually port 465)
    smtp_ca_file: str | None = None  # a private CA for the mail server's certificate
    smtp_from: str = "bancheng@localhost"
    summary_recipients: str | None = None  # comma-separated

    # Outbox (bancheng.outbox): delivery worker, retries with exponential backoff.
    outbox_worker_in_serve: bool = True  # false: run `bancheng outbox run` separately
    outbox_poll_seconds: float = Field(default=2.0, ge=0.05, le=600)
    # A commit that enqueued messages brings delivery forward to at most this far ahead, so
    # that a burst of registrations is claimed in one batch (0: at once).
    nudge_delay_seconds: float = Field(default=0.2, ge=0, le=10)
    outbox_batch_size: int = Field(default=50, ge=1, le=1000)
    outbox_max_attempts: int = Field(default=8, ge=1, le=50)
    outbox_backoff_seconds: float = Field(default=30.0, ge=0, le=86400)
    outbox_backoff_max_seconds: float = Field(default=6 * 3600.0, ge=0, le=7 * 86400)
    outbox_lease_seconds: float = Field(default=120.0, ge=5, le=3600)
    outbox_http_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Webhooks and HTTP targets on loopback or private networks (SSRF): off by default.
    outbox_allow_private_targets: bool = False
    # SMS: "log" (development: the log and the deliveries page), "aliyun" or "tencent".
    sms_provider: Literal["log", "aliyun", "tencent"] = "log"
    sms_sign_name: str = ""  # the approved signature (签名), e.g. 某市政务服务中心
    aliyun_sms_access_key_id: str | None = None
    aliyun_sms_access_key_secret: str | None = None
    aliyun_sms_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    aliyun_sms_region: str = "cn-hangzhou"
    tencent_sms_secret_id: str | None = None
    tencent_sms_secret_key: str | None = None
    tencent_sms_app_id: str | None = None  # SmsSdkAppId
    tencent_sms_endpoint: str = "https://sms.tencentcloudapi.com/"
    tencent_sms_region: str = "ap-guangzhou"

    # The 12345 platform: where results go back (signed webhook through the outbox).
    hotline_results_url: str = ""
    hotline_signing_secret: str = ""
    # The console's map: a tile URL template ({z}/{x}/{y}); none is bundled. Without it
    # the console lists cases with their addresses instead of a map.
    map_tile_url: str = ""
    map_tile_datum: Literal["wgs84", "gcj02"] = "wgs84"
    map_attribution: str = ""
    # The province's unified 好差评 system: where evaluation records are pushed.
    haochaping_url: str = ""
    haochaping_signing_secret: str = ""

    # Routing: dispatch automatically above the model's precision threshold
    routing_auto_dispatch: bool = True
    # How long after an automatic dispatch the registering window may recall it
    routing_recall_minutes: int = Field(default=30, ge=0, le=7 * 24 * 60)
    # Similar open cases scoring at or above this are flagged as possible duplicates (and
    # offered for 并单); chosen on the demo messages (docs/routing.md, "Duplicates").
    duplicate_threshold: float = Field(default=0.85, ge=0.0, le=1.0)

    # Attachments
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    attachment_max_count: int = Field(default=9, gt=0)

    # Secrets: refuse the development defaults outside development/test.
    secret_key: str = DEV_SECRET
    encryption_keys: str | None = None
    lookup_key: str | None = None
    # 国密: SM4 field encryption and SM3 look-up hashes instead of AES-GCM and SHA-256.
    # Changing either takes effect for new values; `bancheng admin rotate-keys` converts the rest.
    field_cipher: Literal["aes-256-gcm", "sm4-gcm", "sm4-cbc-hmac-sm3"] = "aes-256-gcm"
    lookup_hash: Literal["hmac-sha256", "hmac-sm3"] = "hmac-sha256"
    demo_password: str | None = None

    # Sign-in
    session_hours: int = Field(default=12, gt=0)
    max_failed_logins: int = Field(default=5, gt=0)
    lockout_minutes: int = Field(default=15, gt=0)
    password_min_length: int = Field(default=10, ge=8)
    # None: Secure cookies in production (behind HTTPS), plain in development.
    cookie_secure: bool | None = None
    login_rate_limit_per_minute: int = Field(default=60, gt=0)  # per client address

    # Deployment
    # Proxies/load balancers whose X-Forwarded-For and X-Forwarded-Proto are believed:
    # addresses or networks, comma-separated ("10.0.0.0/8,192.168.1.5").
    trusted_proxies: str = ""
    # The API reference (/api/docs, /api/openapi.json). None: open except in production.
    api_docs: bool | None = None
    # 等保: a console session unused this long ends (0: only the absolute session_hours).
    session_idle_minutes: int = Field(default=30, ge=0, le=24 * 60)
    # Password age (0: never expires) and how many earlier passwords may not come back.
    password_max_age_days: int = Field(default=90, ge=0, le=3650)
    password_history: int = Field(default=5, ge=0, le=24)
    # Operation and login logs are kept at least this long (等保: six months or more).
    audit_retention_days: int = Field(default=180, ge=180, le=36500)
    audit_key: str | None = None  # the hash chain's key (derived from secret_key when unset)
    public_rate_limit_per_minute: int = Field(default=30, gt=0)

    # Citizen side (intake, feedback, callbacks)
    public_phone_limit_per_hour: int = Field(default=20, gt=0)
    public_base_url: str = ""  # e.g. https://bancheng.example.gov.cn (QR codes, receipts)
    rectification_workdays: int = Field(default=5, ge=1, le=60)
    rating_reminder_days: int = Field(default=3, ge=1, le=30)  # working days after feedback
    # The late-rating window: unrated this many working days after feedback → closed
    # as unrated, by rule.
    rating_window_workdays: int = Field(default=10, ge=1, le=60)
    callback_sample_rate: float = Field(default=0.10, ge=0.0, le=1.0)
    # Per-department overrides: "C-HF:0.2,A-SC:0.05" (department code: rate)
    callback_sample_rates: str = ""
    callback_max_attempts: int = Field(default=3, ge=1, le=10)
    # Operations: /metrics answers a bearer token, or a caller from these addresses/networks.
    metrics_token: str | None = None
    metrics_allow: str = "127.0.0.1,::1"
    metrics_cache_seconds: float = Field(default=15.0, ge=0, le=600)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    cjk_font_path: str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

    @model_validator(mode="after")
    def _refuse_weak_secrets(self) -> Settings:
        if self.env == "production":
            problems = production_problems(self)
            if self.hotline_results_url and not self.hotline_signing_secret:
                problems.append("BANCHENG_HOTLINE_SIGNING_SECRET must be set with the URL")
            if problems:
                raise ValueError("BANCHENG_ENV=production refuses to start: " + "; ".join(problems))
        if self.trusted_proxies:
            import ipaddress

            for part in self.trusted_proxies.split(","):
                if part.strip():
                    try:
                        ipaddress.ip_network(part.strip(), strict=False)
                    except ValueError as exc:
                        raise ValueError(f"BANCHENG_TRUSTED_PROXIES: {exc}") from None
        if self.map_tile_url:
            url = self.map_tile_url
            if not url.startswith(("https://", "http://")) or not all(
                p in url for p in ("{z}", "{x}", "{y}")
            ):
                raise ValueError(
                    "BANCHENG_MAP_TILE_URL must be an http(s) URL template with {z}, {x} and {y}"
                )
        return self

    @property
    def secure_cookies(self) -> bool:
        return self.cookie_secure if self.cookie_secure is not None else self.env == "production"

    @property
    def docs_open(self) -> bool:
        return self.api_docs if self.api_docs is not None else self.env != "production"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'bancheng.db').as_posix()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"


WEAK_SECRETS = frozenset({DEV_SECRET, "secret", "changeme", "change-me", "password", "bancheng"})
MIN_SECRET_LENGTH = 32


def _weak(value: str | None) -> bool:
    if not value or value.lower() in WEAK_SECRETS or len(value) < MIN_SECRET_LENGTH:
        return True
    return len(set(value)) < 10  # "aaaa...", "abababab..."


def production_problems(s: Settings) -> list[str]:
    """What a production deployment must not run with."""
    problems = []
    if _weak(s.secret_key):
        problems.append(
            f"BANCHENG_SECRET_KEY must be a random value of {MIN_SECRET_LENGTH}+ characters"
        )
    if not s.encryption_keys:
        problems.append("BANCHENG_ENCRYPTION_KEYS must be set")
    else:
        import base64
        import binascii

        for item in s.encryption_keys.split(","):
            kid, _, b64 = item.strip().partition(":")
            try:
                key = base64.b64decode(b64, validate=True)
            except (binascii.Error, ValueError):
                key = b""
            if not kid or len(key) != 32 or len(set(key)) < 8:
                problems.append(
                    f"BANCHENG_ENCRYPTION_KEYS entry {kid or '?'!r} is not a random 32-byte key"
                )
    if s.lookup_key is not None and _weak(s.lookup_key):
        problems.append(
            f"BANCHENG_LOOKUP_KEY must be a random value of {MIN_SECRET_LENGTH}+ characters "
            "(and never change: phone look-ups hash with it)"
        )
    if s.lookup_key and s.lookup_key == s.secret_key:
        problems.append("BANCHENG_LOOKUP_KEY must differ from BANCHENG_SECRET_KEY")
    if s.audit_key is not None and _weak(s.audit_key):
        problems.append(
            f"BANCHENG_AUDIT_KEY must be a random value of {MIN_SECRET_LENGTH}+ characters "
            "(and never change: the audit chain is verified with it)"
        )
    if s.metrics_token is not None and _weak(s.metrics_token):
        problems.append(
            f"BANCHENG_METRICS_TOKEN must be a random value of {MIN_SECRET_LENGTH}+ characters"
        )
    if s.demo_password is not None:
        problems.append("BANCHENG_DEMO_PASSWORD is set: demo data is not loaded in production")
    if s.cookie_secure is False:
        problems.append("BANCHENG_COOKIE_SECURE=false: session cookies must be Secure (HTTPS)")
    return problems


@lru_cache
def get_settings() -> Settings:
    return Settings()
