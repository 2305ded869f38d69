//! mturk-local: a local emulator of Amazon Mechanical Turk's requester API.
//!
//! ```text
//!  HTTP ─► server (accept loop, timeouts) ─► startup::router
//!    ├─ X-Amz-Target ──► protocol::json (SigV4) ───────────┐ protocol::pipeline: decode → authenticate →
//!    ├─ / and /onca/xml ► protocol::legacy_xml (HMAC-SHA1) ┘ admit → handler → render, the same for both
//!    │                each operation: one dispatch line ─► ops::<area>::<action>(&Ctx, Input) ─► Store
//!    ├─ /_local/*, /mturk/externalSubmit ► control ──────► ops (WorkerCtx)   (domain types)  (SQLite | Postgres)
//!    └─ /worker, /requester (HTML pages) ► web ──────────► ops
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
pub mod faults;
pub mod healthcheck;
pub mod notify;
pub mod ops;
pub mod protocol;
pub mod server;
pub mod sign;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod web;
