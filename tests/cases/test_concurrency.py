"""200 concurrent creations give 200 distinct, consecutive numbers (committed for real)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from bancheng.cases import service
from bancheng.cases.models import Case
from bancheng.cases.schemas import CaseCreate
from bancheng.org.scope import principal_for
from bancheng.org.service import create_department
from tests.conftest import case_payload, make_user

N = 200
JURISDICTION = "CONC"


def test_concurrent_creation_numbers(own_database, settings):
    # Real commits from 32 threads, on a database of its own.
    database = own_database
    local = settings.model_copy(update={"jurisdiction_code": JURISDICTION})
    with database.transaction() as s:
        dept = create_department(s, code="CONC-1", name="并发测试中心", level="city", kind="centre")
        user = make_user(s, "conc_clerk", "clerk", dept, "all", display_name="并发")
        principal = principal_for(s, user)
    data = CaseCreate.model_validate(case_payload())

    def create(_: int) -> str:
        with database.transaction() as s:
            case, _created = service.create_case(s, local, principal, data)
            return case.number

    with ThreadPoolExecutor(max_workers=32) as pool:
        numbers = list(pool.map(create, range(N)))
    assert len(set(numbers)) == N
    seqs = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert seqs == list(range(1, N + 1))
    with database.transaction(write=False) as s:
        stored = s.scalars(select(Case.number).where(Case.jurisdiction == JURISDICTION)).all()
        assert sorted(stored) == sorted(numbers)
