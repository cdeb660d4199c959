//! cases

pub mod access;
pub mod images;
pub mod requests;
pub mod store;
pub mod timeline;
