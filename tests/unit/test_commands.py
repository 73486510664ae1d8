"""bot/commands.py: the command table and who sees which command."""

from __future__ import annotations

import re

from bot.commands import BY_NAME, COMMANDS, visible_commands
from bot.i18n import use_locale
from bot.rules.access import MANAGERS, MONITORS, Actor, Role
from storage.records import Member, RoleGrant, Unit

CELL = Unit(4, "A1", "Chi bộ A1", "cell", 2, "/1/2/4/")
COMMITTEE = Unit(2, "QA", "Quận ủy A", "committee", 1, "/1/2/")
PUBLIC = ["start", "help", "language", "cancel"]


def member(registration: str = "active") -> Member:
    return Member(
        id=7,
        code="DV007",
        full_name="Huỳnh Thị Thu Hà",
        status="official",
        position="",
        is_head=False,
        language=None,
        telegram_id=1007,
        registration=registration,
        started_bot_at=None,
        blocked_at=None,
    )


def names(actor: Actor) -> list[str]:
    return [spec.name for spec in visible_commands(actor)]


def with_roles(*grants: tuple[str, Unit]) -> Actor:
    return Actor(
        1007,
        member(),
        tuple(RoleGrant(i, 7, role, unit) for i, (role, unit) in enumerate(grants)),
        units=(CELL,),
    )


def expected_for(roles: set[Role]) -> list[str]:
    """What the table says a registered member with these roles may use, in table order."""
    return [
        spec.name
        for spec in COMMANDS
        if spec.public or spec.roles is None or bool(spec.roles & roles)
    ]


def test_table_is_consistent() -> None:
    assert len(BY_NAME) == len(COMMANDS)
    # Telegram's rule for command names: 1-32 of a-z, 0-9 and _.
    assert all(re.fullmatch(r"[a-z0-9_]{1,32}", spec.name) for spec in COMMANDS)
    assert [spec.name for spec in COMMANDS if spec.public][:4] == PUBLIC
    assert BY_NAME["me"].private_only and BY_NAME["invite"].private_only
    assert BY_NAME["invite"].roles == MANAGERS and BY_NAME["unreached"].roles == MONITORS
    assert all(0 < len(spec.description) <= 256 for spec in COMMANDS)


def test_stranger_sees_only_public_commands() -> None:
    visible = names(Actor(5))
    assert visible == [spec.name for spec in COMMANDS if spec.public]
    assert visible[:4] == PUBLIC
    assert "me" not in visible and "invite" not in visible


def test_pending_member_sees_only_public_commands() -> None:
    assert names(Actor(1007, member("pending"), pending=True)) == names(Actor(5))


def test_plain_member_does_not_see_manager_commands() -> None:
    visible = names(with_roles())
    assert "invite" not in visible
    assert "joins" not in visible
    assert "unreached" not in visible
    assert "me" in visible and "help" in visible
    assert visible == expected_for(set())


def test_secretary_sees_invite_joins_and_unreached() -> None:
    visible = names(with_roles(("secretary", CELL)))
    assert {"invite", "joins", "unreached", "me"} <= set(visible)
    assert visible == expected_for({Role.SECRETARY})
    assert names(with_roles(("deputy", CELL))) == expected_for({Role.DEPUTY})
    assert "invite" in names(with_roles(("deputy", CELL)))


def test_committee_member_sees_unreached_but_not_invite() -> None:
    visible = names(with_roles(("committee", COMMITTEE)))
    assert "unreached" in visible
    assert "invite" not in visible and "joins" not in visible
    assert visible == expected_for({Role.COMMITTEE})


def test_propaganda_role_alone_adds_no_manager_command() -> None:
    visible = names(with_roles(("propaganda", COMMITTEE)))
    assert not {"invite", "joins", "unreached"} & set(visible)
    assert visible == expected_for({Role.PROPAGANDA})


def test_config_admin_sees_all() -> None:
    assert names(Actor(900001, is_config_admin=True)) == [spec.name for spec in COMMANDS]
    # So does a member with an admin grant.
    assert names(with_roles(("admin", CELL))) == [spec.name for spec in COMMANDS]


def test_descriptions_are_translated() -> None:
    spec = BY_NAME["invite"]
    with use_locale("en"):
        english = spec.describe()
    with use_locale("vi"):
        vietnamese = spec.describe()
    assert english == "Create an invite code for a member or a unit"
    assert vietnamese == "Tạo mã mời cho đảng viên hoặc đơn vị"
    for command in COMMANDS:
        with use_locale("vi"):
            assert command.describe() != command.description, command.name


def test_the_cached_lists_agree_with_the_access_rule_for_every_set_of_roles() -> None:
    """commands_for is worked out once per set of roles (issue 13): it must say what
    may_use says for each person, registered or not, admin by config or by role."""
    from itertools import combinations

    from bot.commands import access_of, commands_for
    from bot.rules.access import may_use

    roles = [Role.SECRETARY, Role.DEPUTY, Role.COMMITTEE, Role.PROPAGANDA, Role.ADMIN]
    actors = [Actor(1), Actor(1, is_config_admin=True), Actor(1, member("pending"), pending=True)]
    for size in range(len(roles) + 1):
        for chosen in combinations(roles, size):
            grants = [(role.value, CELL) for role in chosen]
            actors.append(with_roles(*grants))
            admin = with_roles(*grants)
            actors.append(Actor(1007, admin.member, admin.grants, True, units=(CELL,)))
    for actor in actors:
        expected = [
            spec for spec in COMMANDS if spec.public or (
                (actor.is_registered or actor.is_admin) and may_use(actor, spec.roles))
        ]  # fmt: skip
        assert list(commands_for(access_of(actor))) == expected, actor
        assert visible_commands(actor) == expected


def test_the_menu_is_built_once_per_roles_and_language() -> None:
    from bot.commands import access_of
    from bot.menus import command_menu

    secretary = with_roles(("secretary", CELL))
    another = Actor(1008, member(), secretary.grants, units=(CELL,))
    first, fingerprint = command_menu(access_of(secretary), "vi")
    assert command_menu(access_of(another), "vi")[0] is first  # the same, not rebuilt
    english, english_fingerprint = command_menu(access_of(secretary), "en")
    assert fingerprint.startswith("vi:") and english_fingerprint.startswith("en:")
    assert fingerprint[3:] == english_fingerprint[3:]
    assert [c.description for c in first] != [c.description for c in english]
    member_only = command_menu(access_of(with_roles()), "vi")[1]
    assert ",invite," in fingerprint and ",invite," not in member_only
