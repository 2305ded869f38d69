//! Snapshots of the whole store, taken and restored through the control
//! plane (`/_local/snapshots`): their names and what is known about one.

use std::fmt;

use super::time::Timestamp;

/// A snapshot's name: 1 to 64 of `A-Z a-z 0-9 _ . -`, so that it can sit in
/// a URL path segment without escaping.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SnapshotName(String);

impl SnapshotName {
    /// The longest name.
    pub const MAX_LEN: usize = 64;

    /// Parses `text`, or returns `None` when it is not a valid name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let valid = (1..=Self::MAX_LEN).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        valid.then(|| Self(text.to_owned()))
    }

    /// A name for mturk-local's own use (the fixture loader's undo point):
    /// it starts with `#`, which [`SnapshotName::parse`] never accepts, so no
    /// client can take, list, restore or delete it.
    #[must_use]
    pub fn internal(text: &str) -> Self {
        Self(format!("#{text}"))
    }

    /// Whether this is an [`SnapshotName::internal`] name.
    #[must_use]
    pub fn is_internal(&self) -> bool {
        self.0.starts_with('#')
    }

    /// Wraps a name read back from the store.
    #[must_use]
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    /// The name as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SnapshotName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stored snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Its name.
    pub name: SnapshotName,
    /// The virtual clock's reading when it was taken; a restore sets the
    /// clock back to this instant.
    pub created_at: Timestamp,
    /// How many rows it holds, over all tables.
    pub rows: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_1_to_64_url_safe_characters() {
        for good in ["baseline", "a", "Before-3.step_2", &"x".repeat(64)] {
            assert!(SnapshotName::parse(good).is_some(), "{good}");
        }
        for bad in ["", "with space", "slash/", "#internal", "é", "%41", &"x".repeat(65)] {
            assert!(SnapshotName::parse(bad).is_none(), "{bad}");
        }
        assert!(SnapshotName::internal("fixtures").is_internal());
        assert!(!SnapshotName::parse("fixtures").unwrap().is_internal());
    }
}
