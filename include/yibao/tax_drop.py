"""The tax exchange as a file drop, for counties whose 前置库 is a folder: the same contract as the table.

Set ``YIBAO_TAX_EXCHANGE_URL=file:///path/to/drop``. Like the table, the drop is append-only: each push
writes one CSV in the tax template (Chinese headers below, UTF-8 with BOM) atomically (temp file, then
rename), and tax reads files without deleting them. What tax "has" is the union of the files, so exactly
once works as with the table: a crash between writing a file and marking the warehouse is healed on the
next run, never sent twice. Tax's acknowledgements come back as ``回执*.csv`` files in the same folder.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

TEMPLATE = {
    "bill_no": "单据编号", "version": "版本号", "prev_version": "上一版本号", "change": "变更类型",
    "region_code": "行政区划代码", "year": "缴费年度", "id_number": "证件号码", "name": "姓名",
    "category": "人员类别", "subsidy": "资助金额", "personal": "个人缴费金额", "funds": "资金来源",
}
ACK_TEMPLATE = {"单据编号": "bill_no", "版本号": "version", "处理结果": "result", "原因代码": "reason_code",
                "原因说明": "reason_text", "处理时间": "acked_at"}
CHANGE_LABELS = {"new": "新增", "amended": "变更", "cancelled": "作废"}


@dataclass(frozen=True)
class FileDrop:
    folder: Path

    def _bills_files(self, region_code: str, year: int) -> list[Path]:
        return sorted(self.folder.glob(f"特殊缴费单据_{region_code}_{year}_*.csv"))

    def has(self, region_code: str, year: int) -> pd.DataFrame:
        """Every (bill_no, version) in the drop for this county and year."""
        frames = [pd.read_csv(f, usecols=["单据编号", "版本号"], dtype={"单据编号": "str", "版本号": "int64"},
                              encoding="utf-8-sig") for f in self._bills_files(region_code, year)]
        found = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            {"单据编号": pd.Series(dtype="str"), "版本号": pd.Series(dtype="int64")})
        return found.rename(columns={"单据编号": "bill_no", "版本号": "version"})

    def append(self, rows: pd.DataFrame, region_code: str, year: int, now: dt.datetime) -> Path:
        """Write one drop file atomically; the name orders files by time."""
        out = rows.assign(change=rows["change"].map(CHANGE_LABELS)).rename(columns=TEMPLATE)[list(TEMPLATE.values())]
        path = self.folder / f"特殊缴费单据_{region_code}_{year}_{now:%Y%m%dT%H%M%S%f}.csv"
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            out.to_csv(tmp, index=False, encoding="utf-8-sig")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return path

    def acks(self, region_code: str, year: int) -> pd.DataFrame:
        """Tax's 回执 files, as the ``tsjf_acks`` columns, for this county's bills (numbers carry region and year)."""
        frames = [pd.read_csv(f, dtype="str", encoding="utf-8-sig", keep_default_na=False, na_values=[""])
                  for f in sorted(self.folder.glob("回执*.csv"))]
        if not frames:
            return pd.DataFrame({c: pd.Series(dtype="int64" if c == "version" else "str")
                                 for c in ACK_TEMPLATE.values()})
        acks = pd.concat(frames, ignore_index=True).rename(columns=ACK_TEMPLATE)[list(ACK_TEMPLATE.values())]
        acks = acks[acks["bill_no"].str.startswith(f"TS{region_code}{year}")]
        return acks.astype({"version": "int64"}).reset_index(drop=True)
