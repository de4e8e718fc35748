"""Demo data: a plausible city (云川市), its service centres, staff for every role, and a few
hundred cases in every state, written through the project's own services.

Everything that is random comes from ``random.Random(seed)``: the same seed gives the same
city, accounts, titles, reporters and paths. Only the absolute timestamps follow the day the
demo is loaded (cases spread over the last six months, open ones recent).

Three stages:

1. :func:`plan_cases` (pure, no database, no clock): which scenario each case follows, its
   template, reporter, channel and the list of lifecycle steps with their delays.
2. :func:`_schedule`: turns the delays into instants inside office hours (State Council
   working days, Asia/Shanghai) ending before "now".
3. :func:`load_demo`: builds the organisation, then replays the cases in registration order
   through ``cases.service.create_case`` and ``cases.actions.perform`` with the clock moved
   to each instant, so that numbers, timelines and timestamps are the real ones.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bancheng.cases import actions, service
from bancheng.cases.enums import (
    BAD_RATINGS,
    LABELS_ZH,
    BlockerType,
    Channel,
    Difficulty,
    Kind,
    State,
)
from bancheng.cases.models import Case, CaseEvent
from bancheng.cases.schemas import ActionIn, CaseCreate, ReporterIn
from bancheng.core import clock
from bancheng.core.clock import SHANGHAI
from bancheng.core.config import Settings
from bancheng.core.errors import Conflict, DomainError
from bancheng.core.validators import id_check_char, uscc_check_char
from bancheng.org import service as org_service
from bancheng.org.models import Department, Hall, Matter, ServiceWindow, User
from bancheng.org.permissions import ROLE_LABELS_ZH
from bancheng.org.scope import Principal, principal_for
from bancheng.org.service import create_department, create_user

CITY = "云川市"
CITY_CODE = "YC"
SPAN_DAYS = 183  # cases spread over the last six months

# --------------------------------------------------------------------------------------
# The organisation
# --------------------------------------------------------------------------------------

# key, name, short name. Codes are ``YC-<KEY>``.
CITY_AGENCIES: tuple[tuple[str, str, str], ...] = (
    ("gjj", "市住房公积金管理中心", "公积金中心"),
    ("bdc", "市不动产登记中心", "不动产中心"),
    ("rsj", "市人力资源和社会保障局", "人社局"),
    ("ybj", "市医疗保障局", "医保局"),
    ("scjg", "市市场监督管理局", "市场监管局"),
    ("sw", "国家税务总局云川市税务局", "税务局"),
    ("gaj", "市公安局（户政·出入境）", "公安局"),
    ("jtj", "市交通运输局", "交通运输局"),
    ("zrzy", "市自然资源和规划局", "自然资源局"),
    ("zjj", "市住房和城乡建设局", "住建局"),
    ("jyj", "市教育局", "教育局"),
    ("mzj", "市民政局", "民政局"),
    ("wjw", "市卫生健康委员会", "卫健委"),
    ("sthj", "市生态环境局", "生态环境局"),
    ("cgj", "市城市管理局", "城管局"),
    ("swj", "市商务局", "商务局"),
    ("wlj", "市文化和旅游局", "文旅局"),
    ("nync", "市农业农村局", "农业农村局"),
    ("slj", "市水务局", "水务局"),
    ("cl", "市残疾人联合会", "残联"),
    ("tyjr", "市退役军人事务局", "退役军人局"),
    ("dsj", "市大数据中心", "大数据中心"),
    ("rx12345", "市12345政务服务便民热线中心", "12345热线"),
)
NO_HANDLER = frozenset({"rx12345"})

# key, name, county?, streets (towns for counties)
DISTRICTS: tuple[tuple[str, str, bool, tuple[str, ...]], ...] = (
    ("jc", "江城区", False, ("江滨街道", "解放路街道", "望江街道", "城北街道")),
    ("dh", "东湖区", False, ("东湖街道", "湖心街道", "新塘街道")),
    ("qs", "青山区", False, ("青山街道", "钢城街道")),
    ("yt", "云台县", True, ("云台镇", "龙泉镇", "石门乡")),
    ("bs", "白沙县", True, ("白沙镇", "清溪镇", "杨柳乡")),
)
DISTRICT_AGENCIES_URBAN = (
    ("rsj", "人力资源和社会保障局"),
    ("scjg", "市场监督管理局"),
    ("zjj", "住房和城乡建设局"),
    ("mzj", "民政局"),
)
DISTRICT_AGENCIES_COUNTY = (
    ("rsj", "人力资源和社会保障局"),
    ("scjg", "市场监督管理局"),
    ("nync", "农业农村局"),
    ("mzj", "民政局"),
)
URBAN_COMMUNITIES = (
    "幸福社区",
    "和平社区",
    "滨江社区",
    "光明社区",
    "锦绣社区",
    "新华社区",
    "育才社区",
    "紫荆社区",
    "桂花社区",
    "翠湖社区",
    "长青社区",
    "朝阳社区",
    "金桥社区",
    "望月社区",
    "春晖社区",
    "建设社区",
    "南苑社区",
    "北门社区",
)
RURAL_COMMUNITIES = (
    "石桥村",
    "柳树村",
    "大坪村",
    "杨家湾村",
    "高岭村",
    "河口村",
    "青龙村",
    "马鞍村",
    "桃源村",
    "新田村",
    "龙潭村",
    "双河村",
    "下坝村",
    "花园村",
)
CITY_HALL_WINDOWS = (
    ("01", "企业开办综合受理"),
    ("02", "不动产登记综合受理"),
    ("03", "住房公积金"),
    ("04", "社保医保"),
    ("05", "税务"),
    ("06", "公安户政·出入境"),
    ("07", "帮办代办"),
    ("08", "“办不成事”反映窗口"),
)
CITY_ENTERPRISE_HALL_WINDOWS = (
    ("E01", "工程建设项目审批"),
    ("E02", "涉企经营许可"),
    ("E03", "“办不成事”反映窗口（企业专窗）"),
)
DISTRICT_HALL_WINDOWS = (
    ("01", "综合受理"),
    ("02", "社保医保"),
    ("03", "不动产登记"),
    ("04", "帮办代办"),
    ("05", "“办不成事”反映窗口"),
)

# code, name, agency key, materials (the one-time complete notification lists them)
MATTERS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "GJJ-001",
        "住房公积金提取（购买自住住房）",
        "gjj",
        ("身份证", "购房合同或不动产权证书", "购房发票", "本人银行卡", "婚姻状况证明"),
    ),
    (
        "GJJ-002",
        "住房公积金提取（租赁住房）",
        "gjj",
        ("身份证", "本人银行卡", "本人及配偶名下无房查询结果"),
    ),
    (
        "GJJ-003",
        "住房公积金提取（离职、退休）",
        "gjj",
        ("身份证", "退休证或解除劳动合同证明", "本人银行卡"),
    ),
    (
        "GJJ-004",
        "住房公积金个人住房贷款",
        "gjj",
        (
            "身份证",
            "户口簿",
            "婚姻状况证明",
            "购房合同",
            "首付款发票",
            "收入证明",
            "近6个月银行流水",
        ),
    ),
    (
        "GJJ-005",
        "住房公积金异地转移接续",
        "gjj",
        ("身份证", "转入地住房公积金账户信息", "异地转移接续申请表"),
    ),
    (
        "BDC-001",
        "不动产转移登记（存量房买卖）",
        "bdc",
        (
            "不动产登记申请书",
            "买卖双方身份证",
            "不动产权证书",
            "存量房买卖合同",
            "完税凭证",
            "婚姻状况证明",
        ),
    ),
    (
        "BDC-002",
        "不动产首次登记（新建商品房）",
        "bdc",
        ("不动产登记申请书", "身份证", "商品房买卖合同", "购房发票", "契税完税凭证"),
    ),
    (
        "BDC-003",
        "不动产抵押权注销登记",
        "bdc",
        ("不动产登记申请书", "身份证", "不动产登记证明", "抵押权人同意注销的证明"),
    ),
    (
        "BDC-004",
        "不动产继承转移登记",
        "bdc",
        (
            "不动产登记申请书",
            "继承人身份证",
            "被继承人死亡证明",
            "亲属关系证明",
            "继承权公证书或放弃继承声明",
            "不动产权证书",
        ),
    ),
    ("BDC-005", "不动产登记资料查询", "bdc", ("身份证", "查询申请表")),
    (
        "RS-001",
        "基本养老保险关系转移接续",
        "rsj",
        ("身份证", "参保缴费凭证", "基本养老保险关系转移接续申请表"),
    ),
    ("RS-002", "失业保险金申领", "rsj", ("身份证", "解除或终止劳动关系证明", "社会保障卡")),
    ("RS-003", "社会保障卡申领、补换", "rsj", ("身份证", "近期免冠照片")),
    ("RS-004", "职业技能提升补贴申领", "rsj", ("身份证", "职业技能等级证书", "社会保障卡")),
    ("RS-005", "工伤认定申请", "rsj", ("工伤认定申请表", "劳动关系证明", "医疗诊断证明", "身份证")),
    (
        "YB-001",
        "异地就医备案",
        "ybj",
        ("身份证或社会保障卡", "异地就医备案表", "异地居住证明或个人承诺书"),
    ),
    (
        "YB-002",
        "医疗费用手工报销",
        "ybj",
        ("社会保障卡", "医疗费用发票", "费用明细清单", "出院小结", "诊断证明"),
    ),
    ("YB-003", "基本医疗保险关系转移接续", "ybj", ("身份证", "参保凭证", "转移接续申请表")),
    (
        "YB-004",
        "门诊慢特病待遇认定",
        "ybj",
        ("申请表", "身份证", "近两年病历资料", "诊断证明", "检查报告"),
    ),
    (
        "SC-001",
        "企业开办“一件事”（设立登记）",
        "scjg",
        (
            "公司登记申请书",
            "公司章程",
            "股东身份证明",
            "法定代表人及董监高任职文件",
            "住所使用证明",
        ),
    ),
    ("SC-002", "企业名称自主申报", "scjg", ("名称申报承诺书", "投资人身份证明")),
    (
        "SC-003",
        "企业变更登记（住所、法定代表人）",
        "scjg",
        ("变更登记申请书", "股东会决议", "新住所使用证明", "营业执照正副本"),
    ),
    (
        "SC-004",
        "企业注销登记",
        "scjg",
        ("注销登记申请书", "全体投资人承诺书", "清税证明", "营业执照正副本"),
    ),
    (
        "SC-005",
        "食品经营许可",
        "scjg",
        (
            "食品经营许可申请书",
            "营业执照",
            "经营场所平面图",
            "食品安全管理制度",
            "法定代表人身份证明",
        ),
    ),
    ("SW-001", "发票领用（税务UKey发行）", "sw", ("经办人身份证", "营业执照", "发票领用申请表")),
    ("SW-002", "存量房交易税费申报", "sw", ("买卖双方身份证", "存量房买卖合同", "不动产权证书")),
    ("SW-003", "个人所得税综合所得汇算清缴退税", "sw", ("身份证", "本人银行卡", "收入纳税明细")),
    ("GA-001", "居民身份证换领、补领", "gaj", ("户口簿", "原居民身份证", "数码相片回执")),
    ("GA-002", "户口迁移（购房落户）", "gaj", ("户口簿", "身份证", "不动产权证书", "准予迁入证明")),
    ("GA-003", "往来港澳通行证签发", "gaj", ("身份证", "数码相片回执")),
    (
        "GA-004",
        "出生登记（新生儿入户）",
        "gaj",
        ("出生医学证明", "父母户口簿", "父母身份证", "结婚证或亲子关系声明"),
    ),
    (
        "JT-001",
        "道路货物运输经营许可",
        "jtj",
        ("申请表", "营业执照", "车辆行驶证", "驾驶员从业资格证"),
    ),
    (
        "JT-002",
        "网络预约出租汽车驾驶员证核发",
        "jtj",
        ("身份证", "机动车驾驶证", "无犯罪记录证明", "体检证明"),
    ),
    (
        "ZR-001",
        "建设工程规划许可",
        "zrzy",
        ("申请表", "用地批准文件", "设计方案总平面图", "建设工程设计方案"),
    ),
    (
        "ZJ-001",
        "建筑工程施工许可",
        "zjj",
        ("申请表", "建设工程规划许可证", "施工合同", "质量安全监督手续"),
    ),
    ("ZJ-002", "住房租赁合同备案", "zjj", ("房屋租赁合同", "出租人不动产权证书", "双方身份证")),
    (
        "ZJ-003",
        "公共租赁住房申请",
        "zjj",
        ("申请表", "户口簿", "身份证", "收入证明", "家庭住房情况证明"),
    ),
    (
        "JY-001",
        "义务教育阶段入学登记",
        "jyj",
        ("户口簿", "不动产权证书或租赁备案证明", "出生医学证明", "预防接种证"),
    ),
    (
        "JY-002",
        "教师资格认定",
        "jyj",
        ("身份证", "学历证书", "普通话水平测试等级证书", "体检合格证明"),
    ),
    ("MZ-001", "婚姻登记", "mzj", ("户口簿", "身份证", "近期双人合影照片")),
    ("MZ-002", "最低生活保障申请", "mzj", ("申请书", "户口簿", "身份证", "家庭收入及财产状况声明")),
    ("MZ-003", "高龄津贴申领", "mzj", ("身份证", "户口簿", "本人银行卡")),
    ("WJ-001", "出生医学证明补发", "wjw", ("补发申请表", "父母身份证", "分娩医院出具的分娩记录")),
    (
        "SH-001",
        "建设项目环境影响评价文件审批",
        "sthj",
        ("审批申请书", "环境影响报告书（表）", "营业执照"),
    ),
    ("CG-001", "户外招牌设施设置许可", "cgj", ("申请表", "招牌效果图", "场地权属证明")),
    (
        "WL-001",
        "旅行社设立许可",
        "wlj",
        ("设立申请书", "营业执照", "经营场所证明", "质量保证金存款证明"),
    ),
    (
        "NY-001",
        "农药经营许可",
        "nync",
        ("申请表", "营业执照", "经营场所证明", "农药管理人员专业证明"),
    ),
    ("SL-001", "城镇污水排入排水管网许可", "slj", ("申请书", "排水设施竣工图", "排水水质检测报告")),
    ("CL-001", "残疾人证办理", "cl", ("身份证", "户口簿", "近期免冠照片", "残疾评定表")),
    ("TY-001", "退役军人优待证申领", "tyjr", ("身份证", "退役证件", "近期免冠照片")),
)

# A plausible wrong first stop for a matter of each agency (returns and transfers).
CONFUSABLE: dict[str, tuple[str, ...]] = {
    "gjj": ("bdc", "zjj"),
    "bdc": ("zrzy", "zjj", "sw"),
    "rsj": ("ybj", "mzj"),
    "ybj": ("rsj", "wjw"),
    "scjg": ("sw", "swj"),
    "sw": ("scjg", "bdc"),
    "gaj": ("mzj", "jyj"),
    "jyj": ("gaj", "zjj"),
    "mzj": ("rsj", "cl"),
    "zjj": ("bdc", "cgj", "zrzy"),
    "zrzy": ("bdc", "zjj"),
    "cgj": ("zjj", "sthj"),
    "tyjr": ("mzj", "rsj"),
    "cl": ("mzj", "wjw"),
    "nync": ("scjg", "sthj"),
    "slj": ("sthj", "zjj"),
    "wlj": ("swj", "scjg"),
    "jtj": ("gaj", "cgj"),
    "wjw": ("ybj", "gaj"),
    "sthj": ("slj", "zrzy"),
    "dsj": ("rsj", "scjg"),
    "swj": ("scjg", "sw"),
}

# --------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶"
    "黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_NAMES = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "霞",
    "平",
    "刚",
    "桂英",
    "建国",
    "建华",
    "志强",
    "海燕",
    "红梅",
    "玉兰",
    "德胜",
    "晓东",
    "晓梅",
    "春华",
    "文博",
    "子涵",
    "浩然",
    "欣怡",
    "雨萱",
    "梓轩",
    "思远",
    "佳琪",
    "俊杰",
    "秀珍",
    "国庆",
    "丽华",
    "永红",
    "建军",
    "淑芬",
    "金凤",
    "宏伟",
    "振华",
    "晓燕",
    "雪梅",
    "卫东",
    "长青",
    "亚男",
    "婷婷",
    "晨阳",
    "一鸣",
    "嘉怡",
    "秀兰",
    "成林",
)
BRANDS = (
    "恒信",
    "华瑞",
    "鑫源",
    "天成",
    "嘉禾",
    "博远",
    "金穗",
    "宏达",
    "润丰",
    "盛景",
    "青禾",
    "锦程",
    "汇通",
    "瑞康",
    "明德",
    "智联",
    "远航",
    "新禾",
    "云岭",
    "川泰",
)
INDUSTRIES = (
    "商贸",
    "建筑工程",
    "食品",
    "科技",
    "物流",
    "餐饮管理",
    "农业开发",
    "医疗器械",
    "机械制造",
    "文化传媒",
    "家政服务",
    "新能源科技",
    "电子商务",
    "国际旅行社",
)
# Enterprises whose line of business must fit the matter they report about.
INDUSTRY_FOR: dict[str, tuple[str, ...]] = {
    "NY-001": ("农资", "种业"),
    "SH-001": ("机械加工", "塑料制品"),
    "WL-001": ("国际旅行社",),
    "SL-001": ("食品", "生物科技"),
    "ZJ-001": ("机械制造", "新材料科技"),
    "ZR-001": ("机械制造", "建材"),
    "CG-001": ("餐饮管理", "商贸", "医药连锁"),
    "SW-001": ("商贸", "电子商务", "物流"),
    "SC-003": ("机械制造", "食品", "物流"),
    "SC-005": ("餐饮管理",),
}
ESTATES = (
    "滨江花园",
    "锦绣华庭",
    "阳光新城",
    "翠湖湾",
    "金色家园",
    "紫荆苑",
    "云山名邸",
    "和平里小区",
    "东湖御景",
    "青山公寓",
    "幸福里",
    "桂花园",
    "望江壹号",
    "钢城新村",
)
WINDOW_TOPICS = ("不动产登记", "住房公积金", "社保医保", "税务", "户政", "企业开办")
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)
# Region codes of the reporters' ID numbers: the demo city's and a few from elsewhere.
ID_REGIONS = ("532101", "532102", "532103", "532122", "532123", "510104", "430102", "420106")
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def chinese_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def mobile_number(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8))


def id_number(rng: random.Random) -> str:
    """A GB 11643 ID-card number with a valid birth date and check character."""
    birth = date(1946, 1, 1) + timedelta(days=rng.randrange(0, 365 * 58))
    first17 = f"{rng.choice(ID_REGIONS)}{birth:%Y%m%d}{rng.randrange(1, 999):03d}"
    return first17 + id_check_char(first17)


def credit_code(rng: random.Random) -> str:
    """A GB 32100 unified social credit code of an enterprise registered in the city."""
    body = "".join(rng.choice(USCC_CHARS[:10] if i < 8 else USCC_CHARS) for i in range(9))
    first17 = "91" + rng.choice(ID_REGIONS[:5]) + body
    return first17 + uscc_check_char(first17)


# --------------------------------------------------------------------------------------
# Case templates
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    kind: str
    blocker: str
    difficulty: str  # the difficulty when the case is handled by a department
    mode: str  # "spot": solved at the window; "flow": needs a department; "either"; "policy"
    agency: str  # key of the responsible agency ("centre": the receiving centre itself)
    matter: str | None
    reporter: str  # "person" | "enterprise"
    title: str
    description: str
    resolution: str
    policy: tuple[str, str, str] | None = None  # explanation, alternative, who does it


def _t(
    kind: str,
    blocker: str,
    difficulty: str,
    mode: str,
    agency: str,
    matter: str | None,
    reporter: str,
    title: str,
    description: str,
    resolution: str,
    policy: tuple[str, str, str] | None = None,
) -> Template:
    return Template(
        kind,
        blocker,
        difficulty,
        mode,
        agency,
        matter,
        reporter,
        title,
        description,
        resolution,
        policy,
    )


TEMPLATES: tuple[Template, ...] = (
    _t(
        "cannot_do",
        "missing_materials",
        "general",
        "flow",
        "gjj",
        "GJJ-001",
        "person",
        "购房提取公积金多次被要求补交材料",
        "本人在{district}{estate}购买了自住住房，到市民中心申请提取住房公积金，前后跑了{times}趟，"
        "每次窗口告知的材料都不一样，这次又要求补交{doc}。希望一次性告知到底需要哪些材料。",
        "经市住房公积金管理中心核实，已按清单一次性告知购房提取全部材料，申请人补齐{doc}后当场受理，"
        "提取款项3个工作日内到账。",
    ),
    _t(
        "consultation",
        "other",
        "immediate",
        "spot",
        "gjj",
        "GJJ-002",
        "person",
        "咨询租房提取住房公积金的条件和额度",
        "在{district}租房居住{years}年，名下无房，想提取住房公积金支付房租，咨询是否必须办理租赁备案、"
        "每年最多能提取多少。",
        "现场解答：名下无自有住房的职工可按月或按年提取住房公积金支付房租，无需提供租赁备案；"
        "已指导其通过“云川公积金”小程序在线办理。",
    ),
    _t(
        "cannot_do",
        "cross_department",
        "hard",
        "flow",
        "gjj",
        "GJJ-005",
        "person",
        "公积金异地转移接续卡了{months}个月",
        "本人从外省调入云川工作，住房公积金异地转移申请提交{months}个月了仍未转入。转出地中心说已经办结，"
        "本地中心说没有收到，两边互相推诿。",
        "市住房公积金管理中心通过全国住房公积金异地转移接续平台与转出地核对，发现联系函中的账户信息有误，"
        "重新发起转移后{days}个工作日内转入完成。",
    ),
    _t(
        "cannot_do",
        "rigid_policy",
        "general",
        "flow",
        "gjj",
        "GJJ-003",
        "person",
        "离职提取公积金要求原单位出具证明，单位已注销",
        "原工作单位{company}已注销，本人离职后一直未再就业，申请提取住房公积金时被要求提供原单位出具的"
        "离职证明，现在无处开具。",
        "经市住房公积金管理中心会同市人社局核实社保停缴记录和企业注销信息，以个人承诺替代单位证明，"
        "已办理离职提取。",
    ),
    _t(
        "cannot_do",
        "legacy",
        "hard",
        "flow",
        "bdc",
        "BDC-001",
        "person",
        "{year}年购买的二手房因开发商注销无法过户",
        "{year}年在{district}{estate}买的房子一直没办证，现在打算出售，不动产登记中心说要先办首次登记，"
        "需要开发商配合，可开发商早已注销，不知道该找谁。",
        "由市不动产登记中心会同市住房和城乡建设局按历史遗留问题处置办法，以{street}出具的情况说明替代"
        "开发商证明，已完成首次登记和转移登记。",
    ),
    _t(
        "cannot_do",
        "missing_materials",
        "general",
        "flow",
        "bdc",
        "BDC-004",
        "person",
        "办理房产继承登记无法提供老人死亡证明",
        "父亲{year}年在老家去世，当时没有开具死亡证明。现在办理房产继承登记，登记窗口要求提供死亡证明，"
        "派出所说户口早已注销，开不出来。",
        "协调市公安局出具户口注销证明替代死亡证明，结合亲属关系证明和继承权公证书，已受理继承转移登记。",
    ),
    _t(
        "complaint",
        "legacy",
        "hard",
        "flow",
        "bdc",
        "BDC-002",
        "person",
        "{estate}交房{years}年仍办不了不动产权证",
        "我是{district}{estate}的业主，交房已经{years}年，开发商欠缴土地出让金，全小区至今办不了不动产权证，"
        "孩子上学、落户都受影响，多次反映没有结果。",
        "由市自然资源和规划局牵头，联合市住建局、市税务局及{district}成立工作专班，实行“证缴分离”，"
        "首批业主的不动产权证已办理完毕。",
    ),
    _t(
        "consultation",
        "other",
        "immediate",
        "spot",
        "bdc",
        "BDC-005",
        "person",
        "咨询如何查询本人名下不动产登记信息",
        "办理子女入学需要提供名下房产情况，咨询到哪里查询、需要带什么材料。",
        "现场指导使用大厅不动产自助查询机，凭身份证当场打印不动产登记查询结果。",
    ),
    _t(
        "cannot_do",
        "missing_materials",
        "immediate",
        "either",
        "bdc",
        "BDC-003",
        "person",
        "贷款已还清但抵押注销登记缺银行材料",
        "房贷{months}个月前已经还清，去办理抵押注销登记，窗口说缺{doc}，银行又说材料已经线上推送了。",
        "现场通过银行抵押登记“总对总”系统调取注销材料，当场办理抵押权注销登记。",
    ),
    _t(
        "cannot_do",
        "cross_department",
        "hard",
        "flow",
        "rsj",
        "RS-001",
        "person",
        "养老保险跨省转移后本地查不到缴费记录",
        "在外省缴纳养老保险{years}年，回云川后申请关系转入，转出地系统显示已转出，本地却查不到缴费记录，"
        "已经等了{months}个月。",
        "市人社局通过全国社会保险关系转移系统查询，发现转出信息被退回，已重新发起转移，缴费年限合并计算。",
    ),
    _t(
        "cannot_do",
        "rigid_policy",
        "general",
        "flow",
        "rsj",
        "RS-002",
        "person",
        "申领失业保险金要求原单位盖章，单位已失联",
        "原来在{company}上班，公司负责人失联，申领失业保险金需要单位出具解除劳动关系证明，找不到人盖章。",
        "依据劳动人事争议仲裁裁决书和社保断缴记录，经市人社局核实后受理失业保险金申领，当月发放。",
    ),
    _t(
        "help",
        "other",
        "immediate",
        "spot",
        "rsj",
        "RS-003",
        "person",
        "老人补办社保卡不会使用自助机",
        "{age}岁老人社保卡丢失，子女在外地，自己不会使用自助机，排了两次队都没办成。",
        "帮办代办员全程陪同，现场挂失补办并即时制卡领取。",
    ),
    _t(
        "cannot_do",
        "system_failure",
        "general",
        "flow",
        "rsj",
        "RS-004",
        "person",
        "技能补贴申领系统提示证书信息不存在",
        "取得职业技能等级证书后在网上申领技能提升补贴，系统一直提示“证书信息不存在”，窗口说是系统问题"
        "让等通知，已经过了{days}天。",
        "市人社局核实为证书数据未同步至补贴系统，已联系评价机构补传数据，补贴申领审核通过。",
    ),
    _t(
        "help",
        "cross_department",
        "general",
        "flow",
        "rsj",
        None,
        "person",
        "务工人员工资被拖欠求助",
        "我们二十多名工人在{district}{street}某工地干活，被拖欠工资{months}个月，包工头联系不上，"
        "不知道该找哪个部门。",
        "市人社局劳动保障监察支队会同市住建局约谈施工总承包单位，从工资保证金中先行垫付，"
        "拖欠工资已全部发放。",
    ),
    _t(
        "cannot_do",
        "missing_materials",
        "general",
        "flow",
        "rsj",
        "RS-005",
        "person",
        "工伤认定缺少劳动关系证明",
        "在{company}做临时工时受伤，申请工伤认定被要求提供劳动合同，公司一直没签合同也不肯出证明。",
        "市人社局依据考勤记录、工资转账记录和工友证言认定劳动关系，已受理工伤认定申请。",
    ),
    _t(
        "cannot_do",
        "cross_department",
        "hard",
        "flow",
        "ybj",
        "YB-001",
        "person",
        "异地就医备案后报销仍按未备案处理",
        "母亲在外省随子女居住，已经办理异地就医备案，住院结算时仍按未备案比例报销，回来手工报销又被告知"
        "要两地联动，跑了{months}个月没有结果。",
        "市医疗保障局与就医地医保经办机构联系补录备案信息，已按备案后待遇重新结算，"
        "差额部分{days}个工作日内到账。",
    ),
    _t(
        "complaint",
        "other",
        "general",
        "flow",
        "ybj",
        "YB-002",
        "person",
        "医疗费手工报销超过承诺时限未到账",
        "{months}个月前提交了住院医疗费用手工报销材料，承诺的办理时限早就过了，打电话询问只说在审核。",
        "市医疗保障局核查发现材料流转环节积压，已加急审核并将报销款拨付到账，并对经办人员进行提醒谈话。",
    ),
    _t(
        "consultation",
        "other",
        "immediate",
        "spot",
        "ybj",
        "YB-004",
        "person",
        "咨询门诊慢特病认定需要哪些病历",
        "家里老人有高血压和糖尿病，想申请门诊慢特病待遇，咨询需要准备哪些病历资料、在哪里认定。",
        "现场一次性告知所需材料和认定医院，并指导通过医保服务平台线上申请。",
    ),
    _t(
        "cannot_do",
        "cross_department",
        "general",
        "flow",
        "ybj",
        "YB-003",
        "person",
        "医保关系转移接续后个人账户余额未转入",
        "从{district}外的单位调入云川，医保关系已经转过来，但原个人账户余额一直没有转入，"
        "两边都说对方没处理。",
        "市医疗保障局通过全国医保信息平台核对转移单，督促转出地完成资金划转，余额已到账。",
    ),
    _t(
        "cannot_do",
        "system_failure",
        "hard",
        "flow",
        "scjg",
        "SC-002",
        "enterprise",
        "名称申报系统缺少行业表述，企业无法设立",
        "我们拟设立“{brand}智能小家电产业技术研究院”，在政务服务网名称申报时系统中没有对应的行业表述，"
        "无法提交设立登记，被告知只能换行业。",
        "市市场监督管理局向省局提交增加行业表述的申请，名称库更新后完成名称申报，并安排专人"
        "“一对一”指导提交设立登记。",
    ),
    _t(
        "cannot_do",
        "rigid_policy",
        "general",
        "flow",
        "scjg",
        "SC-003",
        "enterprise",
        "企业迁址变更要求提供房产证，厂房为集体土地",
        "{company}准备把经营地址迁到{district}{street}的厂房，厂房建在村集体土地上，出租方拿不出房产证，"
        "变更登记被退回。",
        "市市场监督管理局按住所申报承诺制，以村委会出具的场所使用证明和承诺书办理了住所变更登记。",
    ),
    _t(
        "cannot_do",
        "legacy",
        "hard",
        "flow",
        "scjg",
        "SC-004",
        "enterprise",
        "吊销多年的企业无法注销，影响法定代表人重新创业",
        "{year}年开办的公司早已停业并被吊销营业执照，一直没有注销，现在法定代表人想重新开公司受到限制，"
        "办理注销又缺少当年的股东材料。",
        "市市场监督管理局会同市税务局启用吊销未注销企业强制注销程序，公告期满后已完成注销。",
    ),
    _t(
        "consultation",
        "other",
        "immediate",
        "spot",
        "scjg",
        "SC-005",
        "enterprise",
        "咨询开办小餐馆办理食品经营许可需要什么材料",
        "打算在{street}开一家小餐馆，咨询食品经营许可需要哪些材料、多久能办下来。",
        "现场一次性告知全部材料，说明仅销售预包装食品可备案、餐饮服务需许可，并指导通过"
        "“企业开办一件事”同步申请。",
    ),
    _t(
        "help",
        "other",
        "immediate",
        "either",
        "scjg",
        "SC-001",
        "enterprise",
        "企业开办线上申请不会填写",
        "第一次开公司，在政务服务网填写“企业开办一件事”时卡在经营范围和章程环节，不知道怎么填。",
        "帮办代办员一对一指导完成线上申请，营业执照、公章、发票和社保登记当日一次办结。",
    ),
    _t(
        "cannot_do",
        "system_failure",
        "general",
        "flow",
        "sw",
        "SW-001",
        "enterprise",
        "领用税务UKey后无法开具发票",
        "{company}领用税务UKey后开票系统一直报错，无法开具发票，影响货款结算，已经{days}天了。",
        "市税务局技术人员远程排查为授权信息未同步，重新发行UKey后恢复开票。",
    ),
    _t(
        "complaint",
        "cross_department",
        "general",
        "flow",
        "sw",
        "SW-002",
        "person",
        "二手房过户在税务和不动产窗口之间来回跑",
        "办理二手房过户，税务窗口说要先去不动产登记窗口核验，不动产登记窗口说要先完税，来回跑了{times}趟。",
        "市税务局与市不动产登记中心实行“一窗受理、并行办理”，当日完成税费申报和转移登记。",
    ),
    _t(
        "consultation",
        "other",
        "immediate",
        "spot",
        "sw",
        "SW-003",
        "person",
        "个税汇算退税一直显示审核中",
        "个人所得税综合所得汇算申请退税{months}个月了，App里一直显示“税务机关审核中”，咨询原因。",
        "现场查询为任职单位收入申报信息待核实，已告知补充说明的方法，核实后即可退税。",
    ),
    _t(
        "cannot_do",
        "system_failure",
        "immediate",
        "either",
        "gaj",
        "GA-001",
        "person",
        "派出所设备故障无法换领身份证",
        "在{street}派出所换领身份证，因采集设备故障办不了，赶到市里又没排上当天的号，下周要用身份证出差。",
        "协调市公安局在市民中心户政窗口当日加急受理，并开具临时身份证明。",
    ),
    _t(
        "cannot_do",
        "missing_materials",
        "general",
        "flow",
        "gaj",
        "GA-004",
        "person",
        "新生儿入户因父母未办结婚登记被拒",
        "孩子出生{months}个月了，因为我们还没领结婚证，派出所说不能给孩子上户口。",
        "经核实，非婚生子女可凭出生医学证明和亲子关系声明办理出生登记，已协调派出所当日受理入户。",
    ),
    _t(
        "consultation",
        "other",
        "immediate",
        "spot",
        "gaj",
        "GA-003",
        "person",
        "咨询往来港澳通行证能否加急办理",
        "下周需要去香港参加会议，咨询往来港澳通行证能否加急、需要什么手续。",
        "现场告知加急办理条件和所需材料，指导预约出入境窗口并当场受理。",
    ),
    _t(
        "consultation",
        "other",
        "immediate",
        "spot",
        "jyj",
        "JY-002",
        "person",
        "咨询教师资格认定的体检和普通话要求",
        "今年通过了教师资格考试，咨询认定时体检在哪家医院做、普通话证书要求几级。",
        "现场一次性告知认定材料、指定体检医院和普通话等级要求，并指导网上报名。",
    ),
    _t(
        "help",
        "other",
        "general",
        "flow",
        "mzj",
        "MZ-002",
        "person",
        "低保申请提交后{months}个月无答复",
        "家中老人因病致贫，在{community}提交了最低生活保障申请，{months}个月了没有任何答复。",
        "市民政局督促{street}完成入户调查和民主评议，已审核纳入低保，并告知临时救助申请渠道。",
    ),
    _t(
        "help",
        "other",
        "immediate",
        "spot",
        "mzj",
        "MZ-003",
        "person",
        "行动不便老人无法到现场申领高龄津贴",
        "父亲{age}岁，长期卧床，申领高龄津贴要求本人到场，家里实在去不了。",
        "安排{community}网格员上门核验并代办申领，津贴次月发放。",
    ),
    _t(
        "consultation",
        "other",
        "immediate",
        "spot",
        "mzj",
        "MZ-001",
        "person",
        "外省户籍能否在云川办理结婚登记",
        "我和对象都是外省户籍，在云川工作，咨询能否在云川办理结婚登记。",
        "现场告知婚姻登记已实行“跨省通办”，一方在云川居住可凭居住证办理，并协助预约登记时间。",
    ),
    _t(
        "cannot_do",
        "rigid_policy",
        "general",
        "flow",
        "zjj",
        "ZJ-003",
        "person",
        "申请公租房显示有房，名下房产早已拆迁",
        "名下一套老房子{year}年已被征收拆除，但登记信息没有注销，申请公租房时系统显示有房，审核不通过。",
        "市住房和城乡建设局会同市不动产登记中心核实征收情况，办理注销登记后重新审核，已纳入公租房轮候。",
    ),
    _t(
        "cannot_do",
        "cross_department",
        "hard",
        "flow",
        "zjj",
        "ZJ-001",
        "enterprise",
        "施工许可与消防设计审查互为前置",
        "{company}新建厂房，办理施工许可要求先提供消防设计审查意见，消防审查又要求先有施工许可，"
        "两头卡住已经{months}个月。",
        "市住房和城乡建设局明确消防设计审查不作为施工许可前置条件，实行并联审批，施工许可已核发。",
    ),
    _t(
        "cannot_do",
        "legacy",
        "hard",
        "flow",
        "zrzy",
        "ZR-001",
        "enterprise",
        "老厂房规划许可与实际用地不符无法补办手续",
        "{company}的厂房是{year}年建成的，规划许可和实际用地范围不一致，现在办理不动产登记和扩建手续都卡住了。",
        "市自然资源和规划局会同属地政府按历史遗留问题分类处置，经测绘核实后补办规划核实手续，登记已办理。",
    ),
    _t(
        "complaint",
        "rigid_policy",
        "general",
        "flow",
        "cgj",
        "CG-001",
        "enterprise",
        "门头招牌更换审批要求过严",
        "{company}在{street}的门店更换门头招牌，审批要求提供效果图、结构安全鉴定等六项材料，比新设还复杂。",
        "市城市管理局将同规格招牌更换调整为告知承诺制，材料精简为2项，已当日办结。",
    ),
    _t(
        "complaint",
        "other",
        "immediate",
        "spot",
        "centre",
        None,
        "person",
        "投诉{window}窗口工作人员服务态度生硬",
        "今天上午在{window}窗口办事，工作人员态度生硬，问两句就不耐烦，也不告诉我还缺什么材料。",
        "中心值班负责人现场致歉，当场帮助完成业务办理，对窗口工作人员进行约谈并纳入月度考核。",
    ),
    _t(
        "report",
        "other",
        "general",
        "flow",
        "scjg",
        None,
        "person",
        "举报有中介冒充工作人员收取代办费",
        "在市民中心门口有人自称是窗口工作人员，说交{fee}元可以“包办”，我交了钱后就联系不上了。",
        "已移交市市场监督管理局和公安机关查处，大厅张贴防骗提示，并在门口设立咨询引导岗。",
    ),
    _t(
        "report",
        "other",
        "general",
        "flow",
        "scjg",
        None,
        "person",
        "举报{street}一家餐馆无证经营",
        "{street}{estate}附近有家餐馆开了大半年，没有食品经营许可，后厨卫生很差。",
        "市市场监督管理局执法人员现场检查，责令停业整改并立案调查，已告知举报人处理结果。",
    ),
    _t(
        "report",
        "other",
        "general",
        "flow",
        "zjj",
        None,
        "person",
        "举报{estate}物业违规收取装修押金",
        "{district}{estate}物业公司收取{fee}元装修押金，装修完成验收后拒不退还。",
        "市住房和城乡建设局约谈物业公司，责令退还违规收取的押金，押金已全部退还。",
    ),
    _t(
        "suggestion",
        "other",
        "immediate",
        "spot",
        "centre",
        None,
        "person",
        "建议大厅增设午间和周末延时服务",
        "上班族工作日很难请假来办事，建议市民中心中午不休息、周六上午开放。",
        "建议已采纳：市民中心已实行午间不间断服务，每周六上午开放高频事项窗口。",
    ),
    _t(
        "suggestion",
        "cross_department",
        "general",
        "flow",
        "gjj",
        None,
        "person",
        "建议二手房过户与公积金贷款“一件事”联办",
        "买二手房用公积金贷款，要先过户再去公积金中心，再回不动产登记抵押，建议几个部门联合办理。",
        "建议已纳入存量房转移登记及公积金贷款“一件事”改革，实行一窗受理、一次面签。",
    ),
    _t(
        "suggestion",
        "system_failure",
        "general",
        "flow",
        "rsj",
        None,
        "person",
        "建议大厅自助终端增加社保卡补换功能",
        "大厅自助终端只能查询社保信息，补换社保卡还要排队取号，建议增加自助补换功能。",
        "市人社局已在市民中心和各区县大厅布设即时制卡自助终端，支持补换卡自助办理。",
    ),
    _t(
        "cannot_do",
        "missing_materials",
        "general",
        "flow",
        "tyjr",
        "TY-001",
        "person",
        "退役证件遗失无法申领优待证",
        "本人{year}年退役，退役证件搬家时遗失，申领退役军人优待证被要求提供原件。",
        "市退役军人事务局调取退役档案核实身份，出具档案证明替代退役证件，优待证已受理。",
    ),
    _t(
        "help",
        "other",
        "general",
        "flow",
        "cl",
        "CL-001",
        "person",
        "重度残疾人办理残疾人证需上门评残",
        "家中孩子为重度肢体残疾，无法到医院参加残疾评定，申请上门评残。",
        "市残联协调评定医生上门评定，残疾人证已送证上门。",
    ),
    _t(
        "cannot_do",
        "missing_materials",
        "general",
        "flow",
        "nync",
        "NY-001",
        "enterprise",
        "农药经营许可申请材料被反复退回",
        "{company}申请农药经营许可，材料先后被退回{times}次，每次指出的问题都不一样，这次又要求补{doc}。",
        "市农业农村局一次性书面告知全部补正事项，安排审批人员上门指导，许可证已核发。",
    ),
    _t(
        "cannot_do",
        "rigid_policy",
        "general",
        "flow",
        "slj",
        "SL-001",
        "enterprise",
        "排水许可需要第三方检测报告，检测机构排队{months}个月",
        "{company}办理排水许可要求提供第三方排水水质检测报告，有资质的检测机构排队要{months}个月，"
        "企业无法按期投产。",
        "市水务局对新建项目实行“先证后检”承诺制，许可已核发，检测报告在投产后3个月内补交。",
    ),
    _t(
        "cannot_do",
        "cross_department",
        "general",
        "flow",
        "wlj",
        "WL-001",
        "enterprise",
        "旅行社质量保证金存款证明银行不认可",
        "{company}申请设立旅行社，文旅部门要求的质量保证金存款证明格式，开户银行说出具不了。",
        "市文化和旅游局与人民银行云川市分行协调，统一了存款证明格式，也可用银行保函替代，许可已办理。",
    ),
    _t(
        "cannot_do",
        "system_failure",
        "general",
        "flow",
        "jtj",
        "JT-002",
        "person",
        "网约车驾驶员证考试合格后一直未发证",
        "网约车驾驶员从业资格考试{months}个月前就合格了，系统一直显示“待制证”，影响上岗。",
        "市交通运输局核查为背景核查结果未回传，协调公安部门补传后已制证发放。",
    ),
    _t(
        "cannot_do",
        "legacy",
        "hard",
        "flow",
        "wjw",
        "WJ-001",
        "person",
        "出生医学证明遗失补发，出生医院已撤并",
        "孩子{year}年在原{district}妇幼保健站出生，出生医学证明遗失，现在补发时医院已撤并，找不到分娩记录。",
        "市卫生健康委员会协调撤并后的承接医院调取档案，无档案部分以亲子鉴定结论补发出生医学证明。",
    ),
    _t(
        "consultation",
        "rigid_policy",
        "immediate",
        "spot",
        "sthj",
        "SH-001",
        "enterprise",
        "咨询小微企业环评能否简化为登记表",
        "{company}是小型加工企业，排放很少，咨询环评能否只填登记表，不做报告书。",
        "现场对照建设项目环评分类管理名录答复：该类项目填报登记表即可，并指导网上备案。",
    ),
    _t(
        "cannot_do",
        "system_failure",
        "general",
        "flow",
        "dsj",
        None,
        "person",
        "一网通办平台上传材料一直提示失败",
        "在政务服务网申报{matter}，上传材料时一直提示“文件格式错误”，换了几台电脑都一样，已经{days}天了。",
        "市大数据中心排查为文件上传组件兼容性问题，已完成修复，并协助申请人重新提交申报。",
    ),
    _t(
        "cannot_do",
        "system_failure",
        "immediate",
        "either",
        "gjj",
        "GJJ-004",
        "person",
        "公积金贷款系统查询不到已缴存记录",
        "申请公积金贷款，系统显示近{months}个月缴存记录缺失，单位说每月都正常缴存了。",
        "现场核对单位汇缴明细，为批量汇缴入账延迟，已手工补记并当场受理贷款申请。",
    ),
    # "Cannot do": the law does not allow it; explain, and say what can be done and by whom.
    _t(
        "cannot_do",
        "rigid_policy",
        "general",
        "policy",
        "gaj",
        "GA-002",
        "person",
        "购买商业公寓申请落户被拒",
        "在{district}{estate}买了一套公寓（商业用途），申请把户口迁过来被派出所拒绝，孩子明年要上学。",
        "已向申请人说明落户政策依据，并一次性告知可行的替代办法和承办单位。",
        (
            "根据《云川市户口迁移管理规定》，商业、办公用途房产不能作为合法稳定住所申请落户。",
            "可在居住地申领居住证，满一年后在所在社区公共集体户落户；子女可凭居住证参加随迁子女积分入学。",
            "市公安局户政窗口及所在社区居委会",
        ),
    ),
    _t(
        "cannot_do",
        "rigid_policy",
        "general",
        "policy",
        "jyj",
        "JY-001",
        "person",
        "非本区户籍子女申请公办小学学位被拒",
        "我们在{district}{community}租房居住{years}年，孩子今年上一年级，去片区公办小学登记被告知"
        "非本区户籍不能登记。",
        "已说明义务教育招生划片政策，并告知随迁子女入学的办理途径。",
        (
            "义务教育阶段公办学校按户籍和房产划片招生，非学区户籍适龄儿童不能直接在该校登记入学。",
            "凭居住证、社保缴纳证明参加随迁子女积分入学，由教育部门统筹安排就近学位。",
            "市教育局招生办公室及{district}教育部门",
        ),
    ),
    _t(
        "complaint",
        "rigid_policy",
        "general",
        "policy",
        "rsj",
        "RS-001",
        "person",
        "要求一次性补缴{years}年养老保险以达到退休条件",
        "本人今年{age}岁，社保累计缴费不满15年，要求一次性补缴以前{years}年的养老保险，被窗口拒绝。",
        "已说明补缴政策依据，并告知继续缴费和转入城乡居民养老保险两种途径。",
        (
            "国家规定灵活就业人员不得跨年度一次性补缴以前年度的基本养老保险费。",
            "可继续按月缴费至累计满15年后按月领取养老金，或按规定转入城乡居民基本养老保险。",
            "市人社局社会保险经办窗口",
        ),
    ),
    _t(
        "cannot_do",
        "legacy",
        "hard",
        "policy",
        "bdc",
        "BDC-002",
        "person",
        "小产权房申请办理不动产登记",
        "{year}年在{district}{community}买了一套村里集资建的房子，想办理不动产权证，登记中心不受理。",
        "已说明不能登记的法律依据，并告知权益保障的途径和承办单位。",
        (
            "在集体土地上违规建设的商品住房（小产权房）依法不能办理不动产登记。",
            "房屋可继续居住使用；如遇征收按属地补偿政策处理；购房纠纷可通过诉讼向出卖方主张权利，"
            "街道提供法律援助对接。",
            "{district}人民政府及{street}",
        ),
    ),
    _t(
        "cannot_do",
        "rigid_policy",
        "immediate",
        "policy",
        "gjj",
        "GJJ-004",
        "person",
        "公积金贷款申请超过最高额度",
        "在{district}{estate}买房，总价较高，申请公积金贷款90万元，被告知超过最高额度。",
        "已说明贷款额度规定，并指导办理组合贷款。",
        (
            "按《云川市住房公积金贷款管理办法》，单笔住房公积金贷款最高额度为60万元。",
            "可申请组合贷款（公积金贷款+商业贷款），由承办银行同步审批、一次面签。",
            "市住房公积金管理中心贷款科及承办银行",
        ),
    ),
    _t(
        "complaint",
        "rigid_policy",
        "general",
        "policy",
        "ybj",
        "YB-002",
        "person",
        "投诉自费药品不能医保报销",
        "父亲住院用了一种进口药，花了{fee}元，医保全部不报，认为不合理。",
        "已说明医保目录政策，并告知补充保险和医疗救助的申请途径。",
        (
            "该药品不在国家医保药品目录内，基本医保基金不能支付。",
            "可申请本市惠民保商业补充保险理赔，咨询医院有无目录内可替代药品；困难家庭可申请医疗救助。",
            "市医疗保障局待遇保障科及{community}",
        ),
    ),
    _t(
        "consultation",
        "rigid_policy",
        "immediate",
        "policy",
        "scjg",
        "SC-005",
        "enterprise",
        "能否在住宅楼内开设餐饮店",
        "想把{district}{estate}一楼的住房改成小吃店，咨询能否办理食品经营许可。",
        "已说明住宅楼内不得新设产生油烟的餐饮服务场所，并告知可行的经营方式。",
        (
            "根据《食品安全法》及本市相关规定，居民住宅楼内不得新设产生油烟、噪声的餐饮服务场所。",
            "可选择商业用途铺面经营，或登记为仅销售预包装食品、不产生油烟的经营项目。",
            "市市场监督管理局登记注册窗口",
        ),
    ),
)

# --------------------------------------------------------------------------------------
# Scenarios: the path a case takes, and how many cases take it
# --------------------------------------------------------------------------------------

# name, template pool, share of the cases, recency: registration age in days (None: any
# time in the last six months). The two remainder scenarios take what is left.
SCENARIOS: tuple[tuple[str, str, float, tuple[float, float] | None], ...] = (
    ("spot_resolved", "spot", 0.005, (0.02, 1.5)),
    ("spot_feedback", "spot", 0.007, (0.5, 6)),
    ("spot_policy", "policy_spot", 0.02, None),
    ("immediate_dispatched", "spot_dept", 0.012, None),
    ("flow_policy", "policy", 0.02, None),
    ("returned_closed", "flow", 0.02, None),
    ("returned_waiting", "flow", 0.004, (0.3, 3)),
    ("transferred_closed", "flow", 0.03, None),
    ("transfer_limit_open", "tangle", 0.01, (8, 60)),
    ("transfer_limit_closed", "tangle", 0.007, None),
    ("suspended_closed", "materials", 0.02, None),
    ("suspended_open", "materials", 0.012, (4, 50)),
    ("reopened_closed", "flow", 0.012, None),
    ("reopened_open", "flow", 0.004, (8, 40)),
    ("open_registered", "flow", 0.01, (0.01, 3)),
    ("open_dispatched", "flow", 0.012, (0.1, 6)),
    ("open_accepted", "flow", 0.01, (0.5, 10)),
    ("open_in_progress", "flow", 0.025, (1, 45)),
    ("flow_resolved", "flow", 0.007, (3, 15)),
    ("flow_feedback", "flow", 0.01, (4, 25)),
    ("flow_evaluated", "flow", 0.01, (5, 25)),
    ("evaluated_dissatisfied", "flow", 0.003, (3, 12)),
    ("policy_closed_by_supervisor", "policy", 0.003, None),
)
REMAINDER = (("spot_closed", "spot", 0.6), ("flow_closed", "flow", 0.4))

CHANNEL_WEIGHTS = (
    ("window", 42),
    ("hotline", 14),
    ("transfer_12345", 16),
    ("online", 10),
    ("director_hotline", 8),
    ("callback", 10),
)
GOOD_RATINGS = (("very_satisfied", 58), ("satisfied", 32), ("basically_satisfied", 10))
REOPEN_REASONS = (
    "回访时申请人表示问题仍未实际解决，要求重新办理",
    "申请人认为承诺的办理时限未兑现，对结果不满意",
    "申请人反映补正材料要求前后不一致，要求重新核实办理",
)


@dataclass
class Step:
    action: str
    actor: str  # "clerk" | "handler" (of the unit that has the case) | "supervisor"
    delay: int  # minutes after the previous step, before office-hour adjustment
    fields: dict[str, Any] = field(default_factory=dict)
    expect: str | None = None  # a refusal code this step is expected to end with


@dataclass
class Plan:
    idx: int
    scenario: str
    pool: str
    recency: tuple[float, float] | None
    centre: str  # "city" or a district key
    clerk: str
    channel: str
    template: Template
    difficulty: str
    dept: str  # key of the responsible department (stuck department)
    slots: dict[str, Any]
    reporter: dict[str, Any]
    title: str = ""
    description: str = ""
    steps: list[Step] = field(default_factory=list)
    age_days: float = 0.0


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _scenario_counts(n_cases: int) -> list[str]:
    names: list[str] = []
    for name, _pool, share, _recency in SCENARIOS:
        names.extend([name] * max(1, round(share * n_cases)))
    names = names[:n_cases]
    rest = n_cases - len(names)
    first = round(rest * REMAINDER[0][2])
    names.extend([REMAINDER[0][0]] * first)
    names.extend([REMAINDER[1][0]] * (rest - first))
    return names


def _pools() -> dict[str, list[Template]]:
    flow = [t for t in TEMPLATES if t.mode in ("flow", "either") and t.agency != "centre"]
    return {
        "spot": [t for t in TEMPLATES if t.mode in ("spot", "either")],
        "spot_dept": [
            t for t in TEMPLATES if t.mode in ("spot", "either") and t.agency != "centre"
        ],
        "flow": flow,
        "policy": [t for t in TEMPLATES if t.policy is not None],
        "policy_spot": [t for t in TEMPLATES if t.policy is not None],
        "tangle": [
            t
            for t in flow
            if t.difficulty == "hard" and t.blocker in ("cross_department", "legacy")
        ],
        "materials": [
            t
            for t in flow
            if t.matter is not None and t.blocker in ("missing_materials", "rigid_policy", "other")
        ],
    }


SCENARIO_INFO = {name: (pool, recency) for name, pool, _s, recency in SCENARIOS}
SCENARIO_INFO.update({name: (pool, None) for name, pool, _s in REMAINDER})
MATTER_BY_CODE = {m[0]: m for m in MATTERS}
AGENCY_NAMES = {key: name for key, name, _short in CITY_AGENCIES}


def _difficulty(scenario: str, template: Template) -> str:
    if scenario.startswith("spot") or scenario == "immediate_dispatched":
        return "immediate"
    if template.difficulty == "immediate":
        return "general"
    return template.difficulty


def plan_cases(seed: int, n_cases: int, max_transfers: int = 2) -> list[Plan]:
    """Every case of the demo, deterministically from the seed: no database, no clock."""
    rng = random.Random(seed)
    scenarios = _scenario_counts(n_cases)
    rng.shuffle(scenarios)
    pools = _pools()
    cursors: dict[str, list[Template]] = {}

    def next_template(pool: str) -> Template:
        queue = cursors.get(pool)
        if not queue:
            queue = list(pools[pool])
            rng.shuffle(queue)
            cursors[pool] = queue
        return queue.pop()

    plans: list[Plan] = []
    for idx, scenario in enumerate(scenarios):
        pool, recency = SCENARIO_INFO[scenario]
        template = next_template(pool)
        centre = "city" if rng.random() < 0.72 else rng.choice(DISTRICTS)[0]
        channel = _weighted(rng, CHANNEL_WEIGHTS)
        if centre != "city" and channel == "director_hotline":
            channel = "hotline"
        clerk = rng.choice(("clerk", "clerk", "clerk2")) if centre == "city" else f"clerk_{centre}"
        plan = Plan(
            idx=idx,
            scenario=scenario,
            pool=pool,
            recency=recency,
            centre=centre,
            clerk=clerk,
            channel=channel,
            template=template,
            difficulty=_difficulty(scenario, template),
            dept="",
            slots=_slots(rng, centre),
            reporter={},
        )
        plans.append(plan)

    _ensure_coverage(plans, pools)

    for plan in plans:
        _fill(rng, plan, max_transfers)
    return plans


def _slots(rng: random.Random, centre: str) -> dict[str, Any]:
    district = (
        next(d for d in DISTRICTS if d[0] == centre) if centre != "city" else rng.choice(DISTRICTS)
    )
    street = rng.choice(district[3])
    pool = RURAL_COMMUNITIES if district[2] and not street.endswith("街道") else URBAN_COMMUNITIES
    brand = rng.choice(BRANDS)
    return {
        "district": district[1],
        "district_key": district[0],
        "street": street,
        "community": street + rng.choice(pool),
        "estate": rng.choice(ESTATES),
        "brand": brand,
        "company": f"云川{brand}{rng.choice(INDUSTRIES)}有限公司",
        "times": rng.randint(2, 5),
        "months": rng.randint(2, 8),
        "years": rng.randint(2, 12),
        "days": rng.randint(3, 15),
        "year": rng.randint(1998, 2016),
        "age": rng.randint(66, 92),
        "fee": rng.choice((500, 800, 1200, 2000, 3000, 5000)),
        "window": rng.choice(WINDOW_TOPICS),
    }


def _attr(plan: Plan, attr: str) -> str:
    if attr == "difficulty":
        return plan.difficulty
    return str(getattr(plan.template, attr))


def _ensure_coverage(plans: list[Plan], pools: dict[str, list[Template]]) -> None:
    """Make every kind, blocker type, difficulty and staff channel appear at least once,
    by swapping a template (or channel) where that removes nothing else's last case."""
    attrs = ("kind", "blocker", "difficulty")
    wanted: dict[str, list[str]] = {
        "kind": [k.value for k in Kind],
        "blocker": [b.value for b in BlockerType],
        "difficulty": [d.value for d in Difficulty],
    }
    for attr in attrs:
        for value in wanted[attr]:
            if any(_attr(p, attr) == value for p in plans):
                continue
            for plan in plans:
                counts = {a: Counter(_attr(p, a) for p in plans) for a in attrs}
                if any(counts[a][_attr(plan, a)] <= 1 for a in attrs):
                    continue
                cands = [
                    t
                    for t in pools[plan.pool]
                    if str(
                        getattr(t, attr) if attr != "difficulty" else _difficulty(plan.scenario, t)
                    )
                    == value
                ]
                if cands:
                    plan.template = cands[0]
                    plan.difficulty = _difficulty(plan.scenario, plan.template)
                    break
    for channel in (c for c in Channel if c != Channel.mobile):
        per_channel = Counter(p.channel for p in plans)
        if per_channel[channel.value]:
            continue
        for plan in plans:
            if per_channel[plan.channel] > 1 and (
                channel != "director_hotline" or plan.centre == "city"
            ):
                plan.channel = channel.value
                break


