from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from bancheng.routing.classifier import (
    FORMAT,
    RoutingDataError,
    RoutingModel,
    Sample,
    TrainingParams,
    activate_version,
    active_version,
    extract_features,
    list_versions,
    load_active_model,
    load_default_model,
    normalize_text,
    read_csv_samples,
    read_data_dir,
    save_version,
    train,
    train_from_cases,
)
from bancheng.routing.classifier.model import _calibrated
from bancheng.routing.classifier.training import _tfidf
from tests.routing.conftest import make_samples, write_csv


def test_normalize_text_folds_width_case_and_whitespace() -> None:
    assert normalize_text("  ＡＢＣ１２３\n\t公交\u200b车  ") == "abc123 公交 车"
    assert normalize_text(None) == ""


def test_features_are_char_ngrams_and_jieba_words() -> None:
    assert extract_features("公交", "") == ["公", "交", "公交", "w:公交"]
    both = extract_features("公交", "晚点")
    assert "交。晚" in both  # the title and detail are one text, joined by a full stop


def test_training_on_a_small_dataset_gives_the_expected_labels(small_model: RoutingModel) -> None:
    assert small_model.labels == ("交通", "医疗", "教育")
    assert small_model.predict("地铁站拥堵严重")[0][0] == "交通"
    assert small_model.predict("", "孩子的幼儿园入学难")[0][0] == "教育"
    assert small_model.predict("医院挂号难", "去急诊科看病贵")[0][0] == "医疗"


def test_prediction_is_ranked_and_calibrated(small_model: RoutingModel) -> None:
    ranked = small_model.predict("公交车经常晚点")
    assert ranked[0][0] == "交通"
    confidences = [conf for _, conf in ranked]
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0)
    assert len(small_model.predict("公交车经常晚点", top=2)) == 2
    # No known feature at all: still a valid ranking over every label.
    assert len(small_model.predict("zzzz")) == 3


def test_margin_confidence_keeps_probabilities_ordered_and_summing_to_one() -> None:
    scores = np.array([[2.0, 1.9, -1.0], [3.0, -2.0, -2.5], [0.1, 0.1, 0.0], [-1.0, 0.0, -0.5]])
    for fit in (None, (0.7, -0.05), (5.0, 2.0)):
        probs = _calibrated(scores, 0.5, fit)
        np.testing.assert_allclose(probs.sum(axis=1), 1.0)
        for row, raw in zip(probs, scores, strict=True):
            order = np.argsort(-raw, kind="stable")
            assert np.all(np.diff(row[order]) <= 1e-12)
    # The top label's probability follows the margin over the runner-up alone.
    a, b = 0.7, -0.05
    wide = _calibrated(np.array([4.0, 1.0, 0.9]), 0.5, (a, b))
    assert wide[0] == pytest.approx(1.0 / (1.0 + np.exp(-(a * 3.0 + b))))


def test_the_svm_nbsvm_ensemble_is_one_linear_model_and_can_be_switched_off() -> None:
    plain = train(make_samples(), TrainingParams(folds=3, nb_alpha=None, margin_confidence=False))
    assert plain.meta["model"] == "svm"
    assert plain.meta["margin_calibration"] is None
    assert len(plain.meta["component_temperatures"]) == 1
    ensemble = train(make_samples(), TrainingParams(folds=3))
    assert ensemble.meta["model"] == "svm+nbsvm"
    assert len(ensemble.meta["component_temperatures"]) == 2
    assert ensemble.coef_f16.shape == (3, len(ensemble.vocabulary))
    assert plain.predict("地铁站拥堵严重")[0][0] == ensemble.predict("地铁站拥堵严重")[0][0]


def test_training_records_cv_metrics_and_metadata(small_model: RoutingModel) -> None:
    meta = small_model.meta
    assert meta["format"] == FORMAT
    assert meta["n_samples"] == len(make_samples())
    assert meta["cv"]["folds"] == 3
    assert len(meta["cv"]["per_fold"]) == 3
    assert set(meta["cv"]["by_kind"]) == {"title", "detail", "both"}
    assert meta["version"].endswith(meta["data_sha256"][:8])
    assert small_model.oof_confidence.shape == (meta["n_samples"],)
    assert meta["threshold"] == small_model.threshold_for(meta["target_precision"])


