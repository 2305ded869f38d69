//! The one error vocabulary of mturk-local.
//!
//! Every failure that can reach a client is an [`MturkError`]: a wire error code
//! ([`ErrorCode`]), a human message and optional `Data` key/values. Operations
//! (`ops`) produce them; each protocol codec has exactly one renderer that turns
//! them into its own envelope (legacy XML `Errors`, JSON `RequestError`, the
//! control plane's `{"Code", "Message"}`). Nothing else formats errors.

use std::fmt;

/// The error codes of mturk-local's vocabulary, spelled as on the wire.
///
/// Codes come from captures of the real service and Amazon's SDK error tables
/// (legacy spec §3.7); the few that are our own (marked below) are documented
/// in the README's "Error codes".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// Unknown access key (captured, spec §2.4).
    NotAuthorized,
    /// Signature mismatch or timestamp outside the window (captured, spec §2.4).
    BadClaimsSupplied,
    /// A required parameter is absent (spec §3.7).
    MissingParameters,
    /// A numeric parameter is outside its range (spec §3.7).
    ParameterOutOfRange,
    /// A parameter value is malformed (spec §3.7).
    InvalidParameterValue,
    /// A known operation that mturk-local does not serve yet. Our own code.
    NotImplemented,
    /// Test, AnswerKey, Answer or Question XML is not well-formed (spec §3.7).
    XmlParseError,
    /// Caller already has a live type with this name (captured, spec §3.5).
    QualificationTypeAlreadyExists,
    /// Unknown qualification type id.
    QualificationTypeDoesNotExist,
    /// The worker holds no qualification of the type.
    QualificationDoesNotExist,
    /// Unknown qualification request id.
    QualificationRequestDoesNotExist,
    /// The worker already holds a granted qualification of the type.
    QualificationAlreadyExists,
    /// The type's state does not allow the operation (captured, spec §3.5).
    InvalidQualificationTypeState,
    /// The qualification's state does not allow the operation (e.g. revoked).
    InvalidQualificationState,
    /// The request is no longer pending.
    InvalidQualificationRequestState,
    /// The caller does not own the resource (captured text, spec §3.7).
    PermissionDenied,
    /// Worker side: the retry delay has not elapsed yet.
    QualificationTypeRetryDelayNotElapsed,
    /// Worker side: the type allows one request only.
    QualificationTypeDoesNotAllowRetake,
    /// Worker side: the worker fails a requirement.
    DoesNotMeetRequirements,
    /// Not enough money in the requester's account.
    InsufficientFunds,
    /// Unknown HIT id.
    HitDoesNotExist,
    /// Unknown assignment id.
    AssignmentDoesNotExist,
    /// The HIT's state does not allow the operation.
    InvalidHitState,
    /// The assignment's state does not allow the operation.
    InvalidAssignmentState,
    /// The worker already has an assignment for this HIT.
    AssignmentAlreadyExists,
    /// A `UniqueRequestToken` was used before (JSON model: `HitAlreadyExists`).
    HitAlreadyExists,
    /// Extending a HIT across the 10-assignment line (JSON model).
    InvalidMaximumAssignmentsIncrease,
    /// A worker blocked by the HIT's requester tried to accept it. Our own code.
    WorkerBlocked,
    /// The control plane refused a request without its token. Our own code.
    Unauthorized,
    /// The control plane has no fault rule with that id. Our own code.
    FaultDoesNotExist,
    /// No snapshot has the name given to the control plane. Our own code.
    SnapshotDoesNotExist,
    /// Something unexpected broke inside mturk-local (logged once at the edge).
    ServiceFault,
    /// The legacy service was unavailable: the code the Java and Ruby SDKs
    /// retry (`AWS.ServiceUnavailable`, spec §3.1). Only injected faults
    /// answer it (`/_local/faults`).
    ServiceUnavailable,
}

