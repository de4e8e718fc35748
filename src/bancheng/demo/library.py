"""The demo's case library: anonymised library cases drafted from resolved demo cases."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bancheng.cases.enums import LABELS_ZH
from bancheng.cases.models import Case
from bancheng.org.scope import Principal

# How many resolved demo cases the library publishes (anonymised), at most one per
# (kind, blocker type), so that precedents show up for the common matters.
LIBRARY_SIZE = 12


def seed_library(session: Session, curator: Principal, cases: list[Case]) -> list[int]:
    """Publish anonymised library cases drafted from resolved demo cases, through the
    library's own service (masking at drafting, the personal-data check at publishing)."""
    from bancheng.knowledge import service as library

    blockers = LABELS_ZH["blocker_type"]
    kinds = LABELS_ZH["kind"]
    seen: set[tuple[str, str]] = set()
    published: list[int] = []
    for case in sorted(cases, key=lambda c: c.id):
        if len(published) >= LIBRARY_SIZE:
            break
        key = (case.kind, case.blocker_type)
        if case.state not in library.RESOLVED_STATES or key in seen or case.outcome is None:
            continue
        if case.outcome in ("unreasonable", "invalid") or not (case.resolution or "").strip():
            continue
        solution = case.resolution or ""
        if case.outcome == "cannot_by_policy" and case.alternative:
            solution = f"{solution}\n替代办法：{case.alternative}"
        lib = library.draft_from_case(
            session,
            curator,
            case.id,
            {
                "stuck_point": f"{blockers.get(case.blocker_type, '其他')}：{case.title}",
                "solution": solution,
                "tags": [kinds.get(case.kind, case.kind), blockers.get(case.blocker_type, "")],
            },
        )
        if library.personal_data(lib):
            library.remask(session, lib)
        if library.personal_data(lib):
            continue  # never publish what the masker cannot clean
        library.publish(session, curator, lib)
        seen.add(key)
        published.append(lib.id)
    return published
