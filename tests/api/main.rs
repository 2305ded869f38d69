//! API tests: every module runs against a real server on 127.0.0.1:0.
//! All API tests compile into this one binary.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first surprise")]

mod common;

mod hits;

mod connections;
mod console;
mod console_requester;
mod control_plane;
mod durability;
mod extras;
mod faults;
mod file_uploads;
mod fixtures;
mod health;
mod hostile;
mod json_api;
mod legacy_protocol;
mod lifecycle;
mod listings;
mod marketplace;
mod notifications;
mod one_transaction;
mod persistence;
mod real_clients;
mod reproducible;
mod reset_every_table;
mod review_policies;
mod revoke;
mod snapshots;
mod soap;
