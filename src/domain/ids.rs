//! Identifiers: validated newtypes and the [`IdSource`] that mints new ones.
//!
//! Shapes follow the real service (spec §7.1): 30 upper-case alphanumerics for
//! types and requests, `A` + 13 for workers, lowercase UUID v4 for request ids.

use std::fmt;
use std::sync::Mutex;

use rand::Rng;

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

    /// Starts the sequence again at `epoch` (after a reset). Random sources
    /// have no sequence: the default does nothing.
    fn restart(&self, epoch: u64) {
        let _ = epoch;
    }

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

/// Deterministic ids from a seed and a counter (`service.id_seed`, and the
/// test suite's servers): the `n`th draw of a sequence is a pure function of
/// (seed, epoch, n), so the same calls get the same ids in every run and on
/// every build (no dependence on a generator library's stream).
///
/// The epoch tells apart the sequences of one seed over a store's life:
/// a fresh store starts at epoch 0, each later start on a persisted store
/// takes the next one (see `Store::take_id_epoch`), so a restarted server
/// never mints again the ids its previous run stored; a reset goes back to
/// epoch 0 (the store is empty then), so each test after a reset sees the
/// same ids.
#[derive(Debug)]
pub struct SeededIds {
    seed: u64,
    /// The current epoch's key and the next draw's number.
    state: Mutex<(u64, u64)>,
}

/// SplitMix64's output function (Steele, Lea and Flood 2014): a bijective
/// mix of 64 bits, enough to spread a counter over the id alphabet.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

fn epoch_key(seed: u64, epoch: u64) -> u64 {
    mix64(mix64(seed) ^ epoch.wrapping_mul(GOLDEN_GAMMA).wrapping_add(1))
}

impl SeededIds {
    /// A sequence that always yields the same ids for `seed` (epoch 0).
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self::at_epoch(seed, 0)
    }

    /// The sequence of `seed` in `epoch`, from its first draw.
    #[must_use]
    pub fn at_epoch(seed: u64, epoch: u64) -> Self {
        Self { seed, state: Mutex::new((epoch_key(seed, epoch), 0)) }
    }

    /// `words` 64-bit values of the next draw.
    fn draw(&self, words: usize) -> Vec<u64> {
        let (key, n) = {
            // A poisoned lock only means another thread panicked mid-draw;
            // the counter is still usable.
            let mut guard = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let n = guard.1;
            guard.1 = n.wrapping_add(1);
            (guard.0, n)
        };
        let base = mix64(key ^ n.wrapping_mul(GOLDEN_GAMMA));
        (0..words as u64).map(|i| mix64(base.wrapping_add(i.wrapping_mul(GOLDEN_GAMMA)))).collect()
    }
}

impl IdSource for SeededIds {
    fn alphanumeric(&self, len: usize) -> String {
        // 12 characters per word: 36^12 < 2^64, so each is close to uniform.
        let words = self.draw(len.div_ceil(12));
        let radix = ALPHANUMERIC.len() as u64;
        let mut out = String::with_capacity(len);
        for mut word in words {
            for _ in 0..12 {
                if out.len() == len {
                    break;
                }
                #[allow(clippy::cast_possible_truncation, reason = "the remainder is below 36")]
                out.push(char::from(ALPHANUMERIC[(word % radix) as usize]));
                word /= radix;
            }
        }
        out
    }

    fn request_id(&self) -> String {
        let words = self.draw(2);
        let mut bytes = [0_u8; 16];
        bytes[..8].copy_from_slice(&words[0].to_le_bytes());
        bytes[8..].copy_from_slice(&words[1].to_le_bytes());
        uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
    }

    fn restart(&self, epoch: u64) {
        let mut guard = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *guard = (epoch_key(self.seed, epoch), 0);
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
        assert_ne!(a.qualification_type_id(), SeededIds::new(8).qualification_type_id());
    }

    #[test]
    fn seeded_ids_are_a_function_of_seed_epoch_and_counter() {
        let a = SeededIds::new(42);
        let first: Vec<String> = (0..3).map(|_| a.alphanumeric(29)).collect();
        // Pinned, so that a change of the derivation (which would break users'
        // golden files) cannot go unnoticed.
        assert_eq!(first[0], "A7T67TE1F7P7XCPGE6E3WYHLPAAKP");
        assert!(first[0].bytes().all(|b| ALPHANUMERIC.contains(&b)));
        assert_eq!(first.iter().collect::<std::collections::HashSet<_>>().len(), 3);
        a.restart(0);
        assert_eq!(a.alphanumeric(29), first[0]);
        let other_epoch = SeededIds::at_epoch(42, 1);
        assert!(!first.contains(&other_epoch.alphanumeric(29)));
        a.restart(1);
        assert_eq!(a.alphanumeric(29), SeededIds::at_epoch(42, 1).alphanumeric(29));
        let rid = SeededIds::new(42).request_id();
        assert_eq!(uuid::Uuid::parse_str(&rid).map(|u| u.get_version_num()).ok(), Some(4));
        assert_eq!(rid, "56f4a87f-47b5-400e-a12a-58737ca48bec");
    }
}
