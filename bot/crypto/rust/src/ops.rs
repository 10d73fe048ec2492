//! The operations of rb_crypto_call: parse the op's JSON, call the machine, shape the answer.
//! Every op reads its input from the request text itself (not a parsed `Value`), because ruma's
//! `Raw` keeps the original JSON text and cannot be read back out of a `Value`.

use std::collections::BTreeMap;

use matrix_sdk_common::deserialized_responses::{
    UnableToDecryptInfo, UnableToDecryptReason, VerificationLevel, VerificationState,
};
use matrix_sdk_common::ruma::api::client::sync::sync_events::DeviceLists;
use matrix_sdk_common::ruma::events::room::history_visibility::HistoryVisibility;
use matrix_sdk_common::ruma::events::{AnyMessageLikeEventContent, AnyToDeviceEvent};
use matrix_sdk_common::ruma::serde::Raw;
use matrix_sdk_common::ruma::{OneTimeKeyAlgorithm, OwnedRoomId, OwnedUserId, UInt};
use matrix_sdk_crypto::types::events::room::encrypted::EncryptedEvent;
use matrix_sdk_crypto::{
    AttachmentEncryptor, CollectStrategy, CrossSigningKeyExport, DecryptionSettings,
    EncryptionSettings, EncryptionSyncChanges, RoomEventDecryptionResult, TrustRequirement,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::handle::Crypto;
use crate::outreq;
use crate::recovery;

/// serde's messages may quote the offending value (which could be plaintext): keep only the part
/// before the first quote, e.g. `invalid type: string "..."` becomes `invalid type: string`.
fn sanitize(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let cut = text
        .split('"')
        .next()
        .unwrap_or_default()
        .trim_end_matches([' ', ':', ',']);
    format!("invalid request: {cut}")
}

fn input<T: DeserializeOwned>(request: &str) -> Result<T, String> {
    serde_json::from_str(request).map_err(|e| sanitize(&e))
}

fn raw_to_value<T>(raw: &Raw<T>) -> Result<Value, String> {
    serde_json::from_str(raw.json().get()).map_err(|e| format!("internal: {e}"))
}

#[derive(Deserialize)]
struct Head {
    op: String,
}

/// The ops that need no machine (a NULL handle): only making a new recovery key.
pub fn dispatch_stateless(request: &str) -> Result<Value, String> {
    let head: Head = input(request)?;
    match head.op.as_str() {
        "new_recovery_key" => recovery::new_recovery_key(),
        _ => Err("crypto handle is NULL".into()),
    }
}

/// Runs the op named in `request`; its output object (without "ok") or an error text.
pub fn dispatch(crypto: &Crypto, request: &str) -> Result<Value, String> {
    let head: Head = input(request)?;
    let output = match head.op.as_str() {
        "receive_sync_changes" => receive_sync_changes(crypto, input(request)?),
        "outgoing_requests" => outgoing_requests(crypto),
        "mark_request_as_sent" => mark_request_as_sent(crypto, input(request)?),
        "update_tracked_users" => update_tracked_users(crypto, input(request)?),
        "refresh_tracked_users" => refresh_tracked_users(crypto),
        "missing_sessions" => missing_sessions(crypto, input(request)?),
        "share_room_key" => share_room_key(crypto, input(request)?),
        "encrypt" => encrypt(crypto, input(request)?),
        "decrypt" => decrypt(crypto, input(request)?),
        "is_room_key_available" => is_room_key_available(crypto, input(request)?),
        "identity" => identity(crypto),
        "bootstrap_cross_signing" => bootstrap_cross_signing(crypto, input(request)?),
        "export_cross_signing_keys" => export_cross_signing_keys(crypto),
        "import_cross_signing_keys" => import_cross_signing_keys(crypto, input(request)?),
        "secret_storage_export" => recovery::export(crypto, input(request)?),
        "secret_storage_import" => recovery::import(crypto, input(request)?),
        other => Err(format!(
            "unknown op: {}",
            other.chars().take(40).collect::<String>()
        )),
    }?;
    // Best effort: SQLite may have created a journal or WAL file since the last call.
    let _ = crypto.restrict_files();
    Ok(output)
}

#[derive(Deserialize)]
struct SyncIn {
    #[serde(default)]
    to_device: Vec<Raw<AnyToDeviceEvent>>,
    #[serde(default)]
    changed: Vec<OwnedUserId>,
    #[serde(default)]
    left: Vec<OwnedUserId>,
    #[serde(default)]
    one_time_key_counts: BTreeMap<OneTimeKeyAlgorithm, UInt>,
    #[serde(default)]
    unused_fallback_key_types: Option<Vec<OneTimeKeyAlgorithm>>,
    #[serde(default)]
    next_batch: Option<String>,
}

fn untrusted() -> DecryptionSettings {
    DecryptionSettings {
        sender_device_trust_requirement: TrustRequirement::Untrusted,
    }
}

fn receive_sync_changes(crypto: &Crypto, sync: SyncIn) -> Result<Value, String> {
    let mut device_lists = DeviceLists::new();
    device_lists.changed = sync.changed;
    device_lists.left = sync.left;
    let changes = EncryptionSyncChanges {
        to_device_events: sync.to_device,
        changed_devices: &device_lists,
        one_time_keys_counts: &sync.one_time_key_counts,
        unused_fallback_keys: sync.unused_fallback_key_types.as_deref(),
        next_batch_token: sync.next_batch,
    };
    let machine = crypto.machine();
    let (_, room_keys) = crypto
        .block_on(machine.receive_sync_changes(changes, &untrusted()))
        .map_err(|e| format!("cannot process the sync changes: {e}"))?;
    let room_keys: Vec<Value> = room_keys
        .iter()
        .map(|key| {
            json!({"room_id": key.room_id, "session_id": key.session_id,
                   "sender_key": key.sender_key.to_base64()})
        })
        .collect();
    Ok(json!({"room_keys": room_keys}))
}

fn outgoing_requests(crypto: &Crypto) -> Result<Value, String> {
    let machine = crypto.machine();
    let requests = crypto
        .block_on(machine.outgoing_requests())
        .map_err(|e| format!("cannot list the outgoing requests: {e}"))?;
    let mut shaped = Vec::with_capacity(requests.len());
    for request in &requests {
        shaped.extend(outreq::from_machine(request)?);
    }
    Ok(json!({"requests": shaped}))
}

#[derive(Deserialize)]
struct MarkIn {
    id: String,
    kind: String,
    body: Value,
}

fn mark_request_as_sent(crypto: &Crypto, mark: MarkIn) -> Result<Value, String> {
    crypto.block_on(outreq::mark_sent(
        crypto.machine(),
        &mark.id,
        &mark.kind,
        &mark.body,
    ))?;
    Ok(json!({}))
}

#[derive(Deserialize)]
struct UsersIn {
    users: Vec<OwnedUserId>,
}

fn update_tracked_users(crypto: &Crypto, users: UsersIn) -> Result<Value, String> {
    let machine = crypto.machine();
    crypto
        .block_on(machine.update_tracked_users(users.users.iter().map(|user| user.as_ref())))
        .map_err(|e| format!("cannot track the users: {e}"))?;
    Ok(json!({}))
}

/// Every tracked user's keys are queried again (e.g. after the own device was signed).
fn refresh_tracked_users(crypto: &Crypto) -> Result<Value, String> {
    crypto
        .block_on(crypto.machine().mark_all_tracked_users_as_dirty())
        .map_err(|e| format!("cannot mark the tracked users: {e}"))?;
    Ok(json!({}))
}

fn missing_sessions(crypto: &Crypto, users: UsersIn) -> Result<Value, String> {
    let machine = crypto.machine();
    let missing = crypto
        .block_on(machine.get_missing_sessions(users.users.iter().map(|user| user.as_ref())))
        .map_err(|e| format!("cannot find the missing sessions: {e}"))?;
    let request = match missing {
        Some((id, request)) => outreq::keys_claim(id.as_str(), request)?,
        None => Value::Null,
    };
    Ok(json!({"request": request}))
}

#[derive(Deserialize)]
struct ShareIn {
    room_id: OwnedRoomId,
    users: Vec<OwnedUserId>,
    only_cross_signed: bool,
}

fn share_room_key(crypto: &Crypto, share: ShareIn) -> Result<Value, String> {
    // IdentityBasedStrategy: only devices signed by their owner's cross-signing identity (MSC4153);
    // OnlyTrustedDevices would also demand that *we* verified each owner.
    let strategy = if share.only_cross_signed {
        CollectStrategy::IdentityBasedStrategy
    } else {
        CollectStrategy::AllDevices
    };
    let settings = EncryptionSettings {
        history_visibility: HistoryVisibility::Shared,
        sharing_strategy: strategy,
        ..EncryptionSettings::default()
    };
    let machine = crypto.machine();
    let users = share.users.iter().map(|user| user.as_ref());
    let requests = crypto
        .block_on(machine.share_room_key(&share.room_id, users, settings))
        .map_err(|e| format!("cannot share the room key: {e}"))?;
    let shaped = requests
        .iter()
        .map(|request| outreq::to_device(request.txn_id.as_str(), request))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({"requests": shaped}))
}

