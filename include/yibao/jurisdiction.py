"""Where a rules file's county is: its name, GB/T 2260 region code and towns (镇街) with task targets.

Every rules file under ``include/rules/`` opens with a ``jurisdiction`` block; the synthetic generator,
coverage reports and the policy loader all read it through this module so a county is described once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from yibao import config_yaml
from yibao.errors import UserError

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"


class RulesFileError(UserError):
    """A rules file is missing or malformed; the message names the file, the field and the reason."""

    def __init__(self, path: Path | str, field: str, reason: str, also: tuple[tuple[str, str], ...] = ()):
        self.path, self.field, self.reason = str(path), field, reason
        self.problems = ((field, reason), *also)
        if also:
            listed = "".join(f"\n  字段 {f}：{r}" for f, r in self.problems)
            super().__init__(f"规则文件 {path}：共 {len(self.problems)} 处错误：{listed}")
        else:
            super().__init__(f"规则文件 {path}：字段 {field}：{reason}")

    @classmethod
    def of(cls, path: Path | str, problems: list[tuple[str, str]]) -> RulesFileError:
        """One error listing every (field, reason) found, in file order."""
        (field, reason), *also = problems
        return cls(path, field, reason, tuple(also))


@dataclass(frozen=True)
class Town:
    name: str
    task_population: int | None = None


@dataclass(frozen=True)
class Jurisdiction:
    rules_id: str
    name: str
    full_name: str
    region_code: str
    citation: str
    towns: tuple[Town, ...]

    @property
    def town_names(self) -> list[str]:
        return [t.name for t in self.towns]


def rules_dir() -> Path:
    """The rules folder; ``YIBAO_RULES_DIR`` points elsewhere (tests, a county's private rules)."""
    return Path(os.environ.get("YIBAO_RULES_DIR") or RULES_DIR)


def rules_path(rules: str | Path) -> Path:
    """Resolve a rules id such as ``wenxi-2024`` or a path to its YAML file.

    >>> rules_path("wenxi-2024").name
    'wenxi-2024.yaml'
    """
    p = Path(rules)
    if p.suffix in {".yaml", ".yml"} or p.exists():
        path = p
    else:
        path = rules_dir() / f"{rules}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(x.stem for x in rules_dir().glob("*.yaml")))
        raise RulesFileError(path, "id", f"找不到规则文件（已有：{known}）")
    return path


def read_rules_yaml(rules: str | Path) -> tuple[Path, dict]:
    """Read a rules file as a mapping, with a clear error for YAML syntax problems."""
    path = rules_path(rules)
    try:
        data = config_yaml.parse(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else "?"
        raise RulesFileError(path, where, f"YAML 格式错误：{getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise RulesFileError(path, "(根)", "文件内容应为映射（key: value）")
    return path, data


def parse_jurisdiction(data: dict, path: Path | str) -> Jurisdiction:
    """Build a :class:`Jurisdiction` from a rules file's mapping."""
    block = data.get("jurisdiction")
    if not isinstance(block, dict):
        raise RulesFileError(path, "jurisdiction", "缺少辖区信息块")
    code = str(block.get("region_code", ""))
    if len(code) != 6 or not code.isdigit():
        raise RulesFileError(path, "jurisdiction.region_code", f"应为6位行政区划代码，实际为 {code!r}")
    towns = []
    for i, t in enumerate(block.get("towns") or []):
        if not isinstance(t, dict) or not t.get("name"):
            raise RulesFileError(path, f"jurisdiction.towns[{i}]", "每个镇街需要 name")
        task = t.get("task_population")
        if task is not None and (not isinstance(task, int) or task < 0):
            raise RulesFileError(path, f"jurisdiction.towns[{i}].task_population", "应为非负整数")
        towns.append(Town(str(t["name"]), task))
    if not towns:
        raise RulesFileError(path, "jurisdiction.towns", "至少需要一个镇街")
    return Jurisdiction(
        rules_id=str(data.get("id") or Path(path).stem),
        name=str(block.get("name", "")),
        full_name=str(block.get("full_name", block.get("name", ""))),
        region_code=code,
        citation=str(block.get("citation", "")),
        towns=tuple(towns),
    )


def load_jurisdiction(rules: str | Path) -> Jurisdiction:
    """The jurisdiction of a rules id or file.

    >>> j = load_jurisdiction("wenxi-2024")
    >>> (j.name, j.region_code, len(j.towns), sum(t.task_population for t in j.towns))
    ('闻喜县', '140823', 13, 319202)
    """
    path, data = read_rules_yaml(rules)
    return parse_jurisdiction(data, path)
