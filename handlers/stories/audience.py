"""Choosing a story's audience, shared by /story new and /story edit: everyone in the board's
unit, chosen units below it, the holders of a role, or the mass-organisation members.

Units are picked one level at a time with toggle buttons (names on the buttons, ids in their
data), a page of :data:`PAGE` at a time, with a button to list the units below one. The
picker redraws its own message. Every unit a button names is checked by the service to lie
below the story's unit: a forged or stale button for another unit is refused.

The conversation keeps the picker's state in its data under ``"picker"``: the chosen units
(id and name), the trail of units opened from the story's unit down, and the page.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot import callbacks as cb
from bot.context import CadreContext
from bot.errors import UserFacingError
from bot.i18n import gettext
from bot.rules.stories import AUDIENCE_ROLE_LABELS, AUDIENCE_ROLES, Audience, AudienceKind
from bot.services.stories import AudienceLevel
from handlers.replies import h, reply
from handlers.ui import answer, drop_markup, keyboard, parse_button, refuse_button

PAGE = 8
NAME_SHOWN = 40  # characters of a unit's name on a button

# Every button of the picker: a conversation waiting for the audience takes all of them.
BUTTONS = (
    cb.STORY_AUDIENCE,
    cb.STORY_KINDS,
    cb.STORY_ROLE,
    cb.STORY_TOGGLE,
    cb.STORY_OPEN_UNIT,
    cb.STORY_UP,
    cb.STORY_PAGE,
    cb.STORY_UNITS_DONE,
)


def start(data: dict, chosen: Sequence[tuple[int, str]] = ()) -> None:
    """A fresh picker; the units (id, name) of the story's audience, when editing, start
    chosen."""
    data["picker"] = {"chosen": [[i, name] for i, name in chosen], "trail": [], "page": 0}


def _short(name: str) -> str:
    return name if len(name) <= NAME_SHOWN else name[: NAME_SHOWN - 1] + "…"


def _kinds(data: dict) -> tuple[str, InlineKeyboardMarkup]:
    unit = _short(data["unit_name"])
    return gettext("Who should receive the story?"), keyboard(
        [(gettext("Everyone in {unit}").format(unit=unit), cb.STORY_AUDIENCE("scope"))],
        [(gettext("Chosen units below it"), cb.STORY_AUDIENCE("units"))],
        [(gettext("Holders of a role (e.g. cell secretaries)"), cb.STORY_AUDIENCE("role"))],
        [(gettext("Members of the mass-organisation branches"), cb.STORY_AUDIENCE("mass_org"))],
    )


def _roles(data: dict) -> tuple[str, InlineKeyboardMarkup]:
    rows = [[(gettext(AUDIENCE_ROLE_LABELS[role]), cb.STORY_ROLE(role))] for role in AUDIENCE_ROLES]
    rows.append([(gettext("‹ Another audience"), cb.STORY_KINDS())])
    text = gettext("Which role? The story goes to those who hold it in {unit}.").format(
        unit=h(data["unit_name"])
    )
    return text, keyboard(*rows)


async def ask(update: Update, data: dict) -> None:
    """The audience question, as a new message."""
    text, markup = _kinds(data)
    await reply(update, text, reply_markup=markup)


async def ask_again(update: Update, data: dict, error: UserFacingError) -> None:
    """The audience was refused at the last step (a chosen unit removed or moved away
    meanwhile, say): say why and ask again, from the start of the picker; everything else
    typed is kept."""
    start(data)
    await reply(
        update,
        error.render_html()
        + "\n"
        + gettext("Everything else is kept: please choose the audience again."),
    )
    await ask(update, data)


async def _show(update: Update, text: str, markup: InlineKeyboardMarkup) -> None:
    """Redraw the pressed message (a text answer gets a new one)."""
    query = update.callback_query
    if query is None:
        await reply(update, text, reply_markup=markup)
        return
    with contextlib.suppress(BadRequest):  # "not modified": pressed twice
        await query.edit_message_text(text, reply_markup=markup)


async def handle(update: Update, context: CadreContext, data: dict) -> Audience | None:
    """Any button of the picker. Returns the audience once it is complete; None while the
    board is still choosing (the picker is redrawn, or a refusal shown)."""
    try:
        return await _handle(update, context, data)
    except UserFacingError as error:
        await refuse_button(update, error, drop=False)
        return None


async def _handle(update: Update, context: CadreContext, data: dict) -> Audience | None:
    picker = data.setdefault("picker", {"chosen": [], "trail": [], "page": 0})
    if (values := parse_button(cb.STORY_AUDIENCE, update)) is not None:
        kind = AudienceKind(values[0])
        if kind in (AudienceKind.SCOPE, AudienceKind.MASS_ORG):
            return await _chosen(update, Audience(kind))
        await answer(update)
        if kind is AudienceKind.ROLE:
            await _show(update, *_roles(data))
            return None
        picker.update(trail=[], page=0)
        await _draw(update, context, data)
        return None
    if (values := parse_button(cb.STORY_ROLE, update)) is not None:
        return await _chosen(update, Audience(AudienceKind.ROLE, role=values[0]))
    if parse_button(cb.STORY_KINDS, update) is not None:
        await answer(update)
        await _show(update, *_kinds(data))
        return None
    if parse_button(cb.STORY_UNITS_DONE, update) is not None:
        if not picker["chosen"]:
            await answer(update, gettext("Choose at least one unit for the audience."), alert=True)
            return None
        ids = tuple(unit_id for unit_id, _ in picker["chosen"])
        return await _chosen(update, Audience(AudienceKind.UNITS, ids))
    await _move(update, context, data, picker)
    return None


async def _move(update: Update, context: CadreContext, data: dict, picker: dict) -> None:
    """Toggle a unit, open one, go up, or turn the page; then redraw."""
    service = context.services.stories
    level = None
    if (values := parse_button(cb.STORY_TOGGLE, update)) is not None:
        unit = await service.audience_unit(context.actor, data["unit_id"], values[0])
        chosen = [pair for pair in picker["chosen"] if pair[0] != unit.id]
        if len(chosen) == len(picker["chosen"]):
            chosen.append([unit.id, unit.name])
        picker["chosen"] = chosen
    elif (values := parse_button(cb.STORY_OPEN_UNIT, update)) is not None:
        level = await service.audience_level(context.actor, data["unit_id"], values[0])
        picker["trail"] = [*picker["trail"], level.parent.id]
        picker["page"] = 0
    elif parse_button(cb.STORY_UP, update) is not None:
        picker["trail"] = picker["trail"][:-1]
        picker["page"] = 0
    elif (values := parse_button(cb.STORY_PAGE, update)) is not None:
        picker["page"] = values[0]
    await answer(update)
    await _draw(update, context, data, level)


async def _chosen(update: Update, audience: Audience) -> Audience:
    await answer(update)
    await drop_markup(update)
    return audience


async def _draw(
    update: Update, context: CadreContext, data: dict, level: AudienceLevel | None = None
) -> None:
    picker = data["picker"]
    if level is None:
        parent = picker["trail"][-1] if picker["trail"] else None
        try:
            level = await context.services.stories.audience_level(
                context.actor, data["unit_id"], parent
            )
        except UserFacingError:
            # A unit on the way down is gone or has moved: start again from the top.
            picker.update(trail=[], page=0)
            level = await context.services.stories.audience_level(context.actor, data["unit_id"])
    await _show(update, _picker_text(level, picker), _picker_keyboard(level, picker))


def _picker_text(level: AudienceLevel, picker: dict) -> str:
    pages = max(1, -(-len(level.children) // PAGE))
    lines = [
        gettext(
            "Choose the units that will receive the story: tap a unit to choose it (☑), tap "
            "again to leave it out. Each member gets the story once, even if they belong to "
            "several chosen units."
        ),
        "",
        gettext("Units below <b>{unit}</b>").format(unit=h(level.parent.name))
        + (f" ({min(picker['page'], pages - 1) + 1}/{pages})" if pages > 1 else ""),
    ]
    if not level.children:
        lines.append(gettext("There are no units below it."))
    names = [name for _, name in picker["chosen"]]
    if names:
        lines.append(
            gettext("Chosen ({count}): {units}").format(
                count=len(names), units=h(", ".join(names[:20]) + (" …" if len(names) > 20 else ""))
            )
        )
    return "\n".join(lines)


def _picker_keyboard(level: AudienceLevel, picker: dict) -> InlineKeyboardMarkup:
    pages = max(1, -(-len(level.children) // PAGE))
    page = min(max(picker["page"], 0), pages - 1)
    picker["page"] = page
    chosen = {unit_id for unit_id, _ in picker["chosen"]}
    rows: list[list[tuple[str, str]]] = []
    for choice in level.children[page * PAGE : (page + 1) * PAGE]:
        mark = "☑" if choice.unit.id in chosen else "☐"
        row = [(f"{mark} {_short(choice.unit.name)}", cb.STORY_TOGGLE(choice.unit.id))]
        if choice.below:
            row.append((gettext("Below ›"), cb.STORY_OPEN_UNIT(choice.unit.id)))
        rows.append(row)
    turn = []
    if page > 0:
        turn.append((gettext("‹ Previous"), cb.STORY_PAGE(page - 1)))
    if page < pages - 1:
        turn.append((gettext("Next ›"), cb.STORY_PAGE(page + 1)))
    if turn:
        rows.append(turn)
    if level.parent.id != level.top.id:
        rows.append([(gettext("⬆ Up one level"), cb.STORY_UP())])
    rows.append(
        [
            (gettext("‹ Another audience"), cb.STORY_KINDS()),
            (gettext("Done ({count} chosen)").format(count=len(chosen)), cb.STORY_UNITS_DONE()),
        ]
    )
    return keyboard(*rows)
