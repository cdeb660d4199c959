//! frdesk: the face-search request desk of a regional identification service.
//!
//! Agencies submit a Facial Recognition Search Request; staff review it for policy compliance;
//! examiners search the probe against the booking-photo gallery; requesters receive an
//! investigative-lead packet. Every action is audited. See `docs/ARCHITECTURE.md`.

pub mod audit;
pub mod cli;
pub mod config;
pub mod domain;
pub mod face;
pub mod gallery;
pub mod history;
pub mod search;
pub mod transparency;
pub mod retention;
pub mod web;
pub mod app;
pub mod accounts;
pub mod compliance;
pub mod cases;
pub mod examination;
pub mod result;
pub mod platform;

pub use config::Settings;
pub use app::Application;
