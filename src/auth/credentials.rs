//! Requester credentials from configuration. Secrets are redacted in `Debug`,
//! zeroized on drop, and only ever used as HMAC keys.

use std::collections::HashMap;
use std::fmt;

use zeroize::Zeroizing;

use crate::domain::ids::RequesterId;

/// A secret access key.
#[derive(Clone)]
pub struct SecretKey(Zeroizing<String>);

impl SecretKey {
    /// Wraps a secret.
    #[must_use]
    pub fn new(secret: String) -> Self {
        Self(Zeroizing::new(secret))
    }

    /// The key bytes, for HMAC only.
    #[must_use]
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// The configured requesters, by access key id.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    keys: HashMap<String, SecretKey>,
}

impl Credentials {
    /// Builds the table from `(access key id, secret)` pairs.
    #[must_use]
    pub fn new(pairs: impl IntoIterator<Item = (RequesterId, SecretKey)>) -> Self {
        Self { keys: pairs.into_iter().map(|(id, secret)| (id.as_str().to_owned(), secret)).collect() }
    }

    /// The secret for `access_key_id`, if it is a configured requester.
    #[must_use]
    pub fn secret(&self, access_key_id: &str) -> Option<&SecretKey> {
        self.keys.get(access_key_id)
    }

    /// How many requesters are configured.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether none are.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}
