"""The dispatch catalogue's rules: one entry per matter, a responsible unit that exists,
co-handlers distinct from it; import replaces nothing silently (upsert by matter name,
every row checked before any is written); matching a report's text to entries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bancheng.core import clock
from bancheng.core.errors import Conflict, Invalid, NotFound, present
from bancheng.dispatch import repository
from bancheng.dispatch.models import DispatchCatalogueEntry
from bancheng.org.scope import Principal

MAX_KEYWORDS = 20
IMPORT_HEADERS = {
    "事项": "matter",
    "关键词": "keywords",
    "主办单位": "department",
    "协办单位": "co_departments",
    "备注": "note",
}


@dataclass(frozen=True)
class EntryData:
    matter: str
    keywords: list[str]
    department_id: int
    co_department_ids: list[int]
    note: str | None = None
    active: bool = True


def _clean_keywords(words: Iterable[str]) -> list[str]:
    out: list[str] = []
    for w in words:
        w = w.strip()
        if w and w not in out:
            out.append(w[:40])
    if len(out) > MAX_KEYWORDS:
        raise Invalid("dispatch.too_many_keywords", f"关键词最多{MAX_KEYWORDS}个", field="keywords")
    return out


def _check(session: Session, data: EntryData) -> EntryData:
    matter = data.matter.strip()
    if not matter:
        raise Invalid("dispatch.matter_required", "请填写事项名称", field="matter")
    ids = [data.department_id, *data.co_department_ids]
    found = repository.active_department_ids(session, ids)
    if data.department_id not in found:
        raise Invalid(
            "dispatch.department_not_found", "主办单位不存在或已停用", field="department_id"
        )
    co = []
    for d in data.co_department_ids:
        if d not in found:
            raise Invalid(
                "dispatch.department_not_found", "协办单位不存在或已停用", field="co_department_ids"
            )
        if d == data.department_id:
            raise Invalid(
                "dispatch.co_is_lead", "协办单位不能与主办单位相同", field="co_department_ids"
            )
        if d not in co:
            co.append(d)
    return EntryData(
        matter, _clean_keywords(data.keywords), data.department_id, co, data.note, data.active
    )


def list_entries(session: Session, include_inactive: bool = True) -> list[DispatchCatalogueEntry]:
    return repository.entries(session, include_inactive)


def get_entry(session: Session, entry_id: int) -> DispatchCatalogueEntry:
    return present(
        repository.entry(session, entry_id), NotFound("dispatch.not_found", "派单目录条目不存在")
    )


def _by_matter(session: Session, matter: str) -> DispatchCatalogueEntry | None:
    return repository.entry_for_matter(session, matter)


def _apply(entry: DispatchCatalogueEntry, data: EntryData, principal: Principal) -> None:
    entry.matter = data.matter
    entry.keywords = data.keywords
    entry.department_id = data.department_id
    entry.co_department_ids = data.co_department_ids
    entry.note = (data.note or "").strip() or None
    entry.active = data.active
    entry.updated_at = clock.now()
    entry.updated_by_id = principal.user_id or None


def create_entry(session: Session, principal: Principal, data: EntryData) -> DispatchCatalogueEntry:
    data = _check(session, data)
    if _by_matter(session, data.matter) is not None:
        raise Conflict("dispatch.matter_exists", f"事项“{data.matter}”已在派单目录中")
    entry = DispatchCatalogueEntry()
    _apply(entry, data, principal)
    session.add(entry)
    session.flush()
    return entry


def update_entry(
    session: Session, principal: Principal, entry_id: int, data: EntryData
) -> DispatchCatalogueEntry:
    entry = get_entry(session, entry_id)
    data = _check(session, data)
    other = _by_matter(session, data.matter)
    if other is not None and other.id != entry.id:
        raise Conflict("dispatch.matter_exists", f"事项“{data.matter}”已在派单目录中")
    _apply(entry, data, principal)
    session.flush()
    return entry


def delete_entry(session: Session, entry_id: int) -> None:
    session.delete(get_entry(session, entry_id))
    session.flush()


# --- import ---------------------------------------------------------------------------


def _split(cell: Any) -> list[str]:
    if cell is None:
        return []
    text = str(cell)
    for sep in ("，", "、", ";", "；", "|", "\n"):
        text = text.replace(sep, ",")
    return [w.strip() for w in text.split(",") if w.strip()]


@dataclass
class ImportResult:
    created: int
    updated: int
    errors: list[dict[str, Any]]


def import_rows(
    session: Session,
    principal: Principal,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    dry_run: bool = False,
) -> ImportResult:
    """Rows of 事项, 关键词, 主办单位, 协办单位, 备注 (units by code or name). Every row is
    checked first; with any error nothing is written."""
    cols = {
        IMPORT_HEADERS[h.strip()]: i for i, h in enumerate(header) if h.strip() in IMPORT_HEADERS
    }
    if "matter" not in cols or "department" not in cols:
        raise Invalid("dispatch.import_columns", "导入文件须包含“事项”和“主办单位”两列")
    depts = repository.active_departments(session)
    by_key: dict[str, int] = {}
    for d in depts:
        by_key.setdefault(d.name, d.id)
        by_key.setdefault(d.code, d.id)

    def cell(row: Sequence[Any], key: str) -> Any:
        i = cols.get(key)
        return row[i] if i is not None and i < len(row) else None

    parsed: list[tuple[int, EntryData]] = []
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, row in enumerate(rows, start=2):
        if not any(str(c).strip() for c in row if c is not None):
            continue
        matter = str(cell(row, "matter") or "").strip()
        lead = str(cell(row, "department") or "").strip()
        co_names = _split(cell(row, "co_departments"))
        try:
            if matter in seen:
                raise Invalid("dispatch.import_duplicate", f"事项“{matter}”重复出现")
            if lead not in by_key:
                raise Invalid("dispatch.department_not_found", f"主办单位“{lead}”不存在")
            missing = [c for c in co_names if c not in by_key]
            if missing:
                raise Invalid("dispatch.department_not_found", f"协办单位“{missing[0]}”不存在")
            note = cell(row, "note")
            data = _check(
                session,
                EntryData(
                    matter,
                    _split(cell(row, "keywords")),
                    by_key[lead],
                    [by_key[c] for c in co_names],
                    str(note).strip() if note is not None else None,
                ),
            )
            seen.add(matter)
            parsed.append((n, data))
        except Invalid as exc:
            errors.append({"row": n, "code": exc.code, "message": exc.detail})
    if errors:
        return ImportResult(0, 0, errors)
    created = updated = 0
    for _, data in parsed:
        entry = _by_matter(session, data.matter)
        if entry is None:
            created += 1
            if not dry_run:
                entry = DispatchCatalogueEntry()
                _apply(entry, data, principal)
                session.add(entry)
        else:
            updated += 1
            if not dry_run:
                _apply(entry, data, principal)
    session.flush()
    return ImportResult(created, updated, [])


# --- suggestions ----------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueMatch:
    entry_id: int
    matter: str
    department_id: int
    co_department_ids: list[int]
    matched: list[str]


def match(session: Session, title: str, description: str, limit: int = 3) -> list[CatalogueMatch]:
    """Active entries whose matter name or a keyword appears in the text, best first (the
    title counts twice as much as the description; then more words, then longer words)."""
    title = title or ""
    text = f"{title}\n{description or ''}"
    scored: list[tuple[tuple[int, int, int], CatalogueMatch]] = []
    for e in list_entries(session, include_inactive=False):
        words = [e.matter, *e.keywords]
        hits = [w for w in words if w and w in text]
        if not hits:
            continue
        in_title = sum(1 for w in hits if w in title)
        key = (in_title, len(hits), max(len(w) for w in hits))
        scored.append(
            (key, CatalogueMatch(e.id, e.matter, e.department_id, list(e.co_department_ids), hits))
        )
    scored.sort(key=lambda x: x[0], reverse=True)
    return [m for _, m in scored[:limit]]
