from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bancheng.routing.classifier import RoutingModel, Sample, TrainingParams, train

# Three subjects with their own vocabulary; rows are title-only, detail-only or both,
# like the public routing data.
_TOPICS = {
    "交通": (
        ["公交车", "地铁站", "红绿灯", "出租车", "停车场", "高速收费站"],
        ["线路太少", "经常晚点", "拥堵严重", "司机绕路", "收费不合理", "排队太久"],
    ),
    "教育": (
        ["小学", "幼儿园", "中学老师", "学校食堂", "高考报名", "学区划分"],
        ["乱收补课费", "入学难", "体罚学生", "伙食太差", "政策不清楚", "划片不公"],
    ),
    "医疗": (
        ["医院", "卫生院", "门诊医生", "急诊科", "疫苗接种点", "药店"],
        ["看病贵", "态度恶劣", "误诊漏诊", "挂号难", "乱开药", "药价虚高"],
    ),
}


def make_samples() -> list[Sample]:
    samples = []
    for label, (subjects, problems) in _TOPICS.items():
        for i, subject in enumerate(subjects):
            for j, problem in enumerate(problems):
                if (i + j) % 3 == 0:
                    samples.append(Sample(f"{subject}{problem}", "", label))
                elif (i + j) % 3 == 1:
                    samples.append(Sample("", f"我家附近的{subject}{problem}，请领导关注。", label))
                elif i % 2 == 0:
                    samples.append(Sample(f"关于{subject}的问题", f"{subject}{problem}。", label))
    return samples


def write_csv(path: Path, samples: list[Sample], columns: tuple[str, ...]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for s in samples:
            values = {"title": s.title, "detail": s.detail, "category": s.label}
            writer.writerow([values[c] for c in columns])
    return path


@pytest.fixture(scope="session")
def small_model() -> RoutingModel:
    return train(make_samples(), TrainingParams(folds=3), source="test")
