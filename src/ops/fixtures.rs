//! Fixture files: a declared starting state (qualification types, worker
//! profiles, qualifications, HIT types, HITs, assignments in given states),
//! loaded through the same operations as the API and the worker simulator,
//! so every rule they enforce holds for fixtures too.
//!
//! Entries have readable names that later entries refer to. Loading is all
//! or nothing: the file is checked as a whole first; then, if anything is to
//! be created, an internal snapshot is taken, the entries are applied in
//! order, and the snapshot is restored if one fails (writes other clients
//! made meanwhile are undone with it). What a load created is recorded by
//! name (`fixture_names`), so loading the same file again creates nothing.
//! The schema is documented in `docs/fixtures.md`.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;

use super::{assignments, hits, internal, local, marketplace, qualifications, Ctx, WorkerCtx};
use crate::domain::clock::VirtualClock;
use crate::domain::ids::{AssignmentId, HitTypeId, QualificationTypeId, RequesterId, WorkerId};
use crate::domain::money::Money;
use crate::domain::qualification::{GrantMode, SettableTypeStatus};
use crate::domain::requirement::{Comparator, GuardedActions, Locale, QualificationRequirement};
use crate::domain::snapshot::SnapshotName;
use crate::domain::worker::WorkerProfile;
use crate::error::{MturkError, Result};
use crate::mturk_error;

/// A fixture file (the front ends decode it from JSON or YAML).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct FixtureFile {
    /// Whose account everything is created in: a configured requester's
    /// access key id. Default: the first configured requester.
    #[serde(default)]
    pub requester: Option<String>,
    /// Qualification types.
    #[serde(default)]
    pub qualification_types: Vec<QualificationTypeEntry>,
    /// Worker profiles.
    #[serde(default)]
    pub workers: Vec<WorkerEntry>,
    /// Qualifications workers hold (or held: revoked).
    #[serde(default)]
    pub qualifications: Vec<QualificationEntry>,
    /// HIT types.
    #[serde(default, rename = "HITTypes")]
    pub hit_types: Vec<HitTypeEntry>,
    /// HITs.
    #[serde(default, rename = "HITs")]
    pub hits: Vec<HitEntry>,
    /// Assignments, in the state given.
    #[serde(default)]
    pub assignments: Vec<AssignmentEntry>,
}

/// A qualification type (CreateQualificationType's members).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct QualificationTypeEntry {
    /// The entry's name, for references.
    pub key: String,
    /// The type's `Name`.
    pub name: String,
    /// `Description`.
    pub description: String,
    /// `Keywords`.
    #[serde(default)]
    pub keywords: Option<String>,
    /// `Active` (default) or `Inactive`.
    #[serde(default)]
    pub status: Option<String>,
    /// `RetryDelayInSeconds`.
    #[serde(default)]
    pub retry_delay_in_seconds: Option<i64>,
    /// `Test` (a QuestionForm).
    #[serde(default)]
    pub test: Option<String>,
    /// `AnswerKey`.
    #[serde(default)]
    pub answer_key: Option<String>,
    /// `TestDurationInSeconds`.
    #[serde(default)]
    pub test_duration_in_seconds: Option<i64>,
    /// `AutoGranted`.
    #[serde(default)]
    pub auto_granted: bool,
    /// `AutoGrantedValue`.
    #[serde(default)]
    pub auto_granted_value: Option<i32>,
}

/// A worker's profile (`PUT /_local/workers/{WorkerId}`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct WorkerEntry {
    /// The worker.
    pub worker_id: String,
    /// Where the worker is.
    #[serde(default)]
    pub locale: Option<LocaleEntry>,
    /// Agreed to adult content.
    #[serde(default)]
    pub adult: bool,
    /// Holds Masters.
    #[serde(default)]
    pub masters: bool,
}

/// A locale.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LocaleEntry {
    /// ISO 3166 country.
    pub country: String,
    /// ISO 3166-2 subdivision.
    #[serde(default)]
    pub subdivision: Option<String>,
}

/// A qualification a worker holds (`Granted`) or held (`Revoked`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct QualificationEntry {
    /// The type: a `QualificationTypes` key of this file.
    #[serde(rename = "QualificationType")]
    pub qualification_type: String,
    /// The worker.
    pub worker_id: String,
    /// The value; default 1.
    #[serde(default)]
    pub integer_value: Option<i32>,
    /// `Granted` (default) or `Revoked`.
    #[serde(default)]
    pub status: Option<String>,
    /// Why it was revoked (only with `Revoked`).
    #[serde(default)]
    pub revoke_reason: Option<String>,
}

