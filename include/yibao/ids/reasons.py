"""Why an ID number was rejected or flagged: stable codes, bit positions and Chinese messages for clerks.

Codes and bits are stable (feedback workbooks and stored masks depend on them): append, never reorder.

>>> REASONS["BAD_CHECK"].bit, REASONS["LEGACY_15"].level
(64, 'info')
>>> codes_of(REASONS["BAD_CHECK"].bit | REASONS["LEGACY_15"].bit)
['BAD_CHECK', 'LEGACY_15']
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Reason:
    code: str
    bit: int
    level: str  # 'error' makes the ID invalid; 'info' is reported but accepted
    message: str  # what is wrong, in the clerk's words; BAD_CHECK has a {check} slot
    hint: str  # what the clerk should do about it


_DEFINITIONS = [
    ("EMPTY", "error", "身份证号码为空", "请补填身份证号码"),
    (
        "EXCEL_SCIENTIFIC",
        "error",
        "身份证号码被Excel存成了科学计数法（如3.70481E+17），后几位已丢失",
        "按户口簿或身份证重新录入；录入前把该列设为“文本”格式",
    ),
    (
        "EXCEL_DECIMAL",
        "error",
        "身份证号码被当作数字保存（带小数，如“.0”），可能已失真",
        "按户口簿或身份证重新录入；录入前把该列设为“文本”格式",
    ),
    (
        "TRUNCATED",
        "error",
        "身份证号码只有16～17位，末尾已丢失",
        "按户口簿或身份证补全18位号码",
    ),
    ("BAD_LENGTH", "error", "身份证号码位数不对（应为18位，旧证15位）", "核对位数后重新录入"),
    (
        "BAD_CHARS",
        "error",
        "身份证号码含非法字符（只能是数字，18位号码末位可为X）",
        "删除字母、汉字等字符后重新录入",
    ),
    (
        "BAD_CHECK",
        "error",
        "校验位错误，应为{check}",
        "号码有一位录错或相邻两位颠倒，请对照证件逐位核对",
    ),
    ("BAD_BIRTH_DATE", "error", "出生日期（第7～14位）不是有效日期", "核对第7～14位出生日期"),
    ("FUTURE_BIRTH", "error", "出生日期晚于当前日期", "核对第7～14位出生日期"),
    ("TOO_OLD", "error", "出生日期早于120年前，不合常理", "核对第7～14位出生日期"),
    (
        "UNKNOWN_REGION",
        "error",
        "前6位地址码不在国家行政区划代码（GB/T 2260）中",
        "核对前6位地址码",
    ),
    (
        "REGION_RETIRED",
        "error",
        "前6位地址码在出生年份之前已撤销，不可能用于此人",
        "核对前6位地址码和出生年份",
    ),
    ("LEGACY_15", "info", "15位旧号码，已自动升级为18位", "以升级后的18位号码为准，可提醒本人换领新证"),
    (
        "OUTSIDE_HOME_REGION",
        "info",
        "地址码不属于本县（市、区）",
        "确认此人户籍是否在本地，外地户籍应在户籍地参保",
    ),
]

REASONS: dict[str, Reason] = {
    code: Reason(code=code, bit=1 << i, level=level, message=message, hint=hint)
    for i, (code, level, message, hint) in enumerate(_DEFINITIONS)
}

#: Bits that make an ID invalid.
ERROR_MASK = sum(r.bit for r in REASONS.values() if r.level == "error")


def codes_of(mask: int) -> list[str]:
    """Reason codes set in ``mask``, in the stable order of :data:`REASONS`."""
    return [r.code for r in REASONS.values() if mask & r.bit]


def bit(code: str) -> int:
    """The bit of one reason code."""
    return REASONS[code].bit
