/* The C ABI of Reflexbot's crypto wrapper (bot/crypto/rust, a Rust static library over
 * matrix-sdk-crypto 0.18 and its SQLite crypto store). Narrow on purpose: open, one JSON call,
 * free, close. Nothing here logs: the Rust side installs no tracing subscriber, so no plaintext,
 * key or identifier leaves it except in the JSON it returns.
 *
 * Every call is synchronous (the handle owns a small tokio runtime and blocks on it) and must come
 * from one thread at a time per handle. Panics never cross this boundary: they become errors.
 *
 * rb_crypto_call takes one request object {"op": NAME, ...} and returns a NUL-terminated JSON
 * object that the caller frees with rb_crypto_free_string: {"ok": true, ...} or
 * {"ok": false, "error": TEXT}. TEXT never contains plaintext or key material.
 *
 * Outgoing request object (OUTREQ), as returned by several ops:
 *   {"id": STRING, "kind": "keys_upload"|"keys_query"|"keys_claim"|"to_device"|"signature_upload",
 *    "method": "POST"|"PUT", "path": "/_matrix/client/v3/...", "body": OBJECT}
 * `path` is complete and percent-encoded (for to_device it carries the event type and the
 * machine's transaction id). Kinds the bot does not handle (verification room messages, key
 * backup) are never returned.
 *
 * Ops:
 *  receive_sync_changes
 *     in:  {"to_device": [EVENT...], "changed": [USER...], "left": [USER...],
 *           "one_time_key_counts": {ALG: N}, "unused_fallback_key_types": [ALG...] | null,
 *           "next_batch": STRING | null}
 *     out: {"room_keys": [{"room_id", "session_id", "sender_key"}...]}
 *     Commits to the crypto store before it returns (the caller commits its own store after).
 *  outgoing_requests
 *     out: {"requests": [OUTREQ...]}
 *  mark_request_as_sent
 *     in:  {"id": STRING, "kind": STRING, "body": OBJECT (the homeserver's 2xx response)}
 *  update_tracked_users
 *     in:  {"users": [USER...]}
 *  refresh_tracked_users
 *     Every tracked user's keys are queried again (outgoing_requests has a keys_query after).
 *  missing_sessions
 *     in:  {"users": [USER...]}
 *     out: {"request": OUTREQ | null}          (a keys_claim request)
 *  share_room_key
 *     in:  {"room_id", "users": [USER...], "only_cross_signed": BOOL}
 *     out: {"requests": [OUTREQ...]}            (to_device requests; send, then mark each)
 *  encrypt
 *     in:  {"room_id", "type": STRING, "content": OBJECT}
 *     out: {"type": "m.room.encrypted", "content": OBJECT}
 *     Needs a room key shared first (share_room_key); fails clearly otherwise.
 *  decrypt
 *     in:  {"room_id", "event": OBJECT (the m.room.encrypted event as synced)}
 *     out: {"decrypted": true, "type": STRING, "content": OBJECT,
 *           "sender_device": STRING | null, "trusted": BOOL}
 *       or {"decrypted": false, "retry": BOOL, "reason": STRING, "session_id": STRING | null}
 *     retry is true when the room key (or its message index) is missing: it may still arrive.
 *  is_room_key_available
 *     in:  {"room_id", "event": OBJECT}
 *     out: {"available": BOOL}
 *  identity
 *     out: {"user_id", "device_id", "ed25519", "curve25519",
 *           "cross_signing": {"has_master": BOOL, "has_self_signing": BOOL,
 *                             "has_user_signing": BOOL},
 *           "device_cross_signed": BOOL}  (own device signed by the own, known identity)
 *  bootstrap_cross_signing
 *     in:  {"reset": BOOL}
 *     out: {"upload_keys": OUTREQ | null,
 *           "upload_signing_keys": {"path": STRING, "body": OBJECT},
 *           "upload_signatures": {"path": STRING, "body": OBJECT}}
 *     Send upload_keys first (and mark it), then upload_signing_keys (the caller adds the
 *     user-interactive "auth"), then upload_signatures.
 *  export_cross_signing_keys
 *     out: {"master": STRING|null, "self_signing": STRING|null, "user_signing": STRING|null}
 *  import_cross_signing_keys
 *     in:  {"master", "self_signing", "user_signing"} (strings or null)
 *  secret_storage_export        (secret storage: the spec's m.secret_storage, Element's recovery)
 *     in:  {"recovery_key": STRING, "key_id": STRING | null, "key": OBJECT | null}
 *     out: {"key_id": STRING, "key": OBJECT, "secrets": {TYPE: OBJECT...}}
 *     The account data that stores the private cross-signing keys under the recovery key:
 *     "key" for m.secret_storage.key.<key_id>, one content per m.cross_signing.* TYPE. Given the
 *     account's current key (id and description), the recovery key must open it; without, a new
 *     description is made for the recovery key.
 *  secret_storage_import
 *     in:  {"recovery_key": STRING, "key_id": STRING, "key": OBJECT,
 *           "secrets": {TYPE: OBJECT...} (account data contents as the homeserver returned them)}
 *     out: {"upload_signatures": {"path": STRING, "body": OBJECT}}
 *     Decrypts and imports the private cross-signing keys (the own user's keys must have been
 *     queried first) and signs the own device with them; send upload_signatures.
 *  new_recovery_key             (the only op that takes a NULL handle)
 *     out: {"recovery_key": STRING}  (base58 in groups of four, as Element shows it)
 */
#ifndef REFLEXBOT_RB_CRYPTO_H
#define REFLEXBOT_RB_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct RbCrypto RbCrypto;

/* Opens (or creates) the crypto store in the directory `store_dir` (created 0700 if missing; its
 * files are made 0600), encrypted with `passphrase` (its bytes; not NUL-terminated, may be empty
 * for none). On failure returns NULL and sets *error (free with rb_crypto_free_string). */
RbCrypto* rb_crypto_open(const char* user_id, const char* device_id, const char* store_dir,
                         const uint8_t* passphrase, size_t passphrase_len, char** error);

/* One operation; see above. Never NULL. */
char* rb_crypto_call(RbCrypto* crypto, const char* request_json);

/* Encrypts the attachment `data` (`len` bytes) in place with a fresh key (AES-256-CTR, the
 * Matrix encrypted-attachment scheme) and returns {"ok":true,"v","key","iv","hashes"}
 * (the event's `file` object without its url) or {"ok":false,"error":…}. Needs no handle. Never
 * NULL; free with rb_crypto_free_string. */
char* rb_crypto_encrypt_attachment(uint8_t* data, size_t len);

void rb_crypto_free_string(char* text);

void rb_crypto_close(RbCrypto* crypto);

#ifdef __cplusplus
}
#endif

#endif /* REFLEXBOT_RB_CRYPTO_H */
