"""Hot issues: recent reports grouped by underlying problem, ranked by heat.

Pure: the caller passes the reports (for cases: id, a reporter key such as the phone
hash, title, description, registration time) and gets clusters back.

Clustering. Each report is a TF-IDF vector of character 2-3-grams over its title
(counted twice: titles name the place and the problem) and the start of its text.
N-grams in more than ``max_df`` of the reports carry no weight, so what binds a cluster
is the rare vocabulary -- a compound's name, a company, a road -- together with the
problem words. Reports are grouped by average-linkage agglomerative clustering, cut where
the mean cosine similarity between two groups would fall below ``min_similarity``. A
group can only form inside a connected component of the "similarity above
``min_similarity``" graph, so the (quadratic) linkage runs per component.

Heat. ``volume`` counts distinct reporters, a repeat report by the same person adding
only ``repeat_weight``; ``recency`` halves every ``half_life_days`` since the latest
report; ``growth`` compares the last ``growth_days`` with the ``growth_days`` before
(clipped to [0.5, 3]). heat = volume x (0.5 + 0.5 x recency) x sqrt(growth).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform

from bancheng.routing.similar import index_text


@dataclass(frozen=True)
class Report:
    key: Hashable
    reporter: str
    title: str
    text: str
    at: datetime


@dataclass(frozen=True)
class HotIssueParams:
    min_similarity: float = 0.1
    max_df: float = 0.05
    title_chars: int = 100
    text_chars: int = 200
    min_reports: int = 3
    min_reporters: int = 2
    repeat_weight: float = 0.25
    half_life_days: float = 30.0
    growth_days: int = 14
    representative_titles: int = 3
    max_block: int = 6000


@dataclass
class HotIssue:
    keys: list[Hashable]
    reports: int
    reporters: int
    first_at: datetime
    last_at: datetime
    recent_reports: int
    previous_reports: int
    heat: float
    titles: list[str] = field(default_factory=list)

    @property
    def span_days(self) -> float:
        return (self.last_at - self.first_at).total_seconds() / 86400.0


def _vectors(reports: Sequence[Report], params: HotIssueParams) -> sp.csr_matrix:
    # sklearn takes seconds to import: loaded on first use, not by every process
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [
        index_text(r.title, params.title_chars) * 2 + index_text(r.text, params.text_chars)
        for r in reports
    ]
    vectorizer = TfidfVectorizer(
        analyzer="char",
        ngram_range=(2, 3),
        sublinear_tf=True,
        lowercase=False,
        min_df=2 if len(reports) > 2 else 1,
        max_df=1.0 if len(reports) < 40 else params.max_df,
        dtype=np.float32,
    )
    try:
        return vectorizer.fit_transform(texts).tocsr()
    except ValueError:  # every n-gram pruned: nothing in common anywhere
        return sp.csr_matrix((len(reports), 1), dtype=np.float32)


def cluster_reports(
    reports: Sequence[Report], params: HotIssueParams = HotIssueParams()
) -> list[list[int]]:
    """Groups of report indices about the same problem (singletons included), each group
    sorted, groups in order of their first member."""
    n = len(reports)
    if n == 0:
        return []
    vectors = _vectors(reports, params)
    similarity = (vectors @ vectors.T).tocsr()
    groups: list[list[int]] = []
    for members in _components(similarity, np.arange(n), params.min_similarity, params):
        if members.size == 1:
            groups.append([int(members[0])])
            continue
        block = vectors[members]
        distance = 1.0 - (block @ block.T).toarray()
        np.fill_diagonal(distance, 0.0)
        np.clip(distance, 0.0, None, out=distance)
        tree = linkage(squareform(distance, checks=False), method="average")
        labels = fcluster(tree, t=1.0 - params.min_similarity, criterion="distance")
        for label in np.unique(labels):
            groups.append(sorted(int(i) for i in members[labels == label]))
    return sorted(groups, key=lambda g: g[0])


def _components(
    similarity: sp.csr_matrix, rows: NDArray[np.intp], threshold: float, params: HotIssueParams
) -> list[NDArray[np.intp]]:
    """Connected components of the graph of edges above ``threshold``. A component too
    large for a dense linkage is split again at a stricter threshold (an approximation:
    its weakest links go first)."""
    graph = similarity[rows][:, rows].tocsr()
    graph.data[graph.data <= threshold] = 0.0
    graph.eliminate_zeros()
    count, component = connected_components(graph, directed=False)
    out: list[NDArray[np.intp]] = []
    for c in range(count):
        members = rows[component == c]
        if members.size > params.max_block and threshold < 0.95:
            out.extend(_components(similarity, members, threshold + 0.05, params))
        else:
            out.append(members)
    return out


def _representative_titles(
    vectors: sp.csr_matrix, members: list[int], reports: Sequence[Report], count: int
) -> list[str]:
    block = vectors[members]
    centroid = np.asarray(block.mean(axis=0)).ravel()
    closeness = block @ centroid
    titles: list[str] = []
    for i in np.argsort(-closeness, kind="stable"):
        title = reports[members[i]].title.strip()
        if title and title not in titles:
            titles.append(title)
        if len(titles) == count:
            break
    return titles


def heat_score(
    reporters: Sequence[str],
    times: Sequence[datetime],
    now: datetime,
    params: HotIssueParams = HotIssueParams(),
) -> tuple[float, int, int]:
    """(heat, reports in the last ``growth_days``, reports in the ``growth_days`` before)."""
    distinct = len(set(reporters))
    volume = distinct + params.repeat_weight * (len(reporters) - distinct)
    age_days = max(0.0, (now - max(times)).total_seconds() / 86400.0)
    recency = 0.5 ** (age_days / params.half_life_days)
    window = timedelta(days=params.growth_days)
    recent = sum(1 for t in times if now - window < t <= now)
    previous = sum(1 for t in times if now - 2 * window < t <= now - window)
    growth = min(3.0, max(0.5, (recent + 1) / (previous + 1)))
    return volume * (0.5 + 0.5 * recency) * math.sqrt(growth), recent, previous


def hot_issues(
    reports: Sequence[Report],
    *,
    now: datetime | None = None,
    params: HotIssueParams = HotIssueParams(),
    limit: int | None = None,
) -> list[HotIssue]:
    """Clusters with at least ``min_reports`` reports from ``min_reporters`` people,
    hottest first. ``now`` defaults to the latest report's time."""
    if not reports:
        return []
    now = now or max(r.at for r in reports)
    vectors = _vectors(reports, params)
    issues = []
    for members in cluster_reports(reports, params):
        group = [reports[i] for i in members]
        reporters = [r.reporter for r in group]
        if len(group) < params.min_reports or len(set(reporters)) < params.min_reporters:
            continue
        times = [r.at for r in group]
        heat, recent, previous = heat_score(reporters, times, now, params)
        issues.append(
            HotIssue(
                keys=[r.key for r in sorted(group, key=lambda r: r.at)],
                reports=len(group),
                reporters=len(set(reporters)),
                first_at=min(times),
                last_at=max(times),
                recent_reports=recent,
                previous_reports=previous,
                heat=round(heat, 3),
                titles=_representative_titles(
                    vectors, members, reports, params.representative_titles
                ),
            )
        )
    issues.sort(key=lambda issue: (-issue.heat, -issue.reports, issue.first_at))
    return issues[:limit] if limit is not None else issues
