"""No dead code: every function, method and class in ``src/bancheng`` is used somewhere
in the package, its tests or its benchmarks (vulture). Routes, CLI commands, event
listeners and pydantic/SQLAlchemy hooks are reached through their decorators or their
framework, so those are not counted; the few names a framework calls by name are listed."""

from __future__ import annotations

from pathlib import Path

from vulture import Vulture

ROOT = Path(__file__).resolve().parents[2]

DECORATORS = [
    "@router.*",
    "@*.command",
    "@*.group",
    "@main.*",
    "@app.*",
    "@*.exception_handler",
    "@*.middleware",
    "@*.listens_for",
    "@event.listens_for",
    "@field_validator",
    "@model_validator",
    "@field_serializer",
    "@computed_field",
    "@property",
    "@cached_property",
    "@*.setter",
    "@click.*",
    "@pytest.fixture",
    "@*.get",
    "@*.post",
    "@*.put",
    "@*.patch",
    "@*.delete",
]
# called by a framework by name: SQLAlchemy's TypeDecorator, prometheus_client's
# collector, httpcore's NetworkBackend (the webhook channel's pinned-address backend)
CALLED_BY_NAME = ["process_bind_param", "process_result_value", "collect", "connect_unix_socket"]


def test_no_unused_function_method_or_class() -> None:
    v = Vulture(ignore_decorators=DECORATORS, ignore_names=CALLED_BY_NAME)
    v.scavenge(
        [str(ROOT / "src" / "bancheng"), str(ROOT / "tests"), str(ROOT / "bench")],
        exclude=["*/migrations/*"],
    )
    unused = sorted(
        f"{Path(item.filename).relative_to(ROOT)}:{item.first_lineno} {item.typ} {item.name}"
        for item in v.get_unused_code(min_confidence=60)
        if item.typ in ("function", "method", "class")
        and Path(item.filename).is_relative_to(ROOT / "src")
    )
    assert unused == []
