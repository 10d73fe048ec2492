"""The harness itself against Synapse, without the bot: if these fail, the bot tests mean nothing."""

import pytest

from localhs import MatrixError, is_message, reply_target


def test_rooms_messages_and_readback(user):
    anna, ben = user("anna"), user("ben")
    room = anna.create_room(name="Reflexionsraum Köln", invite=[ben.user_id])
    ben.join(room)
    assert set(anna.joined_members(room)) == {anna.user_id, ben.user_id}
    first = anna.send_text(room, "!ping")
    reply = ben.send_text(room, "Pong", msgtype="m.notice",
                          extra={"m.relates_to": {"m.in_reply_to": {"event_id": first}},
                                 "m.mentions": {}})
    ben.react(room, first, "👍")
    ben.edit(room, reply, "Pong!")
    doomed = anna.send_text(room, "weg damit")
    anna.redact(room, doomed, "test")
    ids = [anna.send_text(room, f"m{i}") for i in range(120)]
    events = ben.messages(room, page=50)
    order = [e["event_id"] for e in events]
    assert order.index(first) < order.index(reply) < order.index(ids[0])
    assert [e for e in order if e in set(ids)] == ids
    by_id = {e["event_id"]: e for e in events}
    assert reply_target(by_id[reply]) == first and is_message(by_id[reply], "m.notice")
    assert any(e["type"] == "m.reaction" for e in events)


def test_same_txn_id_is_deduplicated(user):
    anna = user("anna")
    room = anna.create_room()
    assert anna.send_text(room, "a", txn_id="t1") == anna.send_text(room, "a", txn_id="t1")


def test_encrypted_room_state(user):
    anna = user("anna")
    room = anna.create_room(encrypted=True)
    assert anna.state(room, "m.room.encryption")["algorithm"] == "m.megolm.v1.aes-sha2"


def test_override_ratelimit_applies(user, admin):
    anna = user("anna")
    room = anna.create_room()
    admin.override_ratelimit(anna.user_id, messages_per_second=1, burst_count=1)
    with pytest.raises(MatrixError) as err:
        for i in range(10):
            anna.request("PUT", f"/_matrix/client/v3/rooms/{anna.q(room)}/send/m.room.message/"
                                f"{anna.new_txn_id()}", {"msgtype": "m.text", "body": str(i)},
                         retry_rate_limited=False)
    assert err.value.errcode == "M_LIMIT_EXCEEDED"
    admin.delete_ratelimit_override(anna.user_id)


def test_restart_keeps_port_and_data(hs, user):
    anna = user("anna")
    room = anna.create_room()
    event = anna.send_text(room, "vor dem Neustart")
    url = hs.url
    hs.restart()
    assert hs.url == url
    assert event in [e["event_id"] for e in anna.messages(room)]
