//! Authentication: who is calling, proven by a signature. The legacy scheme
//! (HMAC-SHA1, spec §2) lives in [`legacy`]; credentials and constant-time
//! comparison in [`credentials`]. A handler only ever sees the
//! [`RequesterId`](crate::domain::ids::RequesterId) that verification returned.

pub mod credentials;
pub mod legacy;
pub mod sigv4;

pub use credentials::{Credentials, SecretKey};
