"""``cadrebot nominations link``: the operator's correction of the member a good-deed
nomination names (the year-end dossier lists a member's linked deeds). Registered by
:mod:`bot.cli`, beside ``cadrebot export nominations``; every line is in the configured
language; every change is audited (``nomination.link``, ``nomination.unlink``).

    cadrebot nominations link --id N --member CODE
    cadrebot nominations link --id N --unlink
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable

from bot import i18n
from bot.context import Services
from bot.errors import InvalidInput, NotFound, UserFacingError

_ = i18n.gettext
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2  # as bot.cli's


def _id(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            _("'{text}' is not a whole number of at least 1").format(text=text)
        )
    return int(text)


def add_parsers(commands: argparse._SubParsersAction) -> None:
    nominations = commands.add_parser(
        "nominations", help="good-deed nominations: which member each one names"
    ).add_subparsers(dest="sub", required=True, metavar="ACTION")
    link = nominations.add_parser(
        "link",
        help="set the member a nomination names (its deed goes into their year-end dossier), "
        "or --unlink; approval never changes it afterwards",
    )
    link.add_argument("--id", type=_id, required=True, metavar="N", help="the nomination")
    who = link.add_mutually_exclusive_group(required=True)
    who.add_argument("--member", metavar="CODE", help="the member, by roster code")
    who.add_argument("--unlink", action="store_true", help="it names no member")


def handlers(
    args: argparse.Namespace, services: Services
) -> dict[tuple[str, str | None], Callable[[], Awaitable[int]]]:
    async def link() -> int:
        try:
            found = await services.nominations.link(args.id, None if args.unlink else args.member)
        except UserFacingError as error:  # no such nomination or member; a rejected one
            print(error.render(), file=sys.stderr)
            return EXIT_USAGE if isinstance(error, NotFound | InvalidInput) else EXIT_FAILED
        if found.nominee_member_id is None:
            print(
                _("Nomination {id} ({nominee}) names no member now.").format(
                    id=found.id, nominee=found.nominee
                )
            )
        else:
            print(
                _("Nomination {id} ({nominee}) now names {name} ({code}).").format(
                    id=found.id,
                    nominee=found.nominee,
                    name=found.nominee_member_name,
                    code=found.nominee_member_code,
                )
            )
        return EXIT_OK

    return {("nominations", "link"): link}
