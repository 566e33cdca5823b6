"""Read a legacy ``.xls`` workbook in a process of its own.

calamine's compound-file reader trusts the sizes a damaged ``.xls`` states: on such a file it panics, or
asks for 171 GB and aborts the whole interpreter, which no ``except`` can catch. A roster must fail its own
feed with a clear message, never the day's run, so the parse runs here, in a child with its memory capped
(:mod:`yibao.readers` starts it); only python-calamine is imported.

    python -m yibao.xls_child <path>   # pickle on stdout: [(sheet, visible, cells, merged ranges), ...]
                                       # or the name of the error that stopped the parse
"""

from __future__ import annotations

import pickle
import resource
import sys

from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

MEMORY = 2 << 30  # bytes of address space: a grid of 5M cells (xlsx_limits.MAX_CELLS) needs a fraction


def sheets(path: str) -> list[tuple[str, bool, list[list] | None, list]]:
    """Every worksheet in the workbook's order; a hidden one is not read (its cells None)."""
    workbook = CalamineWorkbook.from_path(path)
    read = []
    for meta in workbook.sheets_metadata:
        if meta.typ != SheetTypeEnum.WorkSheet:
            continue
        if meta.visible != SheetVisibleEnum.Visible:
            read.append((meta.name, False, None, []))
            continue
        sheet = workbook.get_sheet_by_name(meta.name)
        read.append((meta.name, True, sheet.to_python(skip_empty_area=False), sheet.merged_cell_ranges or []))
    return read


def main() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)  # lowered, never raised past what the host allows
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY if hard == resource.RLIM_INFINITY else min(MEMORY, hard), hard))
    try:
        result: object = sheets(sys.argv[1])
    except BaseException as exc:  # calamine's errors, and a Rust panic (pyo3's PanicException)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        result = type(exc).__name__  # named back to the parent
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    main()
