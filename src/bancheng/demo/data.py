"""The demo's tables, read once from the JSON files in ``bancheng/demo/data``.

``org.json`` (departments, districts, communities, routing targets), ``halls.json``,
``matters.json``, ``staff.json``, ``people.json`` (names, brands, phone prefixes),
``templates.json`` (case templates), ``scenarios.json`` (case paths and their shares) and
``texts.json`` (the wording of the steps). Edit the files to change the demo city; this
module only turns them into the immutable tuples the generator uses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any


def _load(name: str) -> Any:
    return json.loads(resources.files(__package__).joinpath("data", name).read_text("utf-8"))


@dataclass(frozen=True)
class Template:
    kind: str
    blocker: str
    difficulty: str  # the difficulty when the case is handled by a department
    mode: str  # "spot": solved at the window; "flow": needs a department; "either"; "policy"
    agency: str  # key of the responsible agency ("centre": the receiving centre itself)
    matter: str | None
    reporter: str  # "person" | "enterprise"
    title: str
    description: str
    resolution: str
    policy: tuple[str, str, str] | None = None  # explanation, alternative, who does it


def _pairs(rows: list[dict[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((r["key"], r["name"]) for r in rows)


_org = _load("org.json")
CITY: str = _org["city"]["name"]
CITY_CODE: str = _org["city"]["code"]
# key, name, short name. Codes are ``YC-<KEY>``.
CITY_AGENCIES: tuple[tuple[str, str, str], ...] = tuple(
    (a["key"], a["name"], a["short"]) for a in _org["city_agencies"]
)
NO_HANDLER = frozenset(_org["no_handler"])
# key, name, county?, streets (towns for counties)
DISTRICTS: tuple[tuple[str, str, bool, tuple[str, ...]], ...] = tuple(
    (d["key"], d["name"], d["county"], tuple(d["streets"])) for d in _org["districts"]
)
HALL_ROADS: dict[str, str] = {d["key"]: d["hall_road"] for d in _org["districts"]}
DISTRICT_AGENCIES_URBAN = _pairs(_org["district_agencies"]["urban"])
DISTRICT_AGENCIES_COUNTY = _pairs(_org["district_agencies"]["county"])
URBAN_COMMUNITIES: tuple[str, ...] = tuple(_org["communities"]["urban"])
RURAL_COMMUNITIES: tuple[str, ...] = tuple(_org["communities"]["rural"])
# A plausible wrong first stop for a matter of each agency (returns and transfers).
CONFUSABLE: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _org["confusable"].items()}
# Which city department takes each subject category of the routing model.
ROUTING_TARGETS: dict[str, str] = dict(_org["routing_targets"])

_halls = _load("halls.json")
WINDOWS: dict[str, tuple[tuple[str, str], ...]] = {
    name: tuple((n, w) for n, w in rows) for name, rows in _halls["windows"].items()
}
CITY_HALLS: tuple[dict[str, str], ...] = tuple(_halls["city_halls"])

# code, name, agency key, materials (the one-time complete notification lists them)
MATTERS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = tuple(
    (m["code"], m["name"], m["agency"], tuple(m["materials"])) for m in _load("matters.json")
)

STAFF: dict[str, tuple[dict[str, str], ...]] = {k: tuple(v) for k, v in _load("staff.json").items()}

_people = _load("people.json")
SURNAMES: str = _people["surnames"]
GIVEN_NAMES: tuple[str, ...] = tuple(_people["given_names"])
BRANDS: tuple[str, ...] = tuple(_people["brands"])
INDUSTRIES: tuple[str, ...] = tuple(_people["industries"])
# Enterprises whose line of business must fit the matter they report about.
INDUSTRY_FOR: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _people["industry_for"].items()}
ESTATES: tuple[str, ...] = tuple(_people["estates"])
WINDOW_TOPICS: tuple[str, ...] = tuple(_people["window_topics"])
MOBILE_PREFIXES: tuple[str, ...] = tuple(_people["mobile_prefixes"])
# Region codes of the reporters' ID numbers: the demo city's and a few from elsewhere.
ID_REGIONS: tuple[str, ...] = tuple(_people["id_regions"])
USCC_CHARS: str = _people["uscc_chars"]


def _template(row: dict[str, Any]) -> Template:
    policy = row.get("policy")
    return Template(
        kind=row["kind"],
        blocker=row["blocker"],
        difficulty=row["difficulty"],
        mode=row["mode"],
        agency=row["agency"],
        matter=row["matter"],
        reporter=row["reporter"],
        title=row["title"],
        description=row["description"],
        resolution=row["resolution"],
        policy=(policy["explanation"], policy["alternative"], policy["owner"]) if policy else None,
    )


TEMPLATES: tuple[Template, ...] = tuple(_template(r) for r in _load("templates.json"))

_scenarios = _load("scenarios.json")
# name, template pool, share of the cases, recency: registration age in days (None: any
# time in the last six months). The two remainder scenarios take what is left.
SCENARIOS: tuple[tuple[str, str, float, tuple[float, float] | None], ...] = tuple(
    (s["name"], s["pool"], s["share"], tuple(s["recency"]) if s["recency"] else None)
    for s in _scenarios["scenarios"]
)
REMAINDER: tuple[tuple[str, str, float], ...] = tuple(
    (s["name"], s["pool"], s["share"]) for s in _scenarios["remainder"]
)
CHANNEL_WEIGHTS: tuple[tuple[str, int], ...] = tuple(
    (c, w) for c, w in _scenarios["channel_weights"]
)
GOOD_RATINGS: tuple[tuple[str, int], ...] = tuple((r, w) for r, w in _scenarios["good_ratings"])
REOPEN_REASONS: tuple[str, ...] = tuple(_scenarios["reopen_reasons"])

# The wording of the steps (``str.format`` patterns).
TEXTS: dict[str, Any] = _load("texts.json")

MATTER_BY_CODE = {m[0]: m for m in MATTERS}
AGENCY_NAMES = {key: name for key, name, _short in CITY_AGENCIES}


def agency_full(name: str) -> str:
    """市教育局 is 云川市教育局; a national agency's office keeps its name."""
    return name if name.startswith("国家") else CITY + name.removeprefix("市")
