//! The domain core: identifiers, time, and the qualification model with its
//! state machines. Nothing here knows about HTTP, XML, JSON or SQL; the
//! protocol codecs decode into these types and `ops` drives them against the
//! `Store`.

pub mod batch;
pub mod clock;
pub mod hit;
pub mod ids;
pub mod money;
pub mod notification;
pub mod paging;
pub mod qualification;
pub mod requirement;
pub mod review;
pub mod snapshot;
pub mod time;
pub mod worker;
