"""国密 and AES field encryption: the standards' test vectors, every suite, rotation across them."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import select
from sqlalchemy.orm import Session

from bancheng.core import crypto as crypto_mod
from bancheng.core.config import Settings
from bancheng.core.crypto import (
    Crypto,
    DecryptionError,
    hmac_sm3,
    sm3,
    sm4_ecb_encrypt_block,
    sm4_gcm_decrypt,
    sm4_gcm_encrypt,
)

KEY_A = base64.b64encode(bytes(range(32))).decode()
KEY_B = base64.b64encode(bytes(range(100, 132))).decode()

# GB/T 32907-2016 附录 A: example 1 (one block) and example 2 (encrypted 1,000,000 times).
SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")


def test_sm4_gbt32907_example_1() -> None:
    assert sm4_ecb_encrypt_block(SM4_KEY, SM4_KEY).hex() == "681edf34d206965e86b3e94f536e4246"
    dec = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).decryptor()
    assert dec.update(bytes.fromhex("681edf34d206965e86b3e94f536e4246")) == SM4_KEY


def test_sm4_gbt32907_example_2_million_rounds() -> None:
    enc = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor()
    block = SM4_KEY
    for _ in range(1_000_000):
        block = enc.update(block)
    assert block.hex() == "595298c7c6fd271f0402f804c33d3f66"


def test_sm3_gbt32905_examples() -> None:
    # GB/T 32905-2016 附录 A: "abc" and the 512-bit message "abcd" x 16.
    assert sm3(b"abc").hex() == ("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
    assert sm3(b"abcd" * 16).hex() == (
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    )


def test_sm4_gcm_rfc8998_vector() -> None:
    # RFC 8998 appendix A.1 (SM4-GCM), the vector the TLS 1.3 国密 suites are checked with.
    iv = bytes.fromhex("00001234567800000000abcd")
    aad = bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
    pt = bytes.fromhex(
        "aa" * 8 + "bb" * 8 + "cc" * 8 + "dd" * 8 + "ee" * 8 + "ff" * 8 + "ee" * 8 + "aa" * 8
    )
    out = sm4_gcm_encrypt(SM4_KEY, iv, pt, aad)
    assert out[:-16].hex() == (
        "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735"
        "d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d"
    )
    assert out[-16:].hex() == "83de3541e4c2b58177e065a9bf7b62ec"
    assert sm4_gcm_decrypt(SM4_KEY, iv, out, aad) == pt


def test_sm4_cbc_vector() -> None:
    # The SM4-CBC example of the SM4 block cipher's IETF description (draft-ribose-cfrg-sm4).
    iv = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
    pt = bytes.fromhex("aaaaaaaabbbbbbbbccccccccddddddddeeeeeeeeffffffffaaaaaaaabbbbbbbb")
    enc = Cipher(algorithms.SM4(SM4_KEY), modes.CBC(iv)).encryptor()
    assert (enc.update(pt) + enc.finalize()).hex() == (
        "78ebb11cc40b0a48312aaeb2040244cb4cb7016951909226979b0d15dc6a8f6d"
    )


def test_hmac_sm3_is_rfc2104_over_sm3() -> None:
    # RFC 2104 built by hand over the SM3 of GB/T 32905 (block size 64).
    key, msg = b"bancheng-key", b"13812345678"
    k = key.ljust(64, b"\0")
    inner = sm3(bytes(b ^ 0x36 for b in k) + msg)
    assert hmac_sm3(key, msg) == sm3(bytes(b ^ 0x5C for b in k) + inner)
    if "sm3" in hashlib.algorithms_available:
        assert hmac_sm3(key, msg).hex() == hmac.new(key, msg, "sm3").hexdigest()


def _crypto(cipher: str = "aes-256-gcm", lookup: str = "hmac-sha256", keys: str = "") -> Crypto:
    return Crypto(
        Settings(
            encryption_keys=keys or f"k1:{KEY_A}",
            field_cipher=cipher,  # type: ignore[arg-type]
            lookup_hash=lookup,  # type: ignore[arg-type]
            lookup_key="lookup-secret",
        )
    )


@pytest.mark.parametrize(
    ("cipher", "prefix"),
    [("aes-256-gcm", "v1"), ("sm4-gcm", "sm4g"), ("sm4-cbc-hmac-sm3", "sm4c")],
)
def test_each_cipher_round_trips_and_detects_tampering(cipher: str, prefix: str) -> None:
    c = _crypto(cipher)
    token = c.encrypt("13812345678")
    assert token.startswith(f"{prefix}:k1:")
    assert "13812345678" not in token
    assert c.decrypt(token) == "13812345678"
    assert c.encrypt("13812345678") != token  # fresh nonce / IV each time
    raw = bytearray(base64.b64decode(token.split(":", 2)[2]))
    raw[20] ^= 1
    tampered = f"{prefix}:k1:{base64.b64encode(bytes(raw)).decode()}"
    with pytest.raises(DecryptionError):
        c.decrypt(tampered)
    # The key id is authenticated: the same bytes under another listed id do not decrypt.
    other = _crypto(cipher, keys=f"k2:{KEY_A},k1:{KEY_A}")
    with pytest.raises(DecryptionError):
        other.decrypt(token.replace(":k1:", ":k2:"))


def test_every_suite_reads_every_other_suites_values() -> None:
    tokens = [_crypto(c).encrypt("11010519491231002X") for c in crypto_mod.CIPHER_PREFIX]
    for cipher in crypto_mod.CIPHER_PREFIX:
        reader = _crypto(cipher)
        assert [reader.decrypt(t) for t in tokens] == ["11010519491231002X"] * 3


def test_lookup_hash_algorithms() -> None:
    sha = _crypto(lookup="hmac-sha256").lookup_hash("13812345678")
    gm = _crypto(lookup="hmac-sm3").lookup_hash("13812345678")
    assert len(sha) == len(gm) == 64 and sha != gm
    key = sm3(b"bancheng:lookup-hash:lookup-secret")
    assert gm == hmac_sm3(key, b"13812345678").hex()
    key = hashlib.sha256(b"bancheng:lookup-hash:lookup-secret").digest()
    assert sha == hmac.new(key, b"13812345678", hashlib.sha256).hexdigest()


def test_bad_key_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="id:base64"):
        _crypto(keys="k1:" + base64.b64encode(b"short").decode())
    with pytest.raises(ValueError, match="id:base64"):
        _crypto(keys="k1:not base64!")


@pytest.fixture()
def use(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``use(crypto)``: make it the process's key ring, for the services and the CLI."""
    import bancheng.cases.service as cs
    import bancheng.ops.key_rotation as rotation
    import bancheng.outbox.service as outbox

    def install(c: Crypto) -> None:
        for module in (crypto_mod, cs, rotation, outbox):
            monkeypatch.setattr(module, "get_crypto", lambda: c)

    return install