impl ErrorCode {
    /// The code exactly as the wire spells it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotAuthorized => "AWS.NotAuthorized",
            Self::BadClaimsSupplied => "AWS.BadClaimsSupplied",
            Self::MissingParameters => "AWS.MissingParameters",
            Self::ParameterOutOfRange => "AWS.ParameterOutOfRange",
            Self::InvalidParameterValue => "AWS.MechanicalTurk.InvalidParameterValue",
            Self::NotImplemented => "AWS.MechanicalTurk.NotImplemented",
            Self::XmlParseError => "AWS.MechanicalTurk.XMLParseError",
            Self::QualificationTypeAlreadyExists => "AWS.MechanicalTurk.QualificationTypeAlreadyExists",
            Self::QualificationTypeDoesNotExist => "AWS.MechanicalTurk.QualificationTypeDoesNotExist",
            Self::QualificationDoesNotExist => "AWS.MechanicalTurk.QualificationDoesNotExist",
            Self::QualificationRequestDoesNotExist => "AWS.MechanicalTurk.QualificationRequestDoesNotExist",
            Self::QualificationAlreadyExists => "AWS.MechanicalTurk.QualificationAlreadyExists",
            Self::InvalidQualificationTypeState => "AWS.MechanicalTurk.InvalidQualificationTypeState",
            Self::InvalidQualificationState => "AWS.MechanicalTurk.InvalidQualificationState",
            Self::InvalidQualificationRequestState => "AWS.MechanicalTurk.InvalidQualificationRequestState",
            Self::PermissionDenied => "AWS.MechanicalTurk.PermissionDenied",
            Self::QualificationTypeRetryDelayNotElapsed => "AWS.MechanicalTurk.QualificationTypeRetryDelayNotElapsed",
            Self::QualificationTypeDoesNotAllowRetake => "AWS.MechanicalTurk.QualificationTypeDoesNotAllowRetake",
            Self::DoesNotMeetRequirements => "AWS.MechanicalTurk.DoesNotMeetRequirements",
            Self::InsufficientFunds => "AWS.MechanicalTurk.InsufficientFunds",
            Self::HitDoesNotExist => "AWS.MechanicalTurk.HITDoesNotExist",
            Self::AssignmentDoesNotExist => "AWS.MechanicalTurk.AssignmentDoesNotExist",
            Self::InvalidHitState => "AWS.MechanicalTurk.InvalidHITState",
            Self::InvalidAssignmentState => "AWS.MechanicalTurk.InvalidAssignmentState",
            Self::AssignmentAlreadyExists => "AWS.MechanicalTurk.AssignmentAlreadyExists",
            Self::HitAlreadyExists => "AWS.MechanicalTurk.HitAlreadyExists",
            Self::InvalidMaximumAssignmentsIncrease => "AWS.MechanicalTurk.InvalidMaximumAssignmentsIncrease",
            Self::WorkerBlocked => "AWS.MechanicalTurk.WorkerBlocked",
            Self::Unauthorized => "MturkLocal.Unauthorized",
            Self::FaultDoesNotExist => "MturkLocal.FaultDoesNotExist",
            Self::SnapshotDoesNotExist => "MturkLocal.SnapshotDoesNotExist",
            Self::ServiceFault => "AWS.MechanicalTurk.ServiceFault",
            Self::ServiceUnavailable => "AWS.ServiceUnavailable",
        }
    }

    /// Every code an API face can answer (the control plane's own codes
    /// left out), for fault rules that name one.
    pub const API_CODES: &'static [ErrorCode] = &[
        Self::NotAuthorized,
        Self::BadClaimsSupplied,
        Self::MissingParameters,
        Self::ParameterOutOfRange,
        Self::InvalidParameterValue,
        Self::NotImplemented,
        Self::XmlParseError,
        Self::QualificationTypeAlreadyExists,
        Self::QualificationTypeDoesNotExist,
        Self::QualificationDoesNotExist,
        Self::QualificationRequestDoesNotExist,
        Self::QualificationAlreadyExists,
        Self::InvalidQualificationTypeState,
        Self::InvalidQualificationState,
        Self::InvalidQualificationRequestState,
        Self::PermissionDenied,
        Self::QualificationTypeRetryDelayNotElapsed,
        Self::QualificationTypeDoesNotAllowRetake,
        Self::DoesNotMeetRequirements,
        Self::InsufficientFunds,
        Self::HitDoesNotExist,
        Self::AssignmentDoesNotExist,
        Self::InvalidHitState,
        Self::InvalidAssignmentState,
        Self::AssignmentAlreadyExists,
        Self::HitAlreadyExists,
        Self::InvalidMaximumAssignmentsIncrease,
        Self::WorkerBlocked,
        Self::ServiceFault,
        Self::ServiceUnavailable,
    ];

    /// The API code spelled `wire`, exactly as [`ErrorCode::as_str`] spells it.
    #[must_use]
    pub fn from_wire(wire: &str) -> Option<Self> {
        Self::API_CODES.iter().copied().find(|c| c.as_str() == wire)
    }

    /// Whether the client (true) or the service (false) is at fault.
    #[must_use]
    pub const fn is_client_fault(self) -> bool {
        !matches!(self, Self::ServiceFault | Self::ServiceUnavailable)
    }

    /// Whether this is an authentication failure. The legacy envelope puts
    /// those inside `OperationRequest/Errors` (spec §2.4, §3.6).
    #[must_use]
    pub const fn is_auth(self) -> bool {
        matches!(self, Self::NotAuthorized | Self::BadClaimsSupplied)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure with a wire code, a message and optional `Data` entries.
///
/// Boxed so that `Result<T, MturkError>` stays one pointer wide.
pub struct MturkError(Box<Inner>);

struct Inner {
    code: ErrorCode,
    message: String,
    data: Vec<(String, String)>,
    source: Option<anyhow::Error>,
}

impl MturkError {
    /// A new error with `code` and `message` (without the `(epoch-ms)` suffix,
    /// which the renderers add).
    #[must_use]
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(Box::new(Inner { code, message: message.into(), data: Vec::new(), source: None }))
    }

    /// An internal fault caused by `source`; the client sees a generic message.
    #[must_use]
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut err =
            Self::new(ErrorCode::ServiceFault, "The service encountered an internal error. Please retry the request.");
        err.0.source = Some(source.into());
        err
    }

    /// Adds one `Data` key/value entry (entries may repeat, as on the wire).
    #[must_use]
    pub fn with_data(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.data.push((key.into(), value.into()));
        self
    }

    /// The wire code.
    #[must_use]
    pub fn code(&self) -> ErrorCode {
        self.0.code
    }

    /// The message, without the `(epoch-ms)` suffix.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The `Data` entries, in order.
    #[must_use]
    pub fn data(&self) -> &[(String, String)] {
        &self.0.data
    }

    /// The underlying cause of an internal fault, if any.
    #[must_use]
    pub fn cause(&self) -> Option<&anyhow::Error> {
        self.0.source.as_ref()
    }
}

