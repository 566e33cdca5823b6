"""A person's name as the same name across departments' files.

Clerks type one name several ways: a space to align a two-character name (张  三), full-width letters and
the ideographic space, upper or lower case in a Latin name, and the separator dot of a minority name in
any of its look-alikes (阿卜杜·热合曼, 阿卜杜•热合曼, 阿卜杜.热合曼). None of that makes another person.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# white space, and what a copy from a web page leaves unseen (zero-width space and joiners, BOM)
INVISIBLE = r"[\s\x{200B}-\x{200D}\x{2060}\x{FEFF}]+"
# the separator dot of 少数民族 names (U+00B7) and what keyboards and fonts put in its place
DOTS = r"[·•‧∙⋅・･.．。]"


def compact(values: pd.Series) -> pd.Series:
    """Names folded for comparing: NFKC, no white space or invisible characters, one separator dot, upper
    case (NA stays NA).

    >>> compact(pd.Series(["张  三", "阿卜杜•热合曼", "阿卜杜.热合曼", "ＬＩ　Ｍｉｎｇ", "\ufeff王芳\u200b", None])).tolist()
    ['张三', '阿卜杜·热合曼', '阿卜杜·热合曼', 'LIMING', '王芳', nan]
    """
    text = pc.utf8_normalize(pa.array(values.astype("str"), type=pa.string()), "NFKC")
    text = pc.replace_substring_regex(pc.replace_substring_regex(text, INVISIBLE, ""), DOTS, "·")
    return pd.Series(pc.utf8_upper(text), index=values.index, dtype="str")


def differ(first: pd.Series, second: pd.Series) -> pd.Series:
    """Where two aligned name columns name different people: folded (:func:`compact`) only where the text
    differs, so a million equal names cost one comparison each.

    >>> differ(pd.Series(["张三", "张  三", "李四"]), pd.Series(["张三", "张三", "李五"])).tolist()
    [False, False, True]
    """
    out = (first.astype("str").fillna("") != second.astype("str").fillna("")).to_numpy(dtype=bool, copy=True)
    if out.any():
        out[out] = (compact(first[out]).fillna("") != compact(second[out]).fillna("")).to_numpy(dtype=bool)
    return pd.Series(out, index=first.index)
