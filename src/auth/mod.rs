//! Authentication: who is calling, proven by a signature. The legacy schemes
//! (HMAC-SHA1, spec §2) live in [`legacy`], AWS Signature Version 4 for the
//! JSON API in [`sigv4`], credentials and constant-time comparison in
//! [`credentials`]. A handler only ever sees the
//! [`RequesterId`](crate::domain::ids::RequesterId) that verification returned.

pub mod credentials;
pub mod legacy;
pub mod sigv4;

pub use credentials::{Credentials, SecretKey};