/// A qualification requirement of a HIT type.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RequirementEntry {
    /// A `QualificationTypes` key of this file ...
    #[serde(default)]
    pub qualification_type: Option<String>,
    /// ... or a type id (a system type such as `00000000000000000071`).
    #[serde(default)]
    pub qualification_type_id: Option<String>,
    /// The comparator, as the API spells it.
    pub comparator: String,
    /// Integer operands.
    #[serde(default)]
    pub integer_values: Vec<i32>,
    /// Locale operands.
    #[serde(default)]
    pub locale_values: Vec<LocaleEntry>,
    /// Deprecated preview guard.
    #[serde(default)]
    pub required_to_preview: bool,
    /// `Accept`, `PreviewAndAccept` or `DiscoverPreviewAndAccept`.
    #[serde(default)]
    pub actions_guarded: Option<String>,
}

/// The properties of a HIT type (CreateHITType's members).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct HitTypeProperties {
    /// `Title`.
    pub title: String,
    /// `Description`.
    pub description: String,
    /// `Keywords`.
    #[serde(default)]
    pub keywords: Option<String>,
    /// `Reward` in USD, e.g. `"0.50"`.
    pub reward: String,
    /// `AssignmentDurationInSeconds`.
    pub assignment_duration_in_seconds: i64,
    /// `AutoApprovalDelayInSeconds`; default 30 days.
    #[serde(default)]
    pub auto_approval_delay_in_seconds: Option<i64>,
    /// `QualificationRequirements`.
    #[serde(default)]
    pub qualification_requirements: Vec<RequirementEntry>,
}

/// A HIT type.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct HitTypeEntry {
    /// The entry's name, for references.
    pub key: String,
    /// Its properties.
    #[serde(flatten)]
    pub properties: HitTypeProperties,
}

/// A HIT: of a `HITTypes` entry, or with its type's properties inline.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct HitEntry {
    /// The entry's name, for references.
    pub key: String,
    /// A `HITTypes` key of this file.
    #[serde(default, rename = "HITType")]
    pub hit_type: Option<String>,
    /// `Title` (inline type).
    #[serde(default)]
    pub title: Option<String>,
    /// `Description` (inline type).
    #[serde(default)]
    pub description: Option<String>,
    /// `Keywords` (inline type).
    #[serde(default)]
    pub keywords: Option<String>,
    /// `Reward` (inline type).
    #[serde(default)]
    pub reward: Option<String>,
    /// `AssignmentDurationInSeconds` (inline type).
    #[serde(default)]
    pub assignment_duration_in_seconds: Option<i64>,
    /// `AutoApprovalDelayInSeconds` (inline type).
    #[serde(default)]
    pub auto_approval_delay_in_seconds: Option<i64>,
    /// `QualificationRequirements` (inline type).
    #[serde(default)]
    pub qualification_requirements: Vec<RequirementEntry>,
    /// `Question`: a QuestionForm, ExternalQuestion or HTMLQuestion document.
    pub question: String,
    /// `MaxAssignments`; default 1.
    #[serde(default)]
    pub max_assignments: Option<i64>,
    /// `LifetimeInSeconds`.
    pub lifetime_in_seconds: i64,
    /// `RequesterAnnotation`.
    #[serde(default)]
    pub requester_annotation: Option<String>,
}

/// An assignment, brought to `Status` as a worker and the requester would.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AssignmentEntry {
    /// The entry's name, for references.
    pub key: String,
    /// A `HITs` key of this file.
    #[serde(rename = "HIT")]
    pub hit: String,
    /// The worker who accepts it.
    pub worker_id: String,
    /// `Accepted`, `Submitted`, `Approved` or `Rejected`.
    pub status: String,
    /// The worker's `QuestionFormAnswers` (every status but `Accepted`).
    #[serde(default)]
    pub answer: Option<String>,
    /// The requester's feedback (`Approved`, `Rejected`).
    #[serde(default)]
    pub requester_feedback: Option<String>,
}

/// What a load did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOutcome {
    /// Section → entry name → the id it has (created now or by an earlier load).
    pub ids: BTreeMap<&'static str, BTreeMap<String, String>>,
    /// Entries created by this load.
    pub created: usize,
    /// Entries an earlier load had created, skipped.
    pub existing: usize,
}

