//! The HTTP shape of the machine's requests (OUTREQ in rb_crypto.h) and of the homeserver's
//! responses. Paths and bodies come from ruma's own serialisation, so they match the spec.

use std::borrow::Cow;
use std::collections::BTreeMap;

use matrix_sdk_common::ruma::OwnedTransactionId;
use matrix_sdk_common::ruma::api::auth_scheme::SendAccessToken;
use matrix_sdk_common::ruma::api::client::keys::{
    claim_keys, get_keys, upload_keys, upload_signatures, upload_signing_keys,
};
use matrix_sdk_common::ruma::api::client::to_device::send_event_to_device;
use matrix_sdk_common::ruma::api::{IncomingResponse, OutgoingRequest, SupportedVersions};
use matrix_sdk_common::ruma::exports::http;
use matrix_sdk_crypto::OlmMachine;
use matrix_sdk_crypto::types::requests::{
    AnyIncomingResponse, AnyOutgoingRequest, KeysQueryRequest, OutgoingRequest as MachineRequest,
    ToDeviceRequest, UploadSigningKeysRequest,
};
use serde_json::{Map, Value, json};

/// Only the path and body are kept; the host and token are placeholders the caller replaces.
const BASE_URL: &str = "https://homeserver.invalid";

fn versions() -> SupportedVersions {
    SupportedVersions::from_parts(&["v1.11".to_string()], &BTreeMap::new())
}

/// Path and JSON body of a ruma request, as ruma would send it.
fn http_parts<R>(request: R) -> Result<(String, String, Value), String>
where
    R: OutgoingRequest,
    for<'a> R::Authentication:
        matrix_sdk_common::ruma::api::auth_scheme::AuthScheme<Input<'a> = SendAccessToken<'a>>,
    for<'a> R::PathBuilder: matrix_sdk_common::ruma::api::path_builder::PathBuilder<
            Input<'a> = Cow<'a, SupportedVersions>,
        >,
{
    let versions = versions();
    let http_request = request
        .try_into_http_request::<Vec<u8>>(
            BASE_URL,
            SendAccessToken::IfRequired("token"),
            Cow::Borrowed(&versions),
        )
        .map_err(|e| format!("cannot serialise a request: {e}"))?;
    let method = http_request.method().as_str().to_owned();
    let path = http_request.uri().path().to_owned();
    let body = if http_request.body().is_empty() {
        json!({})
    } else {
        serde_json::from_slice(http_request.body())
            .map_err(|e| format!("request body is not JSON: {e}"))?
    };
    Ok((method, path, body))
}

fn outreq(id: &str, kind: &str, (method, path, body): (String, String, Value)) -> Value {
    json!({"id": id, "kind": kind, "method": method, "path": path, "body": body})
}

fn keys_query_request(request: &KeysQueryRequest) -> get_keys::v3::Request {
    let mut ruma_request = get_keys::v3::Request::new();
    ruma_request.device_keys = request.device_keys.clone();
    ruma_request.timeout = request.timeout;
    ruma_request
}

pub fn to_device(id: &str, request: &ToDeviceRequest) -> Result<Value, String> {
    let ruma_request = send_event_to_device::v3::Request::new_raw(
        request.event_type.clone(),
        request.txn_id.clone(),
        request.messages.clone(),
    );
    Ok(outreq(id, "to_device", http_parts(ruma_request)?))
}

/// OUTREQ for one machine request; None for kinds the bot does not send (room messages).
pub fn from_machine(request: &MachineRequest) -> Result<Option<Value>, String> {
    let id = request.request_id().as_str();
    let value = match request.request() {
        AnyOutgoingRequest::KeysUpload(r) => outreq(id, "keys_upload", http_parts(r.clone())?),
        AnyOutgoingRequest::KeysQuery(r) => {
            outreq(id, "keys_query", http_parts(keys_query_request(r))?)
        }
        AnyOutgoingRequest::KeysClaim(r) => outreq(id, "keys_claim", http_parts(r.clone())?),
        AnyOutgoingRequest::ToDeviceRequest(r) => to_device(id, r)?,
        AnyOutgoingRequest::SignatureUpload(r) => {
            outreq(id, "signature_upload", http_parts(r.clone())?)
        }
        AnyOutgoingRequest::RoomMessage(_) => return Ok(None),
    };
    Ok(Some(value))
}

pub fn keys_claim(id: &str, request: claim_keys::v3::Request) -> Result<Value, String> {
    Ok(outreq(id, "keys_claim", http_parts(request)?))
}

/// {"path", "body"} of the cross-signing key upload; the caller adds the UIA "auth".
pub fn signing_keys_upload(request: &UploadSigningKeysRequest) -> Result<Value, String> {
    let mut body = Map::new();
    let keys = [
        ("master_key", &request.master_key),
        ("self_signing_key", &request.self_signing_key),
        ("user_signing_key", &request.user_signing_key),
    ];
    for (name, key) in keys {
        if let Some(key) = key {
            let key = serde_json::to_value(key)
                .map_err(|e| format!("cannot serialise a signing key: {e}"))?;
            body.insert(name.into(), key);
        }
    }
    // Ruma's request carries the same path; taking it from there keeps the version choice in one place.
    let (_, path, _) = http_parts(upload_signing_keys::v3::Request::new())?;
    Ok(json!({"path": path, "body": body}))
}

pub fn signatures_upload(request: upload_signatures::v3::Request) -> Result<Value, String> {
    let (_, path, body) = http_parts(request)?;
    Ok(json!({"path": path, "body": body}))
}

fn parse<R: IncomingResponse>(body: &Value) -> Result<R, String>
where
    R::EndpointError: std::fmt::Display,
{
    if !body.is_object() {
        return Err("response body is not a JSON object".into());
    }
    let bytes =
        serde_json::to_vec(body).map_err(|e| format!("cannot re-serialise the response: {e}"))?;
    let response = http::Response::builder()
        .status(200)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(bytes)
        .map_err(|e| format!("cannot build the response: {e}"))?;
    R::try_from_http_response(response).map_err(|e| format!("invalid response: {e}"))
}

/// Hands the homeserver's 2xx response for request `id` of `kind` to the machine.
pub async fn mark_sent(
    machine: &OlmMachine,
    id: &str,
    kind: &str,
    body: &Value,
) -> Result<(), String> {
    let id = OwnedTransactionId::from(id);
    let marked = match kind {
        "keys_upload" => {
            machine
                .mark_request_as_sent(&id, &parse::<upload_keys::v3::Response>(body)?)
                .await
        }
        "keys_query" => {
            machine
                .mark_request_as_sent(&id, &parse::<get_keys::v3::Response>(body)?)
                .await
        }
        "keys_claim" => {
            machine
                .mark_request_as_sent(&id, &parse::<claim_keys::v3::Response>(body)?)
                .await
        }
        "to_device" => {
            machine
                .mark_request_as_sent(&id, &parse::<send_event_to_device::v3::Response>(body)?)
                .await
        }
        "signature_upload" => {
            machine
                .mark_request_as_sent(&id, &parse::<upload_signatures::v3::Response>(body)?)
                .await
        }
        // Not an OUTREQ kind, but the machine records that its cross-signing keys are public.
        "signing_keys_upload" => {
            let response = parse::<upload_signing_keys::v3::Response>(body)?;
            machine
                .mark_request_as_sent(&id, AnyIncomingResponse::SigningKeysUpload(&response))
                .await
        }
        other => return Err(format!("unknown request kind: {other}")),
    };
    marked.map_err(|e| format!("cannot process the response: {e}"))
}
