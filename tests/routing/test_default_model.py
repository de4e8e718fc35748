from __future__ import annotations

import pytest

from bancheng.routing.classifier import default_model_resource, load_default_model

LABELS = ("交通运输", "劳动和社会保障", "卫生计生", "商贸旅游", "城乡建设", "教育文体", "环境保护")


def test_default_model_ships_in_the_package_and_is_small() -> None:
    resource = default_model_resource()
    assert resource.is_file()
    with resource.open("rb") as handle:
        assert len(handle.read()) < 15 * 1024 * 1024
    model = load_default_model()
    assert model.labels == LABELS
    assert model.meta["cv"]["folds"] == 5
    assert model.threshold is not None


@pytest.mark.parametrize(
    ("title", "detail", "expected"),
    [
        ("咨询社保养老保险缴费年限问题", "", "劳动和社会保障"),
        (
            "公司拖欠工资不缴社保",
            "我在公司工作三年，公司一直没有给我缴纳社保和医保，还拖欠工资。",
            "劳动和社会保障",
        ),
        ("", "小区旁边的化工厂每天晚上偷排废气，空气污染严重，气味刺鼻。", "环境保护"),
        ("学校违规收取补课费", "", "教育文体"),
        ("乡镇卫生院医生态度恶劣", "", "卫生计生"),
        ("", "公交车经常不按站点停靠，司机开车太快，乘客安全没有保障。", "交通运输"),
        ("超市销售过期食品", "", "商贸旅游"),
        ("小区物业乱收费，开发商延期交房", "", "城乡建设"),
    ],
)
def test_default_model_classifies_obvious_messages(title: str, detail: str, expected: str) -> None:
    assert load_default_model().predict(title, detail)[0][0] == expected
