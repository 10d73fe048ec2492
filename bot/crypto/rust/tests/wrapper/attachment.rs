//! Attachments: encrypted in place with a fresh key each time; the key info decrypts them again.

use std::io::{Cursor, Read};
use std::ptr;

use crate::common::*;
use matrix_sdk_crypto::{AttachmentDecryptor, MediaEncryptionInfo};
use reflexbot_crypto::rb_crypto_encrypt_attachment;

fn encrypt(bytes: &mut [u8]) -> serde_json::Value {
    take(unsafe { rb_crypto_encrypt_attachment(bytes.as_mut_ptr(), bytes.len()) })
}

#[test]
fn encrypts_in_place_and_decrypts() {
    let plain: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut first = plain.clone();
    let out = encrypt(&mut first);
    assert_eq!(out["ok"], true, "{out}");
    assert_eq!(out["v"], "v2");
    assert_eq!(out["key"]["alg"], "A256CTR");
    assert!(
        out["hashes"]["sha256"]
            .as_str()
            .is_some_and(|h| !h.is_empty())
    );
    assert_ne!(first, plain);
    assert_eq!(first.len(), plain.len());

    let mut object = out.clone();
    object.as_object_mut().unwrap().remove("ok");
    let info: MediaEncryptionInfo = serde_json::from_value(object).unwrap();
    let mut cursor = Cursor::new(first.clone());
    let mut decryptor = AttachmentDecryptor::new(&mut cursor, info).unwrap();
    let mut back = Vec::new();
    decryptor.read_to_end(&mut back).unwrap();
    assert_eq!(back, plain);

    // A fresh key every time: the same bytes never give the same ciphertext.
    let mut second = plain.clone();
    let again = encrypt(&mut second);
    assert_ne!(again["key"]["k"], out["key"]["k"]);
    assert_ne!(second, first);
}

#[test]
fn empty_and_null() {
    let out = take(unsafe { rb_crypto_encrypt_attachment(ptr::null_mut(), 0) });
    assert_eq!(out["ok"], true, "{out}");
    let out = take(unsafe { rb_crypto_encrypt_attachment(ptr::null_mut(), 3) });
    assert_eq!(out["ok"], false, "{out}");
}
