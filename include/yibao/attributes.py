"""Person attributes that rules may test (残疾等级, 残疾类别, 户籍性质 …), declared in the feed configs.

A feed config's ``attributes`` block turns one of its roster columns into an attribute: the Chinese
label, the accepted texts and their values (omit ``values`` to use the text itself), and how several
rows of one person combine (``min`` / ``max``: e.g. the most severe disability grade is the lowest
number). The pipeline, ``yibao policy decide`` and the rules-file check all read this one declaration,
so a person can never be decided on different attribute values in different places.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pandas as pd

from yibao.errors import UserError

COMBINE = {"min", "max"}


@dataclass(frozen=True)
class Attribute:
    name: str
    label: str
    values: tuple[tuple[str, int | str], ...]  # folded text → value; empty: the folded text is the value
    combine: str  # "min" | "max": which value counts when one person has several rows
    reason: str  # row reason code when a text is not recognised

    @property
    def allowed(self) -> set[int | str] | None:
        """The values a rule may test, or None when any text is a value."""
        return {v for _, v in self.values} or None

    @property
    def numeric(self) -> bool:
        return bool(self.values) and all(isinstance(v, int) for _, v in self.values)

    def parse(self, text: pd.Series) -> tuple[pd.Series, pd.Series]:
        """(values, unrecognised mask) of raw cells; blank cells are <NA> and not errors."""
        from yibao.sources import fold

        codes, distinct = pd.factorize(text.astype("string"))  # few distinct cells: fold each once
        folded = pd.Series(pd.array([fold(v) for v in distinct], dtype="string").take(codes, allow_fill=True),
                           index=text.index)
        blank = folded.isna() | (folded == "")
        if not self.values:
            return folded.where(~blank, pd.NA), pd.Series(False, index=text.index)
        mapped = folded.map(dict(self.values), na_action="ignore")
        out = mapped.astype("Int64" if self.numeric else "string")
        return out, ~blank & out.isna()

    def representative(self, values: list[int | str]) -> int | str:
        """The one value a label implying ``values`` stands for: the least extreme under ``combine``.

        ``重度残疾人`` implies grade 1 or 2; combined by ``min`` (most severe), 2 is stored so a grade a
        department actually wrote (1) still wins and a rule for grades 1–2 matches either way.
        """
        return max(values) if self.combine == "min" else min(values)

    def empty(self, index: pd.Index) -> pd.Series:
        """The attribute unknown for every row of ``index`` (a roster without that column)."""
        return pd.Series(pd.NA, index=index, dtype="Int64" if self.numeric else "string")


def parse_spec(name: str, raw: object, where: str) -> Attribute:
    """One ``attributes`` entry of a feed config."""
    from yibao.sources import fold

    if not isinstance(raw, dict) or not raw.get("label"):
        raise UserError(f"{where}：属性 {name} 需要 label（中文名称）")
    combine = raw.get("combine", "max")
    if combine not in COMBINE:
        raise UserError(f"{where}：属性 {name} 的 combine 应为 min 或 max，实际为 {combine!r}")
    values = tuple((fold(str(k)), v) for k, v in (raw.get("values") or {}).items())
    if any(not isinstance(v, int | str) or isinstance(v, bool) for _, v in values):
        raise UserError(f"{where}：属性 {name} 的 values 应为 文字: 整数或文字")
    return Attribute(name, str(raw["label"]), values, combine, str(raw.get("reason", "ATTRIBUTE_BAD")))


#: Facts the register side knows of every person (not a roster column): rules may test them too.
PERSON_FACTS = {
    "residence_permit": Attribute("residence_permit", "持居住证", (("是", "是"), ("否", "否")), "max", "ATTRIBUTE_BAD"),
}


def attributes() -> dict[str, Attribute]:
    """Every attribute a rule may test: the roster columns feed configs declare and :data:`PERSON_FACTS`."""
    return roster_attributes() | PERSON_FACTS


@cache
def roster_attributes() -> dict[str, Attribute]:
    """Every attribute declared by any feed config; one name must mean one thing everywhere."""
    from yibao.sources import load_sources

    found: dict[str, Attribute] = {}
    for source in load_sources().values():
        for attr in source.attributes:
            if attr.name in found and found[attr.name] != attr:
                raise UserError(f"数据源配置 {source.id}：属性 {attr.name} 与其他数据源的声明不一致")
            found[attr.name] = attr
    return found


def per_person(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """One row per ``key`` with each attribute combined over the person's rows by its declared rule."""
    table = attributes()
    names = [n for n in names if n in frame]
    out = pd.DataFrame(index=pd.Index(frame["key"].unique(), name="key"))
    for name in names:
        how = table[name].combine if name in table else "max"
        given = frame.loc[frame[name].notna(), ["key", name]]  # each attribute comes from few rosters' rows
        out[name] = getattr(given.groupby("key", sort=False)[name], how)().reindex(out.index)
    return out
