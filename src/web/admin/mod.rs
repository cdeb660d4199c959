//! Local administrators' pages.

pub mod access_review;
pub mod retained;
pub mod second_factor;