def _fmt(text: str, slots: dict[str, Any]) -> str:
    return text.format(**slots)


def _reporter(rng: random.Random, plan: Plan) -> dict[str, Any]:
    name = chinese_name(rng)
    rep: dict[str, Any] = {"type": "person", "name": name, "phone": mobile_number(rng)}
    if plan.template.reporter == "enterprise":
        rep.update(type="enterprise", org_name=plan.slots["company"], credit_code=credit_code(rng))
    elif rng.random() < 0.45:
        rep["id_number"] = id_number(rng)
    return rep


def _responsible(rng: random.Random, plan: Plan) -> str:
    """The department key the case belongs to: a district agency for district cases when
    the district has one, otherwise the city agency."""
    agency = plan.template.agency
    if agency == "centre":
        return "centre:" + plan.centre
    if plan.centre != "city":
        district = next(d for d in DISTRICTS if d[0] == plan.centre)
        keys = {
            k for k, _ in (DISTRICT_AGENCIES_COUNTY if district[2] else DISTRICT_AGENCIES_URBAN)
        }
        if agency in keys and rng.random() < 0.7:
            return f"{plan.centre}.{agency}"
    return agency


def _wrong(rng: random.Random, right: str, avoid: set[str]) -> str:
    base = right.split(".")[-1]
    options = [k for k in CONFUSABLE.get(base, ()) if k not in avoid and k != right]
    if not options:
        options = [
            k
            for k, _n, _s in CITY_AGENCIES
            if k not in avoid and k != right and k not in NO_HANDLER
        ]
    return rng.choice(options)


