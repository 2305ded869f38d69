//! Qualification requests, from both sides (spec §4.7-§4.9, §6.3).
//!
//! The worker side (`request`, `answer_test`) is what a real worker does on
//! the MTurk website; here the control plane calls it. The requester side
//! (`grant`, `reject`, `list`) is GrantQualification /
//! AcceptQualificationRequest, RejectQualificationRequest and
//! GetQualificationRequests / ListQualificationRequests.

use crate::documents;
use crate::domain::ids::{QualificationRequestId, QualificationTypeId, WorkerId};
use crate::domain::qualification::{QualificationRequest, QualificationType, RequestStatus, TypeStatus};
use crate::domain::time::Timestamp;
use crate::domain::worker::{NotificationKind, WorkerNotification};
use crate::error::{permission_denied, MturkError, Result};
use crate::mturk_error;
use crate::store::{Direction, Grant, GrantMode, Page, Paged, RequestDecision, RequestOrder};

use super::qualifications::{check_len, existing_type, owned_type, MAX_REASON_CHARS};
use super::{internal, Ctx, WorkerCtx};

/// What happened to a worker's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestOutcome {
    /// Granted at once (auto-granted, or scored by the answer key).
    Granted {
        /// The request.
        request_id: QualificationRequestId,
        /// The value granted.
        integer_value: i32,
    },
    /// Waiting for the owner in GetQualificationRequests.
    Pending {
        /// The request.
        request_id: QualificationRequestId,
    },
    /// The worker has the test and must answer by the deadline.
    TestStarted {
        /// The request.
        request_id: QualificationRequestId,
        /// The QuestionForm.
        test: String,
        /// Answers must arrive by then.
        deadline: Timestamp,
    },
}

fn clamp_i32(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX })
}

/// Checks that a worker may request `t` now (spec §6.3): Active and
/// requestable, no open request, and the retry policy allows it.
async fn check_may_request(w: &WorkerCtx, t: &QualificationType, worker: &WorkerId) -> Result<()> {
    if !t.is_requestable {
        return Err(mturk_error!(
            InvalidParameterValue,
            "QualificationType {} is a system Qualification and cannot be requested.",
            t.id
        ));
    }
    let status = t.status_at(w.now);
    if status != TypeStatus::Active {
        return Err(mturk_error!(
            InvalidQualificationTypeState,
            "This operation can be called with a status of: Active"
        )
        .with_data("QualificationTypeId", t.id.as_str())
        .with_data("CurrentState", status.as_str())
        .with_data("ExpectedStates", "Active"));
    }
    let Some(previous) = w.store.latest_request(&t.id, worker).await.map_err(internal)? else {
        return Ok(());
    };
    let lapsed = previous.status == RequestStatus::TestPending && previous.test_deadline.is_some_and(|d| w.now > d);
    if !lapsed && matches!(previous.status, RequestStatus::TestPending | RequestStatus::Submitted) {
        // Our choice: one open request per worker and type; answer or wait for it.
        return Err(mturk_error!(
            InvalidQualificationRequestState,
            "You already have a pending request {} for this Qualification.",
            previous.id
        )
        .with_data("QualificationRequestId", previous.id.as_str()));
    }
    // A test whose time ran out without answers counts as a finished (failed) attempt.
    match t.retry_delay_secs {
        // No RetryDelayInSeconds: one request ever, even if rejected (spec §6.3).
        None => Err(mturk_error!(
            QualificationTypeDoesNotAllowRetake,
            "QualificationType {} does not allow you to request it more than once.",
            t.id
        )),
        Some(delay) => {
            let allowed_at = previous.request_time.plus_seconds(delay);
            if w.now < allowed_at {
                Err(mturk_error!(
                    QualificationTypeRetryDelayNotElapsed,
                    "You can request QualificationType {} again after {}.",
                    t.id,
                    allowed_at.to_xml_datetime()
                )
                .with_data("RetryAllowedAfter", allowed_at.to_xml_datetime()))
            } else {
                Ok(())
            }
        }
    }
}

fn scored_value(t: &QualificationType, answer: &str) -> Result<Option<i32>> {
    let answers = documents::parse_answers(answer)?;
    let Some(key) = t.test.as_ref().and_then(|test| test.answer_key.as_deref()) else {
        return Ok(None);
    };
    let key = documents::parse_answer_key(key)?;
    Ok(Some(clamp_i32(documents::score(&key, &answers))))
}

