//! Two devices through the JSON ABI only; the test plays the homeserver.

use std::collections::BTreeMap;

use crate::common::*;
use reflexbot_crypto::RbCrypto;
use serde_json::{Map, Value, json};

const ROOM: &str = "!room:example.org";

/// Just enough of a homeserver: device keys and one-time keys as uploaded.
#[derive(Default)]
struct FakeServer {
    device_keys: BTreeMap<String, Map<String, Value>>,
    one_time_keys: BTreeMap<(String, String), Vec<(String, Value)>>,
}

impl FakeServer {
    fn publish(&mut self, user: &str, device: &str, upload: &Value) {
        self.device_keys
            .entry(user.into())
            .or_default()
            .insert(device.into(), upload["device_keys"].clone());
        let keys = upload["one_time_keys"].as_object().unwrap();
        let pool = self
            .one_time_keys
            .entry((user.into(), device.into()))
            .or_default();
        pool.extend(keys.iter().map(|(id, key)| (id.clone(), key.clone())));
    }

    fn keys_query(&self, body: &Value) -> Value {
        let mut device_keys = Map::new();
        for user in body["device_keys"].as_object().unwrap().keys() {
            let devices = self.device_keys.get(user).cloned().unwrap_or_default();
            device_keys.insert(user.clone(), Value::Object(devices));
        }
        json!({"device_keys": device_keys, "failures": {}})
    }

    fn keys_claim(&mut self, body: &Value) -> Value {
        let mut claimed = Map::new();
        for (user, devices) in body["one_time_keys"].as_object().unwrap() {
            let mut per_device = Map::new();
            for device in devices.as_object().unwrap().keys() {
                let pool = self
                    .one_time_keys
                    .get_mut(&(user.clone(), device.clone()))
                    .unwrap();
                let (id, key) = pool.pop().unwrap();
                per_device.insert(device.clone(), json!({ id: key }));
            }
            claimed.insert(user.clone(), Value::Object(per_device));
        }
        json!({"one_time_keys": claimed, "failures": {}})
    }
}

fn answer_keys_queries(handle: *mut RbCrypto, server: &FakeServer) {
    for query in requests_of_kind(handle, "keys_query") {
        assert_eq!(query["path"], "/_matrix/client/v3/keys/query");
        mark(handle, &query, server.keys_query(&query["body"]));
    }
}

/// Sends the to-device requests; returns the events addressed to `user`/`device`.
fn deliver(
    handle: *mut RbCrypto,
    requests: &[Value],
    sender: &str,
    user: &str,
    device: &str,
) -> Vec<Value> {
    let mut events = Vec::new();
    for request in requests {
        assert_eq!(request["kind"], "to_device");
        assert_eq!(request["method"], "PUT");
        let path = request["path"].as_str().unwrap();
        let rest = path
            .strip_prefix("/_matrix/client/v3/sendToDevice/")
            .unwrap();
        let event_type = rest.split('/').next().unwrap();
        if let Some(content) = request["body"]["messages"][user].get(device) {
            events.push(json!({"type": event_type, "sender": sender, "content": content}));
        }
        mark(handle, request, json!({}));
    }
    events
}

fn room_event(content: &Value, event_id: &str) -> Value {
    json!({"type": "m.room.encrypted", "event_id": event_id, "sender": "@bob:example.org",
           "origin_server_ts": 1_700_000_000_000u64, "room_id": ROOM, "content": content})
}

fn encrypt(handle: *mut RbCrypto, body: &str) -> Value {
    let out = call(
        handle,
        json!({"op": "encrypt", "room_id": ROOM, "type": "m.room.message",
                                 "content": {"msgtype": "m.text", "body": body}}),
    );
    assert_eq!(out["type"], "m.room.encrypted");
    assert_eq!(out["content"]["algorithm"], "m.megolm.v1.aes-sha2");
    out["content"].clone()
}

