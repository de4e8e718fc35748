"""Similar-case lookup latency over 100,000 texts.

    uv run python bench/similar_cases.py [--n 100000] [--queries 300]

The corpus is built from the public message texts (``../shared/data/routing`` and
``../shared/data/demo``): each indexed text is a real title followed by a real detail
drawn at random (fixed seed), so lengths and vocabulary are those of real messages.
Queries are real messages. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import time
from pathlib import Path

import numpy as np

from bancheng.routing.similar import SimilarIndex

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def _column(path: Path, column: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row[column] for row in csv.DictReader(handle) if row.get(column)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    titles, details = [], []
    for name in ("routing/train_titles.csv", "routing/train_fullrows.csv"):
        titles += _column(DATA / name, "title")
    for name in ("routing/train_details.csv", "routing/train_fullrows.csv"):
        details += _column(DATA / name, "detail")
    for name in ("demo/messages_with_replies.csv", "demo/hot_issue_messages.csv"):
        titles += _column(DATA / name, "title")
        details += _column(DATA / name, "detail")
    rng = random.Random(0)
    corpus = ((i, f"{rng.choice(titles)}。{rng.choice(details)}") for i in range(args.n))

    index: SimilarIndex[int] = SimilarIndex()
    started = time.perf_counter()
    index.build(corpus)
    build_seconds = time.perf_counter() - started

    queries = [f"{rng.choice(titles)}。{rng.choice(details)}" for _ in range(args.queries)]
    index.query(queries[0], args.k)
    timings = []
    cpu_started = time.process_time()
    for text in queries:
        started = time.perf_counter()
        index.query(text, args.k)
        timings.append(1000.0 * (time.perf_counter() - started))
    cpu_ms = 1000.0 * (time.process_time() - cpu_started) / len(queries)

    started = time.perf_counter()
    for i in range(200):
        index.add(args.n + i, queries[i % len(queries)])
    add_ms = 1000.0 * (time.perf_counter() - started) / 200
    after_add = [index.query(text, args.k) for text in queries[:5]]
    duplicates_found = sum(m[0].key >= args.n and m[0].score > 0.99 for m in after_add)

    ms = np.array(timings)
    print(
        json.dumps(
            {
                "n_texts": len(index),
                "build_seconds": round(build_seconds, 1),
                "index_mb": round(index.nbytes / 2**20, 1),
                "query_ms_mean": round(float(ms.mean()), 2),
                "query_ms_p50": round(float(np.percentile(ms, 50)), 2),
                "query_ms_p95": round(float(np.percentile(ms, 95)), 2),
                "query_ms_max": round(float(ms.max()), 2),
                "query_cpu_ms_mean": round(cpu_ms, 2),
                "add_ms_mean": round(add_ms, 2),
                "added_duplicates_found_first": f"{duplicates_found}/5",
                "k": args.k,
            }
        )
    )


if __name__ == "__main__":
    main()