impl fmt::Debug for MturkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.code, self.0.message)?;
        if let Some(source) = &self.0.source {
            write!(f, " (caused by: {source:#})")?;
        }
        Ok(())
    }
}

impl fmt::Display for MturkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.code, self.0.message)
    }
}

impl std::error::Error for MturkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source.as_ref().map(|e| e.as_ref() as &(dyn std::error::Error + 'static))
    }
}

/// The crate-wide result type.
pub type Result<T, E = MturkError> = std::result::Result<T, E>;

/// Builds an [`MturkError`]: `mturk_error!(QualificationDoesNotExist, "text {}", x)`.
#[macro_export]
macro_rules! mturk_error {
    ($code:ident, $($fmt:tt)+) => {
        $crate::error::MturkError::new($crate::error::ErrorCode::$code, format!($($fmt)+))
    };
}

/// The standard "missing parameter" error (message format captured, spec §3.7).
#[must_use]
pub fn missing_parameter(name: &str) -> MturkError {
    mturk_error!(MissingParameters, "Your request is missing required parameters. Required parameters include {name}.")
}

/// The standard "invalid value" error (message format captured, spec §3.7).
#[must_use]
pub fn invalid_value(name: &str, value: &str) -> MturkError {
    // Keep the echoed value short so that a hostile megabyte does not come back.
    let shown: String = value.chars().take(256).collect();
    mturk_error!(InvalidParameterValue, "The value \"{shown}\" is not valid for the parameter {name}.")
}

