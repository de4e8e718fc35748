"""Request dependencies: the unit of work and the caller.

The request owns the transaction, and it commits *before its response is sent*. That is
the job of ``TransactionalRoute``, the route class of every router (``api_router()``, and
the app's own routes): it wraps each endpoint so that, in the worker thread that ran it,
the request's session commits as soon as the endpoint returns, or rolls back (keeping what
a refusal must keep) when it raises. A commit that fails raises, so the client gets a
problem+json error, never a 2xx. ``db_session`` only hands out that session; it is not a
dependency with ``yield``, because with the FastAPI in the lock file the exit code of a
``yield`` dependency of the default (request) scope runs after the response has been sent,
and even a function-scoped one runs only after the response's validation, in a later hop
through the thread pool, while the transaction still holds its locks.

A refusal (403/404) is logged in the same session after the rollback, so the log line
lands and nothing else does.

Core knows no domain: who the caller is (``org``) and how a request is written to the
operation log (``audit``) are ``RequestHooks`` that the composition root installs
(``bancheng.hooks.install``, called by ``create_app``, the CLI and the tests).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from fastapi.routing import APIRoute, APIRouter
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from bancheng.core.config import Settings, get_settings
from bancheng.core.db import get_database
from bancheng.core.errors import DomainError, Forbidden
from bancheng.core.inputs import check_inputs

SESSION_COOKIE = "bc_session"
CSRF_COOKIE = "bc_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Tests replace this to run each request inside the test's transaction.
session_factory: Callable[[bool], Session] | None = None


def open_session(write: bool) -> Session:
    """A session of the request machinery's own (the tests' ``session_factory`` when set)."""
    if session_factory is not None:
        return session_factory(write)
    return get_database().session(write)


# --- what core needs from the domains, installed by the composition root ----------------


class Caller(Protocol):
    """Who is calling, as far as the request machinery is concerned (``org.scope.Principal``)."""

    @property
    def user_id(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def ip(self) -> str | None: ...
    @property
    def must_change_password(self) -> bool: ...
    @property
    def password_expired(self) -> bool: ...
    def can(self, permission: str) -> bool: ...


@dataclass(frozen=True)
class LoggedRequest:
    """What the operation log keeps of a request: its route, the caller (``None`` and
    "公众" for the public) and the caller's address."""

    method: str
    path_template: str | None
    path: str
    path_params: dict[str, Any]
    user_id: int | None
    username: str
    ip: str | None


@dataclass(frozen=True)
class RequestHooks:
    """``identify(request, session)``: the caller, from read-only look-ups in ``session``
    (raises ``Unauthorized``/``Forbidden``); ``after_identify(request)``: the writes the
    look-up left for after it ended (a session's last use), each in a transaction of its
    own; ``record_request(session, request)`` (a state-changing request that succeeded,
    just before its commit) and ``record_denied(session, request, code)`` (a refusal,
    403/404): the operation log."""

    identify: Callable[[Request, Session], Caller]
    after_identify: Callable[[Request], None]
    record_request: Callable[[Session, LoggedRequest], None]
    record_denied: Callable[[Session, LoggedRequest, str], None]


_hooks: RequestHooks | None = None


def install_request_hooks(hooks: RequestHooks) -> None:
    global _hooks
    _hooks = hooks


def request_hooks() -> RequestHooks:
    if _hooks is None:
        raise RuntimeError("request hooks not installed: call bancheng.hooks.install() first")
    return _hooks


@contextmanager
def separate_transaction(write: bool = True) -> Iterator[Session]:
    """A short transaction of its own, committed when the block ends, whatever the request
    does afterwards (a rate-limit hit, a reserved sign-in attempt)."""
    s = open_session(write)
    try:
        yield s
        s.commit()
    except BaseException:
        s.rollback()
        raise
    finally:
        s.close()


