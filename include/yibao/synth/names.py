"""Chinese names: surnames by frequency, given names from common characters.

A few rare characters are mixed in on purpose. '𠮷' (U+20BB7) and '䶮' (U+4DAE) are outside GBK but
inside GB18030, so a reader that decodes GB18030 files as GBK fails on them; '堃', '喆', '昇' are rare
in GBK and common in real registers.
"""

from __future__ import annotations

import numpy as np

# The most common surnames of northern China with rough relative frequencies (per mille of people).
SURNAMES = {
    "王": 75,
    "李": 74,
    "张": 72,
    "刘": 55,
    "陈": 45,
    "杨": 32,
    "赵": 23,
    "黄": 22,
    "周": 21,
    "吴": 20,
    "徐": 17,
    "孙": 16,
    "胡": 13,
    "朱": 13,
    "高": 13,
    "林": 12,
    "何": 12,
    "郭": 12,
    "马": 12,
    "罗": 10,
    "梁": 9,
    "宋": 9,
    "郑": 9,
    "谢": 8,
    "韩": 8,
    "唐": 8,
    "冯": 8,
    "于": 7,
    "董": 7,
    "萧": 6,
    "程": 6,
    "曹": 6,
    "袁": 6,
    "邓": 6,
    "许": 6,
    "傅": 5,
    "沈": 5,
    "曾": 5,
    "彭": 5,
    "吕": 5,
    "苏": 5,
    "卢": 5,
    "蒋": 5,
    "蔡": 5,
    "贾": 5,
    "丁": 4,
    "魏": 4,
    "薛": 4,
    "叶": 4,
    "阎": 4,
    "余": 4,
    "潘": 4,
    "杜": 4,
    "戴": 4,
    "夏": 4,
    "钟": 4,
    "汪": 3,
    "田": 3,
    "任": 3,
    "姜": 3,
    "范": 3,
    "方": 3,
    "石": 3,
    "姚": 3,
    "谭": 3,
    "廖": 3,
    "邹": 3,
    "熊": 3,
    "金": 3,
    "陆": 3,
    "郝": 3,
    "孔": 3,
    "白": 3,
    "崔": 3,
    "康": 3,
    "毛": 3,
    "邱": 3,
    "秦": 3,
    "江": 3,
    "史": 3,
    "顾": 2,
    "侯": 2,
    "邵": 2,
    "孟": 2,
    "龙": 2,
    "万": 2,
    "段": 2,
    "雷": 2,
    "钱": 2,
    "汤": 2,
    "尹": 2,
    "黎": 2,
    "易": 2,
    "常": 2,
    "武": 2,
    "乔": 2,
    "贺": 2,
    "赖": 2,
    "龚": 2,
    "文": 2,
    "裴": 2,
    "卫": 2,
    "聂": 1,
    "柴": 1,
    "牛": 1,
    "耿": 1,
    "申": 1,
    "葛": 1,
    "庞": 1,
    "司马": 1,
}
MALE_CHARS = list("伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林建国志红文斌春海庆生永东兴")
FEMALE_CHARS = list("芳娜敏静丽艳娟霞秀英慧巧美淑惠珍玉桂兰凤洁琳素云莲真环雪荣爱妹香月莺媛瑞凡佳嘉琼")
COMMON_CHARS = list("子晓小宏思天金德建亚中新秋欣雨梦一")
RARE_CHARS = ["𠮷", "䶮", "堃", "喆", "昇"]
NON_GBK_CHARS = ["𠮷", "䶮"]
RARE_RATE = 0.002  # share of given names that end in a rare character


def _pick(rng: np.random.Generator, chars: list[str], n: int) -> np.ndarray:
    return np.asarray(chars, dtype=object)[rng.integers(0, len(chars), n)]


def surnames(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` surnames drawn by frequency."""
    names = np.asarray(list(SURNAMES), dtype=object)
    weights = np.asarray(list(SURNAMES.values()), dtype=float)
    return names[rng.choice(len(names), size=n, p=weights / weights.sum())]


def given_names(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    """Given names of one or two characters, male or female by ``male``, some ending in a rare character."""
    n = len(male)
    second = np.where(male, _pick(rng, MALE_CHARS, n), _pick(rng, FEMALE_CHARS, n))
    first = np.where(
        rng.random(n) < 0.5,
        _pick(rng, COMMON_CHARS, n),
        np.where(male, _pick(rng, MALE_CHARS, n), _pick(rng, FEMALE_CHARS, n)),
    )
    two = rng.random(n) < 0.7
    rare = rng.random(n) < RARE_RATE
    second = np.where(rare, _pick(rng, RARE_CHARS, n), second)
    return np.where(two, first + second, second)