fn auto_grant(t: &QualificationType, worker: &WorkerId, value: i32, now: Timestamp) -> Grant {
    Grant {
        type_id: t.id.clone(),
        worker_id: worker.clone(),
        integer_value: value,
        now,
        // A request replaces the old value: re-requesting "to improve a score" (spec §6.3).
        mode: GrantMode::Overwrite,
        notification: None,
    }
}

/// A worker requests a qualification (the control plane's
/// `POST /_local/workers/{id}/qualification-requests`).
///
/// # Errors
/// `QualificationTypeDoesNotExist`, `InvalidQualificationTypeState`,
/// `QualificationTypeDoesNotAllowRetake`, `QualificationTypeRetryDelayNotElapsed`,
/// `XMLParseError` for bad answers.
pub async fn request(
    w: &WorkerCtx,
    worker: &WorkerId,
    type_id: &QualificationTypeId,
    answer: Option<String>,
) -> Result<RequestOutcome> {
    let t = match w.store.qualification_type(type_id).await.map_err(internal)? {
        Some(t) if t.status_at(w.now) != TypeStatus::Disposed => t,
        _ => return Err(super::qualifications::type_does_not_exist(type_id)),
    };
    let Some(owner) = t.owner.clone() else {
        return Err(mturk_error!(
            InvalidParameterValue,
            "QualificationType {type_id} is a system Qualification and cannot be requested."
        ));
    };
    // Input format before state (spec §9 item 5): a bad Answer is an error whatever the retry policy says.
    if let Some(a) = &answer {
        if t.test.is_none() {
            return Err(mturk_error!(
                InvalidParameterValue,
                "QualificationType {type_id} has no test, so a request for it takes no Answer."
            ));
        }
        check_len("Answer", a, super::qualifications::MAX_XML_BYTES)?;
        documents::parse_answers(a)?;
    }
    check_may_request(w, &t, worker).await?;
    let id = w.ids.qualification_request_id();
    let mut req = QualificationRequest {
        id: id.clone(),
        type_id: t.id.clone(),
        owner,
        worker_id: worker.clone(),
        test: t.test.as_ref().map(|x| x.question_form.clone()),
        answer: None,
        status: RequestStatus::Submitted,
        request_time: w.now,
        submit_time: Some(w.now),
        test_deadline: None,
        reason: None,
    };
    if t.auto_granted {
        let value = t.auto_granted_value.unwrap_or(1);
        req.status = RequestStatus::Granted;
        w.store.insert_request(&req, Some(&auto_grant(&t, worker, value, w.now))).await.map_err(internal)?;
        return Ok(RequestOutcome::Granted { request_id: id, integer_value: value });
    }
    if let Some(test) = &t.test {
        let Some(answer) = answer else {
            let deadline = super::later(w.now, test.duration_secs, "test's deadline (now plus TestDurationInSeconds)")?;
            req.status = RequestStatus::TestPending;
            req.submit_time = None;
            req.test_deadline = Some(deadline);
            w.store.insert_request(&req, None).await.map_err(internal)?;
            return Ok(RequestOutcome::TestStarted { request_id: id, test: test.question_form.clone(), deadline });
        };
        check_len("Answer", &answer, super::qualifications::MAX_XML_BYTES)?;
        let value = scored_value(&t, &answer)?;
        req.answer = Some(answer);
        if let Some(value) = value {
            req.status = RequestStatus::Granted;
            w.store.insert_request(&req, Some(&auto_grant(&t, worker, value, w.now))).await.map_err(internal)?;
            return Ok(RequestOutcome::Granted { request_id: id, integer_value: value });
        }
    }
    w.store.insert_request(&req, None).await.map_err(internal)?;
    Ok(RequestOutcome::Pending { request_id: id })
}

