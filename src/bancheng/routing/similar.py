"""Similar-case index: cosine top-k over TF-IDF weighted, hashed character 2-3-grams.

Pure and in memory: the caller decides which texts go in (for a case, its title and
description) and what the keys are (case ids, library entry ids). Hashing needs no
vocabulary, so adding a text never refits anything.

``build`` computes IDF over the texts it is given and an inverted index (n-gram ->
texts). Texts added later are weighted with that IDF (n-grams it has never seen get the
highest weight) and kept in a small delta that every query scans; once the delta grows
past ``rebuild_fraction`` of the index it is merged into the inverted index. IDF is
refreshed only by the next ``build`` (say nightly, from the database), so the index
never has to keep term frequencies around.

N-grams found in more than ``max_df`` of the texts (and in more than ``min_skip_df``
texts, so that small indexes keep every n-gram) get no weight at all: they say almost
nothing about similarity but have the longest lists, so dropping them keeps a lookup
over 100,000 texts at a few milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from bancheng.routing.classifier import normalize_text

K = TypeVar("K", bound=Hashable)

_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Match(Generic[K]):
    key: K
    score: float


def index_text(text: str, max_chars: int) -> str:
    """What is indexed of a text: normalised, punctuation and spaces dropped, truncated."""
    return _NOT_WORD.sub("", normalize_text(text))[:max_chars]


class SimilarIndex(Generic[K]):
    """Top-k most similar texts by cosine similarity.

    ``max_chars`` bounds the indexed prefix of each text: a case's title and the start
    of its description carry the gist, and longer texts only cost memory and time."""

    def __init__(
        self,
        *,
        n_features: int = 2**20,
        ngram_range: tuple[int, int] = (2, 3),
        max_chars: int = 200,
        max_df: float = 0.05,
        min_skip_df: int = 1000,
        rebuild_fraction: float = 0.05,
        min_delta: int = 1000,
    ) -> None:
        self.max_chars = max_chars
        self.max_df = max_df
        self.min_skip_df = min_skip_df
        self.rebuild_fraction = rebuild_fraction
        self.min_delta = min_delta
        self._n_features = n_features
        self._ngram_range = ngram_range
        self._hasher_made: Any = None
        self._keys: list[K] = []
        self._row_of: dict[K, int] = {}
        self._alive = np.zeros(0, dtype=bool)
        self._idf = np.ones(n_features, dtype=np.float32)
        # n-gram x text, rows of the weighted, normalised text vectors transposed.
        self._postings: sp.csr_matrix = sp.csr_matrix((n_features, 0), dtype=np.float32)
        self._n_main = 0
        self._added: list[sp.csr_matrix] = []
        self._delta: sp.csr_matrix | None = None

    # ---- building

    @property
    def _hasher(self) -> Any:
        """The n-gram hasher, made on first use: ``routing/service.py`` makes its index at
        import, and sklearn takes seconds to import — not in every process."""
        if self._hasher_made is None:
            from sklearn.feature_extraction.text import HashingVectorizer

            self._hasher_made = HashingVectorizer(
                analyzer="char",
                ngram_range=self._ngram_range,
                n_features=self._n_features,
                alternate_sign=False,
                norm=None,
                lowercase=False,
                dtype=np.float32,
            )
        return self._hasher_made

    def _vectors(self, texts: list[str]) -> sp.csr_matrix:
        """Sublinear TF x IDF, L2-normalised, one row per text."""
        prepared = [index_text(t, self.max_chars) for t in texts]
        tf = self._hasher.transform(prepared).tocsr()
        tf.sum_duplicates()
        np.log(tf.data, out=tf.data)
        tf.data += 1.0
        return self._weigh(tf)

    def _weigh(self, tf: sp.csr_matrix) -> sp.csr_matrix:
        # sklearn takes seconds to import: loaded on first use, not by every process
        from sklearn.preprocessing import normalize

        weighted = tf.multiply(self._idf).tocsr()
        weighted.eliminate_zeros()
        return normalize(weighted, norm="l2", copy=False).astype(np.float32)

    def build(self, items: Iterable[tuple[K, str]]) -> None:
        """Replace the contents with ``items`` (key, text); a repeated key keeps its last
        text. IDF is computed over these texts."""
        latest: dict[K, str] = {}
        for key, text in items:
            latest.pop(key, None)
            latest[key] = text
        self._keys = list(latest)
        self._row_of = {key: i for i, key in enumerate(self._keys)}
        self._alive = np.ones(len(self._keys), dtype=bool)
        self._idf = np.ones(self._n_features, dtype=np.float32)
        self._added, self._delta = [], None
        if not latest:
            self._postings = sp.csr_matrix((self._n_features, 0), dtype=np.float32)
            self._n_main = 0
            return
        prepared = [index_text(t, self.max_chars) for t in latest.values()]
        tf = self._hasher.transform(prepared).tocsr()
        tf.sum_duplicates()
        df = np.bincount(tf.indices, minlength=self._n_features)
        n = len(prepared)
        idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
        idf[df > max(self.min_skip_df, self.max_df * n)] = 0.0
        self._idf = idf
        np.log(tf.data, out=tf.data)
        tf.data += 1.0
        self._postings = self._weigh(tf).T.tocsr()
        self._n_main = n

    def _merge(self) -> None:
        """Fold the delta into the inverted index and drop removed texts."""
        columns = [self._postings]
        if self._added:
            columns.append(sp.vstack(self._added, format="csr").T)
        postings = sp.hstack(columns, format="csr")
        if not self._alive.all():
            keep = np.flatnonzero(self._alive)
            postings = postings[:, keep]
            self._keys = [self._keys[i] for i in keep]
            self._row_of = {key: i for i, key in enumerate(self._keys)}
            self._alive = np.ones(len(self._keys), dtype=bool)
        self._postings = postings.astype(np.float32)
        self._n_main = len(self._keys)
        self._added, self._delta = [], None

    def add(self, key: K, text: str) -> None:
        """Add a text (replacing the key's previous text, if any)."""
        self.remove(key)
        self._row_of[key] = len(self._keys)
        self._keys.append(key)
        self._alive = np.append(self._alive, True)
        self._added.append(self._vectors([text]))
        self._delta = None
        if len(self._added) > max(self.min_delta, self.rebuild_fraction * self._n_main):
            self._merge()

    def remove(self, key: K) -> bool:
        row = self._row_of.pop(key, None)
        if row is None:
            return False
        self._alive[row] = False
        return True

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, key: object) -> bool:
        return key in self._row_of

    @property
    def nbytes(self) -> int:
        """Memory held by the inverted index and the delta (keys not counted)."""
        total = sum(a.nbytes for a in (self._postings.data, self._postings.indices))
        total += self._postings.indptr.nbytes + self._idf.nbytes
        return total + sum(m.data.nbytes + m.indices.nbytes for m in self._added)

    # ---- querying

    def scores(self, text: str) -> NDArray[np.float32]:
        """Cosine similarity of ``text`` to every stored row (removed rows included)."""
        query = self._vectors([text])
        out = np.zeros(len(self._keys), dtype=np.float32)
        if query.nnz == 0:
            return out
        if self._n_main:
            # Sum of the query's n-gram rows of the inverted index, weighted.
            selected = self._postings[query.indices]
            out[: self._n_main] = selected.T @ query.data
        if self._added:
            if self._delta is None:
                self._delta = sp.vstack(self._added, format="csr")
            out[self._n_main :] = (self._delta @ query.T).toarray().ravel()
        return out

    def query(
        self,
        text: str,
        k: int = 10,
        *,
        exclude: Iterable[K] = (),
        min_score: float = 0.0,
    ) -> list[Match[K]]:
        """The ``k`` most similar stored texts with a positive score of at least
        ``min_score``, best first (equal scores in insertion order)."""
        if k <= 0 or not self._row_of:
            return []
        scores = self.scores(text)
        scores[~self._alive] = -1.0
        for key in exclude:
            row = self._row_of.get(key)
            if row is not None:
                scores[row] = -1.0
        count = min(k, scores.size)
        top = np.argpartition(-scores, count - 1)[:count]
        top = top[np.lexsort((top, -scores[top]))]
        return [
            Match(self._keys[i], float(scores[i]))
            for i in top
            if scores[i] > 0.0 and scores[i] >= min_score
        ]
