"""Time-limit policies: the default table, validation, look-up, deadlines and lights.

The default table (preset ``default``) follows the seeds:

* any case: contact within 1 working day, resolve within 12 working days, yellow when
  at most 2 working days are left;
* kind ``consultation``: contact within 1 working day, resolve within 3 working days,
  yellow when at most 1 is left;
* difficulty ``immediate``: contact within 2 working hours, resolve the same day
  (0 working days), priority 10.

Shizhu's 3 working days for consultations and 12 for every other kind set the
resolution limits; Jiaxiang's 即办 ("on the spot") sets the same-day rule, which wins
over the kind (priority 10) because an immediate consultation is still done today.
The preset ``jiaxiang`` replaces the kind split by Jiaxiang's difficulty split
(immediate the same day, general 3, hard 7 working days).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from pydantic import ConfigDict
from sqlalchemy.orm import Session

from bancheng.core.cache import Cached
from bancheng.core.clock import now as clock_now
from bancheng.core.errors import Conflict, Invalid, NotFound, present
from bancheng.org.models import Department
from bancheng.org.repository import department_paths
from bancheng.sla import repository
from bancheng.sla.keys import Channel, Difficulty, Kind
from bancheng.sla.models import SlaPolicy
from bancheng.sla.schemas import PolicyOut
from bancheng.sla.workdays import (
    MAX_CALENDAR_HOURS,
    MAX_WORKDAYS,
    MAX_WORKING_HOURS,
    Deadline,
    WorkdayCalendar,
)

RESPONSE_UNITS = ("working_hours", "working_days", "calendar_hours")
RESOLUTION_UNITS = ("working_days", "calendar_hours")
_MAXIMA = {
    "working_days": MAX_WORKDAYS,
    "working_hours": MAX_WORKING_HOURS,
    "calendar_hours": MAX_CALENDAR_HOURS,
}
EDITABLE_FIELDS = (
    "name",
    "kind",
    "difficulty",
    "channel",
    "department_id",
    "response_limit",
    "response_unit",
    "resolution_limit",
    "resolution_unit",
    "yellow_remaining",
    "yellow_fraction",
    "priority",
    "active",
    "note",
)

# Jiaxiang's 即办: contact within 2 working hours, resolved the same day (both presets).
_SAME_DAY: dict[str, Any] = {
    "name": "即办 当日办结",
    "difficulty": "immediate",
    "response_limit": 2,
    "response_unit": "working_hours",
    "resolution_limit": 0,
    "resolution_unit": "working_days",
}
PRESETS: dict[str, list[dict[str, Any]]] = {
    "default": [
        {
            "name": "其他诉求 12 个工作日",
            "note": "石柱:其他诉求 12 个工作日办结",
            "response_limit": 1,
            "response_unit": "working_days",
            "resolution_limit": 12,
            "resolution_unit": "working_days",
            "yellow_remaining": 2,
        },
        {
            "name": "咨询 3 个工作日",
            "note": "石柱:咨询类 3 个工作日办结",
            "kind": "consultation",
            "response_limit": 1,
            "response_unit": "working_days",
            "resolution_limit": 3,
            "resolution_unit": "working_days",
            "yellow_remaining": 1,
        },
        {**_SAME_DAY, "priority": 10, "note": "嘉祥:即办件当场办结"},
    ],
    "jiaxiang": [
        {
            "name": "一般 3 个工作日",
            "response_limit": 1,
            "response_unit": "working_days",
            "resolution_limit": 3,
            "resolution_unit": "working_days",
            "yellow_remaining": 1,
        },
        {
            "name": "疑难 7 个工作日",
            "difficulty": "hard",
            "response_limit": 1,
            "response_unit": "working_days",
            "resolution_limit": 7,
            "resolution_unit": "working_days",
            "yellow_remaining": 2,
        },
        dict(_SAME_DAY),
    ],
}


class PolicyRow(PolicyOut):
    """A policy as the look-up and the deadline maths read it: a snapshot of an
    ``SlaPolicy`` row, shared by every thread of the process (``active_policies``). Its
    fields are those the API shows (``PolicyOut``); frozen, since the snapshot is shared."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    @classmethod
    def of(cls, row: SlaPolicy) -> PolicyRow:
        return cls.model_validate(row)


class PolicyDeadlines(NamedTuple):
    response: Deadline
    resolution: Deadline

    @property
    def provisional(self) -> bool:
        return self.response.provisional or self.resolution.provisional


# --------------------------------------------------------------------------- validation


