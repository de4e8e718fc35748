"""The application: routers, error handlers, and the built web UI at ``/``."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from bancheng import __version__
from bancheng.core.db import get_database
from bancheng.core.deps import TransactionalRoute
from bancheng.core.errors import install_error_handlers, problem
from bancheng.core.jobs import JobScheduler
from bancheng.core.jobs import registry as jobs
from bancheng.core.observability import ObservabilityMiddleware
from bancheng.core.openapi import install_openapi
from bancheng.core.security_headers import SecurityHeaders
from bancheng.hooks import install
from bancheng.integrations import open311_format
from bancheng.integrations.open311_format import Open311Error

# Each domain with an HTTP surface exposes ``router`` from its ``api`` module.
ROUTER_MODULES = (
    "bancheng.org.api",
    "bancheng.org.admin_api",
    "bancheng.cases.api",
    "bancheng.sla.api",
    "bancheng.deadlines.ops_api",
    "bancheng.routing.api",
    "bancheng.dispatch.api",
    "bancheng.audit.api",
    "bancheng.intake.api",
    "bancheng.intake.print_api",
    "bancheng.feedback.api",
    "bancheng.notify.api",
    "bancheng.outbox.api",
    "bancheng.notify.admin_api",
    "bancheng.supervision.api",
    "bancheng.knowledge.api",
    "bancheng.insights.api",
    "bancheng.integrations.hotline_import_api",
    "bancheng.integrations.hotline_api",
    "bancheng.integrations.open311_api",
    "bancheng.integrations.haochaping_api",
    "bancheng.integrations.map_api",
    "bancheng.ops.metrics_api",
)

logger = logging.getLogger("bancheng.errors")

WEB_DIST = Path(__file__).resolve().parent.parent.parent / "web" / "dist"


def _routers() -> list[object]:
    found = []
    for name in ROUTER_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue  # this domain has no HTTP surface (yet)
            raise
        found.append(module.router)
    return found


def api_routes() -> list[APIRoute]:
    """Every API route, including those of routers included into a domain's router
    (FastAPI keeps those behind an included-router wrapper in ``router.routes``)."""

    def walk(routes: list[Any]) -> list[APIRoute]:
        out: list[APIRoute] = []
        for route in routes:
            if isinstance(route, APIRoute):
                out.append(route)
            elif hasattr(route, "original_router"):
                out.extend(walk(route.original_router.routes))
        return out

    return walk([r for router in _routers() for r in router.routes])  # type: ignore[attr-defined]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start this worker's scheduler (not in tests; a job
    whose interval is 0 is not scheduled). The lock in ``run_job`` decides which worker of
    which instance runs each tick of a run-once job; the outbox's delivery job runs in
    every worker and divides the rows by claims."""
    from bancheng.core.config import get_settings

    settings = get_settings()
    if settings.env != "test":  # each worker process logs JSON lines (tests keep pytest's)
        from bancheng.core.observability import configure_logging

        configure_logging(settings.log_level)
    # Sync endpoints run in a thread pool. A few threads per worker keep the interpreter lock
    # from being passed around among dozens of threads while one of them holds a row lock.
    import anyio.to_thread

    anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
    # One scheduler, one thread per lane: ``jobs`` (the periodic jobs, run once across
    # processes) and ``outbox`` (the claim-based delivery job, run by every process).
    lanes = set()
    if settings.jobs_in_serve:
        lanes.add("jobs")
    if settings.outbox_worker_in_serve:
        lanes.add("outbox")
    scheduler = None
    if settings.env != "test" and lanes:
        scheduler = JobScheduler(get_database(), settings, jobs, lanes=lanes)
        scheduler.start()
    try:
        yield
    finally:
        if scheduler is not None:
            scheduler.stop()


def _keep_uploads_in_memory() -> None:
    """An upload within the attachment limit stays in memory until it has been checked:
    the multipart parser would otherwise spool anything over 1 MB to a temporary file, so
    a refused file would touch the disk. Larger bodies still spool, and are refused."""
    from starlette.formparsers import MultiPartParser

    from bancheng.core.config import get_settings

    wanted = get_settings().attachment_max_bytes + 64 * 1024
    MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, wanted)


def _is_not_null_violation(exc: IntegrityError) -> bool:
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "23502":  # PostgreSQL not_null_violation
        return True
    return "NOT NULL constraint failed" in str(orig)  # SQLite


def create_app(web_dist: Path | None = None) -> FastAPI:
    from bancheng.core.config import get_settings

    install()  # listeners, channels, request hooks, jobs (bancheng/hooks.py)
    docs = get_settings().docs_open
    app = FastAPI(
        lifespan=lifespan,
        title="办成 bancheng",
        version=__version__,
        description="办不成事反映窗口：登记、派单、限时办结、督办、评价与分析",
        docs_url="/api/docs" if docs else None,
        redoc_url=None,
        openapi_url="/api/openapi.json" if docs else None,
    )
    app.add_middleware(SecurityHeaders)
    # Routes declared on the app itself (health, the web UI) end their transaction before
    # answering too; routers made with api_router() bring the same class.
    app.router.route_class = TransactionalRoute
    install_error_handlers(app)
    app.add_middleware(ObservabilityMiddleware)
    _keep_uploads_in_memory()

    @app.exception_handler(StaleDataError)
    async def _stale(_: Request, __: StaleDataError) -> JSONResponse:
        return problem(409, "case.version_conflict", "数据已被他人修改，请刷新后重试")

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        if _is_not_null_violation(exc):
            # An explicit null for a field that must have a value (a PATCH's ``"name":
            # null``): the request's fault. Logged, as the schema should have refused it.
            logger.warning("null refused by the database: %s", exc.orig)
            return problem(422, "request.null_not_allowed", "必填内容不能为空")
        return problem(409, "conflict.integrity", "数据冲突，请刷新后重试")

    # Open311's refusals raised before its routes' own guard (the rate limit) in its format.
    app.add_exception_handler(Open311Error, open311_format.refused)

    for router in _routers():
        app.include_router(router)  # type: ignore[arg-type]
    install_openapi(app)

    # The health check has threads of its own: it must answer while every request thread
    # is busy (or waiting for SQLite's write lock).
    health_threads = anyio.CapacityLimiter(2)

    def check_database() -> Response:
        db = get_database()
        try:
            with db.read_engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return JSONResponse({"status": "ok", "database": db.dialect, "version": __version__})

    @app.get("/api/health", tags=["ops"])
    async def health() -> Response:
        return await anyio.to_thread.run_sync(check_database, limiter=health_threads)

    dist = web_dist or WEB_DIST
    if (dist / "index.html").exists():
        if (dist / "assets").is_dir():
            app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")

        @app.get("/{path:path}", include_in_schema=False)
        def spa(path: str) -> Response:
            if path.startswith("api/"):
                return problem(404, "not_found", "Not Found")
            candidate = (dist / path).resolve()
            if path and candidate.is_file() and dist.resolve() in candidate.parents:
                return FileResponse(candidate)
            index = (
                "m/index.html"
                if path.startswith("m") and (dist / "m/index.html").exists()
                else "index.html"
            )
            return FileResponse(dist / index, headers={"Cache-Control": "no-cache"})

    return app
