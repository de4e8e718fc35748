"""The masker on Chinese text: exact outputs."""

from __future__ import annotations

import pytest

from bancheng.knowledge.masker import find_personal_data, mask

CASES = [
    (
        "我叫张三来办理公积金，电话13812345678，身份证号11010519491231002X。",
        ["张三"],
        "我叫张某来办理公积金，电话[电话]，身份证号[身份证号]。",
    ),
    (
        "家住宁夏银川市兴庆区解放西路12号，联系电话0951-6012345，王先生多次反映。",
        [],
        "家住宁夏银川市兴庆区[地址]，联系电话[电话]，某先生多次反映。",
    ),
    (
        "住在幸福小区3栋2单元501室的李女士，企业信用代码91640100MA76ABCD1X。",
        [],
        "住在[地址]的某女士，企业信用代码[信用代码]。",
    ),
    ("张三的母亲说张三很着急", ["张三"], "张某的母亲说张某很着急"),
    ("反映人：刘建国，手机 139-0000-1234。", [], "反映人：刘某，手机 [电话]。"),
    ("名叫陈小红的群众打来（0951）1234567", [], "名叫陈某的群众打来[电话]"),
    ("金凤区北京中路168号院5号楼", [], "金凤区[地址]"),
    # Nothing personal: left alone.
    ("东街道幸福社区办理社保转移需要3个工作日", [], "东街道幸福社区办理社保转移需要3个工作日"),
    (
        "请于2026年3月4日前回复，编号BC-2026-000123",
        [],
        "请于2026年3月4日前回复，编号BC-2026-000123",
    ),
]


@pytest.mark.parametrize(("text", "names", "expected"), CASES)
def test_mask(text, names, expected):
    assert mask(text, names) == expected
    assert find_personal_data(mask(text, names), names) == []


def test_findings_list_what_and_where():
    found = find_personal_data("张三电话13812345678", ["张三"])
    assert [(f.kind, f.text, f.start) for f in found] == [
        ("name", "张三", 0),
        ("phone", "13812345678", 4),
    ]
