//! What the `/_local` control plane does besides the marketplace: a simulated
//! worker's reads (qualifications, notices, profile, assignments), the
//! virtual clock's persisted offset, and reset. The control plane is a front
//! end like the API codecs: it reaches the store only through these.

use crate::domain::hit::{Assignment, Hit};
use crate::domain::ids::{RequesterId, WorkerId};
use crate::domain::qualification::Qualification;
use crate::domain::snapshot::{Snapshot, SnapshotName};
use crate::domain::time::Timestamp;
use crate::domain::worker::{WorkerNotification, WorkerProfile};
use crate::error::{MturkError, Result};
use crate::mturk_error;
use crate::store::RestoreOutcome;

use super::{internal, WorkerCtx};

/// Every qualification the worker holds or held, by type id.
///
/// # Errors
/// Store failures only.
pub async fn worker_qualifications(w: &WorkerCtx, worker: &WorkerId) -> Result<Vec<Qualification>> {
    w.store.worker_qualifications(worker).await.map_err(internal)
}

/// The worker's notices, oldest first.
///
/// # Errors
/// Store failures only.
pub async fn worker_notifications(w: &WorkerCtx, worker: &WorkerId) -> Result<Vec<WorkerNotification>> {
    w.store.notifications(worker).await.map_err(internal)
}

/// The worker's assignments, newest first, as they stand now: automatic
/// approvals that are due are settled first, so an assignment past its
/// auto-approval time shows as Approved here as everywhere else.
///
/// # Errors
/// Store failures only.
pub async fn worker_assignments(w: &WorkerCtx, worker: &WorkerId) -> Result<Vec<Assignment>> {
    super::settle(w).await?;
    w.store.worker_assignments(worker).await.map_err(internal)
}

/// The worker accepts a HIT: the new assignment and the HIT it belongs to
/// (whose question the worker's page shows).
///
/// # Errors
/// As [`super::marketplace::accept`].
pub async fn accept(w: &WorkerCtx, worker: &WorkerId, hit_id: &str) -> Result<(Assignment, Hit)> {
    let a = super::marketplace::accept(w, worker, hit_id).await?;
    let hit = w.store.hit(&a.hit_id, w.now).await.map_err(internal)?.ok_or_else(|| {
        crate::error::MturkError::internal(anyhow::anyhow!("HIT {} of a new assignment is gone", a.hit_id))
    })?;
    Ok((a, hit))
}

/// The profile behind the Locale, Adult and Masters system qualifications.
///
/// # Errors
/// Store failures only.
pub async fn worker_profile(w: &WorkerCtx, worker: &WorkerId) -> Result<WorkerProfile> {
    w.store.worker_profile(worker).await.map_err(internal)
}

/// Replaces the worker's profile.
///
/// # Errors
/// `InvalidParameterValue` for a country or subdivision that is not a
/// two-character ISO 3166 code.
pub async fn set_worker_profile(w: &WorkerCtx, worker: &WorkerId, profile: WorkerProfile) -> Result<WorkerProfile> {
    let two = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphanumeric());
    if let Some(l) = &profile.locale {
        if !two(&l.country) || l.subdivision.as_deref().is_some_and(|s| !two(s)) {
            return Err(mturk_error!(
                InvalidParameterValue,
                "Country and Subdivision must be two-character ISO 3166 codes."
            ));
        }
    }
    w.store.set_worker_profile(worker, &profile).await.map_err(internal)?;
    Ok(profile)
}

/// Persists the virtual clock's offset, for every instance on the store.
///
/// # Errors
/// Store failures only.
pub async fn set_clock_offset(w: &WorkerCtx, offset_ms: i64) -> Result<()> {
    w.store.set_clock_offset(offset_ms).await.map_err(internal)
}

/// Empties every table, recreates the configured requesters' accounts with
/// their starting balances and sets the clock's offset to `clock_offset_ms`
/// (0: real time; else the offset that puts the clock at `service.clock_start`).
///
/// # Errors
/// Store failures only.
pub async fn reset(
    w: &WorkerCtx,
    accounts: &[(RequesterId, i64)],
    wall_now: Timestamp,
    clock_offset_ms: i64,
) -> Result<()> {
    w.store.reset(accounts, wall_now, clock_offset_ms).await.map_err(internal)
}

/// Whether the store answers, for the health check.
///
/// # Errors
/// Store failures only.
pub async fn ping(store: &dyn crate::store::Store) -> Result<()> {
    store.ping().await.map_err(internal)
}

/// Takes a snapshot of the whole state under `name` (replacing one of that
/// name), dated with the virtual clock.
///
/// # Errors
/// Store failures only.
pub async fn take_snapshot(w: &WorkerCtx, name: &SnapshotName) -> Result<Snapshot> {
    w.store.take_snapshot(name, w.now).await.map_err(internal)
}

/// The snapshots clients took, by name.
///
/// # Errors
/// Store failures only.
pub async fn snapshots(w: &WorkerCtx) -> Result<Vec<Snapshot>> {
    w.store.snapshots().await.map_err(internal)
}

