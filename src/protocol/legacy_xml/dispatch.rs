//! The legacy operation table: one line per operation of the 2014-08-15 API
//! (spec §8), with its result element, the XSD order of its parameters for
//! the `ResponseGroup=Request` echo, and its handler. Operations without a
//! handler are known but not built yet and answer
//! `AWS.MechanicalTurk.NotImplemented`.

use crate::domain::qualification::{GrantMode, QualificationStatus};
use crate::error::Result;
use crate::ops::statistics::{self as stats, TimePeriod};
use crate::ops::{
    account, assignments, files, help, hits, notifications, qualifications as quals, requests, review, workers, Ctx,
};
use crate::protocol::BoxFuture;

use super::answer;
use super::dto::CounterOrder;
use super::params::Params;

/// A legacy operation handler: the request's parameters in, the result's
/// children after `<Request>` out.
pub type Handler = crate::protocol::pipeline::Handler<super::LegacyApi>;

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

macro_rules! operations {
    (
        built { $( $name:ident ($result:expr, $echo:expr) => $op:path [ $($args:tt)* ] => $answer:expr; )* }
        not_built { $( $uname:ident ($uresult:expr) ),* $(,)? }
    ) => {
        /// One generated handler per built operation, named after it.
        #[allow(non_snake_case, reason = "each handler is named after its operation")]
        mod generated {
            use super::*;
            $(
                pub(super) fn $name<'a>(ctx: &'a Ctx, p: &'a Params) -> BoxFuture<'a, Result<String>> {
                    Box::pin(async move {
                        let out = crate::protocol::call_operation!(legacy_xml; ctx, p, $op, $($args)*);
                        Ok(($answer)(ctx, p, &out))
                    })
                }
            )*
        }

        /// Every operation of the 2014-08-15 API, sorted by name.
        pub static OPERATIONS: &[Operation] = &sorted_operations([
            $( Operation { name: stringify!($name), result: $result, echo: $echo, handler: Some(generated::$name) }, )*
            $( Operation { name: stringify!($uname), result: $uresult, echo: None, handler: None }, )*
        ]);
    };
}

/// Sorts the table by name at compile time (the three groups of the
/// `operations!` table each list their operations alphabetically).
const fn sorted_operations<const N: usize>(mut ops: [Operation; N]) -> [Operation; N] {
    let mut i = 1;
    while i < N {
        let mut j = i;
        while j > 0 && name_lt(ops[j].name.as_bytes(), ops[j - 1].name.as_bytes()) {
            let tmp = ops[j];
            ops[j] = ops[j - 1];
            ops[j - 1] = tmp;
            j -= 1;
        }
        i += 1;
    }
    ops
}

const fn name_lt(a: &[u8], b: &[u8]) -> bool {
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
        i += 1;
    }
    a.len() < b.len()
}

