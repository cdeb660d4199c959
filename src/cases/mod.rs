//! cases

pub mod access;
pub mod images;
pub mod messages;
pub mod requests;
pub mod store;
pub mod timeline;
pub mod withdrawal;
