//! cases

pub mod requests;
pub mod images;
pub mod timeline;
pub mod store;
