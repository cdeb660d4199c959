//! retention

pub mod access;
pub mod access_requests;
pub mod access_review;
pub mod daily;
pub mod daily_loop;
pub mod deleted_access;
pub mod error;
pub mod holds;
pub mod store;
