//! frdesk: the face-search request desk of a regional identification service.
//!
//! Agencies submit a Facial Recognition Search Request; staff review it for policy compliance;
//! examiners search the probe against the booking-photo gallery; requesters receive an
//! investigative-lead packet. Every action is audited. See `docs/ARCHITECTURE.md`.

pub mod accounts;
pub mod agencies;
pub mod app;
pub mod audit;
pub mod cases;
pub mod cli;
pub mod clocks;
pub mod compliance;
pub mod config;
pub mod disclosure;
pub mod domain;
pub mod examination;
pub mod face;
pub mod gallery;
pub mod history;
pub mod notifications;
pub mod operations;
pub mod platform;
pub mod published;
pub mod result;
pub mod retention;
pub mod search;
pub mod transparency;
pub mod web;

pub use app::Application;
pub use config::Settings;
