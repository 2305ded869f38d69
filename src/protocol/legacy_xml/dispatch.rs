//! The legacy operation table: one line per operation of the 2014-08-15 API
//! (spec §8), with its result element, the XSD order of its parameters for
//! the `ResponseGroup=Request` echo, and its handler. Operations without a
//! handler are known but not built yet and answer
//! `AWS.MechanicalTurk.NotImplemented`.

use super::handlers::{self as h, Handler};
use super::hit_handlers as hh;

/// Where an operation's result goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultElement {
    /// `{Op}Result` (shape A and C, spec §3.3).
    Wrapped,
    /// The data structure itself (shape B): `QualificationType`, `Qualification`, `HIT`, …
    Data(&'static str),
    /// An irregular result name (`GetRequesterStatistic` → `GetStatisticResult`).
    Named(&'static str),
}

/// One legacy operation.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// The wire name.
    pub name: &'static str,
    /// Its result element.
    pub result: ResultElement,
    /// Request parameters in XSD order for the echo; `None` when the XSD has
    /// no echo element for it (GetQualificationScore, UpdateQualificationScore, …).
    pub echo: Option<&'static [&'static str]>,
    /// The handler, or `None` while not built.
    pub handler: Option<Handler>,
}

impl Operation {
    /// The name of the result element.
    #[must_use]
    pub fn result_element(&self) -> String {
        match self.result {
            ResultElement::Wrapped => format!("{}Result", self.name),
            ResultElement::Data(name) | ResultElement::Named(name) => name.to_owned(),
        }
    }
}

use ResultElement::{Data, Named, Wrapped};

macro_rules! ops {
    ($( $name:ident => $result:expr, $echo:expr, $handler:expr; )*) => {
        /// Every operation of the 2014-08-15 API.
        pub static OPERATIONS: &[Operation] = &[
            $( Operation { name: stringify!($name), result: $result, echo: $echo, handler: $handler }, )*
        ];
    };
}

ops! {
    ApproveAssignment => Wrapped, None, Some(hh::approve_assignment);
    ApproveRejectedAssignment => Wrapped, None, Some(hh::approve_rejected_assignment);
    AssignQualification => Wrapped, Some(&["QualificationTypeId", "WorkerId", "IntegerValue", "SendNotification"]), Some(h::assign_qualification);
    BlockWorker => Wrapped, Some(&["WorkerId", "Reason"]), Some(h::block_worker);
    ChangeHITTypeOfHIT => Wrapped, None, Some(hh::change_hit_type_of_hit);
    CreateHIT => Data("HIT"), None, Some(hh::create_hit);
    CreateQualificationType => Data("QualificationType"), Some(&["Name", "Keywords", "Description", "QualificationTypeStatus", "RetryDelayInSeconds", "Test", "AnswerKey", "TestDurationInSeconds", "AutoGranted", "AutoGrantedValue"]), Some(h::create_qualification_type);
    DisableHIT => Wrapped, None, Some(hh::disable_hit);
    DisposeHIT => Wrapped, None, Some(hh::dispose_hit);
    DisposeQualificationType => Wrapped, Some(&["QualificationTypeId"]), Some(h::dispose_qualification_type);
    ExtendHIT => Wrapped, None, Some(hh::extend_hit);
    ForceExpireHIT => Wrapped, None, Some(hh::force_expire_hit);
    GetAccountBalance => Wrapped, None, Some(h::get_account_balance);
    GetAssignment => Wrapped, None, Some(hh::get_assignment);
    GetAssignmentsForHIT => Wrapped, None, Some(hh::get_assignments_for_hit);
    GetBlockedWorkers => Wrapped, Some(&["PageNumber", "PageSize"]), Some(h::get_blocked_workers);
    GetBonusPayments => Wrapped, None, Some(hh::get_bonus_payments);
    GetFileUploadURL => Wrapped, None, None;
    GetHIT => Data("HIT"), None, Some(hh::get_hit);
    GetHITsForQualificationType => Wrapped, Some(&["QualificationTypeId", "PageSize", "PageNumber"]), Some(hh::get_hits_for_qualification_type);
    GetQualificationRequests => Wrapped, Some(&["QualificationTypeId", "SortProperty", "SortDirection", "PageSize", "PageNumber"]), Some(h::get_qualification_requests);
    GetQualificationScore => Data("Qualification"), None, Some(h::get_qualification_score);
    GetQualificationType => Data("QualificationType"), Some(&["QualificationTypeId"]), Some(h::get_qualification_type);
    GetQualificationsForQualificationType => Wrapped, Some(&["QualificationTypeId", "Status", "PageSize", "PageNumber"]), Some(h::get_qualifications_for_qualification_type);
    GetRequesterStatistic => Named("GetStatisticResult"), None, None;
    GetRequesterWorkerStatistic => Wrapped, None, None;
    GetReviewResultsForHIT => Wrapped, None, None;
    GetReviewableHITs => Wrapped, None, Some(hh::get_reviewable_hits);
    GrantBonus => Wrapped, None, Some(hh::grant_bonus);
    GrantQualification => Wrapped, Some(&["QualificationRequestId", "IntegerValue"]), Some(h::grant_qualification);
    Help => Data("Information"), None, None;
    NotifyWorkers => Wrapped, None, Some(h::notify_workers);
    RegisterHITType => Wrapped, None, Some(hh::register_hit_type);
    RejectAssignment => Wrapped, None, Some(hh::reject_assignment);
    RejectQualificationRequest => Wrapped, Some(&["QualificationRequestId", "Reason"]), Some(h::reject_qualification_request);
    RevokeQualification => Wrapped, Some(&["SubjectId", "QualificationTypeId", "Reason"]), Some(h::revoke_qualification);
    SearchHITs => Wrapped, None, Some(hh::search_hits);
    SearchQualificationTypes => Wrapped, Some(&["Query", "SortProperty", "SortDirection", "PageSize", "PageNumber", "MustBeRequestable", "MustBeOwnedByCaller"]), Some(h::search_qualification_types);
    SendTestEventNotification => Wrapped, None, None;
    SetHITAsReviewing => Wrapped, None, Some(hh::set_hit_as_reviewing);
    SetHITTypeNotification => Wrapped, None, None;
    UnblockWorker => Wrapped, Some(&["WorkerId", "Reason"]), Some(h::unblock_worker);
    UpdateQualificationScore => Wrapped, None, Some(h::update_qualification_score);
    UpdateQualificationType => Data("QualificationType"), Some(&["QualificationTypeId", "Description", "QualificationTypeStatus", "Test", "AnswerKey", "TestDurationInSeconds", "RetryDelayInSeconds", "AutoGranted", "AutoGrantedValue"]), Some(h::update_qualification_type);
}

/// Finds an operation by its exact (case-sensitive) wire name.
#[must_use]
pub fn find(name: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|op| op.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_unique() {
        let names: Vec<&str> = OPERATIONS.iter().map(|o| o.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        assert_eq!(OPERATIONS.len(), 44);
    }

    #[test]
    fn result_elements_follow_the_xsd() {
        assert_eq!(find("RevokeQualification").unwrap().result_element(), "RevokeQualificationResult");
        assert_eq!(find("GetQualificationScore").unwrap().result_element(), "Qualification");
        assert_eq!(find("GetRequesterStatistic").unwrap().result_element(), "GetStatisticResult");
        assert!(find("revokequalification").is_none());
    }
}