#[derive(Deserialize)]
struct EncryptIn {
    room_id: OwnedRoomId,
    #[serde(rename = "type")]
    event_type: String,
    content: Raw<AnyMessageLikeEventContent>,
}

fn encrypt(crypto: &Crypto, request: EncryptIn) -> Result<Value, String> {
    let machine = crypto.machine();
    crypto.block_on(async {
        // The crate panics when no usable outbound session exists; check first.
        let session = machine
            .store()
            .get_outbound_group_session(&request.room_id)
            .await
            .map_err(|e| format!("cannot load the room key: {e}"))?;
        if !session.is_some_and(|session| !session.expired()) {
            return Err("no current room key for this room: call share_room_key first".to_string());
        }
        let encrypted = machine
            .encrypt_room_event_raw(&request.room_id, &request.event_type, &request.content)
            .await
            .map_err(|e| format!("cannot encrypt: {e}"))?;
        Ok(json!({"type": "m.room.encrypted", "content": raw_to_value(&encrypted.content)?}))
    })
}

#[derive(Deserialize)]
struct EventIn {
    room_id: OwnedRoomId,
    event: Raw<EncryptedEvent>,
}

/// Cross-signed by its owner counts, even when we never verified that owner ourselves.
fn is_trusted(state: &VerificationState) -> bool {
    matches!(
        state,
        VerificationState::Verified
            | VerificationState::Unverified(VerificationLevel::UnverifiedIdentity)
    )
}