def _fill(rng: random.Random, plan: Plan, max_transfers: int) -> None:
    tpl = plan.template
    plan.dept = _responsible(rng, plan)
    if tpl.reporter == "enterprise" and tpl.matter in INDUSTRY_FOR:
        industry = rng.choice(INDUSTRY_FOR[tpl.matter])
        plan.slots["company"] = f"云川{plan.slots['brand']}{industry}有限公司"
    matter = MATTER_BY_CODE.get(tpl.matter or "")
    materials = list(matter[3]) if matter else ["身份证", "相关证明材料"]
    docs = rng.sample(materials, 2) if len(materials) >= 2 else materials * 2
    plan.slots.update(doc=docs[0], doc2=docs[1], matter=matter[1] if matter else "相关事项")
    plan.title = _fmt(tpl.title, plan.slots)[:200]
    plan.description = _fmt(tpl.description, plan.slots)
    plan.reporter = _reporter(rng, plan)
    plan.steps = _steps(rng, plan, materials, max_transfers)
    if plan.recency is None:
        # Volumes fall over the period (the window gets quieter as the centre improves,
        # as in Yinchuan): mostly a density falling linearly to the present, where the
        # still-open cases (registered recently, by their scenario) fill in.
        x = rng.random() if rng.random() < 0.15 else 1 - (1 - rng.random()) ** 0.5
        plan.age_days = SPAN_DAYS * (1 - x)
    else:
        plan.age_days = rng.uniform(*plan.recency)


