//! Opening, identity, the keys upload and reopening the encrypted store.

use std::os::unix::fs::PermissionsExt;

use crate::common::*;
use serde_json::json;

#[test]
fn open_upload_and_reopen() {
    let dir = TempDir::new("store");
    let store = dir.path().join("crypto");
    let handle = open(
        "@bot:example.org",
        "BOTDEVICE",
        &store,
        b"secret passphrase",
    )
    .unwrap();

    let identity = call(handle, json!({"op": "identity"}));
    assert_eq!(identity["user_id"], "@bot:example.org");
    assert_eq!(identity["device_id"], "BOTDEVICE");
    let ed25519 = identity["ed25519"].as_str().unwrap().to_owned();
    assert!(identity["curve25519"].as_str().unwrap().len() > 20);
    assert_eq!(identity["cross_signing"]["has_master"], false);
    assert_eq!(identity["device_cross_signed"], false);

    let uploads = requests_of_kind(handle, "keys_upload");
    assert_eq!(uploads.len(), 1);
    let upload = &uploads[0];
    assert_eq!(upload["method"], "POST");
    assert_eq!(upload["path"], "/_matrix/client/v3/keys/upload");
    assert!(upload["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(upload["body"]["device_keys"]["device_id"], "BOTDEVICE");
    assert!(
        !upload["body"]["one_time_keys"]
            .as_object()
            .unwrap()
            .is_empty()
    );
    mark(
        handle,
        upload,
        json!({"one_time_key_counts": {"signed_curve25519": 50}}),
    );
    assert!(
        requests_of_kind(handle, "keys_upload").is_empty(),
        "keys uploaded once"
    );
    close(handle);

    let mode = std::fs::metadata(&store).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    for entry in std::fs::read_dir(&store).unwrap() {
        let mode = entry.unwrap().metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "store files are private");
    }

    let handle = open(
        "@bot:example.org",
        "BOTDEVICE",
        &store,
        b"secret passphrase",
    )
    .unwrap();
    let identity = call(handle, json!({"op": "identity"}));
    assert_eq!(identity["ed25519"], ed25519.as_str());
    close(handle);

    let error = open("@bot:example.org", "BOTDEVICE", &store, b"wrong").unwrap_err();
    assert!(!error.is_empty());
    assert!(!error.contains("wrong"));
}

#[test]
fn empty_passphrase_and_bad_arguments() {
    let dir = TempDir::new("plain");
    let handle = open("@bot:example.org", "DEV", &dir.path().join("s"), b"").unwrap();
    close(handle);
    assert!(open("not a user id", "DEV", &dir.path().join("t"), b"").is_err());
    assert!(
        open(
            "@bot:example.org",
            "DEV",
            &dir.path().join("u"),
            &[0xff, 0xfe]
        )
        .is_err()
    );
    let other = open("@other:example.org", "DEV", &dir.path().join("s"), b"").unwrap_err();
    assert!(!other.is_empty());
}

#[test]
fn cross_signing_bootstrap_and_export() {
    let dir = TempDir::new("xsign");
    let handle = open("@bot:example.org", "BOTDEVICE", dir.path(), b"pw").unwrap();
    let out = call(
        handle,
        json!({"op": "bootstrap_cross_signing", "reset": false}),
    );
    let upload = &out["upload_keys"];
    assert_eq!(upload["kind"], "keys_upload");
    assert_eq!(
        out["upload_signing_keys"]["path"],
        "/_matrix/client/v3/keys/device_signing/upload"
    );
    let signing = &out["upload_signing_keys"]["body"];
    for key in ["master_key", "self_signing_key", "user_signing_key"] {
        assert_eq!(signing[key]["user_id"], "@bot:example.org", "{key}");
    }
    assert_eq!(
        out["upload_signatures"]["path"],
        "/_matrix/client/v3/keys/signatures/upload"
    );
    assert!(out["upload_signatures"]["body"]["@bot:example.org"].is_object());
    let device_keys = upload["body"]["device_keys"].clone();
    mark(
        handle,
        upload,
        json!({"one_time_key_counts": {"signed_curve25519": 50}}),
    );
    mark(
        handle,
        &json!({"id": "signing", "kind": "signing_keys_upload"}),
        json!({}),
    );

    let identity = call(handle, json!({"op": "identity"}));
    assert_eq!(
        identity["cross_signing"],
        json!({"has_master": true, "has_self_signing": true, "has_user_signing": true})
    );
    assert_eq!(
        identity["device_cross_signed"], false,
        "signed only once the server echoes it"
    );

    // The server echoes the signed device in the answer to the machine's own keys query.
    // The server merges the uploaded signature into the device keys it holds.
    let new_signatures =
        &out["upload_signatures"]["body"]["@bot:example.org"]["BOTDEVICE"]["signatures"];
    let mut signed_device = device_keys.clone();
    let signatures = signed_device["signatures"]["@bot:example.org"]
        .as_object_mut()
        .unwrap();
    signatures.extend(
        new_signatures["@bot:example.org"]
            .as_object()
            .unwrap()
            .clone(),
    );
    assert_eq!(signatures.len(), 2);
    let own_keys = |name: &str| json!({"@bot:example.org": signing[name]});
    let queries = requests_of_kind(handle, "keys_query");
    assert!(!queries.is_empty(), "the machine queries its own user");
    for query in queries {
        mark(
            handle,
            &query,
            json!({"device_keys": {"@bot:example.org": {"BOTDEVICE": signed_device}},
                                    "master_keys": own_keys("master_key"),
                                    "self_signing_keys": own_keys("self_signing_key"),
                                    "user_signing_keys": own_keys("user_signing_key")}),
        );
    }
    let identity = call(handle, json!({"op": "identity"}));
    assert_eq!(identity["device_cross_signed"], true);

    let export = call(handle, json!({"op": "export_cross_signing_keys"}));
    assert!(export["master"].is_string());
    assert!(export["self_signing"].is_string());
    assert!(export["user_signing"].is_string());
    close(handle);

    let other = TempDir::new("xsign2");
    let handle = open("@bot:example.org", "SECOND", other.path(), b"pw").unwrap();
    let out = call_raw(
        handle,
        &json!({"op": "import_cross_signing_keys", "master": export["master"],
                                      "self_signing": null, "user_signing": null})
        .to_string(),
    );
    assert_eq!(out["ok"], false, "own identity not known yet: {out}");
    // The homeserver's answer to a keys query for the own user, from what the first device uploaded.
    call(
        handle,
        json!({"op": "update_tracked_users", "users": ["@bot:example.org"]}),
    );
    let user_keys = |name: &str| json!({"@bot:example.org": signing[name]});
    for query in requests_of_kind(handle, "keys_query") {
        mark(
            handle,
            &query,
            json!({"device_keys": {"@bot:example.org": {"BOTDEVICE": device_keys}},
                                    "master_keys": user_keys("master_key"),
                                    "self_signing_keys": user_keys("self_signing_key"),
                                    "user_signing_keys": user_keys("user_signing_key")}),
        );
    }
    call(
        handle,
        json!({"op": "import_cross_signing_keys", "master": export["master"],
                        "self_signing": export["self_signing"], "user_signing": export["user_signing"]}),
    );
    let identity = call(handle, json!({"op": "identity"}));
    assert_eq!(identity["cross_signing"]["has_self_signing"], true);
    close(handle);
}
