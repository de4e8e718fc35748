from __future__ import annotations

import pytest

from bancheng.core.errors import Invalid
from bancheng.core.validators import (
    credit_code_is_valid,
    id_check_char,
    id_number_is_valid,
    mask_id_number,
    mask_name,
    mask_phone,
    normalize_credit_code,
    normalize_phone,
    uscc_check_char,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("010-12345678", "01012345678"),
        ("0755 1234567", "07551234567"),
    ],
)
def test_phone_normalised(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw", ["12812345678", "1381234567", "138123456789", "abc", "", "110", "12345678"]
)
def test_phone_refused(raw):
    with pytest.raises(Invalid) as e:
        normalize_phone(raw)
    assert e.value.code == "reporter.phone_invalid"


def test_id_number_checksum():
    assert id_number_is_valid("11010519491231002X")
    assert id_number_is_valid("11010519491231002x")
    assert not id_number_is_valid("110105194912310021")  # wrong check character
    assert not id_number_is_valid("110105194902300020")  # 30 February
    first17 = "44030119900307001"
    assert id_number_is_valid(first17 + id_check_char(first17))


def test_credit_code_checksum():
    assert credit_code_is_valid("91350100M000100Y43")
    assert not credit_code_is_valid("91350100M000100Y42")
    assert not credit_code_is_valid("91350100M000100I43")  # I is not in the charset
    first17 = "91110108MA01ABCD1"
    code = first17 + uscc_check_char(first17)
    assert normalize_credit_code(code.lower()) == code


def test_masks():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("01012345678") == "0101****5678"
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧**娜"


@pytest.mark.parametrize(
    "raw",
    [
        "1٣٨١٢٣٤٥٦٧٨",  # Arabic-Indic digits: int() reads them, they are no phone number
        "１３８１２３４５６７８",  # full-width
        "0１０12345678",
    ],
)
def test_phone_digits_are_ascii(raw):
    with pytest.raises(Invalid):
        normalize_phone(raw)


def test_identifiers_with_other_digits_are_invalid_not_an_error():
    assert not id_number_is_valid("11010519491231002X".replace("1", "١"))
    assert not id_number_is_valid("²" * 17 + "X")  # "²".isdigit(), but int("²") fails
    assert not credit_code_is_valid("91350100M000100Y43".replace("0", "٠"))
    assert not credit_code_is_valid("91３50100M000100Y43")