def _steps(rng: random.Random, plan: Plan, materials: list[str], max_transfers: int) -> list[Step]:
    tpl = plan.template
    s = plan.slots
    resolution = _fmt(tpl.resolution, s)
    explained = tpl.kind in ("consultation", "suggestion")
    dept = plan.dept
    steps: list[Step] = []

    def add(
        action: str, actor: str, lo: int, hi: int, expect: str | None = None, **fields: Any
    ) -> None:
        steps.append(Step(action, actor, rng.randint(lo, hi), fields, expect))

    def policy_fields() -> dict[str, Any]:
        assert tpl.policy is not None
        exp, alt, owner = (_fmt(p, s) for p in tpl.policy)
        return {
            "outcome": "cannot_by_policy",
            "resolution": resolution,
            "policy_explanation": exp,
            "alternative": alt,
            "alternative_owner": owner,
        }

    def notice(text: str) -> str:
        items = "；".join(f"{i}.{m}" for i, m in enumerate(materials, 1))
        return (
            f"一次性告知：{text} 如需继续办理，请携带以下全部材料：{items}。"
            f"如有疑问可致电窗口或扫码反映。"
        )

    def feedback(actor: str, lo: int = 30, hi: int = 600, text: str | None = None) -> None:
        add(
            "give_feedback",
            actor,
            lo,
            hi,
            notification_text=notice(text or resolution),
            notification_materials=list(materials),
        )

    def good_rating() -> str:
        return _weighted(rng, GOOD_RATINGS)

    def evaluate_and_close(rating: str | None = None, callback_days: bool = True) -> None:
        if rng.random() < 0.12 and rating is None:
            add("close", "clerk", 60, 3 * 1440)  # the reporter did not evaluate
            return
        if callback_days:
            add("evaluate", "clerk", 600, 3 * 1440, rating=rating or good_rating())
        else:
            add("evaluate", "clerk", 1, 8, rating=rating or good_rating())
        add("close", "clerk", 20, 1440)

    def handle(
        first: str, resolve_fields: dict[str, Any] | None = None, classify: bool = False
    ) -> None:
        """dispatch → accept → start → resolve, with the department doing the work."""
        add("dispatch", "clerk", 10, 240, department=first)
        add("accept", "handler", 20, 360)
        add("start", "handler", 5, 180)
        if classify:
            add("classify", "handler", 30, 600, nature="hard_to_do")
        work = (3 * 1440, 7 * 1440) if plan.difficulty == "hard" else (600, 3 * 1440)
        add(
            "resolve",
            "handler",
            *work,
            **(
                resolve_fields
                or {"outcome": "explained" if explained else "done", "resolution": resolution}
            ),
        )

    def after_resolve() -> None:
        feedback("clerk" if rng.random() < 0.65 else "handler")
        evaluate_and_close()

    sc = plan.scenario
    hard_classify = plan.difficulty == "hard" and rng.random() < 0.5
    spot_fields: dict[str, Any] = {
        "outcome": "explained" if explained else "done",
        "resolution": resolution,
    }

    if sc in ("spot_closed", "spot_resolved", "spot_feedback"):
        add("resolve_on_spot", "clerk", 8, 45, **spot_fields)
        if sc == "spot_resolved":
            return steps
        feedback("clerk", 1, 15, text=resolution)
        if sc == "spot_feedback":
            return steps
        evaluate_and_close(callback_days=rng.random() < 0.3)
    elif sc == "spot_policy":
        add("resolve_on_spot", "clerk", 10, 50, **policy_fields())
        feedback("clerk", 1, 15)
        evaluate_and_close(
            rating=rng.choice(("satisfied", "basically_satisfied", "very_satisfied")),
            callback_days=False,
        )
    elif sc == "immediate_dispatched":
        handle(dept)
        after_resolve()
    elif sc in ("flow_closed", "flow_resolved", "flow_feedback", "flow_evaluated"):
        handle(dept, classify=hard_classify)
        if sc == "flow_resolved":
            return steps
        feedback("clerk" if rng.random() < 0.65 else "handler")
        if sc == "flow_feedback":
            return steps
        if sc == "flow_evaluated":
            add("evaluate", "clerk", 600, 3 * 1440, rating=good_rating())
            return steps
        evaluate_and_close()
    elif sc == "evaluated_dissatisfied":
        # A bad review waiting for verification and rectification (or a reopen).
        handle(dept)
        feedback("clerk")
        add("evaluate", "clerk", 600, 2 * 1440, rating="dissatisfied")
    elif sc == "flow_policy":
        handle(dept, resolve_fields=policy_fields())
        feedback("clerk")
        evaluate_and_close(rating=rng.choice(("basically_satisfied", "satisfied")))
    elif sc == "policy_closed_by_supervisor":
        handle(dept, resolve_fields=policy_fields())
        feedback("clerk")
        add("evaluate", "clerk", 600, 2 * 1440, rating="very_dissatisfied")
        add(
            "close",
            "supervisor",
            1440,
            4 * 1440,
            reason="经督查回访核实，该诉求不符合政策规定，已充分解释并提供替代办法，申请人仍不认可；"
            "按规定归档，纳入类问题分析并向政策制定部门反馈。",
        )
    elif sc in ("returned_closed", "returned_waiting"):
        wrong = _wrong(rng, dept, set())
        add("dispatch", "clerk", 10, 240, department=wrong)
        if rng.random() < 0.5:
            add("accept", "handler", 20, 240)
        right_name = _dept_label(dept, s)
        add(
            "return",
            "handler",
            30,
            480,
            suggested=dept,
            reason=f"经核实，该事项属{right_name}职责，不在本单位受理范围，建议由{right_name}承办。",
        )
        if sc == "returned_waiting":
            return steps
        handle(dept)
        after_resolve()
    elif sc == "transferred_closed" and max_transfers >= 1:
        wrong = _wrong(rng, dept, set())
        add("dispatch", "clerk", 10, 240, department=wrong)
        add("accept", "handler", 20, 300)
        add("start", "handler", 10, 240)
        add(
            "transfer",
            "handler",
            60,
            2 * 1440,
            department=dept,
            reason=f"经研判，该诉求的核心环节在{_dept_label(dept, s)}，"
            "转其牵头办理，本单位配合提供资料。",
        )
        add("accept", "handler", 20, 300)
        add("start", "handler", 5, 120)
        work = (2 * 1440, 6 * 1440) if plan.difficulty == "hard" else (600, 3 * 1440)
        add("resolve", "handler", work[0], work[1], **spot_fields)
        after_resolve()
    elif sc in ("transfer_limit_open", "transfer_limit_closed", "transferred_closed"):
        # Passed from unit to unit until the limit; the next transfer is refused and the
        # case is flagged for the supervisor (joint meeting / task force).
        chain = [_wrong(rng, dept, set())]
        while len(chain) < max_transfers:
            chain.append(_wrong(rng, chain[-1], set(chain) | {dept}))
        chain.append(dept)
        chain = chain[-(max_transfers + 1) :]
        add("dispatch", "clerk", 10, 240, department=chain[0])
        for nxt in chain[1:]:
            add("accept", "handler", 30, 600)
            add(
                "transfer",
                "handler",
                240,
                3 * 1440,
                department=nxt,
                reason=f"该诉求涉及{_dept_label(nxt, s)}的审批环节，需其牵头办理。",
            )
        add("accept", "handler", 30, 600)
        add("start", "handler", 10, 240)
        extra = _wrong(rng, dept, set(chain))
        add(
            "transfer",
            "handler",
            600,
            3 * 1440,
            expect="case.transfer_limit_reached",
            department=extra,
            reason=f"涉及历史遗留问题，需{_dept_label(extra, s)}出具意见后方能办理。",
        )
        if sc == "transfer_limit_open":
            return steps
        add("classify", "handler", 1440, 3 * 1440, nature="hard_to_do")
        add(
            "resolve",
            "handler",
            5 * 1440,
            10 * 1440,
            outcome="done",
            resolution="经市政务服务中心召集相关部门召开联席会议，明确由"
            f"{_dept_label(dept, s)}牵头、相关部门配合限时办理。{resolution}",
        )
        after_resolve()
    elif sc in ("suspended_closed", "suspended_open"):
        handle_until_start = [
            ("dispatch", "clerk", 10, 240),
            ("accept", "handler", 20, 360),
            ("start", "handler", 5, 180),
        ]
        for action, actor, lo, hi in handle_until_start:
            add(action, actor, lo, hi, **({"department": dept} if action == "dispatch" else {}))
        add(
            "suspend",
            "handler",
            120,
            2 * 1440,
            reason=f"待申请人补正材料：{s['doc']}、{s['doc2']}（已一次性书面告知，补齐后恢复办理）。",
        )
        if sc == "suspended_open":
            return steps
        add("resume", "handler", 2 * 1440, 8 * 1440)
        add("resolve", "handler", 120, 2 * 1440, **spot_fields)
        after_resolve()
    elif sc in ("reopened_closed", "reopened_open"):
        handle(dept)
        feedback("clerk")
        add(
            "evaluate",
            "clerk",
            600,
            3 * 1440,
            rating=rng.choice(("dissatisfied", "dissatisfied", "very_dissatisfied")),
        )
        add("reopen", "clerk", 60, 1440, reason=rng.choice(REOPEN_REASONS))
        if sc == "reopened_open":
            return steps
        add("start", "handler", 30, 600)
        add(
            "resolve",
            "handler",
            1440,
            4 * 1440,
            outcome="done",
            resolution=f"重办：由分管负责人牵头重新核查，{resolution}",
        )
        feedback("clerk")
        add("evaluate", "clerk", 600, 3 * 1440, rating=good_rating())
        add("close", "clerk", 20, 1440)
    elif sc == "open_registered":
        pass
    elif sc in ("open_dispatched", "open_accepted", "open_in_progress"):
        add("dispatch", "clerk", 10, 180, department=dept)
        if sc == "open_dispatched":
            return steps
        add("accept", "handler", 20, 300)
        if sc == "open_accepted":
            return steps
        add("start", "handler", 5, 180)
        if hard_classify:
            add("classify", "handler", 30, 600, nature="hard_to_do")
    else:  # pragma: no cover - every scenario is listed above
        raise ValueError(sc)
    return steps


