#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test
//! Integration tests: the real application on port 0 with its own database (a temporary SQLite
//! file, or — when `FRDESK_TEST_PG` names a PostgreSQL server — a database of its own there).

mod helpers;

mod account;
mod agencies;
mod audit_calendar;
mod audit_chain;
mod audit_report;
mod auth;
mod breach;
mod browser;
mod browser_disclosure;
mod browser_published;
mod case_page;
mod clocks;
mod config_and_cli;
// Needs the fail points: `cargo test --features failpoints` (script/test does).
#[cfg(feature = "failpoints")]
mod crash;
mod deleted_access;
mod disclosure;
mod dissemination;
mod docs;
mod duties;
mod finding;
mod history;
mod holds;
mod hostile_input;
// Two `frdesk serve` processes on one PostgreSQL, killed at fail points (FRDESK_TEST_PG).
#[cfg(feature = "failpoints")]
mod instances;
mod isolation;
mod isolation_routes;
mod leases;
mod load;
mod mail;
mod messages;
mod mfa;
mod notifications;
mod operations;
mod published;
mod queue;
mod request_form;
mod requester_identity;
mod result;
mod retention;
mod review;
mod search;
mod storage;
mod training;
mod transparency;
mod verify_page;
mod workbench;
