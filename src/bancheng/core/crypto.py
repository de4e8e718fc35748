"""Field encryption and keyed look-up hashes for personal data, with a choice of suite.

Two suites, chosen by settings:

- ``BANCHENG_FIELD_CIPHER``: ``aes-256-gcm`` (default), ``sm4-gcm`` or ``sm4-cbc-hmac-sm3``
  (国密: SM4 from GB/T 32907, SM3 from GB/T 32905, through the ``cryptography`` package's
  OpenSSL primitives);
- ``BANCHENG_LOOKUP_HASH``: ``hmac-sha256`` (default) or ``hmac-sm3``.

Keys come from ``BANCHENG_ENCRYPTION_KEYS``: a comma-separated list of ``id:base64key``
(32-byte keys), the first one active. Every stored value names its cipher and key id
(``v1:`` AES-256-GCM, ``sm4g:`` SM4-GCM, ``sm4c:`` SM4-CBC + HMAC-SM3), so values written
under any listed key and either suite still decrypt, and ``bancheng admin rotate-keys``
re-encrypts every value that is not under the active key and cipher (and recomputes the
look-up hashes when the hash algorithm changed). AES uses the 32-byte key as is; SM4 uses
subkeys derived from it with HMAC-SM3 and a label, so one key entry never feeds two
algorithms the same bytes. In development and tests, without that setting, a key is
derived from ``BANCHENG_SECRET_KEY``.

Look-ups (e.g. "this phone's earlier cases") use a keyed hash of the normalised value
under ``BANCHENG_LOOKUP_KEY`` (derived from the secret key when unset).
"""

from __future__ import annotations

import base64
import hashlib
import hmac as std_hmac
import os
from collections.abc import Callable
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives import hmac as c_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bancheng.core.config import Settings, get_settings

PREFIX = "v1"  # AES-256-GCM (the original format)
SM4_GCM = "sm4g"
SM4_CBC = "sm4c"
CIPHER_PREFIX = {"aes-256-gcm": PREFIX, "sm4-gcm": SM4_GCM, "sm4-cbc-hmac-sm3": SM4_CBC}


class DecryptionError(ValueError):
    """A stored value that does not decrypt (unknown key, wrong key, tampered)."""


def sm3(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    h = c_hmac.HMAC(key, hashes.SM3())
    h.update(data)
    return h.finalize()


def sm4_ecb_encrypt_block(key: bytes, block: bytes) -> bytes:
    """One raw SM4 block (for the standard's test vectors)."""
    enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def sm4_gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(aad)
    return enc.update(plaintext) + enc.finalize() + enc.tag


def sm4_gcm_decrypt(key: bytes, nonce: bytes, data: bytes, aad: bytes) -> bytes:
    if len(data) < 16:
        raise DecryptionError("truncated value")
    dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, data[-16:])).decryptor()
    dec.authenticate_additional_data(aad)
    return dec.update(data[:-16]) + dec.finalize()


def _derive(secret: str, label: str) -> bytes:
    return hashlib.sha256(f"bancheng:{label}:{secret}".encode()).digest()


def _derive_sm3(secret: str, label: str) -> bytes:
    return sm3(f"bancheng:{label}:{secret}".encode())


class _Key:
    """One key entry and the subkeys each cipher uses."""

    def __init__(self, kid: str, key: bytes) -> None:
        self.kid = kid
        self.aes = AESGCM(key)
        self.sm4_gcm = hmac_sm3(key, b"bancheng:sm4-gcm")[:16]
        self.sm4_cbc_enc = hmac_sm3(key, b"bancheng:sm4-cbc:enc")[:16]
        self.sm4_cbc_mac = hmac_sm3(key, b"bancheng:sm4-cbc:mac")