/// What a load needs besides the file: the service it runs in.
pub struct Loader<'a> {
    /// Operation context factory for the requester.
    pub ctx: &'a (dyn Fn(RequesterId) -> Ctx + Send + Sync),
    /// The simulated workers' context.
    pub worker: WorkerCtx,
    /// The configured requesters, first one first.
    pub requesters: &'a [RequesterId],
    /// The virtual clock (kept as it is when a failed load is rolled back).
    pub clock: &'a VirtualClock,
}

const QUALIFICATION_TYPES: &str = "QualificationTypes";
const WORKERS: &str = "Workers";
const QUALIFICATIONS: &str = "Qualifications";
const HIT_TYPES: &str = "HITTypes";
const HITS: &str = "HITs";
const ASSIGNMENTS: &str = "Assignments";

/// The error of entry `index` of `section`, named `name`.
fn at(section: &str, index: usize, name: &str, err: &MturkError) -> MturkError {
    let mut out = MturkError::new(err.code(), format!("{section}[{index}] \"{name}\": {}", err.message()));
    for (k, v) in err.data() {
        out = out.with_data(k.clone(), v.clone());
    }
    out
}

fn invalid(section: &str, index: usize, name: &str, why: &str) -> MturkError {
    at(section, index, name, &mturk_error!(InvalidParameterValue, "{why}"))
}

/// Checks what can be checked without the store: names unique and present,
/// references to entries that exist, enums, ids, money, required members.
fn check(file: &FixtureFile) -> Result<()> {
    fn names<'a>(section: &str, keys: impl Iterator<Item = &'a str>) -> Result<HashSet<&'a str>> {
        let mut seen = HashSet::new();
        for (i, key) in keys.enumerate() {
            if key.is_empty() || key.len() > 128 {
                return Err(invalid(section, i, key, "Key must be 1 to 128 characters."));
            }
            if !seen.insert(key) {
                return Err(invalid(section, i, key, "Another entry of this section has the same Key."));
            }
        }
        Ok(seen)
    }
    let types = names(QUALIFICATION_TYPES, file.qualification_types.iter().map(|t| t.key.as_str()))?;
    let hit_types = names(HIT_TYPES, file.hit_types.iter().map(|t| t.key.as_str()))?;
    let hits = names(HITS, file.hits.iter().map(|h| h.key.as_str()))?;
    names(ASSIGNMENTS, file.assignments.iter().map(|a| a.key.as_str()))?;
    names(WORKERS, file.workers.iter().map(|w| w.worker_id.as_str()))?;
    let worker_ok = |id: &str| WorkerId::parse(id).is_some();
    for (i, t) in file.qualification_types.iter().enumerate() {
        if t.status.as_deref().is_some_and(|s| SettableTypeStatus::parse(s).is_none()) {
            return Err(invalid(QUALIFICATION_TYPES, i, &t.key, "Status must be Active or Inactive."));
        }
    }
    for (i, w) in file.workers.iter().enumerate() {
        if !worker_ok(&w.worker_id) {
            return Err(invalid(WORKERS, i, &w.worker_id, "WorkerId must be A followed by A-Z and 0-9."));
        }
    }
    let mut held = HashSet::new();
    for (i, q) in file.qualifications.iter().enumerate() {
        let name = format!("{}/{}", q.qualification_type, q.worker_id);
        if !types.contains(q.qualification_type.as_str()) {
            return Err(invalid(QUALIFICATIONS, i, &name, "QualificationType names no QualificationTypes entry."));
        }
        if !worker_ok(&q.worker_id) {
            return Err(invalid(QUALIFICATIONS, i, &name, "WorkerId must be A followed by A-Z and 0-9."));
        }
        match q.status.as_deref() {
            None | Some("Granted") if q.revoke_reason.is_some() => {
                return Err(invalid(QUALIFICATIONS, i, &name, "RevokeReason goes with Status Revoked."));
            }
            None | Some("Granted" | "Revoked") => {}
            Some(_) => return Err(invalid(QUALIFICATIONS, i, &name, "Status must be Granted or Revoked.")),
        }
        if !held.insert(name.clone()) {
            return Err(invalid(QUALIFICATIONS, i, &name, "Another entry gives this worker this type."));
        }
    }
    check_hits(file, &types, &hit_types)?;
    check_assignments(file, &hits)
}