def _check_limit(value: Any, unit: str, what: str, *, allow_zero: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid("sla.invalid_limit", f"{what}必须是数字", field=what)
    maximum = _MAXIMA[unit]
    low_ok = value >= 0 if allow_zero else value > 0
    if not low_ok or value > maximum:
        raise Invalid(
            "sla.invalid_limit",
            f"{what}须在 {0 if allow_zero else '大于 0'} 到 {maximum} 之间({unit}): {value}",
            field=what,
        )
    if unit == "working_days" and float(value) != int(value):
        raise Invalid("sla.invalid_limit", f"{what}的工作日数必须是整数: {value}", field=what)


def validate_policy(values: Mapping[str, Any]) -> None:
    """Refuse a policy that makes no sense (raises :class:`Invalid` with a stable code)."""
    name = values.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise Invalid("sla.invalid_name", "名称不能为空,且不超过 100 字")
    for key, allowed in (
        ("kind", {k.value for k in Kind}),
        ("difficulty", {d.value for d in Difficulty}),
        ("channel", {c.value for c in Channel}),
    ):
        value = values.get(key)
        if value is not None and value not in allowed:
            raise Invalid("sla.invalid_key", f"未知的{key}: {value!r}", field=key)
    if values.get("response_unit") not in RESPONSE_UNITS:
        raise Invalid("sla.invalid_unit", f"未知的响应时限单位: {values.get('response_unit')!r}")
    if values.get("resolution_unit") not in RESOLUTION_UNITS:
        raise Invalid("sla.invalid_unit", f"未知的办结时限单位: {values.get('resolution_unit')!r}")
    response_unit = str(values["response_unit"])
    resolution_unit = str(values["resolution_unit"])
    _check_limit(
        values.get("response_limit"),
        response_unit,
        "响应时限",
        allow_zero=response_unit == "working_days",
    )
    _check_limit(
        values.get("resolution_limit"),
        resolution_unit,
        "办结时限",
        allow_zero=resolution_unit == "working_days",
    )
    remaining = values.get("yellow_remaining")
    if remaining is not None:
        _check_limit(remaining, resolution_unit, "黄灯阈值", allow_zero=True)
        if remaining > values["resolution_limit"]:
            raise Invalid("sla.invalid_threshold", "黄灯阈值不能大于办结时限")
    fraction = values.get("yellow_fraction")
    if fraction is not None and (
        isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction < 1
    ):
        raise Invalid("sla.invalid_threshold", f"黄灯比例须在 0 与 1 之间: {fraction!r}")
    priority = values.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int) or abs(priority) > 1000:
        raise Invalid("sla.invalid_priority", f"优先级须为 -1000 到 1000 的整数: {priority!r}")


def _check_department(session: Session, department_id: int | None) -> None:
    if department_id is not None and not repository.department_exists(session, department_id):
        raise NotFound("org.department_not_found", f"部门不存在: {department_id}")


def _check_unique(session: Session, values: Mapping[str, Any], exclude_id: int | None) -> None:
    """Two active policies with the same key and priority would make the look-up a
    coin toss."""
    if not values.get("active", True):
        return
    for other in repository.policies(session, active_only=True):
        if other.id == exclude_id:
            continue
        if (
            other.kind == values.get("kind")
            and other.difficulty == values.get("difficulty")
            and other.channel == values.get("channel")
            and other.department_id == values.get("department_id")
            and other.priority == values.get("priority", 0)
        ):
            raise Conflict(
                "sla.policy_duplicate",
                f"已有相同条件和优先级的启用策略: {other.name}",
                policy_id=other.id,
            )


# --------------------------------------------------------------------------- editing


def create_policy(session: Session, **values: Any) -> SlaPolicy:
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise Invalid("sla.invalid_key", f"未知字段: {', '.join(sorted(unknown))}")
    values = {"priority": 0, "active": True, **values}
    validate_policy(values)
    _check_department(session, values.get("department_id"))
    _check_unique(session, values, None)
    stamp = clock_now()
    policy = SlaPolicy(**values, created_at=stamp, updated_at=stamp)
    session.add(policy)
    session.flush()
    return policy