#[test]
fn bob_shares_a_room_key_and_alice_decrypts() {
    let (alice_dir, bob_dir) = (TempDir::new("alice"), TempDir::new("bob"));
    let alice = open("@alice:example.org", "ALICEDEV", alice_dir.path(), b"a").unwrap();
    let bob = open("@bob:example.org", "BOBDEV", bob_dir.path(), b"b").unwrap();
    let mut server = FakeServer::default();
    server.publish("@alice:example.org", "ALICEDEV", &upload_keys(alice));
    server.publish("@bob:example.org", "BOBDEV", &upload_keys(bob));

    for (handle, other) in [(bob, "@alice:example.org"), (alice, "@bob:example.org")] {
        call(
            handle,
            json!({"op": "update_tracked_users", "users": [other]}),
        );
        answer_keys_queries(handle, &server);
    }

    let missing = call(
        bob,
        json!({"op": "missing_sessions", "users": ["@alice:example.org"]}),
    );
    let claim = &missing["request"];
    assert_eq!(claim["kind"], "keys_claim");
    assert_eq!(claim["path"], "/_matrix/client/v3/keys/claim");
    assert_eq!(
        claim["body"]["one_time_keys"]["@alice:example.org"]["ALICEDEV"],
        "signed_curve25519"
    );
    mark(bob, claim, server.keys_claim(&claim["body"]));
    let again = call(
        bob,
        json!({"op": "missing_sessions", "users": ["@alice:example.org"]}),
    );
    assert!(again["request"].is_null());

    let shared = call(
        bob,
        json!({"op": "share_room_key", "room_id": ROOM,
                                  "users": ["@alice:example.org", "@bob:example.org"], "only_cross_signed": false}),
    );
    let to_alice = deliver(
        bob,
        shared["requests"].as_array().unwrap(),
        "@bob:example.org",
        "@alice:example.org",
        "ALICEDEV",
    );
    assert_eq!(to_alice.len(), 1);
    let first = room_event(&encrypt(bob, "hallo alice"), "$first");

    let early = call(
        alice,
        json!({"op": "decrypt", "room_id": ROOM, "event": first}),
    );
    assert_eq!(early["decrypted"], false, "{early}");
    assert_eq!(early["retry"], true);
    assert!(early["session_id"].is_string());
    let available = call(
        alice,
        json!({"op": "is_room_key_available", "room_id": ROOM, "event": first}),
    );
    assert_eq!(available["available"], false);

    let synced = call(
        alice,
        json!({"op": "receive_sync_changes", "to_device": to_alice, "changed": [],
                                    "left": [], "one_time_key_counts": {"signed_curve25519": 49},
                                    "unused_fallback_key_types": null, "next_batch": "s1"}),
    );
    let keys = synced["room_keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["room_id"], ROOM);
    assert_eq!(keys[0]["session_id"], early["session_id"]);
    assert!(keys[0]["sender_key"].is_string());

    let available = call(
        alice,
        json!({"op": "is_room_key_available", "room_id": ROOM, "event": first}),
    );
    assert_eq!(available["available"], true);
    let late = call(
        alice,
        json!({"op": "decrypt", "room_id": ROOM, "event": first}),
    );
    assert_eq!(late["decrypted"], true, "{late}");
    assert_eq!(late["type"], "m.room.message");
    assert_eq!(
        late["content"],
        json!({"msgtype": "m.text", "body": "hallo alice"})
    );
    assert_eq!(late["sender_device"], "BOBDEV");
    assert_eq!(late["trusted"], false, "bob's device is not cross-signed");

    let second = room_event(&encrypt(bob, "zweite"), "$second");
    let out = call(
        alice,
        json!({"op": "decrypt", "room_id": ROOM, "event": second}),
    );
    assert_eq!(out["content"]["body"], "zweite");

    let broken = call(
        alice,
        json!({"op": "decrypt", "room_id": ROOM,
                                    "event": room_event(&json!({"algorithm": "m.megolm.v1.aes-sha2"}), "$bad")}),
    );
    assert_eq!(broken["decrypted"], false);
    assert_eq!(broken["retry"], false);
    close(alice);
    close(bob);
}

#[test]
fn only_cross_signed_skips_unsigned_devices() {
    let (alice_dir, bob_dir) = (TempDir::new("alice-x"), TempDir::new("bob-x"));
    let alice = open("@alice:example.org", "ALICEDEV", alice_dir.path(), b"").unwrap();
    let bob = open("@bob:example.org", "BOBDEV", bob_dir.path(), b"").unwrap();
    let mut server = FakeServer::default();
    server.publish("@alice:example.org", "ALICEDEV", &upload_keys(alice));
    server.publish("@bob:example.org", "BOBDEV", &upload_keys(bob));
    call(
        bob,
        json!({"op": "update_tracked_users", "users": ["@alice:example.org"]}),
    );
    answer_keys_queries(bob, &server);
    let missing = call(
        bob,
        json!({"op": "missing_sessions", "users": ["@alice:example.org"]}),
    );
    mark(
        bob,
        &missing["request"],
        server.keys_claim(&missing["request"]["body"]),
    );
    // IdentityBasedStrategy refuses to share at all while the sender itself is not cross-signed.
    let out = call_raw(
        bob,
        &json!({"op": "share_room_key", "room_id": ROOM,
                                   "users": ["@alice:example.org"], "only_cross_signed": true})
        .to_string(),
    );
    assert_eq!(out["ok"], false);
    assert!(
        out["error"].as_str().unwrap().contains("cross-signing"),
        "{out}"
    );
    close(alice);
    close(bob);
}
