//! Worker-facing requester actions: blocks and NotifyWorkers (spec §4.14, §8).

use crate::domain::ids::WorkerId;
use crate::domain::worker::{NotificationKind, WorkerBlock, WorkerNotification};
use crate::error::Result;
use crate::mturk_error;
use crate::store::{Page, Paged};

use super::qualifications::{check_len, MAX_REASON_CHARS};
use super::{internal, Ctx};

/// Longest NotifyWorkers subject (spec §8).
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Longest NotifyWorkers message (spec §8).
pub const MAX_MESSAGE_CHARS: usize = 4096;
/// Most workers per NotifyWorkers call (spec §8).
pub const MAX_NOTIFY_WORKERS: usize = 100;

/// Input of BlockWorker / CreateWorkerBlock.
#[derive(Debug, Clone)]
pub struct Block {
    /// The worker.
    pub worker_id: WorkerId,
    /// Why; the worker does not see it. May be empty.
    pub reason: String,
}

/// BlockWorker / CreateWorkerBlock. Blocking again updates the reason.
///
/// # Errors
/// Validation errors.
pub async fn block(ctx: &Ctx, block: Block) -> Result<()> {
    let Block { worker_id, reason } = block;
    check_len("Reason", &reason, MAX_REASON_CHARS)?;
    let block = WorkerBlock { worker_id, reason };
    ctx.store.block_worker(&ctx.caller, &block, ctx.now).await.map_err(internal)
}

/// UnblockWorker / DeleteWorkerBlock. Succeeds when there was no block.
///
/// # Errors
/// Store failures only.
pub async fn unblock(ctx: &Ctx, worker_id: WorkerId) -> Result<()> {
    ctx.store.unblock_worker(&ctx.caller, &worker_id).await.map_err(internal)?;
    Ok(())
}

/// GetBlockedWorkers / ListWorkerBlocks.
///
/// # Errors
/// Store failures only.
pub async fn blocks(ctx: &Ctx, page: Page) -> Result<Paged<WorkerBlock>> {
    ctx.store.blocks(&ctx.caller, page).await.map_err(internal)
}

/// Whether retrying NotifyWorkers for a worker could succeed (the model's
/// `NotifyWorkersFailureCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyFailureCode {
    /// A passing problem; the same call may succeed later.
    SoftFailure,
    /// The message will never be delivered as asked.
    HardFailure,
}

impl NotifyFailureCode {
    /// The wire spelling, the same in both APIs.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SoftFailure => "SoftFailure",
            Self::HardFailure => "HardFailure",
        }
    }
}

/// A worker NotifyWorkers could not reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyFailure {
    /// The worker.
    pub worker_id: WorkerId,
    /// Soft or hard.
    pub code: NotifyFailureCode,
    /// Why.
    pub message: String,
}

/// The real service's text for a worker who never worked for the caller, the
/// same in a 2013 legacy capture (cloudyr/MTurkR issue 29) and in a JSON answer
/// quoted by nodeGame's MTurk module (2020).
pub const NOT_YOUR_WORKER: &str = "Cannot send a notification to a worker who has not done any work for you";

/// Input of NotifyWorkers.
#[derive(Debug, Clone)]
pub struct Message {
    /// The subject line (at most 200 characters).
    pub subject: String,
    /// The text (at most 4096 characters).
    pub text: String,
    /// Who gets it (1 to 100 workers).
    pub workers: Vec<WorkerId>,
}

/// NotifyWorkers: records the message for every worker who has worked with
/// (accepted a HIT of, holds a qualification of, requested one of, or was
/// blocked by) the caller; the others are reported as hard failures, as the real service
/// refuses to mail strangers.
///
/// # Errors
/// Validation errors.
pub async fn notify(ctx: &Ctx, message: Message) -> Result<Vec<NotifyFailure>> {
    let Message { subject, text: message, workers } = message;
    check_len("Subject", &subject, MAX_SUBJECT_CHARS)?;
    check_len("MessageText", &message, MAX_MESSAGE_CHARS)?;
    if workers.is_empty() || workers.len() > MAX_NOTIFY_WORKERS {
        return Err(mturk_error!(
            InvalidParameterValue,
            "NotifyWorkers takes between 1 and {MAX_NOTIFY_WORKERS} WorkerIds; {} were given.",
            workers.len()
        ));
    }
    let mut deliver = Vec::new();
    let mut failures = Vec::new();
    for worker_id in workers {
        if deliver.iter().any(|n: &WorkerNotification| n.worker_id == worker_id) {
            continue;
        }
        if ctx.store.worker_knows_requester(&ctx.caller, &worker_id).await.map_err(internal)? {
            deliver.push(WorkerNotification {
                worker_id,
                requester: ctx.caller.clone(),
                kind: NotificationKind::Message,
                qualification_type_id: None,
                subject: Some(subject.clone()),
                text: message.clone(),
                time: ctx.now,
            });
        } else {
            failures.push(NotifyFailure {
                worker_id,
                code: NotifyFailureCode::HardFailure,
                message: NOT_YOUR_WORKER.to_owned(),
            });
        }
    }
    ctx.store.notify(&deliver).await.map_err(internal)?;
    Ok(failures)
}
