"""The client's address behind load balancers and reverse proxies.

``BANCHENG_TRUSTED_PROXIES`` lists the addresses or networks (``10.0.0.0/8,192.168.1.5``)
of the proxies in front of bancheng. When a request comes from one of them, the client is
the right-most address in ``X-Forwarded-For`` that is not itself a trusted proxy; from
anywhere else the header is ignored (anyone can send it). Per-client rate limits, the
login log and the operation log all use this address.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(raw: str) -> tuple[Network, ...]:
    out = []
    for part in raw.split(","):
        part = part.strip()
        if part:
            out.append(ipaddress.ip_network(part, strict=False))
    return tuple(out)


def trusted_networks() -> tuple[Network, ...]:
    from bancheng.core.config import get_settings

    return _networks(get_settings().trusted_proxies)


def is_trusted_proxy(address: str) -> bool:
    nets = trusted_networks()
    if not nets:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in nets)


def client_address(conn: HTTPConnection) -> str | None:
    peer = conn.client.host if conn.client else None
    if peer is None or not is_trusted_proxy(peer):
        return peer
    forwarded = conn.headers.get("x-forwarded-for", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a garbled header: trust nothing in it
        if not is_trusted_proxy(hop):
            return hop
    return hops[0] if hops else peer
