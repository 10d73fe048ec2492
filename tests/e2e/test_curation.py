"""Moderators correct a digest's groups and the bot remembers, against Synapse: two groups of D1
merged and renamed by the moderator, the next !digest shows one group under the new name, and a
contribution written after the correction joins it. Once in a plain room with the harness's own
client (scripts/localhs.py), once in an encrypted room with every participant on matrix-nio
(tests/e2e/e2ee.py); never with the bot's own code."""

from e2ee import e2ee  # noqa: F401 (fixture)
from helpers import db_rows, ensure_alive, ping_and_wait, wait_bot_notice, wait_for
from test_e2ee import crypto_bot, encrypted_room, invite_bot, ping, wait_bot_says, wait_collected

WAIT = 30


def test_merged_and_renamed_groups_are_kept_by_the_next_digest(make_bot, user):
    mod = user("moderation")
    anna, ben, clara, dora = user("anna"), user("ben"), user("clara"), user("dora")
    room = mod.create_room(name="Reflexion Köln",
                           invite=[anna.user_id, ben.user_id, clara.user_id, dora.user_id])
    for client in (anna, ben, clara, dora):
        client.join(room)
    bot = make_bot(allowlist=[mod.user_id], rooms=[{"room_id": room, "city": "Köln"}])
    mod.invite(room, bot.user_id)
    wait_for(lambda: ensure_alive(bot) or mod.membership(room, bot.user_id) == "join", WAIT,
             "the bot to join")
    ping_and_wait(mod, room, bot)

    posted = [
        anna.send_text(room, "Die FFP2-Masken kamen viel zu spät #problem"),
        ben.send_text(room, "Masken und Schutzausrüstung früher bestellen #lehre"),
        clara.send_text(room, "Das Bürgertelefon war völlig überlastet #problem"),
        dora.send_text(room, "Hotline und Bürgertelefon waren dauernd überlastet #lehre"),
    ]
    for event_id in posted:
        wait_for(lambda: ensure_alive(bot) or db_rows(
            bot, "SELECT 1 FROM contributions WHERE event_id = ?", (event_id,)), WAIT,
            f"{event_id} collected")

    asked = mod.send_text(room, "!digest")
    first = wait_bot_notice(mod, room, bot, lambda b: b.startswith("Digest"), "digest D1",
                            after=asked, timeout=WAIT)
    assert " · D1" in first["content"]["body"], first["content"]["body"]
    groups = db_rows(bot, "SELECT m.number, COUNT(*) FROM digest_members m JOIN digests d "
                          "ON d.id = m.digest_id WHERE d.number = 1 GROUP BY m.number")
    assert groups == [(1, 2), (2, 2)], (groups, first["content"]["body"])

    # A participant may not correct; the moderator merges and renames.
    refused = anna.send_text(room, "!zusammenführen D1-1 D1-2")
    wait_bot_notice(mod, room, bot, lambda b: "Moderation" in b, "the refusal", after=refused,
                    timeout=WAIT)
    merge = mod.send_text(room, "!zusammenführen D1-1 D1-2")
    merged = wait_bot_notice(mod, room, bot, lambda b: "sind jetzt eine Gruppe" in b,
                             "the merge's answer", after=merge, timeout=WAIT)
    assert "4 Beiträge von 4 Personen" in merged["content"]["body"], merged["content"]["body"]
    rename = mod.send_text(room, "!umbenennen D1-1 Beschaffung und Erreichbarkeit")
    renamed = wait_bot_notice(mod, room, bot, lambda b: "heißt jetzt so" in b,
                              "the rename's answer", after=rename, timeout=WAIT)
    assert "„Beschaffung und Erreichbarkeit“" in renamed["content"]["body"], \
        renamed["content"]["body"]
    bad = mod.send_text(room, "!merge D1-1 D1-9")
    wait_bot_notice(mod, room, bot, lambda b: b == "Der Digest D1 hat keine Nr. 9.", "the error",
                    after=bad, timeout=WAIT)
    assert db_rows(bot, "SELECT name FROM curated_groups") == [("Beschaffung und Erreichbarkeit",)]

    # Written after the correction: it joins the corrected group.
    later = anna.send_text(room, "Masken fehlten wieder und die Hotline war überlastet #problem")
    wait_for(lambda: ensure_alive(bot) or db_rows(
        bot, "SELECT 1 FROM contributions WHERE event_id = ?", (later,)), WAIT, "collected")
    again = mod.send_text(room, "!digest")
    second = wait_bot_notice(mod, room, bot, lambda b: b.startswith("Digest"), "digest D2",
                             after=again, timeout=WAIT)
    body = second["content"]["body"]
    assert " · D2" in body, body
    assert "1. Beschaffung und Erreichbarkeit" in body, body
    assert "5 Beiträge" in body, body
    numbered = db_rows(bot, "SELECT m.number FROM digest_members m JOIN digests d "
                            "ON d.id = m.digest_id WHERE d.number = 2 AND m.event_id = ?", (later,))
    assert numbered == [(1,)], (numbered, body)


def test_through_matrix_nio_in_an_encrypted_room(make_bot, user, e2ee):
    mod, anna, ben = e2ee(user("moderation")), e2ee(user("anna")), e2ee(user("ben"))
    room = encrypted_room(mod, [anna, ben], "Krisenstab Köln – verschlüsselt")
    bot = crypto_bot(make_bot, [mod.user_id], rooms=[{"room_id": room, "city": "Köln"}])
    invite_bot(mod, room, bot, [anna, ben])
    ping(mod, room, bot)
    posted = [anna.send_text(room, "Die FFP2-Masken kamen viel zu spät #problem"),
              ben.send_text(room, "Masken und Schutzausrüstung früher bestellen #lehre"),
              anna.send_text(room, "Das Bürgertelefon war völlig überlastet #problem"),
              ben.send_text(room, "Hotline und Bürgertelefon waren dauernd überlastet #lehre")]
    for n, event_id in enumerate(posted):
        wait_collected(mod, room, bot, event_id, f"contribution {n + 1}")
    asked = mod.send_text(room, "!digest")
    first = wait_bot_says(mod, room, bot, lambda b: b.startswith("Digest für Köln"), "D1",
                          after=asked)
    assert " · D1" in first["content"]["body"], first["content"]["body"]

    merge = mod.send_text(room, "!merge D1-1 D1-2")
    wait_bot_says(mod, room, bot, lambda b: "sind jetzt eine Gruppe" in b, "the merge's answer",
                  after=merge)
    rename = mod.send_text(room, "!rename D1-1 Beschaffung und Erreichbarkeit")
    renamed = wait_bot_says(anna, room, bot, lambda b: "heißt jetzt so" in b,
                            "the rename's answer, decrypted by a participant", after=rename)
    assert "„Beschaffung und Erreichbarkeit“" in renamed["content"]["body"], \
        renamed["content"]["body"]

    later = anna.send_text(room, "Masken fehlten wieder und die Hotline war überlastet #problem")
    wait_collected(mod, room, bot, later, "the later contribution")
    again = mod.send_text(room, "!digest")
    second = wait_bot_says(ben, room, bot, lambda b: b.startswith("Digest für Köln") and
                           " · D2" in b, "D2, decrypted by a participant", after=again)
    body = second["content"]["body"]
    assert "1. Beschaffung und Erreichbarkeit" in body and "5 Beiträge" in body, body
