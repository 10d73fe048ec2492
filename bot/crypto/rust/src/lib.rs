//! Reflexbot's crypto wrapper: the C ABI of `bot/crypto/rb_crypto.h` over matrix-sdk-crypto.
//! This file owns the entry points, the JSON envelope and panic containment; `handle` owns the
//! machine and its store, `ops` the operations, `outreq` the HTTP shape of requests and responses.

mod handle;
mod ops;
mod outreq;
mod quiet;
mod recovery;

use std::ffi::{CStr, CString, c_char};
use std::path::Path;
use std::ptr;

use serde_json::{Value, json};

/// The opaque handle of the C ABI.
pub struct RbCrypto {
    crypto: handle::Crypto,
}

fn into_c_string(text: String) -> *mut c_char {
    // serde_json escapes NUL, so this only fails on a bug; fall back to a fixed error.
    CString::new(text)
        .unwrap_or_else(|_| CString::from(c"{\"ok\":false,\"error\":\"internal: NUL in output\"}"))
        .into_raw()
}

fn error_json(error: &str) -> String {
    json!({"ok": false, "error": error}).to_string()
}

fn ok_json(output: Value) -> String {
    let mut object = match output {
        Value::Object(object) => object,
        _ => serde_json::Map::new(),
    };
    object.insert("ok".into(), Value::Bool(true));
    Value::Object(object).to_string()
}

/// # Safety
/// `text` must be NULL or a NUL-terminated string.
unsafe fn str_arg<'a>(text: *const c_char, what: &str) -> Result<&'a str, String> {
    if text.is_null() {
        return Err(format!("{what} is NULL"));
    }
    // SAFETY: non-null and NUL-terminated per the contract.
    unsafe { CStr::from_ptr(text) }
        .to_str()
        .map_err(|_| format!("{what} is not UTF-8"))
}

/// # Safety
/// See rb_crypto.h: strings NUL-terminated, `passphrase` valid for `passphrase_len` bytes.
unsafe fn open_checked(
    user_id: *const c_char,
    device_id: *const c_char,
    store_dir: *const c_char,
    passphrase: *const u8,
    passphrase_len: usize,
) -> Result<RbCrypto, String> {
    let (user_id, device_id, store_dir) = unsafe {
        (
            str_arg(user_id, "user_id")?,
            str_arg(device_id, "device_id")?,
            str_arg(store_dir, "store_dir")?,
        )
    };
    let passphrase: &[u8] = match (passphrase.is_null(), passphrase_len) {
        (_, 0) => &[],
        (true, _) => return Err("passphrase is NULL".into()),
        // SAFETY: the caller guarantees `passphrase_len` readable bytes.
        (false, len) => unsafe { std::slice::from_raw_parts(passphrase, len) },
    };
    let crypto = handle::Crypto::open(user_id, device_id, Path::new(store_dir), passphrase)?;
    Ok(RbCrypto { crypto })
}

/// Opens the machine and its store; see rb_crypto.h.
///
/// # Safety
/// Arguments as described in rb_crypto.h; `error` may be NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rb_crypto_open(
    user_id: *const c_char,
    device_id: *const c_char,
    store_dir: *const c_char,
    passphrase: *const u8,
    passphrase_len: usize,
    error: *mut *mut c_char,
) -> *mut RbCrypto {
    let result = quiet::catch(|| unsafe {
        open_checked(user_id, device_id, store_dir, passphrase, passphrase_len)
    })
    .and_then(|inner| inner);
    match result {
        Ok(crypto) => {
            if !error.is_null() {
                // SAFETY: caller passed a writable pointer.
                unsafe { *error = ptr::null_mut() };
            }
            Box::into_raw(Box::new(crypto))
        }
        Err(text) => {
            if !error.is_null() {
                // SAFETY: as above.
                unsafe { *error = into_c_string(text) };
            }
            ptr::null_mut()
        }
    }
}

/// Runs one JSON operation; see rb_crypto.h. Never returns NULL.
///
/// # Safety
/// `crypto` is NULL or a live handle used by one thread at a time; `request_json` is NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rb_crypto_call(
    crypto: *mut RbCrypto,
    request_json: *const c_char,
) -> *mut c_char {
    let result = quiet::catch(|| {
        let request = unsafe { str_arg(request_json, "request") }?;
        // SAFETY: per the contract the handle is live and not shared across threads meanwhile.
        match unsafe { crypto.as_ref() } {
            Some(crypto) => ops::dispatch(&crypto.crypto, request),
            None => ops::dispatch_stateless(request),
        }
    })
    .and_then(|inner| inner);
    into_c_string(match result {
        Ok(output) => ok_json(output),
        Err(text) => error_json(&text),
    })
}

/// Encrypts an attachment in place (AES-256-CTR with a fresh key, matrix-sdk-crypto's
/// AttachmentEncryptor); see rb_crypto.h. Never returns NULL.
///
/// # Safety
/// `data` points to `len` writable bytes (or is NULL with `len` 0), not used elsewhere meanwhile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rb_crypto_encrypt_attachment(data: *mut u8, len: usize) -> *mut c_char {
    let result = quiet::catch(|| {
        if data.is_null() && len != 0 {
            return Err("attachment is NULL".to_string());
        }
        let bytes: &mut [u8] = if len == 0 {
            &mut []
        } else {
            // SAFETY: per the contract `data` holds `len` writable bytes.
            unsafe { std::slice::from_raw_parts_mut(data, len) }
        };
        ops::encrypt_attachment(bytes)
    })
    .and_then(|inner| inner);
    into_c_string(match result {
        Ok(output) => ok_json(output),
        Err(text) => error_json(&text),
    })
}

/// Frees a string returned by this library; NULL is ignored.
///
/// # Safety
/// `text` is NULL or came from this library and was not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rb_crypto_free_string(text: *mut c_char) {
    if !text.is_null() {
        // SAFETY: allocated by CString::into_raw in this library.
        drop(unsafe { CString::from_raw(text) });
    }
}

/// Closes the handle; NULL is ignored.
///
/// # Safety
/// `crypto` is NULL or a live handle not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rb_crypto_close(crypto: *mut RbCrypto) {
    if crypto.is_null() {
        return;
    }
    // SAFETY: came from Box::into_raw in rb_crypto_open.
    let crypto = unsafe { Box::from_raw(crypto) };
    // A panic while closing can only be swallowed: there is no channel to report it.
    let _ = quiet::catch(move || crypto.crypto.close());
}
