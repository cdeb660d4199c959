//! platform

pub mod csv;
pub mod db;
pub mod files;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod pdf;
pub mod storage;
pub mod time;
