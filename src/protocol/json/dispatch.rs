//! The JSON operation table: all 39 operations of the 2017-01-17 model, one
//! entry each. A built operation names its `ops` function, how each field of
//! the function's input is decoded from the request's members (see
//! [`super::decode`]), and how its output is answered (see [`super::answer`]).
//! Operations not built yet are routed but answer a deliberate
//! `RequestError` (`AWS.MechanicalTurk.NotImplemented`).

use serde_json::Value;

use crate::domain::qualification::{GrantMode, QualificationStatus};
use crate::error::Result;
use crate::ops::{
    account, assignments, files, hits, notifications, qualifications as quals, requests, review, workers, Ctx,
};
use crate::protocol::BoxFuture;

use super::answer;
use super::input::Input;

/// The `X-Amz-Target` prefix (modern-api.md §1.1).
pub const TARGET_PREFIX: &str = "MTurkRequesterServiceV20170117";

/// A JSON operation handler: the request's members in, the answer out.
pub type Handler = crate::protocol::pipeline::Handler<super::JsonApi>;

/// One JSON operation.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// The model's name.
    pub name: &'static str,
    /// The handler, or `None` while not built.
    pub handler: Option<Handler>,
}

macro_rules! operations {
    (
        built { $( $name:ident => $op:path [ $($args:tt)* ] => $answer:expr; )* }
        not_built { $( $uname:ident ),* $(,)? }
    ) => {
        /// One generated handler per built operation, named after it.
        #[allow(non_snake_case, reason = "each handler is named after its operation")]
        mod generated {
            use super::*;
            $(
                pub(super) fn $name<'a>(ctx: &'a Ctx, input: &'a Input) -> BoxFuture<'a, Result<Value>> {
                    Box::pin(async move {
                        let out = crate::protocol::call_operation!(json; ctx, input, $op, $($args)*);
                        Ok(($answer)(ctx, input, &out))
                    })
                }
            )*
        }

        /// Every operation of the model.
        pub static OPERATIONS: &[Operation] = &[
            $( Operation { name: stringify!($name), handler: Some(generated::$name) }, )*
            $( Operation { name: stringify!($uname), handler: None }, )*
        ];
    };
}

