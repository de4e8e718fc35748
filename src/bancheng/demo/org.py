"""The demo city's organisation: departments, halls and windows, the matter catalogue,
staff accounts and the routing model's targets, from the tables in ``data/``."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from bancheng.core.config import Settings
from bancheng.demo import repository
from bancheng.demo.data import (
    CITY,
    CITY_AGENCIES,
    CITY_CODE,
    CITY_HALLS,
    DISTRICT_AGENCIES_COUNTY,
    DISTRICT_AGENCIES_URBAN,
    DISTRICTS,
    HALL_ROADS,
    MATTERS,
    NO_HANDLER,
    ROUTING_TARGETS,
    RURAL_COMMUNITIES,
    STAFF,
    URBAN_COMMUNITIES,
    WINDOWS,
    agency_full,
)
from bancheng.demo.people import chinese_name
from bancheng.org import repository as org_repository
from bancheng.org import service as org_service
from bancheng.org.models import Department, Hall, Matter, ServiceWindow, User
from bancheng.org.service import create_department, create_user


@dataclass
class Org:
    depts: dict[str, Department] = field(default_factory=dict)
    halls: dict[str, tuple[Hall, ServiceWindow]] = field(default_factory=dict)
    matters: dict[str, Matter] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    accounts: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    handler_of: dict[int, str] = field(default_factory=dict)  # department id -> username


def build_org(session: Session, settings: Settings, password: str, seed: int) -> Org:
    rng = random.Random(f"{seed}-org")
    org = Org()
    d = org.depts
    sort = iter(range(1, 10_000))

    def dept(
        key: str,
        code: str,
        name: str,
        level: str,
        kind: str,
        parent: Department | None,
        short: str | None = None,
    ) -> Department:
        d[key] = create_department(
            session,
            code=code,
            name=name,
            level=level,
            kind=kind,
            parent=parent,
            short_name=short,
            sort=next(sort),
        )
        return d[key]

    city = dept("city", CITY_CODE, f"{CITY}人民政府", "city", "government", None, CITY)
    dept(
        "centre:city",
        f"{CITY_CODE}-ZWFW",
        f"{CITY}政务服务中心",
        "city",
        "centre",
        city,
        "市政务服务中心",
    )
    for key, name, short in CITY_AGENCIES:
        dept(key, f"{CITY_CODE}-{key.upper()}", agency_full(name), "city", "agency", city, short)

    for dkey, dname, county, streets in DISTRICTS:
        code = f"{CITY_CODE}-{dkey.upper()}"
        gov = dept(dkey, code, f"{dname}人民政府", "district", "government", city, dname)
        centre_name = f"{dname}{'为民服务中心' if county else '政务服务中心'}"
        dept(f"centre:{dkey}", f"{code}-ZWFW", centre_name, "district", "centre", gov)
        agencies = DISTRICT_AGENCIES_COUNTY if county else DISTRICT_AGENCIES_URBAN
        for akey, aname in agencies:
            dept(
                f"{dkey}.{akey}", f"{code}-{akey.upper()}", dname + aname, "district", "agency", gov
            )
        for si, street in enumerate(streets, 1):
            st = dept(
                f"{dkey}.s{si}",
                f"{code}-S{si:02d}",
                street if street.endswith("街道") else f"{dname}{street}人民政府",
                "street",
                "government",
                gov,
                street,
            )
            rural = county and not street.endswith("街道")
            pool = RURAL_COMMUNITIES if rural else URBAN_COMMUNITIES
            for ci, cname in enumerate(rng.sample(pool, rng.randint(2, 3)), 1):
                dept(
                    f"{dkey}.s{si}.c{ci}",
                    f"{code}-S{si:02d}-C{ci}",
                    street + cname,
                    "community",
                    "government",
                    st,
                    cname,
                )

    # Halls and windows: one feedback window per hall.
    def hall(
        key: str, dept_key: str, name: str, address: str, windows: tuple[tuple[str, str], ...]
    ) -> None:
        h = Hall(department_id=d[dept_key].id, name=name, address=address)
        session.add(h)
        session.flush()
        feedback_window: ServiceWindow | None = None
        for number, wname in windows:
            w = ServiceWindow(
                hall_id=h.id, number=number, name=wname, is_feedback_window="办不成事" in wname
            )
            session.add(w)
            if w.is_feedback_window:
                feedback_window = w
        session.flush()
        assert feedback_window is not None
        org.halls[key] = (h, feedback_window)

    for spec in CITY_HALLS:
        hall(
            spec["key"], spec["department"], spec["name"], spec["address"], WINDOWS[spec["windows"]]
        )
    for dkey, dname, _county, _streets in DISTRICTS:
        hall(
            dkey,
            f"centre:{dkey}",
            f"{d['centre:' + dkey].name}办事大厅",
            f"云川市{dname}{HALL_ROADS[dkey]}{rng.randint(1, 300)}号",
            WINDOWS["district"],
        )

    for code, name, agency, materials in MATTERS:
        m = Matter(
            code=code,
            name=name,
            department_id=d[agency].id,
            materials=list(materials),
            active=True,
            description=None,
        )
        session.add(m)
        org.matters[code] = m
    session.flush()

    # Staff accounts.
    def user(username: str, role: str, dept_key: str, scope: str, title: str) -> None:
        existing = org_repository.user_by_username(session, username)
        if existing is not None:  # e.g. an administrator created before the demo
            org.users[username] = existing
            org.accounts.append(
                (
                    username,
                    existing.role,
                    existing.data_scope,
                    _dept_name(session, existing.department_id),
                    "(existing account, unchanged)",
                )
            )
            return
        u = create_user(
            session,
            settings,
            username=username,
            display_name=chinese_name(rng),
            role=role,
            department_id=d[dept_key].id,
            data_scope=scope,
            password=password,
            must_change_password=False,
            check_policy=False,
        )
        org.users[username] = u
        org.accounts.append(
            (username, role, scope, d[dept_key].name, f"{u.display_name}（{title}）")
        )

    def staff(pattern: dict[str, str], **names: str) -> None:
        user(
            *(
                pattern[k].format(**names)
                for k in ("username", "role", "department", "scope", "title")
            )
        )

    for pattern in STAFF["city"]:
        staff(pattern)
    for key, _name, short in CITY_AGENCIES:
        if key not in NO_HANDLER:
            for pattern in STAFF["per_city_agency"]:
                staff(pattern, key=key, short=short)
    for dkey, dname, _county, _streets in DISTRICTS:
        for pattern in STAFF["per_district"]:
            staff(pattern, key=dkey, name=dname)

    # Who handles each department's cases: its own handler, else the nearest above.
    handler_by_dept = {
        u.department_id: name for name, u in org.users.items() if u.role == "handler"
    }
    parents = {x.id: x.parent_id for x in d.values()}
    for x in d.values():
        cur: int | None = x.id
        while cur is not None and cur not in handler_by_dept:
            cur = parents.get(cur)
        if cur is not None:
            org.handler_of[x.id] = handler_by_dept[cur]
    return org


@contextmanager
def one_hash_per_password() -> Iterator[None]:
    """Hash the shared demo password once for all demo accounts.

    ``create_user`` hashes with argon2id on every call (0.3–0.5 s here), which would make
    40 accounts cost most of the load. Every demo account has the same password anyway, so
    sharing one hash (and its salt) reveals nothing more. Restored on exit."""
    original = org_service.hash_password
    memo: dict[str, str] = {}

    def hash_once(password: str) -> str:
        if password not in memo:
            memo[password] = original(password)
        return memo[password]

    org_service.hash_password = hash_once  # type: ignore[assignment]
    try:
        yield
    finally:
        org_service.hash_password = original  # type: ignore[assignment]


def _dept_name(session: Session, dept_id: int) -> str:
    dept = org_repository.department(session, dept_id)
    return dept.name if dept else str(dept_id)


def seed_routing_targets(session: Session) -> None:
    from bancheng.routing.models import RoutingTarget

    for category, name in ROUTING_TARGETS.items():
        # The city's departments carry its name: 市教育局 is 云川市教育局.
        full = CITY + name.removeprefix("市")
        dept_id = repository.department_id_by_name(session, full)
        if dept_id is not None and repository.routing_target(session, category) is None:
            session.add(RoutingTarget(category=category, department_id=dept_id))
    session.flush()