def update_policy(session: Session, policy_id: int, **changes: Any) -> SlaPolicy:
    """Change a policy. New cases use it at once; open cases keep their deadlines until
    an explicit recompute."""
    policy = present(
        repository.policy(session, policy_id),
        NotFound("sla.policy_not_found", f"时限策略不存在: {policy_id}"),
    )
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise Invalid("sla.invalid_key", f"未知字段: {', '.join(sorted(unknown))}")
    values = {f: getattr(policy, f) for f in EDITABLE_FIELDS} | changes
    validate_policy(values)
    if "department_id" in changes:
        _check_department(session, values.get("department_id"))
    _check_unique(session, values, policy.id)
    for key, value in changes.items():
        setattr(policy, key, value)
    policy.updated_at = clock_now()
    session.flush()
    return policy


def list_policies(session: Session, *, active_only: bool = False) -> list[SlaPolicy]:
    return repository.policies(session, active_only=active_only)


def seed_default_policies(session: Session, preset: str = "default") -> int:
    """Insert a preset's policies when the table is empty; returns how many."""
    if preset not in PRESETS:
        raise Invalid("sla.unknown_preset", f"未知的预设: {preset!r}")
    if repository.any_policy(session):
        return 0
    for values in PRESETS[preset]:
        create_policy(session, **values)
    return len(PRESETS[preset])


# --------------------------------------------------------------------------- look-up


def _load_active(session: Session) -> tuple[PolicyRow, ...]:
    return tuple(PolicyRow.of(p) for p in list_policies(session, active_only=True))


# The department tree's paths and the active policies, per process, loaded again in every
# process once a change of them commits (``core/cache.py``): choosing a new case's policy
# costs no statement while nothing changed.
_paths: Cached[dict[int, str]] = Cached("department_paths", (Department,), department_paths)
_active: Cached[tuple[PolicyRow, ...]] = Cached("sla_policies", (SlaPolicy,), _load_active)


def active_policies(session: Session) -> tuple[PolicyRow, ...]:
    """The active policies, in id order, as this transaction sees them."""
    return _active.get(session)


def department_chain(session: Session, department_id: int | None) -> list[int]:
    """The department and its ancestors, nearest first (from the materialised path)."""
    if department_id is None:
        return []
    path = _paths.get(session).get(department_id)
    if path is None:
        raise NotFound("org.department_not_found", f"部门不存在: {department_id}")
    ids = [int(p) for p in path.strip("/").split("/") if p]
    if department_id not in ids:
        ids.append(department_id)
    return list(reversed(ids))


def select_policy(
    policies: Iterable[PolicyRow],
    *,
    kind: str,
    difficulty: str,
    channel: str,
    department_chain: Sequence[int] = (),
) -> PolicyRow | None:
    """The policy for a case, or ``None``. Pure.

    A policy matches when each of its non-NULL keys equals the case's (a department
    matches the case's department or any ancestor). Among matches: the nearest
    department wins, then the most keys set, then the higher priority, then the older.
    """
    depth = {dep: len(department_chain) - i for i, dep in enumerate(department_chain)}
    best: PolicyRow | None = None
    best_rank: tuple[int, int, int, int] | None = None
    for p in policies:
        if not p.active:
            continue
        if p.kind is not None and p.kind != kind:
            continue
        if p.difficulty is not None and p.difficulty != difficulty:
            continue
        if p.channel is not None and p.channel != channel:
            continue
        if p.department_id is not None and p.department_id not in depth:
            continue
        rank = (
            depth.get(p.department_id, 0) if p.department_id is not None else 0,
            (p.kind is not None) + (p.difficulty is not None) + (p.channel is not None),
            p.priority,
            -p.id,
        )
        if best_rank is None or rank > best_rank:
            best, best_rank = p, rank
    return best


def find_policy(
    session: Session,
    *,
    kind: str,
    difficulty: str,
    channel: str,
    department_id: int | None = None,
) -> PolicyRow:
    """The active policy for a case; ``sla.no_policy`` (404) when none matches."""
    found = select_policy(
        active_policies(session),
        kind=kind,
        difficulty=difficulty,
        channel=channel,
        department_chain=department_chain(session, department_id),
    )
    if found is None:
        raise NotFound(
            "sla.no_policy",
            f"没有适用的时限策略(kind={kind}, difficulty={difficulty}, channel={channel})",
        )
    return found


# --------------------------------------------------------------------------- maths


def policy_deadlines(
    policy: PolicyRow, calendar: WorkdayCalendar, accepted_at: Any
) -> PolicyDeadlines:
    """Response and resolution deadlines of a case accepted at ``accepted_at``."""
    return PolicyDeadlines(
        response=calendar.add(accepted_at, policy.response_limit, policy.response_unit),
        resolution=calendar.add(accepted_at, policy.resolution_limit, policy.resolution_unit),
    )
