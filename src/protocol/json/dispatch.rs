//! The JSON operation table: all 39 operations of the 2017-01-17 model, one
//! line each. Operations without a handler are routed but answer a
//! deliberate `RequestError` (`AWS.MechanicalTurk.NotImplemented`).

use super::handlers::{self as h, Handler};

/// The `X-Amz-Target` prefix (modern-api.md §1.1).
pub const TARGET_PREFIX: &str = "MTurkRequesterServiceV20170117";

/// One JSON operation.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// The model's name.
    pub name: &'static str,
    /// The handler, or `None` while not built.
    pub handler: Option<Handler>,
}

macro_rules! ops {
    ($( $name:ident => $handler:expr; )*) => {
        /// Every operation of the model, sorted by name.
        pub static OPERATIONS: &[Operation] = &[ $( Operation { name: stringify!($name), handler: $handler }, )* ];
    };
}

ops! {
    AcceptQualificationRequest => Some(h::accept_qualification_request);
    ApproveAssignment => Some(h::approve_assignment);
    AssociateQualificationWithWorker => Some(h::associate_qualification_with_worker);
    CreateAdditionalAssignmentsForHIT => Some(h::create_additional_assignments_for_hit);
    CreateHIT => Some(h::create_hit);
    CreateHITType => Some(h::create_hit_type);
    CreateHITWithHITType => Some(h::create_hit_with_hit_type);
    CreateQualificationType => Some(h::create_qualification_type);
    CreateWorkerBlock => Some(h::create_worker_block);
    DeleteHIT => Some(h::delete_hit);
    DeleteQualificationType => Some(h::delete_qualification_type);
    DeleteWorkerBlock => Some(h::delete_worker_block);
    DisassociateQualificationFromWorker => Some(h::disassociate_qualification_from_worker);
    GetAccountBalance => Some(h::get_account_balance);
    GetAssignment => Some(h::get_assignment);
    GetFileUploadURL => None;
    GetHIT => Some(h::get_hit);
    GetQualificationScore => Some(h::get_qualification_score);
    GetQualificationType => Some(h::get_qualification_type);
    ListAssignmentsForHIT => Some(h::list_assignments_for_hit);
    ListBonusPayments => Some(h::list_bonus_payments);
    ListHITs => Some(h::list_hits);
    ListHITsForQualificationType => Some(h::list_hits_for_qualification_type);
    ListQualificationRequests => Some(h::list_qualification_requests);
    ListQualificationTypes => Some(h::list_qualification_types);
    ListReviewPolicyResultsForHIT => None;
    ListReviewableHITs => Some(h::list_reviewable_hits);
    ListWorkerBlocks => Some(h::list_worker_blocks);
    ListWorkersWithQualificationType => Some(h::list_workers_with_qualification_type);
    NotifyWorkers => Some(h::notify_workers);
    RejectAssignment => Some(h::reject_assignment);
    RejectQualificationRequest => Some(h::reject_qualification_request);
    SendBonus => Some(h::send_bonus);
    SendTestEventNotification => None;
    UpdateExpirationForHIT => Some(h::update_expiration_for_hit);
    UpdateHITReviewStatus => Some(h::update_hit_review_status);
    UpdateHITTypeOfHIT => Some(h::update_hit_type_of_hit);
    UpdateNotificationSettings => None;
    UpdateQualificationType => Some(h::update_qualification_type);
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
    fn all_thirty_nine_operations_are_routed() {
        assert_eq!(OPERATIONS.len(), 39);
        let mut names: Vec<&str> = OPERATIONS.iter().map(|o| o.name).collect();
        names.dedup();
        assert_eq!(names.len(), 39);
        assert!(find("MTurkRequesterServiceV20170117.DisassociateQualificationFromWorker").is_some());
        assert!(find("MTurkRequesterServiceV20170117.disassociatequalificationfromworker").is_none());
        assert!(find("OtherService.GetHIT").is_none());
        assert!(find("GetHIT").is_none());
    }
}
