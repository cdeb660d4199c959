pub mod faces;
pub mod review;
