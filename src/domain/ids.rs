//! Identifiers: validated newtypes and the [`IdSource`] that mints new ones.
//!
//! Shapes follow the real service (spec §7.1): 30 upper-case alphanumerics for
//! types and requests, `A` + 13 for workers, lowercase UUID v4 for request ids.

use std::fmt;
use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ALPHANUMERIC: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn is_entity_id(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Parses `text`, or returns `None` when it does not have the id's shape.
            #[must_use]
            pub fn parse(text: &str) -> Option<Self> {
                let check: fn(&str) -> bool = $check;
                check(text).then(|| Self(text.to_owned()))
            }

            /// Wraps a value read back from the store, which only holds valid ids.
            #[must_use]
            pub fn from_stored(text: String) -> Self {
                Self(text)
            }

            /// The id as text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A qualification type id: `[A-Z0-9]{1,64}` (the JSON model's `EntityId`).
    QualificationTypeId,
    is_entity_id
);
id_type!(
    /// A worker id: `A` followed by upper-case letters and digits, at most 64
    /// characters (the JSON model's `CustomerId`).
    WorkerId,
    |s| {
        (2..=64).contains(&s.len())
            && s.starts_with('A')
            && s.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    }
);
id_type!(
    /// A qualification request id. The JSON model gives it no pattern; ours are
    /// 30 upper-case alphanumerics, and anything else cannot exist.
    QualificationRequestId,
    |s| (1..=255).contains(&s.len()) && !s.chars().any(char::is_control)
);
id_type!(
    /// A HIT id. Requests may name any non-empty text: one that is not a HIT
    /// is answered `HITDoesNotExist`, as on MTurk, not refused by its shape.
    HitId,
    |s| !s.is_empty()
);
id_type!(
    /// A HIT type id (a HIT's `HITTypeId` and `HITGroupId`); any non-empty text
    /// may be named, as for [`HitId`].
    HitTypeId,
    |s| !s.is_empty()
);
id_type!(
    /// An assignment id; any non-empty text may be named, as for [`HitId`].
    AssignmentId,
    |s| !s.is_empty()
);
id_type!(
    /// A requester, identified by the access key id its credentials carry.
    RequesterId,
    |s| (1..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
);

/// Mints identifiers. Comes in through the operation context so tests can
/// make ids deterministic.
pub trait IdSource: Send + Sync + std::fmt::Debug {
    /// `len` random characters from `[0-9A-Z]`.
    fn alphanumeric(&self, len: usize) -> String;

    /// A lowercase UUID v4 string for `RequestId`.
    fn request_id(&self) -> String;

    /// A new qualification type id: 30 characters starting with `3`, like the
    /// real ones (`33MAVWP2GREQRM6IPUX4EU7SU2KZL1`).
    fn qualification_type_id(&self) -> QualificationTypeId {
        QualificationTypeId(format!("3{}", self.alphanumeric(29)))
    }

    /// A new qualification request id (30 characters; spec §7.1 INF).
    fn qualification_request_id(&self) -> QualificationRequestId {
        QualificationRequestId(format!("3{}", self.alphanumeric(29)))
    }
}

/// Ids from the operating system's randomness: the one real implementation.
#[derive(Debug, Default)]
pub struct RandomIds;

impl IdSource for RandomIds {
    #[allow(clippy::disallowed_methods, reason = "this is the one real id source")]
    fn alphanumeric(&self, len: usize) -> String {
        let mut rng = rand::thread_rng();
        (0..len).map(|_| char::from(ALPHANUMERIC[rng.gen_range(0..ALPHANUMERIC.len())])).collect()
    }

    #[allow(clippy::disallowed_methods, reason = "this is the one real id source")]
    fn request_id(&self) -> String {
        // From the thread's generator (seeded once from the OS), not
        // `Uuid::new_v4`, which asks the kernel for randomness on every call.
        uuid::Builder::from_random_bytes(rand::thread_rng().gen()).into_uuid().to_string()
    }
}

/// Deterministic ids from a seeded generator; for tests and golden envelopes.
#[derive(Debug)]
pub struct SeededIds(Mutex<StdRng>);

impl SeededIds {
    /// A generator that always yields the same sequence for `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(Mutex::new(StdRng::seed_from_u64(seed)))
    }

    fn with_rng<T>(&self, f: impl FnOnce(&mut StdRng) -> T) -> T {
        // A poisoned lock only means another test thread panicked mid-draw;
        // the generator state is still usable.
        let mut guard = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }
}

impl IdSource for SeededIds {
    fn alphanumeric(&self, len: usize) -> String {
        self.with_rng(|rng| (0..len).map(|_| char::from(ALPHANUMERIC[rng.gen_range(0..ALPHANUMERIC.len())])).collect())
    }

    fn request_id(&self) -> String {
        let bytes: [u8; 16] = self.with_rng(rand::Rng::gen);
        uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_ids_have_the_real_shapes() {
        let ids = RandomIds;
        let qt = ids.qualification_type_id();
        assert_eq!(qt.as_str().len(), 30);
        assert!(QualificationTypeId::parse(qt.as_str()).is_some());
        let rid = ids.request_id();
        assert_eq!(rid, rid.to_lowercase());
        assert_eq!(uuid::Uuid::parse_str(&rid).map(|u| u.get_version_num()).ok(), Some(4));
    }

    #[test]
    fn worker_ids_must_start_with_a_and_be_upper_alphanumeric() {
        assert!(WorkerId::parse("AHM21AWBZPEJNM").is_some());
        assert!(WorkerId::parse("A").is_none());
        assert!(WorkerId::parse("BHM21AWBZPEJNM").is_none());
        assert!(WorkerId::parse("Ahm21awbzpejnm").is_none());
        assert!(WorkerId::parse(&format!("A{}", "1".repeat(64))).is_none());
    }

    #[test]
    fn seeded_ids_repeat_for_the_same_seed() {
        let a = SeededIds::new(7);
        let b = SeededIds::new(7);
        assert_eq!(a.request_id(), b.request_id());
        assert_eq!(a.qualification_type_id(), b.qualification_type_id());
    }
}
