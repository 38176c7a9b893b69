"""Spreadsheet cells that stay text: no exported value becomes a formula.

Excel, LibreOffice and Google Sheets evaluate a CSV cell that starts with ``=``, ``+``, ``-`` or
``@`` (and some strip a leading tab or carriage return first), so a campaign named
``=HYPERLINK("http://…")`` would become a live link in the office's copy. In CSV such a value is
written with a leading apostrophe, the spreadsheet convention for "this is text", and a value that
itself starts with an apostrophe gets one more, so reading back (drop one leading apostrophe, ``csv_report.read_csv``) is exact and the
verifier hashes the original. In XLSX the cell is typed as a string, which no spreadsheet evaluates.
"""
from __future__ import annotations

from typing import Any

#: What makes a spreadsheet read a cell as a formula, plus the apostrophe that escapes them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPE = "'"
CSV_ESCAPED_STARTS = frozenset(FORMULA_STARTS) | {_ESCAPE}


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell that no spreadsheet evaluates (non-text values unchanged)."""
    if value.__class__ is str and value and value[0] in CSV_ESCAPED_STARTS:
        return _ESCAPE + value
    return value


def xlsx_text(sheet: Any, value: Any) -> Any:
    """``value`` for an XLSX row: a string that starts like a formula becomes a string-typed cell."""
    if value.__class__ is str and value and value[0] in FORMULA_STARTS:
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def xlsx_row(sheet: Any, values: list[Any]) -> list[Any]:
    return [xlsx_text(sheet, value) for value in values]