def _dept_label(key: str, slots: dict[str, Any]) -> str:
    if "." in key:
        district_key, agency = key.split(".")
        district = next(d for d in DISTRICTS if d[0] == district_key)
        suffix = dict(DISTRICT_AGENCIES_URBAN + DISTRICT_AGENCIES_COUNTY)[agency]
        return district[1] + suffix
    return _agency_full(AGENCY_NAMES[key]) if key in AGENCY_NAMES else key


def _agency_full(name: str) -> str:
    return name if name.startswith("国家") else CITY + name.removeprefix("市")


# --------------------------------------------------------------------------------------
# Time: office hours on State Council working days
# --------------------------------------------------------------------------------------

OPEN = time(8, 30)
CLOSE = time(17, 30)


@lru_cache(maxsize=4096)
def _is_workday(day: date) -> bool:
    try:
        import chinese_calendar

        return bool(chinese_calendar.is_workday(day))
    except (ImportError, NotImplementedError):
        # chinese_calendar raises NotImplementedError outside the years it covers; the demo
        # only needs plausible office days there.
        return day.weekday() < 5


def _office(instant: datetime) -> datetime:
    """The instant if it falls in office hours, else the next opening (plus a little)."""
    local = instant.astimezone(SHANGHAI)
    jitter = timedelta(minutes=(local.minute * 7 + local.hour * 13 + local.day * 5) % 95)
    day = local.date()
    while True:
        if _is_workday(day):
            start = datetime.combine(day, OPEN, SHANGHAI)
            end = datetime.combine(day, CLOSE, SHANGHAI)
            if local < start:
                return (start + jitter).astimezone(UTC)
            if local <= end:
                return local.astimezone(UTC)
        day += timedelta(days=1)
        local = datetime.combine(day, time(0), SHANGHAI)


