"""The ``cadrebot`` command line for the people who set the bot up."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from pathlib import Path

from bot import cli_board, cli_nominations, cli_reports, cli_reports_dossier, i18n
from bot.config import ConfigError, Settings, load_settings
from bot.errors import UserFacingError
from bot.i18n import N_
from bot.imports import ImportRejected
from bot.invites import deep_link
from bot.parsing import check_date
from bot.render.attendance import attendance_file
from bot.render.commitment_export import commitments_file
from bot.render.nomination_export import commendation_file
from bot.rules.campaigns import parse_reminder_days
from storage import Database
from storage.records import Campaign

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
EXIT_USAGE = 2  # what was asked for cannot be: a wrong unit or year
_ = i18n.gettext  # every line the operator reads is in the configured language


OUTBOX_STATUSES = {
    "queued": N_("queued"),
    "sending": N_("sending"),
    "sent": N_("sent"),
    "failed": N_("failed"),
    "blocked": N_("blocked"),
}


def fail(message: str, **params: object) -> None:
    """One line on stderr, in the configured language."""
    print(message.format(**params), file=sys.stderr)


def _date(text: str) -> date:
    try:
        return check_date(date.fromisoformat(text), text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("'{text}' is not a date like 2026-03-31").format(text=text)
        ) from None
    except UserFacingError as error:  # a year the bot does not handle
        raise argparse.ArgumentTypeError(error.render()) from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            _("'{text}' is not a whole number of at least 1").format(text=text)
        )
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cadrebot",
        description="cadrebot: the campaign bot. Settings come from the environment and .env.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("run", help="start the bot (long polling, or webhook when configured)")
    sandbox = commands.add_parser(
        "sandbox",
        help="try the bot without Telegram: a fake Telegram, the bot, a demo organisation and "
        "a chat page in the browser",
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="where the page listens")
    sandbox.add_argument(
        "--port", type=int, default=8080, help="the page's port (0: any free port; default 8080)"
    )
    sandbox.add_argument(
        "--dir", type=Path, default=Path("sandbox"), help="the demo's database folder (reset)"
    )

    db = commands.add_parser("db", help="database upkeep").add_subparsers(
        dest="db_command", required=True, metavar="ACTION"
    )
    db.add_parser("upgrade", help="apply pending schema migrations")
    backup = db.add_parser("backup", help="online, consistent copy of the database")
    backup.add_argument("path", type=Path, help="where to write the copy")

    for name, what in (("units", "the organisation tree"), ("members", "members")):
        group = commands.add_parser(name, help=f"import {what} from CSV").add_subparsers(
            dest="sub", required=True, metavar="ACTION"
        )
        load = group.add_parser("import", help=f"import {what} from a UTF-8 CSV file")
        load.add_argument("file", type=Path)
        if name == "members":
            leave = group.add_parser(
                "leave", help="end a member's membership (kept in history, never deleted)"
            )
            leave.add_argument("code", help="the member's roster code")
            leave.add_argument("--unit", metavar="CODE", help="only this unit (default: all)")
            leave.add_argument("--on", type=_date, metavar="YYYY-MM-DD", help="default: today")
            unlink = group.add_parser(
                "unlink", help="detach the Telegram account from a member (e.g. a wrong id)"
            )
            unlink.add_argument("code", help="the member's roster code")

    invite = commands.add_parser("invite", help="invite codes").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    create = invite.add_parser("create", help="create an invite; the code is the last line")
    who = create.add_mutually_exclusive_group(required=True)
    who.add_argument("--member", metavar="CODE", help="a personal invite for this member")
    who.add_argument("--unit", metavar="CODE", help="an invite for anyone joining this unit")
    create.add_argument("--uses", type=_positive, default=None, help="unit invites: uses")
    create.add_argument("--expires", type=_date, metavar="YYYY-MM-DD", help="last valid day")

    campaign = commands.add_parser("campaign", help="yearly campaigns").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    campaign.add_parser("list", help="every campaign, newest first")
    for action in ("create", "edit"):
        sub = campaign.add_parser(action, help=f"{action} a year's campaign")
        sub.add_argument("--year", type=int, required=True)
        sub.add_argument("--topic", required=action == "create", help="the year's topic")
        sub.add_argument(
            "--commit-deadline", type=_date, metavar="YYYY-MM-DD", help="default: 31 March"
        )
        sub.add_argument(
            "--study-deadline", type=_date, metavar="YYYY-MM-DD", help="default: 31 March"
        )
        sub.add_argument(
            "--review-opens", type=_date, metavar="YYYY-MM-DD", help="default: 1 December"
        )
        sub.add_argument(
            "--review-closes", type=_date, metavar="YYYY-MM-DD", help="default: 31 December"
        )
        sub.add_argument(
            "--reminder-days",
            metavar="N,N,...",
            help="days before the commitment deadline members are reminded (default 14,7,3,1)",
        )

    role = commands.add_parser("role", help="grant or revoke roles").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    for action in ("grant", "revoke"):
        sub = role.add_parser(action, help=f"{action} a role on a unit and everything below it")
        sub.add_argument("--member", required=True, metavar="CODE")
        sub.add_argument(
            "--role",
            required=True,
            choices=["secretary", "deputy", "committee", "propaganda", "admin"],
        )
        sub.add_argument("--unit", required=True, metavar="CODE")

    # One group for every export; a feature adds its subcommand beside the others.
    outbox = commands.add_parser("outbox", help="messages waiting to be sent").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    outbox.add_parser("status", help="queued, sending, sent, failed and blocked, per kind")
    retry = outbox.add_parser("retry", help="queue failed messages again")
    retry.add_argument("--failed", action="store_true", required=True, help="the failed ones")

    export = commands.add_parser("export", help="export records as CSV or XLSX").add_subparsers(
        dest="sub", required=True, metavar="WHAT"
    )
    commitments = export.add_parser("commitments", help="one row per commitment action")
    commitments.add_argument("--unit", metavar="CODE", help="this unit and below (default: all)")
    commitments.add_argument("--year", type=int, help="the campaign year (default: current)")
    commitments.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    commitments.add_argument("--out", type=Path, required=True, help="the file to write")
    attendance = export.add_parser("attendance", help="one row per session and invitee")
    attendance.add_argument("--unit", metavar="CODE", required=True, help="this unit and below")
    attendance.add_argument("--from", dest="start", type=_date, required=True, metavar="YYYY-MM-DD")
    attendance.add_argument("--to", dest="end", type=_date, required=True, metavar="YYYY-MM-DD")
    attendance.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    attendance.add_argument("--out", type=Path, required=True, help="the file to write")
    nominations = export.add_parser(
        "nominations", help="the year's commendation list: approved good-deed nominations"
    )
    nominations.add_argument("--unit", metavar="CODE", required=True, help="this unit and below")
    nominations.add_argument("--year", type=int, required=True, help="the year they were approved")
    nominations.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    nominations.add_argument("--out", type=Path, help="the file to write (default: a name here)")
    cli_board.add_parsers(commands)
    cli_nominations.add_parsers(commands)
    cli_reports_dossier.add_parsers(commands)
    cli_reports.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = load_settings()
    except ConfigError as error:
        print(error, file=sys.stderr)  # before any setting is known: in English
        return EXIT_CONFIG
    i18n.configure(settings.default_locale, settings.tz)
    i18n.set_locale(settings.default_locale)
    args = build_parser().parse_args(argv)
    if args.command == "run":
        from bot.runner import run

        return run(settings)
    if args.command == "sandbox":
        from bot.sandbox import run_sandbox

        return run_sandbox(host=args.host, port=args.port, folder=args.dir)
    return asyncio.run(_dispatch(args, settings))


async def execute(argv: Sequence[str], settings: Settings) -> int:
    """Run one command (not ``run`` or ``sandbox``) with these settings, in a running loop:
    the sandbox seeds its demo through the operator's own commands this way."""
    args = build_parser().parse_args(argv)
    if args.command in ("run", "sandbox"):
        raise ValueError(f"{args.command} cannot be executed from inside the bot")
    return await _dispatch(args, settings)


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    handlers: dict[tuple[str, str | None], Callable[[], Awaitable[int]]] = {}
    db = Database(settings.db_path)
    from bot.app import build_services

    services = build_services(settings, db=db)

    async def upgrade() -> int:
        print(
            _("Schema version {version}: {path}").format(
                version=await db.schema_version(), path=db.path
            )
        )
        return EXIT_OK

    async def backup() -> int:
        if args.path.exists() and args.path.resolve() == db.path.resolve():
            fail(_("The backup cannot be written over the database itself: {path}"), path=args.path)
            return EXIT_FAILED
        await db.backup(args.path)
        print(_("Backup written to {path}").format(path=args.path))
        return EXIT_OK

    async def import_file(kind: str) -> int:
        try:
            data = args.file.read_bytes()
        except OSError as error:
            fail(_("Cannot read {path}: {reason}"), path=args.file, reason=error.strerror)
            return EXIT_FAILED
        service = services.organisation
        load = service.import_units if kind == "units" else service.import_members
        try:
            summary = await load(data, actor="cli", source=str(args.file))
        except ImportRejected as rejected:
            print(
                i18n.gettext("Nothing was imported. Fix these problems and try again:"),
                file=sys.stderr,
            )
            for problem in rejected.problems:
                print(f"  {problem.render()}", file=sys.stderr)
            return EXIT_FAILED
        print(
            i18n.gettext(
                "Imported {rows} rows: {created} new, {updated} changed, {unchanged} unchanged."
            ).format(
                rows=summary.rows,
                created=summary.created,
                updated=summary.updated,
                unchanged=summary.unchanged,
            )
        )
        return EXIT_OK

    async def leave() -> int:
        ended = await services.organisation.end_membership(
            member_code=args.code, unit_code=args.unit, on=args.on, actor="cli"
        )
        print(_("{code}: memberships ended: {count}").format(code=args.code, count=ended))
        return EXIT_OK

    async def unlink() -> int:
        changed = await services.organisation.unlink_telegram(member_code=args.code, actor="cli")
        state = _("Telegram account detached") if changed else _("no Telegram account was linked")
        print(f"{args.code}: {state}")
        return EXIT_OK

    async def create_invite() -> int:
        uses = args.uses if args.uses is not None else (1 if args.member else 30)
        invite = await services.registration.create_invite(
            by="cli",
            member_code=args.member,
            unit_code=args.unit,
            uses=uses,
            expires_on=args.expires,
        )
        async with db.read() as store:
            username = await store.kv.get("bot_username")
        link = deep_link(username, invite.code)
        if link:
            print(link)
        print(invite.code)
        return EXIT_OK

    def show_campaign(campaign: Campaign) -> None:
        print(
            _(
                "{year}: {topic}\n  commitments by {commit}, study by {study}, year-end review "
                "{opens} – {closes}"
            ).format(
                year=campaign.year,
                topic=campaign.topic,
                commit=i18n.format_date(campaign.commit_deadline),
                study=i18n.format_date(campaign.study_deadline),
                opens=i18n.format_date(campaign.review_opens),
                closes=i18n.format_date(campaign.review_closes),
            )
        )
        if campaign.commit_reminder_days:
            days = ", ".join(str(day) for day in campaign.commit_reminder_days)
            print(
                _("  members reminded {days} days before the commitment deadline").format(days=days)
            )

    async def campaign_list() -> int:
        campaigns = await services.campaigns.all()
        if not campaigns:
            print(_("No campaigns yet: cadrebot campaign create --year Y --topic TEXT"))
        for campaign in campaigns:
            show_campaign(campaign)
        return EXIT_OK

    async def campaign_save() -> int:
        dates = {
            "commit_deadline": args.commit_deadline,
            "study_deadline": args.study_deadline,
            "review_opens": args.review_opens,
            "review_closes": args.review_closes,
        }
        if args.reminder_days is not None:
            dates["commit_reminder_days"] = parse_reminder_days(args.reminder_days)
        if args.sub == "create":
            campaign = await services.campaigns.create(
                year=args.year, topic=args.topic, actor="cli", **dates
            )
        else:
            campaign = await services.campaigns.edit(
                year=args.year, actor="cli", topic=args.topic, **dates
            )
        show_campaign(campaign)
        return EXIT_OK

    def write_export(name: str, data: bytes) -> int:
        try:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_bytes(data)
        except OSError as error:
            fail(_("Cannot write {path}: {reason}"), path=args.out, reason=error.strerror)
            return EXIT_FAILED
        print(
            _("{name}: {size} bytes written to {path}").format(
                name=name, size=len(data), path=args.out
            )
        )
        return EXIT_OK

    async def export_commitments() -> int:
        table = await services.commitments.export(year=args.year, unit_code=args.unit)
        return write_export(*commitments_file(table, args.format))

    async def export_attendance() -> int:
        export = await services.sessions.export_attendance(
            None, args.unit, args.start, args.end, args.format
        )
        return write_export(*attendance_file(export))

    async def export_nominations() -> int:
        try:
            found = await services.nominations.commendations(unit_code=args.unit, year=args.year)
        except UserFacingError as error:  # no such unit, a year out of range: a usage error
            print(error.render(), file=sys.stderr)
            return EXIT_USAGE
        name, data = commendation_file(found, args.format)
        if args.out is None:
            args.out = Path(name)
        return write_export(name, data)

    async def set_role() -> int:
        changed = await services.organisation.set_role(
            member_code=args.member,
            role=args.role,
            unit_code=args.unit,
            grant=args.sub == "grant",
            actor="cli",
        )
        if args.sub == "grant":
            text = _("Granted {role} on {unit} to {member}.")
            if not changed:
                text = _("{member} already has {role} on {unit}.")
        else:
            text = _("Revoked {role} on {unit} from {member}.")
            if not changed:
                text = _("{member} did not have {role} on {unit}.")
        print(text.format(role=args.role, unit=args.unit, member=args.member))
        return EXIT_OK

    async def outbox_status() -> int:
        async with db.read() as store:
            summary = await store.outbox.summary()
            failures = await store.outbox.failures()
        if not summary:
            print(_("The outbox is empty."))
            return EXIT_OK
        statuses = ("queued", "sending", "sent", "failed", "blocked")
        kinds = sorted({kind for kind, _, _ in summary})
        counts = {(kind, status): count for kind, status, count in summary}
        print(_("kind") + "\t" + "\t".join(_(OUTBOX_STATUSES[s]) for s in statuses))
        for kind in kinds:
            print(kind + "\t" + "\t".join(str(counts.get((kind, s), 0)) for s in statuses))
        for kind, error, count in failures:
            print(
                _("Failed ({kind}): {count} × {error}").format(kind=kind, count=count, error=error)
            )
        return EXIT_OK

    async def outbox_retry() -> int:
        async with db.write() as store:
            count = await store.outbox.retry_failed(services.clock.now())
        print(_("Queued again: {count}. The bot sends them when it runs.").format(count=count))
        return EXIT_OK

    handlers = {
        ("db", "upgrade"): upgrade,
        ("db", "backup"): backup,
        ("units", "import"): lambda: import_file("units"),
        ("members", "import"): lambda: import_file("members"),
        ("members", "leave"): leave,
        ("members", "unlink"): unlink,
        ("invite", "create"): create_invite,
        ("campaign", "list"): campaign_list,
        ("campaign", "create"): campaign_save,
        ("campaign", "edit"): campaign_save,
        ("role", "grant"): set_role,
        ("role", "revoke"): set_role,
        ("export", "commitments"): export_commitments,
        ("export", "attendance"): export_attendance,
        ("export", "nominations"): export_nominations,
        ("outbox", "status"): outbox_status,
        ("outbox", "retry"): outbox_retry,
    }
    handlers.update(cli_board.handlers(args, services))
    handlers.update(cli_nominations.handlers(args, services))
    handlers.update(cli_reports_dossier.handlers(args, services))
    handlers.update(cli_reports.handlers(args, services, write_export))
    key = (args.command, getattr(args, "db_command", None) or getattr(args, "sub", None))
    try:
        await db.connect()
    except Exception as error:  # a broken file or folder: say so in one line
        fail(_("Cannot open the database {path}: {reason}"), path=db.path, reason=error)
        return EXIT_FAILED
    try:
        return await handlers[key]()
    except UserFacingError as error:
        print(error.render(), file=sys.stderr)
        return EXIT_FAILED
    finally:
        await db.close()
