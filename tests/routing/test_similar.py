from __future__ import annotations

import numpy as np
import pytest

from bancheng.routing.similar import Match, SimilarIndex, index_text

TEXTS = {
    1: "阳光小区物业乱收停车费，业主多次反映无人处理",
    2: "阳光小区物业乱收停车费，请有关部门查处",
    3: "公交车经常晚点，司机态度恶劣",
    4: "学校违规收取补课费，家长负担重",
    5: "医院挂号难，看病排队时间太长",
}


def make_index(**options: int | float) -> SimilarIndex[int]:
    index: SimilarIndex[int] = SimilarIndex(**options)  # type: ignore[arg-type]
    index.build(TEXTS.items())
    return index


def test_index_text_drops_punctuation_and_truncates() -> None:
    assert index_text("  阳光小区，物业！ABC ", 6) == "阳光小区物业"


def test_identical_text_scores_one_and_near_duplicates_come_next() -> None:
    index = make_index()
    matches = index.query(TEXTS[1], k=3)
    assert [m.key for m in matches][:2] == [1, 2]
    assert matches[0].score == pytest.approx(1.0, abs=1e-5)
    assert 0.2 < matches[1].score < 1.0
    assert all(m.key not in (3, 4, 5) for m in matches)  # no shared n-gram: not listed


def test_exclude_min_score_and_k() -> None:
    index = make_index()
    assert [m.key for m in index.query(TEXTS[1], k=3, exclude=[1])] == [2]
    assert index.query(TEXTS[1], k=1) == [Match(1, index.query(TEXTS[1], k=1)[0].score)]
    assert [m.key for m in index.query(TEXTS[1], min_score=0.99)] == [1]
    assert index.query(TEXTS[1], k=0) == []
    assert index.query("！！！") == []


def test_added_texts_are_found_and_survive_a_merge() -> None:
    index = make_index(min_delta=1, rebuild_fraction=0.0)
    index.add(6, "公交车晚点严重，司机态度恶劣")
    assert len(index) == 6
    assert [m.key for m in index.query(TEXTS[3], k=2)] == [3, 6]
    before = index.query(TEXTS[3], k=2)
    index.add(7, "地铁站出口太少")  # second add: the delta (2 > 1) is merged
    after = index.query(TEXTS[3], k=2)
    assert [m.key for m in after] == [m.key for m in before]
    np.testing.assert_allclose([m.score for m in after], [m.score for m in before], rtol=1e-6)
    assert index.query("地铁站出口太少", k=1)[0].key == 7


def test_replace_and_remove() -> None:
    index = make_index(min_delta=1, rebuild_fraction=0.0)
    index.add(3, "医院挂号难，排队时间太长")  # new text for key 3
    assert {m.key for m in index.query(TEXTS[5], k=5)} == {3, 5}
    assert index.remove(5) is True
    assert index.remove(5) is False
    assert 5 not in index
    assert [m.key for m in index.query(TEXTS[5], k=5)] == [3]
    index.add(8, "另一条")  # triggers a merge that drops removed rows
    assert len(index) == 5
    assert [m.key for m in index.query(TEXTS[5], k=5)] == [3]


def test_common_ngrams_are_skipped_only_in_large_indexes() -> None:
    index: SimilarIndex[int] = SimilarIndex(max_df=0.5, min_skip_df=1)
    index.build((i, f"共同的开头{i}号{i * 7}") for i in range(10))
    # "共同的开头" is in every text, so it carries no weight: only the number part matches.
    assert index.query("共同的开头", k=3) == []
    small = make_index()
    assert small.query("阳光小区", k=2)[0].key in (1, 2)


def test_empty_index() -> None:
    index: SimilarIndex[str] = SimilarIndex()
    index.build([])
    assert index.query("任何文字") == []
    index.add("a", "任何文字")
    assert index.query("任何文字")[0].key == "a"