OFFICE_MINUTES = (CLOSE.hour - OPEN.hour) * 60 + CLOSE.minute - OPEN.minute


@lru_cache(maxsize=8)
def _working_days_back(today: date) -> tuple[date, ...]:
    """Working days from ``today`` backwards (today first when it is one)."""
    days = (today - timedelta(days=i) for i in range(SPAN_DAYS * 3))
    return tuple(d for d in days if _is_workday(d))


def _registration(now: datetime, age_days: float) -> datetime:
    """The registration instant of a case ``age_days`` (calendar days) old, spread evenly
    over the office hours of working days: weekends and holidays get no registrations."""
    days = _working_days_back(now.astimezone(SHANGHAI).date())
    position = age_days * 5 / 7  # in working days
    index = min(int(position), len(days) - 1)
    minutes = int((position - int(position)) * OFFICE_MINUTES)
    local = datetime.combine(days[index], OPEN, SHANGHAI) + timedelta(minutes=minutes)
    return local.astimezone(UTC)


def _schedule(plan: Plan, now: datetime) -> list[datetime]:
    """Registration and step instants, in office hours, all before ``now``."""
    limit = now - timedelta(minutes=2)
    age = plan.age_days
    times: list[datetime] = []
    for _ in range(100):
        t = _registration(now, age)
        times = [t]
        for step in plan.steps:
            t = _office(t + timedelta(minutes=step.delay))
            times.append(t)
        if times[-1] <= limit:
            return times
        age += (times[-1] - limit).total_seconds() / 86400 + 0.05
    # Could not fit in office hours: keep the raw delays.
    t = now - timedelta(days=age)
    times = [t]
    for step in plan.steps:
        t = t + timedelta(minutes=step.delay)
        times.append(t)
    return times


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