fn undecrypted(info: &UnableToDecryptInfo) -> Value {
    let (retry, reason) = match &info.reason {
        UnableToDecryptReason::MissingMegolmSession {
            withheld_code: None,
        } => (true, "missing room key".to_string()),
        // Withheld keys may still be sent later (e.g. once we are verified): keep the event.
        UnableToDecryptReason::MissingMegolmSession {
            withheld_code: Some(code),
        } => (true, format!("room key withheld ({})", code.as_str())),
        UnableToDecryptReason::UnknownMegolmMessageIndex => {
            (true, "unknown message index".to_string())
        }
        UnableToDecryptReason::MalformedEncryptedEvent => {
            (false, "malformed encrypted event".to_string())
        }
        UnableToDecryptReason::MegolmDecryptionFailure => (false, "decryption failed".to_string()),
        UnableToDecryptReason::PayloadDeserializationFailure => {
            (false, "invalid decrypted payload".to_string())
        }
        UnableToDecryptReason::MismatchedIdentityKeys => {
            (false, "mismatched identity keys".to_string())
        }
        UnableToDecryptReason::SenderIdentityNotTrusted(_) => {
            (false, "sender not trusted".to_string())
        }
        _ => (false, "unable to decrypt".to_string()),
    };
    json!({"decrypted": false, "retry": retry, "reason": reason, "session_id": info.session_id})
}

fn decrypt(crypto: &Crypto, request: EventIn) -> Result<Value, String> {
    let machine = crypto.machine();
    let result = crypto
        .block_on(machine.try_decrypt_room_event(&request.event, &request.room_id, &untrusted()))
        .map_err(|e| format!("cannot decrypt (store): {e}"))?;
    match result {
        RoomEventDecryptionResult::Decrypted(decrypted) => {
            let event = raw_to_value(&decrypted.event)?;
            let info = &decrypted.encryption_info;
            Ok(
                json!({"decrypted": true, "type": event["type"], "content": event["content"],
                      "sender_device": info.sender_device, "trusted": is_trusted(&info.verification_state)}),
            )
        }
        RoomEventDecryptionResult::UnableToDecrypt(info) => Ok(undecrypted(&info)),
    }
}