def test_save_load_roundtrip_gives_identical_predictions(
    small_model: RoutingModel, tmp_path: Path
) -> None:
    small_model.save(tmp_path / "m")
    loaded = RoutingModel.load(tmp_path / "m")
    assert RoutingModel.load(tmp_path / "m" / "model.npz").version == small_model.version
    assert loaded.meta == small_model.meta
    assert loaded.labels == small_model.labels
    assert loaded.threshold == small_model.threshold
    for title, detail in [("地铁站拥堵严重", ""), ("", "医院乱开药"), ("学校食堂", "伙食太差")]:
        assert loaded.predict(title, detail) == small_model.predict(title, detail)
        assert np.array_equal(loaded.scores(title, detail), small_model.scores(title, detail))
    assert (tmp_path / "m" / "meta.json").is_file()


def test_inference_vectorizer_matches_the_training_one(small_model: RoutingModel) -> None:
    samples = make_samples()[:10]
    vectorizer = CountVectorizer(analyzer=lambda doc: doc, vocabulary=small_model.vocabulary)
    counts = vectorizer.transform([extract_features(s.title, s.detail) for s in samples])
    expected = (
        np.asarray(_tfidf(counts, small_model.idf) @ small_model.coef_f16.astype(np.float64).T)
        + small_model.intercept
    )
    actual = np.array([small_model.scores(s.title, s.detail) for s in samples])
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


def test_training_is_deterministic() -> None:
    a = train(make_samples(), TrainingParams(folds=3))
    b = train(make_samples(), TrainingParams(folds=3))
    assert np.array_equal(a.coef_f16, b.coef_f16)
    assert a.meta["cv"] == b.meta["cv"]


def test_suggest_dispatches_only_above_the_threshold(small_model: RoutingModel) -> None:
    suggestion = small_model.suggest("地铁站拥堵严重", target_precision=0.5)
    threshold = small_model.threshold_for(0.5)
    assert suggestion.threshold == threshold
    assert suggestion.auto_dispatch == (
        threshold is not None and suggestion.confidence >= threshold
    )
    never = small_model.suggest("地铁站拥堵严重")
    if never.threshold is None:
        assert never.auto_dispatch is False


def test_train_from_cases_rows() -> None:
    rows = [(s.title or None, s.detail, f"dept-{s.label}") for s in make_samples()]
    rows.append(("", "", "dept-empty"))  # no text: skipped
    model = train_from_cases(rows, TrainingParams(folds=3))
    assert model.labels == ("dept-交通", "dept-医疗", "dept-教育")
    assert model.meta["source"] == "cases"
    assert model.predict("公交车司机绕路")[0][0] == "dept-交通"
    with pytest.raises(RoutingDataError):
        train_from_cases([])


def test_a_single_label_is_refused() -> None:
    with pytest.raises(RoutingDataError):
        train([Sample("a", "", "x"), Sample("b", "", "x")])


def test_too_few_rows_for_cv_still_trains_without_a_threshold() -> None:
    model = train([Sample("公交车晚点", "", "交通"), Sample("学校收费", "", "教育")])
    assert model.meta["cv"] is None
    assert model.threshold is None
    assert model.suggest("公交车晚点").auto_dispatch is False


def test_read_data_dir_takes_csvs_with_category_and_text(tmp_path: Path) -> None:
    samples = make_samples()
    titles = [s for s in samples if s.kind == "title"]
    details = [s for s in samples if s.kind == "detail"]
    write_csv(tmp_path / "a_titles.csv", titles, ("title", "category"))
    write_csv(tmp_path / "b_details.csv", details, ("detail", "category"))
    (tmp_path / "taxonomy.csv").write_text("一级分类,二级分类\n交通,公交\n", encoding="utf-8")
    (tmp_path / "c_blank.csv").write_text("title,detail,category\n,,交通\n", encoding="utf-8")
    assert read_data_dir(tmp_path) == titles + details
    with pytest.raises(RoutingDataError):
        read_data_dir(tmp_path / "missing")


def test_read_csv_refuses_rows_without_a_category(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("title,detail,category\n公交,,\n", encoding="utf-8")
    with pytest.raises(RoutingDataError, match=r"x\.csv:2"):
        read_csv_samples(path)


def test_registry_activates_versions(small_model: RoutingModel, tmp_path: Path) -> None:
    root = tmp_path / "models" / "routing"
    assert active_version(root) is None
    assert load_active_model(root) is load_default_model()
    save_version(small_model, root)
    assert list_versions(root) == [small_model.version]
    assert active_version(root) == small_model.version
    active = load_active_model(root)
    assert active.version == small_model.version
    assert load_active_model(root) is active  # cached
    with pytest.raises(RoutingDataError):
        activate_version("nope", root)
