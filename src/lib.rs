//! frdesk: the face-search request desk of a regional identification service.
//!
//! Agencies submit a Facial Recognition Search Request; staff review it for policy compliance;
//! examiners search the probe against the booking-photo gallery; requesters receive an
//! investigative-lead packet. Every action is audited. See `docs/ARCHITECTURE.md`.

pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod errors;
pub mod face;
pub mod gallery;
pub mod history;
pub mod images;
pub mod jobs;
pub mod mail;
pub mod packet;
pub mod ratelimit;
pub mod retention;
pub mod routes;
pub mod search;
pub mod startup;
pub mod transparency;
pub mod workflow;

pub use config::Settings;
pub use startup::Application;
