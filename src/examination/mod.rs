//! examination

pub mod review;
pub mod standing;
