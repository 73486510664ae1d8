"""The commitments export as a file: the service's table (one row per action) as CSV or XLSX,
named after the units it covers and the year, e.g. ``cam-ket-2026-chi-bo-khu-vuc-1.xlsx``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.render.exports import export_table, file_name

if TYPE_CHECKING:
    from bot.services.commitments import CommitmentTable


def commitments_file_name(table: CommitmentTable, fmt: str) -> str:
    """ASCII and code-free: the (first) top unit's name, and how many more there are."""
    return file_name("cam-ket", str(table.year), [unit.name for unit in table.units], fmt)


def commitments_file(table: CommitmentTable, fmt: str) -> tuple[str, bytes]:
    """The file's name and bytes. CPU work: the bot calls it in a worker thread."""
    data = export_table(fmt, table.header, table.rows, sheet=table.sheet)
    return commitments_file_name(table, fmt), data