class Crypto:
    def __init__(self, settings: Settings) -> None:
        keys: list[_Key] = []
        if settings.encryption_keys:
            for item in settings.encryption_keys.split(","):
                kid, _, b64 = item.strip().partition(":")
                try:
                    key = base64.b64decode(b64, validate=True)
                except ValueError:
                    key = b""
                if len(key) != 32 or not kid or ":" in kid:
                    raise ValueError("BANCHENG_ENCRYPTION_KEYS entries must be id:base64(32 bytes)")
                keys.append(_Key(kid, key))
        else:
            keys.append(_Key("dev", _derive(settings.secret_key, "field-encryption")))
        self.active_id = keys[0].kid
        self._keys = {k.kid: k for k in keys}
        self.cipher = settings.field_cipher
        self.prefix = CIPHER_PREFIX[settings.field_cipher]
        self.hash_algorithm = settings.lookup_hash
        lookup = settings.lookup_key or settings.secret_key
        if settings.lookup_hash == "hmac-sm3":
            key = _derive_sm3(lookup, "lookup-hash")
            self._hash: Callable[[bytes], str] = lambda data: hmac_sm3(key, data).hex()
        else:
            key = _derive(lookup, "lookup-hash")
            self._hash = lambda data: std_hmac.new(key, data, hashlib.sha256).hexdigest()

    def encrypt(self, plaintext: str) -> str:
        key = self._keys[self.active_id]
        aad = key.kid.encode()
        data = plaintext.encode()
        if self.prefix == PREFIX:
            nonce = os.urandom(12)
            raw = nonce + key.aes.encrypt(nonce, data, aad)
        elif self.prefix == SM4_GCM:
            nonce = os.urandom(12)
            raw = nonce + sm4_gcm_encrypt(key.sm4_gcm, nonce, data, aad)
        else:
            iv = os.urandom(16)
            padder = padding.PKCS7(128).padder()
            padded = padder.update(data) + padder.finalize()
            enc = Cipher(algorithms.SM4(key.sm4_cbc_enc), modes.CBC(iv)).encryptor()
            body = iv + enc.update(padded) + enc.finalize()
            # Encrypt-then-MAC over the format, the key id, the IV and the ciphertext.
            raw = body + hmac_sm3(key.sm4_cbc_mac, f"{SM4_CBC}:{key.kid}:".encode() + body)
        return f"{self.prefix}:{key.kid}:{base64.b64encode(raw).decode()}"

    def decrypt(self, token: str) -> str:
        try:
            prefix, kid, b64 = token.split(":", 2)
            raw = base64.b64decode(b64)
        except ValueError as exc:
            raise DecryptionError("malformed encrypted value") from exc
        key = self._keys.get(kid)
        if key is None or prefix not in CIPHER_PREFIX.values():
            raise DecryptionError("unknown encryption key id")
        aad = kid.encode()
        try:
            if prefix == PREFIX:
                return key.aes.decrypt(raw[:12], raw[12:], aad).decode()
            if prefix == SM4_GCM:
                return sm4_gcm_decrypt(key.sm4_gcm, raw[:12], raw[12:], aad).decode()
            body, mac = raw[:-32], raw[-32:]
            expected = hmac_sm3(key.sm4_cbc_mac, f"{SM4_CBC}:{kid}:".encode() + body)
            if len(raw) < 64 or not std_hmac.compare_digest(mac, expected):
                raise DecryptionError("authentication failed")
            dec = Cipher(algorithms.SM4(key.sm4_cbc_enc), modes.CBC(body[:16])).decryptor()
            padded = dec.update(body[16:]) + dec.finalize()
            unpadder = padding.PKCS7(128).unpadder()
            return (unpadder.update(padded) + unpadder.finalize()).decode()
        except InvalidTag as exc:
            raise DecryptionError("authentication failed") from exc

    def key_id(self, token: str) -> str:
        return token.split(":", 2)[1]

    def needs_rotation(self, token: str) -> bool:
        """True when the value is not under the active key and the configured cipher."""
        prefix, kid, _ = token.split(":", 2)
        return prefix != self.prefix or kid != self.active_id

    def lookup_hash(self, normalized: str) -> str:
        return self._hash(normalized.encode())


@lru_cache
def get_crypto() -> Crypto:
    return Crypto(get_settings())
