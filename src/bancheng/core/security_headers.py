"""Security headers on every answer: the console, the phone pages, the API and files.

- ``Content-Security-Policy``: only the application's own scripts, styles, images, fonts
  and connections (the built console and phone pages need nothing else: Vite emits files,
  no inline script; Element Plus and Vant set inline styles, hence ``'unsafe-inline'`` for
  styles only); no plugins, no ``<base>`` from elsewhere, forms post to the origin, and no
  framing (``frame-ancestors 'none'``, with ``X-Frame-Options: DENY`` for old browsers).
  The API reference at ``/api/docs`` loads Swagger UI from its CDN and gets a policy of its
  own.
- ``Referrer-Policy: no-referrer``: the phone pages carry a private link's token in the
  address, which must not leak to another site.
- ``X-Content-Type-Options: nosniff``.
- ``Strict-Transport-Security`` when the request came over HTTPS (directly, or as a trusted
  proxy says in ``X-Forwarded-Proto``).
"""

from __future__ import annotations

from functools import lru_cache

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bancheng.core.clientip import is_trusted_proxy

_APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:{tiles}; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
APP_CSP = _APP_CSP.format(tiles="")


def tile_origin(template: str) -> str:
    """The origin of a map tile URL template, as a CSP source (``{s}`` subdomains as ``*``);
    empty when none is configured."""
    if not template:
        return ""
    scheme, _, rest = template.partition("://")
    host = rest.split("/", 1)[0].replace("{s}", "*")
    return f"{scheme}://{host}"


@lru_cache(maxsize=8)
def app_csp(tile_url_template: str = "") -> str:
    """The console's policy; images may also come from the configured map tile source."""
    origin = tile_origin(tile_url_template)
    return _APP_CSP.format(tiles=f" {origin}" if origin else "")


DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = (
    f"default-src 'self'; script-src 'self' 'unsafe-inline' {DOCS_CDN}; "
    f"style-src 'self' 'unsafe-inline' {DOCS_CDN}; img-src 'self' data: https:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


def _is_https(scope: Scope) -> bool:
    if scope.get("scheme") == "https":
        return True
    client = scope.get("client")
    if client and is_trusted_proxy(client[0]):
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-proto":
                return value.decode("latin-1").split(",")[0].strip().lower() == "https"
    return False


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        from bancheng.core.config import get_settings

        csp = DOCS_CSP if path.startswith("/api/docs") else app_csp(get_settings().map_tile_url)
        https = _is_https(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {k.lower() for k, _ in headers}

                def add(name: bytes, value: str) -> None:
                    if name not in have:
                        headers.append((name, value.encode("latin-1")))

                add(b"content-security-policy", csp)
                add(b"x-frame-options", "DENY")
                add(b"referrer-policy", "no-referrer")
                add(b"x-content-type-options", "nosniff")
                if https:
                    add(b"strict-transport-security", HSTS)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
