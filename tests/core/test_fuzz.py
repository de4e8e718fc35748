"""Schemathesis over the whole OpenAPI, in-process, against the suite's database.

Every operation gets a few generated requests (ones that fit its schema and ones that do
not), anonymously and as signed-in staff (a supervisor, an administrator), some with the
path ids of rows that exist (a registered case, the ``org`` fixture's departments, hall,
matter and users). No answer may be a 5xx, and each must be one the OpenAPI declares:
its status code, content type and body schema (``core/openapi.py`` declares the
problem+json answers).

The run is derandomised, so a failure in CI reproduces with the same requests, and
bounded: ``BANCHENG_FUZZ_EXAMPLES`` examples per operation (default 3); once
a user's run has taken ``BANCHENG_FUZZ_BUDGET`` seconds (default 90) the remaining
operations get one example each. A 5xx found here is fixed where its class of input is
handled and gets a regression test of its own in ``test_inputs.py``.
"""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import case_payload, login

EXAMPLES = int(os.environ.get("BANCHENG_FUZZ_EXAMPLES", "3"))
BUDGET = float(os.environ.get("BANCHENG_FUZZ_BUDGET", "90"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class Run:
    user: str | None
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def who(self) -> str:
        return self.user or "anonymous"


def _known_ids(client: Any, org: Any) -> dict[str, Any]:
    headers = login(client, "clerk")
    r = client.post("/api/v1/cases", json=case_payload(), headers=headers)
    assert r.status_code == 201, r.text
    case = r.json()
    return {
        "case_id": case["id"],
        "number": case["number"],
        "dept_id": org.id("fund"),
        "hall_id": org.hall.id,
        "matter_id": org.matters["fund"].id,
        "user_id": org.users["clerk"].id,
        "year": 2025,
        "fmt": "json",
    }


def _sign_in(client: Any, run: Run) -> None:
    """(Again, when the operation before signed the user out or changed the session.)"""
    if run.user is None:
        client.cookies.clear()
        return
    if run.cookies and client.get("/api/v1/auth/me").status_code == 200:
        return
    run.headers = login(client, run.user)
    run.cookies = dict(client.cookies)


def _fuzz_operation(operation: Any, run: Run, known: dict[str, Any], examples: int) -> None:
    label = operation.label
    strategies = [operation.as_strategy(), operation.as_strategy(GenerationMode.NEGATIVE)]
    params = {p.name: known[p.name] for p in operation.path_parameters if p.name in known}
    if params:
        strategies.append(operation.as_strategy(path_parameters=params))

    @given(case=st.one_of(strategies))
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        started = time.monotonic()
        try:
            response = case.call(headers=run.headers, cookies=run.cookies)
        except Exception as exc:  # the in-process client re-raises the server's error
            where = traceback.extract_tb(exc.__traceback__)[-1]
            run.failures.append(
                f"{label} as {run.who}: 500 {type(exc).__name__}: {exc}"
                f" at {where.filename}:{where.lineno}\n    {case.as_curl_command()}"[:2000]
            )
            return
        finally:
            run.seconds[label] = run.seconds.get(label, 0.0) + time.monotonic() - started
        try:
            case.validate_response(response, checks=CHECKS, headers=run.headers)
        except (Exception, BaseExceptionGroup) as exc:
            run.failures.append(f"{label} as {run.who}: {exc}"[:2000])

    check()


@pytest.mark.parametrize("user", [None, "supervisor", "admin"])
def test_no_input_causes_a_server_error(client, org, user, monkeypatch, settings):
    # Sign-ins are fuzzed too; the real one must not be rate-limited by them.
    monkeypatch.setattr(settings, "login_rate_limit_per_minute", 100_000)
    known = _known_ids(client, org)
    schema = schemathesis.openapi.from_dict(client.app.openapi())
    schema.app = client.app
    run = Run(user)
    started = time.monotonic()
    for result in schema.get_all_operations():
        _sign_in(client, run)
        over_budget = time.monotonic() - started > BUDGET
        _fuzz_operation(result.ok(), run, known, 1 if over_budget else EXAMPLES)
    slowest = sorted(run.seconds.items(), key=lambda kv: -kv[1])[:5]
    print(
        f"fuzz as {run.who}: {time.monotonic() - started:.1f}s, {len(run.seconds)} operations;"
        f" slowest {[(k, round(v, 1)) for k, v in slowest]}"
    )
    assert not run.failures, "\n\n".join(run.failures)
