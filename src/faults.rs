//! Fault injection: the rules that `/_local/faults` adds and the
//! [pipeline](crate::protocol::pipeline) consults once a request's operation
//! and authenticated requester are known, before anything touches the store.
//!
//! A rule says which calls it applies to (operation, protocol, requester),
//! what happens to them (an error, a dropped connection, a delay, or a delay
//! and then one of those), and how often (every call, the next `Count`
//! calls, or with a `Probability` drawn from a generator seeded per rule, so
//! that the same calls fire the same way in every run).
//!
//! Rules live in the memory of one instance: several instances on one
//! PostgreSQL database each have their own. When no rule is live, the
//! pipeline pays one relaxed atomic load per request and takes no lock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::error::{ErrorCode, MturkError, Result};
use crate::mturk_error;

/// The longest delay a rule may add, in milliseconds (five minutes: longer
/// than any SDK's read timeout, which is what a test of timeouts needs).
pub const MAX_LATENCY_MS: u64 = 300_000;

/// What a fired rule does to the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// The face's throttling answer.
    Throttling,
    /// The face's "service unavailable" answer.
    ServiceUnavailable,
    /// The face's `ServiceFault` (internal error) answer.
    ServiceFault,
    /// The connection closes with no answer at all.
    DropConnection,
    /// An error with this code, rendered as the face renders any error.
    Code(ErrorCode),
}

impl FaultKind {
    /// Parses the `Error` member of a rule.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "Throttling" => Self::Throttling,
            // The codes of the two answers name the same answers.
            "ServiceUnavailable" | "AWS.ServiceUnavailable" => Self::ServiceUnavailable,
            "ServiceFault" | "AWS.MechanicalTurk.ServiceFault" => Self::ServiceFault,
            "DropConnection" => Self::DropConnection,
            other => Self::Code(ErrorCode::from_wire(other)?),
        })
    }

    /// The `Error` member as it was given.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Throttling => "Throttling",
            Self::ServiceUnavailable => "ServiceUnavailable",
            Self::ServiceFault => "ServiceFault",
            Self::DropConnection => "DropConnection",
            Self::Code(code) => code.as_str(),
        }
    }
}

/// Which API face a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolMatch {
    /// Both.
    Any,
    /// The legacy REST/XML API.
    Legacy,
    /// The 2017-01-17 JSON API.
    Json,
}

impl ProtocolMatch {
    /// `*`, `legacy` or `json`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "*" => Some(Self::Any),
            "legacy" => Some(Self::Legacy),
            "json" => Some(Self::Json),
            _ => None,
        }
    }

    /// The wire spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Any => "*",
            Self::Legacy => "legacy",
            Self::Json => "json",
        }
    }

    fn matches(self, protocol: &str) -> bool {
        match self {
            Self::Any => true,
            // The legacy API, over REST or SOAP: the same operations.
            Self::Legacy => protocol == "legacy" || protocol == "soap",
            Self::Json => protocol == "json",
        }
    }
}

/// A rule as asked for, already validated by [`FaultSpec::validate`].
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    /// A wire operation name, or `None` for every operation (`*`).
    pub operation: Option<String>,
    /// Which face.
    pub protocol: ProtocolMatch,
    /// An access key id, or `None` for every requester (`*`).
    pub requester: Option<String>,
    /// What happens, or `None` for a delay alone.
    pub error: Option<FaultKind>,
    /// The message of the error answer, instead of the face's usual one.
    pub message: Option<String>,
    /// The delay before answering (or before running the call, with no error).
    pub latency_ms: u64,
    /// Fire for the next `count` matching calls only.
    pub count: Option<u64>,
    /// Fire for each matching call with this probability.
    pub probability: Option<f64>,
    /// The seed of the rule's generator (default 0).
    pub seed: u64,
}