operations! {
    built {
        AcceptQualificationRequest => requests::grant[requests::RequestGrant {
            id: req("QualificationRequestId"),
            integer_value: opt("IntegerValue"),
        }] => answer::empty;
        AssociateQualificationWithWorker => quals::assign[quals::AssignInput {
            type_id: req("QualificationTypeId"),
            worker_id: req("WorkerId"),
            // IntegerValue defaults to 1 and SendNotification to true, as in the legacy API;
            // an existing grant is overwritten (modern-api.md §5).
            integer_value: or("IntegerValue", 1),
            send_notification: or("SendNotification", true),
            mode: constant(GrantMode::Overwrite),
        }] => answer::empty;
        CreateQualificationType => quals::create_type[quals::NewQualificationType {
            name: nonempty("Name"),
            description: nonempty("Description"),
            keywords: opt("Keywords"),
            status: req("QualificationTypeStatus"),
            retry_delay_secs: opt("RetryDelayInSeconds"),
            test: opt("Test"),
            answer_key: opt("AnswerKey"),
            test_duration_secs: opt("TestDurationInSeconds"),
            auto_granted: or("AutoGranted", false),
            auto_granted_value: opt("AutoGrantedValue"),
        }] => answer::own_qualification_type;
        // Reason may be "": the model gives it no minimum length.
        CreateWorkerBlock => workers::block[workers::Block { worker_id: req("WorkerId"), reason: req("Reason") }]
            => answer::empty;
        DeleteQualificationType => quals::dispose_type[req("QualificationTypeId")] => answer::empty;
        // Succeeds when there was no block.
        DeleteWorkerBlock => workers::unblock[req("WorkerId")] => answer::empty;
        DisassociateQualificationFromWorker => quals::revoke[quals::Revocation {
            worker_id: req("WorkerId"),
            type_id: req("QualificationTypeId"),
            reason: opt("Reason"),
        }] => answer::empty;
        GetAccountBalance => account::balance[] => answer::balance;
        GetQualificationScore => quals::score[quals::QualificationOf {
            type_id: req("QualificationTypeId"),
            worker_id: req("WorkerId"),
        }] => answer::qualification;
        // Any type, system types included.
        GetQualificationType => quals::get_type[req("QualificationTypeId")] => answer::qualification_type;
        // The caller's Submitted requests, oldest first.
        ListQualificationRequests => requests::list[requests::RequestListing {
            type_id: opt("QualificationTypeId"),
            sort: constant(requests::RequestSort::default()),
            page: page(),
        }] => answer::listing("QualificationRequests", answer::request_item);
        // MustBeRequestable is required; sorted by name.
        ListQualificationTypes => quals::search_types[quals::SearchTypes {
            query: opt("Query"),
            must_be_requestable: req("MustBeRequestable"),
            must_be_owned_by_caller: or("MustBeOwnedByCaller", false),
            descending: constant(false),
            page: page(),
        }] => answer::listing("QualificationTypes", answer::type_item);
        ListWorkerBlocks => workers::blocks[page()] => answer::listing("WorkerBlocks", answer::block_item);
        // Status defaults to Granted, as in the legacy GetQualificationsForQualificationType.
        ListWorkersWithQualificationType => quals::list_for_type[quals::TypeQualifications {
            type_id: req("QualificationTypeId"),
            status: or("Status", QualificationStatus::Granted),
            page: page(),
        }] => answer::listing("Qualifications", answer::qualification_item);
        // Workers who never worked for the caller are reported as hard failures.
        NotifyWorkers => workers::notify[workers::Message {
            subject: nonempty("Subject"),
            text: nonempty("MessageText"),
            workers: req("WorkerIds"),
        }] => answer::notify_failures;
        RejectQualificationRequest => requests::reject[requests::RequestRejection {
            id: req("QualificationRequestId"),
            reason: opt("Reason"),
        }] => answer::empty;
        UpdateQualificationType => quals::update_type[quals::QualificationTypeUpdate {
            id: req("QualificationTypeId"),
            description: opt("Description"),
            status: opt("QualificationTypeStatus"),
            test: opt("Test"),
            answer_key: opt("AnswerKey"),
            test_duration_secs: opt("TestDurationInSeconds"),
            retry_delay_secs: opt("RetryDelayInSeconds"),
            auto_granted: opt("AutoGranted"),
            auto_granted_value: opt("AutoGrantedValue"),
        }] => answer::own_qualification_type;
        ApproveAssignment => assignments::approve[assignments::Approval {
            assignment_id: req("AssignmentId"),
            // OverrideRejection approves a rejected assignment within 30 days.
            override_rejection: or("OverrideRejection", false),
            feedback: opt("RequesterFeedback"),
        }] => answer::empty;
        CreateAdditionalAssignmentsForHIT => hits::add_assignments[hits::MoreAssignments {
            hit_id: req("HITId"),
            more: req("NumberOfAdditionalAssignments"),
            token: opt("UniqueRequestToken"),
        }] => answer::empty;
        // An implicit CreateHITType, then CreateHITWithHITType.
        CreateHIT => hits::create_hit[hits::HitOrder { hit: new_hit(), hit_type: new_type() }] => answer::hit;
        // Reuses the caller's type with the same properties.
        CreateHITType => hits::create_hit_type[hit_type()] => answer::hit_type_id;
        CreateHITWithHITType => hits::create_hit[hits::HitOrder {
            hit: new_hit(),
            hit_type: existing_type("HITTypeId"),
        }] => answer::hit;
        DeleteHIT => hits::delete_hit[req("HITId")] => answer::empty;
        GetAssignment => assignments::get_assignment[req("AssignmentId")] => answer::assignment_and_hit;
        // An address on this server, valid for 60 seconds of emulated time.
        GetFileUploadURL => files::upload_url[files::FileUrlRequest {
            assignment_id: req("AssignmentId"),
            question_id: req("QuestionIdentifier"),
        }] => answer::file_upload_url;
        // The caller's HIT, deleted ones included.
        GetHIT => hits::get_hit[req("HITId")] => answer::hit;
        // All three statuses unless filtered.
        ListAssignmentsForHIT => assignments::list_assignments[assignments::AssignmentListing {
            hit_id: req("HITId"),
            statuses: or("AssignmentStatuses", Vec::new()),
            page: page(),
        }] => answer::listing("Assignments", answer::assignment_item);
        // Exactly one of HITId and AssignmentId.
        ListBonusPayments => assignments::list_bonuses[assignments::BonusListing {
            hit_id: opt("HITId"),
            assignment_id: opt("AssignmentId"),
            page: page(),
        }] => answer::listing("BonusPayments", answer::bonus_item);
        // The caller's HITs that are not deleted, oldest first.
        ListHITs => hits::list_hits[hits::HitListing { qualification: constant(None), page: page() }]
            => answer::listing("HITs", answer::hit_item);
        ListHITsForQualificationType => hits::list_hits[hits::HitListing {
            qualification: some("QualificationTypeId"),
            page: page(),
        }] => answer::listing("HITs", answer::hit_item);
        // Reviewable (default) or Reviewing, optionally of one HIT type.
        ListReviewableHITs => hits::list_reviewable[hits::ReviewableListing {
            hit_type_id: opt("HITTypeId"),
            reviewing: reviewing("Status"),
            page: page(),
        }] => answer::listing("HITs", answer::hit_item);
        // Both levels, actions and results unless narrowed; the caller's HIT only.
        ListReviewPolicyResultsForHIT => review::results[review::ResultsQuery {
            hit_id: req("HITId"),
            assignment_id: constant(None),
            levels: or("PolicyLevels", Vec::new()),
            retrieve_actions: or("RetrieveActions", true),
            retrieve_results: or("RetrieveResults", true),
            page: page(),
        }] => answer::review_report;
        // RequesterFeedback is required in this API, and may be "".
        RejectAssignment => assignments::reject[assignments::Rejection {
            assignment_id: req("AssignmentId"),
            feedback: some("RequesterFeedback"),
        }] => answer::empty;
        // All four members required; Reason may be "" (no minimum in the model).
        SendBonus => assignments::send_bonus[assignments::BonusGrant {
            worker_id: req("WorkerId"),
            amount: req("BonusAmount"),
            assignment_id: req("AssignmentId"),
            reason: req("Reason"),
            token: opt("UniqueRequestToken"),
        }] => answer::empty;
        // A time at or before now expires the HIT.
        UpdateExpirationForHIT => hits::update_expiration[hits::ExpirationChange {
            hit_id: req("HITId"),
            expire_at: req("ExpireAt"),
        }] => answer::empty;
        // Reviewable → Reviewing, or back with Revert.
        UpdateHITReviewStatus => hits::update_review_status[hits::ReviewStatusChange {
            hit_id: req("HITId"),
            revert: or("Revert", false),
        }] => answer::empty;
        UpdateHITTypeOfHIT => hits::change_hit_type[hits::HitTypeChange {
            hit_id: req("HITId"),
            hit_type_id: req("HITTypeId"),
        }] => answer::empty;
        // One event of TestEventType to the specification's destination.
        SendTestEventNotification => notifications::send_test_event[notifications::TestEvent {
            notification: notification("Notification"),
            test_event_type: req("TestEventType"),
        }] => answer::empty;
        // Notification and/or Active; the caller's HIT type.
        UpdateNotificationSettings => notifications::update_settings[notifications::SettingsUpdate {
            hit_type_id: req("HITTypeId"),
            notification: opt_notification("Notification"),
            active: opt("Active"),
        }] => answer::empty;
    }
    not_built {}
}

/// Resolves an `X-Amz-Target` value (prefix, a dot, an exact operation name).
#[must_use]
pub fn find(target: &str) -> Option<&'static Operation> {
    let (prefix, name) = target.rsplit_once('.')?;
    if prefix != TARGET_PREFIX {
        return None;
    }
    OPERATIONS.iter().find(|op| op.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_thirty_nine_operations_are_routed_once() {
        let mut names: Vec<&str> = OPERATIONS.iter().map(|o| o.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 39);
        assert_eq!(OPERATIONS.len(), 39);
        assert!(find("MTurkRequesterServiceV20170117.DisassociateQualificationFromWorker").is_some());
        assert!(find("MTurkRequesterServiceV20170117.disassociatequalificationfromworker").is_none());
        assert!(find("OtherService.GetHIT").is_none());
        assert!(find("GetHIT").is_none());
    }
}