def demo_is_loaded(session: Session) -> bool:
    return session.scalar(select(Department.id).limit(1)) is not None


@dataclass
class _Org:
    depts: dict[str, Department] = field(default_factory=dict)
    halls: dict[str, tuple[Hall, ServiceWindow]] = field(default_factory=dict)
    matters: dict[str, Matter] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    accounts: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    handler_of: dict[int, str] = field(default_factory=dict)  # department id -> username


def _build_org(session: Session, settings: Settings, password: str, seed: int) -> _Org:
    rng = random.Random(f"{seed}-org")
    org = _Org()
    d = org.depts
    sort = iter(range(1, 10_000))

    def dept(
        key: str,
        code: str,
        name: str,
        level: str,
        kind: str,
        parent: Department | None,
        short: str | None = None,
    ) -> Department:
        d[key] = create_department(
            session,
            code=code,
            name=name,
            level=level,
            kind=kind,
            parent=parent,
            short_name=short,
            sort=next(sort),
        )
        return d[key]

    city = dept("city", CITY_CODE, f"{CITY}人民政府", "city", "government", None, CITY)
    dept(
        "centre:city",
        f"{CITY_CODE}-ZWFW",
        f"{CITY}政务服务中心",
        "city",
        "centre",
        city,
        "市政务服务中心",
    )
    for key, name, short in CITY_AGENCIES:
        dept(key, f"{CITY_CODE}-{key.upper()}", _agency_full(name), "city", "agency", city, short)

    for dkey, dname, county, streets in DISTRICTS:
        code = f"{CITY_CODE}-{dkey.upper()}"
        gov = dept(dkey, code, f"{dname}人民政府", "district", "government", city, dname)
        centre_name = f"{dname}{'为民服务中心' if county else '政务服务中心'}"
        dept(f"centre:{dkey}", f"{code}-ZWFW", centre_name, "district", "centre", gov)
        agencies = DISTRICT_AGENCIES_COUNTY if county else DISTRICT_AGENCIES_URBAN
        for akey, aname in agencies:
            dept(
                f"{dkey}.{akey}", f"{code}-{akey.upper()}", dname + aname, "district", "agency", gov
            )
        for si, street in enumerate(streets, 1):
            st = dept(
                f"{dkey}.s{si}",
                f"{code}-S{si:02d}",
                street if street.endswith("街道") else f"{dname}{street}人民政府",
                "street",
                "government",
                gov,
                street,
            )
            rural = county and not street.endswith("街道")
            pool = RURAL_COMMUNITIES if rural else URBAN_COMMUNITIES
            for ci, cname in enumerate(rng.sample(pool, rng.randint(2, 3)), 1):
                dept(
                    f"{dkey}.s{si}.c{ci}",
                    f"{code}-S{si:02d}-C{ci}",
                    street + cname,
                    "community",
                    "government",
                    st,
                    cname,
                )

    # Halls and windows: one feedback window per hall.
    def hall(
        key: str, dept_key: str, name: str, address: str, windows: tuple[tuple[str, str], ...]
    ) -> None:
        h = Hall(department_id=d[dept_key].id, name=name, address=address)
        session.add(h)
        session.flush()
        feedback_window: ServiceWindow | None = None
        for number, wname in windows:
            w = ServiceWindow(
                hall_id=h.id, number=number, name=wname, is_feedback_window="办不成事" in wname
            )
            session.add(w)
            if w.is_feedback_window:
                feedback_window = w
        session.flush()
        assert feedback_window is not None
        org.halls[key] = (h, feedback_window)

    hall(
        "city",
        "centre:city",
        "云川市民中心政务服务大厅",
        "云川市江城区市民大道88号市民中心一楼",
        CITY_HALL_WINDOWS,
    )
    hall(
        "city-enterprise",
        "centre:city",
        "云川市民中心企业服务分厅",
        "云川市江城区市民大道88号市民中心二楼",
        CITY_ENTERPRISE_HALL_WINDOWS,
    )
    roads = ("人民路", "湖滨路", "钢城大道", "云台大道", "白沙路")
    for (dkey, dname, _county, _streets), road in zip(DISTRICTS, roads, strict=True):
        hall(
            dkey,
            f"centre:{dkey}",
            f"{d['centre:' + dkey].name}办事大厅",
            f"云川市{dname}{road}{rng.randint(1, 300)}号",
            DISTRICT_HALL_WINDOWS,
        )

    for code, name, agency, materials in MATTERS:
        m = Matter(
            code=code,
            name=name,
            department_id=d[agency].id,
            materials=list(materials),
            active=True,
            description=None,
        )
        session.add(m)
        org.matters[code] = m
    session.flush()

    # Staff accounts.
    def user(username: str, role: str, dept_key: str, scope: str, title: str) -> None:
        existing = session.scalar(select(User).where(User.username == username))
        if existing is not None:  # e.g. an administrator created before the demo
            org.users[username] = existing
            org.accounts.append(
                (
                    username,
                    existing.role,
                    existing.data_scope,
                    _dept_name(session, existing.department_id),
                    "(existing account, unchanged)",
                )
            )
            return
        u = create_user(
            session,
            settings,
            username=username,
            display_name=chinese_name(rng),
            role=role,
            department_id=d[dept_key].id,
            data_scope=scope,
            password=password,
            must_change_password=False,
            check_policy=False,
        )
        org.users[username] = u
        org.accounts.append(
            (username, role, scope, d[dept_key].name, f"{u.display_name}（{title}）")
        )

    user("admin", "admin", "centre:city", "all", "系统管理员")
    user("clerk", "clerk", "centre:city", "all", "“办不成事”窗口受理员")
    user("clerk2", "clerk", "centre:city", "all", "帮办代办员")
    user("supervisor", "supervisor", "centre:city", "all", "效能督查科")
    user("leader", "leader", "centre:city", "all", "中心主任·局长热线")
    for key, _name, short in CITY_AGENCIES:
        if key not in NO_HANDLER:
            user(f"handler_{key}", "handler", key, "dept", f"{short}承办人")
    for dkey, dname, _county, _streets in DISTRICTS:
        user(f"clerk_{dkey}", "clerk", f"centre:{dkey}", "dept_and_below", f"{dname}窗口受理员")
        user(f"handler_{dkey}", "handler", dkey, "dept_and_below", f"{dname}承办人")
        user(f"leader_{dkey}", "leader", dkey, "dept_and_below", f"{dname}分管领导")

    # Who handles each department's cases: its own handler, else the nearest above.
    handler_by_dept = {
        u.department_id: name for name, u in org.users.items() if u.role == "handler"
    }
    parents = {x.id: x.parent_id for x in d.values()}
    for x in d.values():
        cur: int | None = x.id
        while cur is not None and cur not in handler_by_dept:
            cur = parents.get(cur)
        if cur is not None:
            org.handler_of[x.id] = handler_by_dept[cur]
    return org