fn check_hits(file: &FixtureFile, types: &HashSet<&str>, hit_types: &HashSet<&str>) -> Result<()> {
    let check_requirements = |section: &str, i: usize, key: &str, reqs: &[RequirementEntry]| -> Result<()> {
        for r in reqs {
            match (&r.qualification_type, &r.qualification_type_id) {
                (Some(t), None) if types.contains(t.as_str()) => {}
                (Some(t), None) => {
                    return Err(invalid(section, i, key, &format!("QualificationType {t:?} names no entry.")));
                }
                (None, Some(_)) => {}
                _ => {
                    return Err(invalid(
                        section,
                        i,
                        key,
                        "A requirement needs QualificationType or QualificationTypeId.",
                    ))
                }
            }
        }
        Ok(())
    };
    for (i, t) in file.hit_types.iter().enumerate() {
        check_requirements(HIT_TYPES, i, &t.key, &t.properties.qualification_requirements)?;
    }
    for (i, h) in file.hits.iter().enumerate() {
        let inline = h.title.is_some()
            || h.description.is_some()
            || h.keywords.is_some()
            || h.reward.is_some()
            || h.assignment_duration_in_seconds.is_some()
            || h.auto_approval_delay_in_seconds.is_some()
            || !h.qualification_requirements.is_empty();
        match &h.hit_type {
            Some(t) if !hit_types.contains(t.as_str()) => {
                return Err(invalid(HITS, i, &h.key, &format!("HITType {t:?} names no HITTypes entry.")));
            }
            Some(_) if inline => {
                return Err(invalid(HITS, i, &h.key, "Give either HITType or the type's properties, not both."));
            }
            Some(_) => {}
            None => {
                if h.title.is_none()
                    || h.description.is_none()
                    || h.reward.is_none()
                    || h.assignment_duration_in_seconds.is_none()
                {
                    return Err(invalid(
                        HITS,
                        i,
                        &h.key,
                        "Without HITType, a HIT needs Title, Description, Reward and AssignmentDurationInSeconds.",
                    ));
                }
                check_requirements(HITS, i, &h.key, &h.qualification_requirements)?;
            }
        }
    }
    Ok(())
}

fn check_assignments(file: &FixtureFile, hits: &HashSet<&str>) -> Result<()> {
    let worker_ok = |id: &str| WorkerId::parse(id).is_some();
    for (i, a) in file.assignments.iter().enumerate() {
        if !hits.contains(a.hit.as_str()) {
            return Err(invalid(ASSIGNMENTS, i, &a.key, &format!("HIT {:?} names no HITs entry.", a.hit)));
        }
        if !worker_ok(&a.worker_id) {
            return Err(invalid(ASSIGNMENTS, i, &a.key, "WorkerId must be A followed by A-Z and 0-9."));
        }
        match (a.status.as_str(), &a.answer) {
            ("Accepted", None) | ("Submitted" | "Approved" | "Rejected", Some(_)) => {}
            ("Accepted", Some(_)) => {
                return Err(invalid(ASSIGNMENTS, i, &a.key, "An Accepted assignment has no Answer."))
            }
            ("Submitted" | "Approved" | "Rejected", None) => {
                return Err(invalid(ASSIGNMENTS, i, &a.key, "A submitted assignment needs its Answer."));
            }
            _ => {
                return Err(invalid(
                    ASSIGNMENTS,
                    i,
                    &a.key,
                    "Status must be Accepted, Submitted, Approved or Rejected.",
                ));
            }
        }
        if a.requester_feedback.is_some() && !matches!(a.status.as_str(), "Approved" | "Rejected") {
            return Err(invalid(ASSIGNMENTS, i, &a.key, "RequesterFeedback goes with Approved or Rejected."));
        }
    }
    Ok(())
}

fn locale(l: &LocaleEntry) -> Locale {
    Locale { country: l.country.clone(), subdivision: l.subdivision.clone() }
}

