"""Unit routing on a deployment's database: the learning job's figures and the cost of one
suggestion on the request path.

    BANCHENG_DATABASE_URL=... uv run python bench/unit_routing.py [--learn] [--n 200]

``--learn`` runs the learning job once first (``bancheng routing learn``). Then times
``routing.service.suggest`` (category model, unit model when one is active, similar-case
votes from the ledger) on the texts of the newest ``n`` cases, one at a time, in CPU and
wall milliseconds, and prints one JSON line with the last recorded run's figures.
"""

from __future__ import annotations

import argparse
import json
import time

from sqlalchemy import select

from bancheng.cases.models import Case
from bancheng.core.db import get_database
from bancheng.routing import service
from bancheng.routing.jobs import run_learning
from bancheng.routing.learning import active_unit_row
from bancheng.routing.models import RoutingUnitModel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learn", action="store_true")
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    learned = run_learning() if args.learn else None
    db = get_database()
    with db.transaction(write=False) as session:
        texts = session.execute(
            select(Case.title, Case.description).order_by(Case.id.desc()).limit(args.n)
        ).all()
        service.suggest(session, "预热", "")  # index, jieba and models loaded outside the loop
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for title, description in texts:
            service.suggest(session, title, description)
        cpu = 1000 * (time.process_time() - cpu0) / len(texts)
        wall = 1000 * (time.perf_counter() - wall0) / len(texts)
        active = active_unit_row(session)
        last = session.scalars(
            select(RoutingUnitModel).order_by(RoutingUnitModel.id.desc()).limit(1)
        ).first()
        print(
            json.dumps(
                {
                    "learned": None if learned is None else learned.reason,
                    "cases_timed": len(texts),
                    "suggest_cpu_ms": round(cpu, 3),
                    "suggest_wall_ms": round(wall, 3),
                    "unit_model_active": active.version if active else None,
                    "last_run": None
                    if last is None
                    else {"decision": last.decision, **last.figures},
                },
                ensure_ascii=False,
            )
        )


if __name__ == "__main__":
    main()