def test_rotation_moves_every_value_to_sm4_and_sm3(session: Session, org: Any, use: Any) -> None:
    from bancheng.cases import service as cases_service
    from bancheng.cases.models import Case
    from bancheng.cases.schemas import CaseCreate
    from bancheng.ops.key_rotation import rotate_encryption
    from tests.conftest import case_payload, principal_of

    old = _crypto("aes-256-gcm", "hmac-sha256", keys=f"k1:{KEY_A}")
    use(old)
    clerk = principal_of(session, org, "clerk")
    ids = []
    for phone in ("13812345678", "13900001111"):
        body = case_payload()
        body["reporter"]["phone"] = phone
        case, _ = cases_service.create_case(
            session, Settings(), clerk, CaseCreate.model_validate(body)
        )
        ids.append(case.id)
    from bancheng.org.models import User
    from bancheng.outbox.models import OutboxMessage
    from bancheng.outbox.service import enqueue

    enqueue(
        session,
        channel="sms",
        kind="test.rotation",
        idempotency_key="rotation-test",
        recipient_secret="13700000000",
        secrets={"link": "https://example.invalid/private"},
    )
    clerk_row = session.get(User, clerk.user_id)
    assert clerk_row is not None
    clerk_row.phone_enc = old.encrypt("13600000000")
    session.flush()
    before = {c.id: c.version for c in session.scalars(select(Case).where(Case.id.in_(ids)))}
    outbox_values = sum(
        (m.recipient_enc is not None) + (m.secret_enc is not None)
        for m in session.scalars(select(OutboxMessage))
    )
    assert outbox_values >= 2

    new = _crypto("sm4-cbc-hmac-sm3", "hmac-sm3", keys=f"k2:{KEY_B},k1:{KEY_A}")
    use(new)
    result = rotate_encryption(session)
    assert (result.reencrypted, result.rehashed) == (4 + 1 + outbox_values, 2)
    session.expire_all()
    msg = session.scalars(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == "rotation-test")
    ).one()
    assert msg.recipient_enc and msg.recipient_enc.startswith("sm4c:k2:")
    assert new.decrypt(msg.recipient_enc) == "13700000000"
    assert (
        msg.secret_enc
        and new.decrypt(msg.secret_enc) == '{"link": "https://example.invalid/private"}'
    )
    user_row = session.get(User, clerk.user_id)
    assert user_row is not None and user_row.phone_enc
    assert new.decrypt(user_row.phone_enc) == "13600000000"
    rows = session.scalars(select(Case).where(Case.id.in_(ids)).order_by(Case.id)).all()
    for row, phone in zip(rows, ("13812345678", "13900001111"), strict=True):
        assert row.reporter_phone_enc.startswith("sm4c:k2:")
        assert row.reporter_id_enc is not None and row.reporter_id_enc.startswith("sm4c:k2:")
        assert new.decrypt(row.reporter_phone_enc) == phone
        assert new.decrypt(row.reporter_id_enc) == "11010519491231002X"
        assert row.reporter_phone_hash == new.lookup_hash(phone)
        assert row.version == before[row.id]  # nobody's open form goes stale
    # Once everything is under k2, k1 can leave the list: the values still read.
    only_new = _crypto("sm4-cbc-hmac-sm3", "hmac-sm3", keys=f"k2:{KEY_B}")
    assert only_new.decrypt(rows[0].reporter_phone_enc) == "13812345678"
    assert rotate_encryption(session) == type(result)(0, 0)
    # ...and back to AES under a third key, across both suites again.
    use(_crypto("aes-256-gcm", "hmac-sha256", keys=f"k3:{KEY_A},k2:{KEY_B}"))
    assert rotate_encryption(session) == type(result)(4 + 1 + outbox_values, 2)


