"""HTTP: ``/api/v1/dispatch-catalogue`` — the matter → responsible unit catalogue (read by
all staff, edited and imported by administrators) and matching a report's text to it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Form, UploadFile
from sqlalchemy.orm import Session

from bancheng.audit.service import log_action
from bancheng.core.deps import DB, api_router, require
from bancheng.dispatch import service
from bancheng.dispatch.models import DispatchCatalogueEntry
from bancheng.dispatch.schemas import (
    EntryIn,
    EntryOut,
    ImportErrorOut,
    ImportOut,
    MatchIn,
    MatchOut,
)
from bancheng.integrations.hotline_import_rows import read_upload
from bancheng.org.scope import Principal

router = api_router(prefix="/api/v1/dispatch-catalogue", tags=["dispatch"])


def _out(e: DispatchCatalogueEntry) -> EntryOut:
    return EntryOut(
        id=e.id,
        matter=e.matter,
        keywords=list(e.keywords),
        department_id=e.department_id,
        co_department_ids=list(e.co_department_ids),
        note=e.note,
        active=e.active,
        updated_at=e.updated_at,
    )


def _data(body: EntryIn) -> service.EntryData:
    return service.EntryData(
        body.matter,
        body.keywords,
        body.department_id,
        body.co_department_ids,
        body.note,
        body.active,
    )


def _log(session: Session, p: Principal, action: str, obj_id: Any, details: dict[str, Any]) -> None:
    log_action(
        session,
        p,
        action,
        object_type="dispatch_catalogue",
        object_id=obj_id,
        details=details,
    )


@router.get("", response_model=list[EntryOut])
def list_entries(session: DB, _: Principal = require("org.read")) -> list[EntryOut]:
    return [_out(e) for e in service.list_entries(session)]


@router.post("", response_model=EntryOut, status_code=201)
def create_entry(body: EntryIn, session: DB, p: Principal = require("org.manage")) -> EntryOut:
    entry = service.create_entry(session, p, _data(body))
    _log(session, p, "dispatch.create", entry.id, {"matter": entry.matter})
    return _out(entry)


@router.put("/{entry_id}", response_model=EntryOut)
def update_entry(
    entry_id: int, body: EntryIn, session: DB, p: Principal = require("org.manage")
) -> EntryOut:
    entry = service.update_entry(session, p, entry_id, _data(body))
    _log(session, p, "dispatch.update", entry.id, {"matter": entry.matter})
    return _out(entry)


@router.delete("/{entry_id}", status_code=204)
def delete_entry(entry_id: int, session: DB, p: Principal = require("org.manage")) -> None:
    matter = service.get_entry(session, entry_id).matter
    service.delete_entry(session, entry_id)
    _log(session, p, "dispatch.delete", entry_id, {"matter": matter})


@router.post("/import", response_model=ImportOut)
def import_entries(
    session: DB,
    file: Annotated[
        UploadFile, File(description=".xlsx 或 .csv：事项、关键词、主办单位、协办单位、备注")
    ],
    dry_run: Annotated[bool, Form()] = False,
    p: Principal = require("org.manage"),
) -> ImportOut:
    """Adds new matters and updates existing ones (by name). Units by code or name. With any
    row in error nothing is written and the errors are listed."""
    header, rows = read_upload(file.filename or "catalogue.csv", file.file.read())
    result = service.import_rows(session, p, header, rows, dry_run=dry_run)
    if not dry_run and not result.errors:
        _log(
            session,
            p,
            "dispatch.import",
            None,
            {"created": result.created, "updated": result.updated},
        )
    return ImportOut(
        created=result.created,
        updated=result.updated,
        errors=[ImportErrorOut(**e) for e in result.errors],
        dry_run=dry_run,
    )


@router.post("/match", response_model=list[MatchOut])
def match(body: MatchIn, session: DB, _: Principal = require("case.read")) -> list[MatchOut]:
    """Catalogue matters that a report's title or text names, best first."""
    return [MatchOut(**m.__dict__) for m in service.match(session, body.title, body.description)]
