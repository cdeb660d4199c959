//! Local administrators' pages, and the service's agency administration.

pub mod access_review;
pub mod agencies;
pub mod agency;
pub mod agency_policy;
pub mod deleted;
pub mod deleted_access;
pub mod published;
pub mod second_factor;
pub mod users;
