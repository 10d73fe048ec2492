"""Invites: accepted from the allowlist only."""

from helpers import ensure_alive, join_bot, ping_and_wait, wait_for


def test_allowlisted_invite_is_accepted(make_bot, user):
    anna = user("anna")
    bot = make_bot(allowlist=[anna.user_id])
    room = join_bot(anna, bot, name="Reflexionsraum Köln")
    assert bot.user_id in anna.joined_members(room)


def test_server_allowlist_accepts_invites_from_that_server(make_bot, user, hs):
    anna = user("anna")
    bot = make_bot(allowlist=[hs.server_name])
    room = join_bot(anna, bot)
    assert bot.user_id in anna.joined_members(room)


def test_invite_from_others_is_not_accepted(make_bot, user):
    anna, mallory = user("anna"), user("mallory")
    bot = make_bot(allowlist=[anna.user_id])
    allowed = join_bot(anna, bot)

    foreign = mallory.create_room(name="Fremder Raum", invite=[bot.user_id])
    # A ping sent after the foreign invite is answered: the bot has synced past the invite.
    ping_and_wait(anna, allowed, bot)
    ensure_alive(bot)
    assert mallory.membership(foreign, bot.user_id) != "join", \
        "bot joined a room after an invite from a user not on the allowlist"
    assert bot.user_id not in mallory.joined_members(foreign)
    # The bot declines (leaves) the invite rather than leaving it pending.
    wait_for(lambda: mallory.membership(foreign, bot.user_id) == "leave", 15,
             "the bot to decline (leave) the invite from a non-allowlisted user")
    assert bot.user_id not in mallory.joined_members(foreign)
    # The inviter learns nothing; the operator's log names the invite_allowlist entries that would
    # admit them (with the inviter's id, as every invitation is logged), and nothing secret.
    declined = [line for line in bot.log().splitlines()
                if "declining the invite to " + foreign in line]
    assert len(declined) == 1, bot.log_tail(20)
    server = mallory.user_id.split(":", 1)[1]
    assert (f'add "{mallory.user_id}" (this user) or "{server}" (everyone on that server) to '
            "invite_allowlist in the config") in declined[0], declined[0]
