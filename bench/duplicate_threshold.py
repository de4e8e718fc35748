"""Choosing the duplicate-suggestion threshold (``BANCHENG_DUPLICATE_THRESHOLD``) on the
demo data: the demo ledger (``bancheng.demo.plan_cases``) and the demo messages
``../shared/data/demo/hot_issue_messages.csv``.

    uv run python bench/duplicate_threshold.py [--demo-cases 3000]

Both are indexed with ``SimilarIndex`` (as the case page's similar list does) and every
text is queried for its 5 nearest neighbours scoring at least 0.25 (the similar list's
floor). Labels:

* demo ledger: two cases written from one template at the same place (every place slot
  the template uses equal) are the same problem reported again; one template at different
  places, or different templates, are not;
* messages: the keyword probes of ``bench/hot_issues_demo.py`` (a message belongs to a
  problem when its title or text contains all the words of one of its alternatives); both
  in the same problem = duplicate, exactly one in a problem or two different problems =
  not; pairs touching no problem are not labelled.

Prints one JSON line: per threshold the pairs flagged, precision, recall and F2 (recall
weighted twice: a flag asks a person to compare, a miss is a problem handled twice), the
lowest threshold meeting the target precision, and the chosen one (best F2; ties within
0.001 go to the lowest).
"""

from __future__ import annotations

import argparse
import csv
import json
import string
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hot_issues_demo import DATA, PROBES

from bancheng.routing.service import case_text
from bancheng.routing.similar import SimilarIndex


def _probe(title: str, text: str) -> str | None:
    whole = title + text
    for name, alternatives in PROBES.items():
        if any(all(w in whole for w in words) for words in alternatives):
            return name
    return None


PLACE_SLOTS = ("district", "street", "community", "estate", "brand", "company", "window")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def demo_cases(seed: int, n: int, target: float) -> dict[str, object]:
    """The demo ledger's cases (``bancheng.demo.plan_cases``): each is written from a
    template with place slots. Two cases of one template at the same place (every place
    slot the template uses equal) are the same problem; one template at different places,
    or different templates, are not."""
    from bancheng.demo import plan_cases

    plans = plan_cases(seed, n)
    index: SimilarIndex[int] = SimilarIndex()
    index.build((p.idx, case_text(p.title, p.description)) for p in plans)
    by_idx = {p.idx: p for p in plans}

    def same(a: int, b: int) -> bool:
        pa, pb = by_idx[a], by_idx[b]
        if pa.template is not pb.template:
            return False
        used = _fields(pa.template.title + pa.template.description) & set(PLACE_SLOTS)
        return all(pa.slots[s] == pb.slots[s] for s in used)

    pairs: dict[tuple[int, int], float] = {}
    for p in plans:
        for m in index.query(case_text(p.title, p.description), k=5, exclude=[p.idx]):
            key = (min(p.idx, m.key), max(p.idx, m.key))
            pairs[key] = max(pairs.get(key, 0.0), m.score)
    labelled = [(score, same(a, b)) for (a, b), score in pairs.items() if score >= 0.25]
    return {"cases": len(plans), **_table(labelled, target)}


def _table(labelled: list[tuple[float, bool]], target: float) -> dict[str, object]:
    positives = sum(1 for _, same in labelled if same)
    rows = []
    chosen = None
    for step in range(25, 100, 5):
        cut = step / 100
        flagged = [same for score, same in labelled if score >= cut]
        tp = sum(flagged)
        precision = tp / len(flagged) if flagged else None
        recall = tp / positives if positives else None
        # F2: recall counts twice (a flag asks a person to compare; a miss is a duplicate
        # handled twice).
        f2 = 5 * precision * recall / (4 * precision + recall) if precision and recall else None
        rows.append(
            {
                "threshold": cut,
                "flagged": len(flagged),
                "precision": None if precision is None else round(precision, 3),
                "recall": None if recall is None else round(recall, 3),
                "f2": None if f2 is None else round(f2, 4),
            }
        )
        if chosen is None and precision is not None and precision >= target:
            chosen = cut
    scored = [r for r in rows if r["f2"] is not None]
    best = max((float(r["f2"]) for r in scored), default=None)
    # Thresholds within 0.001 of the best F2 are a tie: the lowest of them is chosen (real
    # messages show duplicates written by different people scoring lower, see the
    # ``messages`` table).
    tied = [r["threshold"] for r in scored if best is not None and float(r["f2"]) >= best - 0.001]
    return {
        "pairs": len(labelled),
        "positive_pairs": positives,
        "precision_target_met_at": chosen,
        "best_f2": best,
        "chosen": min(tied) if tied else None,
        "table": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--target-precision", type=float, default=0.9)
    parser.add_argument("--demo-cases", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20261121)
    args = parser.parse_args()
    with args.data.open(encoding="utf-8", newline="") as handle:
        rows = [(r["title"], r["detail"]) for r in csv.DictReader(handle)]
    index: SimilarIndex[int] = SimilarIndex()
    index.build((i, case_text(t, d)) for i, (t, d) in enumerate(rows))
    probe = [_probe(t, d) for t, d in rows]
    pairs: dict[tuple[int, int], float] = {}
    for i, (t, d) in enumerate(rows):
        for m in index.query(case_text(t, d), k=5, exclude=[i], min_score=0.25):
            key = (min(i, m.key), max(i, m.key))
            pairs[key] = max(pairs.get(key, 0.0), m.score)
    labelled = [
        (score, probe[a] == probe[b])
        for (a, b), score in pairs.items()
        if probe[a] is not None or probe[b] is not None
    ]
    messages = _table(labelled, args.target_precision)
    print(
        json.dumps(
            {
                "messages": {"count": len(rows), "neighbour_pairs": len(pairs), **messages},
                "target_precision": args.target_precision,
                "demo_ledger": demo_cases(args.seed, args.demo_cases, args.target_precision),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
