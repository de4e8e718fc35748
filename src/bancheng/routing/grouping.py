"""Which training rows come from the same citizen message.

The routing data set splits messages into title-only and detail-only rows (and a few
full rows), so one message can appear twice: once as its title, once as its detail.
Cross-validation must keep both halves in the same fold, or it measures the model on
messages it has half seen and overstates what it will do on new ones (by about 0.03
macro-F1 on the shipped data). The files carry no message id, so the halves are paired
here: identical texts are one message, and within each label every title-only row is
matched one-to-one to a detail-only row by how much of the title (IDF-weighted character
bigrams) occurs in the detail, keeping matches that cover at least ``MIN_COVERAGE``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

MIN_COVERAGE = 0.2
# Above this many title x detail pairs per label, a one-to-one assignment is too costly;
# mutual best matches are used instead.
_MAX_ASSIGNMENT_CELLS = 25_000_000
_CHUNK = 2048


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        parent = self.parent
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _title_coverage(titles: Sequence[str], details: Sequence[str]) -> NDArray[np.float32]:
    """coverage[i, j]: IDF-weighted share of title i's character bigrams found in detail j."""
    # sklearn takes seconds to import: loaded on first use, not by every process
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(
        analyzer="char", ngram_range=(2, 2), binary=True, lowercase=False, dtype=np.float32
    )
    vectorizer.fit(list(titles) + list(details))
    title_matrix = vectorizer.transform(titles)
    detail_matrix = vectorizer.transform(details)
    df = np.asarray(detail_matrix.sum(axis=0)).ravel()
    idf = np.log((1.0 + len(details)) / (1.0 + df)).astype(np.float32)
    weighted = title_matrix.multiply(idf).tocsr()
    totals = np.asarray(weighted.sum(axis=1)).ravel()
    overlap = (weighted @ detail_matrix.T).toarray()
    return (overlap / np.maximum(totals, 1e-9)[:, None]).astype(np.float32)


def _matches(coverage: NDArray[np.float32]) -> list[tuple[int, int]]:
    n_titles, n_details = coverage.shape
    if n_titles == 0 or n_details == 0:
        return []
    if n_titles * n_details <= _MAX_ASSIGNMENT_CELLS:
        rows, cols = linear_sum_assignment(-coverage)
    else:
        best_detail = coverage.argmax(axis=1)
        best_title = coverage.argmax(axis=0)
        rows = np.flatnonzero(best_title[best_detail] == np.arange(n_titles))
        cols = best_detail[rows]
    return [
        (int(i), int(j)) for i, j in zip(rows, cols, strict=True) if coverage[i, j] >= MIN_COVERAGE
    ]


def message_groups(
    titles: Sequence[str], details: Sequence[str], labels: Sequence[str]
) -> NDArray[np.int64]:
    """A group id per row; rows judged to come from the same message share it.

    ``titles`` and ``details`` are the normalised texts ("" when missing)."""
    n = len(labels)
    if not (len(titles) == len(details) == n):
        raise ValueError("titles, details and labels must have the same length")
    groups = _UnionFind(n)
    first_title: dict[str, int] = {}
    first_detail: dict[str, int] = {}
    for i in range(n):
        for text, first in ((titles[i], first_title), (details[i], first_detail)):
            if text:
                if text in first:
                    groups.union(i, first[text])
                else:
                    first[text] = i
    for label in sorted(set(labels)):
        title_rows = [i for i in range(n) if labels[i] == label and titles[i] and not details[i]]
        detail_rows = [i for i in range(n) if labels[i] == label and details[i] and not titles[i]]
        if not title_rows or not detail_rows:
            continue
        if len(title_rows) * len(detail_rows) > _MAX_ASSIGNMENT_CELLS:
            pairs = _chunked_mutual_best(
                [titles[i] for i in title_rows], [details[j] for j in detail_rows]
            )
        else:
            coverage = _title_coverage(
                [titles[i] for i in title_rows], [details[j] for j in detail_rows]
            )
            pairs = _matches(coverage)
        for a, b in pairs:
            groups.union(title_rows[a], detail_rows[b])
    return np.array([groups.find(i) for i in range(n)], dtype=np.int64)


def _chunked_mutual_best(titles: Sequence[str], details: Sequence[str]) -> list[tuple[int, int]]:
    """Mutual best matches without holding the whole coverage matrix."""
    best_detail = np.zeros(len(titles), dtype=np.int64)
    best_detail_score = np.zeros(len(titles), dtype=np.float32)
    best_title = np.zeros(len(details), dtype=np.int64)
    best_title_score = np.full(len(details), -1.0, dtype=np.float32)
    for start in range(0, len(titles), _CHUNK):
        block = _title_coverage(titles[start : start + _CHUNK], details)
        best_detail[start : start + _CHUNK] = block.argmax(axis=1)
        best_detail_score[start : start + _CHUNK] = block.max(axis=1)
        column_best = block.max(axis=0)
        better = column_best > best_title_score
        best_title[better] = block.argmax(axis=0)[better] + start
        best_title_score[better] = column_best[better]
    return [
        (i, int(best_detail[i]))
        for i in range(len(titles))
        if best_title[best_detail[i]] == i and best_detail_score[i] >= MIN_COVERAGE
    ]
