//! Test helpers: drive the library through its C ABI only, as the C++ bot does.
#![allow(dead_code)]

use std::ffi::{CStr, CString, c_char};
use std::path::{Path, PathBuf};
use std::ptr;

use reflexbot_crypto::{
    RbCrypto, rb_crypto_call, rb_crypto_close, rb_crypto_free_string, rb_crypto_open,
};
use serde_json::{Value, json};

/// A directory under the system temp dir, removed on drop (no tempfile crate: keeps the lock small).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("rbc-test-{tag}-{}-{nanos}", std::process::id()));
        TempDir(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Takes ownership of a string returned by the library.
pub fn take(text: *mut c_char) -> Value {
    assert!(!text.is_null());
    let parsed = unsafe { CStr::from_ptr(text) }.to_str().unwrap().to_owned();
    unsafe { rb_crypto_free_string(text) };
    serde_json::from_str(&parsed).unwrap()
}

pub fn open(
    user: &str,
    device: &str,
    dir: &Path,
    passphrase: &[u8],
) -> Result<*mut RbCrypto, String> {
    let user = CString::new(user).unwrap();
    let device = CString::new(device).unwrap();
    let dir = CString::new(dir.to_str().unwrap()).unwrap();
    let mut error: *mut c_char = ptr::null_mut();
    let handle = unsafe {
        rb_crypto_open(
            user.as_ptr(),
            device.as_ptr(),
            dir.as_ptr(),
            passphrase.as_ptr(),
            passphrase.len(),
            &mut error,
        )
    };
    if handle.is_null() {
        let text = unsafe { CStr::from_ptr(error) }
            .to_str()
            .unwrap()
            .to_owned();
        unsafe { rb_crypto_free_string(error) };
        Err(text)
    } else {
        assert!(error.is_null());
        Ok(handle)
    }
}

pub fn close(handle: *mut RbCrypto) {
    unsafe { rb_crypto_close(handle) };
}

pub fn call_raw(handle: *mut RbCrypto, request: &str) -> Value {
    let request = CString::new(request).unwrap();
    take(unsafe { rb_crypto_call(handle, request.as_ptr()) })
}

/// One op that must succeed; returns its output.
pub fn call(handle: *mut RbCrypto, request: Value) -> Value {
    let out = call_raw(handle, &request.to_string());
    assert_eq!(out["ok"], json!(true), "op {} failed: {out}", request["op"]);
    out
}

pub fn requests_of_kind(handle: *mut RbCrypto, kind: &str) -> Vec<Value> {
    let out = call(handle, json!({"op": "outgoing_requests"}));
    out["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == kind)
        .cloned()
        .collect()
}

pub fn mark(handle: *mut RbCrypto, request: &Value, body: Value) {
    call(
        handle,
        json!({"op": "mark_request_as_sent", "id": request["id"], "kind": request["kind"], "body": body}),
    );
}

/// Uploads the device's keys to the fake homeserver; returns the keys_upload body.
pub fn upload_keys(handle: *mut RbCrypto) -> Value {
    let uploads = requests_of_kind(handle, "keys_upload");
    assert_eq!(uploads.len(), 1, "one keys_upload expected");
    let upload = &uploads[0];
    let count = upload["body"]["one_time_keys"]
        .as_object()
        .map_or(0, |keys| keys.len());
    mark(
        handle,
        upload,
        json!({"one_time_key_counts": {"signed_curve25519": count}}),
    );
    upload["body"].clone()
}
