//! `/_local/faults`: the control plane's face on [fault rules](crate::faults).
//! Adding, listing and deleting rules here changes only this instance's
//! memory; the API pipeline consults the rules on every call.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::domain::ids::RequesterId;
use crate::faults::{FaultKind, FaultSpec, FaultView, ProtocolMatch};
use crate::mturk_error;
use crate::protocol::{json as json_api, legacy_xml};
use crate::state::AppState;

use super::{parse_body, ControlError, ControlResult};

/// The longest `Message` a rule may carry, in characters.
const MAX_MESSAGE_CHARS: usize = 2048;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct RuleBody {
    #[serde(default)]
    operation: Option<String>,
    #[serde(default)]
    protocol: Option<String>,
    #[serde(default)]
    requester: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    latency_ms: Option<u64>,
    #[serde(default)]
    count: Option<u64>,
    #[serde(default)]
    probability: Option<f64>,
    #[serde(default)]
    seed: Option<u64>,
}

/// Whether `name` is an operation of the faces `protocol` selects.
fn known_operation(protocol: ProtocolMatch, name: &str) -> bool {
    let legacy = || legacy_xml::dispatch::find(name).is_some();
    let json = || json_api::dispatch::OPERATIONS.iter().any(|op| op.name == name);
    match protocol {
        ProtocolMatch::Any => legacy() || json(),
        ProtocolMatch::Legacy => legacy(),
        ProtocolMatch::Json => json(),
    }
}

fn spec_from(body: RuleBody) -> Result<FaultSpec, ControlError> {
    let star = |v: Option<String>| v.filter(|v| v != "*");
    let protocol = match body.protocol.as_deref() {
        None => ProtocolMatch::Any,
        Some(p) => ProtocolMatch::parse(p).ok_or_else(|| {
            ControlError(mturk_error!(
                InvalidParameterValue,
                "Protocol must be \"legacy\", \"json\" or \"*\", not {p:?}."
            ))
        })?,
    };
    let requester = star(body.requester);
    if let Some(r) = &requester {
        if RequesterId::parse(r).is_none() {
            return Err(ControlError(mturk_error!(
                InvalidParameterValue,
                "Requester must be an access key id (upper-case letters and digits) or \"*\", not {r:?}."
            )));
        }
    }
    let error = match body.error.as_deref() {
        None => None,
        Some(e) => Some(FaultKind::parse(e).ok_or_else(|| {
            ControlError(mturk_error!(
                InvalidParameterValue,
                "Error {e:?} is not known: use Throttling, ServiceUnavailable, ServiceFault, DropConnection or an \
                 MTurk error code such as AWS.MechanicalTurk.HITDoesNotExist."
            ))
        })?),
    };
    if body.message.as_ref().is_some_and(|m| m.chars().count() > MAX_MESSAGE_CHARS) {
        return Err(ControlError(mturk_error!(
            InvalidParameterValue,
            "Message must be at most {MAX_MESSAGE_CHARS} characters long."
        )));
    }
    if body.seed.is_some() && body.probability.is_none() {
        return Err(ControlError(mturk_error!(
            InvalidParameterValue,
            "Seed seeds the draws of a Probability; give a Probability too, or leave Seed out."
        )));
    }
    let spec = FaultSpec {
        operation: star(body.operation),
        protocol,
        requester,
        error,
        message: body.message,
        latency_ms: body.latency_ms.unwrap_or(0),
        count: body.count,
        probability: body.probability,
        seed: body.seed.unwrap_or(0),
    };
    spec.validate(known_operation)?;
    Ok(spec)
}

fn fault_json(view: &FaultView) -> Value {
    let s = &view.spec;
    json!({
        "FaultId": view.id,
        "Operation": s.operation.as_deref().unwrap_or("*"),
        "Protocol": s.protocol.as_str(),
        "Requester": s.requester.as_deref().unwrap_or("*"),
        "Error": s.error.map(FaultKind::as_str),
        "Message": s.message,
        "LatencyMs": s.latency_ms,
        "Count": s.count,
        "Probability": s.probability,
        "Seed": s.seed,
        "Matched": view.matched,
        "Fired": view.fired,
        "Remaining": view.remaining,
    })
}

/// `POST /_local/faults`: adds a rule.
pub(super) async fn add_fault(State(state): State<AppState>, body: Bytes) -> ControlResult {
    let body: RuleBody = parse_body(&body)?;
    let view = state.faults.add(spec_from(body)?);
    Ok(Json(json!({ "Fault": fault_json(&view) })))
}

/// `GET /_local/faults`: every rule, oldest first, with how it has fared.
pub(super) async fn list_faults(State(state): State<AppState>) -> ControlResult {
    let faults: Vec<Value> = state.faults.list().iter().map(fault_json).collect();
    Ok(Json(json!({ "Faults": faults })))
}

/// `DELETE /_local/faults`: removes every rule.
pub(super) async fn clear_faults(State(state): State<AppState>) -> ControlResult {
    let removed = state.faults.clear();
    Ok(Json(json!({ "Deleted": removed })))
}

/// `DELETE /_local/faults/{FaultId}`: removes one rule.
pub(super) async fn delete_fault(State(state): State<AppState>, Path(id): Path<String>) -> ControlResult {
    state.faults.remove(&id)?;
    Ok(Json(json!({ "Deleted": 1 })))
}