fn is_room_key_available(crypto: &Crypto, request: EventIn) -> Result<Value, String> {
    let machine = crypto.machine();
    let available = crypto
        .block_on(machine.is_room_key_available(&request.event, &request.room_id))
        .map_err(|e| format!("cannot check the room key: {e}"))?;
    Ok(json!({"available": available}))
}

fn identity(crypto: &Crypto) -> Result<Value, String> {
    let machine = crypto.machine();
    let keys = machine.identity_keys();
    let (status, device) = crypto.block_on(async {
        let status = machine.cross_signing_status().await;
        let device = machine
            .get_device(machine.user_id(), machine.device_id(), None)
            .await;
        (status, device)
    });
    let device = device.map_err(|e| format!("cannot load the own device: {e}"))?;
    Ok(json!({
        "user_id": machine.user_id(), "device_id": machine.device_id(),
        "ed25519": keys.ed25519.to_base64(), "curve25519": keys.curve25519.to_base64(),
        "cross_signing": {"has_master": status.has_master, "has_self_signing": status.has_self_signing,
                          "has_user_signing": status.has_user_signing},
        "device_cross_signed": device.is_some_and(|device| device.is_cross_signed_by_owner()),
    }))
}

#[derive(Deserialize)]
struct BootstrapIn {
    reset: bool,
}

fn bootstrap_cross_signing(crypto: &Crypto, request: BootstrapIn) -> Result<Value, String> {
    let machine = crypto.machine();
    let requests = crypto
        .block_on(machine.bootstrap_cross_signing(request.reset))
        .map_err(|e| format!("cannot bootstrap cross-signing: {e}"))?;
    let upload_keys = match &requests.upload_keys_req {
        Some(request) => outreq::from_machine(request)?.unwrap_or(Value::Null),
        None => Value::Null,
    };
    Ok(json!({
        "upload_keys": upload_keys,
        "upload_signing_keys": outreq::signing_keys_upload(&requests.upload_signing_keys_req)?,
        "upload_signatures": outreq::signatures_upload(requests.upload_signatures_req)?,
    }))
}

fn export_cross_signing_keys(crypto: &Crypto) -> Result<Value, String> {
    let machine = crypto.machine();
    let export = crypto
        .block_on(machine.export_cross_signing_keys())
        .map_err(|e| format!("cannot export the cross-signing keys: {e}"))?;
    let export = export.unwrap_or(CrossSigningKeyExport {
        master_key: None,
        self_signing_key: None,
        user_signing_key: None,
    });
    Ok(
        json!({"master": export.master_key, "self_signing": export.self_signing_key,
              "user_signing": export.user_signing_key}),
    )
}

#[derive(Deserialize)]
struct ImportIn {
    master: Option<String>,
    self_signing: Option<String>,
    user_signing: Option<String>,
}

fn import_cross_signing_keys(crypto: &Crypto, request: ImportIn) -> Result<Value, String> {
    let given = [
        &request.master,
        &request.self_signing,
        &request.user_signing,
    ]
    .iter()
    .any(|k| k.is_some());
    let export = CrossSigningKeyExport {
        master_key: request.master,
        self_signing_key: request.self_signing,
        user_signing_key: request.user_signing,
    };
    let machine = crypto.machine();
    let status = crypto
        .block_on(machine.import_cross_signing_keys(export))
        .map_err(|e| format!("cannot import the cross-signing keys: {e}"))?;
    // The crate silently imports nothing while the own public identity is unknown.
    if given && !(status.has_master || status.has_self_signing || status.has_user_signing) {
        return Err(
            "nothing imported: query the own user's keys first (keys_query), then import".into(),
        );
    }
    Ok(json!({}))
}

/// Encrypts `bytes` in place as a Matrix encrypted attachment; the output is the `file` object of
/// the event without its `url`: {"v", "key", "iv", "hashes"}.
pub fn encrypt_attachment(bytes: &mut [u8]) -> Result<Value, String> {
    use std::io::Read;
    let mut plain = std::io::Cursor::new(bytes.to_vec());
    let mut encryptor = AttachmentEncryptor::new(&mut plain);
    // AES-CTR keeps the length: the ciphertext fills the same bytes.
    encryptor
        .read_exact(bytes)
        .map_err(|e| format!("attachment encryption failed: {e}"))?;
    let info = encryptor.finish();
    serde_json::to_value(&info).map_err(|e| format!("internal: {e}"))
}
