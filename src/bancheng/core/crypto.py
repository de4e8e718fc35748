"""Field encryption (AES-256-GCM) and keyed hashes for personal data.

Keys come from ``BANCHENG_ENCRYPTION_KEYS``: a comma-separated list of ``id:base64key``
(32-byte keys), the first one active. Older keys stay listed until ``bancheng admin
rotate-keys`` has re-encrypted every value under the active key. In development and tests,
without that setting, a key is derived from ``BANCHENG_SECRET_KEY``.

Look-ups (e.g. "this phone's earlier cases") use an HMAC-SHA256 of the normalised value
under ``BANCHENG_LOOKUP_KEY`` (derived from the secret key when unset). That key must not
change once data exists: rotating it needs every hash recomputed from the decrypted values.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bancheng.core.config import Settings, get_settings

PREFIX = "v1"


def _derive(secret: str, label: str) -> bytes:
    return hashlib.sha256(f"bancheng:{label}:{secret}".encode()).digest()


class Crypto:
    def __init__(self, settings: Settings) -> None:
        keys: list[tuple[str, bytes]] = []
        if settings.encryption_keys:
            for item in settings.encryption_keys.split(","):
                kid, _, b64 = item.strip().partition(":")
                key = base64.b64decode(b64)
                if len(key) != 32 or not kid:
                    raise ValueError("BANCHENG_ENCRYPTION_KEYS entries must be id:base64(32 bytes)")
                keys.append((kid, key))
        else:
            keys.append(("dev", _derive(settings.secret_key, "field-encryption")))
        self.active_id, active = keys[0]
        self._keys = dict(keys)
        self._active = AESGCM(active)
        lookup = settings.lookup_key or settings.secret_key
        self._lookup = _derive(lookup, "lookup-hash")

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        ct = self._active.encrypt(nonce, plaintext.encode(), self.active_id.encode())
        return f"{PREFIX}:{self.active_id}:{base64.b64encode(nonce + ct).decode()}"

    def decrypt(self, token: str) -> str:
        prefix, kid, b64 = token.split(":", 2)
        if prefix != PREFIX or kid not in self._keys:
            raise ValueError("unknown encryption key id")
        raw = base64.b64decode(b64)
        return AESGCM(self._keys[kid]).decrypt(raw[:12], raw[12:], kid.encode()).decode()

    def key_id(self, token: str) -> str:
        return token.split(":", 2)[1]

    def lookup_hash(self, normalized: str) -> str:
        return hmac.new(self._lookup, normalized.encode(), hashlib.sha256).hexdigest()


@lru_cache
def get_crypto() -> Crypto:
    return Crypto(get_settings())
