//! Malformed input never panics or crashes: it becomes {"ok": false, "error": ...}.

use std::ffi::CString;
use std::ptr;

use crate::common::*;
use reflexbot_crypto::{rb_crypto_call, rb_crypto_close, rb_crypto_free_string};
use serde_json::json;

fn assert_error(out: &serde_json::Value) {
    assert_eq!(out["ok"], false, "{out}");
    assert!(
        out["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{out}"
    );
}

#[test]
fn null_handle_and_null_request() {
    let request = CString::new(r#"{"op":"identity"}"#).unwrap();
    assert_error(&take(unsafe {
        rb_crypto_call(ptr::null_mut(), request.as_ptr())
    }));
    let dir = TempDir::new("abi-null");
    let handle = open("@bot:example.org", "DEV", dir.path(), b"").unwrap();
    assert_error(&take(unsafe { rb_crypto_call(handle, ptr::null()) }));
    close(handle);
    unsafe {
        rb_crypto_close(ptr::null_mut());
        rb_crypto_free_string(ptr::null_mut());
    }
}

#[test]
fn garbage_and_unknown_ops() {
    let dir = TempDir::new("abi-garbage");
    let handle = open("@bot:example.org", "DEV", dir.path(), b"").unwrap();
    for request in [
        "",
        "not json",
        "[]",
        "{}",
        "null",
        r#"{"op": 5}"#,
        r#"{"op": "no_such_op"}"#,
        r#"{"op": "decrypt"}"#,
        r#"{"op": "decrypt", "room_id": "bad", "event": {}}"#,
        r#"{"op": "mark_request_as_sent", "id": "x", "kind": "keys_upload", "body": "nope"}"#,
        r#"{"op": "mark_request_as_sent", "id": "x", "kind": "weird", "body": {}}"#,
        r#"{"op": "receive_sync_changes", "to_device": 7}"#,
        r#"{"op": "share_room_key", "room_id": "!r:x", "users": ["nope"], "only_cross_signed": false}"#,
        r#"{"op": "import_cross_signing_keys", "master": "%%%", "self_signing": null, "user_signing": null}"#,
    ] {
        assert_error(&call_raw(handle, request));
    }
    // A malformed event is a value, not an error: the bot drops it instead of parking it.
    let out = call(
        handle,
        json!({"op": "decrypt", "room_id": "!r:x", "event": {"type": 1}}),
    );
    assert_eq!(out["decrypted"], false);
    assert_eq!(out["retry"], false);
    // Encrypting before any key was shared must fail cleanly (the crate itself would panic).
    let out = call_raw(
        handle,
        &json!({"op": "encrypt", "room_id": "!r:example.org", "type": "m.room.message",
                                      "content": {"msgtype": "m.text", "body": "geheimnis-4711"}})
        .to_string(),
    );
    assert_error(&out);
    assert!(!out["error"].as_str().unwrap().contains("geheimnis"));
    // The handle still works afterwards.
    call(handle, json!({"op": "identity"}));
    close(handle);
}