/// An invalid value with an explanation appended, as the real service did for
/// some parameters ("... parameter Statistic. This statistic is no longer supported.").
#[must_use]
pub fn invalid_value_because(name: &str, value: &str, why: &str) -> MturkError {
    let base = invalid_value(name, value);
    MturkError::new(ErrorCode::InvalidParameterValue, format!("{} {why}", base.message()))
}

/// A string parameter that is longer than its limit.
#[must_use]
pub fn too_long(name: &str, max_chars: usize) -> MturkError {
    mturk_error!(InvalidParameterValue, "Your request parameter {name} has a maximum length of {max_chars}.")
}

/// A numeric parameter outside `[min, max]`.
#[must_use]
pub fn out_of_range(name: &str, value: impl fmt::Display, min: i64, max: i64) -> MturkError {
    mturk_error!(
        ParameterOutOfRange,
        "The value {value} for parameter {name} is out of range. It must be between {min} and {max}."
    )
}

/// The owner-only error (captured text, spec §3.7).
#[must_use]
pub fn permission_denied() -> MturkError {
    mturk_error!(PermissionDenied, "This user is not authorized to perform the requested operation.")
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn every_api_code_is_listed_and_parses_back() {
        // The match is exhaustive: a new variant must be placed on one side.
        let api = |code: ErrorCode| match code {
            ErrorCode::Unauthorized | ErrorCode::FaultDoesNotExist | ErrorCode::SnapshotDoesNotExist => false,
            ErrorCode::NotAuthorized
            | ErrorCode::BadClaimsSupplied
            | ErrorCode::MissingParameters
            | ErrorCode::ParameterOutOfRange
            | ErrorCode::InvalidParameterValue
            | ErrorCode::NotImplemented
            | ErrorCode::XmlParseError
            | ErrorCode::QualificationTypeAlreadyExists
            | ErrorCode::QualificationTypeDoesNotExist
            | ErrorCode::QualificationDoesNotExist
            | ErrorCode::QualificationRequestDoesNotExist
            | ErrorCode::QualificationAlreadyExists
            | ErrorCode::InvalidQualificationTypeState
            | ErrorCode::InvalidQualificationState
            | ErrorCode::InvalidQualificationRequestState
            | ErrorCode::PermissionDenied
            | ErrorCode::QualificationTypeRetryDelayNotElapsed
            | ErrorCode::QualificationTypeDoesNotAllowRetake
            | ErrorCode::DoesNotMeetRequirements
            | ErrorCode::InsufficientFunds
            | ErrorCode::HitDoesNotExist
            | ErrorCode::AssignmentDoesNotExist
            | ErrorCode::InvalidHitState
            | ErrorCode::InvalidAssignmentState
            | ErrorCode::AssignmentAlreadyExists
            | ErrorCode::HitAlreadyExists
            | ErrorCode::InvalidMaximumAssignmentsIncrease
            | ErrorCode::WorkerBlocked
            | ErrorCode::ServiceFault
            | ErrorCode::ServiceUnavailable => true,
        };
        assert!(ErrorCode::API_CODES.iter().all(|c| api(*c)));
        assert_eq!(ErrorCode::API_CODES.len(), 30);
        for code in ErrorCode::API_CODES {
            assert_eq!(ErrorCode::from_wire(code.as_str()), Some(*code));
        }
        assert_eq!(ErrorCode::from_wire("MturkLocal.Unauthorized"), None);
    }
}
