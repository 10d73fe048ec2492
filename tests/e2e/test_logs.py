"""What the bot's log must never contain: access tokens and passwords, at any level, also when
the homeserver rejects the token and the bot logs in again with its password. (conftest.py checks
the logs of every bot of the run the same way at the end of the session.)"""

from helpers import (TOKEN_PATTERN, give_password, join_bot, ping_and_wait, secrets_in_logs,
                     wait_for)

WAIT = 60


def test_the_log_scan_finds_tokens_and_passwords(tmp_path):
    """The scan itself can fail: planted secrets are found and masked in its report."""
    log = tmp_path / "planted.log"  # not bot.log: the session-wide scan would find it too
    log.write_text("2025-06-01 info logged in as @bot:x\n"
                   "2025-06-01 debug Authorization: Bearer syt_Ym90_AbCdEfGhIjKlMnOp_1a2b3c\n"
                   "2025-06-01 info password is hunter2hunter2\n"
                   "2025-06-01 info busy_timeout and easy_target are no tokens\n")
    found = secrets_in_logs([log], {"hunter2hunter2"})
    assert [line.split(": ", 1)[0] for line in found] == [f"{log}:2", f"{log}:3"]
    assert not any("AbCdEfGh" in line or "hunter2" in line for line in found), found
    assert TOKEN_PATTERN.search("token syr_Ym90_refresh_token_0a1b2c")


def test_no_token_or_password_in_the_log_across_a_rejected_token_and_a_new_login(
        hs, make_bot, user):
    anna = user("anna")
    bot = make_bot(allowlist=[anna.user_id], start=False, log_level="debug")
    give_password(bot)
    bot.start()
    room = join_bot(anna, bot)
    ping_and_wait(anna, room, bot)
    first_token = bot.account.access_token

    # An admin revokes the bot's session; its next request gets M_UNKNOWN_TOKEN.
    hs.client(bot.user_id, first_token).request("POST", "/_matrix/client/v3/logout", {})
    wait_for(lambda: "logged in again as " + bot.user_id in bot.log(), WAIT,
             "the bot to log in again with its password")
    ping_and_wait(anna, room, bot, "!ping nach dem neuen Login")
    assert bot.stop() == 0

    log = bot.log()
    assert "rejected the access token" in log, bot.log_tail(20)
    # The scan proves something only if the bot logged, and at its most verbose level we use.
    assert len(log.splitlines()) > 10 and " debug outbox " in log, bot.log_tail(20)
    assert "Bearer" not in log
    leaks = secrets_in_logs([bot.log_path], {first_token, bot.account.password})
    assert not leaks, "\n".join(leaks)
