//! frdesk library.

pub mod cli;
pub mod db;
pub mod face;
pub mod gallery;
