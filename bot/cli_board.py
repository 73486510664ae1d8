"""The propaganda board's operator commands: ``cadrebot story import`` (a story written
elsewhere in Markdown) and ``cadrebot channel add|remove|list`` (the campaign's public
channels and groups). Registered by :mod:`bot.cli`; every line is in the configured language.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot import i18n
from bot.context import Services
from bot.errors import InvalidInput, NotFound, UserFacingError
from bot.i18n import N_
from bot.render.markdown import split_title, to_telegram_html
from bot.rules.access import Actor
from bot.rules.stories import AUDIENCE_ROLES, Audience, AudienceKind, Tag
from storage.db import Store

_ = i18n.gettext
OPERATOR = Actor(telegram_id=0, is_config_admin=True)  # the CLI acts as an administrator


def add_parsers(commands: argparse._SubParsersAction) -> None:
    story = commands.add_parser("story", help="the propaganda board's stories").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    load = story.add_parser(
        "import",
        help="load a story written in Markdown: a draft, or scheduled with --at, or sent with "
        "--now",
    )
    load.add_argument(
        "file", type=Path, help="a UTF-8 Markdown file; a leading # heading is the title"
    )
    load.add_argument("--unit", metavar="CODE", required=True, help="the board's unit it is for")
    load.add_argument(
        "--audience",
        default="scope",
        metavar="WHO",
        help="scope (everyone in the unit, the default), units:CODE[,CODE...], "
        f"role:{'|'.join(AUDIENCE_ROLES)}, or mass_org",
    )
    load.add_argument("--tag", choices=[tag.value for tag in Tag], default=Tag.MODEL.value)
    load.add_argument("--title", help="the title, when the file has no leading heading")
    load.add_argument("--channels", action="store_true", help="also post to the public channels")
    when = load.add_mutually_exclusive_group()
    when.add_argument("--at", metavar='"DD/MM/YYYY HH:MM"', help="schedule it (local time)")
    when.add_argument("--now", action="store_true", help="send it now")

    channel = commands.add_parser(
        "channel", help="public channels and groups stories may be posted to"
    ).add_subparsers(dest="sub", required=True, metavar="ACTION")
    add = channel.add_parser("add", help="add a channel or group (the bot must be an admin there)")
    add.add_argument("chat_id", type=int, help="the chat id, like -1001234567890")
    add.add_argument("--title", required=True, help="its name, as the board will see it")
    remove = channel.add_parser("remove", help="stop posting to a channel or group")
    remove.add_argument("chat_id", type=int)
    channel.add_parser("list", help="the channels and groups stories may be posted to")


def handlers(
    args: argparse.Namespace, services: Services
) -> dict[tuple[str, str], Callable[[], Awaitable[int]]]:
    async def import_story() -> int:
        try:
            source = args.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidInput(
                N_("Cannot read {path} as UTF-8 text: {reason}"),
                path=args.file,
                reason=getattr(error, "strerror", None) or error,
            ) from None
        heading, rest = split_title(source)
        title = args.title or heading
        if not title:
            raise InvalidInput(
                N_("The story needs a title: start the file with '# Title' or give --title.")
            )
        at = services.stories.parse_send_at(args.at) if args.at else None  # before any write
        async with services.db.read() as store:
            unit = await store.units.by_code(args.unit)
            if unit is None:
                raise NotFound(N_("There is no unit {code}."), code=args.unit)
            audience = await _audience(store, args.audience)
        story = await services.stories.create_draft(
            OPERATOR,
            unit_id=unit.id,
            title=title,
            body=to_telegram_html(rest if heading and not args.title else source),
            tag=args.tag,
            audience=audience,
            to_channels=args.channels,
        )
        members, reachable = await services.stories.count_recipients(OPERATOR, story.id)
        try:
            if at is not None:
                story = await services.stories.schedule(OPERATOR, story.id, at)
                line = _("Story {id} scheduled for {when}. Recipients: {count}.")
            elif args.now:
                story = await services.stories.send_now(OPERATOR, story.id)
                line = _(
                    "Story {id} queued now (recipients: {count}); the bot sends it when it runs."
                )
            else:
                line = _(
                    "Story {id} saved as a draft (recipients: {count}). Preview it in the bot: "
                    "/story show {id}"
                )
        except UserFacingError as error:  # the text is kept: say where, and why it did not go
            print(error.render(), file=sys.stderr)
            print(
                _("Story {id} is kept as a draft; change it with /story edit {id}.").format(
                    id=story.id
                ),
                file=sys.stderr,
            )
            return 1  # as bot.cli.EXIT_FAILED: refused, not a usage error
        print(
            line.format(
                id=story.id,
                when=i18n.format_datetime(story.send_at) if story.send_at else "",
                count=i18n.format_number(reachable),
            )
        )
        if members > reachable:
            print(
                _("{count} of them have not started the bot yet and will not receive it.").format(
                    count=i18n.format_number(members - reachable)
                )
            )
        return 0

    async def add_channel() -> int:
        await services.stories.set_channel(
            chat_id=args.chat_id, title=args.title, add=True, actor="cli"
        )
        print(
            _("Stories may now be posted to {title} ({chat}).").format(
                title=args.title, chat=args.chat_id
            )
        )
        return 0

    async def remove_channel() -> int:
        removed = await services.stories.set_channel(
            chat_id=args.chat_id, title="", add=False, actor="cli"
        )
        text = _("Removed {chat}.") if removed else _("{chat} was not on the list.")
        print(text.format(chat=args.chat_id))
        return 0

    async def list_channels() -> int:
        channels = await services.stories.channels()
        if not channels:
            print(_("No public channels yet: cadrebot channel add CHAT_ID --title NAME"))
        for channel in channels:
            print(f"{channel.chat_id}\t{channel.title}")
        return 0

    return {
        ("story", "import"): import_story,
        ("channel", "add"): add_channel,
        ("channel", "remove"): remove_channel,
        ("channel", "list"): list_channels,
    }


async def _audience(store: Store, text: str) -> Audience:
    """``scope``, ``units:CODE,CODE``, ``role:secretary`` or ``mass_org``."""
    kind, _sep, value = text.partition(":")
    if kind == AudienceKind.SCOPE and not value:
        return Audience()
    if kind == AudienceKind.MASS_ORG and not value:
        return Audience(AudienceKind.MASS_ORG)
    if kind == AudienceKind.ROLE and value in AUDIENCE_ROLES:
        return Audience(AudienceKind.ROLE, (), value)
    if kind == AudienceKind.UNITS and value:
        ids = []
        for code in (part.strip() for part in value.split(",")):
            unit = await store.units.by_code(code)
            if unit is None:
                raise NotFound(N_("There is no unit {code}."), code=code)
            ids.append(unit.id)
        return Audience(AudienceKind.UNITS, tuple(ids))
    raise InvalidInput(
        N_("Unknown audience '{text}'. Use scope, units:CODE,CODE, role:{roles} or mass_org."),
        text=text,
        roles="|".join(AUDIENCE_ROLES),
    )