fn requirements(reqs: &[RequirementEntry], types: &HashMap<String, String>) -> Result<Vec<QualificationRequirement>> {
    reqs.iter()
        .map(|r| {
            let type_id = match (&r.qualification_type, &r.qualification_type_id) {
                (Some(key), _) => types.get(key).cloned().unwrap_or_default(),
                (None, Some(id)) => id.clone(),
                (None, None) => String::new(),
            };
            let comparator = Comparator::parse(&r.comparator)
                .ok_or_else(|| crate::error::invalid_value("Comparator", &r.comparator))?;
            let actions_guarded = match &r.actions_guarded {
                Some(a) => {
                    Some(GuardedActions::parse(a).ok_or_else(|| crate::error::invalid_value("ActionsGuarded", a))?)
                }
                None => None,
            };
            Ok(QualificationRequirement {
                type_id,
                comparator,
                integer_values: r.integer_values.clone(),
                locale_values: r.locale_values.iter().map(locale).collect(),
                required_to_preview: r.required_to_preview,
                actions_guarded,
            })
        })
        .collect()
}

fn hit_type_input(
    p: &HitTypeProperties,
    reqs: &[RequirementEntry],
    types: &HashMap<String, String>,
) -> Result<hits::NewHitType> {
    Ok(hits::NewHitType {
        title: p.title.clone(),
        description: p.description.clone(),
        keywords: p.keywords.clone(),
        reward: Money::parse(&p.reward).ok_or_else(|| crate::error::invalid_value("Reward", &p.reward))?,
        assignment_duration_secs: p.assignment_duration_in_seconds,
        auto_approval_delay_secs: p.auto_approval_delay_in_seconds,
        requirements: requirements(reqs, types)?,
    })
}

/// Loads `file`: all or nothing, and entries an earlier load created are skipped.
///
/// # Errors
/// The first failing entry's error, its message prefixed with the entry
/// (`HITs[2] "batch-item-3": …`); nothing is left changed. `InvalidParameterValue`
/// for an unknown requester.
pub async fn load(loader: &Loader<'_>, file: &FixtureFile) -> Result<LoadOutcome> {
    check(file)?;
    let requester = match &file.requester {
        None => loader
            .requesters
            .first()
            .cloned()
            .ok_or_else(|| mturk_error!(InvalidParameterValue, "No requester is configured."))?,
        Some(r) => loader
            .requesters
            .iter()
            .find(|id| id.as_str() == r)
            .cloned()
            .ok_or_else(|| mturk_error!(InvalidParameterValue, "Requester {r:?} is not a configured requester."))?,
    };
    let w = &loader.worker;
    let mut known: HashMap<(String, String), String> = HashMap::new();
    for (section, name, id) in w.store.fixture_names().await.map_err(internal)? {
        known.insert((section, name), id);
    }
    let all = entry_names(file);
    let missing = all.iter().filter(|(s, n)| !known.contains_key(&((*s).to_owned(), n.clone()))).count();
    if missing == 0 {
        return Ok(outcome(file, &known, 0, all.len()));
    }
    // An undo point for the whole load, kept where no client can see it.
    let undo = SnapshotName::internal(&format!("fixtures-{}", w.ids.alphanumeric(12)));
    let offset = loader.clock.offset_ms();
    local::take_snapshot(w, &undo).await?;
    let mut apply = Apply { loader, requester, known };
    let applied = apply.all(file).await;
    if let Err(err) = applied {
        let keep_clock = move |_| offset;
        if let Err(e) = local::restore_snapshot(w, &undo, &keep_clock).await {
            tracing::error!(error = ?e, "cannot roll back a failed fixture load");
        }
        let _ = local::delete_snapshot(w, &undo).await;
        return Err(err);
    }
    local::delete_snapshot(w, &undo).await?;
    let known = apply.known;
    Ok(outcome(file, &known, missing, all.len() - missing))
}

/// Every (section, name) the file declares.
fn entry_names(file: &FixtureFile) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    out.extend(file.qualification_types.iter().map(|t| (QUALIFICATION_TYPES, t.key.clone())));
    out.extend(file.workers.iter().map(|w| (WORKERS, w.worker_id.clone())));
    out.extend(
        file.qualifications.iter().map(|q| (QUALIFICATIONS, format!("{}/{}", q.qualification_type, q.worker_id))),
    );
    out.extend(file.hit_types.iter().map(|t| (HIT_TYPES, t.key.clone())));
    out.extend(file.hits.iter().map(|h| (HITS, h.key.clone())));
    out.extend(file.assignments.iter().map(|a| (ASSIGNMENTS, a.key.clone())));
    out
}