/// A worker submits answers to a test they started.
///
/// # Errors
/// `QualificationRequestDoesNotExist` (unknown, or not this worker's),
/// `InvalidQualificationRequestState` (already answered, or the test time has
/// passed: the request is then rejected), `XMLParseError`.
pub async fn answer_test(
    w: &WorkerCtx,
    worker: &WorkerId,
    request_id: &QualificationRequestId,
    answer: String,
) -> Result<RequestOutcome> {
    let req = match w.store.request(request_id).await.map_err(internal)? {
        Some(r) if &r.worker_id == worker => r,
        _ => return Err(request_does_not_exist(request_id)),
    };
    if req.status != RequestStatus::TestPending {
        return Err(request_state_error(&req));
    }
    let t = match w.store.qualification_type(&req.type_id).await.map_err(internal)? {
        Some(t) if t.status_at(w.now) != TypeStatus::Disposed => t,
        _ => return Err(super::qualifications::type_does_not_exist(&req.type_id)),
    };
    if req.test_deadline.is_some_and(|d| w.now > d) {
        let expired = RequestDecision {
            id: req.id.clone(),
            from: RequestStatus::TestPending,
            to: RequestStatus::Rejected,
            answer: None,
            submit_time: None,
            reason: Some("The time allowed for the test ran out.".into()),
            grant: None,
            notification: None,
        };
        w.store.decide_request(&expired).await.map_err(internal)?;
        return Err(mturk_error!(
            InvalidQualificationRequestState,
            "The time allowed for this test ended at {}.",
            req.test_deadline.map(Timestamp::to_xml_datetime).unwrap_or_default()
        )
        .with_data("QualificationRequestId", req.id.as_str()));
    }
    check_len("Answer", &answer, super::qualifications::MAX_XML_BYTES)?;
    let value = scored_value(&t, &answer)?;
    let decision = RequestDecision {
        id: req.id.clone(),
        from: RequestStatus::TestPending,
        to: if value.is_some() { RequestStatus::Granted } else { RequestStatus::Submitted },
        answer: Some(answer),
        submit_time: Some(w.now),
        reason: None,
        grant: value.map(|v| auto_grant(&t, worker, v, w.now)),
        notification: None,
    };
    if !w.store.decide_request(&decision).await.map_err(internal)? {
        return Err(request_state_error(&req));
    }
    Ok(match value {
        Some(integer_value) => RequestOutcome::Granted { request_id: req.id, integer_value },
        None => RequestOutcome::Pending { request_id: req.id },
    })
}

fn request_does_not_exist(id: &QualificationRequestId) -> MturkError {
    mturk_error!(QualificationRequestDoesNotExist, "QualificationRequest {id} does not exist.")
        .with_data("QualificationRequestId", id.as_str())
}

fn request_state_error(req: &QualificationRequest) -> MturkError {
    mturk_error!(InvalidQualificationRequestState, "This operation can be called with a status of: Submitted")
        .with_data("QualificationRequestId", req.id.as_str())
        .with_data("CurrentState", req.status.as_str())
        .with_data("ExpectedStates", "Submitted")
}

/// Loads a request of one of the caller's types.
async fn owned_request(ctx: &Ctx, id: &QualificationRequestId) -> Result<QualificationRequest> {
    let req = ctx.store.request(id).await.map_err(internal)?.ok_or_else(|| request_does_not_exist(id))?;
    if req.owner != ctx.caller {
        return Err(permission_denied());
    }
    Ok(req)
}

/// Input of GrantQualification / AcceptQualificationRequest.
#[derive(Debug, Clone)]
pub struct RequestGrant {
    /// The request.
    pub id: QualificationRequestId,
    /// The value granted; default 1.
    pub integer_value: Option<i32>,
}

/// GrantQualification / AcceptQualificationRequest: Submitted → Granted, and
/// the worker holds the qualification with `value` (default 1) and GrantTime
/// now, a revoked one included (spec §4.8).
///
/// # Errors
/// `QualificationRequestDoesNotExist`, `PermissionDenied`,
/// `InvalidQualificationRequestState`.
pub async fn grant(ctx: &Ctx, grant: RequestGrant) -> Result<()> {
    let RequestGrant { id, integer_value: value } = grant;
    let req = owned_request(ctx, &id).await?;
    if req.status != RequestStatus::Submitted {
        return Err(request_state_error(&req));
    }
    let t = existing_type(ctx, &req.type_id).await?;
    let decision = RequestDecision {
        id: req.id.clone(),
        from: RequestStatus::Submitted,
        to: RequestStatus::Granted,
        answer: None,
        submit_time: None,
        reason: None,
        grant: Some(Grant {
            type_id: t.id.clone(),
            worker_id: req.worker_id.clone(),
            integer_value: value.unwrap_or(1),
            now: ctx.now,
            mode: GrantMode::Overwrite,
            notification: None,
        }),
        notification: None,
    };
    if ctx.store.decide_request(&decision).await.map_err(internal)? {
        Ok(())
    } else {
        Err(request_state_error(&req))
    }
}