def test_rotate_keys_command(session: Session, org: Any, use: Any, cli: Any) -> None:
    """``bancheng admin rotate-keys``: everything moves under the new first key and the
    configured suite, in the command's own unit of work, logged; what was written under
    the old key still reads with the new ring (and no longer needs it once rotated)."""
    from bancheng.audit.models import OperationLog
    from bancheng.cases import service as cases_service
    from bancheng.cases.models import Case
    from bancheng.cases.schemas import CaseCreate
    from bancheng.outbox.models import OutboxMessage
    from tests.conftest import case_payload, principal_of

    old = _crypto("aes-256-gcm", "hmac-sha256", keys=f"k1:{KEY_A}")
    use(old)
    case, _ = cases_service.create_case(
        session, Settings(), principal_of(session, org, "clerk"),
        CaseCreate.model_validate(case_payload()),
    )  # fmt: skip
    session.commit()
    written = session.get(Case, case.id)
    assert written is not None
    old_phone, old_id = written.reporter_phone_enc, written.reporter_id_enc
    assert old_phone.startswith("v1:k1:") and old_id and old_id.startswith("v1:k1:")
    outbox_values = sum(
        (m.recipient_enc is not None) + (m.secret_enc is not None)
        for m in session.scalars(select(OutboxMessage))
    )

    new = _crypto("sm4-cbc-hmac-sm3", "hmac-sm3", keys=f"k2:{KEY_B},k1:{KEY_A}")
    assert new.decrypt(old_phone) == "13812345678"  # the new ring reads the old values
    use(new)
    out = cli("admin", "rotate-keys")
    assert out.exit_code == 0, out.output
    assert out.output == (
        f"re-encrypted {2 + outbox_values} values under k2 (sm4-cbc-hmac-sm3); "
        "recomputed 1 look-up hashes (hmac-sm3)\n"
    )
    session.expire_all()
    row = session.get(Case, case.id)
    assert row is not None and row.reporter_id_enc is not None
    assert row.reporter_phone_enc.startswith("sm4c:k2:")
    assert row.reporter_id_enc.startswith("sm4c:k2:")
    only_new = _crypto("sm4-cbc-hmac-sm3", "hmac-sm3", keys=f"k2:{KEY_B}")
    assert only_new.decrypt(row.reporter_phone_enc) == "13812345678"
    assert only_new.decrypt(row.reporter_id_enc) == "11010519491231002X"
    assert row.reporter_phone_hash == new.lookup_hash("13812345678")
    with pytest.raises(DecryptionError):
        only_new.decrypt(old_phone)  # k1 gone: only values never rotated would be lost
    log = session.scalars(
        select(OperationLog).where(OperationLog.action == "admin.rotate_keys")
    ).one()
    assert (log.actor_id, log.actor_name) == (None, "cli")
    assert log.details == {
        "key_id": "k2",
        "cipher": "sm4-cbc-hmac-sm3",
        "lookup_hash": "hmac-sm3",
        "reencrypted": 2 + outbox_values,
        "rehashed": 1,
    }
    again = cli("admin", "rotate-keys")
    assert again.output == (
        "re-encrypted 0 values under k2 (sm4-cbc-hmac-sm3); recomputed 0 look-up hashes "
        "(hmac-sm3)\n"
    )
