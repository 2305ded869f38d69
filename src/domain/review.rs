//! Review policies (legacy-api.md §8, modern-api.md "ReviewPolicy"): the two
//! published policies a HIT may carry, as the requester sent them, and what
//! running them produced (results and actions). The protocol codecs decode
//! into [`ReviewPolicy`]; `ops::review` checks and runs them; the store keeps
//! them with the HIT.

use super::time::Timestamp;

/// The assignment-level policy: score the known answers of each submission.
pub const KNOWN_ANSWERS: &str = "ScoreMyKnownAnswers/2011-09-01";
/// The HIT-level policy: compare the answers of a HIT's assignments.
pub const PLURALITY: &str = "SimplePlurality/2011-09-01";

/// One `MapEntry` of a policy parameter (the `AnswerKey`'s question → answers).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MapEntry {
    /// The entry's key (a question id).
    pub key: String,
    /// Its values.
    pub values: Vec<String>,
}

/// One `Parameter` of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PolicyParameter {
    /// The parameter's name.
    pub key: String,
    /// Its values.
    pub values: Vec<String>,
    /// Its map entries (only `AnswerKey` has them).
    pub map_entries: Vec<MapEntry>,
}

/// A review policy as the requester sent it: a name and its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReviewPolicy {
    /// `ScoreMyKnownAnswers/2011-09-01` or `SimplePlurality/2011-09-01`.
    pub name: String,
    /// The parameters, in the order sent.
    pub parameters: Vec<PolicyParameter>,
}

/// The policies of one HIT.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HitReviewPolicies {
    /// `AssignmentReviewPolicy`.
    pub assignment: Option<ReviewPolicy>,
    /// `HITReviewPolicy`.
    pub hit: Option<ReviewPolicy>,
}

impl HitReviewPolicies {
    /// Neither policy.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.assignment.is_none() && self.hit.is_none()
    }
}

/// Which policy produced a result or took an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyLevel {
    /// The assignment-level policy.
    Assignment,
    /// The HIT-level policy.
    Hit,
}

impl PolicyLevel {
    /// The wire spelling (`ReviewPolicyLevel`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Assignment => "Assignment",
            Self::Hit => "HIT",
        }
    }

    /// Reads the wire spelling.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "Assignment" => Some(Self::Assignment),
            "HIT" => Some(Self::Hit),
            _ => None,
        }
    }
}

/// Where an action stands (`ReviewActionStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionStatus {
    /// Queued or running.
    Intended,
    /// Done (or nothing was left to do).
    Succeeded,
    /// Refused by the state of its object; an error code says why.
    Failed,
    /// Prevented by the service.
    Cancelled,
}

impl ActionStatus {
    /// The wire spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Intended => "Intended",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
            Self::Cancelled => "Cancelled",
        }
    }

    /// Reads the wire spelling.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Intended, Self::Succeeded, Self::Failed, Self::Cancelled].into_iter().find(|s| s.as_str() == text)
    }
}

/// One computed value (`ReviewResultDetail`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewResult {
    /// The policy that computed it.
    pub level: PolicyLevel,
    /// The action it led to, if one is tied to it.
    pub action_id: Option<String>,
    /// The HIT or assignment it is about.
    pub subject_id: String,
    /// `HIT` or `Assignment`.
    pub subject_type: String,
    /// The question it is about, if one.
    pub question_id: Option<String>,
    /// What was computed (`KnownAnswerScore`, `AgreedAnswer`, …).
    pub key: String,
    /// Its value.
    pub value: String,
}

/// One action a policy took (`ReviewActionDetail`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewAction {
    /// The policy that took it.
    pub level: PolicyLevel,
    /// Its id.
    pub id: String,
    /// `approve`, `reject` or `extend`.
    pub name: String,
    /// The assignment or HIT it acted on.
    pub target_id: String,
    /// `Assignment` or `HIT`.
    pub target_type: String,
    /// How it went.
    pub status: ActionStatus,
    /// When it completed.
    pub complete_time: Option<Timestamp>,
    /// A short description of the outcome.
    pub result: Option<String>,
    /// The error code of a failed action.
    pub error_code: Option<String>,
}

/// Everything the policies of one HIT produced, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReviewLog {
    /// The results.
    pub results: Vec<ReviewResult>,
    /// The actions.
    pub actions: Vec<ReviewAction>,
}
