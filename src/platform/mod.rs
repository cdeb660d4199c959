//! platform

pub mod jobs;
pub mod mail;
pub mod db;
pub mod pdf;
pub mod time;
pub mod files;
