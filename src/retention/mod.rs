//! retention

pub mod daily;
pub mod holds;
pub mod store;
pub mod daily_loop;
pub mod access;
pub mod error;
pub mod deleted_access;
pub mod access_review;
