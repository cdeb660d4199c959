//! Local administrators' pages.

pub mod access_review;
pub mod deleted;
pub mod second_factor;
pub mod users;
