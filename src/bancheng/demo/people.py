"""Reporters' names, phones, ID numbers and credit codes: random but valid."""

from __future__ import annotations

import random
from datetime import date, timedelta

from bancheng.core.validators import id_check_char, uscc_check_char
from bancheng.demo.data import GIVEN_NAMES, ID_REGIONS, MOBILE_PREFIXES, SURNAMES, USCC_CHARS


def chinese_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def mobile_number(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8))


def id_number(rng: random.Random) -> str:
    """A GB 11643 ID-card number with a valid birth date and check character."""
    birth = date(1946, 1, 1) + timedelta(days=rng.randrange(0, 365 * 58))
    first17 = f"{rng.choice(ID_REGIONS)}{birth:%Y%m%d}{rng.randrange(1, 999):03d}"
    return first17 + id_check_char(first17)


def credit_code(rng: random.Random) -> str:
    """A GB 32100 unified social credit code of an enterprise registered in the city."""
    body = "".join(rng.choice(USCC_CHARS[:10] if i < 8 else USCC_CHARS) for i in range(9))
    first17 = "91" + rng.choice(ID_REGIONS[:5]) + body
    return first17 + uscc_check_char(first17)