@contextmanager
def _one_hash_per_password() -> Iterator[None]:
    """Hash the shared demo password once for all demo accounts.

    ``create_user`` hashes with argon2id on every call (0.3–0.5 s here), which would make
    40 accounts cost most of the load. Every demo account has the same password anyway, so
    sharing one hash (and its salt) reveals nothing more. Restored on exit."""
    original = org_service.hash_password
    memo: dict[str, str] = {}

    def hash_once(password: str) -> str:
        if password not in memo:
            memo[password] = original(password)
        return memo[password]

    org_service.hash_password = hash_once  # type: ignore[assignment]
    try:
        yield
    finally:
        org_service.hash_password = original  # type: ignore[assignment]


def _dept_name(session: Session, dept_id: int) -> str:
    dept = session.get(Department, dept_id)
    return dept.name if dept else str(dept_id)


# Which city department takes each subject category of the routing model.
ROUTING_TARGETS = {
    "劳动和社会保障": "市人力资源和社会保障局",
    "城乡建设": "市住房和城乡建设局",
    "教育文体": "市教育局",
    "商贸旅游": "市商务局",
    "环境保护": "市生态环境局",
    "卫生计生": "市卫生健康委员会",
    "交通运输": "市交通运输局",
}


def _seed_routing_targets(session: Session) -> None:
    from bancheng.routing.models import RoutingTarget

    for category, name in ROUTING_TARGETS.items():
        # The city's departments carry its name: 市教育局 is 云川市教育局.
        full = CITY + name.removeprefix("市")
        dept_id = session.scalar(select(Department.id).where(Department.name == full))
        if dept_id is not None and session.get(RoutingTarget, category) is None:
            session.add(RoutingTarget(category=category, department_id=dept_id))
    session.flush()


def load_demo(
    session: Session,
    settings: Settings,
    *,
    password: str,
    n_cases: int = 300,
    seed: int,
    now: datetime | None = None,
) -> str:
    """Build the demo city, its staff and ``n_cases`` cases; return a summary.

    Every lifecycle state, staff channel, kind, difficulty and blocker type is present from
    ``n_cases >= 25``. ``now`` (default: the clock) anchors the six months; the clock is
    restored afterwards whatever happens. Refused with ``demo.already_loaded`` when the
    demo city exists, and always under ``BANCHENG_ENV=production``."""
    if settings.env == "production":
        raise Conflict("demo.production", "生产环境不加载演示数据")
    if session.scalar(select(Department.id).where(Department.code == CITY_CODE)) is not None:
        raise Conflict("demo.already_loaded", f"演示数据（{CITY}）已经存在")
    now = (now or clock.now()).astimezone(UTC)
    plans = plan_cases(seed, n_cases, settings.max_transfers)
    schedules = {p.idx: _schedule(p, now) for p in plans}
    current = [now - timedelta(days=SPAN_DAYS + 40)]  # the organisation predates the cases
    clock.set_clock(lambda: current[0])
    # Six months of made-up history tell no one anything (no SMS, webhooks or notices).
    from bancheng.notify.messages import SUPPRESS

    session.info[SUPPRESS] = True
    try:
        with _one_hash_per_password():
            org = _build_org(session, settings, password, seed)
        _seed_routing_targets(session)
        cases = _replay(session, settings, org, plans, schedules, current)
    finally:
        session.info.pop(SUPPRESS, None)
        clock.set_clock(None)
    # The accounts predate the cases, but their password was handed out just now: password
    # age (BANCHENG_PASSWORD_MAX_AGE_DAYS) starts today.
    for user in org.users.values():
        user.password_changed_at = now
    _seed_library(session, principal_for(session, org.users["supervisor"]), cases)
    ratings = (
        [
            str(details.get("rating"))
            for details in session.scalars(
                select(CaseEvent.details).where(
                    CaseEvent.action == "evaluate",
                    CaseEvent.case_id.in_([c.id for c in cases]),
                )
            )
        ]
        if cases
        else []
    )
    return _summary(org, cases, ratings, now)


# How many resolved demo cases the library publishes (anonymised), at most one per
# (kind, blocker type), so that precedents show up for the common matters.
LIBRARY_SIZE = 12


def _seed_library(session: Session, curator: Principal, cases: list[Case]) -> list[int]:
    """Publish anonymised library cases drafted from resolved demo cases, through the
    library's own service (masking at drafting, the personal-data check at publishing)."""
    from bancheng.knowledge import service as library

    blockers = LABELS_ZH["blocker_type"]
    kinds = LABELS_ZH["kind"]
    seen: set[tuple[str, str]] = set()
    published: list[int] = []
    for case in sorted(cases, key=lambda c: c.id):
        if len(published) >= LIBRARY_SIZE:
            break
        key = (case.kind, case.blocker_type)
        if case.state not in library.RESOLVED_STATES or key in seen or case.outcome is None:
            continue
        if case.outcome in ("unreasonable", "invalid") or not (case.resolution or "").strip():
            continue
        solution = case.resolution or ""
        if case.outcome == "cannot_by_policy" and case.alternative:
            solution = f"{solution}\n替代办法：{case.alternative}"
        lib = library.draft_from_case(
            session,
            curator,
            case.id,
            {
                "stuck_point": f"{blockers.get(case.blocker_type, '其他')}：{case.title}",
                "solution": solution,
                "tags": [kinds.get(case.kind, case.kind), blockers.get(case.blocker_type, "")],
            },
        )
        if library.personal_data(lib):
            library.remask(session, lib)
        if library.personal_data(lib):
            continue  # never publish what the masker cannot clean
        library.publish(session, curator, lib)
        seen.add(key)
        published.append(lib.id)
    return published


def _replay(
    session: Session,
    settings: Settings,
    org: _Org,
    plans: list[Plan],
    schedules: dict[int, list[datetime]],
    current: list[datetime],
) -> list[Case]:
    principals: dict[str, Principal] = {}

    def principal(username: str) -> Principal:
        if username not in principals:
            principals[username] = principal_for(session, org.users[username])
        return principals[username]

    def dept_id(key: str) -> int:
        return org.depts[key].id

    created: list[Case] = []
    for plan in sorted(plans, key=lambda p: (schedules[p.idx][0], p.idx)):
        times = schedules[plan.idx]
        current[0] = times[0]
        hall, window = org.halls[
            plan.centre
            if plan.centre != "city"
            else ("city-enterprise" if plan.template.reporter == "enterprise" else "city")
        ]
        at_window = plan.channel == "window"
        matter = org.matters.get(plan.template.matter or "")
        data = CaseCreate(
            channel=Channel(plan.channel),
            kind=Kind(plan.template.kind),
            difficulty=Difficulty(plan.difficulty),
            blocker_type=BlockerType(plan.template.blocker),
            # A matter stuck between departments is often also short of materials.
            blocker_types=[BlockerType(plan.template.blocker), BlockerType.missing_materials]
            if plan.template.blocker == "cross_department" and plan.idx % 2 == 0
            else None,
            title=plan.title,
            description=plan.description,
            reporter=ReporterIn(**plan.reporter),
            matter_id=matter.id if matter else None,
            stuck_department_id=dept_id(plan.dept),
            hall_id=hall.id if at_window else None,
            window_id=window.id if at_window else None,
        )
        clerk = principal(plan.clerk)
        case, _ = service.create_case(session, settings, clerk, data)
        for step, at in zip(plan.steps, times[1:], strict=True):
            current[0] = at
            if step.actor == "clerk":
                actor = clerk
            elif step.actor == "supervisor":
                actor = principal("supervisor")
            else:
                actor = principal(org.handler_of[case.current_department_id])
            fields = dict(step.fields)
            if "department" in fields:
                fields["department_id"] = dept_id(fields.pop("department"))
            if "suggested" in fields:
                fields["suggested_department_id"] = dept_id(fields.pop("suggested"))
            body = ActionIn(version=case.version, **fields)
            try:
                actions.perform(session, settings, actor, case, step.action, body)
            except DomainError as exc:
                if exc.code != step.expect:
                    raise RuntimeError(
                        f"demo case {case.number} ({plan.scenario}): {step.action} refused: "
                        f"{exc.code}: {exc.detail}"
                    ) from exc
        created.append(case)
    session.flush()
    return created


def _pct(num: int, den: int) -> str:
    return f"{100 * num / den:.1f}%" if den else "n/a"


def _summary(org: _Org, cases: list[Case], ratings: list[str], now: datetime) -> str:
    states = Counter(c.state for c in cases)
    channels = Counter(c.channel for c in cases)
    kinds = Counter(c.kind for c in cases)
    immediate = [c for c in cases if c.difficulty == "immediate"]
    on_spot = sum(1 for c in immediate if c.resolved_on_spot)
    bad = {r.value for r in BAD_RATINGS}
    satisfied = sum(1 for r in ratings if r not in bad)
    flagged = sum(1 for c in cases if c.needs_supervision)
    levels = Counter(d.level for d in org.depts.values())
    windows = len(org.halls)
    first = min((c.registered_at for c in cases), default=now)
    numbers = sorted(c.number for c in cases)

    def fmt(counter: Counter[str], group: str, order: list[str]) -> str:
        labels = LABELS_ZH[group]
        return ", ".join(f"{k} {labels.get(k, k)} {counter[k]}" for k in order if counter[k])

    paragraph = (
        f"Demo city {CITY} loaded: {len(org.depts)} departments (city {levels['city']}, "
        f"district {levels['district']}, street {levels['street']}, "
        f"community {levels['community']}), {windows} halls each with a 办不成事 feedback "
        f"window, {len(org.matters)} matters in the catalogue, {len(org.accounts)} staff "
        f"accounts. {len(cases)} cases registered between "
        f"{clock.to_local(first):%Y-%m-%d} and {clock.to_local(now):%Y-%m-%d}"
        + (f" ({numbers[0]} … {numbers[-1]})" if numbers else "")
        + f". By state: {fmt(states, 'state', [s.value for s in State])}. "
        f"By channel: {fmt(channels, 'channel', [c.value for c in Channel])}. "
        f"By kind: {fmt(kinds, 'kind', [k.value for k in Kind])}. "
        f"On-spot resolution {_pct(on_spot, len(immediate))} of immediate cases; "
        f"satisfaction {_pct(satisfied, len(ratings))} of {len(ratings)} evaluations "
        f"(including those later reopened); "
        f"{flagged} flagged for supervision after reaching the transfer limit."
    )
    width = max(len(a[0]) for a in org.accounts) + 2
    # ASCII columns first, so that the table lines up whatever the width of Chinese text.
    lines = [
        paragraph,
        "",
        "Demo staff accounts (all share the demo password):",
        f"{'username'.ljust(width)}{'role'.ljust(12)}{'scope'.ljust(16)}unit · name (post)",
    ]
    for username, role, scope, unit, who in org.accounts:
        lines.append(
            f"{username.ljust(width)}{role.ljust(12)}{scope.ljust(16)}"
            f"{ROLE_LABELS_ZH.get(role, role)} · {unit} · {who}"
        )
    return "\n".join(lines)