impl FaultSpec {
    /// Checks the combination of members: something must happen, the
    /// numbers must be in range, the operation must be one the face knows
    /// (`known_operation(protocol, name)`).
    ///
    /// # Errors
    /// `InvalidParameterValue` or `ParameterOutOfRange`, naming the member.
    pub fn validate(&self, known_operation: impl Fn(ProtocolMatch, &str) -> bool) -> Result<()> {
        if self.error.is_none() && self.latency_ms == 0 {
            return Err(mturk_error!(
                InvalidParameterValue,
                "A fault rule needs an Error, a LatencyMs above 0, or both."
            ));
        }
        if self.latency_ms > MAX_LATENCY_MS {
            return Err(mturk_error!(
                ParameterOutOfRange,
                "LatencyMs must be between 0 and {MAX_LATENCY_MS} (five minutes)."
            ));
        }
        if self.count == Some(0) {
            return Err(mturk_error!(
                ParameterOutOfRange,
                "Count must be at least 1; leave it out to fire on every call."
            ));
        }
        if let Some(p) = self.probability {
            if !(0.0..=1.0).contains(&p) {
                return Err(mturk_error!(ParameterOutOfRange, "Probability must be between 0 and 1, got {p}."));
            }
        }
        if self.message.is_some() && matches!(self.error, None | Some(FaultKind::DropConnection)) {
            return Err(mturk_error!(
                InvalidParameterValue,
                "Message is the text of an error answer; this rule answers no error."
            ));
        }
        if let Some(op) = &self.operation {
            if !known_operation(self.protocol, op) {
                return Err(mturk_error!(
                    InvalidParameterValue,
                    "Operation {op:?} is not an operation of the {} API; use its wire name (e.g. CreateHIT) or \"*\".",
                    match self.protocol {
                        ProtocolMatch::Any => "legacy or the JSON",
                        ProtocolMatch::Legacy => "legacy",
                        ProtocolMatch::Json => "JSON",
                    }
                ));
            }
        }
        Ok(())
    }
}

/// A rule as listed: its id, what was asked, and how it has fared.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultView {
    /// `F1`, `F2`, … in the order rules were added to this instance.
    pub id: String,
    /// The rule.
    pub spec: FaultSpec,
    /// Calls that matched the rule while it was live (fired or not).
    pub matched: u64,
    /// Calls the rule fired on.
    pub fired: u64,
    /// With a `Count`: how many firings are left.
    pub remaining: Option<u64>,
}

/// What the pipeline does to a call a rule fired on.
#[derive(Debug, Clone, PartialEq)]
pub struct Fired {
    /// The rule's id, for the log.
    pub rule: String,
    /// The delay before going on.
    pub latency: Duration,
    /// The error to answer after the delay, or `None` to run the call.
    pub error: Option<FaultKind>,
    /// The error's message, when the rule gave one.
    pub message: Option<String>,
}

/// A small seeded generator (SplitMix64): the same seed gives the same
/// draws on every machine, which is all a rule needs from it.
#[derive(Debug, Clone, Copy)]
struct Draws(u64);

impl Draws {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A draw in `[0, 1)` with 53 random bits.
    fn next_unit(&mut self) -> f64 {
        #[allow(clippy::cast_precision_loss, reason = "a 53-bit integer is exact in an f64")]
        let x = (self.next_u64() >> 11) as f64;
        x / 9_007_199_254_740_992.0 // 2^53
    }
}

#[derive(Debug)]
struct Rule {
    view: FaultView,
    draws: Draws,
}

impl Rule {
    fn live(&self) -> bool {
        self.view.remaining != Some(0)
    }

    fn matches(&self, protocol: &str, operation: &str, requester: &str) -> bool {
        let s = &self.view.spec;
        s.protocol.matches(protocol)
            && s.operation.as_deref().is_none_or(|op| op == operation)
            && s.requester.as_deref().is_none_or(|r| r == requester)
    }
}

#[derive(Debug, Default)]
struct Rules {
    rules: Vec<Rule>,
    next_id: u64,
}

/// The fault rules of this instance.
#[derive(Debug, Default)]
pub struct Faults {
    /// Whether any rule can still fire: the pipeline's one check per request.
    live: AtomicBool,
    rules: Mutex<Rules>,
}

impl Faults {
    /// No rules.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Rules> {
        self.rules.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Recomputes the live flag; called with the lock held after every change.
    fn refresh(&self, rules: &Rules) {
        self.live.store(rules.rules.iter().any(Rule::live), Ordering::Release);
    }

    /// Adds a validated rule and returns it as listed.
    pub fn add(&self, spec: FaultSpec) -> FaultView {
        let mut rules = self.lock();
        rules.next_id += 1;
        let draws = Draws(spec.seed);
        let view = FaultView { id: format!("F{}", rules.next_id), remaining: spec.count, spec, matched: 0, fired: 0 };
        rules.rules.push(Rule { view: view.clone(), draws });
        self.refresh(&rules);
        view
    }

