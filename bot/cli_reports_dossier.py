"""``cadrebot dossier``: the year-end dossier (DOCX) of one member or of a whole cell, for
the operator. Registered by :mod:`bot.cli`; every line is in the configured language.

    cadrebot dossier --member CODE [--year Y] [--out FILE]
    cadrebot dossier --unit CODE [--year Y] [--out FILE]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot import i18n
from bot.context import Services
from bot.errors import UserFacingError
from bot.render.dossier import cell_docx, cell_name, dossier_docx, dossier_name

_ = i18n.gettext
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2  # as bot.cli's


def add_parsers(commands: argparse._SubParsersAction) -> None:
    dossier = commands.add_parser(
        "dossier", help="the year-end review dossier (DOCX) of a member or of a whole cell"
    )
    who = dossier.add_mutually_exclusive_group(required=True)
    who.add_argument("--member", metavar="CODE", help="one member, by roster code")
    who.add_argument("--unit", metavar="CODE", help="every member a cell reviews, one per page")
    dossier.add_argument("--year", type=int, help="the campaign year (default: current)")
    dossier.add_argument("--out", type=Path, help="the file to write (default: a name here)")


def handlers(
    args: argparse.Namespace, services: Services
) -> dict[tuple[str, str | None], Callable[[], Awaitable[int]]]:
    async def write_dossier() -> int:
        service = services.dossiers
        try:
            if args.member is not None:
                one = await service.member_dossier(None, args.member, args.year)
                name, data = dossier_name(one), dossier_docx(one)
            else:
                found = await service.cell_dossiers(None, args.unit, args.year)
                name, data = cell_name(found), cell_docx(found)
        except UserFacingError as error:  # no such member, unit or year: a usage error
            print(error.render(), file=sys.stderr)
            return EXIT_USAGE
        return _write(args.out or Path(name), name, data)

    return {("dossier", None): write_dossier}


def _write(out: Path, name: str, data: bytes) -> int:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as error:
        print(
            _("Cannot write {path}: {reason}").format(path=out, reason=error.strerror),
            file=sys.stderr,
        )
        return EXIT_FAILED
    print(_("{name}: {size} bytes written to {path}").format(name=name, size=len(data), path=out))
    return EXIT_OK
