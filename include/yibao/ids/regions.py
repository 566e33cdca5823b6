"""GB/T 2260 region-code history, read from python-stdnum's ``stdnum/cn/loc.dat``.

The history says, for each 6-digit code, the years it was in use (``[2000-]闻喜县``). A resident keeps the
code assigned at registration, so elders legitimately carry codes created after their birth: the only
year rule that holds is "the code was not retired before the birth year". python-stdnum's own check
demands the code existed *in* the birth year, which rejects about half of a real population, so only its
data is reused here, parsed once into arrays indexed by the code itself for vectorized lookups.

>>> table = region_table()
>>> int(table.last_year[140823]), table.names["140823"]
(9999, '闻喜县')
>>> int(table.last_year[110103]), int(table.last_year[999999])
(2010, 0)
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import re

import numpy as np
from stdnum import numdb

#: ``last_year`` value of a code still in use (no end year in the history).
IN_USE = 9999
#: ``last_year`` value of a code absent from the history.
UNKNOWN = 0

_RANGE = re.compile(r"\[(\d*)-(\d*)\]")


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


@functools.cache
def region_table() -> RegionTable:
    """Parse the installed python-stdnum history once per process."""
    text = importlib.resources.files("stdnum.cn").joinpath("loc.dat").read_text(encoding="utf-8")
    db = numdb.read(text.splitlines())
    last_year = np.full(1_000_000, UNKNOWN, dtype=np.int16)
    names: dict[str, str] = {}
    for _, plow, phigh, _, children in db.prefixes:
        for province in range(int(plow), int(phigh) + 1):
            for _, low, high, props, _ in children:
                county = props.get("county", "")
                for suffix in range(int(low), int(high) + 1):
                    code = province * 10_000 + suffix
                    last_year[code] = _last_year(county)
                    names[f"{code:06d}"] = _RANGE.sub("", county.split(",")[-1])
    last_year.setflags(write=False)
    return RegionTable(last_year=last_year, names=names)
