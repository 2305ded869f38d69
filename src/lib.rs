//! mturk-local: a local emulator of Amazon Mechanical Turk's requester API.
//!
//! ```text
//!  HTTP ──► protocol::legacy_xml (query/form + HMAC-SHA1) ──┐
//!  /_local/* control plane (workers, clock, reset) ─────────┴─► ops::<area>::<action>(&Ctx, input) ─► Store
//!                                                                 (domain types only)              (SQLite | Postgres)
//! ```
//!
//! `main.rs` only parses the command line; everything else lives here so
//! tests can build the [`startup::Application`] on port 0.

pub mod auth;
pub mod config;
pub mod control;
pub mod documents;
pub mod domain;
pub mod error;
pub mod ops;
pub mod protocol;
pub mod server;
pub mod sign;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
