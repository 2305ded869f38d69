//! Fixture files as the front ends take them: `POST /_local/fixtures` (a
//! JSON body, or YAML with a YAML content type) and `--fixtures FILE` /
//! `service.fixtures` at start-up. Both decode the file here and load it
//! through [`crate::ops::fixtures`].

use serde_json::{json, Value};

use crate::domain::ids::RequesterId;
use crate::error::{MturkError, Result};
use crate::mturk_error;
use crate::ops::fixtures::{self, FixtureFile, LoadOutcome, Loader};
use crate::state::AppState;

/// Decodes a fixture file: YAML when `yaml`, else JSON. Every string in it
/// must be one XML can carry, as for any other input that is stored.
///
/// # Errors
/// `InvalidParameterValue` saying where the file stops making sense.
pub fn decode(text: &[u8], yaml: bool) -> Result<FixtureFile> {
    let value: Value = if yaml {
        serde_norway::from_slice(text)
            .map_err(|e| mturk_error!(InvalidParameterValue, "The fixture file is not valid YAML: {e}"))?
    } else {
        serde_json::from_slice(text)
            .map_err(|e| mturk_error!(InvalidParameterValue, "The fixture file is not valid JSON: {e}"))?
    };
    let Value::Object(members) = value else {
        return Err(mturk_error!(InvalidParameterValue, "A fixture file is a mapping (an object) of sections."));
    };
    if let Some(name) = crate::protocol::first_non_xml_member(&members) {
        return Err(crate::protocol::non_xml_error(&name));
    }
    let whole = serde_json::from_value(Value::Object(members.clone()));
    whole.map_err(|e| match entry_at_fault(&members) {
        Some(entry) => mturk_error!(InvalidParameterValue, "The fixture file does not follow the schema: {entry}"),
        None => mturk_error!(InvalidParameterValue, "The fixture file does not follow the schema: {e}"),
    })
}

/// The first entry that does not decode on its own, as `Section[i] "key": why`
/// (serde's error for the whole file says what is wrong, not where).
fn entry_at_fault(members: &serde_json::Map<String, Value>) -> Option<String> {
    fn first_bad<T: serde::de::DeserializeOwned>(section: &str, entries: &Value) -> Option<String> {
        let Value::Array(entries) = entries else { return None };
        entries.iter().enumerate().find_map(|(i, entry)| {
            let err = serde_json::from_value::<T>(entry.clone()).err()?;
            let key = entry.get("Key").or_else(|| entry.get("WorkerId")).and_then(Value::as_str);
            Some(match key {
                Some(key) => format!("{section}[{i}] {key:?}: {err}"),
                None => format!("{section}[{i}]: {err}"),
            })
        })
    }
    members.iter().find_map(|(section, entries)| match section.as_str() {
        "QualificationTypes" => first_bad::<fixtures::QualificationTypeEntry>(section, entries),
        "Workers" => first_bad::<fixtures::WorkerEntry>(section, entries),
        "Qualifications" => first_bad::<fixtures::QualificationEntry>(section, entries),
        "HITTypes" => first_bad::<fixtures::HitTypeEntry>(section, entries),
        "HITs" => first_bad::<fixtures::HitEntry>(section, entries),
        "Assignments" => first_bad::<fixtures::AssignmentEntry>(section, entries),
        _ => None,
    })
}

/// Whether a `Content-Type` names YAML (`application/yaml`, `application/x-yaml`,
/// `text/yaml`, `text/x-yaml`, with any parameters).
#[must_use]
pub fn is_yaml_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    matches!(essence.as_str(), "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml")
}

/// Loads `file` into the store behind `state`, all or nothing.
///
/// # Errors
/// As [`fixtures::load`].
pub async fn load(state: &AppState, file: &FixtureFile) -> Result<LoadOutcome> {
    let make_ctx = |requester: RequesterId| state.ctx(requester);
    let requesters: Vec<RequesterId> = state.accounts.iter().map(|(id, _)| id.clone()).collect();
    let loader = Loader { ctx: &make_ctx, worker: state.worker_ctx(), requesters: &requesters, clock: &state.clock };
    let outcome = fixtures::load(&loader, file).await;
    if outcome.is_err() {
        // A failed load restored the state from before it, as a snapshot restore does.
        state.sync_clock().await?;
        super::forget_accounts(state);
    }
    outcome
}

/// Loads the file at `path` (YAML unless its name ends in `.json`) at start-up.
///
/// # Errors
/// An unreadable file, or the load's error.
pub async fn load_path(state: &AppState, path: &str) -> std::result::Result<LoadOutcome, MturkError> {
    let text = std::fs::read(path)
        .map_err(|e| mturk_error!(InvalidParameterValue, "Cannot read the fixture file {path}: {e}"))?;
    let yaml = !std::path::Path::new(path).extension().is_some_and(|x| x.eq_ignore_ascii_case("json"));
    load(state, &decode(&text, yaml)?).await
}

/// The answer to a load.
#[must_use]
pub fn outcome_json(outcome: &LoadOutcome) -> Value {
    json!({ "Ids": outcome.ids, "Created": outcome.created, "Existing": outcome.existing })
}
