"""200 concurrent creations give 200 distinct, consecutive numbers (committed for real),
numbered at once or at the end of their transactions (``number_late``, the intake
endpoints' way), and the reporter's receipt carries the case's real number."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from bancheng.cases import service
from bancheng.cases.models import Case
from bancheng.cases.schemas import CaseCreate
from bancheng.org.scope import principal_for
from bancheng.org.service import create_department
from bancheng.outbox.models import OutboxMessage
from tests.conftest import case_payload, make_user

N = 200
JURISDICTION = "CONC"


@pytest.mark.parametrize("late", [False, True], ids=["at_once", "at_commit"])
def test_concurrent_creation_numbers(own_database, settings, late):
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
            case, _created = service.create_case(s, local, principal, data, number_late=late)
        return case.number  # late: given by the commit

    with ThreadPoolExecutor(max_workers=32) as pool:
        numbers = list(pool.map(create, range(N)))
    assert len(set(numbers)) == N
    seqs = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert seqs == list(range(1, N + 1))
    with database.transaction(write=False) as s:
        stored = s.scalars(select(Case.number).where(Case.jurisdiction == JURISDICTION)).all()
        assert sorted(stored) == sorted(numbers)
        receipts = s.execute(
            select(OutboxMessage.idempotency_key, OutboxMessage.payload, Case.number)
            .join(Case, Case.id == OutboxMessage.case_id)
            .where(Case.jurisdiction == JURISDICTION, OutboxMessage.kind == "reporter.accepted")
        ).all()
        assert len(receipts) == N
        for key, payload, number in receipts:
            assert payload["params"]["number"] == number
            assert key.startswith(f"reporter.accepted:case_event:{number}:")