fn outcome(
    file: &FixtureFile,
    known: &HashMap<(String, String), String>,
    created: usize,
    existing: usize,
) -> LoadOutcome {
    let mut ids: BTreeMap<&'static str, BTreeMap<String, String>> = BTreeMap::new();
    for (section, name) in entry_names(file) {
        if matches!(section, WORKERS | QUALIFICATIONS) {
            continue;
        }
        if let Some(id) = known.get(&(section.to_owned(), name.clone())) {
            ids.entry(section).or_default().insert(name, id.clone());
        }
    }
    LoadOutcome { ids, created, existing }
}

/// Applies a checked file's entries in order, skipping those already loaded.
struct Apply<'l, 'a> {
    loader: &'l Loader<'a>,
    requester: RequesterId,
    /// (section, name) → id, of earlier loads and of this one so far.
    known: HashMap<(String, String), String>,
}

impl Apply<'_, '_> {
    fn ctx(&self) -> Ctx {
        (self.loader.ctx)(self.requester.clone())
    }

    fn done(&self, section: &str, name: &str) -> Option<String> {
        self.known.get(&(section.to_owned(), name.to_owned())).cloned()
    }

    /// The id the entry `name` of `section` has (checked to exist by [`check`]).
    fn id(&self, section: &str, name: &str) -> String {
        self.done(section, name).unwrap_or_default()
    }

    async fn record(&mut self, section: &str, name: &str, id: &str) -> Result<()> {
        self.loader.worker.store.record_fixture_name(section, name, id).await.map_err(internal)?;
        self.known.insert((section.to_owned(), name.to_owned()), id.to_owned());
        Ok(())
    }

    /// The type ids by `QualificationTypes` key, for requirements.
    fn type_ids(&self, file: &FixtureFile) -> HashMap<String, String> {
        file.qualification_types.iter().map(|t| (t.key.clone(), self.id(QUALIFICATION_TYPES, &t.key))).collect()
    }

    async fn all(&mut self, file: &FixtureFile) -> Result<()> {
        self.qualification_types(file).await?;
        self.workers(file).await?;
        self.qualifications(file).await?;
        self.hit_types(file).await?;
        self.hits(file).await?;
        self.assignments(file).await
    }

    async fn qualification_types(&mut self, file: &FixtureFile) -> Result<()> {
        for (i, t) in file.qualification_types.iter().enumerate() {
            if self.done(QUALIFICATION_TYPES, &t.key).is_some() {
                continue;
            }
            let input = qualifications::NewQualificationType {
                name: t.name.clone(),
                description: t.description.clone(),
                keywords: t.keywords.clone(),
                status: t.status.as_deref().and_then(SettableTypeStatus::parse).unwrap_or(SettableTypeStatus::Active),
                retry_delay_secs: t.retry_delay_in_seconds,
                test: t.test.clone(),
                answer_key: t.answer_key.clone(),
                test_duration_secs: t.test_duration_in_seconds,
                auto_granted: t.auto_granted,
                auto_granted_value: t.auto_granted_value,
            };
            let created = qualifications::create_type(&self.ctx(), input)
                .await
                .map_err(|e| at(QUALIFICATION_TYPES, i, &t.key, &e))?;
            self.record(QUALIFICATION_TYPES, &t.key, created.id.as_str()).await?;
        }
        Ok(())
    }

    async fn workers(&mut self, file: &FixtureFile) -> Result<()> {
        for (i, entry) in file.workers.iter().enumerate() {
            if self.done(WORKERS, &entry.worker_id).is_some() {
                continue;
            }
            let worker = WorkerId::from_stored(entry.worker_id.clone());
            let profile =
                WorkerProfile { locale: entry.locale.as_ref().map(locale), adult: entry.adult, masters: entry.masters };
            local::set_worker_profile(&self.loader.worker, &worker, profile)
                .await
                .map_err(|e| at(WORKERS, i, &entry.worker_id, &e))?;
            self.record(WORKERS, &entry.worker_id, &entry.worker_id).await?;
        }
        Ok(())
    }