operations! {
    built {
        AssignQualification (Wrapped, Some(&["QualificationTypeId", "WorkerId", "IntegerValue", "SendNotification"]))
            => quals::assign[quals::AssignInput {
                type_id: req("QualificationTypeId"),
                worker_id: req("WorkerId"),
                // IntegerValue default 1, SendNotification default true (spec §4.6).
                integer_value: or("IntegerValue", 1),
                send_notification: or("SendNotification", true),
                mode: constant(GrantMode::IfNotGranted),
            }] => answer::empty;
        // Reason required; an empty one is a value, as in the JSON CreateWorkerBlock.
        BlockWorker (Wrapped, Some(&["WorkerId", "Reason"]))
            => workers::block[workers::Block { worker_id: req("WorkerId"), reason: text("Reason") }] => answer::empty;
        // Shape B without IsRequestable (spec §4.1).
        CreateQualificationType (Data("QualificationType"), Some(&["Name", "Keywords", "Description",
            "QualificationTypeStatus", "RetryDelayInSeconds", "Test", "AnswerKey", "TestDurationInSeconds",
            "AutoGranted", "AutoGrantedValue"]))
            => quals::create_type[quals::NewQualificationType {
                name: req("Name"),
                description: req("Description"),
                keywords: opt("Keywords"),
                status: req("QualificationTypeStatus"),
                retry_delay_secs: opt("RetryDelayInSeconds"),
                test: opt("Test"),
                answer_key: opt("AnswerKey"),
                test_duration_secs: opt("TestDurationInSeconds"),
                auto_granted: or("AutoGranted", false),
                auto_granted_value: opt("AutoGrantedValue"),
            }] => answer::created_type;
        DisposeQualificationType (Wrapped, Some(&["QualificationTypeId"]))
            => quals::dispose_type[req("QualificationTypeId")] => answer::empty;
        GetAccountBalance (Wrapped, None) => account::balance[] => answer::balance;
        // PageSize up to 65535, XSD counter order (spec §4.14).
        GetBlockedWorkers (Wrapped, Some(&["PageNumber", "PageSize"]))
            => workers::blocks[page(65_535)] => answer::listing(CounterOrder::Xsd, 65_535, answer::block_item);
        // SubmitTime ascending by default (spec §4.7).
        GetQualificationRequests (Wrapped, Some(&["QualificationTypeId", "SortProperty", "SortDirection",
            "PageSize", "PageNumber"]))
            => requests::list[requests::RequestListing {
                type_id: opt("QualificationTypeId"),
                sort: request_order(),
                page: page(100),
            }] => answer::listing(CounterOrder::Captured, 100, answer::request_item);
        // Shape B (spec §4.10).
        GetQualificationScore (Data("Qualification"), None) => quals::score[quals::QualificationOf {
            type_id: req("QualificationTypeId"),
            worker_id: req("SubjectId"),
        }] => answer::qualification;
        // Any type, system types included (spec §4.2).
        GetQualificationType (Data("QualificationType"), Some(&["QualificationTypeId"]))
            => quals::get_type[req("QualificationTypeId")] => answer::qualification_type;
        // Captured counter order (spec §4.12).
        GetQualificationsForQualificationType (Wrapped, Some(&["QualificationTypeId", "Status", "PageSize",
            "PageNumber"]))
            => quals::list_for_type[quals::TypeQualifications {
                type_id: req("QualificationTypeId"),
                status: or("Status", QualificationStatus::Granted),
                page: page(100),
            }] => answer::listing(CounterOrder::Captured, 100, answer::qualification_item);
        GrantQualification (Wrapped, Some(&["QualificationRequestId", "IntegerValue"]))
            => requests::grant[requests::RequestGrant {
                id: req("QualificationRequestId"),
                integer_value: opt("IntegerValue"),
            }] => answer::empty;
        // Subject, MessageText and WorkerId.N (1-100).
        NotifyWorkers (Wrapped, None) => workers::notify[workers::Message {
            subject: req("Subject"),
            text: req("MessageText"),
            workers: req("WorkerId"),
        }] => answer::notify_failures;
        RejectQualificationRequest (Wrapped, Some(&["QualificationRequestId", "Reason"]))
            => requests::reject[requests::RequestRejection {
                id: req("QualificationRequestId"),
                reason: opt("Reason"),
            }] => answer::empty;
        // The seed of this project (spec §4.13). An empty Reason is kept: only a non-empty one notifies.
        RevokeQualification (Wrapped, Some(&["SubjectId", "QualificationTypeId", "Reason"]))
            => quals::revoke[quals::Revocation {
                worker_id: req("SubjectId"),
                type_id: req("QualificationTypeId"),
                reason: value("Reason"),
            }] => answer::empty;
        // MustBeRequestable is required (spec §4.3).
        SearchQualificationTypes (Wrapped, Some(&["Query", "SortProperty", "SortDirection", "PageSize",
            "PageNumber", "MustBeRequestable", "MustBeOwnedByCaller"]))
            => quals::search_types[quals::SearchTypes {
                must_be_requestable: req("MustBeRequestable"),
                descending: name_order(),
                page: page(100),
                query: opt("Query"),
                must_be_owned_by_caller: or("MustBeOwnedByCaller", false),
            }] => answer::listing(CounterOrder::Captured, 100, answer::type_item);
        // Succeeds when not blocked (spec §4.14).
        UnblockWorker (Wrapped, Some(&["WorkerId", "Reason"])) => workers::unblock[req("WorkerId")] => answer::empty;
        // IntegerValue required (spec §4.11).
        UpdateQualificationScore (Wrapped, None) => quals::update_score[quals::ScoreUpdate {
            type_id: req("QualificationTypeId"),
            worker_id: req("SubjectId"),
            integer_value: req("IntegerValue"),
        }] => answer::empty;
        // Spec §4.4.
        UpdateQualificationType (Data("QualificationType"), Some(&["QualificationTypeId", "Description",
            "QualificationTypeStatus", "Test", "AnswerKey", "TestDurationInSeconds", "RetryDelayInSeconds",
            "AutoGranted", "AutoGrantedValue"]))
            => quals::update_type[quals::QualificationTypeUpdate {
                id: req("QualificationTypeId"),
                description: opt("Description"),
                status: opt("QualificationTypeStatus"),
                test: opt("Test"),
                answer_key: opt("AnswerKey"),
                test_duration_secs: opt("TestDurationInSeconds"),
                retry_delay_secs: opt("RetryDelayInSeconds"),
                auto_granted: opt("AutoGranted"),
                auto_granted_value: opt("AutoGrantedValue"),
            }] => answer::own_type;
        ApproveAssignment (Wrapped, None) => assignments::approve[assignments::Approval {
            assignment_id: req("AssignmentId"),
            feedback: opt("RequesterFeedback"),
            override_rejection: constant(false),
        }] => answer::empty;
        // Within 30 days of submission.
        ApproveRejectedAssignment (Wrapped, None) => assignments::approve[assignments::Approval {
            assignment_id: req("AssignmentId"),
            feedback: opt("RequesterFeedback"),
            override_rejection: constant(true),
        }] => answer::empty;
        ChangeHITTypeOfHIT (Wrapped, None) => hits::change_hit_type[hits::HitTypeChange {
            hit_id: req("HITId"),
            hit_type_id: req("HITTypeId"),
        }] => answer::empty;
        // From a HITTypeId or from the type's properties (shape B, `<HIT>`).
        CreateHIT (Data("HIT"), None) => hits::create_hit[hits::HitOrder {
            hit: new_hit(),
            hit_type: hit_type_or_properties(),
        }] => answer::created_hit;
        // Expire it, approve (and pay) what was submitted, dispose it.
        DisableHIT (Wrapped, None) => hits::disable_hit[req("HITId")] => answer::empty;
        DisposeHIT (Wrapped, None) => hits::delete_hit[req("HITId")] => answer::empty;
        // More assignments and/or more time, together or not at all.
        ExtendHIT (Wrapped, None) => hits::extend_hit[hits::HitExtension {
            hit_id: req("HITId"),
            more_assignments: opt("MaxAssignmentsIncrement"),
            expiration_increment_secs: opt("ExpirationIncrementInSeconds"),
            token: opt("UniqueRequestToken"),
        }] => answer::empty;
        ForceExpireHIT (Wrapped, None) => hits::force_expire[req("HITId")] => answer::empty;
        // The assignment and its HIT.
        GetAssignment (Wrapped, None) => assignments::get_assignment[req("AssignmentId")] => answer::assignment_and_hit;
        // AssignmentStatus is repeatable.
        GetAssignmentsForHIT (Wrapped, None) => assignments::list_assignments[assignments::AssignmentListing {
            statuses: assignment_statuses("AssignmentStatus"),
            page: page(100),
            hit_id: req("HITId"),
        }] => answer::listing(CounterOrder::Captured, 100, answer::assignment_item);
        // By HITId or AssignmentId.
        GetBonusPayments (Wrapped, None) => assignments::list_bonuses[assignments::BonusListing {
            page: page(100),
            hit_id: opt("HITId"),
            assignment_id: opt("AssignmentId"),
        }] => answer::listing(CounterOrder::Captured, 100, answer::bonus_item);
        // An address on this server, valid for 60 seconds of emulated time.
        GetFileUploadURL (Wrapped, Some(&["AssignmentId", "QuestionIdentifier"]))
            => files::upload_url[files::FileUrlRequest {
                assignment_id: req("AssignmentId"),
                question_id: req("QuestionIdentifier"),
            }] => answer::file_upload_url;
        // Shape B, with the HITDetail, HITQuestion and HITAssignmentSummary groups.
        GetHIT (Data("HIT"), None) => hits::get_hit[req("HITId")] => answer::hit;
        // Both levels, actions and results unless narrowed (T or F); the caller's HIT only.
        GetReviewResultsForHIT (Wrapped, None) => review::results[review::ResultsQuery {
            hit_id: req("HITId"),
            assignment_id: opt("AssignmentId"),
            levels: policy_levels("PolicyLevel"),
            retrieve_actions: flag("RetrieveActions", true),
            retrieve_results: flag("RetrieveResults", true),
            page: review_page(),
        }] => answer::review_report;
        GetHITsForQualificationType (Wrapped, Some(&["QualificationTypeId", "PageSize", "PageNumber"]))
            => hits::list_hits[hits::HitListing { qualification: some("QualificationTypeId"), page: page(100) }]
            => answer::listing(CounterOrder::Captured, 100, answer::hit_item);
        // Status Reviewable (default) or Reviewing.
        GetReviewableHITs (Wrapped, None) => hits::list_reviewable[hits::ReviewableListing {
            reviewing: reviewing("Status"),
            page: page(100),
            hit_type_id: opt("HITTypeId"),
        }] => answer::listing(CounterOrder::Captured, 100, answer::hit_item);
        // An empty Reason is a value, as in the JSON SendBonus (no minimum length in the model).
        GrantBonus (Wrapped, None) => assignments::send_bonus[assignments::BonusGrant {
            worker_id: req("WorkerId"),
            amount: money("BonusAmount"),
            reason: text("Reason"),
            assignment_id: req("AssignmentId"),
            token: opt("UniqueRequestToken"),
        }] => answer::empty;
        // Returns the HITTypeId (an existing one when identical).
        RegisterHITType (Wrapped, None) => hits::create_hit_type[hit_type()] => answer::hit_type_id;
        // Feedback optional in this API.
        RejectAssignment (Wrapped, None) => assignments::reject[assignments::Rejection {
            assignment_id: req("AssignmentId"),
            feedback: opt("RequesterFeedback"),
        }] => answer::empty;
        // The caller's HITs that are not disposed, by creation time.
        SearchHITs (Wrapped, None) => hits::list_hits[hits::HitListing {
            qualification: constant(None),
            page: search_hits_page(),
        }] => answer::listing(CounterOrder::Captured, 100, answer::hit_item);
        // TimePeriod defaults to LifeToDate; Count (1-365) only shapes a OneDay series.
        GetRequesterStatistic (Named("GetStatisticResult"), Some(&["Statistic", "TimePeriod", "Count"]))
            => stats::requester_statistic[stats::StatisticQuery {
                statistic: req("Statistic"),
                period: or("TimePeriod", TimePeriod::LifeToDate),
                count: opt("Count"),
            }] => answer::statistic;
        // Answered in a GetStatisticResult too (2014-08-15 XSD).
        GetRequesterWorkerStatistic (Named("GetStatisticResult"), Some(&["Statistic", "TimePeriod", "WorkerId", "Count"]))
            => stats::worker_statistic[stats::WorkerStatisticQuery {
                query: statistic_query(),
                worker_id: req("WorkerId"),
            }] => answer::statistic;
        // HelpType Operation (default) or ResponseGroup; About repeatable.
        Help (Data("Information"), Some(&["About", "HelpType"])) => help::help[help::HelpQuery {
            about: about("About"),
            kind: help_type("HelpType"),
        }] => answer::information;
        // One event of TestEventType to Notification.1's destination.
        SendTestEventNotification (Wrapped, None) => notifications::send_test_event[notifications::TestEvent {
            notification: notification("Notification"),
            test_event_type: req("TestEventType"),
        }] => answer::empty;
        // Notification.1 and/or Active; the caller's HIT type.
        SetHITTypeNotification (Wrapped, None) => notifications::update_settings[notifications::SettingsUpdate {
            hit_type_id: req("HITTypeId"),
            notification: opt_notification("Notification"),
            active: notification_active("Active"),
        }] => answer::empty;
        // Revert to go back.
        SetHITAsReviewing (Wrapped, None) => hits::update_review_status[hits::ReviewStatusChange {
            hit_id: req("HITId"),
            revert: or("Revert", false),
        }] => answer::empty;
    }
    not_built {}
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
    fn help_describes_every_operation_of_the_table() {
        let described: Vec<&str> = help::OPERATIONS.iter().map(|o| o.name).collect();
        let table: Vec<&str> = OPERATIONS.iter().map(|o| o.name).collect();
        assert_eq!(described, table);
    }

    #[test]
    fn result_elements_follow_the_xsd() {
        assert_eq!(find("RevokeQualification").unwrap().result_element(), "RevokeQualificationResult");
        assert_eq!(find("GetQualificationScore").unwrap().result_element(), "Qualification");
        assert_eq!(find("GetRequesterStatistic").unwrap().result_element(), "GetStatisticResult");
        assert!(find("revokequalification").is_none());
    }
}