fn no_snapshot(name: &SnapshotName) -> MturkError {
    mturk_error!(SnapshotDoesNotExist, "There is no snapshot named {name}.")
}

/// Brings back the state of snapshot `name`, with the virtual clock set back
/// to the instant it was taken: `offset_for` turns that instant into the
/// clock's offset.
///
/// # Errors
/// `SnapshotDoesNotExist`; `InvalidParameterValue` for a snapshot taken
/// under another schema.
pub async fn restore_snapshot(
    w: &WorkerCtx,
    name: &SnapshotName,
    offset_for: &(dyn Fn(Timestamp) -> i64 + Send + Sync),
) -> Result<Snapshot> {
    match w.store.restore_snapshot(name, offset_for).await.map_err(internal)? {
        RestoreOutcome::Restored(snapshot) => Ok(snapshot),
        RestoreOutcome::NotFound => Err(no_snapshot(name)),
        RestoreOutcome::OtherSchema { taken, current } => Err(mturk_error!(
            InvalidParameterValue,
            "Snapshot {name} was taken under schema version {taken}, and this database is at version {current}: \
             its rows do not fit. Take it again."
        )),
    }
}

/// Removes snapshot `name`.
///
/// # Errors
/// `SnapshotDoesNotExist`.
pub async fn delete_snapshot(w: &WorkerCtx, name: &SnapshotName) -> Result<()> {
    if w.store.delete_snapshot(name).await.map_err(internal)? {
        Ok(())
    } else {
        Err(no_snapshot(name))
    }
}

/// One of the worker's assignments, with its HIT, as it stands now.
///
/// # Errors
/// `AssignmentDoesNotExist` (unknown, or another worker's).
pub async fn worker_assignment(w: &WorkerCtx, worker: &WorkerId, id: &str) -> Result<(Assignment, Hit)> {
    super::settle(w).await?;
    let a = match w.store.assignment(id).await.map_err(internal)? {
        Some(a) if &a.worker_id == worker => a,
        _ => return Err(super::assignments::assignment_does_not_exist(id)),
    };
    let hit = w
        .store
        .hit(&a.hit_id, w.now)
        .await
        .map_err(internal)?
        .ok_or_else(|| MturkError::internal(anyhow::anyhow!("HIT {} of assignment {id} is gone", a.hit_id)))?;
    Ok((a, hit))
}

/// A HIT as a worker sees it: the HIT and what the worker may do with it.
///
/// # Errors
/// `HITDoesNotExist`.
pub async fn hit_for_worker(
    w: &WorkerCtx,
    worker: &WorkerId,
    hit_id: &str,
) -> Result<(Hit, super::marketplace::Eligibility)> {
    super::settle(w).await?;
    let hit =
        w.store.hit(hit_id, w.now).await.map_err(internal)?.ok_or_else(|| super::hits::hit_does_not_exist(hit_id))?;
    let e = super::marketplace::eligibility(w, worker, &hit).await?;
    Ok((hit, e))
}

/// A qualification type by id, for a worker's page to name it; `None` when
/// there is no such type.
///
/// # Errors
/// Store failures only.
pub async fn qualification_type(
    w: &WorkerCtx,
    id: &crate::domain::ids::QualificationTypeId,
) -> Result<Option<crate::domain::qualification::QualificationType>> {
    Ok(w.store.qualification_type(id).await.map_err(internal)?.map(|t| (*t).clone()))
}

/// What a worker has earned, in cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Earnings {
    /// Rewards of approved assignments.
    pub approved_cents: i64,
    /// Rewards of submitted assignments not yet reviewed.
    pub pending_cents: i64,
    /// Bonuses paid.
    pub bonus_cents: i64,
}

/// The worker's earnings: rewards of approved and of submitted assignments,
/// and bonuses, read assignment by assignment.
///
/// # Errors
/// Store failures only.
pub async fn worker_earnings(w: &WorkerCtx, worker: &WorkerId) -> Result<Earnings> {
    super::settle(w).await?;
    let mut out = Earnings::default();
    let mut rewards: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for a in w.store.worker_assignments(worker).await.map_err(internal)? {
        let status = a.status_at(w.now);
        let counted = matches!(
            status,
            crate::domain::hit::AssignmentStatus::Approved | crate::domain::hit::AssignmentStatus::Submitted
        );
        if counted {
            let reward = if let Some(r) = rewards.get(&a.hit_id) {
                *r
            } else {
                let hit = w.store.hit(&a.hit_id, w.now).await.map_err(internal)?;
                let r = hit.map_or(0, |h| h.hit_type.reward_cents);
                rewards.insert(a.hit_id.clone(), r);
                r
            };
            if status == crate::domain::hit::AssignmentStatus::Approved {
                out.approved_cents += reward;
            } else {
                out.pending_cents += reward;
            }
        }
        let page = crate::store::Page::first(100);
        let bonuses =
            w.store.bonuses(crate::store::hits::BonusesOf::Assignment(&a.id), page).await.map_err(internal)?;
        out.bonus_cents += bonuses.items.iter().map(|b| b.amount_cents).sum::<i64>();
    }
    Ok(out)
}