class UnitOfWork:
    """The request's session, opened at its first use. On SQLite a write request's session
    starts with ``BEGIN IMMEDIATE`` at its first statement (so it queues for the write
    lock within the busy timeout instead of failing to upgrade a read lock later); a read
    request's with a deferred ``BEGIN``."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.write = request.method not in SAFE_METHODS
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = open_session(self.write)
        return self._session

    @property
    def open(self) -> bool:
        return self._session is not None

    def commit(self) -> None:
        if self.write:
            _record(self.request, self.session)  # the operation-log entry (audit.actions)
        if self._session is None:
            return
        try:
            self._session.commit()
        except BaseException:
            self._session.rollback()
            raise
        finally:
            self._session.close()
            self._session = None

    def fail(self, exc: BaseException) -> None:
        """The endpoint raised: roll back, except what a refusal must keep."""
        s = self._session
        if s is None:
            if isinstance(exc, DomainError) and exc.status_code in (403, 404):
                self._log_denied(exc)
            return
        try:
            if isinstance(exc, DomainError) and exc.commit_changes:
                s.commit()
                return
            s.rollback()
            if isinstance(exc, DomainError) and exc.status_code in (403, 404):
                self._log_denied(exc)
        finally:
            s.close()
            self._session = None

    def _log_denied(self, exc: DomainError) -> None:
        if getattr(self.request.state, "principal", None) is None:
            return
        with separate_transaction() as s:
            request_hooks().record_denied(s, _logged(self.request), exc.code)


_current_uow: ContextVar[UnitOfWork | None] = ContextVar("bancheng_uow", default=None)


def _in_unit_of_work(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """The endpoint, followed by the commit in the same worker thread. FastAPI runs a sync
    endpoint, its dependencies and the response's validation in separate hops through the
    thread pool; a transaction that took a lock (SQLite's write lock, the case counter's
    row lock) must not wait for a free thread while holding it, so it ends before the
    endpoint's thread is given back. The signature is the endpoint's (``__wrapped__``).
    The parsed input is checked against the rules every request obeys first
    (``core/inputs.py``)."""
    if getattr(endpoint, "__unit_of_work__", False):
        return endpoint

    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            uow = _current_uow.get()
            try:
                check_inputs(kwargs)
                result = await endpoint(*args, **kwargs)
            except BaseException as exc:
                if uow is not None:
                    await run_in_threadpool(uow.fail, exc)
                raise
            if uow is not None:
                await run_in_threadpool(uow.commit)
            return result

        run_async.__unit_of_work__ = True  # type: ignore[attr-defined]
        return run_async

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        uow = _current_uow.get()
        try:
            check_inputs(kwargs)
            result = endpoint(*args, **kwargs)
        except BaseException as exc:
            if uow is not None:
                uow.fail(exc)
            raise
        if uow is not None:
            uow.commit()
        return result

    run.__unit_of_work__ = True  # type: ignore[attr-defined]
    return run


class TransactionalRoute(APIRoute):
    """Every API route: the request's transaction ends (commit or rollback) inside the
    endpoint's call, before the response object is built, let alone sent. A dependency that
    fails before the endpoint runs leaves a session that is rolled back here."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, _in_unit_of_work(endpoint), **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run_in_unit_of_work(request: Request) -> Response:
            uow = UnitOfWork(request)
            request.state.uow = uow
            token = _current_uow.set(uow)
            try:
                return await handler(request)
            except BaseException as exc:
                if uow.open:
                    await run_in_threadpool(uow.fail, exc)
                raise
            finally:
                _current_uow.reset(token)
                if uow.open:
                    await run_in_threadpool(uow.fail, RuntimeError("not committed"))

        return run_in_unit_of_work


def api_router(**kwargs: Any) -> APIRouter:
    """The one way to make a router: its routes commit before they answer."""
    return APIRouter(route_class=TransactionalRoute, **kwargs)


def db_session(request: Request) -> Session:
    uow: UnitOfWork | None = getattr(request.state, "uow", None)
    if uow is None:
        raise RuntimeError(
            f"{request.url.path}: db_session outside a TransactionalRoute (use api_router())"
        )
    return uow.session


def _template(request: Request) -> str | None:
    route = request.scope.get("route")
    return getattr(route, "path", None)


def _logged(request: Request) -> LoggedRequest:
    principal: Caller | None = getattr(request.state, "principal", None)
    return LoggedRequest(
        method=request.method,
        path_template=_template(request),
        path=request.url.path,
        path_params=dict(request.path_params),
        user_id=principal.user_id if principal else None,
        username=principal.username if principal else "公众",
        ip=principal.ip if principal else client_ip(request),
    )


def _record(request: Request, session: Session) -> None:
    """The operation-log entry of a state-changing request (``audit.actions``)."""
    request_hooks().record_request(session, _logged(request))


def client_ip(request: Request) -> str | None:
    """The client's address, seen through trusted proxies (``core/clientip.py``)."""
    from bancheng.core.clientip import client_address

    return client_address(request)


def _resolve_principal(request: Request, session: Session) -> Caller:
    """Who is calling. On SQLite the look-ups run in a short read session of their own: the
    request's write session takes the database's write lock at its first statement, and
    that must happen in the endpoint, not in a dependency that then waits for a free
    worker thread while holding it (which starves the pool under load). Elsewhere reads
    take no lock, and they run in the request's own session: one connection and one
    transaction per request, and the cache stamps (``core/cache.py``) read once for both
    the caller and the endpoint."""
    cached: Caller | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    hooks = request_hooks()
    if _reads_lock(session):
        lookup = open_session(False)
        try:
            principal = hooks.identify(request, lookup)
        finally:
            lookup.rollback()
            lookup.close()
    else:
        principal = hooks.identify(request, session)
    hooks.after_identify(request)
    request.state.principal = principal
    return principal


def _reads_lock(session: Session) -> bool:
    """Whether the first statement of ``session`` may take a lock (SQLite's write session
    begins ``BEGIN IMMEDIATE``)."""
    return session.get_bind().dialect.name == "sqlite"


def current_principal(request: Request, session: Session = Depends(db_session)) -> Caller:
    """The caller, even one who still has to change an initial password."""
    return _resolve_principal(request, session)


class Require:
    """``Depends(require("case.read"))``: the caller must hold the permission. The route
    table test reads ``permission`` off these dependencies to build its matrix."""

    def __init__(self, permission: str) -> None:
        self.permission = permission

    def __call__(self, request: Request, session: Session = Depends(db_session)) -> Caller:
        principal = _resolve_principal(request, session)
        if principal.password_expired:
            raise Forbidden("auth.password_expired", "密码已超过有效期，请先修改密码")
        if principal.must_change_password:
            raise Forbidden("auth.password_change_required", "请先修改初始密码")
        if not principal.can(self.permission):
            raise Forbidden("auth.forbidden", "无权执行此操作")
        return principal


def require(permission: str) -> Any:
    return Depends(Require(permission))


def settings_dep() -> Settings:
    return get_settings()


# A route's session and settings as parameter types (``session: DB``, ``settings: Conf``).
DB = Annotated[Session, Depends(db_session)]
Conf = Annotated[Settings, Depends(get_settings)]