/// Input of RejectQualificationRequest.
#[derive(Debug, Clone)]
pub struct RequestRejection {
    /// The request.
    pub id: QualificationRequestId,
    /// Shown to the worker.
    pub reason: Option<String>,
}

/// RejectQualificationRequest: Submitted → Rejected; the reason is shown to
/// the worker (spec §4.9).
///
/// # Errors
/// As [`grant`].
pub async fn reject(ctx: &Ctx, rejection: RequestRejection) -> Result<()> {
    let RequestRejection { id, reason } = rejection;
    if let Some(r) = &reason {
        check_len("Reason", r, MAX_REASON_CHARS)?;
    }
    let req = owned_request(ctx, &id).await?;
    if req.status != RequestStatus::Submitted {
        return Err(request_state_error(&req));
    }
    let decision = RequestDecision {
        id: req.id.clone(),
        from: RequestStatus::Submitted,
        to: RequestStatus::Rejected,
        answer: None,
        submit_time: None,
        reason: reason.clone(),
        grant: None,
        notification: Some(WorkerNotification {
            worker_id: req.worker_id.clone(),
            requester: ctx.caller.clone(),
            kind: NotificationKind::QualificationRequestRejected,
            qualification_type_id: Some(req.type_id.clone()),
            subject: None,
            text: reason.unwrap_or_default(),
            time: ctx.now,
        }),
    };
    if ctx.store.decide_request(&decision).await.map_err(internal)? {
        Ok(())
    } else {
        Err(request_state_error(&req))
    }
}

/// How GetQualificationRequests sorts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestSort {
    /// By type id instead of submit time.
    pub by_type: bool,
    /// Descending.
    pub descending: bool,
}

/// Input of GetQualificationRequests / ListQualificationRequests.
#[derive(Debug, Clone)]
pub struct RequestListing {
    /// Only requests for this type.
    pub type_id: Option<QualificationTypeId>,
    /// The order.
    pub sort: RequestSort,
    /// Which page.
    pub page: Page,
}

/// GetQualificationRequests / ListQualificationRequests: the caller's
/// Submitted requests, optionally of one type.
///
/// # Errors
/// Ownership errors when a type is named.
pub async fn list(ctx: &Ctx, listing: RequestListing) -> Result<Paged<QualificationRequest>> {
    let RequestListing { type_id, sort, page } = listing;
    let type_id = type_id.as_ref();
    if let Some(id) = type_id {
        owned_type(ctx, id).await?;
    }
    let direction = if sort.descending { Direction::Descending } else { Direction::Ascending };
    let order = if sort.by_type { RequestOrder::Type(direction) } else { RequestOrder::SubmitTime(direction) };
    ctx.store.submitted_requests(&ctx.caller, type_id, order, page).await.map_err(internal)
}

/// A test the worker started and has not answered: the request, with its
/// QuestionForm in `test` (the worker's page shows it).
///
/// # Errors
/// `QualificationRequestDoesNotExist` (unknown, or not this worker's),
/// `InvalidQualificationRequestState` when it is not waiting for answers.
pub async fn started_test(
    w: &WorkerCtx,
    worker: &WorkerId,
    request_id: &QualificationRequestId,
) -> Result<QualificationRequest> {
    let req = match w.store.request(request_id).await.map_err(internal)? {
        Some(r) if &r.worker_id == worker => r,
        _ => return Err(request_does_not_exist(request_id)),
    };
    if req.status != RequestStatus::TestPending || req.test.is_none() {
        return Err(mturk_error!(
            InvalidQualificationRequestState,
            "QualificationRequest {} is {} and has no test waiting for answers.",
            req.id,
            req.status.as_str()
        )
        .with_data("QualificationRequestId", req.id.as_str()));
    }
    Ok(req)
}
