//! Secret storage: the private cross-signing keys stored under a recovery key and taken back by a
//! new device with an empty store (a lost database), which then signs itself with them.

use std::ptr;

use crate::common::*;
use serde_json::{Value, json};

const USER: &str = "@bot:example.org";

/// Bootstraps cross-signing on a fresh device; returns the signing keys' upload body.
fn bootstrap(handle: *mut reflexbot_crypto::RbCrypto) -> Value {
    let out = call(
        handle,
        json!({"op": "bootstrap_cross_signing", "reset": false}),
    );
    mark(
        handle,
        &out["upload_keys"],
        json!({"one_time_key_counts": {"signed_curve25519": 50}}),
    );
    mark(
        handle,
        &json!({"id": "signing", "kind": "signing_keys_upload"}),
        json!({}),
    );
    out["upload_signing_keys"]["body"].clone()
}

fn new_recovery_key() -> String {
    let out = call_raw(ptr::null_mut(), r#"{"op":"new_recovery_key"}"#);
    assert_eq!(out["ok"], true, "{out}");
    out["recovery_key"].as_str().unwrap().to_owned()
}

#[test]
fn a_new_recovery_key_has_the_spec_shape_and_is_new_each_time() {
    let key = new_recovery_key();
    let groups: Vec<&str> = key.split(' ').collect();
    assert_eq!(groups.len(), 12, "{key}");
    assert!(groups.iter().all(|g| g.len() == 4), "{key}");
    assert!(key.starts_with("Es"), "the spec's 0x8b 0x01 prefix: {key}");
    assert_ne!(key, new_recovery_key());
    // Other ops still need a handle.
    let out = call_raw(ptr::null_mut(), r#"{"op":"identity"}"#);
    assert_eq!(out["ok"], false);
}

#[test]
fn a_lost_store_takes_its_identity_back_with_the_recovery_key() {
    let recovery = new_recovery_key();
    let first_dir = TempDir::new("rec1");
    let first = open(USER, "FIRST", first_dir.path(), b"pw").unwrap();
    let signing = bootstrap(first);

    // Nothing to store without private keys; a malformed recovery key is refused.
    let bad = call_raw(
        first,
        &json!({"op": "secret_storage_export", "recovery_key": "not a key"}).to_string(),
    );
    assert_eq!(bad["ok"], false);
    assert!(
        bad["error"].as_str().unwrap().contains("not a valid"),
        "{bad}"
    );

    let stored = call(
        first,
        json!({"op": "secret_storage_export", "recovery_key": recovery}),
    );
    let key_id = stored["key_id"].as_str().unwrap().to_owned();
    assert_eq!(
        stored["key"]["algorithm"],
        "m.secret_storage.v1.aes-hmac-sha2"
    );
    assert!(stored["key"]["iv"].is_string() && stored["key"]["mac"].is_string());
    let secrets = stored["secrets"].clone();
    for name in [
        "m.cross_signing.master",
        "m.cross_signing.self_signing",
        "m.cross_signing.user_signing",
    ] {
        let data = &secrets[name]["encrypted"][&key_id];
        assert!(data["ciphertext"].is_string(), "{name}: {secrets}");
    }
    // The private keys are not in the account data in clear.
    let export = call(first, json!({"op": "export_cross_signing_keys"}));
    let text = secrets.to_string();
    for name in ["master", "self_signing", "user_signing"] {
        assert!(
            !text.contains(export[name].as_str().unwrap()),
            "{name} in clear"
        );
    }
    // Storing again under the same (existing) key keeps its id.
    let again = call(
        first,
        json!({"op": "secret_storage_export", "recovery_key": recovery, "key_id": key_id,
               "key": stored["key"]}),
    );
    assert_eq!(again["key_id"], key_id.as_str());
    // Another recovery key does not open the existing description.
    let other = call_raw(
        first,
        &json!({"op": "secret_storage_export", "recovery_key": new_recovery_key(),
                "key_id": key_id, "key": stored["key"]})
        .to_string(),
    );
    assert_eq!(other["ok"], false);
    assert!(
        other["error"].as_str().unwrap().contains("does not open"),
        "{other}"
    );
    close(first);

    // The database is lost: a new device with an empty store.
    let second_dir = TempDir::new("rec2");
    let second = open(USER, "SECOND", second_dir.path(), b"pw").unwrap();
    let device_keys = upload_keys(second)["device_keys"].clone();
    let import = json!({"op": "secret_storage_import", "recovery_key": recovery, "key_id": key_id,
                        "key": stored["key"], "secrets": secrets});
    let early = call_raw(second, &import.to_string());
    assert_eq!(early["ok"], false, "own identity not known yet: {early}");

    call(
        second,
        json!({"op": "update_tracked_users", "users": [USER]}),
    );
    let user_keys = |name: &str| json!({USER: signing[name]});
    for query in requests_of_kind(second, "keys_query") {
        mark(
            second,
            &query,
            json!({"device_keys": {USER: {"SECOND": device_keys}},
                   "master_keys": user_keys("master_key"),
                   "self_signing_keys": user_keys("self_signing_key"),
                   "user_signing_keys": user_keys("user_signing_key")}),
        );
    }
    let mut wrong = import.clone();
    wrong["recovery_key"] = json!(new_recovery_key());
    let wrong = call_raw(second, &wrong.to_string());
    assert_eq!(wrong["ok"], false);
    assert!(
        !wrong["error"].as_str().unwrap().contains(&recovery[..8]),
        "no key in errors"
    );

    let restored = call(second, import);
    let signatures = &restored["upload_signatures"];
    assert_eq!(
        signatures["path"],
        "/_matrix/client/v3/keys/signatures/upload"
    );
    let signed = &signatures["body"][USER]["SECOND"];
    let ssk_id = signing["self_signing_key"]["keys"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    assert!(
        signed["signatures"][USER][&ssk_id].is_string(),
        "the new device is signed by the old self-signing key: {signed}"
    );
    let identity = call(second, json!({"op": "identity"}));
    assert_eq!(
        identity["cross_signing"],
        json!({"has_master": true, "has_self_signing": true, "has_user_signing": true})
    );
    let back = call(second, json!({"op": "export_cross_signing_keys"}));
    assert_eq!(
        back["master"], export["master"],
        "the same identity, not a new one"
    );
    close(second);
}
