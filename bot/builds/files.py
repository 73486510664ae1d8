"""The heavy files the bot sends, as build functions for :class:`~bot.builds.FileBuilder`:
each runs in a child process, reads through ``env.db`` and renders. The permission check
and the audit stay in the bot's process (the handlers call the services for them first),
so these take what was already allowed and check nothing.

Which files: those that can take seconds and hundreds of MB for a large unit, measured on a
100,000-member city (docs/benchmarks.md, issue 12): the committees' workbook (30 s), the
commitments export (50 s), the review DOCX (7.5 s, 355 MB) and a cell's dossiers in one
file (3.8 s, +190 MB). One chart, one dossier or one commitment form take well under a
second and little memory: they stay in a worker thread, where a child's start (about a
second of imports) would cost more than it saves.
"""

from __future__ import annotations

import asyncio

from bot.builds.runner import BuildEnv, BuiltFile
from bot.render.commitment_export import commitments_file
from bot.render.dossier import cell_docx, cell_name
from bot.render.report_workbook import workbook_file
from bot.render.review_report import review_docx, review_file_name
from bot.services.commitments.monitoring import ExportScope, export_table
from bot.services.reports.dossier import Dossier
from bot.services.reports.model import Period
from bot.services.reports.review import review_report
from bot.services.reports.service import ReportService
from bot.services.reports.workbook import workbook_data
from storage.records import Unit


async def workbook(env: BuildEnv, unit: Unit, period: Period) -> BuiltFile:
    """``/report export``: the committees' XLSX workbook of ``unit`` and below."""
    async with env.db.read() as store:
        data = await workbook_data(store, unit, period, tz=env.clock.tz)
    name, content = await asyncio.to_thread(workbook_file, data)
    return BuiltFile(name, content, {"members": len(data.members), "sessions": len(data.sessions)})


async def commitments(env: BuildEnv, scope: ExportScope, fmt: str) -> BuiltFile:
    """The commitments export (CSV or XLSX) over what ``scope`` covers."""
    async with env.db.read() as store:
        table = await export_table(store, scope)
    name, content = await asyncio.to_thread(commitments_file, table, fmt)
    return BuiltFile(name, content, {"rows": len(table.rows)})


async def review(env: BuildEnv, unit: Unit, year: int, half: int | None) -> BuiltFile:
    """The mid-year or year-end review's figures (DOCX) of ``unit``, dated today."""
    reports = ReportService(env.db, env.clock)
    report = await review_report(reports, None, unit.id, year, half, env.locality)
    content = await asyncio.to_thread(review_docx, report)
    return BuiltFile(review_file_name(report), content, {"period": report.period.label})


async def cell_dossiers(env: BuildEnv, dossiers: list[Dossier]) -> BuiltFile:
    """A cell's dossiers in one DOCX. The data comes gathered (0.04 s for a cell, checked
    and audited by the service in the bot): the rendering is what costs."""
    content = await asyncio.to_thread(cell_docx, dossiers)
    return BuiltFile(cell_name(dossiers), content, {"members": len(dossiers)})
