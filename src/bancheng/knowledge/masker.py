"""Masks personal data in Chinese text: phone numbers, ID numbers, unified social credit
codes, person names and street-level addresses.

``find_personal_data`` lists what it finds; ``mask`` replaces it:

- mobile and landline numbers → ``[电话]``
- 18-digit resident ID numbers → ``[身份证号]``
- unified social credit codes → ``[信用代码]``
- names: a known name (the reporter's) and ``我叫/名叫/姓名：`` + name → surname + ``某``
  (``张三`` → ``张某``); a surname + 先生/女士/师傅/阿姨/大爷 → ``某先生`` ...
- addresses: a road with a house number (``解放西路12号``) or a residential compound with a
  building, unit or room (``幸福小区3栋2单元501室``) → ``[地址]``. Province, city and
  district names stay: they do not identify a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The commonest single-character surnames (about 90% of the population).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
    "屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_S = f"[{SURNAMES}]"
_GIVEN = "[\u4e00-\u9fa5]"
_HONORIFIC = "先生|女士|师傅|阿姨|大爷|大妈|大姐|老板"
_CN_NUM = "[0-9０-９一二三四五六七八九十百零〇]+"
_NOT_PLACE = r"[^\s\d，。,.、；;：:！!？?()（）“”\"'住在于到的是和及与从往向省市区县镇乡]"

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
CREDIT_CODE = re.compile(
    r"(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Za-z])"
)
MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
LANDLINE = re.compile(r"(?<!\d)(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3}[- ]?)\d{7,8}(?!\d)")
INTRODUCED_NAME = re.compile(
    rf"(?P<lead>我叫|名叫|叫做|姓名[:：]?|联系人[:：]?|申请人[:：]?|反映人[:：]?)"
    rf"(?P<name>{_S}(?:(?!某){_GIVEN}){{1,2}}?)(?=[，。,.、；;：:！!？?\s（(]|$|来|去|在|于|的|是|反映|说|称|因|到|和)"
)
HONORIFIC_NAME = re.compile(rf"{_S}(?P<title>{_HONORIFIC})")
ROAD_ADDRESS = re.compile(
    rf"{_NOT_PLACE}{{1,8}}?(?:路|街|大道|大街|巷|胡同)(?:{_CN_NUM}(?:号院|号楼|号|弄))"
    rf"(?:{_CN_NUM}(?:栋|幢|号楼|单元|层|楼|室|号))*"
)
COMPOUND_ADDRESS = re.compile(
    rf"{_NOT_PLACE}{{1,8}}?(?:小区|花园|家园|公寓|新村|社区|村)"
    rf"(?:{_CN_NUM}(?:期|区))?(?:{_CN_NUM}(?:栋|幢|号楼|单元|层|楼|室|号|组))+"
)


@dataclass(frozen=True)
class Finding:
    kind: str  # phone | id_number | credit_code | name | address
    text: str
    start: int
    end: int


_REPLACEMENT = {
    "id_number": "[身份证号]",
    "credit_code": "[信用代码]",
    "phone": "[电话]",
    "address": "[地址]",
}


def _name_replacement(name: str) -> str:
    return name[0] + "某"


def find_personal_data(text: str, names: list[str] | tuple[str, ...] = ()) -> list[Finding]:
    """Everything the masker would replace, left to right, without overlaps."""
    found: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int) -> None:
        if start >= end or any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        found.append(Finding(kind, text[start:end], start, end))

    for m in ID_NUMBER.finditer(text):
        add("id_number", m.start(), m.end())
    for m in CREDIT_CODE.finditer(text):
        if re.search(r"[A-Z]", m.group()[:-1]):  # all digits: an ID-like number, not a code
            add("credit_code", m.start(), m.end())
    for m in MOBILE.finditer(text):
        add("phone", m.start(), m.end())
    for m in LANDLINE.finditer(text):
        add("phone", m.start(), m.end())
    for m in ROAD_ADDRESS.finditer(text):
        add("address", m.start(), m.end())
    for m in COMPOUND_ADDRESS.finditer(text):
        add("address", m.start(), m.end())
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len)[::-1]:
        for m in re.finditer(re.escape(name), text):
            add("name", m.start(), m.end())
    for m in INTRODUCED_NAME.finditer(text):
        add("name", m.start("name"), m.end("name"))
    for m in HONORIFIC_NAME.finditer(text):
        add("name", m.start(), m.start("title"))
    found.sort(key=lambda f: f.start)
    return found


def mask(text: str, names: list[str] | tuple[str, ...] = ()) -> str:
    """The text with every finding replaced (see the module docstring)."""
    out: list[str] = []
    pos = 0
    for f in find_personal_data(text, names):
        out.append(text[pos : f.start])
        if f.kind != "name":
            out.append(_REPLACEMENT[f.kind])
        elif text[f.end : f.end + 2] in _HONORIFIC.split("|") or text[f.end : f.end + 1] in ("先",):
            out.append("某")
        else:
            out.append(_name_replacement(f.text))
        pos = f.end
    out.append(text[pos:])
    return "".join(out)
