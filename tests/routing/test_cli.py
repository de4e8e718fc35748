from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from bancheng.routing import cli as routing_cli
from bancheng.routing.classifier import RoutingModel, Sample
from bancheng.routing.cli import routing_group
from tests.routing.conftest import make_samples, write_csv

EVAL_ROWS = [
    Sample("地铁站拥堵严重", "", "交通"),
    Sample("", "孩子的幼儿园入学难，请关注", "教育"),
    Sample("医院挂号难", "去急诊科看病贵", "医疗"),
    Sample("出租车司机绕路", "", "交通"),
]


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    directory.mkdir()
    samples = make_samples()
    write_csv(
        directory / "titles.csv", [s for s in samples if s.kind == "title"], ("title", "category")
    )
    write_csv(
        directory / "rest.csv",
        [s for s in samples if s.kind != "title"],
        ("title", "detail", "category"),
    )
    return directory


def test_train_eval_predict(data_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "model"
    result = runner.invoke(
        routing_group, ["train", "--data", str(data_dir), "--out", str(out), "--folds", "3"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["labels"] == ["交通", "医疗", "教育"]
    assert summary["saved_to"] == str(out)
    assert len(summary["cv_fold_macro_f1"]) == 3
    assert (out / "model.npz").is_file()

    csv_path = write_csv(tmp_path / "eval.csv", EVAL_ROWS, ("title", "detail", "category"))
    result = runner.invoke(
        routing_group, ["eval", "--csv", str(csv_path), "--model", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert list(figures) == [
        "macro_f1",
        "accuracy",
        "precision_at_80_coverage",
        "coverage_at_95_precision",
        "coverage_at_99_precision",
        "ms_per_case",
        "per_category",
    ]
    assert figures["accuracy"] == 1.0
    assert figures["macro_f1"] == 1.0
    assert figures["precision_at_80_coverage"] == 1.0
    assert figures["coverage_at_95_precision"] == 1.0
    assert figures["coverage_at_99_precision"] == 1.0
    assert figures["ms_per_case"] > 0
    assert figures["per_category"] == {
        label: {"precision": 1.0, "recall": 1.0, "support": n}
        for label, n in Counter(row.label for row in EVAL_ROWS).items()
    }

    result = runner.invoke(
        routing_group, ["predict", "--title", "公交车经常晚点", "--model", str(out), "--top", "2"]
    )
    assert result.exit_code == 0, result.output
    prediction = json.loads(result.output)
    assert prediction["ranked"][0]["label"] == "交通"
    assert len(prediction["ranked"]) == 2
    assert isinstance(prediction["auto_dispatch"], bool)


def test_train_into_the_registry_activates_the_version(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "registry"
    monkeypatch.setattr(routing_cli, "models_root", lambda: root)
    runner = CliRunner()
    result = runner.invoke(routing_group, ["train", "--data", str(data_dir), "--folds", "3"])
    assert result.exit_code == 0, result.output
    version = json.loads(result.output)["version"]
    assert (root / "active").read_text().strip() == version
    assert RoutingModel.load(root / version).version == version
    listing = json.loads(runner.invoke(routing_group, ["models"]).output)
    assert listing == {"root": str(root), "active": version, "versions": [version]}
    assert runner.invoke(routing_group, ["activate", "default"]).exit_code == 0
    assert not (root / "active").exists()
    assert runner.invoke(routing_group, ["activate", "nope"]).exit_code == 1


def test_train_needs_exactly_one_source(data_dir: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(routing_group, ["train"]).exit_code == 2
    result = runner.invoke(routing_group, ["train", "--data", str(data_dir), "--from-cases"])
    assert result.exit_code == 2


def test_eval_of_an_unusable_csv_fails_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("foo,bar\n1,2\n", encoding="utf-8")
    result = CliRunner().invoke(routing_group, ["eval", "--csv", str(path), "--json"])
    assert result.exit_code == 1
    assert "no title or detail column" in result.output
