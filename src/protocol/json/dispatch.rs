//! The JSON operation table: all 39 operations of the 2017-01-17 model, one
//! entry each. A built operation names its `ops` function, how each field of
//! the function's input is decoded from the request's members (see
//! [`super::decode`]), and how its output is answered (see [`super::answer`]).
//! Operations not built yet are routed but answer a deliberate
//! `RequestError` (`AWS.MechanicalTurk.NotImplemented`).

use serde_json::Value;

use crate::domain::qualification::{GrantMode, QualificationStatus};
use crate::error::Result;
use crate::ops::{account, qualifications as quals, requests, workers, Ctx};
use crate::protocol::BoxFuture;

use super::answer;
use super::handlers as h;
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

/// Calls an `ops` function with its input decoded from the members: no
/// input, one value, or a struct whose fields each name a decoder.
macro_rules! call {
    ($ctx:ident, $input:ident, $op:path, ) => {
        $op($ctx).await?
    };
    ($ctx:ident, $input:ident, $op:path, $dec:ident ( $($arg:expr),* )) => {
        $op($ctx, $crate::protocol::json::decode::$dec($input $(, $arg)*)?).await?
    };
    ($ctx:ident, $input:ident, $op:path,
     $($seg:ident)::+ { $( $field:ident : $dec:ident ( $($arg:expr),* ) ),* $(,)? }) => {
        $op($ctx, $($seg)::+ { $( $field: $crate::protocol::json::decode::$dec($input $(, $arg)*)? ),* }).await?
    };
}

macro_rules! operations {
    (
        built { $( $name:ident => $op:path [ $($args:tt)* ] => $answer:expr; )* }
        by_hand { $( $hname:ident => $handler:path; )* }
        not_built { $( $uname:ident ),* $(,)? }
    ) => {
        /// One generated handler per built operation, named after it.
        #[allow(non_snake_case, reason = "each handler is named after its operation")]
        mod generated {
            use super::*;
            $(
                pub(super) fn $name<'a>(ctx: &'a Ctx, input: &'a Input) -> BoxFuture<'a, Result<Value>> {
                    Box::pin(async move {
                        let out = call!(ctx, input, $op, $($args)*);
                        Ok(($answer)(ctx, input, &out))
                    })
                }
            )*
        }

        /// Every operation of the model.
        pub static OPERATIONS: &[Operation] = &[
            $( Operation { name: stringify!($name), handler: Some(generated::$name) }, )*
            $( Operation { name: stringify!($hname), handler: Some($handler) }, )*
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
    }
    by_hand {
        ApproveAssignment => h::approve_assignment;
        CreateAdditionalAssignmentsForHIT => h::create_additional_assignments_for_hit;
        CreateHIT => h::create_hit;
        CreateHITType => h::create_hit_type;
        CreateHITWithHITType => h::create_hit_with_hit_type;
        DeleteHIT => h::delete_hit;
        GetAssignment => h::get_assignment;
        GetHIT => h::get_hit;
        ListAssignmentsForHIT => h::list_assignments_for_hit;
        ListBonusPayments => h::list_bonus_payments;
        ListHITs => h::list_hits;
        ListHITsForQualificationType => h::list_hits_for_qualification_type;
        ListReviewableHITs => h::list_reviewable_hits;
        RejectAssignment => h::reject_assignment;
        SendBonus => h::send_bonus;
        UpdateExpirationForHIT => h::update_expiration_for_hit;
        UpdateHITReviewStatus => h::update_hit_review_status;
        UpdateHITTypeOfHIT => h::update_hit_type_of_hit;
    }
    not_built {
        GetFileUploadURL,
        ListReviewPolicyResultsForHIT,
        SendTestEventNotification,
        UpdateNotificationSettings,
    }
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
