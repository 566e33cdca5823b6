"""Department feed configs (``include/sources/*.yaml``) and the standard status vocabulary.

A feed config says where a department's drop lands in the inbox, its format, how its Chinese headers map
to canonical columns, and which statuses it may report. Onboarding a department layout is a new YAML file.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from yibao import config_yaml
from yibao.attributes import Attribute, parse_spec
from yibao.errors import UserError
from yibao.freshness import Due, parse_due

SOURCES_DIR = Path(__file__).resolve().parents[1] / "sources"
KINDS = {"register", "residence", "roster", "roster_changes", "payments", "employee_insured", "insured_elsewhere"}
FORMATS = {"csv", "xlsx", "sql"}  # sql: a table or query on the department's 前置库 (yibao.db_pull)
CURRENT_RULES = {"all", "newest_by_name_date", "newest_by_arrival"}


@dataclass(frozen=True)
class Source:
    id: str
    department: str
    title: str
    kind: str
    description: str
    files: str
    format: str
    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    statuses: tuple[str, ...] = ()
    citation: str = ""
    attributes: tuple[Attribute, ...] = ()  # roster columns rules may test (see yibao.attributes)
    optional: dict[str, tuple[str, ...]] = field(default_factory=dict)  # read when present, not in the template
    current: str = "all"  # which drops are read: all of them, or only the newest (see yibao.landing)
    due: Due | None = None  # when the drop is expected (see yibao.freshness)
    connection: str = ""  # format sql: Airflow connection id (CLI: env YIBAO_CONN_<ID>)
    table: str = ""  # format sql: [schema.]table to read whole, or
    query: str = ""  # format sql: a SELECT whose column names are the department's headers

    def header(self, column: str) -> str:
        """The department's official header for a canonical column (the first listed)."""
        return self.columns[column][0]

    def header_map(self, headers: list[str]) -> dict[str, str]:
        """Map the headers found in a file to canonical columns (ignoring width and spaces); a header that
        matches none is matched again without bracketed remarks, the template's or the department's own
        (``身份证号码（18位）`` and ``乡镇`` are ``身份证号码（务必正确）`` and ``乡镇（街道）``), unless that
        would name two columns, or another header names the same column (``身份证号码（监护人）`` beside
        ``身份证号码`` or ``身份证号码（本人）``).

        >>> from yibao.sources import load_sources
        >>> load_sources()["minzheng_zongmingdan"].header_map(["姓名(必填)", "身份证号码【18位】", "乡镇", "备注"])
        {'姓名(必填)': 'name', '身份证号码【18位】': 'id_number', '乡镇': 'town'}
        >>> load_sources()["minzheng_zongmingdan"].header_map(["身份证号码（监护人）", "身份证号码"])
        {'身份证号码': 'id_number'}
        """
        variants = [(h, col) for col, names in (self.columns | self.optional).items() for h in names]
        exact = {fold(h): col for h, col in variants}
        loose: dict[str, str | None] = {}
        for h, col in variants:
            loose[bare(h)] = col if loose.get(bare(h), col) == col else None  # None: ambiguous
        found = {h: exact[fold(h)] for h in headers if fold(h) in exact}
        looser = {h: loose[bare(h)] for h in headers if h not in found and loose.get(bare(h))}
        # a column taken by a looser header only when the file names it no other way: never a guess
        # between 身份证号码（监护人） and 身份证号码（本人）, nor beside an exact 身份证号码
        named = [*found.values(), *looser.values()]
        found |= {h: col for h, col in looser.items() if named.count(col) == 1}
        return {h: found[h] for h in headers if h in found}


def fold(text: str) -> str:
    """Fold full-width forms and spaces so ``乡镇(街道)`` matches ``乡镇（街道）``.

    >>> fold(" 乡镇（街道） ") == fold("乡镇(街道)")
    True
    """
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


def bare(text: str) -> str:
    """:func:`fold` without remarks in brackets.

    >>> bare("身份证号码（务必正确）"), bare("乡镇(街道)"), bare("姓名【必填】")
    ('身份证号码', '乡镇', '姓名')
    """
    return _REMARK.sub("", fold(text)) or fold(text)


_REMARK = re.compile(r"\([^()]*\)|【[^【】]*】|\[[^\[\]]*\]")


def sources_dir() -> Path:
    return Path(os.environ.get("YIBAO_SOURCES_DIR") or SOURCES_DIR)


def _load_source(path: Path) -> Source:
    try:
        raw = config_yaml.parse(path.read_text(encoding="utf-8"))
        cols = {str(k): tuple(str(h) for h in v) for k, v in raw["columns"].items()}
        src = Source(
            id=str(raw["id"]),
            department=str(raw["department"]),
            title=str(raw["title"]),
            kind=str(raw["kind"]),
            description=str(raw.get("description", "")),
            files=str(raw["files"] if raw["format"] != "sql" else raw.get("files", "")),
            format=str(raw["format"]),
            columns=cols,
            required=tuple(raw.get("required", [])),
            statuses=tuple(raw.get("statuses", [])),
            citation=str(raw.get("citation", "")),
            optional={str(k): tuple(str(h) for h in v) for k, v in (raw.get("optional_columns") or {}).items()},
            attributes=tuple(
                parse_spec(str(name), spec, f"数据源配置 {path.name}")
                for name, spec in (raw.get("attributes") or {}).items()
            ),
            current=str(raw.get("current", "all")),
            due=parse_due(raw.get("due")),
            connection=str(raw.get("connection", "")),
            table=str(raw.get("table", "")),
            query=str(raw.get("query", "")),
        )
    except (KeyError, TypeError, AttributeError, ValueError, yaml.YAMLError) as exc:
        raise UserError(f"数据源配置 {path.name} 格式错误：{exc!r}") from None
    if src.kind not in KINDS or src.format not in FORMATS:
        raise UserError(f"数据源配置 {path.name}：kind 应为 {sorted(KINDS)}，format 应为 {sorted(FORMATS)}")
    if src.format == "sql" and not (src.connection and bool(src.table) != bool(src.query)):
        raise UserError(f"数据源配置 {path.name}：format 为 sql 时需要 connection，以及 table 或 query 之一")
    if src.current not in CURRENT_RULES:
        raise UserError(f"数据源配置 {path.name}：current 应为 {sorted(CURRENT_RULES)}")
    missing = [c for c in src.required if c not in cols] + [
        a.name for a in src.attributes if a.name not in cols and a.name not in src.optional
    ]
    if missing:
        raise UserError(f"数据源配置 {path.name}：必填列或属性列 {missing} 未在 columns 中定义")
    return src


@cache
def load_sources() -> dict[str, Source]:
    """All feed configs by id, in a stable order."""
    return {s.id: s for s in (_load_source(p) for p in sorted(sources_dir().glob("*.yaml")) if p.stem != "statuses")}


@cache
def status_aliases() -> dict[str, str]:
    """Folded label (status name or alias) → standard status name."""
    raw = config_yaml.parse((sources_dir() / "statuses.yaml").read_text(encoding="utf-8"))["statuses"]
    table: dict[str, str] = {}
    for status, aliases in raw.items():
        for label in [status, *(aliases or [])]:
            table[fold(label)] = status
    return table


def standard_statuses() -> list[str]:
    return sorted(set(status_aliases().values()))