    /// Every rule, oldest first, spent ones included.
    #[must_use]
    pub fn list(&self) -> Vec<FaultView> {
        self.lock().rules.iter().map(|r| r.view.clone()).collect()
    }

    /// Removes every rule; returns how many there were.
    pub fn clear(&self) -> usize {
        let mut rules = self.lock();
        let removed = rules.rules.len();
        rules.rules.clear();
        self.refresh(&rules);
        removed
    }

    /// Removes the rule `id`.
    ///
    /// # Errors
    /// `FaultDoesNotExist` when there is no such rule.
    pub fn remove(&self, id: &str) -> Result<()> {
        let mut rules = self.lock();
        let before = rules.rules.len();
        rules.rules.retain(|r| r.view.id != id);
        if rules.rules.len() == before {
            return Err(MturkError::new(ErrorCode::FaultDoesNotExist, format!("There is no fault rule {id:?}.")));
        }
        self.refresh(&rules);
        Ok(())
    }

    /// What to do with a call of `operation` on face `protocol` by
    /// `requester`: `None` (the common case, one atomic load when no rule is
    /// live) or the first live matching rule that fires, in the order rules
    /// were added. Every live matching rule before it counts the call, and a
    /// rule with a `Probability` draws once for each call it matches, so a
    /// run's sequence of calls decides every outcome.
    #[inline]
    pub fn decide(&self, protocol: &str, operation: &str, requester: &str) -> Option<Fired> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        self.decide_slow(protocol, operation, requester)
    }

    #[cold]
    fn decide_slow(&self, protocol: &str, operation: &str, requester: &str) -> Option<Fired> {
        let mut rules = self.lock();
        let mut outcome = None;
        for rule in &mut rules.rules {
            if !rule.live() || !rule.matches(protocol, operation, requester) {
                continue;
            }
            rule.view.matched += 1;
            let fires = rule.view.spec.probability.is_none_or(|p| rule.draws.next_unit() < p);
            if !fires {
                continue;
            }
            rule.view.fired += 1;
            if let Some(left) = rule.view.remaining.as_mut() {
                *left -= 1;
            }
            let spec = &rule.view.spec;
            outcome = Some(Fired {
                rule: rule.view.id.clone(),
                latency: Duration::from_millis(spec.latency_ms),
                error: spec.error,
                message: spec.message.clone(),
            });
            break;
        }
        self.refresh(&rules);
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(error: FaultKind) -> FaultSpec {
        FaultSpec {
            operation: None,
            protocol: ProtocolMatch::Any,
            requester: None,
            error: Some(error),
            message: None,
            latency_ms: 0,
            count: None,
            probability: None,
            seed: 0,
        }
    }

    #[test]
    fn the_generator_is_splitmix64_so_a_seed_draws_the_same_everywhere() {
        // SplitMix64's published first outputs for seed 0.
        let mut draws = Draws(0);
        assert_eq!(draws.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(draws.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        let unit = Draws(42).next_unit();
        assert!((0.0..1.0).contains(&unit));
    }

    #[test]
    fn no_live_rule_means_no_decision_and_a_spent_rule_turns_the_flag_off() {
        let faults = Faults::new();
        assert!(faults.decide("json", "CreateHIT", "AKIA1").is_none());
        faults.add(FaultSpec { count: Some(1), ..spec(FaultKind::Throttling) });
        assert!(faults.live.load(Ordering::Acquire));
        assert_eq!(faults.decide("json", "CreateHIT", "AKIA1").and_then(|f| f.error), Some(FaultKind::Throttling));
        assert!(!faults.live.load(Ordering::Acquire), "the only rule is spent");
        assert!(faults.decide("json", "CreateHIT", "AKIA1").is_none());
        assert_eq!(faults.list().len(), 1, "a spent rule stays listed");
    }

    #[test]
    fn error_names_and_codes_parse() {
        assert_eq!(FaultKind::parse("AWS.ServiceUnavailable"), Some(FaultKind::ServiceUnavailable));
        assert_eq!(FaultKind::parse("AWS.MechanicalTurk.ServiceFault"), Some(FaultKind::ServiceFault));
        assert_eq!(
            FaultKind::parse("AWS.MechanicalTurk.HITDoesNotExist"),
            Some(FaultKind::Code(ErrorCode::HitDoesNotExist))
        );
        assert_eq!(FaultKind::parse("MturkLocal.Unauthorized"), None);
        assert_eq!(FaultKind::parse("throttling"), None);
    }
}
