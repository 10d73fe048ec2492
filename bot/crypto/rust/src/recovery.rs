//! Secret storage (the spec's m.secret_storage, what Element calls the recovery key): the bot's
//! private cross-signing keys, encrypted with a key only the operator holds, kept in the account's
//! own account data on the homeserver. With the recovery key a bot whose database was lost takes
//! its old identity back instead of making a new one that every room would have to trust again.
//! The cryptography is the crate's `SecretStorageKey`; this file only shapes it for the C ABI.

use std::collections::BTreeMap;

use matrix_sdk_common::ruma::events::EventContentFromType;
use matrix_sdk_common::ruma::events::secret::request::SecretName;
use matrix_sdk_common::ruma::events::secret_storage::key::{
    SecretStorageEncryptionAlgorithm, SecretStorageKeyEventContent,
    SecretStorageV1AesHmacSha2Properties,
};
use matrix_sdk_common::ruma::serde::Base64;
use matrix_sdk_crypto::CrossSigningKeyExport;
use matrix_sdk_crypto::secret_storage::{AesHmacSha2EncryptedData, SecretStorageKey};
use serde::Deserialize;
use serde_json::value::to_raw_value;
use serde_json::{Value, json};

use crate::handle::Crypto;
use crate::outreq;

const MASTER: &str = "m.cross_signing.master";
const SELF_SIGNING: &str = "m.cross_signing.self_signing";
const USER_SIGNING: &str = "m.cross_signing.user_signing";

/// A fresh recovery key in the spec's base58 form (groups of four), for `reflexbot recovery-key`.
pub fn new_recovery_key() -> Result<Value, String> {
    Ok(json!({"recovery_key": SecretStorageKey::new().to_base58()}))
}

/// The key description of account data `m.secret_storage.key.<key_id>`.
fn key_description(key_id: &str, content: &Value) -> Result<SecretStorageKeyEventContent, String> {
    let raw = to_raw_value(content).map_err(|e| format!("internal: {e}"))?;
    SecretStorageKeyEventContent::from_parts(&format!("m.secret_storage.key.{key_id}"), &raw)
        .map_err(|_| "the secret storage key description is malformed".to_string())
}

/// The operator's recovery key checked against a key description (never says more than "wrong").
fn open_key(
    recovery_key: &str,
    description: SecretStorageKeyEventContent,
) -> Result<SecretStorageKey, String> {
    SecretStorageKey::from_account_data(recovery_key, description).map_err(|_| {
        "the recovery key does not open the account's secret storage (a different key, or a typo)"
            .to_string()
    })
}

/// A key description for a recovery key the operator brought (not one the crate made): its own
/// encryption of 32 zero bytes under the secret name "" is exactly the spec's check value.
fn describe_new_key(recovery_key: &str) -> Result<SecretStorageKey, String> {
    let key_id = SecretStorageKey::new().key_id().to_owned();
    let unchecked = SecretStorageKeyEventContent::new(
        key_id.clone(),
        SecretStorageEncryptionAlgorithm::V1AesHmacSha2(SecretStorageV1AesHmacSha2Properties::new(
            None, None,
        )),
    );
    let key = SecretStorageKey::from_account_data(recovery_key, unchecked).map_err(|_| {
        "the recovery key is not a valid Matrix recovery key (base58, 48 characters)".to_string()
    })?;
    let check = key.encrypt(vec![0u8; 32], &SecretName::from(""));
    let described = SecretStorageKeyEventContent::new(
        key_id,
        SecretStorageEncryptionAlgorithm::V1AesHmacSha2(SecretStorageV1AesHmacSha2Properties::new(
            Some(Base64::new(check.iv.to_vec())),
            Some(Base64::new(check.mac.to_vec())),
        )),
    );
    // Read back through the check a restoring client makes.
    open_key(recovery_key, described)
}

#[derive(Deserialize)]
pub struct ExportIn {
    recovery_key: String,
    /// The account's current default key (id and description), if it has one.
    key_id: Option<String>,
    key: Option<Value>,
}

