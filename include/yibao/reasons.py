"""Row-level rejection reasons other than the ID number's own (those live in :mod:`yibao.ids`).

Every rejected row carries stable codes (for machines and reports) and a Chinese sentence the
department clerk can act on. :class:`Problems` gathers them column-wise, without row loops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from yibao.masking import quote_cells


@dataclass(frozen=True)
class Reason:
    message: str  # what is wrong, in the clerk's words
    hint: str  # what to do about it


ROW_REASONS: dict[str, Reason] = {
    "NAME_EMPTY": Reason("姓名为空", "请补填姓名"),
    "LABEL_EMPTY": Reason("人员类别为空", "请按模板注明人员类别"),
    "LABEL_UNKNOWN": Reason("人员类别无法识别", "请使用通知规定的人员类别名称"),
    "LABEL_NOT_FOR_DEPT": Reason("该人员类别不由本部门认定", "请由负责认定的部门报送"),
    "DUPLICATE_ROW": Reason("重复记录（同一人同一类别已在本名单中出现）", "请删除重复行"),
    "CHANGE_TYPE_BAD": Reason("动态调整类型应为“新增”或“退出”", "请更正动态调整类型"),
    "DATE_MISSING": Reason("动态调整时间为空", "请填写新增或退出的生效日期（精确到年月日）"),
    "EXIT_BEFORE_CAMPAIGN": Reason("退出时间早于本年度征缴开始日期，不在本期调整范围",
                                   "请核实退出时间；往年已退出的人员应从总名单中删除，而不是列入本期调整名单"),
    "DATE_BAD": Reason("日期无法识别", "请按“年-月-日”填写，例如 2023-10-08"),
    "AMOUNT_BAD": Reason("缴费金额无法识别", "请填写以元为单位、最多两位小数的金额"),
    "YEAR_BAD": Reason("缴费年度无法识别", "请填写四位年度，例如 2024"),
    "GRADE_BAD": Reason("残疾等级无法识别", "请填写一级至四级"),
    "ATTRIBUTE_BAD": Reason("取值无法识别", "请按通知规定的取值填写"),
    "NOT_IN_REGISTER": Reason("户籍和居住证信息中均无此人", "请核实身份证号码和姓名"),
    "DECEASED": Reason("户籍状态为死亡", "请核实并作退出处理"),
    "MOVED_OUT": Reason("户籍已迁出本县", "请核实并作退出处理"),
    "NAME_MISMATCH": Reason("姓名与户籍登记不一致", "请核实姓名和身份证号码"),
    "ROW_RAGGED": Reason("该行的列数与表头不一致，无法对应到各列",
                         "姓名、地址等内容中如有逗号，请给该内容加英文双引号，或改用 Excel 模板后重新报送"),
}


class Problems:
    """Accumulates (mask, code, text) over a frame and renders codes and messages per row.

    Only the marked rows are rendered and touched: a clean feed of a million rows costs nothing here.
    """

    def __init__(self, index: pd.Index):
        self.index = index
        self.codes = pd.Series("", index=index, dtype="str")
        self.texts = pd.Series("", index=index, dtype="str")

    def _mask(self, mask: pd.Series | np.ndarray) -> np.ndarray:
        return pd.Series(mask, index=self.index).fillna(False).astype(bool).to_numpy()

    def add(self, mask: pd.Series | np.ndarray, code: str, detail: str | pd.Series = "") -> None:
        """Mark rows where ``mask`` holds with ``code``; ``detail`` (text, or per row by index label)
        extends the standard message."""
        marked = self._mask(mask)
        if marked.any():
            self._add(marked, code, detail)

    def _add(self, marked: np.ndarray, code: str, detail: str | pd.Series) -> None:
        reason = ROW_REASONS[code]
        if isinstance(detail, pd.Series):
            text = reason.message + "：" + detail.reindex(self.index[marked], fill_value="")
        else:
            text = reason.message + (f"：{detail}" if detail else "")
        self._append(marked, code, text + "，" + reason.hint)

    def add_quoted(self, mask: pd.Series | np.ndarray, code: str, values: pd.Series, prefix: str = "") -> None:
        """Like :meth:`add`, quoting each marked row's cell safely (see :func:`quote_cells`)."""
        marked = self._mask(mask)
        if marked.any():
            self._add(marked, code, prefix + quote_cells(values[marked]))

    def replace(self, mask: pd.Series | np.ndarray, code: str, detail: str | pd.Series = "") -> None:
        """Like :meth:`add`, but ``code`` becomes these rows' only problem (others were side effects)."""
        marked = self._mask(mask)
        if marked.any():
            self.codes = self.codes.where(~marked, "")
            self.texts = self.texts.where(~marked, "")
            self._add(marked, code, detail)

    def add_rendered(self, codes: pd.Series, texts: pd.Series) -> None:
        """Add problems whose codes and messages were already rendered (e.g. by the ID check) to the rows
        of their index; rows with no code are left alone."""
        codes = codes[codes != ""]
        marked = self.index.isin(codes.index)
        if marked.any():
            at = self.index[marked]
            self._append(marked, codes.reindex(at), texts.reindex(at))

    def _append(self, marked: np.ndarray, code: str | pd.Series, text: str | pd.Series) -> None:
        codes, texts = self.codes[marked], self.texts[marked]
        first = (codes == "").to_numpy()
        code = codes + np.where(first, "", ",") + code
        text = texts + np.where(first, "", "；") + text
        self.codes[marked] = code.to_numpy() if isinstance(code, pd.Series) else code
        self.texts[marked] = text.to_numpy() if isinstance(text, pd.Series) else text

    @property
    def rejected(self) -> pd.Series:
        return self.codes != ""
