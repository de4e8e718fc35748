"""Hot issues on ``../shared/data/demo/hot_issue_messages.csv``, with a check of the
clusters against problems known to recur in that file.

    uv run python bench/hot_issues_demo.py [--top 10]

Prints one JSON line: timings, the number of proposed issues, the top issues (reports,
reporters, heat, representative titles), and for each probe -- a known underlying
problem recognised by keywords -- how many messages match it, the share of them that
landed in its main cluster (recall) and the share of that cluster that matches it
(precision).
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

from bancheng.routing.hot_issues import Report, cluster_reports, hot_issues

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "demo" / "hot_issue_messages.csv"

# A message belongs to a probe when its title or text contains every word of one of the
# alternatives.
PROBES: dict[str, list[tuple[str, ...]]] = {
    "丽发新城搅拌站扰民": [("丽发新城", "搅拌")],
    "伊景园滨河苑捆绑销售车位": [("伊景园", "车位"), ("滨河苑", "车位")],
    "58车贷案": [("58车贷",)],
    "温斯顿英语退费": [("温斯顿",)],
    "魅力之城商铺油烟扰民": [("魅力之城", "油烟")],
    "经济学院强制实习": [("经济学院", "实习")],
}


def _parse_time(value: str) -> datetime:
    for pattern in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(value.strip(), pattern)
        except ValueError:
            continue
    raise ValueError(f"unrecognised time {value!r}")


def _matches(report: Report, alternatives: list[tuple[str, ...]]) -> bool:
    text = report.title + report.text
    return any(all(word in text for word in words) for words in alternatives)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    with args.data.open(encoding="utf-8", newline="") as handle:
        reports = [
            Report(row["id"], row["user"], row["title"], row["detail"], _parse_time(row["time"]))
            for row in csv.DictReader(handle)
        ]
    started = time.perf_counter()
    issues = hot_issues(reports)
    seconds = time.perf_counter() - started
    groups = cluster_reports(reports)
    group_of = {i: g for g, members in enumerate(groups) for i in members}

    probes = {}
    for name, alternatives in PROBES.items():
        matching = [i for i, r in enumerate(reports) if _matches(r, alternatives)]
        if not matching:
            continue
        main_group, hits = Counter(group_of[i] for i in matching).most_common(1)[0]
        members = groups[main_group]
        rank = next(
            (
                position
                for position, issue in enumerate(issues, start=1)
                if reports[members[0]].key in issue.keys
            ),
            None,
        )
        probes[name] = {
            "matching_messages": len(matching),
            "main_cluster_size": len(members),
            "recall": round(hits / len(matching), 3),
            "precision": round(hits / len(members), 3),
            "heat_rank": rank,
        }
    print(
        json.dumps(
            {
                "messages": len(reports),
                "seconds": round(seconds, 1),
                "clusters_proposed": len(issues),
                "top": [
                    {
                        "rank": position,
                        "reports": issue.reports,
                        "reporters": issue.reporters,
                        "first": issue.first_at.date().isoformat(),
                        "last": issue.last_at.date().isoformat(),
                        "heat": issue.heat,
                        "titles": issue.titles,
                    }
                    for position, issue in enumerate(issues[: args.top], start=1)
                ],
                "probes": probes,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
