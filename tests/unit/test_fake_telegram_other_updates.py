"""The fake world's rarer updates: channel posts, edits and forwards, shaped as Telegram's
and read back by python-telegram-bot as the right kinds."""

from __future__ import annotations

from telegram import Bot, Update

from fake_telegram import World, forward_origin


def _parsed(update: dict) -> Update:
    return Update.de_json(update, Bot("1:x"))


def test_a_channel_post_has_the_channel_as_sender_and_no_user() -> None:
    world = World()
    world.add_channel(-100_456, "Kênh")
    update = _parsed(world.post_in_channel(-100_456, "/start hello"))
    assert update.channel_post is not None and update.effective_user is None
    assert update.channel_post.sender_chat.id == -100_456
    assert update.channel_post.text == "/start hello"


def test_an_edit_arrives_as_edited_message_with_its_new_text() -> None:
    world = World()
    world.add_user(5, "An")
    sent = world.send_text(5, "first")
    update = _parsed(world.edit_text(5, sent["message"]["message_id"], "/me"))
    assert update.message is None and update.edited_message is not None
    assert update.edited_message.text == "/me" and update.edited_message.edit_date is not None
    assert update.edited_message.entities[0].type == "bot_command"
    assert [m["text"] for m in world.user_messages(5)] == ["/me"]


def test_an_edited_channel_post_is_one() -> None:
    world = World()
    world.add_channel(-100_456, "Kênh")
    post = world.post_in_channel(-100_456, "a")
    update = _parsed(world.edit_text(-100_456, post["channel_post"]["message_id"], "b"))
    assert update.edited_channel_post is not None and update.edited_channel_post.text == "b"


def test_forwards_carry_their_origin() -> None:
    world = World()
    world.add_user(5, "An")
    world.add_user(6, "Bích")
    from_user = _parsed(world.send_text(5, "hi", forwarded=forward_origin(user=world.user(6))))
    assert from_user.message.forward_origin.sender_user.id == 6
    hidden = _parsed(world.send_text(5, "hi", forwarded=forward_origin(hidden_name="X")))
    assert hidden.message.forward_origin.sender_user_name == "X"