    async fn qualifications(&mut self, file: &FixtureFile) -> Result<()> {
        for (i, q) in file.qualifications.iter().enumerate() {
            let name = format!("{}/{}", q.qualification_type, q.worker_id);
            if self.done(QUALIFICATIONS, &name).is_some() {
                continue;
            }
            let type_id = QualificationTypeId::from_stored(self.id(QUALIFICATION_TYPES, &q.qualification_type));
            let worker_id = WorkerId::from_stored(q.worker_id.clone());
            let fail = |e: MturkError| at(QUALIFICATIONS, i, &name, &e);
            let input = qualifications::AssignInput {
                type_id: type_id.clone(),
                worker_id: worker_id.clone(),
                integer_value: q.integer_value.unwrap_or(1),
                send_notification: false,
                mode: GrantMode::IfNotGranted,
            };
            qualifications::assign(&self.ctx(), input).await.map_err(fail)?;
            if q.status.as_deref() == Some("Revoked") {
                let revocation = qualifications::Revocation { type_id, worker_id, reason: q.revoke_reason.clone() };
                qualifications::revoke(&self.ctx(), revocation).await.map_err(fail)?;
            }
            self.record(QUALIFICATIONS, &name, "").await?;
        }
        Ok(())
    }

    async fn hit_types(&mut self, file: &FixtureFile) -> Result<()> {
        let types = self.type_ids(file);
        for (i, t) in file.hit_types.iter().enumerate() {
            if self.done(HIT_TYPES, &t.key).is_some() {
                continue;
            }
            let fail = |e: MturkError| at(HIT_TYPES, i, &t.key, &e);
            let input =
                hit_type_input(&t.properties, &t.properties.qualification_requirements, &types).map_err(fail)?;
            let id = hits::create_hit_type(&self.ctx(), input).await.map_err(fail)?;
            self.record(HIT_TYPES, &t.key, id.as_str()).await?;
        }
        Ok(())
    }

    async fn hits(&mut self, file: &FixtureFile) -> Result<()> {
        let types = self.type_ids(file);
        for (i, h) in file.hits.iter().enumerate() {
            if self.done(HITS, &h.key).is_some() {
                continue;
            }
            let fail = |e: MturkError| at(HITS, i, &h.key, &e);
            let hit_type = if let Some(key) = &h.hit_type {
                hits::HitTypeChoice::Existing(HitTypeId::from_stored(self.id(HIT_TYPES, key)))
            } else {
                let inline = HitTypeProperties {
                    title: h.title.clone().unwrap_or_default(),
                    description: h.description.clone().unwrap_or_default(),
                    keywords: h.keywords.clone(),
                    reward: h.reward.clone().unwrap_or_default(),
                    assignment_duration_in_seconds: h.assignment_duration_in_seconds.unwrap_or_default(),
                    auto_approval_delay_in_seconds: h.auto_approval_delay_in_seconds,
                    qualification_requirements: Vec::new(),
                };
                hits::HitTypeChoice::New(hit_type_input(&inline, &h.qualification_requirements, &types).map_err(fail)?)
            };
            let order = hits::HitOrder {
                hit_type,
                hit: hits::NewHit {
                    question: h.question.clone(),
                    max_assignments: h.max_assignments,
                    lifetime_secs: h.lifetime_in_seconds,
                    requester_annotation: h.requester_annotation.clone(),
                    unique_request_token: None,
                    review_policies: crate::domain::review::HitReviewPolicies::default(),
                },
            };
            let hit = hits::create_hit(&self.ctx(), order).await.map_err(fail)?;
            self.record(HITS, &h.key, &hit.id).await?;
        }
        Ok(())
    }

    async fn assignments(&mut self, file: &FixtureFile) -> Result<()> {
        for (i, a) in file.assignments.iter().enumerate() {
            if self.done(ASSIGNMENTS, &a.key).is_some() {
                continue;
            }
            let fail = |e: MturkError| at(ASSIGNMENTS, i, &a.key, &e);
            let w = &self.loader.worker;
            let worker = WorkerId::from_stored(a.worker_id.clone());
            let accepted = marketplace::accept(w, &worker, &self.id(HITS, &a.hit)).await.map_err(fail)?;
            if let Some(answer) = &a.answer {
                marketplace::submit(w, &accepted.id, Some(&worker), answer, true).await.map_err(fail)?;
            }
            let assignment_id = AssignmentId::from_stored(accepted.id.clone());
            let feedback = a.requester_feedback.clone();
            match a.status.as_str() {
                "Approved" => {
                    let approval = assignments::Approval { assignment_id, feedback, override_rejection: false };
                    assignments::approve(&self.ctx(), approval).await.map_err(fail)?;
                }
                "Rejected" => {
                    let rejection = assignments::Rejection { assignment_id, feedback };
                    assignments::reject(&self.ctx(), rejection).await.map_err(fail)?;
                }
                _ => {}
            }
            self.record(ASSIGNMENTS, &a.key, &accepted.id).await?;
        }
        Ok(())
    }
}