/// The account data that stores the private cross-signing keys under the recovery key: the key
/// description (when it is new) and one encrypted secret per key.
pub fn export(crypto: &Crypto, request: ExportIn) -> Result<Value, String> {
    let key = match (&request.key_id, request.key) {
        (Some(id), Some(content)) => {
            open_key(&request.recovery_key, key_description(id, &content)?)?
        }
        _ => describe_new_key(&request.recovery_key)?,
    };
    let export = crypto
        .block_on(crypto.machine().export_cross_signing_keys())
        .map_err(|e| format!("cannot export the cross-signing keys: {e}"))?
        .ok_or_else(|| "there are no private cross-signing keys to store".to_string())?;
    let mut secrets = serde_json::Map::new();
    for (name, secret) in [
        (MASTER, &export.master_key),
        (SELF_SIGNING, &export.self_signing_key),
        (USER_SIGNING, &export.user_signing_key),
    ] {
        let Some(secret) = secret else { continue };
        let encrypted = key.encrypt(secret.as_bytes().to_vec(), &SecretName::from(name));
        let encrypted = serde_json::to_value(encrypted).map_err(|e| format!("internal: {e}"))?;
        secrets.insert(
            name.to_owned(),
            json!({"encrypted": {key.key_id(): encrypted}}),
        );
    }
    let description =
        serde_json::to_value(key.event_content()).map_err(|e| format!("internal: {e}"))?;
    Ok(json!({"key_id": key.key_id(), "key": description, "secrets": secrets}))
}

#[derive(Deserialize)]
pub struct ImportIn {
    recovery_key: String,
    key_id: String,
    key: Value,
    /// Account data content by type (m.cross_signing.*), as the homeserver returned it.
    secrets: BTreeMap<String, Value>,
}

fn decrypt_secret(
    key: &SecretStorageKey,
    secrets: &BTreeMap<String, Value>,
    name: &str,
) -> Result<Option<String>, String> {
    let Some(content) = secrets.get(name) else {
        return Ok(None);
    };
    let Some(data) = content.get("encrypted").and_then(|e| e.get(key.key_id())) else {
        return Ok(None);
    };
    let data: AesHmacSha2EncryptedData = serde_json::from_value(data.clone())
        .map_err(|_| format!("the stored secret {name} is malformed"))?;
    let plain = key
        .decrypt(&data, &SecretName::from(name))
        .map_err(|_| format!("the stored secret {name} does not decrypt with the recovery key"))?;
    String::from_utf8(plain)
        .map(Some)
        .map_err(|_| format!("the stored secret {name} is not text"))
}

/// Takes the private cross-signing keys back from secret storage and signs this device with
/// them. The machine must know its own user's public keys (a keys query) first.
pub fn import(crypto: &Crypto, request: ImportIn) -> Result<Value, String> {
    let key = open_key(
        &request.recovery_key,
        key_description(&request.key_id, &request.key)?,
    )?;
    let export = CrossSigningKeyExport {
        master_key: decrypt_secret(&key, &request.secrets, MASTER)?,
        self_signing_key: decrypt_secret(&key, &request.secrets, SELF_SIGNING)?,
        user_signing_key: decrypt_secret(&key, &request.secrets, USER_SIGNING)?,
    };
    if export.master_key.is_none() || export.self_signing_key.is_none() {
        return Err(
            "secret storage holds no master and self-signing key for this recovery key".into(),
        );
    }
    let machine = crypto.machine();
    let status = crypto
        .block_on(machine.import_cross_signing_keys(export))
        .map_err(|e| format!("cannot import the cross-signing keys: {e}"))?;
    if !(status.has_master && status.has_self_signing) {
        return Err(
            "the stored keys do not match the account's published identity, or it is not known \
             yet (query the own user's keys first)"
                .into(),
        );
    }
    let device = crypto
        .block_on(machine.get_device(machine.user_id(), machine.device_id(), None))
        .map_err(|e| format!("cannot load the own device: {e}"))?
        .ok_or_else(|| "the own device is not known to the machine".to_string())?;
    let signatures = crypto
        .block_on(device.verify())
        .map_err(|e| format!("cannot sign the own device: {e}"))?;
    Ok(json!({"upload_signatures": outreq::signatures_upload(signatures)?}))
}
